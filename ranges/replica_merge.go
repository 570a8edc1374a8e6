package ranges

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// A merge has three steps, driven by the caller (server/) on the store
// that holds the leases of both ranges:
//
//  1. Subsume(right, left): the right range is frozen through Raft. The
//     proposer holds a write latch over the whole range, so every write
//     it acknowledged has applied; once the freeze applies, a replica
//     refuses every request and command. Subsume returns the right's
//     descriptor, stats and the raft index of the freeze.
//  2. The caller waits until every replica of the right range has
//     applied that index (RangeInfo.applied_index), so that each store's
//     engine holds the right's final data.
//  3. CommitMerge(left, right, stats): a merge trigger on the left range
//     extends its descriptor over the right's span, adds the stats and
//     removes the right's range-local state (tombstone), atomically on
//     every replica; the right's data stays where it is, in the same
//     engine. If the merge cannot commit, Unfreeze(right) undoes step 1.
//
// Only adjacent ranges whose replicas are on the same stores, all voters,
// merge.

// Subsume freezes rightID for a merge into leftID (see above). The store's
// replica must hold the right range's lease. Idempotent.
func (s *Store) Subsume(ctx context.Context, rightID, leftID kvpb.RangeID) (*kvpb.RangeDescriptor, *kvpb.MVCCStats, uint64, error) {
	r, ok := s.GetReplica(rightID)
	if !ok || r.Desc() == nil {
		return nil, nil, 0, &kvpb.RangeNotFoundError{RangeId: uint64(rightID), StoreId: uint64(s.cfg.StoreID)}
	}
	ctx, cancel := withDefaultTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	release, err := r.acquireAdmin(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	defer release()
	if d, st, idx := r.frozenState(); idx != 0 {
		return d, st, idx, nil
	}
	if _, err := r.ensureLease(ctx); err != nil {
		return nil, nil, 0, err
	}
	g, err := r.latches.Acquire(ctx, []spanlatch.Span{{Key: KeyMin, EndKey: KeyMax, Access: spanlatch.Write}})
	if err != nil {
		return nil, nil, 0, r.unavailable(ctx, "draining requests for a merge")
	}
	defer r.latches.Release(g)
	lease, err := r.ensureLease(ctx)
	if err != nil {
		return nil, nil, 0, err
	}
	p := newProposal(s.newProposalID(), &rangepb.RaftCommand{
		ProposerLeaseSequence: lease.GetSequence(),
		Subsume:               &rangepb.SubsumeCommand{LeftRangeId: uint64(leftID)},
	})
	if err := r.submit(p); err != nil {
		return nil, nil, 0, err
	}
	if err := s.waitProposal(ctx, r, p, "subsume"); err != nil {
		return nil, nil, 0, err
	}
	d, st, idx := r.frozenState()
	if idx == 0 {
		return nil, nil, 0, fmt.Errorf("ranges: r%d: subsume applied but the range is not frozen", rightID)
	}
	return d, st, idx, nil
}

// Unfreeze undoes Subsume (the merge did not commit).
func (s *Store) Unfreeze(ctx context.Context, rightID kvpb.RangeID) error {
	r, ok := s.GetReplica(rightID)
	if !ok {
		return &kvpb.RangeNotFoundError{RangeId: uint64(rightID), StoreId: uint64(s.cfg.StoreID)}
	}
	ctx, cancel := withDefaultTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	release, err := r.acquireAdmin(ctx)
	if err != nil {
		return err
	}
	defer release()
	if _, _, idx := r.frozenState(); idx == 0 {
		return nil
	}
	lease, err := r.ensureLease(ctx)
	if err != nil {
		return err
	}
	p := newProposal(s.newProposalID(), &rangepb.RaftCommand{
		ProposerLeaseSequence: lease.GetSequence(),
		Subsume:               &rangepb.SubsumeCommand{Undo: true},
	})
	if err := r.submit(p); err != nil {
		return err
	}
	return s.waitProposal(ctx, r, p, "unfreeze")
}

// CommitMerge extends leftID over right (frozen by Subsume, its replicas
// caught up) with a merge trigger; this store's replica of leftID must
// hold the lease. It returns the merged descriptor.
func (s *Store) CommitMerge(ctx context.Context, leftID kvpb.RangeID, right *kvpb.RangeDescriptor, rightStats *kvpb.MVCCStats) (*kvpb.RangeDescriptor, error) {
	l, ok := s.GetReplica(leftID)
	if !ok || l.Desc() == nil {
		return nil, &kvpb.RangeNotFoundError{RangeId: uint64(leftID), StoreId: uint64(s.cfg.StoreID)}
	}
	ctx, cancel := withDefaultTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	release, err := l.acquireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	lease, err := l.ensureLease(ctx)
	if err != nil {
		return nil, err
	}
	desc := l.Desc()
	if err := CheckMergeable(desc, right); err != nil {
		return nil, err
	}
	if rr, ok := s.GetReplica(kvpb.RangeID(right.GetRangeId())); !ok {
		return nil, &kvpb.RangeNotFoundError{RangeId: right.GetRangeId(), StoreId: uint64(s.cfg.StoreID)}
	} else if _, _, idx := rr.frozenState(); idx == 0 {
		return nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("r%d is not subsumed; cannot merge it", right.GetRangeId())}
	}
	merged := cloneDesc(desc)
	merged.EndKey = bytes.Clone(right.GetEndKey())
	merged.Generation = max(desc.GetGeneration(), right.GetGeneration()) + 1
	p := newProposal(s.newProposalID(), &rangepb.RaftCommand{
		ProposerLeaseSequence: lease.GetSequence(),
		Merge:                 &rangepb.MergeTrigger{Merged: merged, Right: right, RightStats: rightStats},
	})
	if err := l.submit(p); err != nil {
		return nil, err
	}
	if err := s.waitProposal(ctx, l, p, "merge"); err != nil {
		return nil, err
	}
	return merged, nil
}

