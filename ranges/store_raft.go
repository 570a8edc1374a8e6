package ranges

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// readyWork is one replica's share of a scheduler cycle.
type readyWork struct {
	r  *Replica
	rd raft.Ready
}

// runScheduler is the store's one Raft goroutine: every cycle it ticks
// (when the ticker fired) or processes the queued replicas, persists all
// their log appends and HardStates in one synced batch, then sends their
// messages grouped per destination node, then applies committed entries.
func (s *Store) runScheduler() {
	defer s.wg.Done()
	ticker := time.NewTicker(s.cfg.TickInterval)
	defer ticker.Stop()
	for {
		tick := false
		select {
		case <-s.stopper:
			return
		case <-ticker.C:
			tick = true
		case <-s.sched.signal:
		}
		s.sched.cycleMu.Lock()
		ok := s.runCycle(tick)
		s.sched.cycleMu.Unlock()
		if !ok {
			return
		}
	}
}

// runCycle processes the queued replicas (every replica on a tick); the
// caller holds cycleMu. It reports false once the store stopped.
func (s *Store) runCycle(tick bool) bool {
	select {
	case <-s.stopper:
		return false
	default:
	}
	ids := s.sched.drain()
	var rs []*Replica
	if tick {
		s.forEachReplica(func(r *Replica) { rs = append(rs, r) })
	} else {
		for _, id := range ids {
			if r, ok := s.GetReplica(id); ok {
				rs = append(rs, r)
			}
		}
	}
	return s.processSafely(rs, tick)
}

// runInline runs one cycle on the calling goroutine for work it queued
// with sched.add, unless a cycle is running (then the scheduler goroutine
// is woken, and runs it after the current one). Work queued by others
// meanwhile is left to the scheduler goroutine: the caller (a proposer)
// does not keep cycling for them. The caller must hold no replica or
// store lock.
func (s *Store) runInline() {
	if !s.sched.cycleMu.TryLock() {
		s.sched.kick()
		return
	}
	s.counters.inlineCycles.Add(1)
	s.runCycle(false)
	more := s.sched.hasQueued()
	s.sched.cycleMu.Unlock()
	if more {
		s.sched.kick()
	}
}

// processSafely runs one cycle; a panic (raft refusing an impossible
// state, e.g. from corrupt input) stops the store's Raft processing with a
// clear log instead of crashing the process.
func (s *Store) processSafely(rs []*Replica, tick bool) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			s.fatal("raft processing panicked", 0, fmt.Errorf("%v\n%s", p, debug.Stack()))
			ok = false
		}
	}()
	s.processReplicas(rs, tick)
	return true
}

