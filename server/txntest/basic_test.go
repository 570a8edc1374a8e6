package txntest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestTxnBasics: a transaction over three ranges reads its own writes,
// is invisible until it commits, and a rolled back one leaves nothing.
func TestTxnBasics(t *testing.T) {
	c := startCluster(t, "b/", "c/")
	db := newDB(t, c)
	ctx := ctxT(t, 60*time.Second)

	txn := db.NewTxn(ctx)
	for _, p := range []string{"a", "b", "c"} {
		require.NoError(t, txn.Put(ctx, key(p, 1), []byte("v-"+p)))
	}
	v, ok, err := txn.Get(ctx, key("b", 1))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "v-b", string(v))
	rows, err := txn.Scan(ctx, []byte("a"), []byte("d"), 0)
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.NoError(t, txn.Commit(ctx))

	rows, err = db.Scan(ctx, []byte("a"), []byte("d"), 0)
	require.NoError(t, err)
	require.Len(t, rows, 3)

	// Rollback: nothing stays.
	txn = db.NewTxn(ctx)
	require.NoError(t, txn.Put(ctx, key("a", 2), []byte("x")))
	require.NoError(t, txn.Put(ctx, key("c", 2), []byte("x")))
	require.NoError(t, txn.Rollback(ctx))
	_, ok, err = db.Get(ctx, key("a", 2))
	require.NoError(t, err)
	require.False(t, ok)
	_, ok, err = db.Get(ctx, key("c", 2))
	require.NoError(t, err)
	require.False(t, ok)

	// db.Txn: increments on two ranges, with a 1PC one-range batch.
	for i := 0; i < 5; i++ {
		require.NoError(t, db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
			if _, err := txn.Inc(ctx, key("a", 9), 1); err != nil {
				return err
			}
			_, err := txn.Inc(ctx, key("c", 9), 1)
			return err
		}))
	}
	require.NoError(t, db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
		b := txn.NewBatch()
		b.Put(key("b", 3), []byte("one"))
		b.Put(key("b", 4), []byte("phase"))
		return txn.CommitInBatch(ctx, b)
	}))
	n, err := db.Inc(ctx, key("c", 9), 0)
	require.NoError(t, err)
	require.EqualValues(t, 5, n)

	// CPut failure is not retryable and the txn can go on.
	err = db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
		err := txn.CPut(ctx, key("b", 3), []byte("z"), []byte("wrong"))
		var cf *kvpb.ConditionFailedError
		require.ErrorAs(t, err, &cf)
		require.False(t, kvpb.IsRetryable(err))
		return txn.Put(ctx, key("b", 5), []byte("after"))
	})
	require.NoError(t, err)
	v, ok, err = db.Get(ctx, key("b", 5))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "after", string(v))
}

// TestSavepointsAndHistoricalReads: writes after a savepoint are undone
// by rolling back to it (the earlier ones commit); a transaction with a
// fixed past timestamp reads the state as of then and cannot write.
func TestSavepointsAndHistoricalReads(t *testing.T) {
	c := startCluster(t, "b/")
	db := newDB(t, c)
	ctx := ctxT(t, time.Minute)

	require.NoError(t, db.Put(ctx, key("a", 1), []byte("old")))
	before := db.Clock().Now()
	require.NoError(t, db.Put(ctx, key("a", 1), []byte("new")))

	txn := db.NewTxn(ctx)
	require.NoError(t, txn.Put(ctx, key("a", 2), []byte("kept")))
	sp, err := txn.CreateSavepoint(ctx)
	require.NoError(t, err)
	require.NoError(t, txn.Put(ctx, key("b", 2), []byte("undone")))
	require.NoError(t, txn.Put(ctx, key("a", 2), []byte("undone too")))
	require.NoError(t, txn.RollbackToSavepoint(ctx, sp))
	require.NoError(t, txn.ReleaseSavepoint(ctx, sp))
	require.NoError(t, txn.Commit(ctx))
	v, ok, err := db.Get(ctx, key("a", 2))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "kept", string(v))
	_, ok, err = db.Get(ctx, key("b", 2))
	require.NoError(t, err)
	require.False(t, ok, "write after the savepoint was rolled back")

	hist := db.NewTxn(ctx)
	require.NoError(t, hist.SetFixedTimestamp(before))
	v, ok, err = hist.Get(ctx, key("a", 1))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "old", string(v))
	require.Equal(t, before, hist.ReadTimestamp())
	require.Error(t, hist.Put(ctx, key("a", 1), []byte("x")), "historical txns are read-only")
	require.NoError(t, hist.Commit(ctx))

	future := db.NewTxn(ctx)
	require.Error(t, future.SetFixedTimestamp(db.Clock().Now().AddDuration(int64(time.Hour))))
	require.NoError(t, future.Rollback(ctx))
}

