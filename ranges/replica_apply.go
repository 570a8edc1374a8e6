package ranges

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/quorum"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// applyState is the replicated state as application advances through a
// group of committed entries; it is installed in mu once the batch that
// holds it is committed.
type applyState struct {
	desc    *kvpb.RangeDescriptor
	lease   *kvpb.Lease
	applied *rangepb.AppliedState
	stats   *kvpb.MVCCStats
	// frozenIndex: see Replica.mu.frozenIndex.
	frozenIndex  uint64
	gcThreshold  hlc.Timestamp
	statsChanged bool
	descChanged  bool
	// post runs once the batch is committed and mu installed (split and
	// merge triggers create and remove replicas there).
	post []func()
}

type applyOutcome struct {
	p   *proposal
	err error
}

// applyCommitted applies committed entries, all in one batch with the
// applied state (not synced: the log is durable, and application is
// idempotent against the applied index). Runs on the scheduler goroutine.
func (r *Replica) applyCommitted(ents []*raftpb.Entry) error {
	_, err := r.applyEntries(ents, false)
	return err
}

// applyEarly applies the longest prefix of ents (committed entries that
// are already durable in this replica's log) made of plain commands only:
// no lease, truncation, split, merge, subsume, GC or configuration change,
// so that applying it cannot remove or create replicas or change the log
// the cycle is about to append to. It returns how many entries it
// consumed. The same batch raises the persisted HardState's commit index
// to the last applied entry, so that the applied state never survives a
// crash ahead of the commit index (raft refuses to start with applied >
// committed).
func (r *Replica) applyEarly(ents []*raftpb.Entry) (int, error) {
	return r.applyEntries(ents, true)
}

// plainCommand reports whether cmd only writes keys (see applyEarly).
func plainCommand(cmd *rangepb.RaftCommand) bool {
	return cmd.GetNewLease() == nil && cmd.GetTruncate() == nil && cmd.GetSplit() == nil &&
		cmd.GetMerge() == nil && cmd.GetSubsume() == nil && cmd.GetGcThreshold() == nil
}

