package ranges

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/tesseradb/tessera/kv/keys"
	"io"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
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
// MsgSnap: its data staged in finished sstables, ingested when raft
// applies it, atomically with the removal of the replica's previous
// state (the excise span, plus the ClearRanges the tables hold).
type incomingSnapshot struct {
	index   uint64
	eng     storage.Engine
	ssts    []string
	excise  [2][]byte
	desc    *kvpb.RangeDescriptor
	done    chan error
	stepped bool
}

// discard removes the staged tables of a snapshot that is not applied.
func (in *incomingSnapshot) discard() {
	for _, p := range in.ssts {
		storage.RemoveSST(in.eng, p)
	}
	in.ssts = nil
}

// snapshotStager streams a received snapshot into one sstable per
// disjoint span to clear (the snapshot's spans, and those of the
// replica's previous descriptor), so the data is written once, outside
// the store's Raft loop, and applied by an atomic ingestion. The span
// holding the new descriptor's user data (the bulk of a snapshot, and of
// the replica's previous data) is excised by the ingestion: the tables
// that overlap it become virtual instead of being rewritten by a
// compaction, as a ClearRange would make them. The other spans (range
// state, txn records, locks: small) are cleared by a ClearRange in their
// table.
type snapshotStager struct {
	spans   [][2][]byte // sorted, disjoint, user keys
	writers []*storage.SSTWriter
	excise  int // index of the span the ingestion excises
	last    int // the span of the previous put (keys arrive in order)
}

// newSnapshotStager stages a snapshot of descs[0]; descs[1:] are the
// replica's previous descriptors (their spans are cleared too).
func newSnapshotStager(eng storage.Engine, rangeID kvpb.RangeID, descs ...*kvpb.RangeDescriptor) (*snapshotStager, error) {
	var all [][2][]byte
	for _, d := range descs {
		all = append(all, snapshotSpans(d)...)
	}
	st := &snapshotStager{spans: mergeSpans(all), excise: -1}
	userStart, _ := rangekeys.UserSpan(descs[0].GetStartKey(), descs[0].GetEndKey())
	for i, sp := range st.spans {
		if bytes.Compare(userStart, sp[0]) >= 0 && bytes.Compare(userStart, sp[1]) < 0 {
			st.excise = i
		}
	}
	if st.excise < 0 {
		return nil, fmt.Errorf("ranges: r%d: snapshot spans miss the user span", rangeID)
	}
	for i, sp := range st.spans {
		w, err := eng.NewSSTWriter(fmt.Sprintf("snap-r%d", rangeID))
		if err != nil {
			st.abort()
			return nil, err
		}
		st.writers = append(st.writers, w)
		if i == st.excise {
			continue
		}
		if err := w.ClearRange(sp[0], sp[1]); err != nil {
			st.abort()
			return nil, err
		}
	}
	return st, nil
}

// mergeSpans sorts spans and merges the overlapping or adjacent ones.
func mergeSpans(spans [][2][]byte) [][2][]byte {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
	var out [][2][]byte
	for _, sp := range spans {
		if n := len(out); n > 0 && bytes.Compare(sp[0], out[n-1][1]) <= 0 {
			if bytes.Compare(sp[1], out[n-1][1]) > 0 {
				out[n-1][1] = sp[1]
			}
			continue
		}
		out = append(out, sp)
	}
	return out
}

// put adds a snapshot key (user key uk) to the table of its span; keys of
// one span must arrive in increasing order.
func (st *snapshotStager) put(uk, ek, v []byte) error {
	if st.last < len(st.spans) {
		if sp := st.spans[st.last]; bytes.Compare(uk, sp[0]) >= 0 && bytes.Compare(uk, sp[1]) < 0 {
			return storage.PutEngineKey(st.writers[st.last], ek, v)
		}
	}
	for i, sp := range st.spans {
		if bytes.Compare(uk, sp[0]) >= 0 && bytes.Compare(uk, sp[1]) < 0 {
			st.last = i
			return storage.PutEngineKey(st.writers[i], ek, v)
		}
	}
	return fmt.Errorf("ranges: snapshot key %q outside the spans it clears", ek)
}

