package placement

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// benchSnapshot is a cluster of `stores` stores and n ranges of 256 MiB
// with 3 replicas each; skewed puts every replica on the first three
// stores and every lease on the first, else replicas and leases are spread
// round-robin (a balanced cluster: the steady state).
func benchSnapshot(n, stores int, skewed bool) *Snapshot {
	s := &Snapshot{Now: t0, Settings: settings.Defaults()}
	for i := 1; i <= stores; i++ {
		s.Stores = append(s.Stores, Store{ID: kvpb.StoreID(i), Node: kvpb.NodeID(i),
			Capacity: Capacity{Total: 100 << 40, Available: 90 << 40}})
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < n; i++ {
		r := Range{ID: kvpb.RangeID(i + 2), StartKey: []byte(fmt.Sprintf("k%08d", i)), SizeBytes: 256 << 20, QPS: float64(rng.Intn(100))}
		if i < n-1 {
			r.EndKey = []byte(fmt.Sprintf("k%08d", i+1))
		}
		spread := stores
		if skewed {
			spread = 3
		}
		for j := 0; j < 3; j++ {
			r.Replicas = append(r.Replicas, Replica{Store: kvpb.StoreID((i+j)%spread + 1), ID: kvpb.ReplicaID(j + 1)})
		}
		r.Leaseholder = r.Replicas[0].Store
		if skewed {
			r.Leaseholder = 1
		}
		for k := 0; k < 8; k++ {
			r.Samples = append(r.Samples, KeySample{Key: []byte(fmt.Sprintf("k%08d/%d", i, k)), Count: 10})
		}
		s.Ranges = append(s.Ranges, r)
	}
	s.Index()
	return s
}

// BenchmarkPlan measures one decision cycle over 10,000 ranges.
func BenchmarkPlan(b *testing.B) {
	for _, tc := range []struct {
		name   string
		skewed bool
	}{{"balanced", false}, {"skewed", true}} {
		b.Run(fmt.Sprintf("ranges=10000/stores=10/%s", tc.name), func(b *testing.B) {
			s := benchSnapshot(10000, 10, tc.skewed)
			var p Planner
			rng := rand.New(rand.NewSource(1))
			b.ReportAllocs()
			b.ResetTimer()
			ops := 0
			for i := 0; i < b.N; i++ {
				ops = len(p.Plan(s, rng))
			}
			b.ReportMetric(float64(ops), "ops/cycle")
		})
	}
}

// BenchmarkExplain measures a dry-run explanation of one range among
// 10,000.
func BenchmarkExplain(b *testing.B) {
	s := benchSnapshot(10000, 10, false)
	var p Planner
	rng := rand.New(rand.NewSource(1))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.Explain(s, 5000, rng); err != nil {
			b.Fatal(err)
		}
	}
}
