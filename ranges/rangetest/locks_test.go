package rangetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// lockTxn is a bare transaction for the lock tests, sent through the
// cluster's leaseholder-following client.
type lockTxn struct {
	c     *Cluster
	txn   *kvpb.Transaction
	spans []*kvpb.Span
}

func newLockTxn(c *Cluster, id byte, anchor string) *lockTxn {
	now := c.Clock().Now()
	tid := make([]byte, kvpb.TxnIDLen)
	tid[0] = id
	return &lockTxn{c: c, txn: &kvpb.Transaction{
		Meta:                   &kvpb.TxnMeta{Id: tid, Key: []byte(anchor), WriteTimestamp: kvpb.TS(now), MinTimestamp: kvpb.TS(now), Priority: 1},
		ReadTimestamp:          kvpb.TS(now),
		GlobalUncertaintyLimit: kvpb.TS(now.AddDuration(int64(c.Clock().MaxOffset()))),
	}}
}

func (x *lockTxn) send(ctx context.Context, reqs ...*kvpb.RequestUnion) (*kvpb.BatchResponse, error) {
	x.txn.Meta.Sequence++
	br, err := x.c.Send(ctx, &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: 1, Txn: x.txn.Clone()}, Requests: reqs})
	if err != nil {
		return nil, err
	}
	x.txn = br.GetTxn()
	return br, nil
}

// lockingGet reads k with a locking read of strength str and records its
// span for EndTxn.
func (x *lockTxn) lockingGet(ctx context.Context, k string, str kvpb.KeyLocking) error {
	_, err := x.send(ctx, kvpb.NewGet([]byte(k)).WithLocking(str))
	if err == nil {
		x.spans = append(x.spans, &kvpb.Span{Key: []byte(k)})
	}
	return err
}

func (x *lockTxn) end(ctx context.Context, commit bool) error {
	_, err := x.send(ctx, kvpb.NewEndTxn(x.txn.GetMeta().GetKey(), commit, x.spans))
	return err
}

func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestUnreplicatedLocksSurviveLeaseTransfer: a locking read's lock moves
// with a cooperative lease transfer; another txn's locking read on the
// new leaseholder waits for the holder instead of proceeding, and the old
// holder's table is emptied.
func TestUnreplicatedLocksSurviveLeaseTransfer(t *testing.T) {
	c := New(t, Config{Nodes: 3})
	ctx := ctxFor(t, 30*time.Second)
	require.NoError(t, c.Put(ctx, "k", "v0"))
	lh := mustLH(t, ctx, c)
	a := newLockTxn(c, 1, "a")
	require.NoError(t, a.lockingGet(ctx, "k", kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE))
	r, ok := lh.Store().GetReplica(1)
	require.True(t, ok)
	require.True(t, r.Locks().Unreplicated([]byte("k"), a.txn.ID()))

	target := c.Nodes[nodeIndex(c, lh)%3]
	_, err := lh.Store().TransferLease(ctx, 1, &kvpb.ReplicaTarget{NodeId: uint64(target.ID), StoreId: uint64(target.StoreID)})
	require.NoError(t, err)
	require.Equal(t, 0, r.Locks().Len(), "the old holder kept its locks")
	nr, ok := target.Store().GetReplica(1)
	require.True(t, ok)
	locks := nr.Locks()
	// (TransferLease returns once the lease applied on the old holder.)
	waitCond(t, "a's lock at the new leaseholder", func() bool { return locks.Unreplicated([]byte("k"), a.txn.ID()) })

	b := newLockTxn(c, 2, "b")
	done := make(chan error, 1)
	go func() { done <- b.lockingGet(ctx, "k", kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE) }()
	waitCond(t, "b to queue on a's lock at the new leaseholder", func() bool { return locks.Waiters([]byte("k")) == 1 })
	select {
	case err := <-done:
		t.Fatalf("b's locking read did not wait for a: %v", err)
	default:
	}
	require.NoError(t, a.end(ctx, false)) // (a commit would have to refresh above the new lease start)
	require.NoError(t, <-done)
	require.True(t, locks.Unreplicated([]byte("k"), b.txn.ID()))
	require.NoError(t, b.end(ctx, true))
}

// TestSharedLocks: two txns take shared locks on one key without waiting
// (also across a lease transfer, which carries both); a third txn's
// write waits for both holders, one after the other.
func TestSharedLocks(t *testing.T) {
	c := New(t, Config{Nodes: 3})
	ctx := ctxFor(t, 30*time.Second)
	require.NoError(t, c.Put(ctx, "k", "v0"))
	lh := mustLH(t, ctx, c)
	a, b := newLockTxn(c, 1, "a"), newLockTxn(c, 2, "b")
	require.NoError(t, a.lockingGet(ctx, "k", kvpb.KeyLocking_KEY_LOCKING_SHARED))
	require.NoError(t, b.lockingGet(ctx, "k", kvpb.KeyLocking_KEY_LOCKING_SHARED), "b waited for a's shared lock")
	r, ok := lh.Store().GetReplica(1)
	require.True(t, ok)
	require.True(t, r.Locks().Shared([]byte("k"), a.txn.ID()))
	require.True(t, r.Locks().Shared([]byte("k"), b.txn.ID()))

	target := c.Nodes[nodeIndex(c, lh)%3]
	_, err := lh.Store().TransferLease(ctx, 1, &kvpb.ReplicaTarget{NodeId: uint64(target.ID), StoreId: uint64(target.StoreID)})
	require.NoError(t, err)
	nr, ok := target.Store().GetReplica(1)
	require.True(t, ok)
	locks := nr.Locks()
	waitCond(t, "both shared locks at the new leaseholder", func() bool {
		return locks.Shared([]byte("k"), a.txn.ID()) && locks.Shared([]byte("k"), b.txn.ID())
	})

	w := newLockTxn(c, 3, "w")
	done := make(chan error, 1)
	go func() {
		_, err := w.send(ctx, kvpb.NewPut([]byte("k"), []byte("w")))
		done <- err
	}()
	notDone := func(what string) {
		t.Helper()
		select {
		case err := <-done:
			t.Fatalf("the write did not wait for %s: %v", what, err)
		default:
		}
	}
	waitCond(t, "the write to queue on a shared lock", func() bool { return locks.Waiters([]byte("k")) == 1 })
	notDone("the shared holders")
	require.NoError(t, a.end(ctx, false))
	waitCond(t, "a's lock to go and the write to queue on b's", func() bool {
		return !locks.Shared([]byte("k"), a.txn.ID()) && locks.Waiters([]byte("k")) == 1
	})
	notDone("b")
	require.NoError(t, b.end(ctx, false))
	require.NoError(t, <-done)
	w.spans = append(w.spans, &kvpb.Span{Key: []byte("k")})
	require.NoError(t, w.end(ctx, false))
}
