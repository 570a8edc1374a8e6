package server_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/server/servertest"
)

// lockWaiters is the number of requests queued on lock tables anywhere.
func lockWaiters(c *servertest.Cluster, nodes int) int {
	n := 0
	for i := 0; i < nodes; i++ {
		n += c.Server(i).Store().LockWaiters()
	}
	return n
}

// lockingCluster starts a cluster of nodes with SQL, opens conns
// connections (connection i to node i%nodes, closed at cleanup) and
// creates table t (k INT PRIMARY KEY, v INT NOT NULL) filled by insert.
func lockingCluster(t *testing.T, nodes, conns int, timeout time.Duration, insert string) (*servertest.Cluster, context.Context, []*pgx.Conn) {
	c := servertest.Start(t, servertest.Config{Nodes: nodes, SQL: true})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	cns := make([]*pgx.Conn, conns)
	for i := range cns {
		cn, err := pgx.Connect(ctx, c.SQLURL(i%nodes))
		require.NoError(t, err)
		t.Cleanup(func() { cn.Close(context.Background()) })
		cns[i] = cn
	}
	for _, q := range []string{"CREATE TABLE t (k INT PRIMARY KEY, v INT NOT NULL)", insert} {
		_, err := cns[0].Exec(ctx, q)
		require.NoError(t, err, q)
	}
	return c, ctx, cns
}

// TestSQLSelectForUpdateBlocks: T2's SELECT ... FOR UPDATE of a row T1
// locked waits until T1 commits, then sees T1's write; plain reads are not
// blocked.
func TestSQLSelectForUpdateBlocks(t *testing.T) {
	const nodes = 1
	c, ctx, cns := lockingCluster(t, nodes, 3, time.Minute, "INSERT INTO t VALUES (1, 10), (2, 20)")
	c1, c2, c3 := cns[0], cns[1], cns[2]

	_, err := c1.Exec(ctx, "BEGIN")
	require.NoError(t, err)
	var v int
	require.NoError(t, c1.QueryRow(ctx, "SELECT v FROM t WHERE k = 1 FOR UPDATE").Scan(&v))
	require.Equal(t, 10, v)

	type res struct {
		v   int
		err error
	}
	done := make(chan res, 1)
	go func() {
		if _, err := c2.Exec(ctx, "BEGIN"); err != nil {
			done <- res{err: err}
			return
		}
		var v int
		err := c2.QueryRow(ctx, "SELECT v FROM t WHERE k = 1 FOR UPDATE").Scan(&v)
		done <- res{v: v, err: err}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for lockWaiters(c, nodes) == 0 {
		require.True(t, time.Now().Before(deadline), "T2 never queued on T1's lock")
		time.Sleep(time.Millisecond)
	}
	select {
	case r := <-done:
		t.Fatalf("T2's SELECT FOR UPDATE did not wait: %+v", r)
	default:
	}
	// A plain read on another connection is not blocked.
	require.NoError(t, c3.QueryRow(ctx, "SELECT v FROM t WHERE k = 1").Scan(&v))
	require.Equal(t, 10, v)

	_, err = c1.Exec(ctx, "UPDATE t SET v = 11 WHERE k = 1")
	require.NoError(t, err)
	_, err = c1.Exec(ctx, "COMMIT")
	require.NoError(t, err)
	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, 11, r.v, "T2 sees T1's committed write")
	_, err = c2.Exec(ctx, "UPDATE t SET v = v + 1 WHERE k = 1")
	require.NoError(t, err)
	_, err = c2.Exec(ctx, "COMMIT")
	require.NoError(t, err)
	require.NoError(t, c1.QueryRow(ctx, "SELECT v FROM t WHERE k = 1").Scan(&v))
	require.Equal(t, 12, v)
}

// requireSQLState asserts err is a PostgreSQL error with code.
func requireSQLState(t *testing.T, err error, code, what string) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	require.Truef(t, errors.As(err, &pe), "%s: want %s, got %v", what, code, err)
	require.Equal(t, code, pe.Code, "%s: %v", what, err)
	return pe
}

