package ranges

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// AdminSplit splits the range containing splitKey at splitKey, on this
// store's replica, which must hold the lease: the range keeps
// [start, splitKey) and a new range newRangeID (allocated cluster-wide
// by the caller) gets [splitKey, end) with the same replicas, a copy of
// the lease and its part of the MVCC stats. Both descriptors get the old
// generation + 1.
//
// The split is one Raft command on the left range (a split trigger,
// proposer-evaluated): the leaseholder takes a write latch over the whole
// range, so every earlier write has applied and none runs concurrently,
// computes the right-hand stats by scanning the right span, and proposes
// the trigger; every replica applies it atomically with its own shrink
// and creates the right-hand replica on its store. Meta records are the
// caller's (server/) to write: see docs/design/splits.md.
//
// Errors: InvalidRequestError for a key outside the splittable space
// (below keys.MetaEnd: range 1 keeps every meta record; at or above
// KeyMax; range-local) or at an existing boundary; RangeKeyMismatchError
// when this store has no replica containing the key; NotLeaseholderError.
func (s *Store) AdminSplit(ctx context.Context, splitKey []byte, newRangeID kvpb.RangeID) (left, right *kvpb.RangeDescriptor, err error) {
	return s.AdminSplitSticky(ctx, splitKey, newRangeID, nil)
}

// AdminSplitSticky is AdminSplit for a manual split: the right-hand
// descriptor carries sticky (RangeDescriptor.sticky_bit: the split is
// kept until that wall time; nil: an ordinary split, no marker). The left
// keeps the split range's own marker (its start boundary is unchanged).
func (s *Store) AdminSplitSticky(ctx context.Context, splitKey []byte, newRangeID kvpb.RangeID, sticky *kvpb.Timestamp) (left, right *kvpb.RangeDescriptor, err error) {
	if err := CheckSplitKey(splitKey); err != nil {
		return nil, nil, err
	}
	if newRangeID <= FirstRangeID {
		return nil, nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("invalid new range ID %d", newRangeID)}
	}
	if _, ok := s.GetReplica(newRangeID); ok {
		return nil, nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("range ID %d is already in use on s%d", newRangeID, s.cfg.StoreID)}
	}
	r := s.replicaContaining(splitKey)
	if r == nil {
		return nil, nil, s.mismatchError(splitKey, nil, nil)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
	}
	release, err := r.acquireAdmin(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	if _, err := r.ensureLease(ctx); err != nil {
		return nil, nil, err
	}
	// Every request in flight drains; new ones wait until the trigger has
	// applied (then they find the narrower descriptor and get a mismatch
	// naming both halves).
	g, err := r.latches.Acquire(ctx, []spanlatch.Span{{Key: KeyMin, EndKey: KeyMax, Access: spanlatch.Write}})
	if err != nil {
		return nil, nil, r.unavailable(ctx, "draining requests for a split")
	}
	handedOff := false
	defer func() {
		if !handedOff {
			r.latches.Release(g)
		}
	}()
	lease, err := r.ensureLease(ctx)
	if err != nil {
		return nil, nil, err
	}
	r.mu.RLock()
	desc, frozen := r.mu.desc, r.mu.frozenIndex != 0
	r.mu.RUnlock()
	if frozen {
		// Transient: the merge commits (the key then belongs to the
		// left-hand range, which a retry finds) or unfreezes. The admin
		// server retries Unavailable, as for a lease transfer of a frozen
		// range.
		return nil, nil, &kvpb.UnavailableError{RangeId: uint64(r.rangeID), Reason: fmt.Sprintf("r%d is being merged away: split after the merge", r.rangeID)}
	}
	if !desc.ContainsKey(splitKey) {
		return nil, nil, s.mismatchError(splitKey, nil, desc)
	}
	if bytes.Equal(desc.GetStartKey(), splitKey) {
		return nil, nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("key %q is already a range boundary (start of r%d)", splitKey, desc.GetRangeId())}
	}
	for _, rep := range desc.GetReplicas() {
		if t := rep.GetType(); t != kvpb.ReplicaType_VOTER && t != kvpb.ReplicaType_LEARNER {
			return nil, nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("r%d is in the middle of a replica change; retry", desc.GetRangeId())}
		}
	}
	start, end := rangekeys.UserSpan(splitKey, desc.GetEndKey())
	ms, err := storage.ComputeStats(s.eng, start, end)
	if err != nil {
		return nil, nil, err
	}
	left = cloneDesc(desc)
	left.EndKey = bytes.Clone(splitKey)
	left.Generation++
	right = cloneDesc(desc)
	right.RangeId = uint64(newRangeID)
	right.StartKey = bytes.Clone(splitKey)
	right.Generation = left.GetGeneration()
	right.StickyBit = nil
	if sticky != nil {
		right.StickyBit = proto.Clone(sticky).(*kvpb.Timestamp)
	}
	p := newProposal(s.newProposalID(), &rangepb.RaftCommand{
		ProposerLeaseSequence: lease.GetSequence(),
		Split:                 &rangepb.SplitTrigger{Left: left, Right: right, RightStats: statsToProto(ms)},
	})
	p.guard = g
	if err := r.submit(p); err != nil {
		return nil, nil, err
	}
	handedOff = true
	select {
	case err := <-p.done:
		if err != nil {
			return nil, nil, err
		}
	case <-ctx.Done():
		return nil, nil, &kvpb.AmbiguousResultError{RangeId: uint64(r.rangeID), Reason: fmt.Sprintf("split proposed but not applied before the deadline (%v)", ctx.Err())}
	case <-s.stopper:
		return nil, nil, &kvpb.AmbiguousResultError{RangeId: uint64(r.rangeID), Reason: "store stopped with the split in flight"}
	}
	return left, right, nil
}