// CheckMergeable reports why left and right cannot merge, if they cannot:
// they must be adjacent and have their replicas on the same stores, all
// voters.
func CheckMergeable(left, right *kvpb.RangeDescriptor) error {
	if !bytes.Equal(left.GetEndKey(), right.GetStartKey()) {
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("r%d [%q, %q) and r%d [%q, %q) are not adjacent",
			left.GetRangeId(), left.GetStartKey(), left.GetEndKey(), right.GetRangeId(), right.GetStartKey(), right.GetEndKey())}
	}
	ls, lok := voterStores(left)
	rs, rok := voterStores(right)
	if !lok || !rok || fmt.Sprint(ls) != fmt.Sprint(rs) {
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("r%d (stores %v) and r%d (stores %v) do not have the same voters; relocate first",
			left.GetRangeId(), ls, right.GetRangeId(), rs)}
	}
	return nil
}

// voterStores lists the stores of d's replicas; ok is false when a
// replica is not a plain voter.
func voterStores(d *kvpb.RangeDescriptor) ([]uint64, bool) {
	ok := true
	var out []uint64
	for _, r := range d.GetReplicas() {
		out = append(out, r.GetStoreId())
		if r.GetType() != kvpb.ReplicaType_VOTER {
			ok = false
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, ok
}

// frozenState returns descriptor, stats and freeze index (0: not frozen).
func (r *Replica) frozenState() (*kvpb.RangeDescriptor, *kvpb.MVCCStats, uint64) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.desc, cloneStats(r.mu.stats), r.mu.frozenIndex
}

// applySubsume freezes (or, with undo, unfreezes) the range.
func (r *Replica) applySubsume(b storage.Batch, st *applyState, sc *rangepb.SubsumeCommand, index uint64) error {
	st.descChanged = true // wakes requests waiting on the freeze
	if sc.GetUndo() {
		st.frozenIndex = 0
		return b.DeleteRaw(rangekeys.FrozenKey(uint64(r.rangeID)))
	}
	if st.frozenIndex != 0 {
		return nil
	}
	st.frozenIndex = index
	return b.PutRaw(rangekeys.FrozenKey(uint64(r.rangeID)), encodeUint64(index))
}

// applyMerge applies a merge trigger into b (on every replica of the
// left range).
func (r *Replica) applyMerge(b storage.Batch, st *applyState, m *rangepb.MergeTrigger) error {
	merged, right := m.GetMerged(), m.GetRight()
	cur := st.desc
	if cur == nil || merged.GetRangeId() != cur.GetRangeId() || !bytes.Equal(merged.GetStartKey(), cur.GetStartKey()) ||
		!bytes.Equal(cur.GetEndKey(), right.GetStartKey()) || !bytes.Equal(merged.GetEndKey(), right.GetEndKey()) ||
		merged.GetGeneration() != max(cur.GetGeneration(), right.GetGeneration())+1 {
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("merge trigger for r%d does not match its descriptor", r.rangeID)}
	}
	s := r.store
	rightID := kvpb.RangeID(right.GetRangeId())
	rr, ok := s.GetReplica(rightID)
	if ok {
		rr.mu.RLock()
		idx, applied := rr.mu.frozenIndex, rr.mu.applied.GetRaftAppliedIndex()
		rr.mu.RUnlock()
		if idx == 0 || applied < idx {
			// The proposer waits for every right replica to apply the
			// freeze before proposing; this would lose writes.
			s.log.Error("ranges: merge trigger applied before the right-hand replica caught up", "left", r.rangeID, "right", rightID,
				"frozen_index", idx, "applied", applied)
		}
	} else {
		s.log.Error("ranges: merge trigger without a local right-hand replica", "left", r.rangeID, "right", rightID)
	}
	if err := putProto(b, rangekeys.DescriptorKey(merged.GetRangeId()), merged); err != nil {
		return err
	}
	st.desc = merged
	st.descChanged = true
	addStats(st.stats, m.GetRightStats())
	st.statsChanged = true
	// The merged range keeps the higher GC threshold of the two (the
	// right's is final: it is frozen and caught up here).
	if err := r.mergeGCThreshold(b, st, rightID); err != nil {
		return err
	}
	if err := b.ClearRange(rangekeys.ReplicatedPrefix(uint64(rightID)), rangekeys.ReplicatedEnd(uint64(rightID))); err != nil {
		return err
	}
	if err := b.ClearRange(rangekeys.UnreplicatedPrefix(uint64(rightID)), rangekeys.UnreplicatedEnd(uint64(rightID))); err != nil {
		return err
	}
	if err := putProto(b, rangekeys.TombstoneKey(uint64(rightID)), &rangepb.ReplicaTombstone{NextReplicaId: right.GetNextReplicaId()}); err != nil {
		return err
	}
	st.post = append(st.post, func() {
		// Reads the right range served are below now, or below its
		// timestamp cache's high-water for those served above the clock:
		// no write to its span through the left may go under them.
		reads := s.cfg.Clock.Now()
		if rr != nil {
			reads = reads.Forward(rr.tsCache.Max())
		}
		r.tsCache.Add(right.GetStartKey(), right.GetEndKey(), reads)
		if rr != nil {
			rr.retire(fmt.Sprintf("merged into r%d", r.rangeID))
		}
	})
	return nil
}

// waitProposal waits for an admin command's outcome.
func (s *Store) waitProposal(ctx context.Context, r *Replica, p *proposal, what string) error {
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return &kvpb.AmbiguousResultError{RangeId: uint64(r.rangeID), Reason: fmt.Sprintf("%s proposed but not applied before the deadline (%v)", what, ctx.Err())}
	case <-s.stopper:
		return &kvpb.AmbiguousResultError{RangeId: uint64(r.rangeID), Reason: fmt.Sprintf("store stopped with the %s in flight", what)}
	}
}

func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

func cloneStats(s *kvpb.MVCCStats) *kvpb.MVCCStats {
	out := &kvpb.MVCCStats{}
	if s != nil {
		addStats(out, s)
	}
	return out
}
