package sem

import (
	"fmt"
	"math"
	"time"

	"github.com/tesseradb/tessera/sql/types"
)

// Backend answers the functions about the session's server process, its
// transaction and its advisory locks (EvalContext.Backend; nil where no
// session runs the statement, and these functions then fail with 0A000).
type Backend interface {
	// PID is the session's process ID (BackendKeyData; pg_backend_pid).
	PID() int32
	// TxnID is a cluster-unique number of the statement's transaction,
	// the same for every call in it and increasing with each new one
	// (txid_current, pg_current_xact_id).
	TxnID() (int64, error)
	// Sleep waits d or until the statement is cancelled or times out.
	Sleep(d time.Duration) error
	// Signal cancels the statement of the session pid on this node
	// (terminate: closes its connection), false if there is none.
	Signal(pid int32, terminate bool) (bool, error)
	// AdvisoryLock takes the exclusive advisory lock key, held until the
	// transaction ends (xact) or until AdvisoryUnlock / the session ends;
	// try: false at once if another session holds it, else wait.
	AdvisoryLock(key AdvisoryKey, xact, try bool) (bool, error)
	// AdvisoryUnlock releases one session-level hold of key, false if the
	// session held none.
	AdvisoryUnlock(key AdvisoryKey) (bool, error)
	// AdvisoryUnlockAll releases every session-level hold.
	AdvisoryUnlockAll() error
	// Sessions describes the sessions of this node (pg_stat_activity).
	Sessions() []SessionInfo
}

// SessionInfo is one session as pg_stat_activity shows it.
type SessionInfo struct {
	PID                             int32
	Database, User, ApplicationName string
	State, Query                    string // state: "active", "idle", "idle in transaction" ...
	BackendStart, QueryStart        time.Time
	XactStart, StateChange          time.Time // zero: NULL
	// Locks are the advisory locks the session holds (pg_locks).
	Locks []AdvisoryLockInfo
}

// AdvisoryLockInfo is an advisory lock a session holds: its database's
// ID and its key.
type AdvisoryLockInfo struct {
	DB  uint32
	Key AdvisoryKey
}

// AdvisoryKey names an advisory lock: a bigint, or a pair of integers
// (a space of their own, as in PostgreSQL).
type AdvisoryKey struct {
	Pair bool
	K    int64
}

func backendOf(ctx *EvalContext, fn string) (Backend, error) {
	if ctx == nil || ctx.Backend == nil {
		return nil, errorf(CodeFeatureNotSupported, "%s is not available here", fn)
	}
	return ctx.Backend, nil
}

// sizePretty is pg_size_pretty(bigint): bytes below 10 kB, then the unit
// that keeps the number below 10240, rounded half away from zero.
func sizePretty(size int64) string {
	const limit = 10 * 1024
	const limit2 = limit*2 - 1
	abs := func(v int64) int64 {
		if v < 0 {
			return -v
		}
		return v
	}
	half := func(v int64) int64 {
		if v < 0 {
			return (v - 1) / 2
		}
		return (v + 1) / 2
	}
	if abs(size) < limit {
		return fmt.Sprintf("%d bytes", size)
	}
	size >>= 9 // one extra bit for rounding
	for _, unit := range []string{"kB", "MB", "GB", "TB"} {
		if abs(size) < limit2 {
			return fmt.Sprintf("%d %s", half(size), unit)
		}
		size >>= 10
	}
	return fmt.Sprintf("%d PB", half(size))
}

