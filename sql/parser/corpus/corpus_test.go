package corpus_test

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/corpus"
)

const corpusDir = "../testdata/pg"

// knownGaps are statements of "must" groups that PostgreSQL accepts and
// we do not parse yet, each with the reason. The corpus test fails when
// one starts parsing (remove it then) and when any other must statement
// fails. Keyed by corpus.Hash of the statement.
var knownGaps = map[string]string{}

// extensions are statements PostgreSQL rejects that we accept on purpose:
// Tessera's own admin syntax (issue 7, Deliver 2). Every other statement
// PostgreSQL rejects must be refused by us too.
var extensions = map[string]string{
	"SPLIT AT":    "ALTER TABLE t SPLIT AT VALUES (10), (20)",
	"SHOW RANGES": "SHOW RANGES FROM TABLE t",
}

func corpusFiles(t testing.TB) []*corpus.File {
	paths, err := corpus.Expand([]string{corpusDir})
	require.NoError(t, err)
	var files []*corpus.File
	for _, p := range paths {
		if strings.Contains(p, string(filepath.Separator)+"capture"+string(filepath.Separator)) {
			continue
		}
		f, err := corpus.ReadFile(p)
		require.NoError(t, err)
		files = append(files, f)
	}
	require.NotEmpty(t, files)
	return files
}

// TestCorpus parses the whole corpus against the committed PostgreSQL
// verdicts (no cgo needed): in "must" groups every statement PostgreSQL
// accepts parses, apart from knownGaps. It logs the per-group rates.
func TestCorpus(t *testing.T) {
	checkCorpus(t, corpusFiles(t))
}

func checkCorpus(t *testing.T, files []*corpus.File) {
	seenGaps := map[string]bool{}
	var report []string
	musts := 0
	for _, f := range files {
		vs, err := corpus.ReadVerdicts(f)
		require.NoError(t, err, "%s", f.Path)
		require.NotNil(t, vs, "%s has no .verdicts file: run go test -tags pgoracle ./sql/parser/corpus/ -update", f.Path)
		r := corpus.Run(f, vs)
		for i, v := range vs {
			sql := f.Stmts[i].SQL
			if v.Accepted || !parses(sql) || isExtension(sql) {
				continue
			}
			t.Errorf("%s:%d: PostgreSQL rejects it (%s), we accept it\n  %s", f.Path, f.Stmts[i].Line, v.Error, sql)
		}
		kind := "other"
		if f.Must {
			kind = "must"
			musts++
			for _, fl := range r.MustFailures {
				h := corpus.Hash(fl.SQL)
				if _, ok := knownGaps[h]; ok {
					seenGaps[h] = true
					continue
				}
				t.Errorf("%s:%d (%s): PostgreSQL accepts it, we fail: %s\n  %s", f.Path, fl.Line, h, fl.Error, fl.SQL)
			}
		}
		report = append(report, fmt.Sprintf("%-12s %-5s statements %4d  PostgreSQL accepts %4d  we parse %4d of them (%5.1f%%)  we parse %d it rejects",
			f.Group(), kind, r.Statements, r.PGAccepted, r.ParsedAccepted, 100*float64(r.ParsedAccepted)/float64(max(1, r.PGAccepted)), r.ParsedRejected))
	}
	sort.Strings(report)
	t.Logf("corpus pass rates (ours among statements PostgreSQL accepts):\n%s", strings.Join(report, "\n"))
	require.GreaterOrEqual(t, musts, 5, "must groups psql, pgbench, psycopg2, jdbc, pgx")
	for h, why := range knownGaps {
		require.True(t, seenGaps[h], "known gap %s (%s) now parses or vanished: remove it from knownGaps", h, why)
	}
}

func parses(sql string) bool {
	_, err := parser.Parse(sql)
	return err == nil
}

func isExtension(sql string) bool {
	for _, e := range extensions {
		if sql == e {
			return true
		}
	}
	return false
}
