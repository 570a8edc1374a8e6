package ranges

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// confChangeProposal is a ConfChangeV2 proposed by this replica, which
// carries (in its ConfChangeContext) the descriptor it produces. It can
// apply only while the range's descriptor is still at baseGen, the
// generation it was built from (applyConfChange rejects any other copy on
// every replica), so it is safe to propose again: raft may lose a
// proposal without telling us (a MsgProp forwarded to a leader that drops
// it, an entry a deposed leader appended and its successor overwrote, a
// conf change the leader turned into an empty entry because another one
// was pending there), and at most one copy takes effect.
type confChangeProposal struct {
	cc      *raftpb.ConfChangeV2
	baseGen uint64
	// proposedAtTick and dropped (raft refused the last proposal: no
	// leader) are guarded by raftMu.
	proposedAtTick int
	dropped        bool
	// abandoned: its proposer stopped waiting (mu): not proposed again.
	abandoned bool
}

// ChangeReplicas changes the replicas of a range, one step at a time
// through Raft, on this store's replica, which must hold the lease:
//
//   - ADD_VOTER: add a learner, wait until raft has caught it up (by
//     snapshot), promote it with a joint-consensus ConfChangeV2;
//   - ADD_LEARNER / PROMOTE_LEARNER: the two halves of it;
//   - REMOVE_VOTER: demote through a joint configuration and remove;
//   - REMOVE_LEARNER: remove at once.
//
// expectedGeneration, if non-zero, must match the descriptor's generation
// when the change starts. A removed replica is garbage-collected by its
// store once it learns it is gone. The leaseholder's own replica cannot
// be removed (move the lease first). Changes of one range are serialised.
// Each step's conf change is proposed again until it applies (raft may
// lose it; see confChangeProposal); a step fails with a retryable
// UnavailableError when the descriptor moves on without it (another
// change won) or ctx ends first.
func (s *Store) ChangeReplicas(ctx context.Context, rangeID kvpb.RangeID, changes []*kvpb.ReplicaChange, expectedGeneration uint64) (*kvpb.RangeDescriptor, error) {
	r, ok := s.GetReplica(rangeID)
	if !ok {
		return nil, &kvpb.RangeNotFoundError{RangeId: uint64(rangeID), StoreId: uint64(s.cfg.StoreID)}
	}
	if len(changes) == 0 {
		return nil, &kvpb.InvalidRequestError{Reason: "no replica changes"}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 4*s.cfg.RequestTimeout)
		defer cancel()
	}
	select {
	case r.adminSem <- struct{}{}:
	case <-ctx.Done():
		return nil, r.unavailable(ctx, "waiting for another replica change")
	}
	defer func() { <-r.adminSem }()
	if expectedGeneration != 0 {
		if d := r.Desc(); d.GetGeneration() != expectedGeneration {
			return nil, &kvpb.RangeKeyMismatchError{Ranges: []*kvpb.RangeDescriptor{d}}
		}
	}
	for _, c := range changes {
		t := c.GetTarget()
		if t == nil || t.GetNodeId() == 0 || t.GetStoreId() == 0 {
			return nil, &kvpb.InvalidRequestError{Reason: "replica change without a target node and store"}
		}
		var err error
		switch c.GetType() {
		case kvpb.ReplicaChangeType_ADD_VOTER:
			if err = r.addLearner(ctx, t); err == nil {
				err = r.promoteLearner(ctx, t)
			}
		case kvpb.ReplicaChangeType_ADD_LEARNER:
			err = r.addLearner(ctx, t)
		case kvpb.ReplicaChangeType_PROMOTE_LEARNER:
			err = r.promoteLearner(ctx, t)
		case kvpb.ReplicaChangeType_REMOVE_VOTER, kvpb.ReplicaChangeType_REMOVE_LEARNER:
			err = r.removeReplica(ctx, t)
		default:
			err = &kvpb.InvalidRequestError{Reason: fmt.Sprintf("unknown replica change %v", c.GetType())}
		}
		if err != nil {
			return nil, err
		}
	}
	return r.Desc(), nil
}

