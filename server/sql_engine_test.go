package server

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/sql/logictest"
)

// TestSQLEngineOnNode runs SQL through pgwire and sql/session on a real
// node (Pebble store, ranges, the distributed KV client).
func TestSQLEngineOnNode(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ports, err := freePorts(1)
	require.NoError(t, err)
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	storeDir := t.TempDir()
	// A temp file a crashed process left is removed at start.
	tempDir := filepath.Join(storeDir, "sql-temp")
	require.NoError(t, os.MkdirAll(tempDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(tempDir, "sort-old.run"), []byte("x"), 0o644))
	s, err := New(Config{StoreDir: storeDir, Listen: addr, Join: []string{addr}, SQLAddr: "127.0.0.1:0", Logger: logger,
		SQLEngine: NewSQLEngine})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err = admin(t, addr).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	select { // sessions are refused (57P03) until the engine is built
	case <-s.SQLReady():
	case <-time.After(60 * time.Second):
		t.Fatal("SQL engine not built")
	}
	c, err := pgx.Connect(ctx, "postgres://root@"+s.SQLAddr()+"/defaultdb?sslmode=disable")
	require.NoError(t, err)
	defer c.Close(ctx)
	// ParameterStatus follows SET and RESET of a reported variable
	// (pgwire asks sql/session only when its VarsGeneration moved).
	require.Equal(t, "UTC", c.PgConn().ParameterStatus("TimeZone"))
	for _, st := range []struct{ q, app, tz string }{
		{"SELECT 1", "", "UTC"},
		{"SET application_name = 'bench'", "bench", "UTC"},
		{"SELECT 1", "bench", "UTC"},
		{"SET TIME ZONE 'America/New_York'", "bench", "America/New_York"},
		{"RESET ALL", "", "UTC"},
	} {
		_, err := c.Exec(ctx, st.q)
		require.NoError(t, err, st.q)
		require.Equal(t, st.app, c.PgConn().ParameterStatus("application_name"), st.q)
		require.Equal(t, st.tz, c.PgConn().ParameterStatus("TimeZone"), st.q)
	}
	for _, q := range []string{
		"CREATE TABLE kv (k INT PRIMARY KEY, v TEXT)",
		"CREATE INDEX kv_v ON kv (v)",
		"INSERT INTO kv VALUES (1, 'one'), (2, 'two'), (3, 'three')",
		"UPDATE kv SET v = 'TWO' WHERE k = 2",
		"DELETE FROM kv WHERE k = 3",
	} {
		_, err := c.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	var n int
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n))
	require.Equal(t, 2, n)
	var v string
	require.NoError(t, c.QueryRow(ctx, "SELECT v FROM kv WHERE k = $1", 2).Scan(&v))
	require.Equal(t, "TWO", v)
	require.NoError(t, c.QueryRow(ctx, "SELECT k FROM kv WHERE v = 'one'").Scan(&n))
	require.Equal(t, 1, n)
	tx, err := c.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "INSERT INTO kv VALUES (10, 'ten')")
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n))
	require.Equal(t, 2, n)

	// A transaction block spans several statements (its KV transaction
	// must outlive the first statement's context) and commits them all.
	tx, err = c.Begin(ctx)
	require.NoError(t, err)
	for _, q := range []string{"INSERT INTO kv VALUES (20, 'twenty')", "INSERT INTO kv VALUES (21, 'twenty-one')",
		"UPDATE kv SET v = 'ONE' WHERE k = 1"} {
		_, err = tx.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n))
	require.Equal(t, 4, n)
	require.NoError(t, tx.Commit(ctx))
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM kv WHERE k >= 20 OR v = 'ONE'").Scan(&n))
	require.Equal(t, 3, n)

	// A sort above work_mem spills to <store>/sql-temp and cleans up.
	ents, err := os.ReadDir(tempDir)
	require.NoError(t, err)
	require.Empty(t, ents, "stale temp files are removed at start")
	_, err = c.Exec(ctx, "INSERT INTO kv SELECT i, repeat('v', 200) || (i * 7919 % 5003) FROM generate_series(100, 1100) AS i")
	require.NoError(t, err)
	_, err = c.Exec(ctx, "SET work_mem = '64kB'")
	require.NoError(t, err)
	rows, err := c.Query(ctx, "EXPLAIN ANALYZE SELECT v FROM kv ORDER BY v DESC")
	require.NoError(t, err)
	var plan []string
	for rows.Next() {
		var l string
		require.NoError(t, rows.Scan(&l))
		plan = append(plan, l)
	}
	require.NoError(t, rows.Err())
	require.Regexp(t, `sort spilled to disk: 1 sort\(s\), \d+ run\(s\)`, strings.Join(plan, "\n"))
	var first string
	require.NoError(t, c.QueryRow(ctx, "SELECT v FROM kv ORDER BY v DESC LIMIT 1").Scan(&first))
	want := ""
	for i := 100; i <= 1100; i++ {
		want = max(want, strings.Repeat("v", 200)+strconv.Itoa(i*7919%5003))
	}
	require.Equal(t, want, first)
	ents, err = os.ReadDir(tempDir)
	require.NoError(t, err)
	require.Empty(t, ents, "no temp files after the statements")
}

// TestSQLLogicTestOnNode runs sqllogictest files through pgwire against
// a real node: evidence/slt_lang_aggfunc.test by default,
// TESSERA_SLT_NODE_FILES (a regexp over corpus paths) for others.
func TestSQLLogicTestOnNode(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ports, err := freePorts(1)
	require.NoError(t, err)
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	s, err := New(Config{StoreDir: t.TempDir(), Listen: addr, Join: []string{addr}, SQLAddr: "127.0.0.1:0", Logger: logger,
		SQLEngine: NewSQLEngine})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	defer s.Stop()
	ctx := context.Background()
	_, err = admin(t, addr).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	select { // sessions are refused (57P03) until the engine is built
	case <-s.SQLReady():
	case <-time.After(60 * time.Second):
		t.Fatal("SQL engine not built")
	}
	root, err := logictest.FindCorpus(".")
	require.NoError(t, err)
	files := []string{filepath.Join(root, "evidence/slt_lang_aggfunc.test"), filepath.Join(root, "evidence/in1.test")}
	if pat := os.Getenv("TESSERA_SLT_NODE_FILES"); pat != "" {
		all, err := logictest.TestFiles(root)
		require.NoError(t, err)
		re := regexp.MustCompile(pat)
		files = nil
		for _, f := range all {
			if re.MatchString(f) {
				files = append(files, f)
			}
		}
	}
	res, err := logictest.Run(ctx, logictest.Config{URL: "postgres://root@" + s.SQLAddr() + "/defaultdb?sslmode=disable", FreshDatabase: true}, files)
	require.NoError(t, err)
	var b strings.Builder
	res.Report(&b, 20)
	t.Log("\n" + b.String())
	require.GreaterOrEqual(t, res.PassRate(), 95.0)
}
