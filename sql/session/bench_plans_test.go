package session

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/types"
)

// benchSchema is the schema of `tessera workload sql` (issue 8's benchmark).
const benchSchema = `CREATE TABLE bench_accounts (id INT8 PRIMARY KEY, email TEXT NOT NULL, balance INT8 NOT NULL, branch_id INT8 NOT NULL, note TEXT NOT NULL);
CREATE TABLE bench_branches (id INT8 PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE bench_log (id INT8 PRIMARY KEY, account_id INT8 NOT NULL, amount INT8 NOT NULL, note TEXT NOT NULL);
CREATE UNIQUE INDEX bench_accounts_email ON bench_accounts (email)`

func loadBench(t *testing.T, ts *tsess, rows int) {
	t.Helper()
	ts.exec(benchSchema)
	ts.exec("INSERT INTO bench_branches SELECT g, 'branch ' || g FROM generate_series(0, 9) AS g")
	var b strings.Builder
	b.WriteString("INSERT INTO bench_accounts VALUES ")
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(%d, 'user%d@example.com', 1000, %d, 'note %d')", i, i, i%10, i)
	}
	ts.exec(b.String())
}

// TestBenchmarkPlans checks the access path of each benchmark statement
// (EXPLAIN output), and that the plans return the right rows.
func TestBenchmarkPlans(t *testing.T) {
	eng, _ := newTestEngine(t)
	ts := newTS(t, eng)
	loadBench(t, ts, 300)
	cases := []struct{ stmt, plan string }{
		{"SELECT email, balance, note FROM bench_accounts WHERE id = 5",
			"project email, balance, note\n  filter\n    scan bench_accounts@primary (point lookup)"},
		{"SELECT id, balance FROM bench_accounts WHERE email = 'user5@example.com'",
			"project id, balance\n  filter\n    scan bench_accounts@bench_accounts_email (point lookup + index join)"},
		{"UPDATE bench_accounts SET balance = balance + 1 WHERE id = 5",
			"update bench_accounts\n  filter\n    scan bench_accounts@primary (point lookup)"},
		// No sort: the primary key order is the ORDER BY, so the limit
		// reaches the scan (as a batch hint, under the filter).
		{"SELECT id, balance FROM bench_accounts WHERE id >= 5 ORDER BY id LIMIT 100",
			"limit\n  project id, balance\n    filter\n      scan bench_accounts@primary (1 span(s) limit hint 100)"},
		{"SELECT a.id, a.balance, b.name FROM bench_accounts AS a JOIN bench_branches AS b ON b.id = a.branch_id WHERE a.id >= 5 AND a.id < 15",
			"project id, balance, name\n  hash join (inner)\n    filter\n      scan bench_accounts@primary (1 span(s))\n    scan bench_branches@primary (full scan)"},
		{"INSERT INTO bench_log (id, account_id, amount, note) VALUES (1, 2, 3, 'x')",
			"insert into bench_log\n  values (1 rows)"},
		// Sorts the scan order cannot give are kept.
		{"SELECT id FROM bench_accounts WHERE id >= 5 ORDER BY id DESC LIMIT 3",
			"limit\n  sort\n    project id\n      filter\n        scan bench_accounts@primary (1 span(s))"},
		{"SELECT id FROM bench_accounts ORDER BY balance, id LIMIT 3",
			"project id\n  limit\n    sort\n      project id, ?order?\n        scan bench_accounts@primary (full scan)"},
	}
	for _, c := range cases {
		rows, _, err := ts.run("EXPLAIN " + c.stmt)
		require.NoError(t, err, c.stmt)
		require.Equal(t, c.plan, strings.Join(rows, "\n"), c.stmt)
	}

	ts.query("SELECT email, balance FROM bench_accounts WHERE id = 5", "user5@example.com|1000")
	ts.query("SELECT id FROM bench_accounts WHERE id = 1000")
	ts.query("SELECT id FROM bench_accounts WHERE id IN (7, 3, 7, 1000) ORDER BY id", "3", "7")
	ts.query("SELECT id, balance FROM bench_accounts WHERE email = 'user7@example.com'", "7|1000")
	ts.tag("UPDATE bench_accounts SET balance = balance + 1 WHERE id = 5", "UPDATE 1")
	ts.query("SELECT balance FROM bench_accounts WHERE id = 5", "1001")
	rows, _, err := ts.run("SELECT id FROM bench_accounts WHERE id >= 250 ORDER BY id LIMIT 100")
	require.NoError(t, err)
	require.Len(t, rows, 50)
	require.Equal(t, "250", rows[0])
	require.Equal(t, "299", rows[49])
	ts.query("SELECT id FROM bench_accounts WHERE id >= 5 AND balance > 1000 ORDER BY id LIMIT 2", "5")
	ts.query("SELECT id FROM bench_accounts WHERE id >= 5 ORDER BY id DESC LIMIT 2", "299", "298")
	ts.query("SELECT a.id, b.name FROM bench_accounts AS a JOIN bench_branches AS b ON b.id = a.branch_id WHERE a.id >= 18 AND a.id < 21 ORDER BY a.id",
		"18|branch 8", "19|branch 9", "20|branch 0")
}

