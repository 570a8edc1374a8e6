package logictest

import (
	"context"
	"encoding/binary"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

// TestWireCompat5 checks what the wire carries for the sqlcompat5
// features: the type OIDs of enum arrays and int2vector in
// RowDescription and their binary forms, json_to_recordset with a bound
// parameter, and that a prepared statement holding 'now' reads each
// execution's transaction time (its plan is not reused).
func TestWireCompat5(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgconn.Connect(ctx, startTessera(t))
	require.NoError(t, err)
	defer c.Close(ctx)
	exec := func(sql string) *pgconn.Result {
		res := c.ExecParams(ctx, sql, nil, nil, nil, nil).Read()
		require.NoError(t, res.Err, sql)
		return res
	}
	exec("CREATE TYPE wc_mood AS ENUM ('sad', 'happy')")
	exec("CREATE TABLE wc (id INT PRIMARY KEY, m wc_mood[])")
	exec("CREATE INDEX wc_m ON wc (id, m)")
	exec("INSERT INTO wc VALUES (1, '{happy,sad}')")
	oids := exec("SELECT t.oid, t.typarray FROM pg_type t WHERE t.typname = 'wc_mood'")
	enumOID, err := strconv.ParseUint(string(oids.Rows[0][0]), 10, 32)
	require.NoError(t, err)
	arrOID, err := strconv.ParseUint(string(oids.Rows[0][1]), 10, 32)
	require.NoError(t, err)
	require.NotZero(t, arrOID)

	// The enum array column, in binary: its type OID is the array type's,
	// the array header names the enum, the elements are the labels.
	res := c.ExecParams(ctx, "SELECT m FROM wc", nil, nil, nil, []int16{1}).Read()
	require.NoError(t, res.Err)
	require.Equal(t, uint32(arrOID), res.FieldDescriptions[0].DataTypeOID)
	b := res.Rows[0][0]
	require.Equal(t, uint32(1), binary.BigEndian.Uint32(b[0:]))       // dimensions
	require.Equal(t, uint32(enumOID), binary.BigEndian.Uint32(b[8:])) // element type
	require.Equal(t, uint32(2), binary.BigEndian.Uint32(b[12:]))      // length
	require.Equal(t, uint32(1), binary.BigEndian.Uint32(b[16:]))      // lower bound
	require.Equal(t, "happy", string(b[24:24+binary.BigEndian.Uint32(b[20:])]))

	// pg_index.indkey is an int2vector (OID 22): "1 2" in text, lower
	// bound 0 in binary.
	q := "SELECT indkey FROM pg_index WHERE indexrelid = 'wc_m'::regclass"
	res = exec(q)
	require.Equal(t, uint32(22), res.FieldDescriptions[0].DataTypeOID)
	require.Equal(t, "1 2", string(res.Rows[0][0]))
	res = c.ExecParams(ctx, q, nil, nil, nil, []int16{1}).Read()
	require.NoError(t, res.Err)
	b = res.Rows[0][0]
	require.Equal(t, uint32(21), binary.BigEndian.Uint32(b[8:]))
	require.Equal(t, uint32(0), binary.BigEndian.Uint32(b[16:]))

	// json_to_recordset($1) prepared once, executed with two documents.
	_, err = c.Prepare(ctx, "bulk", "INSERT INTO wc SELECT * FROM json_to_recordset($1) AS r(id int, m wc_mood[]) RETURNING id", nil)
	require.NoError(t, err)
	for _, doc := range []string{`[{"id": 2, "m": "{sad}"}]`, `[{"id": 3}, {"id": 4, "m": "{happy}"}]`} {
		res := c.ExecPrepared(ctx, "bulk", [][]byte{[]byte(doc)}, nil, nil).Read()
		require.NoError(t, res.Err, doc)
	}
	res = exec("SELECT count(*), count(m) FROM wc")
	require.Equal(t, "4", string(res.Rows[0][0]))
	require.Equal(t, "3", string(res.Rows[0][1]))

	// 'now' in a prepared statement: each execution is its own
	// transaction, and 'now' is that transaction's time every time (a
	// plan over a scan is otherwise reused with its constants).
	_, err = c.Prepare(ctx, "clock", "SELECT 'now'::timestamptz, 'today'::date FROM wc WHERE id = 1", nil)
	require.NoError(t, err)
	prev := ""
	for range 3 {
		res := c.ExecPrepared(ctx, "clock", nil, nil, nil).Read()
		require.NoError(t, res.Err)
		require.Len(t, res.Rows, 1)
		now := string(res.Rows[0][0])
		require.Greater(t, now, prev)
		require.Len(t, res.Rows[0][1], len("2006-01-02"))
		prev = now
	}
}

// TestNoticeCodes: notices carry PostgreSQL's severity and SQLSTATE
// (checked against PostgreSQL 15 by hand: psql -v VERBOSITY=verbose).
func TestNoticeCodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgconn.ParseConfig(startTessera(t))
	require.NoError(t, err)
	var got []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		got = append(got, n.Severity+" "+n.Code)
	}
	c, err := pgconn.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	defer c.Close(ctx)
	for _, q := range []struct{ sql, want string }{
		{"COMMIT", "WARNING 25P01"},
		{"CREATE TABLE nc (a INT)", ""},
		{"CREATE TABLE IF NOT EXISTS nc (a INT)", "NOTICE 42P07"},
		{"SET LOCAL search_path = public", "WARNING 25P01"},
		{"BEGIN", ""},
		{"BEGIN", "WARNING 25001"},
		{"ROLLBACK", ""},
		{"CREATE TYPE nc_e AS ENUM ('a')", ""},
		{"ALTER TYPE nc_e ADD VALUE IF NOT EXISTS 'a'", "NOTICE 42710"},
		{"DROP TABLE IF EXISTS nc_nosuch", "NOTICE 00000"},
	} {
		got = nil
		_, err := c.Exec(ctx, q.sql).ReadAll()
		require.NoError(t, err, q.sql)
		var want []string
		if q.want != "" {
			want = []string{q.want}
		}
		require.Equal(t, want, got, q.sql)
	}
}
