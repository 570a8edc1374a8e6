package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// TestSQLAdvisoryLocks: advisory locks exclude sessions on different
// nodes (what golang-migrate, Flyway, Rails and Prisma rely on). A
// session-level lock is held across transactions, counted, and released by
// as many unlocks, by pg_advisory_unlock_all or by the session's end; a
// blocked pg_advisory_lock on another node returns as soon as it is
// released; a transaction-level lock ends with COMMIT or ROLLBACK; the
// (int, int) form is a key space of its own; and a lock held by a session
// on a node that dies is released when its holder's record expires.
func TestSQLAdvisoryLocks(t *testing.T) {
	const nodes = 3
	c, ctx, cns := lockingCluster(t, nodes, 4, 3*time.Minute, "SELECT 1")
	a, b, victim := cns[0], cns[1], cns[2] // nodes 0, 1, 2
	try := func(cn *pgx.Conn, q string) bool {
		var ok bool
		require.NoError(t, cn.QueryRow(ctx, q).Scan(&ok), q)
		return ok
	}
	exec := func(cn *pgx.Conn, q string) {
		_, err := cn.Exec(ctx, q)
		require.NoError(t, err, q)
	}

	// Session level, counted.
	exec(a, "SELECT pg_advisory_lock(42)")
	// pg_locks: another session of a's node sees the lock, granted, as
	// a's; a session of another node lists its own node's sessions only.
	var pidA int32
	require.NoError(t, a.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pidA))
	held := fmt.Sprintf("SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = 42 AND objsubid = 1 AND pid = %d AND granted AND mode = 'ExclusiveLock'", pidA)
	require.True(t, try(cns[3], held), "a session of a's node")
	require.False(t, try(b, held), "a session of another node")
	require.True(t, try(a, "SELECT pg_try_advisory_lock(42)"), "a session re-takes its own lock")
	require.False(t, try(b, "SELECT pg_try_advisory_lock(42)"))
	require.True(t, try(b, "SELECT pg_try_advisory_lock(1, 42)"), "the pair form is another key")
	require.True(t, try(a, "SELECT pg_advisory_unlock(42)"))
	require.False(t, try(b, "SELECT pg_try_advisory_lock(42)"), "held once more")

	// A blocked lock returns once the holder unlocks.
	done := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, "SELECT pg_advisory_lock(42)")
		done <- err
	}()
	c.WaitFor(30*time.Second, "b's lock waits in a lock wait queue", func() error {
		select {
		case err := <-done:
			t.Fatalf("pg_advisory_lock returned while another session held the lock: %v", err)
		default:
		}
		if lockWaiters(c, nodes) == 0 {
			return context.DeadlineExceeded
		}
		return nil
	})
	require.True(t, try(a, "SELECT pg_advisory_unlock(42)"))
	require.NoError(t, <-done)
	require.False(t, try(a, "SELECT pg_try_advisory_lock(42)"))
	require.False(t, try(a, "SELECT pg_advisory_unlock(42)"), "a does not hold it")
	exec(b, "SELECT pg_advisory_unlock_all()")
	require.True(t, try(a, "SELECT pg_try_advisory_lock(42)"))
	exec(a, "SELECT pg_advisory_unlock(42)")

	// Transaction level.
	exec(a, "BEGIN")
	exec(a, "SELECT pg_advisory_xact_lock(7)")
	require.False(t, try(b, "SELECT pg_try_advisory_xact_lock(7)"))
	exec(a, "SELECT 1")
	require.False(t, try(b, "SELECT pg_try_advisory_lock(7)"), "held until the transaction ends")
	exec(a, "COMMIT")
	exec(b, "BEGIN")
	require.True(t, try(b, "SELECT pg_try_advisory_xact_lock(7)"))
	require.False(t, try(a, "SELECT pg_try_advisory_xact_lock(7)"))
	exec(b, "ROLLBACK")
	require.True(t, try(a, "SELECT pg_try_advisory_xact_lock(7)"), "an implicit transaction's lock ends with it")
	require.True(t, try(b, "SELECT pg_try_advisory_xact_lock(7)"))

	// The session's end.
	exec(a, "SELECT pg_advisory_lock(9)")
	require.NoError(t, a.Close(ctx))
	c.WaitFor(30*time.Second, "the closed session's lock is free", func() error {
		if !try(b, "SELECT pg_try_advisory_lock(9)") {
			return context.DeadlineExceeded
		}
		return nil
	})

	// The holder's node dies.
	exec(victim, "SELECT pg_advisory_lock(11)")
	require.False(t, try(b, "SELECT pg_try_advisory_lock(11)"))
	c.StopNode(2)
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	_, err := b.Exec(wctx, "SELECT pg_advisory_lock(11)")
	require.NoError(t, err, "the dead node's lock was not released")
}

