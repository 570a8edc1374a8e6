package sim

import (
	"flag"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement"
	"github.com/tesseradb/tessera/placement/settings"
)

var seedFlag = flag.Int64("sim-seed", 0, "replay the simulation with this seed (0: the fixed default)")

func seed(t *testing.T) int64 {
	s := int64(20261125)
	if *seedFlag != 0 {
		s = *seedFlag
	}
	t.Logf("seed %d (replay with -sim-seed=%d)", s, s)
	return s
}

func ids(n ...int) []kvpb.StoreID {
	var out []kvpb.StoreID
	for _, x := range n {
		out = append(out, kvpb.StoreID(x))
	}
	return out
}

// minMoves is a lower bound on the replica additions needed to bring the
// given per-store counts (of replicas that may stay) within frac of the
// mean over the final stores, given `forced` replicas that must move or be
// created: every addition fills at most one unit of one store's deficit,
// relieves at most one unit of one store's excess, or performs one forced
// move.
func minMoves(counts map[kvpb.StoreID]int, final []kvpb.StoreID, total int, forced int, frac float64) int {
	mean := float64(total) / float64(len(final))
	lo, hi := int(math.Ceil(mean*(1-frac))), int(math.Floor(mean*(1+frac)))
	deficit, excess := 0, 0
	for _, id := range final {
		deficit += max(0, lo-counts[id])
		excess += max(0, counts[id]-hi)
	}
	return max(deficit, excess, forced)
}

type scenario struct {
	t     *testing.T
	s     *Sim
	final []kvpb.StoreID
}

func newScenario(t *testing.T, v settings.Values) *scenario {
	s := New(Config{Seed: seed(t), Settings: v})
	s.Log = func(line string) {
		if testing.Verbose() {
			t.Log(line)
		}
	}
	return &scenario{t: t, s: s}
}

// converge runs until every range is healthy and replicas and leases are
// within 10% of the mean on the final stores and nothing is in flight,
// then checks the operator count against bound and that nothing thrashed.
func (sc *scenario) converge(limit time.Duration, minimum, opBound int) {
	t, s := sc.t, sc.s
	start := s.Now()
	before := s.Stats.ReplicasAdded
	ok := s.RunUntil(limit, func() bool { return s.Idle() && s.Healthy() && s.Balanced(sc.final, 0.10) })
	require.True(t, ok, "not converged after %s: %s", limit, s.Describe())
	moves := s.Stats.ReplicasAdded - before
	t.Logf("converged in %s simulated: %d replica moves (minimum possible %d), %d lease transfers, max returns %d/%d, %d operators (%d abandoned, %d timed out), %.1f GiB moved; %s",
		s.Now().Sub(start), moves, minimum, s.Stats.LeaseTransfers, s.Stats.MaxReplicaReturns, s.Stats.MaxLeaseReturns, s.Stats.OpsStarted, s.Stats.OpsAbandoned, s.Stats.OpsTimedOut,
		float64(s.Stats.BytesMoved)/(1<<30), s.Describe())
	require.LessOrEqual(t, s.Stats.OpsStarted, opBound, "too many operators")
	require.GreaterOrEqual(t, moves, minimum, "fewer moves than the lower bound: the bound is wrong")
	require.LessOrEqual(t, s.Stats.MaxReplicaReturns, 2, "a range's replica moved back and forth more than twice")
	require.LessOrEqual(t, s.Stats.MaxLeaseReturns, 2, "a range's lease moved back and forth more than twice")
	// Stays put: another half hour changes nothing.
	opsBefore := s.Stats.OpsStarted
	s.Run(30 * time.Minute)
	require.Equal(t, opsBefore, s.Stats.OpsStarted, "operators after convergence (thrashing): %s", s.Describe())
}

const nRanges = 200

func rangeSize() int64 { return 256 << 20 }

func TestSimOneToFiveNodes(t *testing.T) {
	sc := newScenario(t, settings.Defaults())
	s := sc.s
	s.AddStore()
	s.AddRanges(nRanges, rangeSize(), 10, ids(1), 1)
	s.Run(5 * time.Minute)
	require.Equal(t, 0, s.Stats.OpsStarted, "nothing to do with one node")
	for i := 2; i <= 5; i++ {
		s.AddStore()
		s.Run(2 * time.Minute)
	}
	sc.final = ids(1, 2, 3, 4, 5)
	counts, _ := s.Counts()
	c := map[kvpb.StoreID]int{}
	for k, v := range counts {
		c[k] = v
	}
	// Replicas already placed by the time the last node joined count too.
	forced := nRanges*3 - (c[1] + c[2] + c[3] + c[4] + c[5])
	sc.converge(4*time.Hour, minMoves(c, sc.final, nRanges*3, forced, 0.10), 2*nRanges*3)
}