// CheckSplitKey rejects keys that can never be split points.
func CheckSplitKey(k []byte) error {
	switch {
	case len(k) == 0:
		return &kvpb.InvalidRequestError{Reason: "empty split key"}
	case bytes.Compare(k, KeyMax) >= 0:
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("split key %q is outside the key space (at or above %q)", k, KeyMax)}
	case bytes.Compare(k, keys.MetaEnd) < 0:
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("split key %q is below the end of meta %q: range 1 keeps every meta record", k, keys.MetaEnd)}
	}
	return nil
}

// acquireAdmin takes the replica's admin slot (splits, merges, replica
// changes and lease transfers of a range run one at a time).
func (r *Replica) acquireAdmin(ctx context.Context) (func(), error) {
	select {
	case r.adminSem <- struct{}{}:
		return func() { <-r.adminSem }, nil
	case <-ctx.Done():
		return nil, r.unavailable(ctx, "waiting for another admin command on the range")
	}
}

// replicaContaining returns the initialized replica whose span holds key.
func (s *Store) replicaContaining(key []byte) *Replica {
	var found *Replica
	s.forEachReplica(func(r *Replica) {
		if d := r.Desc(); found == nil && d != nil && d.ContainsKey(key) {
			found = r
		}
	})
	return found
}

// ReplicaContaining returns the descriptor of this store's replica whose
// span holds key (nil if none).
func (s *Store) ReplicaContaining(key []byte) *kvpb.RangeDescriptor {
	if r := s.replicaContaining(key); r != nil {
		return r.Desc()
	}
	return nil
}

// mismatchError is the RangeKeyMismatchError for a request [key, end)
// that desc does not contain: it names desc and every local replica
// overlapping the request, so that a client with stale meta can route at
// once (right after a split the meta records may still be catching up).
func (s *Store) mismatchError(key, end []byte, desc *kvpb.RangeDescriptor) error {
	e := &kvpb.RangeKeyMismatchError{RequestStartKey: key, RequestEndKey: end}
	if desc != nil {
		e.Ranges = append(e.Ranges, desc)
	}
	hi := end
	if hi == nil {
		hi = keys.Next(key)
	}
	s.forEachReplica(func(r *Replica) {
		d := r.Desc()
		if d == nil || (desc != nil && d.GetRangeId() == desc.GetRangeId()) {
			return
		}
		if bytes.Compare(d.GetStartKey(), hi) < 0 && bytes.Compare(key, d.GetEndKey()) < 0 {
			e.Ranges = append(e.Ranges, d)
		}
	})
	return e
}

