package session

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/types"
)

// TestPreparedPlanCache: a prepared point SELECT reuses its plan across
// executions with new parameters, and a schema change, made on this node
// or on another node's engine (its own descriptor cache) over the same
// KV store, is seen by the next execution: dropped and re-created table,
// a new index, a renamed column.
func TestPreparedPlanCache(t *testing.T) {
	eng, db := newTestEngine(t)
	ts := newTS(t, eng)
	eng2, err := NewEngine(context.Background(), db, Config{NodeID: 2})
	require.NoError(t, err)
	other := newTS(t, eng2)
	ctx := context.Background()

	ts.exec("CREATE TABLE pc (id INT8 PRIMARY KEY, v TEXT NOT NULL, w INT8 NOT NULL)")
	ts.exec("INSERT INTO pc VALUES (1, 'one', 10), (2, 'two', 20), (3, 'three', 30)")
	cp, err := ts.s.Prepare(ctx, "SELECT v, w FROM pc WHERE id = $1", nil)
	require.NoError(t, err)
	p := cp.(*Prepared)
	exec := func(id int64) []string {
		t.Helper()
		w := &textWriter{cols: p.Columns()}
		_, _, err := ts.s.Execute(ctx, p, []types.Datum{types.DInt(id)}, w, 0)
		require.NoError(t, err)
		return w.rows
	}
	require.Equal(t, []string{"one|10"}, exec(1))
	first := p.plan
	require.NotNil(t, first, "a point SELECT's plan is cached")
	require.Equal(t, []string{"two|20"}, exec(2))
	require.Equal(t, []string{"three|30"}, exec(3))
	require.Nil(t, exec(4))
	require.True(t, p.plan == first, "the plan is reused for new parameter values")

	// DDL on this node: drop and re-create the table with other values
	// (and another descriptor ID) under the same name.
	ts.exec("DROP TABLE pc")
	ts.exec("CREATE TABLE pc (id INT8 PRIMARY KEY, w INT8 NOT NULL, v TEXT NOT NULL)")
	ts.exec("INSERT INTO pc VALUES (1, 100, 'uno')")
	require.Equal(t, []string{"uno|100"}, exec(1))
	require.False(t, p.plan == first, "a schema change re-binds")
	second := p.plan

	// In a block the block's own DDL is seen, and rolled back.
	ts.exec("BEGIN")
	ts.exec("DROP TABLE pc")
	ts.exec("CREATE TABLE pc (id INT8 PRIMARY KEY, v TEXT NOT NULL, w INT8 NOT NULL)")
	ts.exec("INSERT INTO pc VALUES (1, 'in block', 5)")
	require.Equal(t, []string{"in block|5"}, exec(1))
	ts.exec("ROLLBACK")
	require.Equal(t, []string{"uno|100"}, exec(1))
	second = p.plan

	// DDL on another node: its descriptor cache is not this engine's.
	other.exec("ALTER TABLE pc RENAME COLUMN w TO w_old")
	other.exec("ALTER TABLE pc ADD COLUMN w INT8 NOT NULL DEFAULT 7")
	require.Equal(t, []string{"uno|7"}, exec(1))
	require.False(t, p.plan == second)
	other.exec("UPDATE pc SET w = 8 WHERE id = 1")
	require.Equal(t, []string{"uno|8"}, exec(1))

	// A dropped table fails the statement with 42P01, not a stale read.
	other.exec("DROP TABLE pc")
	w := &textWriter{cols: p.Columns()}
	_, _, err = ts.s.Execute(ctx, p, []types.Datum{types.DInt(1)}, w, 0)
	require.Error(t, err)
	require.Contains(t, err.Error(), "pc")

	// Statements with functions or in an explicit block are not cached.
	ts.exec("CREATE TABLE pc2 (id INT8 PRIMARY KEY, t TIMESTAMPTZ)")
	cp2, err := ts.s.Prepare(ctx, "SELECT now() >= now(), id FROM pc2 WHERE id = $1", nil)
	require.NoError(t, err)
	_, _, err = ts.s.Execute(ctx, cp2, []types.Datum{types.DInt(1)}, &textWriter{}, 0)
	require.NoError(t, err)
	require.Nil(t, cp2.(*Prepared).plan)
	var _ conn.Prepared = cp2
}

