package placement

import (
	"bytes"
	"fmt"
	"math/rand"
	"sort"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// Planner holds the decision functions' injected hooks. The zero value is
// ready to use. A Planner has no mutable state: Plan is a pure function of
// its snapshot and the random source.
type Planner struct {
	// SafeSplitKey returns the row boundary at or before key, so that a
	// split never falls inside a SQL row (the SQL layer supplies it; nil
	// means every key is a boundary).
	SafeSplitKey func(key []byte) []byte
	// SizeSplitKey proposes where to split a range that is too large (nil
	// means the median sampled request key).
	SizeSplitKey func(r *Range) []byte
}

// Plan runs every checker and scheduler on the snapshot and returns the
// operators to start, at most one per range, in priority order: repair,
// split, merge, replica rebalance, lease rebalance, load rebalance. Ranges
// with an operator in s.InFlight are left alone. rng breaks ties; the same
// snapshot and seed give the same operators.
func (p *Planner) Plan(s *Snapshot, rng *rand.Rand) []*Operator {
	if rng == nil {
		rng = rand.New(rand.NewSource(0))
	}
	c := newCycle(p, s, rng, 0)
	c.run()
	return c.ops
}

// cycle is the working state of one decision cycle: counts per store as
// they will be once in-flight and newly chosen operators finish.
type cycle struct {
	p   *Planner
	s   *Snapshot
	rng *rand.Rand

	explain kvpb.RangeID // range whose reasoning to record (0: none)
	notes   []string

	ops       []*Operator
	busy      map[kvpb.RangeID]bool
	replicas  map[kvpb.StoreID]int
	leases    map[kvpb.StoreID]int
	qps       map[kvpb.StoreID]float64
	addBytes  map[kvpb.StoreID]int64
	incoming  map[kvpb.StoreID]int // learner snapshots in flight onto the store
	byStore   map[kvpb.StoreID][]*Range
	rebalance int // rebalancing operators started this cycle
}

func newCycle(p *Planner, s *Snapshot, rng *rand.Rand, explain kvpb.RangeID) *cycle {
	s.indexed()
	c := &cycle{
		p: p, s: s, rng: rng, explain: explain,
		busy:     map[kvpb.RangeID]bool{},
		replicas: map[kvpb.StoreID]int{},
		leases:   map[kvpb.StoreID]int{},
		qps:      map[kvpb.StoreID]float64{},
		addBytes: map[kvpb.StoreID]int64{},
		incoming: map[kvpb.StoreID]int{},
		byStore:  map[kvpb.StoreID][]*Range{},
	}
	for i := range s.Ranges {
		r := &s.Ranges[i]
		for _, rep := range r.Replicas {
			c.replicas[rep.Store]++
			c.byStore[rep.Store] = append(c.byStore[rep.Store], r)
		}
		if r.Leaseholder != 0 {
			c.leases[r.Leaseholder]++
			c.qps[r.Leaseholder] += r.QPS
		}
	}
	for _, op := range s.InFlight {
		c.busy[op.RangeID] = true
		r := s.Range(op.RangeID)
		if r == nil {
			continue
		}
		adds, removes, lease := op.pending()
		for _, st := range adds {
			if _, ok := r.Replica(st); !ok {
				c.replicas[st]++
				c.incoming[st]++
				c.addBytes[st] += r.SizeBytes
			}
		}
		for _, st := range removes {
			if _, ok := r.Replica(st); ok {
				c.replicas[st]--
			}
		}
		// A learner already added but not yet promoted is still receiving
		// its snapshot (promotion waits until it has caught up): it keeps
		// its store's snapshot slot and its bytes are still to land.
		for _, st := range op.promotions() {
			if rep, ok := r.Replica(st); ok && rep.Type == Learner {
				c.incoming[st]++
				c.addBytes[st] += r.SizeBytes
			}
		}
		if lease != 0 && lease != r.Leaseholder {
			c.moveLease(r, r.Leaseholder, lease)
		}
	}
	return c
}

func (c *cycle) note(id kvpb.RangeID, format string, args ...any) {
	if c.explain != 0 && c.explain == id {
		n := fmt.Sprintf(format, args...)
		for _, old := range c.notes {
			if old == n {
				return
			}
		}
		c.notes = append(c.notes, n)
	}
}

func (c *cycle) run() {
	c.repair()
	c.splits()
	c.merges()
	c.rebalanceReplicas()
	c.rebalanceLeases()
	c.rebalanceLoad()
}

// emit records an operator and updates the cycle's counts with its effect.
func (c *cycle) emit(b *opBuilder) {
	op := b.op
	r := c.s.Range(op.RangeID)
	c.ops = append(c.ops, op)
	c.busy[op.RangeID] = true
	if op.Kind.IsRebalance() {
		c.rebalance++
	}
	c.note(op.RangeID, "next: %s", op)
	lh := r.Leaseholder
	for _, st := range op.Steps {
		switch st := st.(type) {
		case AddLearner:
			c.replicas[st.Store]++
			c.incoming[st.Store]++
			c.addBytes[st.Store] += r.SizeBytes
		case RemoveReplica:
			c.replicas[st.Store]--
		case TransferLease:
			c.moveLease(r, lh, st.Target)
			lh = st.Target
		}
	}
}

func (c *cycle) moveLease(r *Range, from, to kvpb.StoreID) {
	if from != 0 {
		c.leases[from]--
		c.qps[from] -= r.QPS
	}
	c.leases[to]++
	c.qps[to] += r.QPS
}

// canReceive says whether store st may receive a replica of r, and if not, why.
func (c *cycle) canReceive(r *Range, st *Store) (bool, string) {
	if lv := c.s.LivenessOf(st.ID); lv != Live {
		return false, lv.String()
	}
	for _, rep := range r.Replicas {
		if rep.Store == st.ID {
			return false, "already holds a replica"
		}
		if o := c.s.Store(rep.Store); o != nil && o.Node == st.Node {
			return false, fmt.Sprintf("node %s already holds a replica (on %s)", st.Node, o.ID)
		}
	}
	if c.fullness(st, r.SizeBytes) > c.s.Settings.MaxDiskFullness {
		return false, fmt.Sprintf("disk %.0f%% full (max_disk_fullness %.0f%%)", 100*st.Capacity.Fullness(), 100*c.s.Settings.MaxDiskFullness)
	}
	if c.incoming[st.ID] >= c.s.Settings.StoreMaxConcurrentSnapshots {
		return false, "already receiving store_max_concurrent_snapshots snapshots"
	}
	return true, ""
}

// fullness is the store's disk fullness once pending snapshots and extra
// bytes have landed.
func (c *cycle) fullness(st *Store, extra int64) float64 {
	if st.Capacity.Total <= 0 {
		return 0
	}
	used := st.Capacity.Total - st.Capacity.Available + c.addBytes[st.ID] + extra
	return float64(used) / float64(st.Capacity.Total)
}

// bestTarget picks, among stores that may receive a replica of r, one with
// the fewest replicas (ties broken by rng); ok is false when none may.
// maxCount bounds the target's replica count (math.MaxInt: no bound).
func (c *cycle) bestTarget(r *Range, maxCount int) (kvpb.StoreID, bool) {
	var best []kvpb.StoreID
	bestN := 0
	for i := range c.s.Stores {
		st := &c.s.Stores[i]
		ok, why := c.canReceive(r, st)
		if !ok {
			c.note(r.ID, "  %s is not a target: %s", st.ID, why)
			continue
		}
		n := c.replicas[st.ID]
		if n > maxCount {
			continue
		}
		switch {
		case len(best) == 0 || n < bestN:
			best, bestN = []kvpb.StoreID{st.ID}, n
		case n == bestN:
			best = append(best, st.ID)
		}
	}
	if len(best) == 0 {
		return 0, false
	}
	return best[c.rng.Intn(len(best))], true
}

// leaseEligible reports whether a store may hold leases.
func (c *cycle) leaseEligible(id kvpb.StoreID) bool { return c.s.LivenessOf(id) == Live }

// bestLeaseTarget picks, among r's voters other than except on
// lease-eligible stores (plus extra, a voter about to be added), the one
// with the fewest leases.
func (c *cycle) bestLeaseTarget(r *Range, except kvpb.StoreID, extra kvpb.StoreID) (kvpb.StoreID, bool) {
	cands := make([]kvpb.StoreID, 0, 8)
	for _, rep := range r.Replicas {
		if rep.Type == Voter {
			cands = append(cands, rep.Store)
		}
	}
	if extra != 0 {
		cands = append(cands, extra)
	}
	// A system range's lease avoids busy targets while another will do.
	for _, avoidBusy := range []bool{true, false} {
		best := make([]kvpb.StoreID, 0, 8)
		bestN := 0
		for _, id := range cands {
			if id == except || !c.leaseEligible(id) || avoidBusy && c.leaseTargetBusy(r, id, extra) {
				continue
			}
			n := c.leases[id]
			switch {
			case len(best) == 0 || n < bestN:
				best, bestN = append(best[:0], id), n
			case n == bestN:
				best = append(best, id)
			}
		}
		if len(best) > 0 {
			sort.Slice(best, func(i, j int) bool { return best[i] < best[j] })
			return best[c.rng.Intn(len(best))], true
		}
	}
	return 0, false
}

// leaseTargetBusy reports whether store t is a poor home for r's lease
// right now: r is a system range (meta, node liveness, the placement
// lease, settings: every node's heartbeats depend on it) and t is
// receiving snapshots, or is extra, the store this operator is adding a
// replica on (it will just have applied a snapshot and may still be
// applying others). A leaseholder busy writing snapshots serves the range
// late: liveness heartbeats time out and every node looks dead. The lease
// balancer moves the lease there later, once the store is quiet.
func (c *cycle) leaseTargetBusy(r *Range, t, extra kvpb.StoreID) bool {
	return r.System() && (t == extra || c.incoming[t] > 0)
}

// inRange reports whether key lies strictly inside r (after its start).
func inRange(r *Range, key []byte) bool {
	return key != nil && bytes.Compare(key, r.StartKey) > 0 && (r.EndKey == nil || bytes.Compare(key, r.EndKey) < 0)
}

// cooling reports whether r changed too recently to be rebalanced.
func (c *cycle) cooling(r *Range) bool {
	return !r.LastChanged.IsZero() && c.s.Now.Sub(r.LastChanged) < c.s.Settings.RangeCooldown
}
