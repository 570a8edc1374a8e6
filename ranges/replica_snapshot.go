package ranges

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/raftstorage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
)

// A snapshot carries a range's replicated state: its replicated
// range-local keys (descriptor, lease, applied state), its user data and
// the lock table of that data, read from one engine snapshot. The raft
// metadata (index, term, conf state) is taken from the applied state in
// that same engine snapshot, so data and metadata always agree.

// incomingSnapshot is a received snapshot waiting for raft to accept its
// MsgSnap.
type incomingSnapshot struct {
	index   uint64
	batch   storage.Batch
	desc    *kvpb.RangeDescriptor
	done    chan error
	stepped bool
}

var errSnapshotDeclined = errors.New("ranges: snapshot declined by raft (stale)")

// sendSnapshotAsync streams a snapshot to a peer for a MsgSnap raft asked
// us to send; at most one per peer at a time.
func (r *Replica) sendSnapshotAsync(m *raftpb.Message, from, to *kvpb.ReplicaDescriptor) {
	// Called from the scheduler without raftMu; sendingSnap is guarded by
	// raftMu.
	r.raftMu.Lock()
	if r.raftMu.sendingSnap[m.GetTo()] {
		r.raftMu.Unlock()
		return
	}
	r.raftMu.sendingSnap[m.GetTo()] = true
	r.raftMu.Unlock()
	s := r.store
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		go func() {
			select {
			case <-s.stopper:
				cancel()
			case <-ctx.Done():
			}
		}()
		err := r.sendSnapshot(ctx, m, from, to)
		if err != nil {
			s.log.Info("ranges: snapshot failed", "range", r.rangeID, "to", to.GetReplicaId(), "err", err)
		}
		r.mu.Lock()
		r.mu.snapDone = append(r.mu.snapDone, snapshotReport{to: m.GetTo(), failed: err != nil})
		r.mu.Unlock()
		s.sched.enqueue(r.rangeID)
	}()
}

func (r *Replica) sendSnapshot(ctx context.Context, m *raftpb.Message, from, to *kvpb.ReplicaDescriptor) error {
	s := r.store
	snap := s.eng.NewSnapshot()
	defer snap.Close()
	id := uint64(r.rangeID)
	desc := &kvpb.RangeDescriptor{}
	if ok, err := getProto(snap, rangekeys.DescriptorKey(id), desc); err != nil || !ok {
		return fmt.Errorf("ranges: snapshot without descriptor: %v", err)
	}
	as, err := raftstorage.ReadAppliedState(snap, id)
	if err != nil {
		return err
	}
	cs, err := raftstorage.ConfStateOf(as)
	if err != nil {
		return err
	}
	msg := proto.Clone(m).(*raftpb.Message)
	msg.Snapshot = &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{
		Index: proto.Uint64(as.GetRaftAppliedIndex()), Term: proto.Uint64(as.GetRaftAppliedTerm()), ConfState: cs}}
	msgBytes, err := proto.Marshal(msg)
	if err != nil {
		return err
	}
	stream, err := s.cfg.Transport.OpenSnapshot(ctx, to.NodeID())
	if err != nil {
		return err
	}
	header := &kvpb.SnapshotHeader{RangeId: id, FromReplica: from, ToReplica: to, Desc: desc,
		RaftMessage: msgBytes, FromNodeId: uint64(s.cfg.NodeID)}
	sendErr := func() error {
		if err := stream.Send(&kvpb.SnapshotChunk{Header: header}); err != nil {
			return err
		}
		chunk := &kvpb.SnapshotChunk{}
		size := 0
		for _, sp := range snapshotSpans(desc) {
			it, err := storage.NewEngineIterator(snap, sp[0], sp[1])
			if err != nil {
				return err
			}
			for ok := it.First(); ok; ok = it.Next() {
				v, err := it.Value()
				if err != nil {
					it.Close()
					return err
				}
				kv := &kvpb.SnapshotKV{Key: bytes.Clone(it.EngineKey()), Value: bytes.Clone(v)}
				chunk.Kvs = append(chunk.Kvs, kv)
				size += len(kv.Key) + len(kv.Value)
				if size >= s.cfg.SnapshotChunkBytes {
					if err := stream.Send(chunk); err != nil {
						it.Close()
						return err
					}
					chunk, size = &kvpb.SnapshotChunk{}, 0
				}
			}
			if err := it.Close(); err != nil {
				return err
			}
		}
		chunk.Final = true
		return stream.Send(chunk)
	}()
	resp, err := stream.CloseAndRecv()
	if sendErr != nil {
		return sendErr
	}
	if err != nil {
		return err
	}
	if resp.GetStatus() != kvpb.SnapshotResponse_APPLIED {
		return fmt.Errorf("ranges: snapshot %s: %s", resp.GetStatus(), resp.GetMessage())
	}
	s.counters.snapshotsSent.Add(1)
	return nil
}

