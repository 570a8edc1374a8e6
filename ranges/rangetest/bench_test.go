package rangetest

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkPut measures replicated writes (3 nodes, real gRPC and Pebble
// with fsync, 256-byte values) at 1 and 64 concurrent writers.
func BenchmarkPut(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			c := New(b, Config{Nodes: 3, Transport: benchTransport(), TickInterval: 50 * time.Millisecond, LeaseDuration: 3 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			require.NoError(b, c.Put(ctx, "warm", "up"))
			val := string(make([]byte, 256))
			var next atomic.Int64
			lat := make([][]time.Duration, writers)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						t0 := time.Now()
						if err := c.Put(ctx, fmt.Sprintf("k%08d", i), val); err != nil {
							b.Error(err)
							return
						}
						lat[w] = append(lat[w], time.Since(t0))
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			var all []time.Duration
			for _, l := range lat {
				all = append(all, l...)
			}
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			for _, n := range c.Nodes {
				m := n.Store().Metrics()
				b.Logf("n%d: %d cycles, %d syncs, %d entries appended", n.ID, m.RaftCycles, m.RaftSyncs, m.EntriesAppended)
			}
			if len(all) > 0 {
				b.ReportMetric(float64(len(all))/elapsed.Seconds(), "ops/s")
				b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50_ms")
				b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99_ms")
			}
		})
	}
}

// benchTransport is gRPC unless RANGETEST_BENCH_MEM is set.
func benchTransport() TransportKind {
	if os.Getenv("RANGETEST_BENCH_MEM") != "" {
		return Mem
	}
	return GRPC
}