// TestSQLCancelBackend: a session finds another session of its node in
// pg_stat_activity by its query and cancels it (57014), then terminates
// it; the terminated connection is closed.
func TestSQLCancelBackend(t *testing.T) {
	c, ctx, cns := lockingCluster(t, 1, 2, 2*time.Minute, "SELECT 1")
	a, b := cns[0], cns[1]
	var pidA int32
	require.NoError(t, a.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pidA))
	done := make(chan error, 1)
	go func() {
		_, err := a.Exec(ctx, "SELECT pg_sleep(100)")
		done <- err
	}()
	var state string
	c.WaitFor(30*time.Second, "a's pg_sleep in pg_stat_activity", func() error {
		if err := b.QueryRow(ctx, "SELECT state FROM pg_stat_activity WHERE pid = $1 AND query LIKE 'SELECT pg_sleep%'", pidA).Scan(&state); err != nil {
			return err
		}
		return nil
	})
	require.Equal(t, "active", state)
	var ok bool
	require.NoError(t, b.QueryRow(ctx, "SELECT pg_cancel_backend($1)", pidA).Scan(&ok))
	require.True(t, ok)
	requireSQLState(t, <-done, "57014", "the cancelled pg_sleep")

	require.NoError(t, b.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pidA).Scan(&ok))
	require.True(t, ok)
	_, err := a.Exec(ctx, "SELECT 1")
	require.Error(t, err, "a terminated connection still runs statements")
	c.WaitFor(30*time.Second, "a leaves pg_stat_activity", func() error {
		var n int
		if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pidA).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			return context.DeadlineExceeded
		}
		return nil
	})
}

// TestSQLCancelLockWait: statements that wait in the KV layer on another
// transaction's lock are cancelled by pg_cancel_backend (57014) while the
// lock is still held (the statement context is joined lazily: sql/session
// withCancel). Then the lock holder rolls back and nothing changed.
func TestSQLCancelLockWait(t *testing.T) {
	c, ctx, cns := lockingCluster(t, 1, 3, 2*time.Minute, "INSERT INTO t VALUES (1, 10)")
	a, b, admin := cns[0], cns[1], cns[2]
	_, err := a.Exec(ctx, "BEGIN")
	require.NoError(t, err)
	var v int
	require.NoError(t, a.QueryRow(ctx, "SELECT v FROM t WHERE k = 1 FOR UPDATE").Scan(&v))
	var pidB int32
	require.NoError(t, b.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pidB))
	for _, q := range []string{"SELECT v FROM t WHERE k = 1 FOR UPDATE", "UPDATE t SET v = v + 1 WHERE k = 1"} {
		done := make(chan error, 1)
		go func() {
			_, err := b.Exec(ctx, q)
			done <- err
		}()
		c.WaitFor(30*time.Second, "b's statement in pg_stat_activity", func() error {
			var state string
			if err := admin.QueryRow(ctx, "SELECT state FROM pg_stat_activity WHERE pid = $1 AND query = $2", pidB, q).Scan(&state); err != nil {
				return err
			}
			if state != "active" {
				return fmt.Errorf("state %s", state)
			}
			return nil
		})
		select {
		case err := <-done:
			t.Fatalf("%s: not blocked by the lock: %v", q, err)
		default:
		}
		var ok bool
		require.NoError(t, admin.QueryRow(ctx, "SELECT pg_cancel_backend($1)", pidB).Scan(&ok))
		require.True(t, ok)
		select {
		case err := <-done:
			requireSQLState(t, err, "57014", q)
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: not cancelled while waiting on the lock", q)
		}
	}
	_, err = a.Exec(ctx, "ROLLBACK")
	require.NoError(t, err)
	require.NoError(t, b.QueryRow(ctx, "SELECT v FROM t WHERE k = 1").Scan(&v))
	require.Equal(t, 10, v)
}