// TestImplicitBufferedWrites: an implicit statement's writes go with its
// commit; a unique violation found only then is still reported with the
// constraint's name, and nothing of the failed statement stays.
func TestImplicitBufferedWrites(t *testing.T) {
	eng, _ := newTestEngine(t)
	ts := newTS(t, eng)
	loadBench(t, ts, 20)
	ts.tag("INSERT INTO bench_log VALUES (1, 1, 1, 'a')", "INSERT 0 1")
	ts.fails("INSERT INTO bench_log VALUES (1, 1, 1, 'b')", "23505")
	_, _, err := ts.run("INSERT INTO bench_log VALUES (2, 1, 1, 'c'), (1, 1, 1, 'd')")
	require.ErrorContains(t, err, `"bench_log_pkey"`)
	ts.query("SELECT id, note FROM bench_log ORDER BY id", "1|a")
	ts.fails("INSERT INTO bench_accounts VALUES (100, 'user3@example.com', 1, 1, 'dup email')", "23505")
	ts.fails("UPDATE bench_accounts SET email = 'user4@example.com' WHERE id = 3", "23505")
	ts.query("SELECT id FROM bench_accounts WHERE email = 'user4@example.com'", "4")
	// A statement that reads its own buffered writes (INSERT … SELECT from
	// the same table) sees them in order.
	ts.tag("INSERT INTO bench_log SELECT id + 10, account_id, amount, note FROM bench_log", "INSERT 0 1")
	ts.query("SELECT id FROM bench_log ORDER BY id", "1", "11")
}

// TestSchemaChangeSeenThroughCache: two engines (two nodes) over one KV
// store; a statement on the second node, served from its descriptor cache,
// sees the first node's DDL before it returns (the generation read with
// its first KV read, or at commit, or before an error is returned).
func TestSchemaChangeSeenThroughCache(t *testing.T) {
	eng, db := newTestEngine(t)
	a := newTS(t, eng)
	eng2, err := NewEngine(context.Background(), db, Config{NodeID: 2})
	require.NoError(t, err)
	b := newTS(t, eng2)
	a.exec("CREATE TABLE t (id INT8 PRIMARY KEY, v INT8)")
	a.exec("INSERT INTO t VALUES (1, 10)")
	b.query("SELECT v FROM t WHERE id = 1", "10") // b's cache now holds t
	a.exec("DROP TABLE t")
	b.fails("SELECT v FROM t WHERE id = 1", "42P01")
	a.exec("CREATE TABLE t (id INT8 PRIMARY KEY, w TEXT)")
	b.query("SELECT w FROM t WHERE id = 1")
	b.exec("INSERT INTO t VALUES (1, 'x')") // no read before the write: verified at commit
	a.query("SELECT w FROM t", "x")
	a.exec("ALTER TABLE t ADD COLUMN z INT8")
	b.tag("INSERT INTO t VALUES (2, 'y', 5)", "INSERT 0 1")
	a.exec("DROP TABLE t")
	b.fails("CREATE TABLE x (id INT8 PRIMARY KEY); INSERT INTO t VALUES (3, 'z', 6)", "42P01")
	b.exec("CREATE TABLE t (id INT8 PRIMARY KEY)") // b's cached "t exists" answer is not trusted
	a.query("SELECT count(*) FROM t", "0")
}

// TestPreparedBenchStatements runs the benchmark statements through
// Prepare/Execute with parameters (the benchmark's path).
func TestPreparedBenchStatements(t *testing.T) {
	eng, _ := newTestEngine(t)
	ts := newTS(t, eng)
	loadBench(t, ts, 200)
	ctx := context.Background()
	prep := func(q string) conn.Prepared {
		p, err := ts.s.Prepare(ctx, q, nil)
		require.NoError(t, err, q)
		return p
	}
	exec := func(p conn.Prepared, args ...types.Datum) ([]string, string) {
		w := &textWriter{cols: p.Columns()}
		tag, _, err := ts.s.Execute(ctx, p, args, w, 0)
		require.NoError(t, err)
		return w.rows, tag
	}
	point := prep("SELECT email, balance, note FROM bench_accounts WHERE id = $1")
	for i := 0; i < 3; i++ {
		rows, _ := exec(point, types.DInt(42+i))
		require.Equal(t, []string{fmt.Sprintf("user%d@example.com|1000|note %d", 42+i, 42+i)}, rows)
	}
	sec := prep("SELECT id, balance FROM bench_accounts WHERE email = $1")
	rows, _ := exec(sec, types.DString("user9@example.com"))
	require.Equal(t, []string{"9|1000"}, rows)
	upd := prep("UPDATE bench_accounts SET balance = balance + 1 WHERE id = $1")
	_, tag := exec(upd, types.DInt(9))
	require.Equal(t, "UPDATE 1", tag)
	ins := prep("INSERT INTO bench_log (id, account_id, amount, note) VALUES ($1, $2, $3, $4)")
	_, tag = exec(ins, types.DInt(77), types.DInt(1), types.DInt(2), types.DString("x"))
	require.Equal(t, "INSERT 0 1", tag)
	scan := prep("SELECT id, balance FROM bench_accounts WHERE id >= $1 ORDER BY id LIMIT 100")
	rows, _ = exec(scan, types.DInt(150))
	require.Len(t, rows, 50)
	require.Equal(t, "150|1000", rows[0])
	join := prep("SELECT a.id, a.balance, b.name FROM bench_accounts AS a JOIN bench_branches AS b ON b.id = a.branch_id WHERE a.id >= $1 AND a.id < $2")
	rows, _ = exec(join, types.DInt(8), types.DInt(18))
	require.Len(t, rows, 10)
	ts.query("SELECT balance FROM bench_accounts WHERE id = 9", "1001")
}
