package placement

import (
	"bytes"
	"fmt"
	"math/rand"
)

// OpScatter is a replica (and lease) move chosen at random by Scatter.
const OpScatter OpKind = "scatter"

// Scatter returns, for every range overlapping [start, end) (end nil: to
// the end of the key space) that has no operator in flight, an operator
// that moves one voter to a random store that may receive it and then
// gives the lease to a random voter, so that ranges freshly split on one
// store (an import) spread before the balancers would move them one at a
// time. The meta range is skipped. rng picks the stores: same snapshot
// and seed, same operators. Safety is that of Plan: learner first, never
// two replicas on a node, no target that is not live or too full, the
// lease moves before its replica is removed.
func (p *Planner) Scatter(s *Snapshot, start, end []byte, rng *rand.Rand) []*Operator {
	if rng == nil {
		rng = rand.New(rand.NewSource(0))
	}
	c := newCycle(p, s, rng, 0)
	for i := range s.Ranges {
		r := &s.Ranges[i]
		if r.ID == metaRange || c.busy[r.ID] {
			continue
		}
		if end != nil && bytes.Compare(r.StartKey, end) >= 0 {
			continue
		}
		if r.EndKey != nil && bytes.Compare(r.EndKey, start) <= 0 {
			continue
		}
		voters := r.Voters()
		if len(voters) == 0 || len(voters) != len(r.Replicas) {
			continue // learners: repair first
		}
		var targets []*Store
		for j := range s.Stores {
			if ok, _ := c.canReceive(r, &s.Stores[j]); ok {
				targets = append(targets, &s.Stores[j])
			}
		}
		victim := voters[rng.Intn(len(voters))].Store
		if len(targets) == 0 {
			// Nowhere to move a replica: scatter the lease only.
			if lt := voters[rng.Intn(len(voters))].Store; lt != r.Leaseholder && c.leaseEligible(lt) {
				c.emit(newOp(s, r, OpScatter, fmt.Sprintf("scatter: lease to %s", lt)).transferLease(lt))
			}
			continue
		}
		t := targets[rng.Intn(len(targets))].ID
		b := newOp(s, r, OpScatter, fmt.Sprintf("scatter: move the replica on %s to %s", victim, t)).addVoter(t)
		// New leaseholder: a random voter of the final set.
		final := []Replica{{Store: t}}
		for _, v := range voters {
			if v.Store != victim {
				final = append(final, v)
			}
		}
		lt := final[rng.Intn(len(final))].Store
		if !c.leaseEligible(lt) {
			lt = t
		}
		if lt != r.Leaseholder || victim == r.Leaseholder {
			b.transferLease(lt)
		}
		c.emit(b.remove(victim))
	}
	return c.ops
}
