package server

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// BenchmarkSplitUnderLoad times AdminSplit (RPC to a node, forwarding,
// range ID allocation, trigger through Raft, meta writes) on a 3-node
// cluster while 4 writers and a scanner run; it reports the p50 and p90
// of 20 splits per iteration. Run with -benchtime 1x.
func BenchmarkSplitUnderLoad(b *testing.B) {
	for it := 0; it < b.N; it++ {
		benchSplitOnce(b)
	}
}

func benchSplitOnce(b *testing.B) {
	b.StopTimer()
	c := startReplicatedCluster(b, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ds := clientDistSender(b, c)
	w := startWorkload(b, ds, 4, 1)
	var took []time.Duration
	b.StartTimer()
	for i := 0; i < 20; i++ {
		start := time.Now()
		_, err := admin(b, c.addrs[i%3]).AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: []byte(fmt.Sprintf("w/%03d", 50*i+25))})
		require.NoError(b, err)
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	w.finish()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(took[len(took)*9/10].Microseconds())/1000, "p90_ms")
	b.ReportMetric(float64(w.writes.Load()), "writes")
}
