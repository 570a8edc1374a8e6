package logictest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	pgOnce   sync.Once
	pgServer *Postgres
	pgErr    error
)

// postgresURL returns the URL of the package's PostgreSQL 15 server,
// starting it on first use (TestMain stops it), or $TESSERA_PG_URL, a
// server the developer runs, when that is set. Missing binaries fail the
// test unless TESSERA_NO_PG=1.
func postgresURL(t *testing.T) string {
	t.Helper()
	if os.Getenv("TESSERA_NO_PG") == "1" {
		t.Skip("TESSERA_NO_PG=1: PostgreSQL-backed test skipped by the developer")
	}
	if u := os.Getenv("TESSERA_PG_URL"); u != "" {
		return u
	}
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		pgServer, pgErr = StartPostgres(ctx)
	})
	require.NoError(t, pgErr, "this test needs the PostgreSQL 15 server (Debian package postgresql); set TESSERA_NO_PG=1 to skip it")
	return pgServer.URL
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pgServer != nil {
		if err := pgServer.Stop(); err != nil {
			os.Stderr.WriteString("stopping postgres: " + err.Error() + "\n")
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

func TestRunnerDirectives(t *testing.T) {
	url := postgresURL(t)
	for _, extended := range []bool{false, true} {
		cfg := Config{URL: url, FreshDatabase: true, Extended: extended}
		fr, err := RunFile(context.Background(), cfg, "testdata/runner.test")
		require.NoError(t, err)
		var failed []int
		for _, f := range fr.Failures {
			failed = append(failed, f.Line)
			t.Logf("extended=%v expected failure: %s", extended, f)
		}
		// The records marked FAIL in runner.test, by line.
		require.Equal(t, []int{21, 25, 93, 99, 129}, failed)
		require.Equal(t, 5, fr.Failed)
		require.Equal(t, 16, fr.Passed)
		// skipif postgresql, onlyif mysql, and the two records after halt.
		require.Equal(t, 4, fr.Skipped)
		var classes []string
		for _, f := range fr.Failures {
			classes = append(classes, f.Class)
		}
		require.Equal(t, []string{"expected an error", "error 22012: division by zero", "wrong result", "column count", "label mismatch"}, classes)
		res := &Result{}
		res.Add(fr)
		var b strings.Builder
		res.Report(&b, -1)
		require.Contains(t, b.String(), "pass rate 76.19%")
		require.Contains(t, b.String(), "1  error 22012: division by zero (e.g. testdata/runner.test:25)")
	}
}

func TestRunnerUnreachableServer(t *testing.T) {
	port, err := freePort()
	require.NoError(t, err)
	cfg := Config{URL: "postgres://postgres@127.0.0.1:" + itoa(port) + "/postgres?sslmode=disable&connect_timeout=5"}
	_, err = RunFile(context.Background(), cfg, "testdata/runner.test")
	require.Error(t, err)
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestSQLLogicTestPostgres runs the shared sqllogictest slice against
// PostgreSQL 15 (or the server at TESSERA_SLT_URL): the fixed subset by
// default, everything with TESSERA_SLT_FULL=1, the files whose path
// matches TESSERA_SLT_FILES otherwise. It logs the per-file and total
// figures, the failure classes and every failure.
func TestSQLLogicTestPostgres(t *testing.T) {
	// TESSERA_SLT_URL points the run at another server (e.g. Tessera's
	// pgwire) instead of the throw-away PostgreSQL.
	url := os.Getenv("TESSERA_SLT_URL")
	if url == "" {
		url = postgresURL(t)
	}
	root, err := FindCorpus(".")
	require.NoError(t, err)
	files, err := SelectFiles(root)
	require.NoError(t, err)
	res, err := Run(context.Background(), Config{URL: url, FreshDatabase: true}, files)
	require.NoError(t, err)
	var b strings.Builder
	res.Report(&b, -1)
	t.Log("\n" + b.String())
	require.NotEmpty(t, files)
	require.Greater(t, res.Passed+res.Failed, 0)
	require.GreaterOrEqual(t, res.PassRate(), 99.0)
}
