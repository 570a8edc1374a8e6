package ranges

import (
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// enqueueMessage queues an incoming message for the scheduler without
// waking it: the caller wakes it (sched.kick) once the whole batch is
// queued.
func (r *Replica) enqueueMessage(m *raftpb.Message, from *kvpb.ReplicaDescriptor) {
	r.mu.Lock()
	if r.mu.destroyed {
		r.mu.Unlock()
		return
	}
	if from != nil && from.GetReplicaId() != 0 {
		r.mu.peers[from.ID()] = from
	}
	r.mu.incoming = append(r.mu.incoming, m)
	r.mu.Unlock()
	r.store.sched.add(r.rangeID)
}

type senderState int

const (
	senderMember  senderState = iota // in our descriptor (or we know none yet)
	senderRemoved                    // its ID was handed out and it is gone
	senderUnknown                    // not in our descriptor, ID not yet handed out
)

// senderStatus judges the sender of a message against our descriptor. An
// uninitialized replica accepts anyone (it learns the range from them).
// Messages from unknown senders are dropped: a crafted message from a
// non-member could otherwise drive raft into an impossible state.
func (r *Replica) senderStatus(from *kvpb.ReplicaDescriptor) senderState {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d := r.mu.desc
	if d == nil {
		return senderMember
	}
	if m, ok := d.ReplicaByID(from.ID()); ok {
		if m.GetStoreId() != from.GetStoreId() || m.GetNodeId() != from.GetNodeId() {
			return senderUnknown
		}
		return senderMember
	}
	if from.GetReplicaId() < d.GetNextReplicaId() {
		return senderRemoved
	}
	return senderUnknown
}

// stepAndReady runs the replica's share of a cycle under raftMu: tick,
// step queued messages, hand queued proposals to raft, and take a Ready.
func (r *Replica) stepAndReady(tick bool) (raft.Ready, bool) {
	r.raftMu.Lock()
	defer r.raftMu.Unlock()
	rn := r.raftMu.rn

	r.mu.Lock()
	if r.mu.destroyed {
		r.mu.Unlock()
		return raft.Ready{}, false
	}
	msgs := r.mu.incoming
	r.mu.incoming = nil
	props := r.mu.toPropose
	r.mu.toPropose = nil
	confs := r.mu.confQueue
	r.mu.confQueue = nil
	if n := len(confs); n > 0 && !confs[n-1].abandoned {
		// Proposed below, before onTickLocked looks at it.
		r.mu.pendingConf = confs[n-1]
	}
	reports := r.mu.snapDone
	r.mu.snapDone = nil
	campaign := r.mu.campaign
	r.mu.campaign = false
	gc := r.mu.gcRequested
	r.mu.gcRequested = false
	transferTo := r.mu.transferLeader
	r.mu.transferLeader = 0
	r.mu.Unlock()

	if gc {
		r.raftMu.Unlock()
		r.destroy("a peer reported this replica removed")
		r.raftMu.Lock()
		return raft.Ready{}, false
	}
	if tick {
		rn.Tick()
		r.raftMu.ticks++
	}
	for _, m := range msgs {
		if err := rn.Step(m); err != nil {
			r.store.log.Debug("ranges: step", "range", r.rangeID, "type", m.GetType(), "err", err)
		}
	}
	for _, rep := range reports {
		status := raft.SnapshotFinish
		if rep.failed {
			status = raft.SnapshotFailure
		}
		rn.ReportSnapshot(rep.to, status)
		delete(r.raftMu.sendingSnap, rep.to)
	}
	if campaign {
		_ = rn.Campaign()
	}
	if transferTo != 0 {
		rn.TransferLeader(transferTo)
	}
	for _, p := range props {
		r.proposeLocked(p)
	}
	for _, c := range confs {
		r.proposeConfLocked(c)
	}
	if tick {
		r.onTickLocked()
	}
	r.updateLeaderLocked()
	r.checkSteppedSnapshotsLocked()
	if !rn.HasReady() {
		// Raft accepts a MsgSnap with a Ready holding it: one stepped
		// without a Ready was dropped (stale term, already applied), so
		// decline it now rather than leave its sender waiting for a
		// later Ready (up to its stream's timeout on a quiet range).
		r.checkSnapshotConsumedLocked(nil)
		return raft.Ready{}, false
	}
	rd := rn.Ready()
	r.checkSnapshotConsumedLocked(rd.Snapshot)
	return rd, true
}

// proposeLocked hands a proposal to raft (raftMu held). A dropped proposal
// (no leader yet) stays registered and is reproposed on a later tick.
func (r *Replica) proposeLocked(p *proposal) {
	p.proposedAtTick = r.raftMu.ticks
	err := r.raftMu.rn.Propose(p.data)
	p.dropped = err != nil
	if err != nil {
		r.store.log.Debug("ranges: proposal dropped; will repropose", "range", r.rangeID, "err", err)
	}
}

// updateLeaderLocked mirrors raft's leader and term into mu.
func (r *Replica) updateLeaderLocked() {
	st := r.raftMu.rn.BasicStatus()
	r.mu.Lock()
	if kvpb.ReplicaID(st.Lead) != r.mu.leaderID || st.GetTerm() != r.mu.term {
		r.mu.leaderID = kvpb.ReplicaID(st.Lead)
		r.mu.term = st.GetTerm()
		r.notifyStateChangedLocked()
	}
	r.mu.Unlock()
}

// hardStateTermVoteUnchanged reports whether hs (a Ready's HardState)
// keeps the persisted term and vote.
func (r *Replica) hardStateTermVoteUnchanged(hs *raftpb.HardState) bool {
	if hs == nil || raft.IsEmptyHardState(hs) {
		return true
	}
	r.raftMu.Lock()
	defer r.raftMu.Unlock()
	cur := r.raftMu.rs.HardState()
	return cur.GetTerm() == hs.GetTerm() && cur.GetVote() == hs.GetVote()
}

// dropCommitOnlyAppends removes from a leader's Ready the empty MsgApps
// that only tell an up-to-date follower (replicating, nothing in flight)
// the new commit index, when every entry they announce is a plain write
// command. etcd raft sends one to every follower after each commit; the
// follower learns the index anyway from the next append or heartbeat
// (every HeartbeatTicks), and nothing waits for a follower to apply plain
// writes (it serves no reads; a new leader applies before it serves).
// Commits of anything else (leases, splits, merges, conf changes, a new
// leader's empty entry) are still announced at once. Raft tolerates lost
// messages, so dropping one never affects safety. It returns the number
// dropped.
func (r *Replica) dropCommitOnlyAppends(rd *raft.Ready) int {
	if len(rd.CommittedEntries) == 0 {
		return 0
	}
	any := false
	for _, m := range rd.Messages {
		if m.GetType() == raftpb.MsgApp && len(m.GetEntries()) == 0 {
			any = true
			break
		}
	}
	if !any {
		return 0
	}
	for _, e := range rd.CommittedEntries {
		if e.GetType() != raftpb.EntryNormal || len(e.GetData()) == 0 {
			return 0
		}
		cmd := &rangepb.RaftCommand{}
		if err := proto.Unmarshal(e.GetData(), cmd); err != nil || !plainCommand(cmd) {
			return 0
		}
	}
	r.raftMu.Lock()
	idle := map[uint64]uint64{} // up-to-date replicating followers → match
	r.raftMu.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) {
		if pr.State == tracker.StateReplicate && pr.Match+1 == pr.Next {
			idle[id] = pr.Match
		}
	})
	r.raftMu.Unlock()
	out := rd.Messages[:0]
	n := 0
	for _, m := range rd.Messages {
		if match, ok := idle[m.GetTo()]; ok && m.GetType() == raftpb.MsgApp && len(m.GetEntries()) == 0 && m.GetIndex() == match {
			n++
			continue
		}
		out = append(out, m)
	}
	rd.Messages = out
	return n
}

