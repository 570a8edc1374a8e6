package txntest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/batcheval"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestFailedCommitReleasesLocks: a manual transaction whose Commit fails
// with a retryable error (its refresh fails) is over: it is aborted at
// once and its intents stop blocking others, without the caller rolling
// it back (the SQL session dropped such a transaction after a failed
// COMMIT; its heartbeats kept it alive and every later writer of its keys
// waited until its deadline). The writer that follows gets less time than
// TxnLivenessThreshold, so it cannot succeed by the record expiring.
func TestFailedCommitReleasesLocks(t *testing.T) {
	c := startCluster(t)
	db := newDB(t, c)
	ctx := ctxT(t, 60*time.Second)
	k0, k1 := key("cf", 0), key("cf", 1)
	require.NoError(t, db.Put(ctx, k0, []byte("v0")))

	t1 := db.NewTxn(ctx)
	_, _, err := t1.Get(ctx, k0)
	require.NoError(t, err)
	require.NoError(t, t1.Put(ctx, k1, []byte("t1")))
	// Another write of what t1 read, then a read that pushes t1's
	// timestamp above it: t1 must refresh its read of k0, which fails.
	require.NoError(t, db.Put(ctx, k0, []byte("other")))
	reader := db.NewTxn(ctx)
	_, found, err := reader.Get(ctx, k1)
	require.NoError(t, err)
	require.False(t, found)
	require.NoError(t, reader.Commit(ctx))
	err = t1.Commit(ctx)
	require.Error(t, err)
	require.True(t, kvpb.IsRetryable(err), "commit error %v", err)
	require.Equal(t, kvpb.TransactionStatus_ABORTED, t1.Proto().GetStatus())

	wctx, cancel := context.WithTimeout(ctx, batcheval.TxnLivenessThreshold*3/5)
	defer cancel()
	t2 := db.NewTxn(wctx)
	require.NoError(t, t2.Put(wctx, k1, []byte("t2")))
	require.NoError(t, t2.Commit(wctx))
	v, found, err := db.Get(ctx, k1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "t2", string(v))
	require.NoError(t, t1.Rollback(ctx), "rolling back the finished txn is a no-op")
}