// finish completes (and syncs) every table and returns their paths
// (without the excised span's table if it is empty) and the span to
// excise.
func (st *snapshotStager) finish() ([]string, [2][]byte, error) {
	var paths []string
	for i, w := range st.writers {
		if err := w.Finish(); err != nil {
			st.abort()
			return nil, [2][]byte{}, err
		}
		if i == st.excise && w.DataBytes() == 0 {
			w.Abort()
			continue
		}
		paths = append(paths, w.Path())
	}
	return paths, st.spans[st.excise], nil
}

func (st *snapshotStager) abort() {
	for _, w := range st.writers {
		w.Abort()
	}
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
	// Every read of the engine snapshot happens under exciseMu (shared):
	// the state read here, and the opening of the data iterators (which
	// keep their view once open), so an excising ingestion on this store
	// cannot remove keys from under the snapshot.
	s.exciseMu.RLock()
	snap := s.eng.NewSnapshot()
	defer snap.Close()
	desc, msgBytes, iters, err := r.openSnapshotLocked(snap, m)
	s.exciseMu.RUnlock()
	defer func() {
		for _, it := range iters {
			_ = it.Close()
		}
	}()
	if err != nil {
		return err
	}
	stream, err := s.cfg.Transport.OpenSnapshot(ctx, to.NodeID())
	if err != nil {
		return err
	}
	header := &kvpb.SnapshotHeader{RangeId: uint64(r.rangeID), FromReplica: from, ToReplica: to, Desc: desc,
		RaftMessage: msgBytes, FromNodeId: uint64(s.cfg.NodeID)}
	sendErr := func() error {
		if err := stream.Send(&kvpb.SnapshotChunk{Header: header}); err != nil {
			return err
		}
		// A chunk's pairs are appended to a pooled buffer in the chunk's
		// wire encoding. A gRPC stream takes the sealed buffer as the
		// encoded message (no copy into the codec's buffer; it returns
		// to the pool once written) and the next chunk gets another;
		// other streams get a SnapshotChunk aliasing the data, which
		// Send does not keep, and the buffer is reused.
		limit := s.cfg.SnapshotChunkBytes
		sealed, _ := stream.(sealedChunkSender)
		cb := newChunkBuilder(limit + limit/8)
		defer func() { cb.free() }()
		flush := func(final bool) error {
			if sealed != nil {
				err := sealed.SendSealed(cb.seal(final))
				if !final {
					cb = newChunkBuilder(limit + limit/8)
				}
				return err
			}
			data := cb.data()
			err := stream.Send(&kvpb.SnapshotChunk{Data: data, DataCrc: snapshotDataCRC(data), Final: final})
			cb.reset()
			return err
		}
		for _, it := range iters {
			for ok := it.First(); ok; ok = it.Next() {
				v, err := it.Value()
				if err != nil {
					return err
				}
				cb.appendPair(it.EngineKey(), v)
				if cb.dataLen() >= limit {
					if err := flush(false); err != nil {
						return err
					}
				}
			}
			if err := it.Error(); err != nil {
				return err
			}
		}
		return flush(true)
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

// openSnapshotLocked reads the snapshot's descriptor and raft metadata
// from snap and opens an iterator per snapshot span (s.exciseMu held
// shared). On error the returned iterators must still be closed.
func (r *Replica) openSnapshotLocked(snap storage.Snapshot, m *raftpb.Message) (*kvpb.RangeDescriptor, []byte, []*storage.EngineIterator, error) {
	id := uint64(r.rangeID)
	desc := &kvpb.RangeDescriptor{}
	if ok, err := getProto(snap, rangekeys.DescriptorKey(id), desc); err != nil || !ok {
		return nil, nil, nil, fmt.Errorf("ranges: snapshot without descriptor: %v", err)
	}
	as, err := raftstorage.ReadAppliedState(snap, id)
	if err != nil {
		return nil, nil, nil, err
	}
	cs, err := raftstorage.ConfStateOf(as)
	if err != nil {
		return nil, nil, nil, err
	}
	msg := proto.Clone(m).(*raftpb.Message)
	msg.Snapshot = &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{
		Index: proto.Uint64(as.GetRaftAppliedIndex()), Term: proto.Uint64(as.GetRaftAppliedTerm()), ConfState: cs}}
	msgBytes, err := proto.Marshal(msg)
	if err != nil {
		return nil, nil, nil, err
	}
	var iters []*storage.EngineIterator
	for _, sp := range snapshotSpans(desc) {
		it, err := storage.NewEngineIterator(snap, sp[0], sp[1])
		if err != nil {
			return nil, nil, iters, err
		}
		iters = append(iters, it)
	}
	return desc, msgBytes, iters, nil
}

// snapshotSpans are the user-key spans whose engine keys form a snapshot:
// replicated range-local state, the lock table of the data, the data.
func snapshotSpans(d *kvpb.RangeDescriptor) [][2][]byte {
	id := d.GetRangeId()
	start, end := rangekeys.UserSpan(d.GetStartKey(), d.GetEndKey())
	ts, te := keys.TxnRecordSpan(start, end)
	return [][2][]byte{
		{rangekeys.ReplicatedPrefix(id), rangekeys.ReplicatedEnd(id)},
		{ts, te},
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
	// Clear what the replica had (old and new span), then stage the data.
	clearDescs := []*kvpb.RangeDescriptor{desc}
	if oldDesc != nil {
		clearDescs = append(clearDescs, oldDesc)
	}
	st, err := newSnapshotStager(s.eng, r.rangeID, clearDescs...)
	if err != nil {
		return nil, err
	}
	var ssts []string
	ok = false
	defer func() {
		if !ok {
			st.abort()
			for _, p := range ssts {
				storage.RemoveSST(s.eng, p)
			}
		}
	}()
	allowed := snapshotSpans(desc)
	chunk := first
	var staged int64
	for {
		err := snapshotPairs(chunk.GetData(), chunk.GetDataCrc(), func(k, v []byte) error {
			staged += int64(len(k) + len(v))
			if staged > s.cfg.MaxSnapshotBytes {
				return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("snapshot larger than %d bytes", s.cfg.MaxSnapshotBytes)}
			}
			uk, _, err := storage.DecodeEngineKey(k)
			if err != nil || !inSpans(allowed, uk) {
				return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("snapshot key %q outside the range", k)}
			}
			if err := st.put(uk, k, v); err != nil {
				return &kvpb.InvalidRequestError{Reason: err.Error()}
			}
			return nil
		})
		if errors.Is(err, errSnapshotData) {
			return nil, &kvpb.InvalidRequestError{Reason: err.Error()}
		}
		if err != nil {
			return nil, err
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
	var excise [2][]byte
	if ssts, excise, err = st.finish(); err != nil {
		return nil, err
	}
	if s.overlapsOtherReplica(desc) {
		// Another replica here still owns part of the span (typically the
		// left side of a split this store has not applied yet): raft
		// retries, and the split trigger creates the replica meanwhile.
		return &kvpb.SnapshotResponse{Status: kvpb.SnapshotResponse_DECLINED, Message: "overlaps another replica on this store"}, nil
	}
	in := &incomingSnapshot{index: index, eng: s.eng, ssts: ssts, excise: excise, desc: desc, done: make(chan error, 1)}
	r.raftMu.Lock()
	r.mu.RLock()
	destroyed := r.mu.destroyed
	r.mu.RUnlock()
	if destroyed {
		// The replica object was retired while the data streamed in (a
		// split trigger installed the right-hand side over this
		// uninitialized one, or the replica was removed): it steps no
		// more messages, so the snapshot would wait for raft forever and
		// hold the sender's progress in StateSnapshot until its stream
		// timed out. Decline: raft retries against the current object.
		// (retire sets destroyed before it clears pendingSnaps under
		// raftMu, so a snapshot registered below is declined by it.)
		r.raftMu.Unlock()
		return &kvpb.SnapshotResponse{Status: kvpb.SnapshotResponse_DECLINED, Message: "replica replaced while the snapshot streamed in"}, nil
	}
	if prev, exists := r.raftMu.pendingSnaps[index]; exists {
		prev.done <- errSnapshotDeclined
		prev.discard()
	}
	r.raftMu.pendingSnaps[index] = in
	// Queue the MsgSnap under raftMu, so that no cycle sees the snapshot
	// registered without its message.
	r.enqueueMessage(msg, h.GetFromReplica())
	r.store.sched.kick()
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
			in.discard()
			in.done <- errSnapshotDeclined
			delete(r.raftMu.pendingSnaps, i)
		}
	}
}