// overlapsOtherReplica reports whether an initialized replica of another
// range on this store overlaps desc's span (a snapshot for desc must then
// wait: the other replica still owns part of the data, e.g. the left side
// of a split not applied here yet).
func (s *Store) overlapsOtherReplica(desc *kvpb.RangeDescriptor) bool {
	overlap := false
	s.forEachReplica(func(r *Replica) {
		d := r.Desc()
		if overlap || d == nil || d.GetRangeId() == desc.GetRangeId() {
			return
		}
		if bytes.Compare(d.GetStartKey(), desc.GetEndKey()) < 0 && bytes.Compare(desc.GetStartKey(), d.GetEndKey()) < 0 {
			overlap = true
		}
	})
	return overlap
}

// applySplit applies a split trigger into b (on every replica of the
// left range): the left descriptor shrinks, its stats lose the right's,
// and the right-hand range's state is written so that its replica
// appears on this store once b is committed.
func (r *Replica) applySplit(b storage.Batch, st *applyState, sp *rangepb.SplitTrigger) error {
	left, right := sp.GetLeft(), sp.GetRight()
	cur := st.desc
	if cur == nil || left.GetRangeId() != cur.GetRangeId() || !bytes.Equal(left.GetStartKey(), cur.GetStartKey()) ||
		!bytes.Equal(right.GetEndKey(), cur.GetEndKey()) || !bytes.Equal(left.GetEndKey(), right.GetStartKey()) ||
		left.GetGeneration() != cur.GetGeneration()+1 {
		// Deterministic on every replica: the descriptor moved on between
		// evaluation and application (cannot happen under the admin slot
		// and latch, but never apply a trigger built for another state).
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("split trigger for r%d does not match its descriptor", r.rangeID)}
	}
	s := r.store
	subStats(st.stats, sp.GetRightStats())
	st.statsChanged = true
	if err := putProto(b, rangekeys.DescriptorKey(left.GetRangeId()), left); err != nil {
		return err
	}
	st.desc = left
	st.descChanged = true

	rightID := kvpb.RangeID(right.GetRangeId())
	ours, ok := right.ReplicaByStore(s.cfg.StoreID)
	if !ok {
		return nil // not ours (cannot happen: the halves share replicas)
	}
	// Is there already a replica of the right range here? An uninitialized
	// one (raft messages of the new range arrived before this trigger)
	// keeps its HardState (it may have voted). One removed since (a
	// tombstone) or replaced by a newer replica ID means the right range
	// moved on without us: its data here is garbage.
	tomb := &rangepb.ReplicaTombstone{}
	if _, err := getProto(s.eng, rangekeys.TombstoneKey(uint64(rightID)), tomb); err != nil {
		return err
	}
	existing, _ := s.GetReplica(rightID)
	if tomb.GetNextReplicaId() > ours.GetReplicaId() || (existing != nil && existing.ReplicaID() > ours.ID()) {
		s.log.Info("ranges: split trigger: right-hand replica already gone from this store; dropping its data", "left", r.rangeID, "right", rightID)
		us, ue := rangekeys.UserSpan(right.GetStartKey(), right.GetEndKey())
		if err := storage.ClearMVCCRange(b, us, ue); err != nil {
			return err
		}
		if err := b.ClearRange(storage.LockTableKey(us), storage.LockTableKey(ue)); err != nil {
			return err
		}
		ts, te := keys.TxnRecordSpan(us, ue)
		return b.ClearRange(ts, te)
	}
	if existing != nil && existing.Desc() != nil {
		return nil // initialized already (cannot happen: overlapping snapshots are declined)
	}
	hs := &raftpb.HardState{}
	if _, err := getProto(s.eng, rangekeys.HardStateKey(uint64(rightID)), hs); err != nil {
		return err
	}
	if err := b.ClearRange(rangekeys.UnreplicatedPrefix(uint64(rightID)), rangekeys.UnreplicatedEnd(uint64(rightID))); err != nil {
		return err
	}
	if err := b.ClearRange(rangekeys.ReplicatedPrefix(uint64(rightID)), rangekeys.ReplicatedEnd(uint64(rightID))); err != nil {
		return err
	}
	if err := writeSplitRightState(b, right, st.lease, sp.GetRightStats(), hs, ours.ID()); err != nil {
		return err
	}
	if err := writeGCThreshold(b, rightID, st.gcThreshold); err != nil { // the right half inherits it
		return err
	}
	campaign := st.lease.GetReplica().GetStoreId() == uint64(s.cfg.StoreID)
	st.post = append(st.post, func() {
		// The reads this range served on the right's keys: the right's
		// timestamp cache starts above them (some may be above our clock,
		// which is all a new replica's cache starts at otherwise).
		end := right.GetEndKey()
		if len(end) == 0 {
			end = KeyMax
		}
		s.installSplitRight(rightID, ours.ID(), campaign, r.tsCache.Get(right.GetStartKey(), end))
		// The right half keeps the locking reads' locks on its keys.
		if rr, ok := s.GetReplica(rightID); ok && rr != r {
			r.conc.Locks().MoveUnreplicated(rr.conc.Locks(), right.GetStartKey(), end)
		}
	})
	return nil
}