func TestSimSkewedToBalanced(t *testing.T) {
	sc := newScenario(t, settings.Defaults())
	s := sc.s
	for i := 0; i < 5; i++ {
		s.AddStore()
	}
	// Every replica on s1-s3 and every lease on s1.
	s.AddRanges(nRanges, rangeSize(), 10, ids(1, 2, 3), 3)
	sc.final = ids(1, 2, 3, 4, 5)
	c, _ := s.Counts()
	sc.converge(4*time.Hour, minMoves(c, sc.final, nRanges*3, 0, 0.10), nRanges*2)
}

func TestSimNodeDies(t *testing.T) {
	v := settings.Defaults()
	sc := newScenario(t, v)
	s := sc.s
	for i := 0; i < 5; i++ {
		s.AddStore()
	}
	s.AddRanges(nRanges, rangeSize(), 10, ids(1, 2, 3, 4, 5), 3)
	sc.final = ids(1, 2, 3, 4, 5)
	require.True(t, s.RunUntil(time.Hour, func() bool { return s.Idle() && s.Balanced(sc.final, 0.10) }), s.Describe())
	base := s.Stats
	s.Kill(5)
	// Nothing moves before time_until_store_dead.
	s.Run(v.TimeUntilStoreDead - 30*time.Second)
	require.Equal(t, base.ReplicasAdded, s.Stats.ReplicasAdded, "replicas moved before the store was dead")
	sc.final = ids(1, 2, 3, 4)
	c, _ := s.Counts()
	forced := c[5]
	delete(c, 5)
	sc.converge(2*time.Hour, minMoves(c, sc.final, nRanges*3, forced, 0.10), base.OpsStarted+3*nRanges)
}

func TestSimDecommission(t *testing.T) {
	sc := newScenario(t, settings.Defaults())
	s := sc.s
	for i := 0; i < 5; i++ {
		s.AddStore()
	}
	s.AddRanges(nRanges, rangeSize(), 10, ids(1, 2, 3, 4, 5), 3)
	sc.final = ids(1, 2, 3, 4, 5)
	require.True(t, s.RunUntil(time.Hour, func() bool { return s.Idle() && s.Balanced(sc.final, 0.10) }), s.Describe())
	base := s.Stats
	s.Decommission(4)
	sc.final = ids(1, 2, 3, 5)
	c, _ := s.Counts()
	forced := c[4]
	delete(c, 4)
	sc.converge(2*time.Hour, minMoves(c, sc.final, nRanges*3, forced, 0.10), base.OpsStarted+3*nRanges)
	reps, leases := s.Counts()
	require.Zero(t, reps[4])
	require.Zero(t, leases[4])
	require.Equal(t, placement.Decommissioned, s.liveness(s.store(4)))
}

func TestSimHotAndLargeRanges(t *testing.T) {
	v := settings.Defaults()
	sc := newScenario(t, v)
	s := sc.s
	for i := 0; i < 3; i++ {
		s.AddStore()
	}
	s.AddRanges(30, rangeSize(), 10, ids(1, 2, 3), 3)
	s.SetRangeLoad(5, 6000, rangeSize()) // hot: split by load until halves are below 2,500 QPS
	s.SetRangeLoad(10, 10, 1200<<20)     // large: split by size
	sc.final = ids(1, 2, 3)
	s.Run(15 * time.Minute) // splits need their load window again after each split
	sc.converge(2*time.Hour, 0, 200)
	require.GreaterOrEqual(t, s.Stats.ByKind[placement.OpSplitLoad], 2)
	require.GreaterOrEqual(t, s.Stats.ByKind[placement.OpSplitSize], 2)
	snap := s.Snapshot()
	for _, r := range snap.Ranges {
		require.Less(t, r.QPS, v.LoadSplitQPS, "%s still hot", r.ID)
		require.LessOrEqual(t, r.SizeBytes, v.RangeMaxBytes, "%s still too large", r.ID)
	}
}

func TestSimDeterministic(t *testing.T) {
	run := func() Stats {
		s := New(Config{Seed: 7, Settings: settings.Defaults()})
		for i := 0; i < 4; i++ {
			s.AddStore()
		}
		s.AddRanges(60, rangeSize(), 10, ids(1, 2, 3), 3)
		s.Run(20 * time.Minute)
		return s.Stats
	}
	require.Equal(t, run(), run())
}