// applySnapshot ingests the staged tables of the snapshot raft accepted,
// together with a small table holding the raft state (log reset to the
// snapshot, the Ready's HardState, the replica ID), in one atomic
// ingestion: after a crash the store holds either the old replica or the
// new one. The data was written and synced while it streamed in, so this
// costs the Raft loop an ingestion (a manifest or WAL sync), not a copy
// of the data. It then reloads the replica's state.
func (r *Replica) applySnapshot(snap *raftpb.Snapshot, hs *raftpb.HardState) error {
	idx, term := snap.GetMetadata().GetIndex(), snap.GetMetadata().GetTerm()
	r.raftMu.Lock()
	in, ok := r.raftMu.pendingSnaps[idx]
	delete(r.raftMu.pendingSnaps, idx)
	if !ok {
		r.raftMu.Unlock()
		return fmt.Errorf("ranges: r%d: raft applied snapshot %d we do not have", r.rangeID, idx)
	}
	if hs == nil || raft.IsEmptyHardState(hs) {
		hs = proto.Clone(r.raftMu.rs.HardState()).(*raftpb.HardState)
	}
	if hs.GetCommit() < idx {
		hs = proto.Clone(hs).(*raftpb.HardState)
		hs.Commit = proto.Uint64(idx)
	}
	err := r.ingestSnapshotLocked(in, idx, term, hs)
	if err == nil {
		r.raftMu.rs.SnapshotApplied(idx, term, hs)
	}
	r.raftMu.Unlock()
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

// ingestSnapshotLocked writes the raft-state table and ingests it with
// the snapshot's tables (raftMu held). On error nothing was ingested and
// the tables are removed.
func (r *Replica) ingestSnapshotLocked(in *incomingSnapshot, idx, term uint64, hs *raftpb.HardState) error {
	eng := r.store.eng
	defer in.discard()
	w, err := eng.NewSSTWriter(fmt.Sprintf("snap-r%d-raft", r.rangeID))
	if err != nil {
		return err
	}
	extra := map[string][]byte{string(rangekeys.ReplicaIDKey(uint64(r.rangeID))): encodeUint64(uint64(r.ReplicaID()))}
	if err := r.raftMu.rs.StageSnapshot(w, idx, term, hs, extra); err != nil {
		w.Abort()
		return err
	}
	if err := w.Finish(); err != nil {
		w.Abort()
		return err
	}
	paths := append(slices.Clone(in.ssts), w.Path())
	r.store.exciseMu.Lock()
	err = eng.IngestSSTsExcising(paths, in.excise[0], in.excise[1])
	r.store.exciseMu.Unlock()
	if err != nil {
		w.Abort()
		return err
	}
	in.ssts = nil
	return nil
}
