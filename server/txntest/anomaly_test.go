package txntest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// One test per anomaly that serializability forbids (after CockroachDB's
// txncorrectnesstest): each runs the interleaving that produces it under
// weaker isolation and asserts that one transaction fails with a
// retryable error, or that the outcome is that of a serial order. The
// keys of each case live on different ranges ("a/" and "b/" are split).

func async(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

func waitErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("operation blocked for 60s")
		return nil
	}
}

func itoa(n int64) []byte { return []byte(strconv.FormatInt(n, 10)) }

func atoi(t *testing.T, v []byte, ok bool) int64 {
	t.Helper()
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	require.NoError(t, err)
	return n
}

func get(t *testing.T, ctx context.Context, txn *kvclient.Txn, k []byte) (int64, error) {
	v, ok, err := txn.Get(ctx, k)
	if err != nil {
		return 0, err
	}
	return atoi(t, v, ok), nil
}

// retryOrNil asserts err is nil or retryable, and reports whether it
// failed.
func retryOrNil(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		require.True(t, kvpb.IsRetryable(err), "want a retryable error, got %v", err)
		return true
	}
	return false
}

func TestAnomalies(t *testing.T) {
	c := startCluster(t, "b/", "c/")
	db := newDB(t, c)
	ctx := ctxT(t, 3*time.Minute)
	n := 0
	fresh := func() ([]byte, []byte) { // x on range a/, y on range b/
		n++
		return key("a", n), key("b", n)
	}

	t.Run("write skew", func(t *testing.T) {
		// Constraint x + y >= 1; each txn takes one off if the sum allows.
		x, y := fresh()
		require.NoError(t, db.Put(ctx, x, itoa(1)))
		require.NoError(t, db.Put(ctx, y, itoa(1)))
		t1, t2 := db.NewTxn(ctx), db.NewTxn(ctx)
		for _, txn := range []*kvclient.Txn{t1, t2} {
			a, err := get(t, ctx, txn, x)
			require.NoError(t, err)
			b, err := get(t, ctx, txn, y)
			require.NoError(t, err)
			require.EqualValues(t, 2, a+b)
		}
		require.NoError(t, t1.Put(ctx, x, itoa(0)))
		require.NoError(t, t2.Put(ctx, y, itoa(0)))
		e1 := t1.Commit(ctx)
		e2 := t2.Commit(ctx)
		failed1, failed2 := retryOrNil(t, e1), retryOrNil(t, e2)
		require.True(t, failed1 || failed2, "both committed: write skew")
		if failed1 {
			_ = t1.Rollback(ctx)
		}
		if failed2 {
			_ = t2.Rollback(ctx)
		}
	})

	t.Run("lost update", func(t *testing.T) {
		x, _ := fresh()
		require.NoError(t, db.Put(ctx, x, itoa(0)))
		t1, t2 := db.NewTxn(ctx), db.NewTxn(ctx)
		r1, err := get(t, ctx, t1, x)
		require.NoError(t, err)
		r2, err := get(t, ctx, t2, x)
		require.NoError(t, err)
		require.NoError(t, t1.Put(ctx, x, itoa(r1+1)))
		// t2's write waits for t1's intent.
		w2 := async(func() error { return t2.Put(ctx, x, itoa(r2+1)) })
		require.NoError(t, t1.Commit(ctx))
		err = waitErr(t, w2)
		if err == nil {
			err = t2.Commit(ctx)
		}
		if !retryOrNil(t, err) {
			t.Fatal("both increments committed from the same read: lost update")
		}
		_ = t2.Rollback(ctx)
		v, ok, err := db.Get(ctx, x)
		require.NoError(t, err)
		require.EqualValues(t, 1, atoi(t, v, ok))
	})

	t.Run("read skew", func(t *testing.T) {
		x, y := fresh()
		require.NoError(t, db.Put(ctx, x, itoa(50)))
		require.NoError(t, db.Put(ctx, y, itoa(50)))
		t1 := db.NewTxn(ctx)
		a, err := get(t, ctx, t1, x)
		require.NoError(t, err)
		require.NoError(t, db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
			b := txn.NewBatch()
			b.Put(x, itoa(25))
			b.Put(y, itoa(75))
			return txn.Run(ctx, b)
		}))
		b, err := get(t, ctx, t1, y)
		if err == nil {
			err = t1.Commit(ctx)
		}
		if !retryOrNil(t, err) {
			require.EqualValues(t, 100, a+b, "read skew: x=%d y=%d", a, b)
		} else {
			_ = t1.Rollback(ctx)
		}
	})

	t.Run("dirty read", func(t *testing.T) {
		x, _ := fresh()
		require.NoError(t, db.Put(ctx, x, itoa(1)))
		t1 := db.NewTxn(ctx)
		require.NoError(t, t1.Put(ctx, x, itoa(666)))
		var seen int64
		r := async(func() error {
			return db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
				v, err := get(t, ctx, txn, x)
				seen = v
				return err
			})
		})
		// Give the reader time to meet the intent; whatever it does (wait
		// or push the writer above it), it must not see 666.
		select {
		case err := <-r:
			require.NoError(t, err)
			require.EqualValues(t, 1, seen)
			require.NoError(t, t1.Rollback(ctx))
		case <-time.After(200 * time.Millisecond):
			require.NoError(t, t1.Rollback(ctx))
			require.NoError(t, waitErr(t, r))
			require.EqualValues(t, 1, seen, "read an uncommitted value")
		}
	})

	t.Run("G2 anti-dependency cycle", func(t *testing.T) {
		// Each txn inserts into [p, p') only if it is empty: phantoms.
		// [a/~g2, b/!) crosses the b/ split and holds no other keys.
		lo, hi := []byte("a/~g2"), []byte("b/!")
		t1, t2 := db.NewTxn(ctx), db.NewTxn(ctx)
		for _, txn := range []*kvclient.Txn{t1, t2} {
			rows, err := txn.Scan(ctx, lo, hi, 0)
			require.NoError(t, err)
			require.Empty(t, rows)
		}
		require.NoError(t, t1.Put(ctx, []byte("a/~g2-t1"), []byte("t1")))
		require.NoError(t, t2.Put(ctx, []byte("b/ t2"), []byte("t2")))
		e1, e2 := t1.Commit(ctx), t2.Commit(ctx)
		f1, f2 := retryOrNil(t, e1), retryOrNil(t, e2)
		require.True(t, f1 || f2, "both inserted into a range each saw empty: G2")
		for _, p := range []struct {
			f   bool
			txn *kvclient.Txn
		}{{f1, t1}, {f2, t2}} {
			if p.f {
				_ = p.txn.Rollback(ctx)
			}
		}
	})

	t.Run("long fork", func(t *testing.T) {
		// Two independent writers; two readers reading both keys in
		// opposite orders must not disagree on the order of the writes.
		for round := 0; round < 10; round++ {
			x, y := fresh()
			require.NoError(t, db.Put(ctx, x, itoa(0)))
			require.NoError(t, db.Put(ctx, y, itoa(0)))
			var wg sync.WaitGroup
			var obs [2][2]int64
			errs := make(chan error, 4)
			for i, k := range [][]byte{x, y} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error { return txn.Put(ctx, k, itoa(1)) })
				}()
				order := [][]byte{x, y}
				if i == 1 {
					order = [][]byte{y, x}
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
						for j, k := range order {
							v, err := get(t, ctx, txn, k)
							if err != nil {
								return err
							}
							obs[i][j] = v
						}
						return nil
					})
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			// Reader 0 saw (x, y), reader 1 saw (y, x).
			fork := obs[0][0] == 1 && obs[0][1] == 0 && obs[1][0] == 1 && obs[1][1] == 0
			require.False(t, fork, fmt.Sprintf("long fork in round %d: %v", round, obs))
		}
	})
}
