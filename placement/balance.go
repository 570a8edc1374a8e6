package placement

import (
	"fmt"
	"math"
	"sort"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// Balancing. Each balancer moves one replica or lease at a time from the
// store with the most to a store with fewer, only while some store is
// outside mean ± rebalance_threshold, and only when the move is a strict
// improvement with a margin (the source keeps at least as much as the
// target gets): a sequence of such moves can never return to an earlier
// state, which rules out thrashing on a steady cluster. Rate limits
// (max_rebalance_ops per cycle, store_max_concurrent_snapshots) and the
// per-range cool-down (range_cooldown) pace it.

func (c *cycle) budget() bool { return c.rebalance < c.s.Settings.MaxRebalanceOps }

// balanceStores returns the stores that count for balancing replicas:
// live or suspect (their replicas stay), sorted by ID.
func (c *cycle) replicaStores() []kvpb.StoreID {
	var out []kvpb.StoreID
	for _, st := range c.s.Stores {
		if lv := c.s.LivenessOf(st.ID); lv == Live || lv == Suspect {
			out = append(out, st.ID)
		}
	}
	return out
}

func (c *cycle) leaseStores() []kvpb.StoreID {
	var out []kvpb.StoreID
	for _, st := range c.s.Stores {
		if c.leaseEligible(st.ID) {
			out = append(out, st.ID)
		}
	}
	return out
}

func meanOf[T int | float64](ids []kvpb.StoreID, m map[kvpb.StoreID]T) float64 {
	if len(ids) == 0 {
		return 0
	}
	var sum float64
	for _, id := range ids {
		sum += float64(m[id])
	}
	return sum / float64(len(ids))
}

// healthy reports whether r has exactly replication_factor voters, all on
// live stores, and no learners: only such ranges are rebalanced.
func (c *cycle) healthy(r *Range) bool {
	if len(r.Replicas) != c.s.Settings.ReplicationFactor {
		return false
	}
	for _, rep := range r.Replicas {
		if rep.Type != Voter || c.s.LivenessOf(rep.Store) != Live {
			return false
		}
	}
	return true
}

// eachRange calls fn on the store's ranges in key order starting at an
// rng-chosen one (so that balancing does not always pick the same ranges)
// until fn returns true; it reports whether fn did.
func (c *cycle) eachRange(id kvpb.StoreID, fn func(r *Range) bool) bool {
	rs := c.byStore[id]
	if len(rs) == 0 {
		return false
	}
	start := c.rng.Intn(len(rs))
	for k := range rs {
		if fn(rs[(start+k)%len(rs)]) {
			return true
		}
	}
	return false
}

// rebalanceReplicas moves replicas from stores above the mean replica
// count (or too full) to stores below it.
func (c *cycle) rebalanceReplicas() {
	ids := c.replicaStores()
	if len(ids) < 2 {
		return
	}
	thr := c.s.Settings.RebalanceThreshold
	exhausted := map[kvpb.StoreID]bool{}
	for c.budget() {
		mean := meanOf(ids, c.replicas)
		hi, lo := mean*(1+thr), mean*(1-thr)
		minCount := math.MaxInt
		for _, id := range ids {
			if c.s.LivenessOf(id) == Live {
				minCount = min(minCount, c.replicas[id])
			}
		}
		var src kvpb.StoreID
		srcFull := false
		for _, id := range ids {
			if exhausted[id] {
				continue
			}
			st := c.s.Store(id)
			full := c.fullness(st, 0) > c.s.Settings.MaxDiskFullness
			n := c.replicas[id]
			over := float64(n) > hi || (float64(minCount) < lo && n-minCount >= 2) || full
			if !over {
				continue
			}
			if src == 0 || (full && !srcFull) || (full == srcFull && n > c.replicas[src]) {
				src, srcFull = id, full
			}
		}
		if src == 0 {
			return
		}
		if !c.moveReplicaFrom(src, srcFull, mean) {
			exhausted[src] = true
		}
	}
}

// anyTarget reports whether some store other than src could receive a
// replica at all (live, room on disk, snapshot slots, count within limit),
// so that a source is not searched range by range in vain.
func (c *cycle) anyTarget(src kvpb.StoreID, limit int, full bool) bool {
	for i := range c.s.Stores {
		st := &c.s.Stores[i]
		if st.ID == src || c.s.LivenessOf(st.ID) != Live || c.incoming[st.ID] >= c.s.Settings.StoreMaxConcurrentSnapshots ||
			c.fullness(st, 0) > c.s.Settings.MaxDiskFullness {
			continue
		}
		if full || c.replicas[st.ID] <= limit {
			return true
		}
	}
	return false
}

func (c *cycle) moveReplicaFrom(src kvpb.StoreID, full bool, mean float64) bool {
	n := c.replicas[src]
	if !c.anyTarget(src, n-2, full) {
		return false
	}
	return c.eachRange(src, func(r *Range) bool {
		if c.busy[r.ID] || c.cooling(r) || !c.healthy(r) {
			return false
		}
		limit := n - 2
		if full {
			limit = math.MaxInt // any target with room beats a full disk
		}
		t, ok := c.bestTarget(r, limit)
		if !ok {
			return false
		}
		why := fmt.Sprintf("%s holds %d replicas, mean %.1f; %s holds %d", src, n, mean, t, c.replicas[t])
		if full {
			why = fmt.Sprintf("%s's disk is above max_disk_fullness %.0f%%; move a replica to %s", src, 100*c.s.Settings.MaxDiskFullness, t)
		}
		b := newOp(c.s, r, OpRebalance, why).addVoter(t)
		if r.Leaseholder == src {
			// The lease goes with the replica to the new store: it is the
			// emptiest, and a range's lease never returns to a store the
			// range left (no lease ping-pong between the old voters). A
			// system range's lease stays on a remaining voter instead (see
			// leaseTargetBusy).
			lt := t
			if r.System() {
				if o, ok := c.bestLeaseTarget(r, src, t); ok {
					lt = o
				}
			}
			b.transferLease(lt)
		}
		c.emit(b.remove(src))
		return true
	})
}

// rebalanceLeases moves leases from stores above the mean lease count to
// voters on stores below it, without pushing the target's QPS over the
// load band.
func (c *cycle) rebalanceLeases() {
	ids := c.leaseStores()
	if len(ids) < 2 {
		return
	}
	thr := c.s.Settings.RebalanceThreshold
	exhausted := map[kvpb.StoreID]bool{}
	for c.budget() {
		mean := meanOf(ids, c.leases)
		qmean := meanOf(ids, c.qps)
		hi, lo := mean*(1+thr), mean*(1-thr)
		qpl := 0.0 // mean QPS per lease
		if mean > 0 {
			qpl = qmean / mean
		}
		minCount := math.MaxInt
		for _, id := range ids {
			minCount = min(minCount, c.leases[id])
		}
		var src kvpb.StoreID
		for _, id := range ids {
			n := c.leases[id]
			if exhausted[id] || !(float64(n) > hi || (float64(minCount) < lo && n-minCount >= 2)) {
				continue
			}
			if src == 0 || n > c.leases[src] {
				src = id
			}
		}
		if src == 0 {
			return
		}
		moved := c.eachRange(src, func(r *Range) bool {
			if r.Leaseholder != src || c.busy[r.ID] || c.cooling(r) {
				return false
			}
			t, ok := c.bestLeaseTarget(r, src, 0)
			if !ok || c.leases[t] > c.leases[src]-2 || c.leaseTargetBusy(r, t, 0) {
				return false
			}
			// A store below the lease band still takes cold leases (no
			// more QPS than the mean per lease) when its load is high: it
			// is hot because of a few ranges (the system ranges, say)
			// whose leases the load balancer cannot usefully move, and
			// lease counts are no way to fix that.
			starved := float64(c.leases[t]) < lo && r.QPS <= qpl*(1+thr)
			if !starved && c.qps[t]+r.QPS > math.Max(qmean*(1+thr), c.qps[src]-r.QPS) {
				return false // would overload the target
			}
			c.emit(newOp(c.s, r, OpLeaseBalance, fmt.Sprintf("%s holds %d leases, mean %.1f; %s holds %d",
				src, c.leases[src], mean, t, c.leases[t])).transferLease(t))
			return true
		})
		if !moved {
			exhausted[src] = true
		}
	}
}

// rebalanceLoad moves leases of busy ranges from stores above the mean QPS
// to voters on stores with less, when the move keeps both stores' lease
// counts inside the lease band (so lease balancing will not undo it) and
// leaves the target below the source.
func (c *cycle) rebalanceLoad() {
	ids := c.leaseStores()
	if len(ids) < 2 {
		return
	}
	thr := c.s.Settings.RebalanceThreshold
	exhausted := map[kvpb.StoreID]bool{}
	for c.budget() {
		qmean := meanOf(ids, c.qps)
		if qmean < 1 {
			return
		}
		lmean := meanOf(ids, c.leases)
		var src kvpb.StoreID
		for _, id := range ids {
			if exhausted[id] || c.qps[id] <= qmean*(1+thr) {
				continue
			}
			if src == 0 || c.qps[id] > c.qps[src] {
				src = id
			}
		}
		if src == 0 {
			return
		}
		rs := append([]*Range(nil), c.byStore[src]...)
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].QPS > rs[j].QPS })
		moved := false
		for _, r := range rs {
			if r.Leaseholder != src || r.QPS <= 0 || c.busy[r.ID] || c.cooling(r) {
				continue
			}
			t, ok := c.coolestVoter(r, src)
			if !ok || c.qps[t]+r.QPS >= c.qps[src]-r.QPS || c.leaseTargetBusy(r, t, 0) {
				continue
			}
			if float64(c.leases[t]+1) > math.Ceil(lmean*(1+thr)) || float64(c.leases[src]-1) < math.Floor(lmean*(1-thr)) {
				continue
			}
			if float64(c.leases[src]-1) < lmean*(1-thr) && r.QPS <= qmean/lmean*(1+thr) {
				continue // the lease balancer would give a cold lease straight back
			}
			c.emit(newOp(c.s, r, OpLoadBalance, fmt.Sprintf("%s serves %.0f QPS, mean %.0f; move the lease of this %.0f QPS range to %s (%.0f QPS)",
				src, c.qps[src], qmean, r.QPS, t, c.qps[t])).transferLease(t))
			moved = true
			break
		}
		if !moved {
			exhausted[src] = true
		}
	}
}

// coolestVoter is r's voter on a lease-eligible store (not except) with
// the least QPS.
func (c *cycle) coolestVoter(r *Range, except kvpb.StoreID) (kvpb.StoreID, bool) {
	var best kvpb.StoreID
	var buf [8]Replica
	for _, v := range r.appendVoters(buf[:0]) {
		if v.Store == except || !c.leaseEligible(v.Store) {
			continue
		}
		if best == 0 || c.qps[v.Store] < c.qps[best] {
			best = v.Store
		}
	}
	return best, best != 0
}
