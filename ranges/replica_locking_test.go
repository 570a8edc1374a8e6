package ranges_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges"
)

func lockingGet(k string) *kvpb.RequestUnion {
	return kvpb.NewGet([]byte(k)).WithLocking(kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE)
}

// lockSpan records a locking read's span for the txn's EndTxn.
func (x *testTxn) lockSpan(k string) { x.spans = append(x.spans, &kvpb.Span{Key: []byte(k)}) }

func (x *testTxn) rollback(ctx context.Context) error {
	_, err := x.send(ctx, kvpb.NewEndTxn(x.txn.GetMeta().GetKey(), false, x.spans))
	return err
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func replica1(t *testing.T, s *ranges.Store) *ranges.Replica {
	r, ok := s.GetReplica(1)
	require.True(t, ok)
	return r
}

// TestLockingGetWaitsForHolder: a locking Get takes an unreplicated lock;
// another txn's locking Get waits on it (plain reads do not); when the
// holder commits a newer value, the waiter's read below it is
// write-too-old, and at a timestamp above it the waiter sees the value
// and takes the lock.
func TestLockingGetWaitsForHolder(t *testing.T) {
	c, ctx, s := oneStore(t)
	require.NoError(t, c.Put(ctx, "k", "v0"))
	a := newTestTxn(t, s, 1, "k", 1)
	br, err := a.send(ctx, lockingGet("k"))
	require.NoError(t, err)
	require.Equal(t, "v0", string(br.GetResponses()[0].GetGet().GetValue()))
	a.lockSpan("k")
	locks := replica1(t, s).Locks()
	require.True(t, locks.Unreplicated([]byte("k"), a.txn.ID()))

	b := newTestTxn(t, s, 2, "other", 1) // below the read and a's commit

	// A plain read is not blocked.
	v, ok := getValue(t, ctx, s, "k")
	require.True(t, ok)
	require.Equal(t, "v0", v)

	done := make(chan error, 1)
	go func() { _, err := b.send(ctx, lockingGet("k")); done <- err }()
	waitFor(t, "b to queue on a's lock", func() bool { return locks.Waiters([]byte("k")) == 1 })
	select {
	case err := <-done:
		t.Fatalf("b's locking read did not wait: %v", err)
	default:
	}
	require.NoError(t, a.put(ctx, "k", "a"))
	// The plain read above pushed a's write: a refreshes its read of k
	// (nobody could write k under its lock) and commits.
	err = a.commit(ctx)
	var tre *kvpb.TransactionRetryError
	require.Truef(t, errors.As(err, &tre), "commit after the read: %v", err)
	from := a.txn.ReadTS()
	a.txn = kvpb.ErrorTxn(err)
	a.txn.ReadTimestamp = a.txn.GetMeta().GetWriteTimestamp()
	_, err = a.send(ctx, kvpb.NewRefresh([]byte("k"), from))
	require.NoError(t, err)
	require.NoError(t, a.commit(ctx))
	err = <-done
	var wto *kvpb.WriteTooOldError
	require.Truef(t, errors.As(err, &wto), "b's locking read below a's commit: %v", err)
	require.True(t, a.txn.WriteTS().Less(wto.GetActualTimestamp().HLC()))
	require.False(t, locks.Unreplicated([]byte("k"), a.txn.ID()), "a's commit released its lock")

	// b moves its read timestamp above a's write (a refresh of nothing).
	b.txn.ReadTimestamp = wto.GetActualTimestamp()
	b.txn.Meta.WriteTimestamp = wto.GetActualTimestamp()
	br, err = b.send(ctx, lockingGet("k"))
	require.NoError(t, err)
	require.Equal(t, "a", string(br.GetResponses()[0].GetGet().GetValue()))
	require.True(t, locks.Unreplicated([]byte("k"), b.txn.ID()))
	b.lockSpan("k")
	require.NoError(t, b.commit(ctx))
	require.Equal(t, 0, locks.Len())
}

// TestLockReleasedOnAbort: a rollback resolving the lock span releases
// the lock; the waiting writer then writes.
func TestLockReleasedOnAbort(t *testing.T) {
	c, ctx, s := oneStore(t)
	require.NoError(t, c.Put(ctx, "k", "v0"))
	a := newTestTxn(t, s, 1, "k", 1)
	_, err := a.send(ctx, lockingGet("k"))
	require.NoError(t, err)
	a.lockSpan("k")
	locks := replica1(t, s).Locks()

	b := newTestTxn(t, s, 2, "other", 1)
	done := make(chan error, 1)
	go func() { done <- b.put(ctx, "k", "b") }()
	waitFor(t, "b's write to queue on a's lock", func() bool { return locks.Waiters([]byte("k")) == 1 })
	select {
	case err := <-done:
		t.Fatalf("b's write did not wait for the lock: %v", err)
	default:
	}
	require.NoError(t, a.rollback(ctx))
	require.NoError(t, <-done)
	require.NoError(t, b.commit(ctx))
	v, ok := getValue(t, ctx, s, "k")
	require.True(t, ok)
	require.Equal(t, "b", v)
	require.Equal(t, 0, locks.Len())
}

// TestLockingScanAboveNewerValue: a locking scan whose span holds a value
// committed above the txn's read timestamp fails write-too-old and takes
// no lock; a plain scan at the same timestamp just reads below it.
func TestLockingScanAboveNewerValue(t *testing.T) {
	c, ctx, s := oneStore(t)
	require.NoError(t, c.Put(ctx, "a", "1"))
	x := newTestTxn(t, s, 1, "a", 1)
	x.txn.GlobalUncertaintyLimit = x.txn.GetReadTimestamp() // no uncertainty: see the write-too-old
	require.NoError(t, c.Put(ctx, "b", "2"))                // after x's timestamp
	br, err := x.send(ctx, kvpb.NewScan([]byte("a"), []byte("c"), 0))
	require.NoError(t, err)
	require.Len(t, br.GetResponses()[0].GetScan().GetRows(), 1)
	_, err = x.send(ctx, kvpb.NewScan([]byte("a"), []byte("c"), 0).WithLocking(kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE))
	var wto *kvpb.WriteTooOldError
	require.Truef(t, errors.As(err, &wto), "locking scan below a newer value: %v", err)
	require.Equal(t, "b", string(wto.GetKey()))
	require.Equal(t, 0, replica1(t, s).Locks().Len())
}

// TestLockingReadNoWait: a NOWAIT locking Get or Scan of a key another
// txn locked fails with LockNotAvailableError without queuing on the lock
// (the holder is still open: a waiting read would block until the
// deadline); a NOWAIT read of a free key succeeds and takes its lock.
func TestLockingReadNoWait(t *testing.T) {
	c, ctx, s := oneStore(t)
	require.NoError(t, c.Put(ctx, "k", "v0"))
	require.NoError(t, c.Put(ctx, "l", "v1"))
	a := newTestTxn(t, s, 1, "k", 1)
	_, err := a.send(ctx, lockingGet("k"))
	require.NoError(t, err)
	a.lockSpan("k")
	locks := replica1(t, s).Locks()

	b := newTestTxn(t, s, 2, "other", 1)
	noWait := kvpb.KeyWaitPolicy_WAIT_POLICY_ERROR
	for _, r := range []*kvpb.RequestUnion{
		lockingGet("k").WithWaitPolicy(noWait),
		kvpb.NewScan([]byte("a"), []byte("z"), 0).WithLocking(kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE).WithWaitPolicy(noWait),
	} {
		_, err = b.send(ctx, r)
		var lna *kvpb.LockNotAvailableError
		require.Truef(t, errors.As(err, &lna), "want LockNotAvailableError, got %v", err)
		require.Equal(t, []byte("k"), lna.GetKey())
		require.Zero(t, locks.Waiters([]byte("k")))
	}
	br, err := b.send(ctx, lockingGet("l").WithWaitPolicy(noWait))
	require.NoError(t, err)
	require.Equal(t, "v1", string(br.GetResponses()[0].GetGet().GetValue()))
	require.True(t, locks.Unreplicated([]byte("l"), b.txn.ID()))
	require.True(t, locks.Unreplicated([]byte("k"), a.txn.ID()), "the failed reads left a's lock alone")
}

// TestLockingReadSkipLocked: a SKIP LOCKED locking Scan or Get leaves out
// the keys other txns hold (an unreplicated lock of a locking read, or an
// intent) without waiting, returns and locks the others; a batch mixing
// SKIP LOCKED with other requests is refused.
func TestLockingReadSkipLocked(t *testing.T) {
	c, ctx, s := oneStore(t)
	for _, k := range []string{"j", "k", "l", "m"} {
		require.NoError(t, c.Put(ctx, k, "v"+k))
	}
	a := newTestTxn(t, s, 1, "k", 1)
	_, err := a.send(ctx, lockingGet("k")) // an unreplicated lock on k
	require.NoError(t, err)
	a.lockSpan("k")
	require.NoError(t, a.put(ctx, "m", "a")) // an intent on m
	locks := replica1(t, s).Locks()

	skip := kvpb.KeyWaitPolicy_WAIT_POLICY_SKIP_LOCKED
	b := newTestTxn(t, s, 2, "other", 1)
	br, err := b.send(ctx, kvpb.NewScan([]byte("a"), []byte("z"), 0).WithLocking(kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE).WithWaitPolicy(skip))
	require.NoError(t, err)
	var got []string
	for _, kv := range br.GetResponses()[0].GetScan().GetRows() {
		got = append(got, string(kv.GetKey()))
	}
	require.Equal(t, []string{"j", "l"}, got, "k (locked) and m (intent) are skipped")
	require.True(t, locks.Unreplicated([]byte("j"), b.txn.ID()))
	require.True(t, locks.Unreplicated([]byte("l"), b.txn.ID()))
	require.Zero(t, locks.Waiters([]byte("k")))

	// A third txn skips b's new locks too; Get of a locked key is "not
	// found", of a free one returns it.
	require.NoError(t, c.Put(ctx, "n", "vn"))
	c3 := newTestTxn(t, s, 3, "third", 1)
	br, err = c3.send(ctx, kvpb.NewScan([]byte("a"), []byte("n"), 1).WithLocking(kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE).WithWaitPolicy(skip))
	require.NoError(t, err)
	require.Empty(t, br.GetResponses()[0].GetScan().GetRows(), "every row is locked")
	br, err = c3.send(ctx, lockingGet("j").WithWaitPolicy(skip))
	require.NoError(t, err)
	require.False(t, br.GetResponses()[0].GetGet().GetFound())
	br, err = c3.send(ctx, lockingGet("n").WithWaitPolicy(skip))
	require.NoError(t, err)
	require.True(t, br.GetResponses()[0].GetGet().GetFound())

	// Mixed batches are refused.
	_, err = c3.send(ctx, lockingGet("n").WithWaitPolicy(skip), kvpb.NewGet([]byte("j")))
	var ire *kvpb.InvalidRequestError
	require.Truef(t, errors.As(err, &ire), "want InvalidRequestError, got %v", err)
}

// TestLockingReadNoWaitFinishedHolder: a NOWAIT read that meets the intent
// of a txn that has already committed (its record says so; the intent is
// not resolved yet) resolves it and reads the committed value instead of
// failing with LockNotAvailableError; a live holder still fails it.
func TestLockingReadNoWaitFinishedHolder(t *testing.T) {
	c, ctx, s := oneStore(t)
	require.NoError(t, c.Put(ctx, "warm", "up"))
	a := newTestTxn(t, s, 1, "k", 1)
	require.NoError(t, a.put(ctx, "k", "a"))
	// A record (heartbeat), then a commit with no lock spans: the record
	// is COMMITTED, the intent on k stays unresolved (as while a commit's
	// asynchronous resolution of remote intents runs).
	_, err := a.send(ctx, kvpb.NewHeartbeatTxn([]byte("k"), s.Clock().Now()))
	require.NoError(t, err)
	_, err = a.send(ctx, kvpb.NewEndTxn([]byte("k"), true, nil))
	require.NoError(t, err)
	_, _, err = storage.MVCCGet(c.Nodes[0].Engine(), []byte("k"), s.Clock().Now(), storage.MVCCReadOptions{})
	var lce *storage.LockConflictError
	require.Truef(t, errors.As(err, &lce), "the intent is still there: %v", err)

	noWait := kvpb.KeyWaitPolicy_WAIT_POLICY_ERROR
	b := newTestTxn(t, s, 2, "other", 1)
	br, err := b.send(ctx, lockingGet("k").WithWaitPolicy(noWait))
	require.NoError(t, err, "the holder has committed")
	require.Equal(t, "a", string(br.GetResponses()[0].GetGet().GetValue()))

	// A live holder's intent still fails NOWAIT.
	d := newTestTxn(t, s, 3, "m", 1)
	require.NoError(t, d.put(ctx, "m", "d"))
	e := newTestTxn(t, s, 4, "other2", 1)
	_, err = e.send(ctx, lockingGet("m").WithWaitPolicy(noWait))
	var lna *kvpb.LockNotAvailableError
	require.Truef(t, errors.As(err, &lna), "want LockNotAvailableError, got %v", err)
}
