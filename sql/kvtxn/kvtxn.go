package kvtxn

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// KeyValue is one key and its value.
type KeyValue = kvclient.KeyValue

// Txn is a KV transaction (contract A's Txn without batches and
// savepoints, which SQL reaches through optional interfaces).
type Txn interface {
	Get(ctx context.Context, key []byte) (value []byte, found bool, err error)
	// Scan returns the keys in [start, end) in order, at most maxKeys (0 = all).
	Scan(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error)
	ReverseScan(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error)
	Put(ctx context.Context, key, value []byte) error
	// CPut writes value if the current value equals expected (nil: the key
	// must be absent); otherwise it fails with *kvpb.ConditionFailedError.
	CPut(ctx context.Context, key, value, expected []byte) error
	Del(ctx context.Context, keys ...[]byte) error
	DelRange(ctx context.Context, start, end []byte) error
	Inc(ctx context.Context, key []byte, delta int64) (int64, error)
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// DB starts transactions.
type DB interface {
	// NewTxn starts a transaction in manual mode: the caller commits or
	// rolls back, and retryable errors surface to it.
	NewTxn(ctx context.Context) Txn
	// Inc increments a counter outside any transaction (ID generators, so
	// that a retried transaction does not reuse IDs and the counter is no
	// contention point).
	Inc(ctx context.Context, key []byte, delta int64) (int64, error)
}

// Retryable is implemented by errors after which the transaction may be
// retried from the start.
type Retryable interface{ TxnRetryable() bool }

// extraRetryable is set by adapters for the errors of the real client.
var extraRetryable atomic.Pointer[func(error) bool]

// SetRetryableClassifier installs the KV client's classifier (contract A's
// kvpb.IsRetryable) so that its errors count as retryable too.
func SetRetryableClassifier(f func(error) bool) { extraRetryable.Store(&f) }

// IsRetryable reports whether err means "re-run the transaction".
func IsRetryable(err error) bool {
	var r Retryable
	if errors.As(err, &r) && r.TxnRetryable() {
		return true
	}
	f := extraRetryable.Load()
	return f != nil && (*f)(err)
}

// IsBelowGCThreshold reports whether err is a read (or write) at a
// timestamp at or below a range's MVCC GC threshold: the history it asks
// for is gone (SQL reports it as 72000, snapshot too old).
func IsBelowGCThreshold(err error) bool {
	var gce *kvpb.BatchTimestampBeforeGCError
	return errors.As(err, &gce)
}

// IsAmbiguous reports whether err is a commit (or other non-idempotent
// write) whose outcome is unknown: it may have been applied (SQL reports it
// as 40003, statement_completion_unknown).
func IsAmbiguous(err error) bool {
	var amb *kvpb.AmbiguousResultError
	return errors.Is(err, kvclient.ErrAmbiguousResult) || errors.As(err, &amb)
}

// IsLockNotAvailable reports whether err is a NOWAIT locking read that
// met another transaction's lock (SQL reports it as 55P03).
func IsLockNotAvailable(err error) bool {
	var lna *kvpb.LockNotAvailableError
	return errors.As(err, &lna)
}

type noWaitKey struct{}

type skipLockedKey struct{}

// WithSkipLocked returns ctx marking the locking reads made with it SKIP
// LOCKED: keys another transaction holds locked are left out of their
// results, without waiting.
func WithSkipLocked(ctx context.Context) context.Context {
	return context.WithValue(ctx, skipLockedKey{}, true)
}

// IsSkipLocked reports whether ctx was marked by WithSkipLocked.
func IsSkipLocked(ctx context.Context) bool {
	v, _ := ctx.Value(skipLockedKey{}).(bool)
	return v
}

type sharedLockKey struct{}

// WithSharedLock returns ctx marking the locking reads made with it
// shared (FOR SHARE): they take shared locks, which conflict with writes
// and exclusive locks, not with each other.
func WithSharedLock(ctx context.Context) context.Context {
	return context.WithValue(ctx, sharedLockKey{}, true)
}

// lockStrength is the KV strength of a locking read made with ctx.
func lockStrength(ctx context.Context) kvpb.KeyLocking {
	if v, _ := ctx.Value(sharedLockKey{}).(bool); v {
		return kvpb.KeyLocking_KEY_LOCKING_SHARED
	}
	return kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE
}

// WithNoWait returns ctx marking the locking reads made with it NOWAIT:
// they fail with *kvpb.LockNotAvailableError instead of waiting for
// another transaction's lock.
func WithNoWait(ctx context.Context) context.Context {
	return context.WithValue(ctx, noWaitKey{}, true)
}

// IsNoWait reports whether ctx was marked by WithNoWait.
func IsNoWait(ctx context.Context) bool {
	v, _ := ctx.Value(noWaitKey{}).(bool)
	return v
}

// waitPolicy is the KV wait policy of a locking read made with ctx.
func waitPolicy(ctx context.Context) kvpb.KeyWaitPolicy {
	if v, _ := ctx.Value(noWaitKey{}).(bool); v {
		return kvpb.KeyWaitPolicy_WAIT_POLICY_ERROR
	}
	if v, _ := ctx.Value(skipLockedKey{}).(bool); v {
		return kvpb.KeyWaitPolicy_WAIT_POLICY_SKIP_LOCKED
	}
	return kvpb.KeyWaitPolicy_WAIT_POLICY_BLOCK
}

// GuardedCommitter is implemented by transactions that can commit with a
// guard: a read of key that fails the commit, with nothing written and a
// *kvpb.ConditionFailedError on key (see ConditionFailedOn), unless its
// value equals expected (nil: the key has no value). With BufferWrites
// over kv/kvclient the guard, the buffered writes and the commit are one
// batch (one phase on one range).
type GuardedCommitter interface {
	CommitGuarded(ctx context.Context, key, expected []byte) error
}

// guardedWriter is implemented by transactions that send a guard, writes
// and the commit in one batch.
type guardedWriter interface {
	CommitWithGuard(ctx context.Context, key, expected []byte, ws []Write) error
}

// ConditionFailedOn reports whether err is a failed condition on key
// (a CPut or a guard), with the value found.
func ConditionFailedOn(err error, key []byte) (value []byte, found, ok bool) {
	var cfe *kvpb.ConditionFailedError
	if !errors.As(err, &cfe) || !bytes.Equal(cfe.GetKey(), key) {
		return nil, false, false
	}
	return cfe.GetActualValue(), cfe.GetHasValue(), true
}

// IsConditionFailed reports whether err is a failed CPut.
func IsConditionFailed(err error) bool {
	var cfe *kvpb.ConditionFailedError
	return errors.As(err, &cfe)
}

// Savepoints is implemented by transactions that can roll back to a
// point inside themselves (SQL SAVEPOINT / ROLLBACK TO / RELEASE). The
// savepoint value is opaque to the caller.
type Savepoints interface {
	Savepoint(ctx context.Context) (any, error)
	RollbackTo(ctx context.Context, sp any) error
	Release(ctx context.Context, sp any) error
}

// BatchGetter is implemented by transactions that read many keys in one
// round trip (an index join's primary lookups).
type BatchGetter interface {
	// GetMany returns the values of keys (nil where absent) and whether
	// each was found.
	GetMany(ctx context.Context, keys [][]byte) ([][]byte, []bool, error)
}

// Historical is implemented by transactions that can read at a fixed past
// timestamp (AS OF SYSTEM TIME). SetFixedTimestamp must come before any
// read or write; the transaction is then read-only, and writes fail.
type Historical interface {
	SetFixedTimestamp(ts hlc.Timestamp) error
}

// Clock is implemented by DBs that expose the node's hybrid logical clock
// (the "now" AS OF SYSTEM TIME offsets are relative to).
type Clock interface {
	Now() hlc.Timestamp
}

// LockingReader is implemented by transactions whose reads can lock the
// rows they return (SELECT ... FOR UPDATE, and the reads of UPDATE and
// DELETE): other writers and locking readers of those keys wait until
// the transaction ends; plain reads do not. A ctx from WithNoWait makes
// them fail at once instead of waiting (SELECT ... NOWAIT); one from
// WithSkipLocked leaves the locked keys out (SELECT ... SKIP LOCKED).
type LockingReader interface {
	GetForUpdate(ctx context.Context, key []byte) (value []byte, found bool, err error)
	ScanForUpdate(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error)
	GetManyForUpdate(ctx context.Context, keys [][]byte) ([][]byte, []bool, error)
}