// snapshotSpans are the user-key spans whose engine keys form a snapshot:
// replicated range-local state, the lock table of the data, the data.
func snapshotSpans(d *kvpb.RangeDescriptor) [][2][]byte {
	id := d.GetRangeId()
	start, end := rangekeys.UserSpan(d.GetStartKey(), d.GetEndKey())
	return [][2][]byte{
		{rangekeys.ReplicatedPrefix(id), rangekeys.ReplicatedEnd(id)},
		{storage.LockTableKey(start), storage.LockTableKey(end)},
		{start, end},
	}
}

func inSpans(spans [][2][]byte, key []byte) bool {
	for _, sp := range spans {
		if bytes.Compare(key, sp[0]) >= 0 && bytes.Compare(key, sp[1]) < 0 {
			return true
		}
	}
	return false
}

// HandleSnapshot receives one snapshot stream: it stages the data in a
// batch that first clears the range's old state, then lets raft accept the
// snapshot (MsgSnap), and applies the batch atomically (synced) when raft
// hands the snapshot back in a Ready.
func (s *Store) HandleSnapshot(ctx context.Context, stream SnapshotReceiver) (*kvpb.SnapshotResponse, error) {
	ctx, exit, ok := s.enter(ctx)
	if !ok {
		return nil, ErrStoreStopped
	}
	defer exit()
	first, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	h := first.GetHeader()
	if h == nil || h.GetDesc() == nil || h.GetToReplica() == nil || h.GetRangeId() == 0 ||
		h.GetDesc().GetRangeId() != h.GetRangeId() {
		return nil, &kvpb.InvalidRequestError{Reason: "snapshot stream without a valid header"}
	}
	if kvpb.StoreID(h.GetToReplica().GetStoreId()) != s.cfg.StoreID {
		return nil, &kvpb.StoreNotFoundError{StoreId: h.GetToReplica().GetStoreId()}
	}
	msg := &raftpb.Message{}
	if err := proto.Unmarshal(h.GetRaftMessage(), msg); err != nil || msg.GetType() != raftpb.MsgSnap || msg.GetSnapshot() == nil {
		return nil, &kvpb.InvalidRequestError{Reason: "snapshot header without a MsgSnap"}
	}
	index := msg.GetSnapshot().GetMetadata().GetIndex()
	r, tooOld, err := s.getOrCreateReplica(kvpb.RangeID(h.GetRangeId()), kvpb.ReplicaID(h.GetToReplica().GetReplicaId()))
	if err != nil {
		return nil, err
	}
	if tooOld {
		return &kvpb.SnapshotResponse{Status: kvpb.SnapshotResponse_DECLINED, Message: "replica removed"}, nil
	}
	r.mu.RLock()
	applied := r.mu.applied.GetRaftAppliedIndex()
	oldDesc := r.mu.desc
	r.mu.RUnlock()
	if applied >= index {
		return &kvpb.SnapshotResponse{Status: kvpb.SnapshotResponse_DECLINED, Message: "replica already has the snapshot's state"}, nil
	}
	desc := h.GetDesc()
	b := s.eng.NewBatch()
	ok = false
	defer func() {
		if !ok {
			b.Close()
		}
	}()
	// Clear what the replica had (old and new span), then stage the data.
	clearDescs := []*kvpb.RangeDescriptor{desc}
	if oldDesc != nil {
		clearDescs = append(clearDescs, oldDesc)
	}
	for _, d := range clearDescs {
		for _, sp := range snapshotSpans(d) {
			if err := b.ClearRange(sp[0], sp[1]); err != nil {
				return nil, err
			}
		}
	}
	allowed := snapshotSpans(desc)
	chunk := first
	var staged int64
	for {
		for _, kv := range chunk.GetKvs() {
			staged += int64(len(kv.GetKey()) + len(kv.GetValue()))
			if staged > s.cfg.MaxSnapshotBytes {
				return nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("snapshot larger than %d bytes", s.cfg.MaxSnapshotBytes)}
			}
			uk, _, err := storage.DecodeEngineKey(kv.GetKey())
			if err != nil || !inSpans(allowed, uk) {
				return nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("snapshot key %q outside the range", kv.GetKey())}
			}
			if err := storage.PutEngineKey(b, kv.GetKey(), kv.GetValue()); err != nil {
				return nil, err
			}
		}
		if chunk.GetFinal() {
			break
		}
		chunk, err = stream.Recv()
		if err == io.EOF {
			return nil, &kvpb.InvalidRequestError{Reason: "snapshot stream ended before its final chunk"}
		}
		if err != nil {
			return nil, err
		}
	}
	if s.overlapsOtherReplica(desc) {
		// Another replica here still owns part of the span (typically the
		// left side of a split this store has not applied yet): raft
		// retries, and the split trigger creates the replica meanwhile.
		return &kvpb.SnapshotResponse{Status: kvpb.SnapshotResponse_DECLINED, Message: "overlaps another replica on this store"}, nil
	}
	in := &incomingSnapshot{index: index, batch: b, desc: desc, done: make(chan error, 1)}
	r.raftMu.Lock()
	if prev, exists := r.raftMu.pendingSnaps[index]; exists {
		prev.done <- errSnapshotDeclined
		prev.batch.Close()
	}
	r.raftMu.pendingSnaps[index] = in
	// Queue the MsgSnap under raftMu, so that no cycle sees the snapshot
	// registered without its message.
	r.enqueueMessage(msg, h.GetFromReplica())
	r.raftMu.Unlock()
	ok = true
	select {
	case err := <-in.done:
		if errors.Is(err, errSnapshotDeclined) {
			return &kvpb.SnapshotResponse{Status: kvpb.SnapshotResponse_DECLINED, Message: err.Error()}, nil
		}
		if err != nil {
			return nil, err
		}
		return &kvpb.SnapshotResponse{Status: kvpb.SnapshotResponse_APPLIED}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.stopper:
		return nil, ErrStoreStopped
	}
}

