package parser

import (
	"runtime"
	"testing"

	tidb "github.com/pingcap/tidb/pkg/parser"
)

// BenchmarkParseInterleaved measures our Parse and the raw TiDB parser on
// the same statements in alternating blocks of 32 parses on one locked OS
// thread, so that both see the same machine load (BenchmarkParse runs them
// one after the other, seconds apart, which on this shared machine moves
// the ratio by tens of percent):
//
//	go test -run '^$' -bench BenchmarkParseInterleaved -count 8 -cpu 1 ./sql/parser/
//
// It reports ours-cpu-ns/op and raw-cpu-ns/op (thread CPU time per
// statement of the mix on Linux, wall time elsewhere) and their ratio as
// overhead-%.
func BenchmarkParseInterleaved(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := tidb.New()
	p.SetSQLMode(SQLMode)
	const block = 32
	var ours, raw int64
	n := 0
	for b.Loop() {
		c := benchCorpus[n%len(benchCorpus)]
		n++
		t0 := opClock()
		for k := 0; k < block; k++ {
			if _, err := Parse(c.pg); err != nil {
				b.Fatal(err)
			}
		}
		t1 := opClock()
		for k := 0; k < block; k++ {
			if _, _, err := p.ParseSQL(c.mysql); err != nil {
				b.Fatal(err)
			}
		}
		t2 := opClock()
		ours += t1 - t0
		raw += t2 - t1
	}
	// per statement, averaged over the mix
	ops := float64(n * block)
	b.ReportMetric(float64(ours)/ops, "ours-cpu-ns/op")
	b.ReportMetric(float64(raw)/ops, "raw-cpu-ns/op")
	if raw > 0 {
		b.ReportMetric(100*float64(ours-raw)/float64(raw), "overhead-%")
	}
}
