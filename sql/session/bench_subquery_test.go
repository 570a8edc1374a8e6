package session

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/internal/memkv"
)

// BenchmarkCorrelatedSubqueryJoin runs correlated subqueries over a
// three-way join of 300-row tables, the shape the random differential
// tester (sql/randgen) found taking seconds: the subquery is evaluated
// per joined row (~64k) though it reads one column of one table.
func BenchmarkCorrelatedSubqueryJoin(b *testing.B) {
	ctx := context.Background()
	eng, err := NewEngine(ctx, memkv.New(), Config{NodeID: 1})
	if err != nil {
		b.Fatal(err)
	}
	cs, err := eng.NewSession(ctx, conn.SessionArgs{User: "root", Database: "defaultdb"})
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()
	s := cs.(*Session)
	run := func(sql string) ([]string, error) {
		var w *textWriter
		err := s.ExecSimple(ctx, sql, func() conn.ResultWriter { w = &textWriter{}; return w }, func(string) error { return nil })
		if w == nil {
			return nil, err
		}
		return w.rows, err
	}
	for _, tb := range []string{"t1", "t2", "t3"} {
		var sb strings.Builder
		fmt.Fprintf(&sb, "CREATE TABLE %s (k INT PRIMARY KEY, a INT, b INT, s TEXT); INSERT INTO %s VALUES ", tb, tb)
		for i := 0; i < 300; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d, %d, %d, 's%d')", i, i%37, i%11, i%5)
		}
		if _, err := run(sb.String()); err != nil {
			b.Fatal(err)
		}
	}
	cases := []struct{ name, sql, want string }{
		{"scalar", "SELECT count(*) FROM t1, t2, t3 WHERE t1.a = t2.a AND t2.b = t3.b AND t3.a > (SELECT min(a) FROM t2 x WHERE x.b = t1.b)", "64091"},
		{"exists", "SELECT count(*) FROM t1 JOIN t2 ON t1.a = t2.a JOIN t3 ON t2.b = t3.b WHERE EXISTS (SELECT 1 FROM t3 x WHERE x.a = t1.a AND x.b > 5)", "66456"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				rows, err := run(c.sql)
				if err != nil || len(rows) != 1 || rows[0] != c.want {
					b.Fatal(err, rows)
				}
			}
		})
	}
}
