//go:build pgoracle

// The oracle: PostgreSQL's own parser (libpg_query through pg_query_go,
// cgo) decides which corpus statements are valid PostgreSQL. Behind the
// pgoracle build tag so that nothing else links cgo:
//
//	go test -tags pgoracle -count=1 ./sql/parser/corpus/            # check
//	go test -tags pgoracle -count=1 ./sql/parser/corpus/ -update    # refresh .verdicts

package corpus_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	pgquery "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"
	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/parser/corpus"
)

var update = flag.Bool("update", false, "rewrite the .verdicts files from PostgreSQL's parser")

// oracleVerdicts asks PostgreSQL's parser about every statement of f.
func oracleVerdicts(f *corpus.File) []corpus.Verdict {
	vs := make([]corpus.Verdict, len(f.Stmts))
	for i, s := range f.Stmts {
		vs[i].Hash = corpus.Hash(s.SQL)
		if _, err := pgquery.Parse(s.SQL); err != nil {
			var pe *pgparser.Error
			if errors.As(err, &pe) {
				vs[i].Error = pe.Message
			} else {
				vs[i].Error = err.Error()
			}
			continue
		}
		vs[i].Accepted = true
	}
	return vs
}

// TestOracle checks the committed verdicts against PostgreSQL's parser
// (or rewrites them with -update), then reports per group how many of the
// statements PostgreSQL accepts we parse, and fails if a "must" group
// misses one that is not a listed known gap.
func TestOracle(t *testing.T) {
	files := corpusFiles(t)
	for _, f := range files {
		vs := oracleVerdicts(f)
		if *update {
			require.NoError(t, os.WriteFile(corpus.VerdictsPath(f.Path), []byte(corpus.FormatVerdicts(f, vs)), 0o644))
			continue
		}
		got, err := corpus.ReadVerdicts(f)
		require.NoError(t, err, "%s", f.Path)
		require.Equal(t, vs, got, "%s: verdicts differ from PostgreSQL's parser; run with -update", f.Path)
	}
	checkCorpus(t, files)
}

// TestOracleSQLLogicTest checks pgRejects-style exclusions are what
// PostgreSQL's parser rejects: every eligible sqllogictest record that
// PostgreSQL accepts must parse with ours.
func TestOracleSQLLogicTest(t *testing.T) {
	dir := sltDir()
	paths, err := corpus.Expand([]string{dir})
	require.NoError(t, err)
	var accepted, ours int
	for _, p := range paths {
		f, err := corpus.ReadFile(p)
		require.NoError(t, err)
		r := corpus.Run(f, oracleVerdicts(f))
		accepted += r.PGAccepted
		ours += r.ParsedAccepted
		for _, fl := range r.MustFailures {
			t.Errorf("%s:%d: PostgreSQL accepts, we fail: %s\n  %s", p, fl.Line, fl.Error, fl.SQL)
		}
	}
	t.Logf("sqllogictest: PostgreSQL accepts %d eligible records; we parse %d of them", accepted, ours)
	require.Greater(t, accepted, 1000)
}

// sltDir finds ../shared/sqllogictest next to the repository.
func sltDir() string {
	if d := os.Getenv("TESSERA_SQLLOGICTEST"); d != "" {
		return d
	}
	dir, _ := filepath.Abs(".")
	for {
		cand := filepath.Join(dir, "shared", "sqllogictest")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "../../../../shared/sqllogictest"
		}
		dir = parent
	}
}
