package parser

import (
	"testing"

	tidb "github.com/pingcap/tidb/pkg/parser"
)

func BenchmarkTmpText(b *testing.B) {
	for _, s := range []string{"SELECT a, b, c FROM t WHERE id = ?", "select a , b , c from t where id = ?", "SELECT a , b , c FROM t WHERE id = ?"} {
		b.Run(s[:8], func(b *testing.B) {
			p := tidb.New()
			p.SetSQLMode(SQLMode)
			b.ReportAllocs()
			cpuLoop(b, func() {
				if _, _, err := p.ParseSQL(s); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
