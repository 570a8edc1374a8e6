package placement

import (
	"flag"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// randomSnapshot builds a messy cluster: any liveness, full disks, nodes
// with two stores, replicas on unknown stores, learners, leases on stores
// without a replica, hot and huge ranges, odd samples.
func randomSnapshot(rng *rand.Rand) *Snapshot {
	s := &Snapshot{Now: t0, Settings: settings.Defaults()}
	if rng.Intn(2) == 0 {
		s.Settings.RangeMaxBytes = 1 << 20
	}
	nStores := 1 + rng.Intn(7)
	for i := 1; i <= nStores; i++ {
		st := Store{ID: kvpb.StoreID(i), Node: kvpb.NodeID(1 + rng.Intn(nStores)), Liveness: Liveness(rng.Intn(5)),
			Capacity: Capacity{Total: 1000, Available: int64(rng.Intn(1001))}}
		if rng.Intn(4) == 0 {
			st.LastHeartbeat = t0.Add(-time.Duration(rng.Intn(600)) * time.Second)
		}
		s.Stores = append(s.Stores, st)
	}
	nRanges := 1 + rng.Intn(20)
	for i := 0; i < nRanges; i++ {
		r := Range{ID: kvpb.RangeID(i + 1), StartKey: []byte(fmt.Sprintf("k%03d", i*10)),
			SizeBytes: int64(rng.Intn(3 << 20)), QPS: float64(rng.Intn(6000))}
		if i < nRanges-1 {
			r.EndKey = []byte(fmt.Sprintf("k%03d", (i+1)*10))
		}
		used := map[kvpb.StoreID]bool{}
		for j := rng.Intn(6); j > 0; j-- {
			st := kvpb.StoreID(1 + rng.Intn(nStores+1)) // may be unknown
			if used[st] {
				continue
			}
			used[st] = true
			r.Replicas = append(r.Replicas, Replica{Store: st, ID: kvpb.ReplicaID(j), Type: ReplicaType(rng.Intn(4) / 3)})
		}
		if rng.Intn(5) > 0 && len(r.Replicas) > 0 {
			r.Leaseholder = r.Replicas[rng.Intn(len(r.Replicas))].Store
		} else if rng.Intn(2) == 0 {
			r.Leaseholder = kvpb.StoreID(1 + rng.Intn(nStores))
		}
		for j := rng.Intn(5); j > 0; j-- {
			r.Samples = append(r.Samples, KeySample{Key: []byte(fmt.Sprintf("k%03d", i*10+rng.Intn(12)-1)), Count: int64(rng.Intn(100))})
		}
		for j := 0; j < 3; j++ {
			r.QPSHistory = append(r.QPSHistory, QPSSample{At: t0.Add(-time.Duration(j*6) * time.Second), QPS: float64(rng.Intn(6000))})
		}
		s.Ranges = append(s.Ranges, r)
	}
	s.Index()
	return s
}

// TestRandomSnapshots runs the planner on messy random clusters: it must
// not panic, must be deterministic, and its operators must keep the
// safety invariants.
var randomSeed = flag.Int64("random-seed", 0, "replay TestRandomSnapshots with this seed")

func TestRandomSnapshots(t *testing.T) {
	seed := time.Now().UnixNano()
	if *randomSeed != 0 {
		seed = *randomSeed
	}
	t.Logf("seed %d (replay with -random-seed=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	var p Planner
	for iter := 0; iter < 500; iter++ {
		s := randomSnapshot(rng)
		planSeed := rng.Int63()
		ops := p.Plan(s, rand.New(rand.NewSource(planSeed)))
		require.Equal(t, fmtOps(ops), fmtOps(p.Plan(s, rand.New(rand.NewSource(planSeed)))), "seed %d iter %d", seed, iter)
		seen := map[kvpb.RangeID]bool{}
		for _, op := range ops {
			require.False(t, seen[op.RangeID], "two operators for %s", op.RangeID)
			seen[op.RangeID] = true
			require.NotEmpty(t, op.Reason)
			r := s.Range(op.RangeID)
			require.NotNil(t, r)
			checkOpSafety(t, s, r, op)
		}
		for i := range s.Ranges {
			_, err := p.Explain(s, s.Ranges[i].ID, rand.New(rand.NewSource(planSeed)))
			require.NoError(t, err)
		}
	}
}

// checkOpSafety replays op's steps on r's replica set and checks: targets
// are live, not too full, and on a node without a replica of the range; a
// live leaseholder is never removed; a lease goes only to a voter.
func checkOpSafety(t *testing.T, s *Snapshot, r *Range, op *Operator) {
	reps := map[kvpb.StoreID]ReplicaType{}
	for _, rep := range r.Replicas {
		reps[rep.Store] = rep.Type
	}
	lh := r.Leaseholder
	for _, st := range op.Steps {
		require.Equal(t, r.ID, st.Range())
		switch st := st.(type) {
		case AddLearner:
			target := s.Store(st.Store)
			require.NotNil(t, target)
			require.Equal(t, Live, s.LivenessOf(st.Store), "%s", op)
			require.LessOrEqual(t, target.Capacity.Fullness(), s.Settings.MaxDiskFullness, "%s", op)
			for other := range reps {
				if o := s.Store(other); o != nil {
					require.NotEqual(t, o.Node, target.Node, "two replicas on one node: %s", op)
				}
			}
			reps[st.Store] = Learner
		case PromoteLearner:
			require.Equal(t, Learner, reps[st.Store])
			reps[st.Store] = Voter
		case TransferLease:
			typ, ok := reps[st.Target]
			require.True(t, ok && typ == Voter, "lease to a non-voter: %s", op)
			require.Equal(t, Live, s.LivenessOf(st.Target))
			lh = st.Target
		case RemoveReplica:
			_, ok := reps[st.Store]
			require.True(t, ok)
			if st.Store == lh {
				lv := s.LivenessOf(st.Store)
				require.True(t, lv == Dead || lv == Decommissioned || s.Store(st.Store) == nil, "removes the live leaseholder: %s", op)
			}
			delete(reps, st.Store)
		case Split:
			require.True(t, inRange(r, st.Key), "%s", op)
			require.NotEqual(t, kvpb.RangeID(metaRange), r.ID)
		case Merge:
			right := s.Range(st.Right)
			require.NotNil(t, right)
			require.True(t, sameVoters(r, right), "%s", op)
		}
	}
}
