package txntest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/batcheval"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestDeadlock: n transactions each lock one key (on different ranges),
// then each writes the next one's key: a cycle of waits. The deadlock
// detector must abort exactly one within a bounded time; the others then
// commit.
func TestDeadlock(t *testing.T) {
	c := startCluster(t, "b/", "c/")
	db := newDB(t, c)
	ctx := ctxT(t, 2*time.Minute)
	for _, n := range []int{2, 3} {
		keys := [][]byte{key("a", 100+n), key("b", 100+n), key("c", 100+n)}[:n]
		txns := make([]*kvclient.Txn, n)
		for i := range txns {
			txns[i] = db.NewTxn(ctx)
			require.NoError(t, txns[i].Put(ctx, keys[i], []byte("mine")))
		}
		start := time.Now()
		results := make([]<-chan error, n)
		for i := range txns {
			txn, next := txns[i], keys[(i+1)%n]
			results[i] = async(func() error {
				if err := txn.Put(ctx, next, []byte("yours")); err != nil {
					return err
				}
				return txn.Commit(ctx)
			})
		}
		aborted, committed := 0, 0
		for i := range txns {
			err := waitErr(t, results[i])
			if err != nil {
				require.True(t, kvpb.IsRetryable(err), "n=%d txn %d: want a retryable error, got %v", n, i, err)
				aborted++
				_ = txns[i].Rollback(ctx)
				continue
			}
			committed++
		}
		took := time.Since(start)
		t.Logf("cycle of %d: %d aborted, %d committed in %s", n, aborted, committed, took)
		require.Equal(t, 1, aborted, "exactly one of the cycle gives way")
		require.Equal(t, n-1, committed, "the others proceed")
		require.Less(t, took, 30*time.Second, "broken within a bounded time")
	}
}

// TestCoordinatorDies: a client writes intents on two ranges (so the
// transaction has a record) and dies without committing or rolling back.
// Once the record expires, other transactions abort it, clean up its
// intents, and proceed.
func TestCoordinatorDies(t *testing.T) {
	c := startCluster(t, "b/")
	ctx := ctxT(t, 2*time.Minute)
	doomed := newDB(t, c)
	txn := doomed.NewTxn(ctx)
	require.NoError(t, txn.Put(ctx, key("a", 1), []byte("orphan")))
	require.NoError(t, txn.Put(ctx, key("b", 1), []byte("orphan")))
	// "Crash":
	// Close stops heartbeats and abandons the transaction.
	doomed.Close()

	db := newDB(t, c)
	start := time.Now()
	require.NoError(t, db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
		for _, k := range [][]byte{key("a", 1), key("b", 1)} {
			_, ok, err := txn.Get(ctx, k)
			if err != nil {
				return err
			}
			if ok {
				t.Errorf("%s: saw the orphan's write", k)
			}
		}
		return txn.Put(ctx, key("a", 1), []byte("alive"))
	}))
	t.Logf("proceeded after %s", time.Since(start))
	v, ok, err := db.Get(ctx, key("a", 1))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "alive", string(v))
	// The other intent is gone (resolved as aborted), not just skipped.
	_, ok, err = db.Get(ctx, key("b", 1))
	require.NoError(t, err)
	require.False(t, ok)
}

// TestDeadlockAcrossLeaseTransfer: txn first waits for second in the txn
// wait queue of the range's leaseholder; the lease then moves and second
// waits for first at the new leaseholder. The deadlock detector learns the
// edges of a cycle from QueryTxn at the leaseholder, so first's push must
// follow the lease: left waiting in the old leaseholder's queue, the edge
// first→second is invisible to second's queries. first is the lesser txn
// (priority, then ID), so first's own queries, which do see the cycle,
// leave breaking it to second's edge: without the move both would wait
// until their deadlines.
func TestDeadlockAcrossLeaseTransfer(t *testing.T) {
	c := startCluster(t, "d/", "e/")
	db := newDB(t, c)
	ctx := ctxT(t, 2*time.Minute)
	first, second := db.NewTxn(ctx), db.NewTxn(ctx)
	kFirst, kSecond := key("d", 1), key("d", 2)
	require.NoError(t, first.Put(ctx, kFirst, []byte("first")))
	require.NoError(t, second.Put(ctx, kSecond, []byte("second")))
	if batcheval.TxnLess(second.Proto().GetMeta(), first.Proto().GetMeta()) {
		first, second = second, first
		kFirst, kSecond = kSecond, kFirst
	}

	// The range [d/, e/) and its leaseholder.
	var entry *kvpb.RangeListEntry
	c.WaitFor(30*time.Second, "a leaseholder for d/", func() error {
		rs, err := c.Ranges(ctx, 0)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if string(r.GetDesc().GetStartKey()) == "d/" && r.GetLeaseholder() != nil {
				entry = r
				return nil
			}
		}
		return fmt.Errorf("no leaseholder for d/ yet")
	})
	rangeID := kvpb.RangeID(entry.GetDesc().GetRangeId())
	nodeIdx := func(id uint64) int {
		for i := 0; i < 3; i++ {
			if uint64(c.NodeID(i)) == id {
				return i
			}
		}
		t.Fatalf("no node n%d", id)
		return -1
	}
	old := nodeIdx(entry.GetLeaseholder().GetNodeId())
	waiting := func(i int) int {
		r, ok := c.Server(i).Store().GetReplica(rangeID)
		if !ok {
			return 0
		}
		return r.WaitingPushes()
	}

	start := time.Now()
	resFirst := async(func() error {
		if err := first.Put(ctx, kSecond, []byte("first")); err != nil {
			return err
		}
		return first.Commit(ctx)
	})
	c.WaitFor(30*time.Second, "first's push waits at the leaseholder", func() error {
		if n := waiting(old); n != 1 {
			return fmt.Errorf("%d pushes waiting at n%d", n, c.NodeID(old))
		}
		return nil
	})
	var to *kvpb.ReplicaDescriptor
	for _, rd := range entry.GetDesc().GetReplicas() {
		if rd.GetNodeId() != entry.GetLeaseholder().GetNodeId() {
			to = rd
			break
		}
	}
	require.NotNil(t, to)
	_, err := c.Admin(0).TransferLease(ctx, &kvpb.TransferLeaseRequest{RangeId: uint64(rangeID),
		Target: &kvpb.ReplicaTarget{NodeId: to.GetNodeId(), StoreId: to.GetStoreId()}})
	require.NoError(t, err)
	resSecond := async(func() error {
		if err := second.Put(ctx, kFirst, []byte("second")); err != nil {
			return err
		}
		return second.Commit(ctx)
	})

	errFirst, errSecond := waitErr(t, resFirst), waitErr(t, resSecond)
	took := time.Since(start)
	t.Logf("broken in %s: first=%v second=%v", took, errFirst, errSecond)
	require.True(t, (errFirst == nil) != (errSecond == nil), "exactly one gives way: first=%v second=%v", errFirst, errSecond)
	for _, err := range []error{errFirst, errSecond} {
		if err != nil {
			require.True(t, kvpb.IsRetryable(err), "the loser fails retryably: %v", err)
		}
	}
	require.Less(t, took, 30*time.Second, "broken within a bounded time")
	require.Equal(t, 0, waiting(old), "no push left waiting at the old leaseholder")
}
