package placement

import (
	"fmt"
	"math"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// badReason says why a replica must be moved off its store ("" if it may
// stay): its store is dead, decommissioning or gone, or another replica of
// the range is on the same node.
func (c *cycle) badReason(r *Range, rep Replica, seen *[]Replica) string {
	st := c.s.Store(rep.Store)
	if st == nil {
		return "its store is not in the cluster"
	}
	switch lv := c.s.LivenessOf(rep.Store); lv {
	case Dead:
		return fmt.Sprintf("%s is dead (no heartbeat for time_until_store_dead %s)", rep.Store, c.s.Settings.TimeUntilStoreDead)
	case Decommissioning, Decommissioned:
		return fmt.Sprintf("%s is %s", rep.Store, lv)
	}
	for _, o := range *seen {
		if os := c.s.Store(o.Store); os != nil && os.Node == st.Node {
			return fmt.Sprintf("%s shares node %s with %s", rep.Store, st.Node, o.Store)
		}
	}
	*seen = append(*seen, rep)
	return ""
}

// repair adds, replaces and removes replicas so that every range has
// replication_factor voters on distinct live nodes, and moves leases off
// stores that may not hold them.
func (c *cycle) repair() {
	rf := c.s.Settings.ReplicationFactor
	seenBuf := make([]Replica, 0, 8)
	for i := range c.s.Ranges {
		r := &c.s.Ranges[i]
		if c.busy[r.ID] {
			c.note(r.ID, "an operator is already running on %s", r.ID)
			continue
		}
		var voterBuf [8]Replica
		voters := r.appendVoters(voterBuf[:0])
		alive := 0
		for _, v := range voters {
			if lv := c.s.LivenessOf(v.Store); lv != Dead && lv != Decommissioned {
				alive++
			}
		}
		if quorum := len(voters)/2 + 1; alive < quorum {
			c.note(r.ID, "only %d of %d voters are alive, below quorum %d: the range is unavailable and cannot change its replicas", alive, len(voters), quorum)
			continue
		}
		var learner *Replica
		for j := range r.Replicas {
			if r.Replicas[j].Type == Learner {
				learner = &r.Replicas[j]
				break
			}
		}
		if learner != nil {
			b := newOp(c.s, r, OpRemoveReplica, fmt.Sprintf("learner on %s was left behind by an interrupted change", learner.Store))
			if r.Leaseholder == learner.Store && c.s.LivenessOf(learner.Store) != Dead {
				lt, ok := c.bestLeaseTarget(r, learner.Store, 0)
				if !ok {
					c.note(r.ID, "learner on %s holds the lease and no voter may take it", learner.Store)
					continue
				}
				b.transferLease(lt)
			}
			c.emit(b.remove(learner.Store))
			continue
		}
		seen := seenBuf[:0] // badReason appends: one buffer for the cycle
		var bad []Replica
		var badWhy []string
		good := 0
		for _, v := range voters {
			if why := c.badReason(r, v, &seen); why != "" {
				bad = append(bad, v)
				badWhy = append(badWhy, why)
			} else {
				good++
			}
		}
		switch {
		case good < rf:
			t, ok := c.bestTarget(r, math.MaxInt)
			if !ok {
				c.note(r.ID, "has %d of %d healthy voters but no store may receive another replica", good, rf)
				if len(bad) == 0 {
					c.drainLease(r)
				}
				continue
			}
			if len(bad) > 0 && len(voters) >= rf {
				b := newOp(c.s, r, OpReplace, fmt.Sprintf("replica on %s must move: %s; replace it with %s", bad[0].Store, badWhy[0], t)).addVoter(t)
				if lv := c.s.LivenessOf(bad[0].Store); r.Leaseholder == bad[0].Store && lv != Dead && lv != Decommissioned {
					if lt, ok := c.bestLeaseTarget(r, bad[0].Store, t); ok {
						b.transferLease(lt)
					}
				}
				c.emit(b.remove(bad[0].Store))
				continue
			}
			c.emit(newOp(c.s, r, OpAddReplica, fmt.Sprintf("range has %d of %d healthy voters; add one on %s", good, rf, t)).addVoter(t))
		case len(voters) > rf:
			victim, why := c.removalVictim(r, bad, badWhy)
			b := newOp(c.s, r, OpRemoveReplica, fmt.Sprintf("range has %d voters, wants %d; remove %s: %s", len(voters), rf, victim, why))
			if r.Leaseholder == victim {
				lt, ok := c.bestLeaseTarget(r, victim, 0)
				if !ok {
					c.note(r.ID, "would remove %s but no other voter may hold the lease", victim)
					continue
				}
				b.transferLease(lt)
			}
			c.emit(b.remove(victim))
		default:
			c.note(r.ID, "has %d healthy voters on distinct live nodes, as replication_factor wants", good)
			c.drainLease(r)
		}
	}
}

// removalVictim picks the voter to remove from an over-replicated range:
// a bad one first, else the one on the store with the most replicas,
// preferring not the leaseholder.
func (c *cycle) removalVictim(r *Range, bad []Replica, badWhy []string) (kvpb.StoreID, string) {
	if len(bad) > 0 {
		return bad[0].Store, badWhy[0]
	}
	var victim kvpb.StoreID
	most := -1
	var buf [8]Replica
	for _, v := range r.appendVoters(buf[:0]) {
		n := c.replicas[v.Store]
		if v.Store == r.Leaseholder {
			n-- // prefer keeping the lease where it is
		}
		if n > most {
			victim, most = v.Store, n
		}
	}
	return victim, fmt.Sprintf("its store has the most replicas (%d)", c.replicas[victim])
}

// drainLease moves the lease off a live store that may not hold leases
// (suspect or decommissioning).
func (c *cycle) drainLease(r *Range) {
	lh := r.Leaseholder
	if lh == 0 || c.leaseEligible(lh) {
		return
	}
	lv := c.s.LivenessOf(lh)
	if lv == Dead || lv == Decommissioned {
		return // the lease will expire and be acquired by a live replica
	}
	t, ok := c.bestLeaseTarget(r, lh, 0)
	if !ok {
		c.note(r.ID, "leaseholder %s is %s but no other voter may hold the lease", lh, lv)
		return
	}
	c.emit(newOp(c.s, r, OpDrainLease, fmt.Sprintf("leaseholder %s is %s; move the lease to %s", lh, lv, t)).transferLease(t))
}