func (r *Replica) applyEntries(ents []*raftpb.Entry, early bool) (int, error) {
	r.mu.RLock()
	if r.mu.destroyed {
		// Removed earlier in this cycle (merged away, replaced by a split
		// trigger): its state is gone and must not be written again.
		r.mu.RUnlock()
		return len(ents), nil
	}
	start := time.Now()
	st := applyState{desc: r.mu.desc, lease: r.mu.lease, applied: proto.Clone(r.mu.applied).(*rangepb.AppliedState),
		stats: proto.Clone(r.mu.stats).(*kvpb.MVCCStats), frozenIndex: r.mu.frozenIndex,
		gcThreshold: r.mu.gcThreshold}
	replicaID := r.mu.replicaID
	r.mu.RUnlock()

	b := r.store.eng.NewBatch()
	defer b.Close()
	var outcomes []applyOutcome
	type reproposal struct{ id, mai uint64 }
	var reproposals []reproposal
	descChanged, leaseChanged, newHolder := false, false, false
	var priorReads hlc.Timestamp       // reads a transfer says the previous holder served
	var carried []concurrency.HeldLock // unreplicated locks a transfer to us carries
	wasHolder := kvpb.ReplicaID(st.lease.GetReplica().GetReplicaId()) == replicaID
	n := 0
loop:
	for _, e := range ents {
		if e.GetIndex() <= st.applied.GetRaftAppliedIndex() {
			n++
			continue
		}
		switch e.GetType() {
		case raftpb.EntryNormal:
			if len(e.GetData()) == 0 {
				break
			}
			cmd := &rangepb.RaftCommand{}
			if err := proto.Unmarshal(e.GetData(), cmd); err != nil {
				return n, fmt.Errorf("ranges: r%d entry %d: undecodable command: %w", r.rangeID, e.GetIndex(), err)
			}
			if early && !plainCommand(cmd) {
				break loop
			}
			prevSeq := st.lease.GetSequence()
			err := r.applyCommand(b, &st, cmd, e.GetIndex())
			switch {
			case err == errIllegalLeaseIndex:
				reproposals = append(reproposals, reproposal{cmd.GetId(), cmd.GetMaxLeaseIndex()})
			case cmd.GetNewLease() != nil && err == nil:
				leaseChanged = true
				if kvpb.ReplicaID(st.lease.GetReplica().GetReplicaId()) == replicaID && st.lease.GetSequence() != prevSeq {
					newHolder = true
					priorReads = priorReads.Forward(cmd.GetPriorReadMax().HLC())
					if cmd.GetTransfer() {
						carried = carried[:0]
						for _, l := range cmd.GetUnreplicatedLocks() {
							carried = append(carried, concurrency.HeldLock{Key: l.GetKey(), Txn: l.GetTxn(), Shared: l.GetShared()})
						}
					}
				}
				outcomes = append(outcomes, applyOutcome{p: &proposal{id: cmd.GetId()}, err: nil})
			default:
				outcomes = append(outcomes, applyOutcome{p: &proposal{id: cmd.GetId()}, err: err})
			}
		case raftpb.EntryConfChangeV2, raftpb.EntryConfChange:
			if early {
				break loop
			}
			id, err := r.applyConfChange(b, &st, e)
			switch {
			case err == errConfChangeRejected:
			case err != nil:
				return n, err
			default:
				descChanged = true
			}
			if id != 0 {
				outcomes = append(outcomes, applyOutcome{p: &proposal{id: id}})
			}
		}
		st.applied.RaftAppliedIndex, st.applied.RaftAppliedTerm = e.GetIndex(), e.GetTerm()
		n++
	}
	if early && len(outcomes) == 0 && len(reproposals) == 0 && st.applied.GetRaftAppliedIndex() == r.appliedIndex() {
		return n, nil // nothing (new) applied: no batch
	}
	if err := putProto(b, rangekeys.AppliedStateKey(uint64(r.rangeID)), st.applied); err != nil {
		return n, err
	}
	if st.statsChanged {
		if err := putProto(b, rangekeys.StatsKey(uint64(r.rangeID)), st.stats); err != nil {
			return n, err
		}
	}
	if early {
		if err := r.raiseCommit(b, st.applied.GetRaftAppliedIndex()); err != nil {
			return n, err
		}
	}
	descChanged = descChanged || st.descChanged
	if err := b.Commit(false); err != nil {
		return n, err
	}
	r.store.counters.applyBatches.Add(1)
	r.store.counters.applyNanos.Add(int64(time.Since(start)))

	holder := kvpb.ReplicaID(st.lease.GetReplica().GetReplicaId()) == replicaID
	if leaseChanged && wasHolder && !holder {
		// The lease moved away: the new holder's table is authoritative
		// (a transfer carried our unreplicated locks there); our waiters
		// wake and are redirected.
		r.conc.Locks().Clear()
	}
	if newHolder && len(carried) > 0 {
		// Before the lease is visible to requests (r.mu.lease below).
		r.conc.Locks().Install(carried)
	}
	removed := false
	r.mu.Lock()
	r.mu.desc, r.mu.lease, r.mu.applied = st.desc, st.lease, st.applied
	r.mu.stats, r.mu.frozenIndex = st.stats, st.frozenIndex
	r.mu.gcThreshold = st.gcThreshold
	if newHolder {
		// A new leaseholder: no write may land below a read the previous
		// holder served. Those are below our lease start, or, for a
		// transfer, below the high-water it carried (reads above the old
		// holder's clock).
		r.tsCache.SetLowWater(st.lease.GetStart().HLC().Forward(priorReads))
	}
	for _, o := range outcomes {
		p, ok := r.mu.proposals[o.p.id]
		if !ok {
			continue
		}
		r.finishLocked(p, o.err)
	}
	for _, rp := range reproposals {
		p, ok := r.mu.proposals[rp.id]
		if !ok || p.cmd.GetMaxLeaseIndex() != rp.mai {
			// An older copy (the current one carries a newer max lease
			// index and may still apply): nothing to do.
			continue
		}
		if p.cmd.GetProposerLeaseSequence() != r.mu.lease.GetSequence() {
			r.finishLocked(p, r.notLeaseholderErrLocked())
			continue
		}
		r.assignMAILocked(p)
		if err := p.encode(); err != nil {
			r.finishLocked(p, err)
			continue
		}
		r.mu.toPropose = append(r.mu.toPropose, p)
	}
	if descChanged || leaseChanged {
		r.notifyStateChangedLocked()
	}
	if descChanged && st.desc != nil {
		if _, ok := st.desc.ReplicaByID(replicaID); !ok {
			removed = true
		}
	}
	r.mu.Unlock()
	for _, f := range st.post {
		f()
	}
	if len(reproposals) > 0 {
		r.store.sched.enqueue(r.rangeID)
	}
	if removed {
		r.destroy("removed from the range")
	}
	return n, nil
}