// checkSteppedSnapshotsLocked marks pending snapshots whose MsgSnap has
// been stepped (raftMu held).
func (r *Replica) checkSteppedSnapshotsLocked() {
	for _, in := range r.raftMu.pendingSnaps {
		in.stepped = true
	}
}

// checkSnapshotConsumedLocked declines stepped snapshots that raft did not
// hand back (raftMu held). The one in the Ready stays for applySnapshot.
func (r *Replica) checkSnapshotConsumedLocked(snap *raftpb.Snapshot) {
	var idx uint64
	if snap != nil {
		idx = snap.GetMetadata().GetIndex()
	}
	for i, in := range r.raftMu.pendingSnaps {
		if in.stepped && i != idx {
			in.batch.Close()
			in.done <- errSnapshotDeclined
			delete(r.raftMu.pendingSnaps, i)
		}
	}
}

// applySnapshot commits the staged snapshot batch raft accepted, with the
// log reset to the snapshot and the Ready's HardState, in one synced
// batch, and reloads the replica's state from it.
func (r *Replica) applySnapshot(snap *raftpb.Snapshot, hs *raftpb.HardState) error {
	idx, term := snap.GetMetadata().GetIndex(), snap.GetMetadata().GetTerm()
	r.raftMu.Lock()
	in, ok := r.raftMu.pendingSnaps[idx]
	delete(r.raftMu.pendingSnaps, idx)
	var err error
	if !ok {
		r.raftMu.Unlock()
		return fmt.Errorf("ranges: r%d: raft applied snapshot %d we do not have", r.rangeID, idx)
	}
	err = r.raftMu.rs.ApplySnapshot(in.batch, idx, term)
	if err == nil && hs != nil {
		err = r.raftMu.rs.SetHardState(in.batch, hs)
	}
	r.raftMu.Unlock()
	if err == nil {
		err = in.batch.PutRaw(rangekeys.ReplicaIDKey(uint64(r.rangeID)), encodeUint64(uint64(r.ReplicaID())))
	}
	if err == nil {
		err = in.batch.Commit(true)
	}
	in.batch.Close()
	if err != nil {
		in.done <- err
		return err
	}
	r.store.counters.snapshotsApplied.Add(1)
	r.mu.Lock()
	err = r.loadStateLocked()
	// Our pending commands may have applied inside the snapshot: their
	// outcome is unknown, and they must never be reproposed (a reproposal
	// under a new max lease index could apply them twice).
	for _, p := range r.mu.proposals {
		r.finishLocked(p, &kvpb.AmbiguousResultError{RangeId: uint64(r.rangeID), Reason: "replica caught up by snapshot with the write in flight"})
	}
	r.notifyStateChangedLocked()
	r.mu.Unlock()
	in.done <- err
	return err
}
