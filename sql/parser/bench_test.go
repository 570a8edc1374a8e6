package parser

import (
	"testing"

	tidb "github.com/pingcap/tidb/pkg/parser"
)

// benchCorpus pairs each PostgreSQL OLTP statement with its MySQL-grammar
// equivalent for the raw TiDB parser.
var benchCorpus = []struct{ name, pg, mysql string }{
	{"point_select", "SELECT a, b, c FROM t WHERE id = $1", "SELECT a, b, c FROM t WHERE id = ?"},
	{"insert_10", "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4),($5,$6),($7,$8),($9,$10),($11,$12),($13,$14),($15,$16),($17,$18),($19,$20)",
		"INSERT INTO t (a, b) VALUES (?,?),(?,?),(?,?),(?,?),(?,?),(?,?),(?,?),(?,?),(?,?),(?,?)"},
	{"update_by_key", "UPDATE t SET b = $1 WHERE id = $2", "UPDATE t SET b = ? WHERE id = ?"},
	{"tpcb_update_accounts", "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2", "UPDATE pgbench_accounts SET abalance = abalance + ? WHERE aid = ?"},
	{"tpcb_select", "SELECT abalance FROM pgbench_accounts WHERE aid = $1", "SELECT abalance FROM pgbench_accounts WHERE aid = ?"},
	{"tpcb_insert_history", "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
		"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)"},
	{"join_3way", "SELECT o.id, c.name, i.qty FROM orders o JOIN customers c ON c.id = o.cid JOIN items i ON i.oid = o.id WHERE o.id = $1",
		"SELECT o.id, c.name, i.qty FROM orders o JOIN customers c ON c.id = o.cid JOIN items i ON i.oid = o.id WHERE o.id = ?"},
}

// BenchmarkParse compares our Parse with the raw TiDB parser on the same
// statements (docs/benchmarks.md):
//
//	go test -run '^$' -bench BenchmarkParse -benchmem -count 8 -cpu 1 ./sql/parser/
func BenchmarkParse(b *testing.B) {
	for _, c := range benchCorpus {
		b.Run(c.name+"/tessera", func(b *testing.B) {
			b.ReportAllocs()
			cpuLoop(b, func() {
				if _, err := Parse(c.pg); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(c.name+"/tidb_raw", func(b *testing.B) {
			p := tidb.New()
			p.SetSQLMode(SQLMode)
			b.ReportAllocs()
			cpuLoop(b, func() {
				if _, _, err := p.ParseSQL(c.mysql); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
