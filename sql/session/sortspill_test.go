package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/internal/memkv"
)

func newSpillEngine(t *testing.T) (*Engine, string) {
	dir := filepath.Join(t.TempDir(), "sql-temp")
	// A file left by an earlier process is removed when the engine starts.
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sort-stale.run"), []byte("x"), 0o644))
	eng, err := NewEngine(context.Background(), memkv.New(), Config{NodeID: 1, TempDir: dir})
	require.NoError(t, err)
	requireEmptyDir(t, dir)
	return eng, dir
}

func requireEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return
	}
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	require.Empty(t, names, "temp files left in %s", dir)
}

func TestSortSpill(t *testing.T) {
	eng, dir := newSpillEngine(t)
	s := newTS(t, eng)
	s.query("SHOW work_mem", "64MB")
	s.exec("CREATE TABLE sp (k INT PRIMARY KEY, g INT, v TEXT)")
	s.exec("INSERT INTO sp SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 7919) % 101 END, repeat('x', i % 37) || 'pad-' || repeat('y', 80) || i FROM generate_series(1, 4000) AS i")
	queries := []string{
		"SELECT g, k, v FROM sp ORDER BY g DESC NULLS LAST, v, k",
		"SELECT k, g FROM sp ORDER BY g NULLS FIRST, k DESC",
		"SELECT v FROM sp ORDER BY length(v), v DESC LIMIT 50 OFFSET 1000",
	}
	var want [][]string
	for _, q := range queries {
		rows, _, err := s.run(q)
		require.NoError(t, err)
		want = append(want, rows)
	}
	requireEmptyDir(t, dir)

	s.exec("SET work_mem = '64kB'")
	s.query("SHOW work_mem", "64kB")
	for i, q := range queries {
		rows, _, err := s.run(q)
		require.NoError(t, err, q)
		require.Equal(t, want[i], rows, q)
		requireEmptyDir(t, dir)
	}
	rows, _, err := s.run("EXPLAIN ANALYZE " + queries[0])
	require.NoError(t, err)
	joined := strings.Join(rows, "\n")
	require.Regexp(t, `sort spilled to disk: 1 sort\(s\), [0-9]+ run\(s\), [0-9]+ bytes written`, joined)
	require.Contains(t, joined, "rows: 4000")
	requireEmptyDir(t, dir)

	// A statement that fails after its sort spilled leaves no files.
	s.fails("SELECT 1 / (k - 3999) FROM (SELECT k FROM sp ORDER BY v) AS x", "22012")
	requireEmptyDir(t, dir)

	// In memory again: no spill line.
	s.exec("RESET work_mem")
	s.query("SHOW work_mem", "64MB")
	rows, _, err = s.run("EXPLAIN ANALYZE " + queries[0])
	require.NoError(t, err)
	require.NotContains(t, strings.Join(rows, "\n"), "spilled")
}

func TestWorkMemValues(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	for _, c := range []struct{ set, show string }{
		{"'4MB'", "4MB"}, {"'1GB'", "1GB"}, {"65536", "64MB"}, {"'1000kB'", "1000kB"},
		{"'2048 kB'", "2MB"}, {"'131072B'", "128kB"}, {"DEFAULT", "64MB"},
	} {
		s.exec("SET work_mem = " + c.set)
		s.query("SHOW work_mem", c.show)
	}
	s.fails("SET work_mem = 'lots'", "22023")
	s.fails("SET work_mem = '4XB'", "22023")
	s.fails("SET work_mem = '1kB'", "22023")
	s.fails("SET work_mem = '4096GB'", "22023")
	s.query("SHOW work_mem", "64MB")
}

func TestMemoryBudgetErrors(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE mb (k INT PRIMARY KEY, v INT, t TEXT)")
	s.exec("INSERT INTO mb SELECT i, i % 1000, repeat('z', 50) FROM generate_series(1, 3000) AS i")
	s.exec("CREATE TABLE small (k INT PRIMARY KEY)")
	s.exec("INSERT INTO small SELECT * FROM generate_series(1, 100)")
	eng.cfg.MemoryBudget = 1 << 16
	// Hash aggregation and a hash join's build side over the budget.
	s.fails("SELECT k, count(*) FROM mb GROUP BY k", "53200")
	s.fails("SELECT count(*) FROM mb AS a JOIN mb AS b ON a.v = b.v", "53200")
	_, _, err := s.run("SELECT t, count(*) FROM mb GROUP BY t, k")
	require.ErrorContains(t, err, "out of memory: the statement exceeded its memory budget of 64 KiB")
	// Few groups, but aggregate states that keep every input.
	s.fails("SELECT v % 2, string_agg(t, ',') FROM mb GROUP BY v % 2", "53200")
	s.fails("SELECT array_agg(t) FROM mb", "53200")
	s.fails("SELECT count(DISTINCT t || k) FROM mb", "53200")
	// Within the budget.
	s.query("SELECT count(*) FROM (SELECT v FROM mb GROUP BY v) AS x", "1000")

	// A correlated subquery's rows are given back after each evaluation:
	// 3000 evaluations of up to 100 rows each would exceed 1 MiB if they
	// accumulated.
	eng.cfg.MemoryBudget = 1 << 20
	s.query("SELECT count(*) FROM mb AS a WHERE a.v % 100 IN (SELECT b.k FROM small AS b WHERE b.k <= a.v % 100 + 50)", "2970")
	s.query("SELECT sum(x.c) FROM mb AS a, LATERAL (SELECT count(*) AS c FROM (SELECT k FROM small ORDER BY k DESC) AS s WHERE s.k > a.v % 100) AS x", "151500")
	s.query("SELECT count(*) FROM mb AS a WHERE EXISTS (SELECT 1 FROM small AS b JOIN small AS c ON b.k + 0 = c.k + 0 WHERE b.k = a.v % 100)", "2970")
}