func (r *Replica) appliedIndex() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.applied.GetRaftAppliedIndex()
}

// raiseCommit stages the persisted HardState with its commit index raised
// to index (term and vote unchanged), if it is lower.
func (r *Replica) raiseCommit(b storage.Batch, index uint64) error {
	r.raftMu.Lock()
	defer r.raftMu.Unlock()
	cur := r.raftMu.rs.HardState()
	if cur.GetCommit() >= index {
		return nil
	}
	hs := proto.Clone(cur).(*raftpb.HardState)
	hs.Commit = proto.Uint64(index)
	return r.raftMu.rs.SetHardState(b, hs)
}

// durableCommitted returns the prefix of rd's committed entries that are
// already durable in this replica's log: at or below the last index
// persisted by earlier cycles and below the first entry rd appends (which
// may replace a conflicting suffix).
func (r *Replica) durableCommitted(rd *raft.Ready) []*raftpb.Entry {
	r.raftMu.Lock()
	last, _ := r.raftMu.rs.LastIndex()
	r.raftMu.Unlock()
	if len(rd.Entries) > 0 && rd.Entries[0].GetIndex() <= last {
		last = rd.Entries[0].GetIndex() - 1
	}
	ents := rd.CommittedEntries
	i := 0
	for i < len(ents) && ents[i].GetIndex() <= last {
		i++
	}
	return ents[:i]
}

// applyCommand applies one normal command into b (or rejects it,
// deterministically on every replica).
func (r *Replica) applyCommand(b storage.Batch, st *applyState, cmd *rangepb.RaftCommand, index uint64) error {
	if t := cmd.GetTruncate(); t != nil {
		r.raftMu.Lock()
		defer r.raftMu.Unlock()
		if cur, _ := r.raftMu.rs.TruncatedState(); t.GetIndex() > cur && t.GetIndex() < index {
			return r.raftMu.rs.Truncate(b, t.GetIndex(), t.GetTerm())
		}
		return nil
	}
	if nl := cmd.GetNewLease(); nl != nil {
		cur := st.lease
		if cmd.GetPrevLeaseSequence() != cur.GetSequence() {
			return errLeaseRejected
		}
		sameHolder := cur.GetReplica().GetReplicaId() == nl.GetReplica().GetReplicaId() &&
			cur.GetReplica().GetStoreId() == nl.GetReplica().GetStoreId()
		if sameHolder && nl.GetSequence() == cur.GetSequence() && nl.GetExpiration().HLC().Less(cur.GetExpiration().HLC()) {
			return errLeaseRejected // an extension never shortens a lease (a stale copy)
		}
		transfer := cmd.GetTransfer() && cmd.GetProposerReplicaId() == cur.GetReplica().GetReplicaId()
		if cur.GetReplica() != nil && !sameHolder && !transfer && nl.GetStart().HLC().Less(cur.GetExpiration().HLC()) {
			return errLeaseRejected
		}
		if _, ok := st.desc.ReplicaByID(kvpb.ReplicaID(nl.GetReplica().GetReplicaId())); !ok {
			return errLeaseRejected
		}
		if err := putProto(b, rangekeys.LeaseKey(uint64(r.rangeID)), nl); err != nil {
			return err
		}
		st.lease = nl
		return nil
	}
	if cmd.GetProposerLeaseSequence() != st.lease.GetSequence() {
		return &kvpb.NotLeaseholderError{RangeId: uint64(r.rangeID), Leaseholder: st.lease.GetReplica(), Lease: st.lease}
	}
	if cmd.GetMaxLeaseIndex() <= st.applied.GetLeaseAppliedIndex() {
		return errIllegalLeaseIndex
	}
	st.applied.LeaseAppliedIndex = cmd.GetMaxLeaseIndex()
	if sc := cmd.GetSubsume(); sc != nil {
		return r.applySubsume(b, st, sc, index)
	}
	if st.frozenIndex != 0 {
		// Subsumed by a merge: nothing else applies (every replica rejects
		// the same commands). The proposer retries elsewhere.
		return &kvpb.RangeNotFoundError{RangeId: uint64(r.rangeID), StoreId: uint64(r.store.cfg.StoreID)}
	}
	if wb := cmd.GetWriteBatch(); len(wb) > 0 {
		if err := b.ApplyBatchRepr(wb); err != nil {
			// Deterministic: every replica rejects the same bytes.
			r.store.log.Error("ranges: rejecting command with invalid write batch", "range", r.rangeID, "index", index, "err", err)
			return fmt.Errorf("ranges: invalid write batch: %w", err)
		}
	}
	if d := cmd.GetStatsDelta(); d != nil {
		addStats(st.stats, d)
		st.statsChanged = true
	}
	if th := cmd.GetGcThreshold().HLC(); st.gcThreshold.Less(th) {
		st.gcThreshold = th
		if err := putProto(b, rangekeys.GCThresholdKey(uint64(r.rangeID)), kvpb.TS(th)); err != nil {
			return err
		}
	}
	if sp := cmd.GetSplit(); sp != nil {
		return r.applySplit(b, st, sp)
	}
	if m := cmd.GetMerge(); m != nil {
		return r.applyMerge(b, st, m)
	}
	return nil
}