func (r *Replica) addLearner(ctx context.Context, t *kvpb.ReplicaTarget) error {
	if _, err := r.ensureLease(ctx); err != nil {
		return err
	}
	desc := r.Desc()
	if rep, ok := desc.ReplicaByStore(kvpb.StoreID(t.GetStoreId())); ok {
		if rep.GetType() == kvpb.ReplicaType_LEARNER {
			return nil // idempotent
		}
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("s%d already holds replica %d of r%d", t.GetStoreId(), rep.GetReplicaId(), r.rangeID)}
	}
	for _, rep := range desc.GetReplicas() {
		if rep.GetNodeId() == t.GetNodeId() {
			return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("n%d already holds a replica of r%d", t.GetNodeId(), r.rangeID)}
		}
	}
	nd := cloneDesc(desc)
	id := nd.GetNextReplicaId()
	nd.Replicas = append(nd.Replicas, &kvpb.ReplicaDescriptor{NodeId: t.GetNodeId(), StoreId: t.GetStoreId(), ReplicaId: id, Type: kvpb.ReplicaType_LEARNER})
	nd.NextReplicaId++
	nd.Generation++
	cc := &raftpb.ConfChangeV2{Changes: []*raftpb.ConfChangeSingle{{Type: raftpb.ConfChangeAddLearnerNode.Enum(), NodeId: proto.Uint64(id)}}}
	c, err := r.proposeConfChange(cc, nd)
	if err != nil {
		return err
	}
	added := func(d *kvpb.RangeDescriptor) bool {
		x, ok := d.ReplicaByID(kvpb.ReplicaID(id))
		return ok && x.GetStoreId() == t.GetStoreId()
	}
	return r.waitConf(ctx, c, added, added)
}

func (r *Replica) promoteLearner(ctx context.Context, t *kvpb.ReplicaTarget) error {
	if _, err := r.ensureLease(ctx); err != nil {
		return err
	}
	desc := r.Desc()
	rep, ok := desc.ReplicaByStore(kvpb.StoreID(t.GetStoreId()))
	if !ok || rep.GetType() != kvpb.ReplicaType_LEARNER {
		if ok && rep.GetType() == kvpb.ReplicaType_VOTER {
			return nil
		}
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("s%d holds no learner of r%d", t.GetStoreId(), r.rangeID)}
	}
	id := rep.ID()
	if err := r.waitLearnerCaughtUp(ctx, id); err != nil {
		return err
	}
	nd := cloneDesc(desc)
	for _, x := range nd.Replicas {
		if x.ID() == id {
			x.Type = kvpb.ReplicaType_VOTER_INCOMING
		}
	}
	nd.Generation++
	cc := &raftpb.ConfChangeV2{
		Transition: raftpb.ConfChangeTransition_ConfChangeTransitionJointImplicit.Enum(),
		Changes:    []*raftpb.ConfChangeSingle{{Type: raftpb.ConfChangeAddNode.Enum(), NodeId: proto.Uint64(uint64(id))}},
	}
	c, err := r.proposeConfChange(cc, nd)
	if err != nil {
		return err
	}
	return r.waitConf(ctx, c, func(d *kvpb.RangeDescriptor) bool {
		x, ok := d.ReplicaByID(id)
		return ok && x.GetType() == kvpb.ReplicaType_VOTER
	}, func(d *kvpb.RangeDescriptor) bool {
		x, ok := d.ReplicaByID(id)
		return ok && (x.GetType() == kvpb.ReplicaType_VOTER_INCOMING || x.GetType() == kvpb.ReplicaType_VOTER)
	})
}

