package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/server/servertest"
)

// TestSingleRowInsertOneRaftEntry: an implicit single-row INSERT (prepared,
// on a table without secondary indexes, so all its writes are on one
// range) commits in one phase: one Raft entry per statement, not a write,
// then an EndTxn, then intent resolution. Counted as entries appended on
// all three stores (3 per one-phase INSERT), with room for background
// entries (lease extensions, liveness) but well below the 6 or more per
// INSERT of a two-phase commit.
func TestSingleRowInsertOneRaftEntry(t *testing.T) {
	c := servertest.Start(t, servertest.Config{Nodes: 3, SQL: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.SQLURL(0))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	_, err = conn.Exec(ctx, "CREATE TABLE log1pc (id INT8 PRIMARY KEY, v TEXT)")
	require.NoError(t, err)
	const ins = "INSERT INTO log1pc (id, v) VALUES ($1, $2)"
	// Warm up: descriptors cached, ranges and leases known.
	for i := 0; i < 20; i++ {
		_, err := conn.Exec(ctx, ins, -1-i, "warm")
		require.NoError(t, err)
	}
	appended := func() int64 {
		var n int64
		for i := 0; i < 3; i++ {
			n += c.Server(i).Store().Metrics().EntriesAppended
		}
		return n
	}
	const n = 100
	before := appended()
	for i := 0; i < n; i++ {
		_, err := conn.Exec(ctx, ins, i, "x")
		require.NoError(t, err)
	}
	// Followers may still be appending the last entries: wait for at
	// least the one-phase count, then take the figure.
	c.WaitFor(30*time.Second, "the INSERTs' entries on every store", func() error {
		if appended()-before < 3*n {
			return fmt.Errorf("%d entries so far", appended()-before)
		}
		return nil
	})
	got := appended() - before
	t.Logf("%d entries appended for %d INSERTs", got, n)
	require.Less(t, got, int64(3*n*3/2), "%d Raft entries appended for %d single-row INSERTs on 3 replicas: not one phase", got, n)
	var count int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM log1pc WHERE id >= 0").Scan(&count))
	require.Equal(t, n, count)
	// Sequential INSERTs: the leader's commit-only MsgApps (one per
	// follower per commit) are not sent; followers learn the commit
	// index with the next append.
	var dropped int64
	for i := 0; i < 3; i++ {
		dropped += c.Server(i).Store().Metrics().CommitOnlyAppendsDropped
	}
	require.Greater(t, dropped, int64(n), "commit-only appends dropped")
}

// TestSQLInsertAfterDDLOnOtherNode: a node whose descriptor cache predates
// a DDL made through another node must not commit an INSERT planned with
// the old descriptors. The INSERT's commit carries the schema generation
// as a guard (no separate read): the guard fails, the statement is
// retried with the new descriptors, and the new UNIQUE index is enforced
// and maintained.
func TestSQLInsertAfterDDLOnOtherNode(t *testing.T) {
	c := servertest.Start(t, servertest.Config{Nodes: 3, SQL: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conns := make([]*pgx.Conn, 2)
	for i := range conns {
		conn, err := pgx.Connect(ctx, c.SQLURL(i))
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close(context.Background()) })
		conns[i] = conn
	}
	_, err := conns[0].Exec(ctx, "CREATE TABLE guarded (id INT8 PRIMARY KEY, v INT8)")
	require.NoError(t, err)
	const ins = "INSERT INTO guarded (id, v) VALUES ($1, $2)"
	for i := 0; i < 5; i++ { // node 1 caches the table without the index
		_, err := conns[1].Exec(ctx, ins, i, i)
		require.NoError(t, err)
	}
	_, err = conns[0].Exec(ctx, "CREATE UNIQUE INDEX guarded_v ON guarded (v)")
	require.NoError(t, err)
	_, err = conns[1].Exec(ctx, ins, 100, 1)
	var pe *pgconn.PgError
	require.ErrorAs(t, err, &pe, "duplicate v through the node with the old cache")
	require.Equal(t, "23505", pe.Code)
	_, err = conns[1].Exec(ctx, ins, 101, 555)
	require.NoError(t, err)
	var id int64
	require.NoError(t, conns[0].QueryRow(ctx, "SELECT id FROM guarded WHERE v = 555").Scan(&id))
	require.EqualValues(t, 101, id)
}
