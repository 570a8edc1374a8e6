package plan

import (
	"reflect"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/tesseradb/tessera/sql/pgerr"
)

// LockWait is what a locking read does on a row another transaction
// holds locked.
type LockWait uint8

const (
	// LockWaitBlock waits for the holder (FOR UPDATE / FOR SHARE).
	LockWaitBlock LockWait = iota
	// LockWaitError fails the statement with 55P03 (NOWAIT).
	LockWaitError
	// LockWaitSkip leaves the row out of the result (SKIP LOCKED).
	LockWaitSkip
)

// lockingFor checks a SELECT's locking clause: FOR UPDATE / FOR SHARE
// (and NO KEY UPDATE / KEY SHARE, which parse as those) lock the rows
// read, FOR SHARE with a shared lock (shared: other transactions' FOR
// SHARE do not wait for it, writers and FOR UPDATE do); with NOWAIT a row locked by another transaction fails the
// statement with 55P03 instead of waiting, with SKIP LOCKED it is left
// out. WAIT n is refused (0A000).
func lockingFor(sel *ast.SelectStmt) (locking, shared bool, wait LockWait, err error) {
	if sel.LockInfo == nil {
		return false, false, LockWaitBlock, nil
	}
	switch sel.LockInfo.LockType {
	case ast.SelectLockForShare, ast.SelectLockForShareNoWait, ast.SelectLockForShareSkipLocked:
		shared = true
	}
	locking, wait, err = lockingWait(sel)
	return locking, shared, wait, err
}

func lockingWait(sel *ast.SelectStmt) (locking bool, wait LockWait, err error) {
	switch sel.LockInfo.LockType {
	case ast.SelectLockNone:
		return false, LockWaitBlock, nil
	case ast.SelectLockForUpdate, ast.SelectLockForShare:
		return true, LockWaitBlock, nil
	case ast.SelectLockForUpdateNoWait, ast.SelectLockForShareNoWait:
		return true, LockWaitError, nil
	case ast.SelectLockForUpdateSkipLocked, ast.SelectLockForShareSkipLocked:
		return true, LockWaitSkip, nil
	case ast.SelectLockForUpdateWaitN:
		return false, LockWaitBlock, pgerr.New(pgerr.FeatureNotSupported, "SELECT ... %s is not supported: use FOR UPDATE / FOR SHARE (which wait for the lock), NOWAIT or SKIP LOCKED", sel.LockInfo.LockType)
	default:
		return false, LockWaitBlock, pgerr.New(pgerr.FeatureNotSupported, "SELECT ... %s is not supported", sel.LockInfo.LockType)
	}
}

// markLocking sets Locking on every table scan of n (the rows a locking
// SELECT reads are locked), its strength (Shared: FOR SHARE) and its
// Wait policy.
func markLocking(n Node, wait LockWait, shared bool) {
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
				s.Shared = shared
				s.Wait = wait
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
