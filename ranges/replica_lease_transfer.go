package ranges

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/tracker"

	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// TransferLease moves the range's lease from this store's replica (which
// must hold it) to the voter on target, and then Raft leadership too (so
// that the lease stays with the leader). The holder first stops serving:
// new requests are redirected to the target and a write latch over the
// whole range waits for requests in flight; the new lease starts at the
// clock after that. Reads the old holder served at timestamps above its
// clock (a pushed txn refreshing at a reader's uncertainty limit) are not
// below the start: the transfer carries the old holder's timestamp-cache
// high-water, and the new holder's cache starts at the higher of the two.
// It also carries the old holder's unreplicated locks (locking reads'),
// which the new holder installs in its lock table as the lease applies.
//
// If the transfer's outcome is unknown when ctx ends, the old holder keeps
// refusing requests until it is resolved (applied or rejected).
func (s *Store) TransferLease(ctx context.Context, rangeID kvpb.RangeID, target *kvpb.ReplicaTarget) (*kvpb.Lease, error) {
	r, ok := s.GetReplica(rangeID)
	if !ok {
		return nil, &kvpb.RangeNotFoundError{RangeId: uint64(rangeID), StoreId: uint64(s.cfg.StoreID)}
	}
	if target == nil || target.GetStoreId() == 0 {
		return nil, &kvpb.InvalidRequestError{Reason: "lease transfer without a target store"}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
	}
	select {
	case r.adminSem <- struct{}{}:
	case <-ctx.Done():
		return nil, r.unavailable(ctx, "waiting for another admin command")
	}
	defer func() { <-r.adminSem }()
	if _, _, idx := r.frozenState(); idx != 0 {
		// A merge froze the range and will commit or unfreeze it on this
		// leaseholder: moving the lease now would strand the freeze (the
		// merge's unfreeze would fail here).
		return nil, &kvpb.UnavailableError{RangeId: uint64(rangeID), Reason: "frozen by a merge: no lease transfer until it commits or unfreezes"}
	}
	lease, err := r.ensureLease(ctx)
	if err != nil {
		return nil, err
	}
	rep, ok := r.Desc().ReplicaByStore(kvpb.StoreID(target.GetStoreId()))
	if !ok || rep.GetType() != kvpb.ReplicaType_VOTER {
		return nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("s%d holds no voter of r%d", target.GetStoreId(), rangeID)}
	}
	if rep.ID() == r.ReplicaID() {
		return lease, nil
	}
	// A target that is behind (still receiving or applying a snapshot, or
	// down) would hold a lease it cannot serve: wait until it has caught
	// up, or fail and keep the lease here.
	if err := r.waitLeaseTargetCaughtUp(ctx, rep.ID()); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.mu.transferTarget = rep
	r.mu.Unlock()
	clear := func() {
		r.mu.Lock()
		r.mu.transferTarget = nil
		r.notifyStateChangedLocked()
		r.mu.Unlock()
	}
	g, err := r.latches.Acquire(ctx, []spanlatch.Span{{Key: KeyMin, EndKey: KeyMax, Access: spanlatch.Write}})
	if err != nil {
		clear()
		return nil, r.unavailable(ctx, "draining requests for a lease transfer")
	}
	defer r.latches.Release(g)
	now := s.cfg.Clock.Now()
	nl := &kvpb.Lease{Replica: rep, Start: kvpb.TS(now), ProposedTs: kvpb.TS(now),
		Expiration: kvpb.TS(now.AddDuration(int64(s.cfg.LeaseDuration))), Sequence: lease.GetSequence() + 1}
	// No read runs any more (the latch): the cache's high-water bounds
	// every read served here, including those above our clock, which the
	// lease start does not. Likewise no locking read: every one that got
	// past ensureLease before transferTarget was set has taken its locks
	// and released its latches, and every later one is redirected, so the
	// lock table's unreplicated locks are final here; the new holder
	// installs them before it serves.
	cmd := &rangepb.RaftCommand{NewLease: nl, PrevLeaseSequence: lease.GetSequence(),
		Transfer: true, ProposerReplicaId: uint64(r.ReplicaID()), PriorReadMax: kvpb.TS(r.tsCache.Max())}
	for _, l := range r.conc.Locks().UnreplicatedLocks() {
		cmd.UnreplicatedLocks = append(cmd.UnreplicatedLocks, &rangepb.UnreplicatedLock{Key: l.Key, Txn: l.Txn, Shared: l.Shared})
	}
	p := newProposal(s.newProposalID(), cmd)
	if err := r.submit(p); err != nil {
		clear()
		return nil, err
	}
	select {
	case err := <-p.done:
		clear()
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			// Resolved by application or rejection; Stop fails proposals
			// only after its wg.Wait, so it must not wait for this one.
			select {
			case <-p.done:
			case <-s.stopper:
			}
			clear()
		}()
		return nil, &kvpb.AmbiguousResultError{RangeId: uint64(rangeID), Reason: "lease transfer in flight at the deadline"}
	}
	r.mu.Lock()
	r.mu.transferLeader = uint64(rep.ID())
	r.mu.Unlock()
	s.sched.enqueue(rangeID)
	return nl, nil
}

// ErrLeaseTargetBehind is returned (wrapped) by TransferLease when the
// target voter did not catch up within leaseTargetWait: the lease stays
// where it is. It is a refusal to decide afresh on (pick another target
// or try later), not an outage to retry against.
var ErrLeaseTargetBehind = errors.New("lease transfer target has not caught up")

// leaseTargetWait bounds how long TransferLease waits for its target to
// catch up: a few election timeouts cover a follower that is briefly
// behind (a heartbeat or append in flight), while one that needs a
// snapshot, or whose snapshot is declined until a split applies there,
// is refused early. Waiting out the caller's deadline instead held the
// range's admin slot (no split, replica change or other transfer) and
// its placement operator for a whole step timeout.
func (r *Replica) leaseTargetWait() time.Duration {
	return 4 * time.Duration(r.store.cfg.ElectionTicks) * r.store.cfg.TickInterval
}

// waitLeaseTargetCaughtUp waits, when this replica leads, until raft
// replicates to id normally (not probing, not sending it a snapshot) and
// id has every entry committed when the wait started; it gives up with
// ErrLeaseTargetBehind after leaseTargetWait. A non-leader cannot see
// progress and does not wait.
func (r *Replica) waitLeaseTargetCaughtUp(ctx context.Context, id kvpb.ReplicaID) error {
	poll := time.NewTicker(r.store.cfg.TickInterval)
	defer poll.Stop()
	giveUp := time.NewTimer(r.leaseTargetWait())
	defer giveUp.Stop()
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
		pr, ok := st.Progress[uint64(id)]
		if ok && pr.State == tracker.StateReplicate && pr.Match >= target {
			return nil
		}
		state := "unknown to raft"
		if ok {
			state = fmt.Sprintf("%s at %d of %d", pr.State, pr.Match, target)
		}
		select {
		case <-poll.C:
		case <-giveUp.C:
			return fmt.Errorf("r%d: replica %d (%s): %w; the lease stays", r.rangeID, id, state, ErrLeaseTargetBehind)
		case <-ctx.Done():
			return &kvpb.UnavailableError{RangeId: uint64(r.rangeID),
				Reason: fmt.Sprintf("lease transfer target replica %d has not caught up (%s); the lease stays", id, state)}
		}
	}
}