// applyConfChange applies a ConfChangeV2 entry: raft's configuration, and
// the descriptor it carries (or, for raft's automatic leave-joint entry,
// the descriptor with its joint states resolved). Returns the proposal ID.
//
// A conf change applies only if it was built from the current descriptor
// (it carries the generation after it, and every descriptor change raises
// the generation) and raft's configuration admits it (entering or
// changing a configuration only outside a joint one, leaving only inside
// one). Anything else, a reproposed copy after another copy or another
// change applied, is rejected on every replica alike: neither the
// descriptor nor raft's configuration changes (ApplyConfChange is not
// called), so the two stay in agreement.
func (r *Replica) applyConfChange(b storage.Batch, st *applyState, e *raftpb.Entry) (uint64, error) {
	var cc raftpb.ConfChangeI
	if e.GetType() == raftpb.EntryConfChange {
		v1 := &raftpb.ConfChange{}
		if err := proto.Unmarshal(e.GetData(), v1); err != nil {
			return 0, err
		}
		cc = v1
	} else {
		v2 := &raftpb.ConfChangeV2{}
		if err := proto.Unmarshal(e.GetData(), v2); err != nil {
			return 0, err
		}
		cc = v2
	}
	v2 := cc.AsV2()
	var newDesc *kvpb.RangeDescriptor
	var id uint64
	if len(v2.GetContext()) > 0 {
		ctx := &rangepb.ConfChangeContext{}
		if err := proto.Unmarshal(v2.GetContext(), ctx); err != nil {
			return 0, err
		}
		newDesc, id = ctx.GetDesc(), ctx.GetId()
	} else if st.desc != nil {
		newDesc = leaveJointDesc(st.desc)
	}
	r.raftMu.Lock()
	defer r.raftMu.Unlock()
	if reason := confChangeRejection(st.desc, newDesc, v2, r.raftMu.rn.Status().Config.Voters[1]); reason != "" {
		r.store.counters.confChangesRejected.Add(1)
		r.store.log.Info("ranges: conf change rejected", "range", r.rangeID, "index", e.GetIndex(), "reason", reason)
		return id, errConfChangeRejected
	}
	cs := r.raftMu.rn.ApplyConfChange(cc)
	csb, err := proto.Marshal(cs)
	if err != nil {
		return 0, err
	}
	st.applied.ConfState = csb
	if newDesc != nil {
		if err := putProto(b, rangekeys.DescriptorKey(uint64(r.rangeID)), newDesc); err != nil {
			return 0, err
		}
		st.desc = newDesc
	}
	return id, nil
}

// errConfChangeRejected: applyConfChange rejected a conf change (see there).
var errConfChangeRejected = errors.New("ranges: conf change rejected: not built from the current descriptor")

// confChangeRejection says why a committed conf change must not apply
// ("" if it applies): cur is the current descriptor (nil before the
// replica knows one), next the one the change produces, outgoing raft's
// outgoing voters (non-empty: a joint configuration). It depends only on
// replicated state, so every replica decides alike.
func confChangeRejection(cur, next *kvpb.RangeDescriptor, cc *raftpb.ConfChangeV2, outgoing quorum.MajorityConfig) string {
	joint, leave := len(outgoing) > 0, cc.LeaveJoint()
	switch {
	case joint && !leave:
		return "a configuration change inside a joint configuration"
	case !joint && leave:
		return "leaving a joint configuration outside one"
	case cur != nil && next != nil && next.GetGeneration() != cur.GetGeneration()+1:
		return fmt.Sprintf("built from generation %d, the descriptor is at %d", next.GetGeneration()-1, cur.GetGeneration())
	}
	return ""
}