func (r *Replica) removeReplica(ctx context.Context, t *kvpb.ReplicaTarget) error {
	lease, err := r.ensureLease(ctx)
	if err != nil {
		return err
	}
	desc := r.Desc()
	rep, ok := desc.ReplicaByStore(kvpb.StoreID(t.GetStoreId()))
	if !ok {
		return nil // already gone
	}
	if rep.GetReplicaId() == lease.GetReplica().GetReplicaId() {
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("cannot remove the leaseholder replica %d of r%d; move the lease first", rep.GetReplicaId(), r.rangeID)}
	}
	id := rep.ID()
	if err := r.moveLeadershipOff(ctx, id); err != nil {
		return err
	}
	nd := cloneDesc(desc)
	nd.Generation++
	cc := &raftpb.ConfChangeV2{Changes: []*raftpb.ConfChangeSingle{{Type: raftpb.ConfChangeRemoveNode.Enum(), NodeId: proto.Uint64(uint64(id))}}}
	if rep.GetType() == kvpb.ReplicaType_LEARNER {
		nd.Replicas = nil
		for _, x := range desc.GetReplicas() {
			if x.ID() != id {
				nd.Replicas = append(nd.Replicas, x)
			}
		}
	} else {
		if len(desc.Voters()) <= 1 {
			return &kvpb.InvalidRequestError{Reason: "cannot remove the last voter"}
		}
		for _, x := range nd.Replicas {
			if x.ID() == id {
				x.Type = kvpb.ReplicaType_VOTER_OUTGOING
			}
		}
		cc.Transition = raftpb.ConfChangeTransition_ConfChangeTransitionJointImplicit.Enum()
	}
	c, err := r.proposeConfChange(cc, nd)
	if err != nil {
		return err
	}
	return r.waitConf(ctx, c, func(d *kvpb.RangeDescriptor) bool {
		_, ok := d.ReplicaByID(id)
		return !ok
	}, func(d *kvpb.RangeDescriptor) bool {
		x, ok := d.ReplicaByID(id)
		return !ok || x.GetType() == kvpb.ReplicaType_VOTER_OUTGOING
	})
}

// proposeConfChange queues cc, carrying the descriptor nd it produces
// (built from the descriptor at nd's generation - 1).
func (r *Replica) proposeConfChange(cc *raftpb.ConfChangeV2, nd *kvpb.RangeDescriptor) (*confChangeProposal, error) {
	cctx, err := proto.Marshal(&rangepb.ConfChangeContext{Id: r.store.newProposalID(), Desc: nd})
	if err != nil {
		return nil, err
	}
	cc.Context = cctx
	c := &confChangeProposal{cc: cc, baseGen: nd.GetGeneration() - 1}
	r.mu.Lock()
	if r.mu.destroyed {
		r.mu.Unlock()
		return nil, &kvpb.RangeNotFoundError{RangeId: uint64(r.rangeID), StoreId: uint64(r.store.cfg.StoreID)}
	}
	r.mu.confQueue = append(r.mu.confQueue, c)
	r.mu.Unlock()
	r.store.sched.enqueue(r.rangeID)
	return c, nil
}

// proposeConfLocked hands c to raft (raftMu held). A dropped proposal (no
// leader) is proposed again once there is one.
func (r *Replica) proposeConfLocked(c *confChangeProposal) {
	c.proposedAtTick = r.raftMu.ticks
	err := r.raftMu.rn.ProposeConfChange(c.cc)
	c.dropped = err != nil
	if err != nil {
		r.store.log.Info("ranges: conf change dropped by raft; will propose it again", "range", r.rangeID, "err", err)
	}
}

// confToReproposeLocked returns the pending conf change if it is due to be
// proposed again (mu and raftMu held): an election timeout after its last
// proposal, or, if raft dropped that, as soon as there is a leader. It
// forgets it once the descriptor has moved on from the one it was built
// from (it applied, or another change did and no copy can apply) or its
// proposer stopped waiting.
func (r *Replica) confToReproposeLocked(ticks, every int, haveLeader bool) *confChangeProposal {
	c := r.mu.pendingConf
	switch {
	case c == nil:
		return nil
	case c.abandoned || r.mu.desc.GetGeneration() != c.baseGen:
		r.mu.pendingConf = nil
		return nil
	case c.dropped && haveLeader, ticks%every == 0 && ticks-c.proposedAtTick >= every:
		return c
	}
	return nil
}