// TestPreparedWritePlanCache: a prepared INSERT ... VALUES ($1, ...) and a
// keyed UPDATE reuse their plans across executions, and a schema change on
// another node's engine (its own descriptor cache) is seen by the next
// execution: a new column's default is written, a re-created table gets
// the row, a renamed column fails the statement. INSERTs with RETURNING,
// ON CONFLICT or a volatile default are not cached.
func TestPreparedWritePlanCache(t *testing.T) {
	eng, db := newTestEngine(t)
	ts := newTS(t, eng)
	eng2, err := NewEngine(context.Background(), db, Config{NodeID: 2})
	require.NoError(t, err)
	other := newTS(t, eng2)
	ctx := context.Background()

	ts.exec("CREATE TABLE pw (id INT8 PRIMARY KEY, v TEXT NOT NULL)")
	prep := func(q string) *Prepared {
		t.Helper()
		cp, err := ts.s.Prepare(ctx, q, nil)
		require.NoError(t, err)
		return cp.(*Prepared)
	}
	run := func(p *Prepared, args ...types.Datum) (string, error) {
		t.Helper()
		tag, _, err := ts.s.Execute(ctx, p, args, &textWriter{cols: p.Columns()}, 0)
		return tag, err
	}
	ins := prep("INSERT INTO pw (id, v) VALUES ($1, $2)")
	upd := prep("UPDATE pw SET v = $2 WHERE id = $1")
	tag, err := run(ins, types.DInt(1), types.DString("one"))
	require.NoError(t, err)
	require.Equal(t, "INSERT 0 1", tag)
	first := ins.plan
	require.NotNil(t, first, "a VALUES INSERT's plan is cached")
	_, err = run(ins, types.DInt(2), types.DString("two"))
	require.NoError(t, err)
	require.True(t, ins.plan == first, "the plan is reused for new parameter values")
	_, err = run(ins, types.DInt(2), types.DString("again"))
	require.Error(t, err, "a reused plan still checks the primary key")
	tag, err = run(upd, types.DInt(2), types.DString("deux"))
	require.NoError(t, err)
	require.Equal(t, "UPDATE 1", tag)
	firstUpd := upd.plan
	require.NotNil(t, firstUpd, "a keyed UPDATE's plan is cached")
	tag, err = run(upd, types.DInt(1), types.DString("un"))
	require.NoError(t, err)
	require.Equal(t, "UPDATE 1", tag)
	tag, err = run(upd, types.DInt(9), types.DString("none"))
	require.NoError(t, err)
	require.Equal(t, "UPDATE 0", tag)
	require.True(t, upd.plan == firstUpd)
	ts.query("SELECT id, v FROM pw ORDER BY id", "1|un", "2|deux")

	// A column added on another node: the next INSERT writes its default.
	other.exec("ALTER TABLE pw ADD COLUMN w INT8 NOT NULL DEFAULT 7")
	_, err = run(ins, types.DInt(3), types.DString("three"))
	require.NoError(t, err)
	require.False(t, ins.plan == first, "a schema change re-binds")
	ts.query("SELECT id, v, w FROM pw ORDER BY id", "1|un|7", "2|deux|7", "3|three|7")

	// Dropped and re-created on another node: the row goes to the new table.
	other.exec("DROP TABLE pw")
	other.exec("CREATE TABLE pw (id INT8 PRIMARY KEY, x INT8 NOT NULL DEFAULT 5, v TEXT NOT NULL)")
	_, err = run(ins, types.DInt(4), types.DString("four"))
	require.NoError(t, err)
	other.query("SELECT id, x, v FROM pw", "4|5|four")
	_, err = run(upd, types.DInt(4), types.DString("vier"))
	require.NoError(t, err)
	other.query("SELECT v FROM pw", "vier")

	// A renamed column fails the cached statements (42703), not a stale write.
	other.exec("ALTER TABLE pw RENAME COLUMN v TO v_old")
	_, err = run(upd, types.DInt(4), types.DString("x"))
	require.Error(t, err)
	require.Contains(t, err.Error(), `"v"`)
	_, err = run(ins, types.DInt(5), types.DString("five"))
	require.Error(t, err)
	other.query("SELECT id, v_old FROM pw", "4|vier")

	ts.exec("CREATE TABLE pw2 (id INT8 PRIMARY KEY, t TIMESTAMPTZ NOT NULL DEFAULT now(), v TEXT)")
	for _, q := range []string{
		"INSERT INTO pw2 (id, v) VALUES ($1, 'x')",
		"INSERT INTO pw2 (id, t, v) VALUES ($1, now(), 'x') RETURNING id",
		"INSERT INTO pw2 (id, t, v) VALUES ($1, now(), 'x') ON CONFLICT (id) DO NOTHING",
	} {
		p := prep(q)
		_, err := run(p, types.DInt(int64(len(q))))
		require.NoError(t, err, q)
		require.Nil(t, p.plan, q)
	}
}
