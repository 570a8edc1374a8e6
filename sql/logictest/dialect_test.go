package logictest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// dialectDir holds our own PostgreSQL-dialect .test files: types, NULL
// semantics, errors with SQLSTATEs, transactions, DDL, RETURNING,
// ON CONFLICT, window functions, CTEs. PostgreSQL 15 must pass every
// record (the files are the specification); so must Tessera.
const dialectDir = "../testdata/logic"

func dialectFiles(t *testing.T) []string {
	t.Helper()
	files, err := DialectFiles(dialectDir)
	require.NoError(t, err)
	return files
}

// runDialect runs the files as engine ("postgresql" or "tessera": records
// marked onlyif tessera check Tessera's own output, such as EXPLAIN).
func runDialect(t *testing.T, url, engine string, extended bool) {
	for _, f := range dialectFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg := Config{URL: url, Engine: engine, FreshDatabase: true, Extended: extended}
			fr, err := RunFile(context.Background(), cfg, f)
			require.NoError(t, err)
			for _, fl := range fr.Failures {
				t.Errorf("%s:%d: %s\n%s", filepath.Base(fl.Path), fl.Line, fl.Reason, fl.SQL)
			}
			require.Positive(t, fr.Passed)
		})
	}
}

// TestDialectPostgres checks the files themselves against PostgreSQL 15.
func TestDialectPostgres(t *testing.T) {
	runDialect(t, postgresURL(t), "postgresql", false)
}

// TestDialectTessera runs them on the SQL engine through pgwire, in the
// simple and the extended protocol.
func TestDialectTessera(t *testing.T) {
	url := startTessera(t)
	t.Run("simple", func(t *testing.T) { runDialect(t, url, "tessera", false) })
	t.Run("extended", func(t *testing.T) { runDialect(t, url, "tessera", true) })
}