// leaveJointDesc resolves joint states: incoming voters become voters,
// outgoing ones leave, demoting ones become learners.
func leaveJointDesc(d *kvpb.RangeDescriptor) *kvpb.RangeDescriptor {
	nd := cloneDesc(d)
	nd.Replicas = nil
	changed := false
	for _, rep := range d.GetReplicas() {
		rep = proto.Clone(rep).(*kvpb.ReplicaDescriptor)
		switch rep.GetType() {
		case kvpb.ReplicaType_VOTER_INCOMING:
			rep.Type, changed = kvpb.ReplicaType_VOTER, true
		case kvpb.ReplicaType_VOTER_OUTGOING:
			changed = true
			continue
		case kvpb.ReplicaType_VOTER_DEMOTING:
			rep.Type, changed = kvpb.ReplicaType_LEARNER, true
		}
		nd.Replicas = append(nd.Replicas, rep)
	}
	if changed {
		nd.Generation++
	}
	return nd
}

// destroy removes a replica that is no longer part of its range: its
// state and data go, a tombstone stays so stale messages cannot recreate
// it.
func (r *Replica) destroy(reason string) {
	r.mu.Lock()
	if r.mu.destroyed {
		r.mu.Unlock()
		return
	}
	r.mu.destroyed = true
	desc := r.mu.desc
	next := uint64(r.mu.replicaID) + 1
	if desc != nil && desc.GetNextReplicaId() > next {
		next = desc.GetNextReplicaId()
	}
	r.mu.Unlock()
	r.store.log.Info("ranges: removing replica", "range", r.rangeID, "reason", reason)
	// Proposed writes may still have applied elsewhere: ambiguous.
	r.failAllProposals(&kvpb.AmbiguousResultError{RangeId: uint64(r.rangeID), Reason: "replica removed with the write in flight"})
	r.raftMu.Lock()
	for i, in := range r.raftMu.pendingSnaps {
		in.discard()
		in.done <- errSnapshotDeclined
		delete(r.raftMu.pendingSnaps, i)
	}
	r.raftMu.Unlock()
	// Clear and tombstone BEFORE unmapping: until then the destroyed
	// replica stays in the map, so no new replica is created over state
	// that is about to be wiped.
	if err := clearReplicaState(r.store.eng, &r.store.exciseMu, r.rangeID, desc, next); err != nil {
		r.store.log.Error("ranges: clearing removed replica", "range", r.rangeID, "err", err)
	}
	r.store.removeReplica(r)
}

// clearReplicaState removes a replica's state and data (desc may be nil
// for an uninitialized replica) and leaves a tombstone, in one durable
// ingestion: a small table clears the range-local spans (ClearRange) and
// holds the tombstone, and the user data span is excised (its tables
// become virtual ones without it, instead of being rewritten by a
// compaction under a ClearRange). exciseMu is the store's (see
// Store.exciseMu).
func clearReplicaState(eng storage.Engine, exciseMu *sync.RWMutex, rangeID kvpb.RangeID, desc *kvpb.RangeDescriptor, nextReplicaID uint64) error {
	id := uint64(rangeID)
	spans := [][2][]byte{
		{rangekeys.ReplicatedPrefix(id), rangekeys.ReplicatedEnd(id)},
		{rangekeys.UnreplicatedPrefix(id), rangekeys.UnreplicatedEnd(id)},
	}
	var start, end []byte
	if desc != nil {
		start, end = rangekeys.UserSpan(desc.GetStartKey(), desc.GetEndKey())
		spans = append(spans, [2][]byte{storage.LockTableKey(start), storage.LockTableKey(end)})
	}
	w, err := eng.NewSSTWriter(fmt.Sprintf("gc-r%d", id))
	if err != nil {
		return err
	}
	for _, sp := range mergeSpans(spans) {
		if err == nil {
			err = w.ClearRange(sp[0], sp[1])
		}
	}
	if err == nil {
		err = putProto(w, rangekeys.TombstoneKey(id), &rangepb.ReplicaTombstone{NextReplicaId: nextReplicaID})
	}
	if err == nil {
		err = w.Finish()
	}
	if err != nil {
		w.Abort()
		return err
	}
	exciseMu.Lock()
	if desc != nil {
		err = eng.IngestSSTsExcising([]string{w.Path()}, start, end)
	} else {
		err = eng.IngestSSTs([]string{w.Path()})
	}
	exciseMu.Unlock()
	if err != nil {
		w.Abort()
	}
	return err
}
