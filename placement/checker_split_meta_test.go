package placement

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// TestMetaRangeSizeSplit: range 1 of a fresh cluster (the whole key
// space) above range_max_bytes is split at the size split key the
// leaseholder proposes (above the meta records), never by load nor by
// the sampled-key fallback.
func TestMetaRangeSizeSplit(t *testing.T) {
	snap := func() *Snapshot {
		s := &Snapshot{Now: t0, Settings: settings.Defaults()}
		s.Settings.RangeMaxBytes = 1 << 20
		s.Settings.LoadSplitQPS, s.Settings.LoadSplitWindow = 10, 0
		for i := 1; i <= 3; i++ {
			s.Stores = append(s.Stores, Store{ID: kvpb.StoreID(i), Node: kvpb.NodeID(i), Capacity: Capacity{Total: 1 << 40, Available: 1 << 39}})
		}
		r := Range{ID: 1, SizeBytes: 40 << 20, QPS: 500, Leaseholder: 1,
			Samples: []KeySample{{Key: []byte("\x02meta/a"), Count: 5}, {Key: []byte("\x02meta/b"), Count: 5}}}
		for i := 1; i <= 3; i++ {
			r.Replicas = append(r.Replicas, Replica{Store: kvpb.StoreID(i), ID: kvpb.ReplicaID(i)})
		}
		s.Ranges = []Range{r}
		s.Index()
		return s
	}
	kinds := func(ops []*Operator) []OpKind {
		var out []OpKind
		for _, o := range ops {
			out = append(out, o.Kind)
		}
		return out
	}
	var p Planner
	require.Empty(t, kinds(p.Plan(snap(), rand.New(rand.NewSource(1)))), "no size split key: no split of range 1")
	p.SizeSplitKey = func(*Range) []byte { return []byte("workload/kv/5") }
	ops := p.Plan(snap(), rand.New(rand.NewSource(1)))
	require.Equal(t, []OpKind{OpSplitSize}, kinds(ops))
	require.Len(t, ops[0].Steps, 1)
	require.Equal(t, []byte("workload/kv/5"), ops[0].Steps[0].(Split).Key)
	s := snap()
	s.Ranges[0].SizeBytes = 1 << 10
	require.Empty(t, kinds(p.Plan(s, rand.New(rand.NewSource(1)))), "small and hot: range 1 is never split by load")
}