func (s *Store) processReplicas(rs []*Replica, tick bool) {
	works := make([]readyWork, 0, len(rs))
	for _, r := range rs {
		if rd, ok := r.stepAndReady(tick); ok {
			works = append(works, readyWork{r: r, rd: rd})
		}
	}
	if len(works) == 0 {
		return
	}
	// A leader's appends and heartbeats go out before its own fsync (Raft
	// thesis §10.2.1): followers persist in parallel, and the leader only
	// counts their acks in a later cycle, after its own batch is durable.
	// Everything else (votes, append responses) waits for durability.
	for i := range works {
		if n := works[i].r.dropCommitOnlyAppends(&works[i].rd); n > 0 {
			s.counters.commitOnlyAppendsDropped.Add(int64(n))
		}
	}
	late := make([][]*raftpb.Message, len(works))
	canEarly := make([]bool, len(works))
	earlyMsgs := map[kvpb.NodeID]*kvpb.RaftMessageBatch{}
	for i := range works {
		var e []*raftpb.Message
		// Only when this Ready changes no term or vote: those must be
		// durable before anything is sent.
		canEarly[i] = works[i].r.hardStateTermVoteUnchanged(works[i].rd.HardState)
		for _, m := range works[i].rd.Messages {
			switch m.GetType() {
			case raftpb.MsgApp, raftpb.MsgHeartbeat, raftpb.MsgTimeoutNow:
				if canEarly[i] {
					e = append(e, m)
					continue
				}
			}
			late[i] = append(late[i], m)
		}
		works[i].r.collectMessages(e, earlyMsgs)
	}
	s.sendBatches(earlyMsgs)
	// Snapshots first: each is applied (synced) on its own, before the
	// entries that follow it.
	for i := range works {
		w := &works[i]
		if w.rd.Snapshot != nil && !raft.IsEmptySnap(w.rd.Snapshot) {
			if err := w.r.applySnapshot(w.rd.Snapshot, w.rd.HardState); err != nil {
				s.fatal("applying snapshot", w.r.rangeID, err)
				return
			}
		}
	}
	// Committed entries already durable here (appended in an earlier
	// cycle) are applied now, before this cycle's fsync: their clients
	// are acknowledged without waiting for the entries proposed since.
	// Only plain writes (applyEarly), and only when this Ready keeps the
	// term and vote and holds no snapshot; the rest applies after the
	// fsync as before. A replica with no proposal of its own in flight
	// (a follower) has nobody to answer: it applies after its fsync and
	// after sending its acks, so that its ack, which the leader waits
	// for, does not wait for the apply.
	early := make([]int, len(works))
	for i := range works {
		w := &works[i]
		if (w.rd.Snapshot != nil && !raft.IsEmptySnap(w.rd.Snapshot)) || !canEarly[i] || !w.r.hasProposals() {
			continue
		}
		ents := w.r.durableCommitted(&w.rd)
		if len(ents) == 0 {
			continue
		}
		n, err := w.r.applyEarly(ents)
		if err != nil {
			s.fatal("applying entries", w.r.rangeID, err)
			return
		}
		early[i] = n
		s.counters.entriesAppliedEarly.Add(int64(n))
	}
	// Group commit of every log append and HardState of the cycle.
	b := s.eng.NewBatch()
	mustSync := false
	for i := range works {
		w := &works[i]
		if err := w.r.stageReady(b, &w.rd); err != nil {
			b.Close()
			s.fatal("staging raft ready", w.r.rangeID, err)
			return
		}
		mustSync = mustSync || w.rd.MustSync
	}
	s.counters.raftCycles.Add(1)
	for i := range works {
		s.counters.entriesAppended.Add(int64(len(works[i].rd.Entries)))
	}
	if !b.Empty() {
		var start time.Time
		if mustSync {
			s.counters.raftSyncs.Add(1)
			start = time.Now()
		}
		if err := b.Commit(mustSync); err != nil {
			b.Close()
			s.fatal("committing raft batch", 0, err)
			return
		}
		if mustSync {
			s.counters.raftSyncNanos.Add(int64(time.Since(start)))
		}
	}
	b.Close()
	// The rest after persistence, coalesced per destination node.
	out := map[kvpb.NodeID]*kvpb.RaftMessageBatch{}
	for i := range works {
		works[i].r.collectMessages(late[i], out)
	}
	s.sendBatches(out)
	for i := range works {
		w := &works[i]
		if len(w.rd.CommittedEntries) > early[i] {
			if err := w.r.applyCommitted(w.rd.CommittedEntries[early[i]:]); err != nil {
				s.fatal("applying entries", w.r.rangeID, err)
				return
			}
		}
		if w.r.advance(w.rd) {
			s.sched.enqueue(w.r.rangeID)
		}
	}
}

func (s *Store) sendBatches(out map[kvpb.NodeID]*kvpb.RaftMessageBatch) {
	if len(out) == 0 {
		return
	}
	now := kvpb.TS(s.cfg.Clock.Now())
	for node, batch := range out {
		for _, b := range splitBatch(batch, maxBatchBytes) {
			b.Now = now
			s.cfg.Transport.Send(node, b)
		}
	}
}

// maxBatchBytes keeps RaftMessageBatches well below gRPC's default 4 MiB
// receive limit (a single larger message still goes alone).
const maxBatchBytes = 2 << 20

func splitBatch(b *kvpb.RaftMessageBatch, limit int) []*kvpb.RaftMessageBatch {
	var out []*kvpb.RaftMessageBatch
	cur := &kvpb.RaftMessageBatch{FromNodeId: b.GetFromNodeId(), ToNodeId: b.GetToNodeId()}
	size := 0
	for _, r := range b.GetRequests() {
		n := len(r.GetMessage()) + 64
		if len(cur.Requests) > 0 && size+n > limit {
			out = append(out, cur)
			cur = &kvpb.RaftMessageBatch{FromNodeId: b.GetFromNodeId(), ToNodeId: b.GetToNodeId()}
			size = 0
		}
		cur.Requests = append(cur.Requests, r)
		size += n
	}
	return append(out, cur)
}

// fatal reports an error that leaves the store unable to continue safely
// (storage failure or corruption): the store stops processing Raft.
func (s *Store) fatal(what string, rangeID kvpb.RangeID, err error) {
	s.log.Error("ranges: fatal store error; stopping raft processing", "what", what, "range", rangeID, "err", err)
	s.stopOnce.Do(func() { close(s.stopper) })
}

