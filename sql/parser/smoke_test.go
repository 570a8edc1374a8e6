package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pingcap/tidb/pkg/parser/format"
)

func restore(st Statement) string {
	if st.AST == nil {
		return fmt.Sprintf("%T%+v", st.Ext, st.Ext)
	}
	var b strings.Builder
	if err := st.AST.Restore(format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordUppercase|format.RestoreNameDoubleQuotes, &b)); err != nil {
		return "restore error: " + err.Error()
	}
	return b.String()
}

func TestSmoke(t *testing.T) {
	for _, q := range []string{
		"SELECT a::int8, CAST(b AS TEXT), $1 FROM t WHERE id = $2",
		"insert into t (a,b) values ($1, 'x') on conflict (a) do update set b = excluded.b returning a, b",
		"select 1 +",
		"select a from t where x ~ 'a.*' and y ~* 'b'",
		"select a from t limit 1, 2",
		"create table t (a int8 primary key, b text, c numeric(10,2), d timestamptz, e bytea)",
		"select interval '1 day', timestamp '2020-01-01', E'\\x41'",
		"select 0x10",
		"select a div b from t",
	} {
		sts, err := Parse(q)
		if err != nil {
			t.Logf("%s\n  ERR %v", q, err)
			continue
		}
		for _, st := range sts {
			t.Logf("%s\n  -> %s params=%v casts=%v cols=%v oc=%+v ret=%d", q, restore(st), st.Params, st.CastTypes, st.ColumnTypes, st.OnConflict, len(st.Returning))
		}
	}
}

func TestExtSmoke(t *testing.T) {
	for _, q := range []string{
		"BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY", "SET x = 1", "SET TIME ZONE 'UTC'", "SHOW ALL", "SHOW search_path",
		"COPY t (a, b) FROM STDIN WITH (FORMAT csv, HEADER)", "COPY t TO STDOUT WITH CSV HEADER", "ALTER TABLE t SPLIT AT VALUES (1), (2)",
		"SHOW RANGES FROM TABLE t", "PREPARE p (int8) AS SELECT $1", "EXECUTE p(1)", "VACUUM", "ROLLBACK TO SAVEPOINT s",
	} {
		sts, err := Parse(q)
		require.NoError(t, err, q)
		require.Len(t, sts, 1)
		require.NotNil(t, sts[0].Ext, q)
	}
}