// TestCommitWithGuard: an asserting read sent with the commit (the SQL
// layer's schema generation guard) lets the commit through when it finds
// the expected value, on the writes' range or on another one (then the
// read goes first and the writes still commit together), and otherwise
// fails the commit with a ConditionFailedError on its key, nothing
// written.
func TestCommitWithGuard(t *testing.T) {
	c := startCluster(t, "b/", "c/")
	db := newDB(t, c)
	ctx := ctxT(t, 60*time.Second)
	require.NoError(t, db.Put(ctx, key("a", 1), []byte("g1")))
	require.NoError(t, db.Put(ctx, key("b", 1), []byte("g1")))
	for i, guard := range [][]byte{key("b", 1), key("a", 1)} { // same range, other range
		for _, ok := range []bool{true, false} {
			exp := []byte("g1")
			if !ok {
				exp = []byte("g0")
			}
			w1, w2 := key("b", 10+4*i+2*btoi(ok)), key("b", 11+4*i+2*btoi(ok))
			txn := db.NewTxn(ctx)
			b := txn.NewBatch()
			b.AssertValue(guard, exp)
			b.Put(w1, []byte("x"))
			b.CPut(w2, []byte("y"), nil)
			err := txn.CommitInBatch(ctx, b)
			if ok {
				require.NoError(t, err, "guard %s", guard)
			} else {
				var cfe *kvpb.ConditionFailedError
				require.ErrorAs(t, err, &cfe, "guard %s", guard)
				require.Equal(t, guard, cfe.GetKey())
				require.Equal(t, "g1", string(cfe.GetActualValue()))
				_ = txn.Rollback(ctx)
			}
			for _, w := range [][]byte{w1, w2} {
				_, found, err := db.Get(ctx, w)
				require.NoError(t, err)
				require.Equal(t, ok, found, "guard %s ok=%v key %s", guard, ok, w)
			}
		}
	}
	// Absence as the expected value.
	txn := db.NewTxn(ctx)
	b := txn.NewBatch()
	b.AssertValue(key("a", 99), nil)
	b.Put(key("b", 99), []byte("z"))
	require.NoError(t, txn.CommitInBatch(ctx, b))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The end of the context a manual txn was made with rolls it back: a txn
// that wrote is cleaned up in the background (its intent stops blocking
// others), one that only read is finalized, so that any later operation
// or commit fails rather than running in a txn its owner abandoned. The
// background rollback is registered at the first write only
// (kvclient.Txn.watch), so both cases are covered here.
func TestTxnContextEndRollsBack(t *testing.T) {
	c := startCluster(t)
	db := newDB(t, c)
	ctx := ctxT(t, 60*time.Second)

	// Reads only, then the txn's context ends.
	tctx, cancel := context.WithCancel(ctx)
	txn := db.NewTxn(tctx)
	_, _, err := txn.Get(ctx, key("r", 1))
	require.NoError(t, err)
	cancel()
	_, _, err = txn.Get(ctx, key("r", 1))
	require.Error(t, err, "a read after the txn's context ended")
	require.Error(t, txn.Commit(ctx), "a commit after the txn's context ended")

	// Reads, then a write after the context ended: refused, nothing written.
	tctx, cancel = context.WithCancel(ctx)
	txn = db.NewTxn(tctx)
	_, _, err = txn.Get(ctx, key("r", 2))
	require.NoError(t, err)
	cancel()
	require.Error(t, txn.Put(ctx, key("r", 2), []byte("x")))
	_, ok, err := db.Get(ctx, key("r", 2))
	require.NoError(t, err)
	require.False(t, ok)

	// A write, then the context ends: the intent is rolled back in the
	// background, so a reader neither blocks nor sees it.
	tctx, cancel = context.WithCancel(ctx)
	txn = db.NewTxn(tctx)
	_, _, err = txn.Get(ctx, key("w", 1))
	require.NoError(t, err)
	require.NoError(t, txn.Put(ctx, key("w", 1), []byte("abandoned")))
	cancel()
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()
	_, ok, err = db.Get(rctx, key("w", 1))
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, db.Put(rctx, key("w", 1), []byte("mine")))
	require.Error(t, txn.Commit(ctx))
	v, ok, err := db.Get(ctx, key("w", 1))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "mine", string(v))

	// A context that never ends leaves a read-only txn usable to commit.
	txn = db.NewTxn(ctx)
	_, _, err = txn.Get(ctx, key("r", 3))
	require.NoError(t, err)
	require.NoError(t, txn.Commit(ctx))
}