// stageReady stages the Ready's entries and HardState into the cycle's
// batch. A HardState equal to the one already written is not written
// again: after an early apply (applyEarly raised the persisted commit
// index to exactly the new commit) a leader's Ready that only moves the
// commit index would otherwise cost a Pebble write of its own. The
// earlier copy is in the same WAL, ahead of anything this cycle syncs.
func (r *Replica) stageReady(b storage.Batch, rd *raft.Ready) error {
	r.raftMu.Lock()
	defer r.raftMu.Unlock()
	if err := r.raftMu.rs.Append(b, rd.Entries); err != nil {
		return err
	}
	if hs := rd.HardState; hs != nil && !raft.IsEmptyHardState(hs) && !sameHardState(hs, r.raftMu.rs.HardState()) {
		return r.raftMu.rs.SetHardState(b, hs)
	}
	return nil
}

func sameHardState(a, b *raftpb.HardState) bool {
	return b != nil && a.GetTerm() == b.GetTerm() && a.GetVote() == b.GetVote() && a.GetCommit() == b.GetCommit()
}

// collectMessages adds the Ready's messages to the per-node batches and
// starts snapshot streams for MsgSnap.
func (r *Replica) collectMessages(msgs []*raftpb.Message, out map[kvpb.NodeID]*kvpb.RaftMessageBatch) {
	if len(msgs) == 0 {
		return
	}
	r.mu.RLock()
	from := r.replicaDescLocked()
	gen := r.mu.desc.GetGeneration()
	targets := make([]*kvpb.ReplicaDescriptor, len(msgs))
	for i, m := range msgs {
		if r.mu.desc != nil {
			if d, ok := r.mu.desc.ReplicaByID(kvpb.ReplicaID(m.GetTo())); ok {
				targets[i] = d
				continue
			}
		}
		targets[i] = r.mu.peers[kvpb.ReplicaID(m.GetTo())]
	}
	r.mu.RUnlock()
	for i, m := range msgs {
		to := targets[i]
		if to == nil {
			continue
		}
		if m.GetType() == raftpb.MsgSnap {
			r.sendSnapshotAsync(m, from, to)
			continue
		}
		data, err := proto.Marshal(m)
		if err != nil {
			continue
		}
		node := to.NodeID()
		b, ok := out[node]
		if !ok {
			b = &kvpb.RaftMessageBatch{FromNodeId: uint64(r.store.cfg.NodeID), ToNodeId: uint64(node)}
			out[node] = b
		}
		b.Requests = append(b.Requests, &kvpb.RaftMessageRequest{
			RangeId: uint64(r.rangeID), FromReplica: from, ToReplica: to, Message: data, Generation: gen,
		})
	}
}

// advance hands the Ready back to raft; it reports whether more work is
// ready.
func (r *Replica) advance(rd raft.Ready) bool {
	r.raftMu.Lock()
	defer r.raftMu.Unlock()
	r.mu.RLock()
	destroyed := r.mu.destroyed
	r.mu.RUnlock()
	if destroyed {
		return false
	}
	r.raftMu.rn.Advance(rd)
	return r.raftMu.rn.HasReady()
}