// writeSplitRightState writes the initial state of the right-hand range
// of a split: descriptor, lease (the left's), applied state and raft
// state at (initialRaftIndex, initialRaftTerm) like a bootstrapped range,
// stats, and our replica ID. hs is the HardState of an uninitialized
// replica that was already here (zero otherwise): its term and vote are
// kept.
func writeSplitRightState(b storage.Batch, right *kvpb.RangeDescriptor, lease *kvpb.Lease, ms *kvpb.MVCCStats, hs *raftpb.HardState, replicaID kvpb.ReplicaID) error {
	id := right.GetRangeId()
	if err := writeInitialRangeState(b, right, initialRaftIndex, initialRaftTerm); err != nil {
		return err
	}
	if hs.GetTerm() > initialRaftTerm {
		nhs := &raftpb.HardState{Term: proto.Uint64(hs.GetTerm()), Vote: proto.Uint64(hs.GetVote()), Commit: proto.Uint64(initialRaftIndex)}
		if err := putProto(b, rangekeys.HardStateKey(id), nhs); err != nil {
			return err
		}
	}
	if lease != nil {
		if err := putProto(b, rangekeys.LeaseKey(id), lease); err != nil {
			return err
		}
	}
	if err := putProto(b, rangekeys.StatsKey(id), ms); err != nil {
		return err
	}
	return b.PutRaw(rangekeys.ReplicaIDKey(id), encodeUint64(uint64(replicaID)))
}

// installSplitRight creates the right-hand replica of an applied split
// from the state the trigger wrote, replacing an uninitialized replica
// that raft messages created before (runs on the scheduler goroutine,
// after the trigger's batch committed).
func (s *Store) installSplitRight(id kvpb.RangeID, replicaID kvpb.ReplicaID, campaign bool, reads hlc.Timestamp) {
	for attempt := 0; attempt < 3; attempt++ {
		old, _ := s.GetReplica(id)
		if old != nil {
			if old.ReplicaID() > replicaID {
				return
			}
			if old.Desc() != nil {
				// Created by a raft message after the trigger committed:
				// it loaded the state the trigger wrote.
				old.tsCache.SetLowWater(reads)
				old.mu.Lock()
				old.mu.campaign = old.mu.campaign || campaign
				old.mu.Unlock()
				s.sched.enqueue(id)
				return
			}
			old.retire("replaced by the right-hand side of a split")
		}
		nr, err := newReplica(s, id, replicaID)
		if err != nil {
			s.fatal("creating the right-hand replica of a split", id, err)
			return
		}
		nr.mu.campaign = nr.mu.campaign || campaign
		nr.tsCache.SetLowWater(reads)
		s.mu.Lock()
		if _, ok := s.mu.replicas[id]; ok {
			s.mu.Unlock()
			continue // a raft message created one meanwhile: look again
		}
		s.mu.replicas[id] = nr
		s.mu.Unlock()
		s.sched.enqueue(id)
		return
	}
	s.log.Error("ranges: could not install the right-hand side of a split", "range", id)
}