// HandleRaftBatch delivers incoming Raft messages to their replicas
// (creating uninitialized replicas for ranges new to this store). It never
// blocks on Raft processing. The responses report messages to replicas
// that were removed.
func (s *Store) HandleRaftBatch(ctx context.Context, b *kvpb.RaftMessageBatch) []*kvpb.RaftMessageResponse {
	_, exit, ok := s.enter(ctx)
	if !ok {
		return nil
	}
	defer exit()
	if now := b.GetNow(); now != nil {
		if err := s.cfg.Clock.Update(now.HLC()); err != nil {
			s.log.Warn("ranges: dropping raft messages from a node whose clock is too far ahead", "from", b.GetFromNodeId(), "err", err)
			return nil
		}
	}
	var resps []*kvpb.RaftMessageResponse
	queued := false
	for _, req := range b.GetRequests() {
		to := req.GetToReplica()
		if to == nil || kvpb.StoreID(to.GetStoreId()) != s.cfg.StoreID || req.GetRangeId() == 0 || to.GetReplicaId() == 0 {
			continue
		}
		msg := &raftpb.Message{}
		if err := proto.Unmarshal(req.GetMessage(), msg); err != nil {
			s.log.Warn("ranges: malformed raft message", "range", req.GetRangeId(), "err", err)
			continue
		}
		if msg.GetType() == raftpb.MsgSnap {
			continue // snapshots only arrive through HandleSnapshot
		}
		r, tooOld, err := s.getOrCreateReplica(kvpb.RangeID(req.GetRangeId()), kvpb.ReplicaID(to.GetReplicaId()))
		if errors.Is(err, errReplicaReplaced) {
			continue
		}
		if err != nil {
			s.log.Warn("ranges: cannot create replica", "range", req.GetRangeId(), "err", err)
			continue
		}
		if tooOld {
			// The message is for a replica of ours that is gone (tombstone
			// or replaced by a newer ID): drop it. The sender is not
			// necessarily stale, so it is not told to collect itself.
			continue
		}
		from := req.GetFromReplica()
		if from == nil || msg.GetFrom() != from.GetReplicaId() || msg.GetTo() != to.GetReplicaId() {
			continue // inconsistent addressing: not from a real peer
		}
		switch r.senderStatus(from) {
		case senderRemoved:
			resps = append(resps, &kvpb.RaftMessageResponse{RangeId: req.GetRangeId(), FromReplica: to, ToReplica: from,
				ReplicaTooOld: true, Generation: r.Desc().GetGeneration()})
			continue
		case senderUnknown:
			continue
		}
		r.enqueueMessage(msg, from)
		queued = true
	}
	if queued {
		// Not run inline here: a handler busy in a cycle's fsync reads no
		// further batch from its stream, so a follower would persist each
		// of the leader's batches in a cycle of its own (measured at 16
		// connections: 4.1 entries per follower fsync instead of 6.2).
		s.sched.kick()
	}
	return resps
}

// handleRaftResponse reacts to a peer's response: a replica of ours that
// the peer knows to be removed is garbage-collected.
func (s *Store) handleRaftResponse(resp *kvpb.RaftMessageResponse) {
	if !resp.GetReplicaTooOld() {
		return
	}
	to := resp.GetToReplica()
	if to == nil || kvpb.StoreID(to.GetStoreId()) != s.cfg.StoreID {
		return
	}
	r, ok := s.GetReplica(kvpb.RangeID(resp.GetRangeId()))
	if !ok || r.ReplicaID() != kvpb.ReplicaID(to.GetReplicaId()) {
		return
	}
	// Believe it only from a descriptor newer than ours (ours contains us,
	// or we would have collected ourselves already).
	if d := r.Desc(); d != nil && resp.GetGeneration() <= d.GetGeneration() {
		return
	}
	r.mu.Lock()
	r.mu.gcRequested = true
	r.mu.Unlock()
	s.sched.enqueue(r.rangeID)
}

// getOrCreateReplica returns the replica of rangeID, creating an
// uninitialized one with replicaID if the store has none. tooOld reports
// that replicaID was removed from this store before (tombstone).
func (s *Store) getOrCreateReplica(rangeID kvpb.RangeID, replicaID kvpb.ReplicaID) (*Replica, bool, error) {
	if r, ok := s.GetReplica(rangeID); ok {
		switch id := r.ReplicaID(); {
		case id > replicaID:
			return nil, true, nil
		case id < replicaID:
			// We were removed and re-added under a new ID without learning
			// of the removal: collect the old replica (on the scheduler);
			// a later message creates the new one.
			r.mu.Lock()
			r.mu.gcRequested = true
			r.mu.Unlock()
			s.sched.enqueue(rangeID)
			return nil, false, errReplicaReplaced
		}
		return r, false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.mu.replicas[rangeID]; ok {
		return r, false, nil
	}
	if s.mu.stopped {
		return nil, false, ErrStoreStopped
	}
	tomb := &rangepb.ReplicaTombstone{}
	if _, err := getProto(s.eng, rangekeys.TombstoneKey(uint64(rangeID)), tomb); err != nil {
		return nil, false, err
	}
	if kvpb.ReplicaID(tomb.GetNextReplicaId()) > replicaID {
		return nil, true, nil
	}
	if err := s.eng.PutRaw(rangekeys.ReplicaIDKey(uint64(rangeID)), encodeUint64(uint64(replicaID))); err != nil {
		return nil, false, err
	}
	r, err := newReplica(s, rangeID, replicaID)
	if err != nil {
		return nil, false, err
	}
	s.mu.replicas[rangeID] = r
	return r, false, nil
}

func (s *Store) removeReplica(r *Replica) {
	s.mu.Lock()
	if s.mu.replicas[r.rangeID] == r {
		delete(s.mu.replicas, r.rangeID)
	}
	s.mu.Unlock()
}
