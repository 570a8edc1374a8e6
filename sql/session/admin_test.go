package session

import (
	"context"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/types"
)

// Without a cluster (the in-memory KV double) the cluster statements fail
// with 0A000 and change nothing.
func TestAdminWithoutCluster(t *testing.T) {
	eng, _ := newTestEngine(t)
	ts := newTS(t, eng)
	ts.exec("CREATE TABLE t (a INT PRIMARY KEY, b TEXT)")
	ts.exec("CREATE INDEX t_b_idx ON t (b)")
	for _, q := range []string{
		"ALTER TABLE t SPLIT AT VALUES (1), (2)",
		"ALTER INDEX t@t_b_idx SPLIT AT VALUES ('m')",
		"ALTER TABLE t SCATTER",
		"SHOW RANGES FROM TABLE t",
		"SHOW RANGES FROM INDEX t_b_idx",
		"SET CLUSTER SETTING range_max_bytes = '1MiB'",
		"SHOW CLUSTER SETTING range_max_bytes",
		"SHOW ALL CLUSTER SETTINGS",
		"SELECT * FROM t AS OF SYSTEM TIME '-1s'",
		"BEGIN AS OF SYSTEM TIME '-1s'",
	} {
		ts.fails(q, "0A000")
	}
	ts.query("SELECT count(*) FROM t", "0")
	// The session stays usable, in and out of blocks.
	ts.exec("BEGIN")
	ts.fails("SET TRANSACTION AS OF SYSTEM TIME '-1s'", "0A000")
	ts.fails("SELECT 1", "25P02")
	ts.exec("ROLLBACK")
	ts.fails("SET TRANSACTION AS OF SYSTEM TIME '-1s'", "25P01")
}

// SPLIT AT's values become keys of the index's layout (DESIGN.md §2), and
// range boundaries read back as the same SQL values.
func TestSplitKeysAndBoundaries(t *testing.T) {
	eng, _ := newTestEngine(t)
	ts := newTS(t, eng)
	ts.exec("CREATE TABLE t (a INT, b TEXT, c INT, PRIMARY KEY (a, b))")
	ts.exec("CREATE INDEX t_c_idx ON t (c DESC)")
	ctx := context.Background()
	keysOf := func(q string) (indexTarget, [][]byte) {
		st, err := parser.ParseOne(q)
		require.NoError(t, err)
		x := st.Ext.(*parser.SplitAtStmt)
		var tgt indexTarget
		var keys [][]byte
		_, err = ts.s.inTxn(ctx, func(sc *stmtCtx) (*result, error) {
			require.NoError(t, sc.resolveDB("defaultdb"))
			var err error
			if tgt, err = ts.s.resolveIndex(sc, x.Schema, x.Table, x.Index); err != nil {
				return nil, err
			}
			keys, err = ts.s.splitKeys(sc, &st, nil, tgt, x)
			return nil, err
		})
		require.NoError(t, err)
		return tgt, keys
	}
	tgt, keys := keysOf("ALTER TABLE t SPLIT AT VALUES (10), (20, 'it''s'), ('30')")
	require.Len(t, keys, 3)
	var pretty []string
	for _, k := range keys {
		pretty = append(pretty, tgt.pretty(k))
	}
	require.Equal(t, []string{"/10", "/20/'it''s'", "/30"}, pretty)
	require.Less(t, string(keys[0]), string(keys[1]))
	require.Less(t, string(keys[1]), string(keys[2]))
	// Boundaries: inside the index as values, at or past its ends NULL.
	require.Equal(t, types.DString("/20/'it''s'"), tgt.boundary(keys[1]))
	require.Equal(t, types.Null, tgt.boundary(tgt.start))
	require.Equal(t, types.Null, tgt.boundary(tgt.end))
	require.Equal(t, types.Null, tgt.boundary(nil))
	require.Equal(t, types.Null, tgt.boundary([]byte{0x01}))

	// A descending secondary index: larger values sort first.
	itgt, ikeys := keysOf("ALTER INDEX t_c_idx SPLIT AT VALUES (5), (1)")
	require.Less(t, string(ikeys[0]), string(ikeys[1]))
	require.Equal(t, "/5", itgt.pretty(ikeys[0]))
	require.NotEqual(t, tgt.start, itgt.start)

	for q, code := range map[string]string{
		"ALTER TABLE t SPLIT AT VALUES (1, 'a', 3)": "42601",
		"ALTER TABLE t SPLIT AT VALUES ('x')":       "22P02",
		"ALTER TABLE nope SPLIT AT VALUES (1)":      "42P01",
		"ALTER INDEX t@nope SPLIT AT VALUES (1)":    "42704",
		"ALTER INDEX nope SPLIT AT VALUES (1)":      "42704",
	} {
		st, err := parser.ParseOne(q)
		require.NoError(t, err)
		x := st.Ext.(*parser.SplitAtStmt)
		_, err = ts.s.inTxn(ctx, func(sc *stmtCtx) (*result, error) {
			require.NoError(t, sc.resolveDB("defaultdb"))
			tgt, err := ts.s.resolveIndex(sc, x.Schema, x.Table, x.Index)
			if err != nil {
				return nil, err
			}
			_, err = ts.s.splitKeys(sc, &st, nil, tgt, x)
			return nil, err
		})
		require.Error(t, err, q)
		require.Equal(t, code, pgerr.Code(err), "%s: %v", q, err)
	}
}

func TestAsOfTimestamp(t *testing.T) {
	now := hlc.Timestamp{WallTime: 2_000_000_000_000_000_000, Logical: 3}
	dec := func(s string) types.Datum {
		d, _, err := apd.NewFromString(s)
		require.NoError(t, err)
		return types.NewDecimal(d)
	}
	for _, c := range []struct {
		in   types.Datum
		want hlc.Timestamp
	}{
		{types.DString("-10s"), hlc.Timestamp{WallTime: now.WallTime - 10e9}},
		{types.DString("-1m"), hlc.Timestamp{WallTime: now.WallTime - 60e9}},
		{types.DInterval{Micros: -5}, hlc.Timestamp{WallTime: now.WallTime - 5000}},
		{types.DString("1700000000000000000.0000000001"), hlc.Timestamp{WallTime: 1700000000000000000, Logical: 1}},
		{types.DString("1700000000000000000"), hlc.Timestamp{WallTime: 1700000000000000000}},
		{dec("1700000000000000000.0000000042"), hlc.Timestamp{WallTime: 1700000000000000000, Logical: 42}},
		{types.DInt(1700000000000000000), hlc.Timestamp{WallTime: 1700000000000000000}},
		{types.DString("2000-01-01 00:00:01+00"), hlc.Timestamp{WallTime: pgEpochNanos + 1e9}},
		{types.DTimestampTZ(2_000_000), hlc.Timestamp{WallTime: pgEpochNanos + 2e9}},
	} {
		got, err := asOfTimestamp(c.in, now)
		require.NoError(t, err, "%v", c.in)
		require.Equal(t, c.want, got, "%v", c.in)
	}
	for _, bad := range []types.Datum{types.Null, types.DString("yesterday-ish"), types.DBool(true), dec("-1.5")} {
		_, err := asOfTimestamp(bad, now)
		require.Error(t, err, "%v", bad)
		require.Equal(t, "22023", pgerr.Code(err), "%v: %v", bad, err)
	}
}
