package server_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/server"
	"github.com/tesseradb/tessera/server/servertest"
)

// TestSQLAsOfBelowGCThreshold: once MVCC GC has raised the GC threshold
// past a timestamp, AS OF SYSTEM TIME at that timestamp fails with
// SQLSTATE 72000 (snapshot too old, not 40001: retrying cannot help), in
// a statement and in a transaction block, and the session keeps serving.
func TestSQLAsOfBelowGCThreshold(t *testing.T) {
	c := servertest.Start(t, servertest.Config{Nodes: 1, SQL: true,
		Knobs: server.Knobs{DisablePlacementDriver: true, GCInterval: -1}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cn, err := pgx.Connect(ctx, c.SQLURL(0))
	require.NoError(t, err)
	t.Cleanup(func() { cn.Close(context.Background()) })
	exec := func(q string) {
		t.Helper()
		_, err := cn.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	exec("CREATE TABLE t (k INT PRIMARY KEY, v TEXT)")
	exec("INSERT INTO t VALUES (1, 'old')")
	then := c.Node(0).DB().Clock().Now()
	asOf := fmt.Sprintf("'%d.%010d'", then.WallTime, then.Logical)
	var v string
	require.NoError(t, cn.QueryRow(ctx, "SELECT v FROM t AS OF SYSTEM TIME "+asOf+" WHERE k = 1").Scan(&v))
	require.Equal(t, "old", v)

	const ttl = time.Second
	exec(fmt.Sprintf("SET CLUSTER SETTING gc.ttl = '%s'", ttl))
	c.WaitFor(30*time.Second, "clock past then + ttl", func() error {
		if c.Node(0).DB().Clock().Now().WallTime <= then.WallTime+int64(ttl) {
			return errors.New("not yet")
		}
		return nil
	})
	exec("UPDATE t SET v = 'new' WHERE k = 1")
	_, err = c.Node(0).RunGC(ctx)
	require.NoError(t, err)

	wantSnapshotTooOld := func(err error, what string) {
		t.Helper()
		var pe *pgconn.PgError
		require.True(t, errors.As(err, &pe), "%s: want a SQL error, got %v", what, err)
		require.Equal(t, "72000", pe.Code, "%s: %s", what, pe.Message)
		require.Contains(t, pe.Message, "GC threshold", what)
	}
	err = cn.QueryRow(ctx, "SELECT v FROM t AS OF SYSTEM TIME "+asOf+" WHERE k = 1").Scan(&v)
	wantSnapshotTooOld(err, "statement")

	tx, err := cn.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "SET TRANSACTION AS OF SYSTEM TIME "+asOf)
	require.NoError(t, err)
	err = tx.QueryRow(ctx, "SELECT v FROM t WHERE k = 1").Scan(&v)
	wantSnapshotTooOld(err, "transaction block")
	require.NoError(t, tx.Rollback(ctx))

	// The session and current reads are intact.
	require.NoError(t, cn.QueryRow(ctx, "SELECT v FROM t WHERE k = 1").Scan(&v))
	require.Equal(t, "new", v)
}
