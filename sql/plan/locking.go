package plan

import (
	"reflect"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/tesseradb/tessera/sql/pgerr"
)

// lockingFor checks a SELECT's locking clause: FOR UPDATE / FOR SHARE
// (and NO KEY UPDATE / KEY SHARE, which parse as those) lock the rows
// read; with NOWAIT (nowait) a row locked by another transaction fails
// the statement with 55P03 instead of waiting. SKIP LOCKED and WAIT n are
// refused (0A000).
func lockingFor(sel *ast.SelectStmt) (locking, nowait bool, err error) {
	if sel.LockInfo == nil {
		return false, false, nil
	}
	switch sel.LockInfo.LockType {
	case ast.SelectLockNone:
		return false, false, nil
	case ast.SelectLockForUpdate, ast.SelectLockForShare:
		return true, false, nil
	case ast.SelectLockForUpdateNoWait, ast.SelectLockForShareNoWait:
		return true, true, nil
	case ast.SelectLockForUpdateWaitN:
		return false, false, pgerr.New(pgerr.FeatureNotSupported, "SELECT ... %s is not supported: use FOR UPDATE / FOR SHARE (which wait for the lock) or NOWAIT", sel.LockInfo.LockType)
	default:
		return false, false, pgerr.New(pgerr.FeatureNotSupported, "SELECT ... %s is not supported", sel.LockInfo.LockType)
	}
}

// markLocking sets Locking on every table scan of n (the rows a locking
// SELECT reads are locked; FOR SHARE is taken as FOR UPDATE), and NoWait
// when nowait.
func markLocking(n Node, nowait bool) {
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value)
	nodeT := reflect.TypeOf((*Node)(nil)).Elem()
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			if s, ok := v.Interface().(*Scan); ok {
				s.Locking = true
				s.NoWait = nowait
				return
			}
			walk(v.Elem())
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				f := v.Field(i)
				if !f.CanInterface() {
					continue
				}
				switch {
				case f.Type() == nodeT, f.Kind() == reflect.Pointer && f.Type().Implements(nodeT):
					walk(f)
				case f.Kind() == reflect.Slice && (f.Type().Elem() == nodeT || f.Type().Elem().Implements(nodeT)):
					for j := 0; j < f.Len(); j++ {
						walk(f.Index(j))
					}
				}
			}
		}
	}
	walk(reflect.ValueOf(n))
}
