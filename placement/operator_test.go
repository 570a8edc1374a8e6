package placement

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/settings"
)

func testSnap(ranges ...Range) *Snapshot {
	s := &Snapshot{Now: t0, Settings: settings.Defaults()}
	for i := 1; i <= 4; i++ {
		s.Stores = append(s.Stores, Store{ID: kvpb.StoreID(i), Node: kvpb.NodeID(i), Capacity: Capacity{Total: 100, Available: 50}})
	}
	s.Ranges = ranges
	s.Index()
	return s
}

func voters(ids ...kvpb.StoreID) []Replica {
	var out []Replica
	for i, id := range ids {
		out = append(out, Replica{Store: id, ID: kvpb.ReplicaID(i + 1), Type: Voter})
	}
	return out
}

func TestStepCheck(t *testing.T) {
	base := stepBase{RangeID: 2, StartKey: []byte("a"), Wait: time.Minute}
	r := func(mut func(*Range)) *Snapshot {
		rg := Range{ID: 2, StartKey: []byte("a"), EndKey: []byte("z"), Replicas: voters(1, 2, 3), Leaseholder: 1}
		if mut != nil {
			mut(&rg)
		}
		return testSnap(rg)
	}
	learnerOn4 := func(rg *Range) { rg.Replicas = append(rg.Replicas, Replica{Store: 4, ID: 9, Type: Learner}) }
	voterOn4 := func(rg *Range) { rg.Replicas = append(rg.Replicas, Replica{Store: 4, ID: 9, Type: Voter}) }
	for _, tc := range []struct {
		name string
		step Step
		snap *Snapshot
		want StepStatus
	}{
		{"add: not yet", AddLearner{base, 4}, r(nil), StepInProgress},
		{"add: learner there", AddLearner{base, 4}, r(learnerOn4), StepDone},
		{"add: range split away (start moved)", AddLearner{base, 4}, r(func(rg *Range) { rg.StartKey = []byte("b") }), StepAbandon},
		{"add: range gone", AddLearner{base, 4}, testSnap(), StepAbandon},
		{"add: target died", AddLearner{base, 4}, func() *Snapshot { s := r(nil); s.Stores[3].Liveness = Dead; return s }(), StepAbandon},
		{"promote: learner", PromoteLearner{base, 4}, r(learnerOn4), StepInProgress},
		{"promote: voter", PromoteLearner{base, 4}, r(voterOn4), StepDone},
		{"promote: learner vanished", PromoteLearner{base, 4}, r(nil), StepAbandon},
		{"lease: done", TransferLease{base, 1}, r(nil), StepDone},
		{"lease: pending", TransferLease{base, 2}, r(nil), StepInProgress},
		{"lease: target no longer a voter", TransferLease{base, 4}, r(nil), StepAbandon},
		{"lease: target not live", TransferLease{base, 2}, func() *Snapshot { s := r(nil); s.Stores[1].Liveness = Suspect; return s }(), StepAbandon},
		{"promote: store died", PromoteLearner{base, 4}, func() *Snapshot { s := r(learnerOn4); s.Stores[3].Liveness = Dead; return s }(), StepAbandon},
		{"remove: pending", RemoveReplica{base, 3}, r(nil), StepInProgress},
		{"remove: done", RemoveReplica{base, 4}, r(nil), StepDone},
		{"remove: live leaseholder", RemoveReplica{base, 1}, r(nil), StepAbandon},
		{"split: pending", Split{base, []byte("m")}, r(nil), StepInProgress},
		{"split: done", Split{base, []byte("m")}, r(func(rg *Range) { rg.EndKey = []byte("m") }), StepDone},
		{"split: key no longer inside", Split{base, []byte("m")}, r(func(rg *Range) { rg.EndKey = []byte("k") }), StepAbandon},
		{"merge: done", Merge{base, 3, nil}, r(func(rg *Range) { rg.EndKey = nil }), StepDone},
		{"merge: neighbour gone", Merge{base, 3, nil}, r(nil), StepAbandon},
		{"merge: pending", Merge{base, 3, nil}, testSnap(
			Range{ID: 2, StartKey: []byte("a"), EndKey: []byte("z"), Replicas: voters(1, 2, 3)},
			Range{ID: 3, StartKey: []byte("z"), Replicas: voters(1, 2, 3)}), StepInProgress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.step.Check(tc.snap), tc.step.String())
		})
	}
}