// waitConf waits until the descriptor satisfies done, the end state of c
// (which may take more than c: a joint change ends with raft leaving the
// joint configuration). It fails with a retryable UnavailableError as
// soon as the descriptor has moved past c's base generation without c
// taking effect (took false): another change won, and every copy of c is
// rejected from then on.
func (r *Replica) waitConf(ctx context.Context, c *confChangeProposal, done, took func(*kvpb.RangeDescriptor) bool) error {
	defer func() {
		r.mu.Lock()
		c.abandoned = true
		if r.mu.pendingConf == c {
			r.mu.pendingConf = nil
		}
		r.mu.Unlock()
	}()
	poll := time.NewTicker(r.store.cfg.TickInterval)
	defer poll.Stop()
	for {
		r.mu.RLock()
		d, ch, destroyed := r.mu.desc, r.mu.stateChanged, r.mu.destroyed
		r.mu.RUnlock()
		if destroyed {
			return &kvpb.RangeNotFoundError{RangeId: uint64(r.rangeID), StoreId: uint64(r.store.cfg.StoreID)}
		}
		if done(d) {
			return nil
		}
		if d.GetGeneration() > c.baseGen && !took(d) {
			return &kvpb.UnavailableError{RangeId: uint64(r.rangeID), Reason: fmt.Sprintf(
				"replica change built from generation %d superseded: the descriptor is at generation %d without it; retry", c.baseGen, d.GetGeneration())}
		}
		select {
		case <-ch:
		case <-poll.C:
		case <-ctx.Done():
			return r.unavailable(ctx, "replica change did not apply")
		}
	}
}

// waitLearnerCaughtUp waits, when this replica leads, until raft has
// brought the learner up to the commit index it had when we started (its
// snapshot has been applied). A non-leader cannot see progress and does
// not wait: promotion is safe either way, only availability differs.
func (r *Replica) waitLearnerCaughtUp(ctx context.Context, id kvpb.ReplicaID) error {
	poll := time.NewTicker(r.store.cfg.TickInterval)
	defer poll.Stop()
	var target uint64
	for {
		r.raftMu.Lock()
		st := r.raftMu.rn.Status()
		r.raftMu.Unlock()
		if st.RaftState != raft.StateLeader {
			return nil
		}
		if target == 0 {
			target = st.GetCommit()
		}
		if pr, ok := st.Progress[uint64(id)]; ok && pr.Match >= target {
			return nil
		}
		select {
		case <-poll.C:
		case <-ctx.Done():
			return r.unavailable(ctx, fmt.Sprintf("learner %d did not catch up", id))
		}
	}
}

// moveLeadershipOff makes this replica (the leaseholder) the Raft leader
// when the replica about to be removed leads, so the range does not sit
// leaderless after the removal.
func (r *Replica) moveLeadershipOff(ctx context.Context, removed kvpb.ReplicaID) error {
	poll := time.NewTicker(r.store.cfg.TickInterval)
	defer poll.Stop()
	for {
		r.mu.Lock()
		leader, self := r.mu.leaderID, r.mu.replicaID
		if leader == removed {
			r.mu.transferLeader = uint64(self)
		}
		r.mu.Unlock()
		// Wait for a new leader, not just the old one gone: a conf change
		// proposed mid-election is dropped by raft.
		if leader != removed && leader != 0 {
			return nil
		}
		r.store.sched.enqueue(r.rangeID)
		select {
		case <-poll.C:
		case <-ctx.Done():
			return r.unavailable(ctx, "moving raft leadership off a replica being removed")
		}
	}
}