func TestSimMerges(t *testing.T) {
	v := settings.Defaults()
	sc := newScenario(t, v)
	s := sc.s
	for i := 0; i < 5; i++ {
		s.AddStore()
	}
	// 100 small ranges on rotating replica sets: neighbours never match,
	// so every merge needs a relocation first.
	s.AddRanges(100, 16<<20, 1, ids(1, 2, 3, 4, 5), 3)
	sc.final = ids(1, 2, 3, 4, 5)
	ok := s.RunUntil(6*time.Hour, func() bool { return s.Idle() && s.Healthy() && s.NumRanges() <= 100*16/128+2 })
	require.True(t, ok, "ranges left: %d; %s", s.NumRanges(), s.Describe())
	require.Greater(t, s.Stats.ByKind[placement.OpRelocateForMerge], 0)
	t.Logf("merged 100 ranges into %d: %d merges, %d relocations, %d replica moves, %d operators (%d abandoned, %d timed out)",
		s.NumRanges(), s.Stats.Merges, s.Stats.ByKind[placement.OpRelocateForMerge], s.Stats.ReplicasAdded,
		s.Stats.OpsStarted, s.Stats.OpsAbandoned, s.Stats.OpsTimedOut)
	for _, r := range s.Snapshot().Ranges {
		require.Less(t, r.SizeBytes, v.RangeMaxBytes)
	}
}

// TestSimNodeDiesMidRebalance kills a store that is receiving replicas,
// with time_until_store_dead at 15s (as the black-box test sets it):
// operators towards it are abandoned or time out, learners left behind
// are cleaned up, and every range is back to 3 live replicas quickly.
func TestSimNodeDiesMidRebalance(t *testing.T) {
	v := settings.Defaults()
	v.TimeUntilStoreDead = 15 * time.Second
	sc := newScenario(t, v)
	s := sc.s
	for i := 0; i < 5; i++ {
		s.AddStore()
	}
	s.AddRanges(nRanges, rangeSize(), 10, ids(1, 2, 3), 3)
	s.Run(time.Minute)
	reps, _ := s.Counts()
	require.Greater(t, reps[5], 0, "s5 should be receiving replicas by now")
	s.Kill(5)
	start := s.Now()
	require.True(t, s.RunUntil(2*time.Minute, func() bool {
		snap := s.Snapshot()
		for _, r := range snap.Ranges {
			live := 0
			for _, rep := range r.Replicas {
				if rep.Type == placement.Voter && rep.Store != 5 {
					live++
				}
			}
			if live < 3 {
				return false
			}
		}
		return true
	}), "ranges not back to 3 live voters within 2 minutes: %s", s.Describe())
	t.Logf("every range had 3 live voters %s after the kill", s.Now().Sub(start))
	sc.final = ids(1, 2, 3, 4)
	sc.converge(2*time.Hour, 0, 5*nRanges)
	reps, _ = s.Counts()
	require.Zero(t, reps[5])
	t.Logf("abandoned %d, timed out %d", s.Stats.OpsAbandoned, s.Stats.OpsTimedOut)
}

// storeQPS sums the leaseholders' QPS per store.
func storeQPS(s *Sim) map[kvpb.StoreID]float64 {
	out := map[kvpb.StoreID]float64{}
	for _, r := range s.ranges {
		out[r.lease] += r.qps
	}
	return out
}

// TestSimLoadBalance: uneven range loads with every lease on s1; leases
// spread by count and by QPS, and the hottest store ends near the mean.
func TestSimLoadBalance(t *testing.T) {
	sc := newScenario(t, settings.Defaults())
	s := sc.s
	for i := 0; i < 3; i++ {
		s.AddStore()
	}
	s.AddRanges(150, rangeSize(), 0, ids(1, 2, 3), 3)
	for i := range s.ranges {
		s.ranges[i].lease = 1
		s.SetRangeLoad(i, float64(s.rng.Intn(400)), rangeSize())
	}
	sc.final = ids(1, 2, 3)
	sc.converge(time.Hour, 0, 400)
	q := storeQPS(s)
	var sum, hi float64
	for _, id := range sc.final {
		sum += q[id]
		hi = math.Max(hi, q[id])
	}
	mean := sum / 3
	t.Logf("store QPS %v, mean %.0f, hottest %.0f%% of mean", q, mean, 100*hi/mean)
	require.LessOrEqual(t, hi, mean*1.10, "hottest store too far above the mean QPS")
}

// TestSimRuntimeSettings lowers range_max_bytes at runtime: ranges split
// until all are below it, then the cluster settles.
func TestSimRuntimeSettings(t *testing.T) {
	v := settings.Defaults()
	sc := newScenario(t, v)
	s := sc.s
	for i := 0; i < 3; i++ {
		s.AddStore()
	}
	s.AddRanges(20, rangeSize(), 10, ids(1, 2, 3), 3)
	sc.final = ids(1, 2, 3)
	s.Run(10 * time.Minute)
	require.Zero(t, s.Stats.Splits)
	reg := settings.NewRegistry()
	require.NoError(t, reg.Set("range_max_bytes", "64MiB"))
	s.SetSettings(reg.Values())
	sc.converge(time.Hour, 0, 500)
	for _, r := range s.Snapshot().Ranges {
		require.LessOrEqual(t, r.SizeBytes, int64(64<<20))
	}
	t.Logf("%d splits, %d merges, %d ranges", s.Stats.Splits, s.Stats.Merges, s.NumRanges())
}