// TestSQLSelectForUpdateNoWait: while T1 holds a row's lock (FOR UPDATE)
// or an intent (UPDATE), T2's SELECT ... FOR UPDATE / FOR SHARE NOWAIT of
// it fails with 55P03 without waiting (T1 is still open when T2 gets the
// error: a waiting T2 would hang until the test's deadline); T2's
// connection is usable after ROLLBACK, NOWAIT of free rows succeeds, and
// once T1 commits the row is lockable with NOWAIT.
func TestSQLSelectForUpdateNoWait(t *testing.T) {
	const nodes = 1
	c, ctx, cns := lockingCluster(t, nodes, 2, time.Minute, "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")
	c1, c2 := cns[0], cns[1]
	var v int
	// No conflict: NOWAIT locks like FOR UPDATE.
	require.NoError(t, c2.QueryRow(ctx, "SELECT v FROM t WHERE k = 1 FOR UPDATE NOWAIT").Scan(&v))
	require.Equal(t, 10, v)

	_, err := c1.Exec(ctx, "BEGIN")
	require.NoError(t, err)
	require.NoError(t, c1.QueryRow(ctx, "SELECT v FROM t WHERE k = 1 FOR UPDATE").Scan(&v))
	_, err = c1.Exec(ctx, "UPDATE t SET v = 21 WHERE k = 2")
	require.NoError(t, err)

	for _, q := range []string{
		"SELECT v FROM t WHERE k = 1 FOR UPDATE NOWAIT", // T1's lock, point read
		"SELECT v FROM t WHERE k = 2 FOR UPDATE NOWAIT", // T1's intent
		"SELECT v FROM t FOR SHARE NOWAIT",              // a scan over both
	} {
		_, err = c2.Exec(ctx, "BEGIN")
		require.NoError(t, err)
		rows, err := c2.Query(ctx, q)
		if err == nil {
			for rows.Next() {
			}
			rows.Close()
			err = rows.Err()
		}
		pe := requireSQLState(t, err, "55P03", q)
		require.Contains(t, pe.Message, `could not obtain lock on row in relation "t"`)
		require.Zero(t, lockWaiters(c, nodes), "%s: a NOWAIT read queued on a lock", q)
		_, err = c2.Exec(ctx, "SELECT 1")
		requireSQLState(t, err, "25P02", "after the NOWAIT failure")
		_, err = c2.Exec(ctx, "ROLLBACK")
		require.NoError(t, err)
	}
	// The connection is usable: a free row locks with NOWAIT.
	_, err = c2.Exec(ctx, "BEGIN")
	require.NoError(t, err)
	require.NoError(t, c2.QueryRow(ctx, "SELECT v FROM t WHERE k = 3 FOR UPDATE NOWAIT").Scan(&v))
	require.Equal(t, 30, v)
	_, err = c2.Exec(ctx, "COMMIT")
	require.NoError(t, err)

	_, err = c1.Exec(ctx, "COMMIT")
	require.NoError(t, err)
	// T1 is done (its intents may still be resolving: NOWAIT resolves
	// those of a finished txn itself rather than failing).
	require.NoError(t, c2.QueryRow(ctx, "SELECT v FROM t WHERE k = 2 FOR UPDATE NOWAIT").Scan(&v), "after T1 committed")
	require.Equal(t, 21, v)
}

// TestSQLSelectForUpdateHotRow: 4 connections each run read-modify-write
// transactions on one row (BEGIN; SELECT ... FOR UPDATE; UPDATE with the
// value read; COMMIT): the locks serialize them and no increment is lost.
// On one node almost no 40001 may reach the clients (at most 3 of the 60
// transactions: a write bumped to the timestamp cache's low water can still
// meet WriteTooOld; without the locks about 60% fail). On three a young cluster
// moves the table's lease; a cooperative transfer carries the locks, so the
// same bound holds (0-1 in 10 runs; 0-3 when the locks were lost with the
// lease). A 40001 is rolled back, retried and counted (logged).
func TestSQLSelectForUpdateHotRow(t *testing.T) {
	for _, nodes := range []int{1, 3} {
		t.Run(fmt.Sprintf("nodes=%d", nodes), func(t *testing.T) {
			if n := hotRowForUpdate(t, nodes); n > 3 {
				t.Fatalf("%d transactions retried after 40001 on %d nodes", n, nodes)
			}
		})
	}
}