func TestOperatorCheck(t *testing.T) {
	rg := Range{ID: 2, StartKey: []byte("a"), EndKey: []byte("z"), Replicas: voters(1, 2, 3), Leaseholder: 1, SizeBytes: 64 << 20}
	s := testSnap(rg)
	op := newOp(s, s.Range(2), OpRebalance, "test").addVoter(4).transferLease(2).remove(1).op
	require.Equal(t, OpRunning, op.Check(s))
	require.Equal(t, 0, op.Current)
	require.Equal(t, 2*time.Minute+16*time.Second, op.Steps[0].Timeout())

	// The learner arrives and is promoted; the lease moves.
	rg.Replicas = append(voters(1, 2, 3), Replica{Store: 4, ID: 4, Type: Voter})
	rg.Leaseholder = 2
	s2 := testSnap(rg)
	s2.Now = t0.Add(10 * time.Second)
	require.Equal(t, OpRunning, op.Check(s2))
	require.Equal(t, 3, op.Current)
	require.Equal(t, "remove replica on s1", op.CurrentStep().String())

	// The remove takes too long.
	s3 := testSnap(rg)
	s3.Now = t0.Add(10*time.Second + 2*time.Minute)
	require.Equal(t, OpTimedOut, op.Check(s3))

	// Done.
	rg.Replicas = rg.Replicas[1:]
	s4 := testSnap(rg)
	require.Equal(t, OpDone, op.Check(s4))
	require.Nil(t, op.CurrentStep())

	// The range split under a fresh operator: abandoned.
	op2 := newOp(s, s.Range(2), OpRebalance, "test").addVoter(4).op
	moved := rg
	moved.StartKey = []byte("c")
	require.Equal(t, OpAbandoned, op2.Check(testSnap(moved)))
}

func TestLoadSplitKey(t *testing.T) {
	for _, tc := range []struct {
		samples []KeySample
		want    string
		left    float64
	}{
		{nil, "", 0},
		{[]KeySample{{[]byte("a"), 10}}, "", 0},
		{[]KeySample{{[]byte("b"), 10}, {[]byte("a"), 10}}, "b", 0.5},
		{[]KeySample{{[]byte("a"), 1}, {[]byte("b"), 1}, {[]byte("c"), 8}, {[]byte("d"), 1}}, "c", 2.0 / 11},
		{[]KeySample{{[]byte("a"), 5}, {[]byte("b"), 1}, {[]byte("c"), 1}, {[]byte("d"), 3}}, "b", 0.5},
	} {
		k, left := LoadSplitKey(&Range{Samples: tc.samples})
		require.Equal(t, tc.want, string(k))
		require.InDelta(t, tc.left, left, 1e-9)
	}
}

func TestExplainUnknownRange(t *testing.T) {
	var p Planner
	_, err := p.Explain(testSnap(), 42, nil)
	require.ErrorIs(t, err, ErrRangeNotFound)
}

// TestLearnerCatchingUpHoldsSnapshotSlot: an operator whose learner is in
// the descriptor but not yet promoted is still sending that store its
// snapshot, so with store_max_concurrent_snapshots=1 no other replica is
// added there; once promoted, the slot is free.
func TestLearnerCatchingUpHoldsSnapshotSlot(t *testing.T) {
	base := func(id kvpb.RangeID, start, end string) Range {
		return Range{ID: id, StartKey: []byte(start), EndKey: []byte(end), Replicas: voters(1, 2, 3), Leaseholder: 1}
	}
	mk := func(moved Replica) *Snapshot {
		r2 := base(2, "a", "b")
		r2.Replicas = append(r2.Replicas, moved)
		s := testSnap(r2, base(3, "b", "c"), base(4, "c", "d"))
		s.Settings.StoreMaxConcurrentSnapshots = 1
		s.Settings.RangeMinBytes = 0
		op := newOp(s, s.Range(2), OpRebalance, "test").addVoter(4).remove(1).op
		op.Current = 1 // the learner is added; promotion is next
		s.InFlight = []*Operator{op}
		return s
	}
	addsOn4 := func(ops []*Operator) int {
		n := 0
		for _, op := range ops {
			for _, st := range op.Steps {
				if a, ok := st.(AddLearner); ok && a.Store == 4 {
					n++
				}
			}
		}
		return n
	}
	p := &Planner{}
	catchingUp := mk(Replica{Store: 4, ID: 9, Type: Learner})
	require.Zero(t, addsOn4(p.Plan(catchingUp, nil)), "s4 is receiving a snapshot")
	promoted := mk(Replica{Store: 4, ID: 9, Type: Voter})
	promoted.InFlight[0].Current = 2 // promoted; removal is next
	require.Equal(t, 1, addsOn4(p.Plan(promoted, nil)), "s4's slot is free")
}