// retire takes a replica object out of service without touching its
// on-disk state (a split installs a new object over an uninitialized one,
// a merge removes the absorbed range's state in its trigger).
func (r *Replica) retire(reason string) {
	r.mu.Lock()
	if r.mu.destroyed {
		r.mu.Unlock()
		return
	}
	r.mu.destroyed = true
	r.mu.Unlock()
	r.store.log.Debug("ranges: retiring replica object", "range", r.rangeID, "reason", reason)
	r.failAllProposals(&kvpb.RangeNotFoundError{RangeId: uint64(r.rangeID), StoreId: uint64(r.store.cfg.StoreID)})
	r.raftMu.Lock()
	for i, in := range r.raftMu.pendingSnaps {
		in.discard()
		in.done <- errSnapshotDeclined
		delete(r.raftMu.pendingSnaps, i)
	}
	r.raftMu.Unlock()
	r.store.removeReplica(r)
}

func statsToProto(ms storage.MVCCStats) *kvpb.MVCCStats {
	return &kvpb.MVCCStats{LiveBytes: ms.LiveBytes, LiveCount: ms.LiveCount, KeyBytes: ms.KeyBytes, KeyCount: ms.KeyCount,
		ValBytes: ms.ValBytes, ValCount: ms.ValCount, IntentBytes: ms.IntentBytes, IntentCount: ms.IntentCount}
}

// StatsFromProto converts wire stats to storage.MVCCStats.
func StatsFromProto(p *kvpb.MVCCStats) storage.MVCCStats {
	return storage.MVCCStats{LiveBytes: p.GetLiveBytes(), LiveCount: p.GetLiveCount(), KeyBytes: p.GetKeyBytes(), KeyCount: p.GetKeyCount(),
		ValBytes: p.GetValBytes(), ValCount: p.GetValCount(), IntentBytes: p.GetIntentBytes(), IntentCount: p.GetIntentCount()}
}

func addStats(dst, d *kvpb.MVCCStats) {
	ms := StatsFromProto(dst)
	ms.Add(StatsFromProto(d))
	proto.Reset(dst)
	proto.Merge(dst, statsToProto(ms))
}

func subStats(dst, d *kvpb.MVCCStats) {
	ms := StatsFromProto(dst)
	ms.Subtract(StatsFromProto(d))
	proto.Reset(dst)
	proto.Merge(dst, statsToProto(ms))
}

func decodeUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// waitUnfrozen returns the descriptor of an initialized replica, waiting
// while the range is frozen by a merge (requests resume on the merged
// range, or fail with RangeNotFoundError once this replica is gone).
func (r *Replica) waitUnfrozen(ctx context.Context) (*kvpb.RangeDescriptor, error) {
	for {
		r.mu.RLock()
		desc, frozen, destroyed, ch := r.mu.desc, r.mu.frozenIndex != 0, r.mu.destroyed, r.mu.stateChanged
		r.mu.RUnlock()
		if desc == nil || destroyed {
			return nil, &kvpb.RangeNotFoundError{RangeId: uint64(r.rangeID), StoreId: uint64(r.store.cfg.StoreID)}
		}
		if !frozen {
			return desc, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, r.unavailable(ctx, "range frozen by a merge")
		case <-r.store.stopper:
			return nil, &kvpb.UnavailableError{RangeId: uint64(r.rangeID), Reason: "store stopped"}
		}
	}
}

// checkAfterLatch re-checks a request against the range once it holds
// its latches: a split or a merge's freeze may have applied meanwhile.
func (r *Replica) checkAfterLatch(ba *kvpb.BatchRequest) error {
	r.mu.RLock()
	desc, frozen, destroyed := r.mu.desc, r.mu.frozenIndex != 0, r.mu.destroyed
	r.mu.RUnlock()
	if destroyed || frozen || desc == nil {
		return &kvpb.RangeNotFoundError{RangeId: uint64(r.rangeID), StoreId: uint64(r.store.cfg.StoreID)}
	}
	for _, req := range ba.GetRequests() {
		key, end := req.RequestSpan()
		if !desc.ContainsSpan(key, end) {
			return r.store.mismatchError(key, end, desc)
		}
	}
	return nil
}