func init() {
	I4, I8, B, T := types.Int4, types.Int8, types.Bool, types.String
	def("pg_backend_pid", I4, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		be, err := backendOf(ctx, "pg_backend_pid")
		if err != nil {
			return nil, err
		}
		return dint(int64(be.PID())), nil
	}).volatile() // never folded into a plan another session may share
	txid := func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		be, err := backendOf(ctx, "txid_current")
		if err != nil {
			return nil, err
		}
		id, err := be.TxnID()
		if err != nil {
			return nil, err
		}
		return dint(id), nil
	}
	def("txid_current", I8, txid).volatile()
	def("pg_current_xact_id", I8, txid).volatile()
	sleep := func(ctx *EvalContext, d time.Duration) (types.Datum, error) {
		be, err := backendOf(ctx, "pg_sleep")
		if err != nil {
			return nil, err
		}
		if d > 0 {
			if err := be.Sleep(d); err != nil {
				return nil, err
			}
		}
		return dstr(""), nil
	}
	def("pg_sleep", T, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		secs := float64(a[0].(types.DFloat))
		if math.IsNaN(secs) || secs > 1e9 {
			return nil, errorf("22008", "pg_sleep: duration out of range")
		}
		return sleep(ctx, time.Duration(secs*float64(time.Second)))
	}, types.Float8).volatile()
	def("pg_sleep_for", T, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		iv := a[0].(types.DInterval)
		d := time.Duration(iv.Micros)*time.Microsecond + time.Duration(iv.Days)*24*time.Hour + time.Duration(iv.Months)*30*24*time.Hour
		return sleep(ctx, d)
	}, types.Interval).volatile()
	signal := func(terminate bool) fnImpl {
		return func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			be, err := backendOf(ctx, "pg_cancel_backend")
			if err != nil {
				return nil, err
			}
			ok, err := be.Signal(int32(a[0].(types.DInt)), terminate)
			if err != nil {
				return nil, err
			}
			return types.DBool(ok), nil
		}
	}
	def("pg_cancel_backend", B, signal(false), I4).volatile()
	def("pg_terminate_backend", B, signal(true), I4).volatile()
	def("pg_terminate_backend", B, signal(true), I4, I8).volatile()
	// uuid-ossp's random UUID (CREATE EXTENSION "uuid-ossp" is accepted).
	def("uuid_generate_v4", types.UUID, randomUUID).volatile()
	def("pg_size_pretty", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return dstr(sizePretty(int64(a[0].(types.DInt)))), nil
	}, I8)

	// Advisory locks (exclusive only; the shared forms are not provided).
	keyOf := func(a []types.Datum) AdvisoryKey {
		if len(a) == 2 {
			hi, lo := int64(a[0].(types.DInt)), int64(a[1].(types.DInt))
			return AdvisoryKey{Pair: true, K: hi<<32 | int64(uint32(lo))}
		}
		return AdvisoryKey{K: int64(a[0].(types.DInt))}
	}
	lock := func(name string, xact, try bool) fnImpl {
		return func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			be, err := backendOf(ctx, name)
			if err != nil {
				return nil, err
			}
			ok, err := be.AdvisoryLock(keyOf(a), xact, try)
			if err != nil {
				return nil, err
			}
			if try {
				return types.DBool(ok), nil
			}
			return dstr(""), nil
		}
	}
	for _, f := range []struct {
		name      string
		xact, try bool
	}{{"pg_advisory_lock", false, false}, {"pg_advisory_xact_lock", true, false},
		{"pg_try_advisory_lock", false, true}, {"pg_try_advisory_xact_lock", true, true}} {
		ret := T
		if f.try {
			ret = B
		}
		def(f.name, ret, lock(f.name, f.xact, f.try), I8).volatile()
		def(f.name, ret, lock(f.name, f.xact, f.try), I4, I4).volatile()
	}
	unlock := func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		be, err := backendOf(ctx, "pg_advisory_unlock")
		if err != nil {
			return nil, err
		}
		ok, err := be.AdvisoryUnlock(keyOf(a))
		if err != nil {
			return nil, err
		}
		return types.DBool(ok), nil
	}
	def("pg_advisory_unlock", B, unlock, I8).volatile()
	def("pg_advisory_unlock", B, unlock, I4, I4).volatile()
	def("pg_advisory_unlock_all", T, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		be, err := backendOf(ctx, "pg_advisory_unlock_all")
		if err != nil {
			return nil, err
		}
		return dstr(""), be.AdvisoryUnlockAll()
	}).volatile()
}
