package placement

import (
	"fmt"
	"sort"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// mergeHotFraction: two ranges are "hot" for merging when together they
// serve more than this fraction of load_split_qps (hysteresis against
// split-by-load followed by merge).
const mergeHotFraction = 0.5

// sameVoters reports whether a and b have voters on the same stores and no
// learners.
func sameVoters(a, b *Range) bool {
	if len(a.Replicas) != len(b.Replicas) {
		return false
	}
	for _, ra := range a.Replicas {
		rb, ok := b.Replica(ra.Store)
		if !ok || ra.Type != Voter || rb.Type != Voter {
			return false
		}
	}
	return true
}

// merges merges a range below the effective range_min_bytes with its right
// neighbour, first relocating the neighbour's replicas onto the left
// range's stores when they differ.
func (c *cycle) merges() {
	v := c.s.Settings
	minB := v.EffectiveRangeMinBytes()
	for i := range c.s.Ranges {
		r := &c.s.Ranges[i]
		if c.busy[r.ID] || r.ID == metaRange {
			continue
		}
		if r.SizeBytes >= minB {
			if c.explain == r.ID {
				c.note(r.ID, "size %s is not below range_min_bytes %s: no merge", settings.HumanBytes(r.SizeBytes), settings.HumanBytes(minB))
			}
			continue
		}
		right := c.s.RightNeighbour(r)
		switch {
		case right == nil:
			c.note(r.ID, "below range_min_bytes but has no right neighbour")
			continue
		case c.busy[right.ID] || right.ID == metaRange:
			c.note(r.ID, "below range_min_bytes but right neighbour %s is busy", right.ID)
			continue
		case r.SizeBytes+right.SizeBytes >= v.RangeMaxBytes:
			c.note(r.ID, "merging with %s would reach range_max_bytes", right.ID)
			continue
		case r.QPS+right.QPS >= mergeHotFraction*v.LoadSplitQPS:
			c.note(r.ID, "not merged with %s: together they serve %.0f QPS, too hot", right.ID, r.QPS+right.QPS)
			continue
		case c.cooling(r) || c.cooling(right):
			c.note(r.ID, "not merged with %s yet: one of them changed within range_cooldown %s", right.ID, v.RangeCooldown)
			continue
		}
		if sameVoters(r, right) {
			c.emit(newOp(c.s, r, OpMerge, fmt.Sprintf("size %s is below range_min_bytes %s; merge with %s (%s) into %s",
				settings.HumanBytes(r.SizeBytes), settings.HumanBytes(minB), right.ID, settings.HumanBytes(right.SizeBytes),
				settings.HumanBytes(r.SizeBytes+right.SizeBytes))).merge(right))
			c.busy[right.ID] = true // the right range disappears into r
			continue
		}
		c.relocateForMerge(r, right)
		c.busy[r.ID] = true // wait for the relocation before touching r
	}
}

// relocateForMerge moves right's replicas onto left's stores, one add and
// one remove at a time, moving the lease first when its store goes.
func (c *cycle) relocateForMerge(left, right *Range) {
	for _, rep := range left.Replicas {
		if rep.Type != Voter || c.s.LivenessOf(rep.Store) != Live {
			c.note(left.ID, "not relocating %s for a merge: %s is not a healthy live voter", right.ID, rep.Store)
			return
		}
	}
	var adds, removes []kvpb.StoreID
	for _, rep := range left.Replicas {
		if _, ok := right.Replica(rep.Store); !ok {
			adds = append(adds, rep.Store)
		}
	}
	for _, rep := range right.Replicas {
		if _, ok := left.Replica(rep.Store); !ok {
			removes = append(removes, rep.Store)
		}
	}
	sort.Slice(adds, func(i, j int) bool { return adds[i] < adds[j] })
	sort.Slice(removes, func(i, j int) bool { return removes[i] < removes[j] })
	var names []string
	for _, rep := range left.Replicas {
		names = append(names, rep.Store.String())
	}
	sort.Strings(names)
	b := newOp(c.s, right, OpRelocateForMerge, fmt.Sprintf("left neighbour %s is below range_min_bytes; move %s's replicas to %v to merge",
		left.ID, right.ID, names))
	lh := right.Leaseholder
	isRemoved := func(s kvpb.StoreID) bool {
		for _, x := range removes {
			if x == s {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(adds) || i < len(removes); i++ {
		var rm kvpb.StoreID
		if i < len(removes) {
			rm = removes[i]
		}
		sameNode := false
		if i < len(adds) && rm != 0 {
			a, o := c.s.Store(adds[i]), c.s.Store(rm)
			sameNode = a != nil && o != nil && a.Node == o.Node
		}
		if rm != 0 && sameNode {
			// Never two replicas on one node: remove before adding.
			if lh == rm {
				return // cannot drop the leaseholder before another voter exists; wait
			}
			b.remove(rm)
			rm = 0
		}
		if i < len(adds) {
			b.addVoter(adds[i])
		}
		if rm != 0 {
			if lh == rm {
				// Move the lease to a store that stays (the one just added).
				var to kvpb.StoreID
				for _, rep := range left.Replicas {
					if _, had := right.Replica(rep.Store); had && !isRemoved(rep.Store) {
						to = rep.Store
						break
					}
				}
				if to == 0 && i < len(adds) {
					to = adds[i]
				}
				b.transferLease(to)
				lh = to
			}
			b.remove(rm)
		}
	}
	c.emit(b)
}