func hotRowForUpdate(t *testing.T, nodes int) int64 {
	c := servertest.Start(t, servertest.Config{Nodes: nodes, SQL: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	setup, err := pgx.Connect(ctx, c.SQLURL(0))
	require.NoError(t, err)
	defer setup.Close(context.Background())
	for _, q := range []string{"CREATE TABLE hot (k INT PRIMARY KEY, v INT NOT NULL)", "INSERT INTO hot VALUES (1, 0)"} {
		_, err := setup.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	const clients, txns = 4, 15
	var retries atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cn, err := pgx.Connect(ctx, c.SQLURL(i%nodes))
			if err != nil {
				errs <- err
				return
			}
			defer cn.Close(context.Background())
			for n := 0; n < txns; n++ {
				for tries := 1; ; tries++ {
					err := rmwTxn(ctx, cn)
					if err == nil {
						break
					}
					var pe *pgconn.PgError
					if !errors.As(err, &pe) || pe.Code != "40001" || tries >= 50 {
						errs <- fmt.Errorf("client %d txn %d: %w", i, n, err)
						return
					}
					if retries.Add(1) <= 3 {
						t.Logf("client %d txn %d: retried: %v", i, n, err)
					}
					if _, err := cn.Exec(ctx, "ROLLBACK"); err != nil {
						errs <- err
						return
					}
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var v int
	require.NoError(t, setup.QueryRow(ctx, "SELECT v FROM hot WHERE k = 1").Scan(&v))
	require.Equal(t, clients*txns, v)
	t.Logf("%d transactions, %d retried after 40001", clients*txns, retries.Load())
	return retries.Load()
}

func rmwTxn(ctx context.Context, cn *pgx.Conn) error {
	if _, err := cn.Exec(ctx, "BEGIN"); err != nil {
		return err
	}
	var v int
	if err := cn.QueryRow(ctx, "SELECT v FROM hot WHERE k = 1 FOR UPDATE").Scan(&v); err != nil {
		return err
	}
	if _, err := cn.Exec(ctx, fmt.Sprintf("UPDATE hot SET v = %d WHERE k = 1", v+1)); err != nil {
		return err
	}
	_, err := cn.Exec(ctx, "COMMIT")
	return err
}

// TestSQLSelectForUpdateSkipLocked: the job-queue pattern. While T1 holds
// some rows (FOR UPDATE, and an UPDATE's intent), T2's SELECT ... FOR
// UPDATE SKIP LOCKED returns the other rows at once (T1 is still open: a
// waiting T2 would block until the deadline) and locks them, so a third
// reader skips those too; LIMIT counts only the rows returned. Then
// workers on all three nodes drain a queue with SKIP LOCKED: every job is
// taken exactly once.
func TestSQLSelectForUpdateSkipLocked(t *testing.T) {
	const nodes = 3
	// Connections 0-2 for the first part, 3-6 for the queue's workers.
	c, ctx, cns := lockingCluster(t, nodes, 7, 2*time.Minute, "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30), (4, 40), (5, 50)")
	c1, c2, c3 := cns[0], cns[1], cns[2]
	keys := func(cn *pgx.Conn, q string) []int {
		rows, err := cn.Query(ctx, q)
		require.NoError(t, err, q)
		var out []int
		for rows.Next() {
			var k int
			require.NoError(t, rows.Scan(&k))
			out = append(out, k)
		}
		require.NoError(t, rows.Err(), q)
		return out
	}
	exec := func(cn *pgx.Conn, q string) {
		_, err := cn.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	exec(c1, "BEGIN")
	require.Equal(t, []int{1}, keys(c1, "SELECT k FROM t WHERE k = 1 FOR UPDATE"))
	exec(c1, "UPDATE t SET v = 21 WHERE k = 2")

	// An implicit transaction's SKIP LOCKED read (its batch must not carry
	// the schema generation read, which is no SKIP LOCKED locking read).
	require.Equal(t, []int{3}, keys(c3, "SELECT k FROM t ORDER BY k LIMIT 1 FOR UPDATE SKIP LOCKED"))
	require.Equal(t, []int{3, 4, 5}, keys(c3, "SELECT k FROM t FOR UPDATE SKIP LOCKED"))

	exec(c2, "BEGIN")
	require.Equal(t, []int{3}, keys(c2, "SELECT k FROM t ORDER BY k LIMIT 1 FOR UPDATE SKIP LOCKED"))
	require.Empty(t, keys(c2, "SELECT k FROM t WHERE k = 1 FOR UPDATE SKIP LOCKED"), "a point read of a locked row")
	require.Equal(t, []int{3, 4, 5}, keys(c2, "SELECT k FROM t ORDER BY k FOR SHARE SKIP LOCKED"))
	require.Zero(t, lockWaiters(c, nodes), "a SKIP LOCKED read queued on a lock")

	exec(c3, "BEGIN")
	require.Empty(t, keys(c3, "SELECT k FROM t FOR UPDATE SKIP LOCKED"), "every row is held by T1 or T2")
	exec(c3, "ROLLBACK")
	exec(c2, "COMMIT")
	exec(c1, "COMMIT")
	var v int
	require.NoError(t, c3.QueryRow(ctx, "SELECT v FROM t WHERE k = 2").Scan(&v))
	require.Equal(t, 21, v)

	// A queue drained by 4 workers on 3 nodes.
	exec(c1, "CREATE TABLE jobs (id INT PRIMARY KEY, done_by INT)")
	exec(c1, "INSERT INTO jobs (id) SELECT g FROM generate_series(1, 40) AS g")
	const workers = 4
	var wg sync.WaitGroup
	taken := make([][]int, workers)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		cn := cns[3+w] // on node w%nodes
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for ctx.Err() == nil {
				id, err := func() (int, error) {
					tx, err := cn.Begin(ctx)
					if err != nil {
						return 0, err
					}
					defer func() { _ = tx.Rollback(ctx) }()
					var id int
					err = tx.QueryRow(ctx, "SELECT id FROM jobs WHERE done_by IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED").Scan(&id)
					if errors.Is(err, pgx.ErrNoRows) {
						return 0, nil
					}
					if err != nil {
						return 0, err
					}
					if _, err := tx.Exec(ctx, "UPDATE jobs SET done_by = $1 WHERE id = $2", w, id); err != nil {
						return 0, err
					}
					return id, tx.Commit(ctx)
				}()
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.Code == "40001" {
					continue // retried; the job stays in the queue
				}
				if err != nil {
					errs <- err
					return
				}
				if id == 0 {
					return
				}
				taken[w] = append(taken[w], id)
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	seen := map[int]int{}
	for w, ids := range taken {
		t.Logf("worker %d took %d jobs", w, len(ids))
		for _, id := range ids {
			seen[id]++
		}
	}
	require.Len(t, seen, 40, "every job taken")
	for id, n := range seen {
		require.Equal(t, 1, n, "job %d taken %d times", id, n)
	}
	var left int
	require.NoError(t, c1.QueryRow(ctx, "SELECT count(*) FROM jobs WHERE done_by IS NULL").Scan(&left))
	require.Zero(t, left)
}

// TestSQLSelectForUpdateShared: two transactions SELECT ... FOR SHARE
// (FOR KEY SHARE) the same row at once, neither waiting (a waiting one
// would hang until its 10s statement deadline); a third connection's
// UPDATE of the row waits for both and then applies; FOR UPDATE NOWAIT
// of a share-locked row fails with 55P03.
func TestSQLSelectForUpdateShared(t *testing.T) {
	const nodes = 1
	c, ctx, cns := lockingCluster(t, nodes, 4, time.Minute, "INSERT INTO t VALUES (1, 10)")
	c1, c2, c3, c4 := cns[0], cns[1], cns[2], cns[3]
	var v int
	for _, x := range []struct {
		cn *pgx.Conn
		q  string
	}{{c1, "SELECT v FROM t WHERE k = 1 FOR SHARE"}, {c2, "SELECT v FROM t WHERE k = 1 FOR KEY SHARE"}} {
		qctx, qcancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := x.cn.Exec(qctx, "BEGIN")
		require.NoError(t, err)
		require.NoError(t, x.cn.QueryRow(qctx, x.q).Scan(&v), x.q)
		qcancel()
		require.Equal(t, 10, v)
	}
	require.Zero(t, lockWaiters(c, nodes))

	// An exclusive NOWAIT lock fails on the shared row.
	_, err := c4.Exec(ctx, "BEGIN")
	require.NoError(t, err)
	_, err = c4.Exec(ctx, "SELECT v FROM t WHERE k = 1 FOR UPDATE NOWAIT")
	requireSQLState(t, err, "55P03", "FOR UPDATE NOWAIT of a share-locked row")
	_, err = c4.Exec(ctx, "ROLLBACK")
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() {
		_, err := c3.Exec(ctx, "UPDATE t SET v = v + 1 WHERE k = 1")
		done <- err
	}()
	notDone := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for lockWaiters(c, nodes) == 0 {
			require.True(t, time.Now().Before(deadline), "the UPDATE never queued on %s", what)
			time.Sleep(time.Millisecond)
		}
		select {
		case err := <-done:
			t.Fatalf("the UPDATE did not wait for %s: %v", what, err)
		default:
		}
	}
	notDone("the shared locks")
	_, err = c1.Exec(ctx, "COMMIT")
	require.NoError(t, err)
	notDone("the second shared lock")
	_, err = c2.Exec(ctx, "COMMIT")
	require.NoError(t, err)
	require.NoError(t, <-done)
	require.NoError(t, c1.QueryRow(ctx, "SELECT v FROM t WHERE k = 1").Scan(&v))
	require.Equal(t, 11, v)
}
