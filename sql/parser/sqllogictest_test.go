package parser_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/corpus"
)

// sltDir is ../shared/sqllogictest next to the repository (DESIGN.md §5),
// found from this package's directory by walking up, so that it resolves
// both in the main checkout and in worktrees nested deeper; the
// TESSERA_SQLLOGICTEST environment variable overrides it.
var sltDir = findSLTDir()

func findSLTDir() string {
	if d := os.Getenv("TESSERA_SQLLOGICTEST"); d != "" {
		return d
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		return "../../../shared/sqllogictest"
	}
	for {
		cand := filepath.Join(dir, "shared", "sqllogictest")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "../../../shared/sqllogictest"
		}
		dir = parent
	}
}

// sltRecords reads every PostgreSQL-eligible record of the corpus.
func sltRecords(t testing.TB) []corpus.Stmt {
	paths, err := corpus.Expand([]string{sltDir})
	require.NoError(t, err)
	var out []corpus.Stmt
	for _, p := range paths {
		f, err := corpus.ReadFile(p)
		require.NoError(t, err)
		for _, s := range f.Stmts {
			s.SQL = strings.TrimSpace(s.SQL)
			out = append(out, corpus.Stmt{SQL: s.SQL, Line: s.Line})
		}
	}
	return out
}

// TestSQLLogicTest parses every PostgreSQL-eligible statement and query of
// ../shared/sqllogictest and requires all that PostgreSQL accepts to parse.
func TestSQLLogicTest(t *testing.T) {
	if _, err := os.Stat(sltDir); err != nil {
		t.Fatalf("sqllogictest corpus missing at %s: %v", sltDir, err)
	}
	total, ok, rejected := 0, 0, 0
	failures := map[string]int{}
	for _, r := range sltRecords(t) {
		if pgRejects(r.SQL) {
			rejected++
			continue
		}
		total++
		if _, err := parser.Parse(r.SQL); err != nil {
			msg := err.Error()
			if failures[msg] < 1 {
				t.Logf("line %d: %v\n  %s", r.Line, err, r.SQL)
			}
			failures[msg]++
			continue
		}
		ok++
	}
	t.Logf("sqllogictest: parsed %d of %d PostgreSQL-eligible records (%.2f%%); %d records PostgreSQL rejects left out", ok, total, 100*float64(ok)/float64(total), rejected)
	require.Greater(t, total, 1000)
	require.Equal(t, total, ok, "eligible sqllogictest records that fail to parse")
}

// pgRejects lists the constructs of sqllogictest records that PostgreSQL 15
// itself rejects (SQLite dialect the corpus does not guard with skipif):
// empty IN lists, SQLite aggregate/trigger/REINDEX syntax, NOT INDEXED,
// postfix NOT NULL, INSERT OR REPLACE / REPLACE INTO. The pgoracle-tagged
// TestOracleSQLLogicTest checks these verdicts against PostgreSQL's parser.
func pgRejects(sql string) bool {
	u := strings.ToUpper(sql)
	for _, s := range []string{"IN ()", "TOTAL(", "GROUP_CONCAT(", "NOT INDEXED", "NOT NULL ORDER", "CREATE TRIGGER", "DROP TRIGGER", "REINDEX", "INSERT OR ", "REPLACE INTO"} {
		if strings.Contains(u, s) {
			return true
		}
	}
	return false
}
