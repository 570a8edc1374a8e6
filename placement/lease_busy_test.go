package placement

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// leaseTargets returns, per range, the lease targets of the operators.
func leaseTargets(ops []*Operator) map[kvpb.RangeID][]kvpb.StoreID {
	out := map[kvpb.RangeID][]kvpb.StoreID{}
	for _, op := range ops {
		for _, st := range op.Steps {
			if l, ok := st.(TransferLease); ok {
				out[op.RangeID] = append(out[op.RangeID], l.Target)
			}
		}
	}
	return out
}

// TestSystemLeaseAvoidsBusyStores: a system range's lease (r1 holds node
// liveness) does not go to a store that is receiving snapshots, nor to the
// replica an operator is just adding, while another voter can take it;
// other ranges' leases are placed as before.
func TestSystemLeaseAvoidsBusyStores(t *testing.T) {
	system := func(lh kvpb.StoreID, stores ...kvpb.StoreID) Range {
		return Range{ID: 1, StartKey: nil, EndKey: []byte("\x04"), Replicas: voters(stores...), Leaseholder: lh}
	}
	user := func(id kvpb.RangeID, start, end string, lh kvpb.StoreID, stores ...kvpb.StoreID) Range {
		return Range{ID: id, StartKey: []byte(start), EndKey: []byte(end), Replicas: voters(stores...), Leaseholder: lh}
	}
	// A learner on s4 still catching up: s4 is receiving a snapshot.
	inflightTo4 := func(s *Snapshot) {
		r := s.Range(9)
		r.Replicas = append(r.Replicas, Replica{Store: 4, ID: 9, Type: Learner})
		op := newOp(s, r, OpRebalance, "test").addVoter(4).remove(3).op
		op.Current = 1
		s.InFlight = []*Operator{op}
	}
	for _, tc := range []struct {
		name  string
		snap  func() *Snapshot
		rng   kvpb.RangeID
		want  []kvpb.StoreID // every seed moves r's lease once, to one of these
		never kvpb.StoreID   // a target no seed may choose
		some  kvpb.StoreID   // a target some seed chooses (the balancer moves one lease per cycle)
	}{
		{
			name: "decommission: r1's lease stays on an old voter, not the new replica",
			snap: func() *Snapshot {
				s := testSnap(system(1, 1, 2, 3))
				s.Stores[0].Liveness = Decommissioning
				return s
			},
			rng: 1, want: []kvpb.StoreID{2, 3}, never: 4,
		},
		{
			name: "decommission: a user range's lease follows the usual choice (fewest leases)",
			snap: func() *Snapshot {
				s := testSnap(user(2, "\x04a", "\x04b", 1, 1, 2, 3), user(3, "\x04b", "\x04c", 2, 2, 3, 4),
					user(4, "\x04c", "\x04d", 3, 2, 3, 4))
				s.Stores[0].Liveness = Decommissioning
				return s
			},
			rng: 2, want: []kvpb.StoreID{4},
		},
		{
			name: "lease balancing: r1's lease does not move to a store receiving a snapshot",
			snap: func() *Snapshot {
				s := testSnap(system(1, 1, 2, 4), user(2, "\x04a", "\x04b", 1, 1, 2, 4), user(3, "\x04b", "\x04c", 1, 1, 2, 4),
					user(4, "\x04c", "\x04d", 1, 1, 2, 4), user(9, "\x04x", "\x04y", 1, 1, 2, 3))
				inflightTo4(s)
				return s
			},
			rng: 1, never: 4,
		},
		{
			name: "lease balancing: r1's lease may move to that store once it is quiet",
			snap: func() *Snapshot {
				return testSnap(system(1, 1, 2, 4), user(2, "\x04a", "\x04b", 1, 1, 2, 4), user(3, "\x04b", "\x04c", 1, 1, 2, 4),
					user(4, "\x04c", "\x04d", 1, 1, 2, 4), user(9, "\x04x", "\x04y", 1, 1, 2, 3))
			},
			rng: 1, some: 4,
		},
		{
			name: "lease balancing: a user range's lease still moves to the busy store",
			snap: func() *Snapshot {
				s := testSnap(user(2, "\x04a", "\x04b", 1, 1, 4, 2), user(3, "\x04b", "\x04c", 1, 1, 4, 2),
					user(4, "\x04c", "\x04d", 1, 1, 4, 2), user(9, "\x04x", "\x04y", 1, 1, 2, 3))
				inflightTo4(s)
				return s
			},
			rng: 2, some: 4,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[kvpb.StoreID]bool{}
			for seed := int64(0); seed < 40; seed++ {
				s := tc.snap()
				s.Settings.RangeMinBytes = 0
				got := leaseTargets((&Planner{}).Plan(s, rand.New(rand.NewSource(seed))))[tc.rng]
				if tc.never != 0 {
					require.NotContains(t, got, tc.never, "seed %d", seed)
				}
				if tc.want != nil {
					require.Len(t, got, 1, "seed %d: one lease move for r%d", seed, tc.rng)
					require.Contains(t, tc.want, got[0], "seed %d", seed)
				}
				for _, st := range got {
					seen[st] = true
				}
			}
			if tc.some != 0 {
				require.True(t, seen[tc.some], "no seed moved r%d's lease to s%d (saw %v)", tc.rng, tc.some, seen)
			}
		})
	}
	// The rule itself.
	c := &cycle{incoming: map[kvpb.StoreID]int{4: 1}}
	r1, r2 := system(1, 1, 2, 3), user(2, "\x04a", "\x04b", 1, 1, 2, 3)
	require.True(t, c.leaseTargetBusy(&r1, 4, 0), "receiving a snapshot")
	require.True(t, c.leaseTargetBusy(&r1, 5, 5), "the replica being added")
	require.False(t, c.leaseTargetBusy(&r1, 2, 5))
	require.False(t, c.leaseTargetBusy(&r2, 4, 4), "user ranges are not restricted")
}
