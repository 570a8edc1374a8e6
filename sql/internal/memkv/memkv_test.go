package memkv

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/kvtxn"
)

func TestConflictsAreRetryable(t *testing.T) {
	ctx := context.Background()
	db := New()
	t1, t2 := db.NewTxn(ctx), db.NewTxn(ctx)
	_, _, err := t1.Get(ctx, []byte("a"))
	require.NoError(t, err)
	require.NoError(t, t2.Put(ctx, []byte("a"), []byte("2")))
	require.NoError(t, t2.Commit(ctx))
	require.NoError(t, t1.Put(ctx, []byte("b"), []byte("1")))
	err = t1.Commit(ctx)
	require.True(t, kvtxn.IsRetryable(err), "%v", err)

	// Scans see own writes, in order, and conflict on their span.
	t3, t4 := db.NewTxn(ctx), db.NewTxn(ctx)
	require.NoError(t, t3.Put(ctx, []byte("c"), []byte("3")))
	kvs, err := t3.Scan(ctx, []byte("a"), []byte("z"), 0)
	require.NoError(t, err)
	require.Len(t, kvs, 2)
	require.Equal(t, "a", string(kvs[0].Key))
	require.Equal(t, "c", string(kvs[1].Key))
	require.NoError(t, t4.Put(ctx, []byte("b2"), []byte("x")))
	require.NoError(t, t4.Commit(ctx))
	require.True(t, kvtxn.IsRetryable(t3.Commit(ctx)))

	t5 := db.NewTxn(ctx)
	require.NoError(t, t5.CPut(ctx, []byte("n"), []byte("1"), nil))
	require.True(t, kvtxn.IsConditionFailed(t5.CPut(ctx, []byte("n"), []byte("1"), nil)))
	require.NoError(t, t5.Commit(ctx))
	require.Equal(t, ErrDone, t5.Put(ctx, []byte("x"), nil))
}
