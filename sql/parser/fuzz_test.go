package parser_test

import (
	"os"
	"testing"

	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/corpus"
)

// FuzzParse checks that Parse never panics or hangs on any input and that
// every error it returns is a positioned *Error.
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 10m -parallel 1 ./sql/parser/
func FuzzParse(f *testing.F) {
	for _, s := range seedStatements {
		f.Add(s)
	}
	if paths, err := corpus.Expand([]string{"testdata/pg"}); err == nil {
		for _, p := range paths {
			if cf, err := corpus.ReadFile(p); err == nil {
				for _, st := range cf.Stmts {
					f.Add(st.SQL)
				}
			}
		}
	}
	if _, err := os.Stat(sltDir); err == nil {
		for n, r := range sltRecords(f) {
			if n%97 == 0 {
				f.Add(r.SQL)
			}
		}
	}
	f.Fuzz(func(t *testing.T, sql string) {
		if len(sql) > 1<<16 {
			return
		}
		sts, err := parser.Parse(sql)
		if err != nil {
			if _, ok := err.(*parser.Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, st := range sts {
			if st.AST == nil && st.Ext == nil {
				t.Fatalf("statement with neither AST nor Ext: %q", sql)
			}
		}
	})
}

var seedStatements = []string{
	"SELECT a::int8, CAST(b AS TEXT), $1 FROM t WHERE id = $2",
	"insert into t (a,b) values ($1, 'x') on conflict (a) do update set b = excluded.b returning a, b",
	"select a from t where x ~ 'a.*' and y ~* 'b' and z !~ 'c'",
	"create table t (a int8 primary key, b text, c numeric(10,2), d timestamptz, e bytea, f int[])",
	"select interval '1 day', timestamp '2020-01-01', E'\\x41\\n', $$dollar$$, $t$x$t$ /* a /* nested */ c */ -- x",
	"BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY", "SET x = 1", "SHOW ALL", "COPY t (a) FROM STDIN WITH (FORMAT csv)",
	"ALTER TABLE t SPLIT AT VALUES (1), (2)", "PREPARE p (int8) AS SELECT $1", "EXECUTE p(1)", "select 1e5, .5, 1.5e-3",
	"UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
}
