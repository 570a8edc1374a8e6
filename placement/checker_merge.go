package placement

import (
	"fmt"
	"sort"
	"time"

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
		case c.s.Now.Before(right.StickyUntil):
			c.note(r.ID, "below range_min_bytes but the split at %s's start is a manual split (sticky until %s)",
				right.ID, right.StickyUntil.UTC().Format(time.RFC3339))
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
		if !c.healthy(r) || !c.healthy(right) {
			c.note(r.ID, "not merged with %s: both need replication_factor voters on live stores first", right.ID)
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
	// Walk the changes on a copy of right's store set: add one of left's
	// stores, then remove one store left lacks (moving the lease first if
	// it is there). A store on the node of the one being added is removed
	// before the add, so a node never holds two replicas.
	cur := map[kvpb.StoreID]bool{}
	for _, rep := range right.Replicas {
		cur[rep.Store] = true
	}
	lh := right.Leaseholder
	pending := append([]kvpb.StoreID(nil), removes...)
	take := func(x kvpb.StoreID) {
		for i, p := range pending {
			if p == x {
				pending = append(pending[:i:i], pending[i+1:]...)
				return
			}
		}
	}
	stays := func() kvpb.StoreID {
		for _, rep := range left.Replicas {
			if cur[rep.Store] && rep.Store != lh {
				return rep.Store
			}
		}
		return 0
	}
	removeOne := func(x kvpb.StoreID) bool {
		if x == lh {
			to := stays()
			if to == 0 {
				return false
			}
			b.transferLease(to)
			lh = to
		}
		b.remove(x)
		delete(cur, x)
		take(x)
		return true
	}
	for _, a := range adds {
		as := c.s.Store(a)
		var curIDs []kvpb.StoreID
		for x := range cur {
			curIDs = append(curIDs, x)
		}
		sort.Slice(curIDs, func(i, j int) bool { return curIDs[i] < curIDs[j] })
		for _, x := range curIDs {
			if xs := c.s.Store(x); xs != nil && as != nil && xs.Node == as.Node {
				if !removeOne(x) {
					c.note(left.ID, "cannot relocate %s: %s shares a node with %s and holds the lease", right.ID, x, a)
					return
				}
			}
		}
		b.addVoter(a)
		cur[a] = true
		if len(pending) > 0 && !removeOne(pending[0]) {
			return
		}
	}
	for len(pending) > 0 {
		if !removeOne(pending[0]) {
			return
		}
	}
	c.emit(b)
}
