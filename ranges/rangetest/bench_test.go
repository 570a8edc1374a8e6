package rangetest

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/internal/proccpu"
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

// BenchmarkSnapshot measures the snapshot path alone: range 1 holds
// RANGETEST_SNAPSHOT_MIB MiB (default 64) of 4 KiB values on 3 nodes
// (real gRPC and Pebble on disk); adding a voter on a fourth node streams
// it one snapshot. Reported: the time from the change request to the
// voter's promotion, the logical MiB/s and the process CPU per MiB. Run with -benchtime=1x;
// RANGETEST_SNAPSHOT_CPUPROFILE=path profiles the timed part alone.
func BenchmarkSnapshot(b *testing.B) {
	mib := 64
	if v := os.Getenv("RANGETEST_SNAPSHOT_MIB"); v != "" {
		if _, err := fmt.Sscan(v, &mib); err != nil || mib <= 0 {
			b.Fatalf("RANGETEST_SNAPSHOT_MIB=%q", v)
		}
	}
	for it := 0; it < b.N; it++ {
		c := New(b, Config{Nodes: 4, Replicas: 3, Transport: benchTransport(), RaftLogMaxEntries: 100})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		val := make([]byte, 4096)
		for i := range val {
			val[i] = byte('a' + i%26)
		}
		keys := mib * 256
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(keys) {
						return
					}
					if err := c.Put(ctx, fmt.Sprintf("k%08d", i), string(val)); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		lh := c.Leaseholder(ctx, 1)
		require.NotNil(b, lh)
		held := lh.Store().RangeInfo(1)[0].GetStats().GetLiveBytes()
		b.ResetTimer()
		if path := os.Getenv("RANGETEST_SNAPSHOT_CPUPROFILE"); path != "" {
			f, err := os.Create(path)
			require.NoError(b, err)
			require.NoError(b, pprof.StartCPUProfile(f))
			defer f.Close()
		}
		start := time.Now()
		cpu0 := proccpu.Used()
		c.AddVoter(ctx, 1, c.Nodes[3])
		took := time.Since(start)
		cpu := proccpu.Used() - cpu0
		b.StopTimer()
		pprof.StopCPUProfile()
		require.Positive(b, c.Nodes[3].Store().Metrics().SnapshotsApplied)
		mibHeld := float64(held) / (1 << 20)
		b.ReportMetric(took.Seconds(), "snapshot-s")
		b.ReportMetric(mibHeld/took.Seconds(), "snapshot-MiB/s")
		b.ReportMetric(cpu.Seconds()*1000/mibHeld, "snapshot-cpu-ms/MiB")
		b.Logf("%.1f MiB in %s = %.1f MiB/s; process CPU %s = %.2f ms/MiB", mibHeld, took.Round(time.Millisecond), mibHeld/took.Seconds(),
			cpu.Round(time.Millisecond), cpu.Seconds()*1000/mibHeld)
		cancel()
	}
}
