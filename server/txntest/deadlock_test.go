package txntest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
