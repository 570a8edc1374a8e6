package servertest_test

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tesseradb/tessera/internal/proccpu"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
	pb "github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/server"
	"github.com/tesseradb/tessera/server/servertest"
)

// BenchmarkRebalanceDecommission loads TESSERA_BENCH_MIB MiB (default 64)
// of 4 KiB values into a 3-node cluster (range_max_bytes
// TESSERA_BENCH_RANGE_MIB MiB, default 8), adds two
// nodes and reports the time until replicas are within 15% of the mean
// and the logical bytes the new stores received; then decommissions one
// node and reports the bytes it held over the time it took to empty it.
// Run with -benchtime=1x: one iteration is the whole scenario. Progress
// lines go to stderr as they happen (a 2 GiB run takes many minutes).
// TESSERA_BENCH_CPUPROFILE=path profiles the decommission alone.
func BenchmarkRebalanceDecommission(b *testing.B) {
	note := func(format string, args ...any) {
		b.Logf(format, args...)
		fmt.Fprintf(os.Stderr, time.Now().UTC().Format("15:04:05 ")+format+"\n", args...)
	}
	mib := 64
	if v := os.Getenv("TESSERA_BENCH_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("TESSERA_BENCH_MIB=%q", v)
		}
		mib = n
	}
	rangeMiB := 8
	if v := os.Getenv("TESSERA_BENCH_RANGE_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("TESSERA_BENCH_RANGE_MIB=%q", v)
		}
		rangeMiB = n
	}
	for it := 0; it < b.N; it++ {
		c := servertest.Start(b, servertest.Config{Nodes: 5, Start: 3, LogLevel: logLevel(), Knobs: server.Knobs{PlacementInterval: 500 * time.Millisecond}})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		p, a := c.Placement(0), c.Admin(0)
		for k, v := range map[string]string{"range_max_bytes": fmt.Sprintf("%dMiB", rangeMiB), "range_min_bytes": "0", "range_cooldown": "5s"} {
			if _, err := p.SetSetting(ctx, &pb.SetSettingRequest{Name: k, Value: v}); err != nil {
				b.Fatal(err)
			}
		}
		db := c.DB(kvclient.Config{})
		val := make([]byte, 4096)
		for i := range val {
			val[i] = byte('a' + i%26)
		}
		keys := mib * 256
		loadStart := time.Now()
		var wg sync.WaitGroup
		errc := make(chan error, 16)
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Batches of 32 consecutive keys (128 KiB): one Raft
				// proposal per range touched instead of one per key.
				for base := w * 32; base < keys; base += 16 * 32 {
					bt := db.NewBatch()
					for i := base; i < base+32 && i < keys; i++ {
						bt.Put([]byte(fmt.Sprintf("\x04bench/%08d", i)), val)
					}
					if err := db.Run(ctx, bt); err != nil {
						errc <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		note("loaded %d MiB in %s", mib, time.Since(loadStart).Round(time.Millisecond))
		close(errc)
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
		// Every range split to size and on 3 voters.
		waitEveryB(b, time.Second, 10*time.Minute, func() error {
			st, err := readState(ctx, a)
			if err != nil {
				return err
			}
			if err := st.replicated(nil); err != nil {
				return err
			}
			for _, r := range st.ranges {
				if r.GetStats().GetLiveBytes() > int64(rangeMiB)<<20 {
					why := ""
					if e, err := p.Explain(ctx, &pb.ExplainRequest{RangeId: r.GetDesc().GetRangeId()}); err == nil {
						why = e.GetText()
					} else {
						why = err.Error()
					}
					return fmt.Errorf("r%d (%d bytes) not split yet: %s", r.GetDesc().GetRangeId(), r.GetStats().GetLiveBytes(), why)
				}
			}
			return nil
		})
		// readState fails while a split is half-way through (the ranges
		// do not tile the key space for a moment): retry it.
		var st0 *placementState
		waitEveryB(b, 100*time.Millisecond, time.Minute, func() (err error) {
			st0, err = readState(ctx, a)
			return err
		})
		note("%d MiB in %d ranges on 3 nodes", mib, len(st0.ranges))

		b.ResetTimer()
		start := time.Now()
		c.StartNode(3)
		c.StartNode(4)
		var last *placementState
		waitEveryB(b, time.Second, 20*time.Minute, func() error {
			st, err := readState(ctx, a)
			if err != nil {
				return err
			}
			last = st
			if err := st.replicated(nil); err != nil {
				return err
			}
			var ids []kvpb.NodeID
			for i := range c.Addrs {
				if id := c.Server(i).NodeID(); id != 0 {
					ids = append(ids, id)
				}
			}
			if len(ids) != 5 {
				return fmt.Errorf("joining")
			}
			return st.balanced(ids, 0.15)
		})
		rebalance := time.Since(start)
		var moved int64
		for i := 3; i < 5; i++ {
			ss, err := c.Placement(i).StoreStatus(ctx, &pb.StoreStatusRequest{})
			if err != nil {
				b.Fatal(err)
			}
			moved += ss.GetLogicalBytes()
		}
		b.ReportMetric(rebalance.Seconds(), "rebalance-s")
		b.ReportMetric(float64(moved)/(1<<20), "rebalance-MiB-moved")
		b.ReportMetric(float64(moved)/(1<<20)/rebalance.Seconds(), "rebalance-MiB/s")
		note("3 -> 5: balanced in %s, %.1f MiB logical onto the new stores, replicas %v", rebalance.Round(time.Millisecond), float64(moved)/(1<<20), last.replicas)

		victim := c.Server(4).NodeID()
		ss, err := c.Placement(4).StoreStatus(ctx, &pb.StoreStatusRequest{})
		if err != nil {
			b.Fatal(err)
		}
		held := ss.GetLogicalBytes()
		if path := os.Getenv("TESSERA_BENCH_CPUPROFILE"); path != "" {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				b.Fatal(err)
			}
			defer f.Close()
		}
		start = time.Now()
		cpu0 := proccpu.Used()
		if _, err := p.SetMembership(ctx, &pb.SetMembershipRequest{NodeId: uint64(victim), Membership: pb.Membership_DECOMMISSIONING}); err != nil {
			b.Fatal(err)
		}
		// Polled every 100 ms: at 150+ MiB/s a decommission takes 1-3 s,
		// and a 500 ms poll was a sixth of the figure.
		waitEveryB(b, 100*time.Millisecond, 20*time.Minute, func() error {
			resp, err := p.DecommissionStatus(ctx, &pb.DecommissionStatusRequest{NodeId: uint64(victim)})
			if err != nil {
				return err
			}
			if resp.GetReplicasLeft() != 0 {
				return fmt.Errorf("%d left", resp.GetReplicasLeft())
			}
			return nil
		})
		dec := time.Since(start)
		cpu := proccpu.Used() - cpu0
		pprof.StopCPUProfile()
		b.ReportMetric(dec.Seconds(), "decommission-s")
		b.ReportMetric(float64(held)/(1<<20)/dec.Seconds(), "decommission-MiB/s")
		b.ReportMetric(cpu.Seconds()*1000/(float64(held)/(1<<20)), "decommission-cpu-ms/MiB")
		note("decommission of n%d: %.1f MiB in %s = %.1f MiB/s; process CPU %s = %.2f ms/MiB", victim, float64(held)/(1<<20), dec.Round(time.Millisecond),
			float64(held)/(1<<20)/dec.Seconds(), cpu.Round(time.Millisecond), cpu.Seconds()*1000/(float64(held)/(1<<20)))
		b.StopTimer()
		cancel()
	}
}

func waitEveryB(b *testing.B, interval, timeout time.Duration, cond func() error) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("after %s: %v", timeout, err)
		}
		tm := time.NewTimer(interval)
		<-tm.C
	}
}
