package session

import (
	"context"
	"math"
	"regexp"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

// AS OF SYSTEM TIME: a statement (SELECT … FROM t AS OF SYSTEM TIME x) or
// a transaction block (BEGIN AS OF SYSTEM TIME x, SET TRANSACTION AS OF
// SYSTEM TIME x as the block's first statement) reads in a read-only KV
// transaction fixed at the timestamp x names (kvtxn.Historical). x is
//   - a negative interval, relative to the node's HLC now ('-10s', '-1m');
//   - a timestamp ('2026-12-01 10:00:00', TIMESTAMPTZ values);
//   - a decimal HLC timestamp, wall nanoseconds '.' ten digits of logical
//     counter (1700000000000000000.0000000001), or integer nanoseconds.
// A time after now fails with 22023. Statements that write fail with 25006.
// Descriptors are read at the same timestamp, past the shared catalog
// cache (which holds the current schema only).

var hlcDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,10})?$`)

// evalAsOf evaluates an AS OF SYSTEM TIME expression to a timestamp.
func (s *Session) evalAsOf(ctx context.Context, stmt *parser.Statement, e ast.ExprNode, params []types.Datum) (hlc.Timestamp, error) {
	clk, ok := s.eng.db.(kvtxn.Clock)
	if !ok {
		return hlc.Timestamp{}, pgerr.New(pgerr.FeatureNotSupported, "AS OF SYSTEM TIME is not supported without a cluster (this KV store keeps no history)")
	}
	b := &plan.Binder{Ctx: ctx, Stmt: stmt, Eval: s.evalCtx(), Params: append([]*types.T(nil), s.curParamTypes...), NumParams: stmt.NumParams}
	be, err := b.BindScalar(e, nil)
	if err != nil {
		return hlc.Timestamp{}, err
	}
	env := &exec.Env{Ctx: ctx, EvalCtx: b.Eval, Params: params}
	v, err := env.Eval(be, nil)
	if err != nil {
		return hlc.Timestamp{}, err
	}
	now := clk.Now()
	ts, err := asOfTimestamp(v, now)
	if err != nil {
		return hlc.Timestamp{}, err
	}
	if ts.IsEmpty() || ts.WallTime <= 0 {
		return hlc.Timestamp{}, pgerr.New(pgerr.InvalidParameter, "AS OF SYSTEM TIME: timestamp %s is before the epoch", ts)
	}
	if now.Less(ts) {
		return hlc.Timestamp{}, pgerr.New(pgerr.InvalidParameter, "AS OF SYSTEM TIME: cannot specify timestamp in the future (%s > %s)", ts, now)
	}
	return ts, nil
}

// asOfTimestamp reads one evaluated AS OF SYSTEM TIME value.
func asOfTimestamp(v types.Datum, now hlc.Timestamp) (hlc.Timestamp, error) {
	bad := func(what string) (hlc.Timestamp, error) {
		return hlc.Timestamp{}, pgerr.New(pgerr.InvalidParameter, "AS OF SYSTEM TIME: %s", what)
	}
	switch d := v.(type) {
	case types.DNull:
		return bad("the timestamp must not be NULL")
	case types.DString:
		str := strings.TrimSpace(string(d))
		if hlcDecimal.MatchString(str) {
			dec, _, err := apd.NewFromString(str)
			if err != nil {
				return bad("invalid decimal timestamp " + str)
			}
			return decimalTS(dec)
		}
		if strings.HasPrefix(str, "-") || strings.HasPrefix(str, "+") {
			iv, err := types.ParseText(types.Interval, str, nil)
			if err != nil {
				return bad("value " + str + " is neither an interval, a timestamp nor a decimal")
			}
			return intervalTS(iv.(types.DInterval), now), nil
		}
		tv, err := types.ParseText(types.TimestampTZ, str, nil)
		if err != nil {
			return bad("value " + str + " is neither an interval, a timestamp nor a decimal")
		}
		return timestampTS(int64(tv.(types.DTimestampTZ)))
	case types.DInt:
		return hlc.Timestamp{WallTime: int64(d)}, nil
	case *types.DDecimal:
		return decimalTS(&d.Decimal)
	case types.DInterval:
		return intervalTS(d, now), nil
	case types.DTimestampTZ:
		return timestampTS(int64(d))
	case types.DTimestamp:
		return timestampTS(int64(d))
	}
	return bad("expected an interval, a timestamp or a decimal")
}

// pgEpochNanos is 2000-01-01 00:00:00 UTC in Unix nanoseconds.
const pgEpochNanos = 946684800 * 1_000_000_000

func timestampTS(micros int64) (hlc.Timestamp, error) {
	if micros > (math.MaxInt64-pgEpochNanos)/1000 || micros < -pgEpochNanos/1000 {
		return hlc.Timestamp{}, pgerr.New(pgerr.InvalidParameter, "AS OF SYSTEM TIME: timestamp out of range")
	}
	return hlc.Timestamp{WallTime: micros*1000 + pgEpochNanos}, nil
}

func intervalTS(iv types.DInterval, now hlc.Timestamp) hlc.Timestamp {
	const day = int64(86_400_000_000_000)
	delta := iv.Micros*1000 + int64(iv.Days)*day + int64(iv.Months)*30*day
	return hlc.Timestamp{WallTime: now.WallTime + delta}
}

// decimalTS reads wall.logical (logical: ten digits after the point).
func decimalTS(d *apd.Decimal) (hlc.Timestamp, error) {
	bad := pgerr.New(pgerr.InvalidParameter, "AS OF SYSTEM TIME: invalid decimal timestamp %s", d.String())
	if d.Negative || d.Form != apd.Finite {
		return hlc.Timestamp{}, bad
	}
	var wall, frac apd.Decimal
	d.Modf(&wall, &frac)
	w, err := wall.Int64()
	if err != nil {
		return hlc.Timestamp{}, bad
	}
	var scaled apd.Decimal
	scaled.Set(&frac)
	scaled.Exponent += 10
	var lg apd.Decimal
	if _, err := apd.BaseContext.WithPrecision(40).RoundToIntegralExact(&lg, &scaled); err != nil {
		return hlc.Timestamp{}, bad
	}
	l, err := lg.Int64()
	if err != nil || l > math.MaxInt32 {
		return hlc.Timestamp{}, bad
	}
	return hlc.Timestamp{WallTime: w, Logical: int32(l)}, nil
}

// historical reports whether the session's next transaction reads at a
// fixed timestamp, and which.
func (s *Session) historical() (hlc.Timestamp, bool) {
	if !s.stmtAsOf.IsEmpty() {
		return s.stmtAsOf, true
	}
	if s.inBlock && !s.blockAsOf.IsEmpty() {
		return s.blockAsOf, true
	}
	return hlc.Timestamp{}, false
}

// newTxn starts a KV transaction, fixed at the AS OF SYSTEM TIME
// timestamp when there is one.
func (s *Session) newTxn(ctx context.Context) kvtxn.Txn {
	txn := s.eng.db.NewTxn(ctx)
	ts, ok := s.historical()
	if !ok {
		return txn
	}
	h, ok := txn.(kvtxn.Historical)
	if !ok {
		_ = txn.Rollback(ctx)
		return errTxn{pgerr.New(pgerr.FeatureNotSupported, "AS OF SYSTEM TIME is not supported by this KV store")}
	}
	if err := h.SetFixedTimestamp(ts); err != nil {
		_ = txn.Rollback(ctx)
		return errTxn{pgerr.New(pgerr.InvalidParameter, "AS OF SYSTEM TIME: %v", err)}
	}
	return txn
}

// checkReadOnly refuses a statement that writes (writeKind; our own DDL
// statements too) in a READ ONLY or historical transaction (25006).
func (s *Session) checkReadOnly(stmt *parser.Statement) error {
	what := writeKind(stmt.AST, stmt.SQL)
	for _, dc := range stmt.DataCTEs {
		if what == "" {
			what = writeKind(dc.Stmt.AST, dc.Stmt.SQL)
		}
	}
	if stmt.AST == nil && stmt.Ext != nil && !isAdminStmt(stmt.Ext) {
		what = stmt.Ext.StatementTag() // TRUNCATE, DROP INDEX, ALTER TABLE … ALTER COLUMN
	}
	if what == "" {
		return nil
	}
	if _, hist := s.historical(); hist {
		return pgerr.New(pgerr.ReadOnlyTxn, "cannot execute %s in a read-only transaction (AS OF SYSTEM TIME)", what)
	}
	if s.txnReadOnly() {
		return pgerr.New(pgerr.ReadOnlyTxn, "cannot execute %s in a read-only transaction", what)
	}
	return nil
}

// errTxn is a transaction that could not start: every call fails with err.
type errTxn struct{ err error }

func (t errTxn) Get(context.Context, []byte) ([]byte, bool, error) { return nil, false, t.err }
func (t errTxn) Scan(context.Context, []byte, []byte, int64) ([]kvtxn.KeyValue, error) {
	return nil, t.err
}
func (t errTxn) ReverseScan(context.Context, []byte, []byte, int64) ([]kvtxn.KeyValue, error) {
	return nil, t.err
}
func (t errTxn) Put(context.Context, []byte, []byte) error          { return t.err }
func (t errTxn) CPut(context.Context, []byte, []byte, []byte) error { return t.err }
func (t errTxn) Del(context.Context, ...[]byte) error               { return t.err }
func (t errTxn) DelRange(context.Context, []byte, []byte) error     { return t.err }
func (t errTxn) Inc(context.Context, []byte, int64) (int64, error)  { return 0, t.err }
func (t errTxn) Commit(context.Context) error                       { return t.err }
func (t errTxn) Rollback(context.Context) error                     { return nil }

// setTxnAsOf runs SET TRANSACTION AS OF SYSTEM TIME: only as the first
// statement of a block.
func (s *Session) setTxnAsOf(ctx context.Context, stmt *parser.Statement, x *parser.SetTransactionStmt) error {
	if !s.inBlock || x.Session {
		return pgerr.New(pgerr.NoActiveTxn, "SET TRANSACTION AS OF SYSTEM TIME can only be used in transaction blocks")
	}
	if s.txn != nil || s.txnStmts > 0 {
		return pgerr.New(pgerr.ActiveTxn, "SET TRANSACTION AS OF SYSTEM TIME must be called before any query")
	}
	ts, err := s.evalAsOf(ctx, stmt, x.Modes.AsOf, nil)
	if err != nil {
		return err
	}
	s.blockAsOf = ts
	return nil
}
