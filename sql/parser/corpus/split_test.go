package corpus_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/parser/corpus"
)

func sqls(st []corpus.Stmt) []string {
	var out []string
	for _, s := range st {
		out = append(out, s.SQL)
	}
	return out
}

func TestSplitPSQL(t *testing.T) {
	src := strings.Join([]string{
		"-- header",
		"SELECT 1;",
		`\set x 1`,
		"  \\d+ t",
		"SELECT 'a;b', \"c;d\", E'e\\';f', $$g;h$$, $t$i;j$t$ /* k; /* l; */ m; */ -- n;",
		"  FROM t;",
		"SELECT f(1;2);",
		"SELECT 2",
		`\g`,
		"SELECT $1; ; ;",
		"/* only a comment */;",
		"SELECT 3",
	}, "\n")
	got := corpus.SplitPSQL(src)
	require.Equal(t, []string{
		"SELECT 1",
		"SELECT 'a;b', \"c;d\", E'e\\';f', $$g;h$$, $t$i;j$t$ /* k; /* l; */ m; */ -- n;\n  FROM t",
		"SELECT f(1;2)",
		"SELECT 2",
		"SELECT $1",
		"SELECT 3",
	}, sqls(got))
	require.Equal(t, []int{2, 5, 7, 8, 10, 12}, []int{got[0].Line, got[1].Line, got[2].Line, got[3].Line, got[4].Line, got[5].Line})
}

func TestReadSLT(t *testing.T) {
	src := `hash-threshold 8

statement ok
CREATE TABLE t1(a INTEGER, b INTEGER)

skipif postgresql
statement ok
INSERT INTO t1 VALUES(1, 2) ON DUPLICATE KEY UPDATE a = 1

onlyif mysql
query I
SELECT a DIV 2 FROM t1
----
0

onlyif postgresql
query II rowsort
SELECT a,
 b FROM t1
----
1
2

statement error
SELEC 1

skipif mysql
query I nosort
SELECT 1
----
1

halt

statement ok
SELECT 99
`
	got, err := corpus.ReadSLT(strings.NewReader(src))
	require.NoError(t, err)
	require.Equal(t, []string{"CREATE TABLE t1(a INTEGER, b INTEGER)", "SELECT a,\n b FROM t1", "SELECT 1"}, sqls(got))
	require.Equal(t, 4, got[0].Line)
}
