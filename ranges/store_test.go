package ranges_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges"
	"github.com/tesseradb/tessera/ranges/rangetest"
)

func batch(reqs ...*kvpb.RequestUnion) *kvpb.BatchRequest {
	return &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: 1}, Requests: reqs}
}

// TestGroupCommit: concurrent writers share synced batches: far fewer
// fsyncs than writes.
func TestGroupCommit(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.Put(ctx, "warm", "up"))
	s := c.Nodes[0].Store()
	before := s.Metrics()
	const writers, perWriter = 32, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				errs <- c.Put(ctx, fmt.Sprintf("w%02d-%d", w, i), "v")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	after := s.Metrics()
	syncs := after.RaftSyncs - before.RaftSyncs
	entries := after.EntriesAppended - before.EntriesAppended
	t.Logf("%d writes: %d entries appended in %d synced batches", writers*perWriter, entries, syncs)
	require.GreaterOrEqual(t, entries, int64(writers*perWriter))
	require.Less(t, syncs, int64(writers*perWriter), "writes must share synced batches")
}

// TestWritePathTimings: the stores count each write proposal with its
// time from submission to outcome, their synced log batches and apply
// batches with their times; a read proposes nothing. (Summed over the
// nodes: only the leaseholder proposes, wherever the lease is.)
func TestWritePathTimings(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.Put(ctx, "warm", "up"))
	sum := func() ranges.Metrics {
		var m ranges.Metrics
		for _, n := range c.Nodes {
			x := n.Store().Metrics()
			m.WriteProposals += x.WriteProposals
			m.WriteProposalTime += x.WriteProposalTime
			m.RaftSyncs += x.RaftSyncs
			m.RaftSyncTime += x.RaftSyncTime
			m.ApplyBatches += x.ApplyBatches
			m.ApplyTime += x.ApplyTime
		}
		return m
	}
	before := sum()
	const writes = 20
	for i := 0; i < writes; i++ {
		require.NoError(t, c.Put(ctx, fmt.Sprintf("k%02d", i), "v"))
	}
	mid := sum()
	// At least one per write (a retried write proposes again).
	require.GreaterOrEqual(t, mid.WriteProposals-before.WriteProposals, int64(writes))
	require.Positive(t, mid.WriteProposalTime-before.WriteProposalTime)
	// Every write was synced on a quorum and applied on every replica.
	require.GreaterOrEqual(t, mid.RaftSyncs-before.RaftSyncs, int64(2*writes))
	require.Positive(t, mid.RaftSyncTime-before.RaftSyncTime)
	require.GreaterOrEqual(t, mid.ApplyBatches-before.ApplyBatches, int64(writes))
	require.Positive(t, mid.ApplyTime-before.ApplyTime)
	_, found, err := c.Get(ctx, "k00")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, mid.WriteProposals, sum().WriteProposals, "a read proposes nothing")
}

func TestBadRequests(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := c.Nodes[0].Store()
	var inv *kvpb.InvalidRequestError
	for name, ba := range map[string]*kvpb.BatchRequest{
		"no header":     {Requests: []*kvpb.RequestUnion{kvpb.NewGet([]byte("a"))}},
		"empty":         batch(),
		"empty key":     batch(kvpb.NewPut(nil, []byte("v"))),
		"local key":     batch(kvpb.NewPut([]byte("\x01iabc"), []byte("v"))),
		"beyond keymax": batch(kvpb.NewGet([]byte("\xff\xff\x01"))),
		"inverted span": batch(kvpb.NewScan([]byte("b"), []byte("a"), 0)),
		"unknown type":  batch(&kvpb.RequestUnion{}),
		"huge key":      batch(kvpb.NewPut(make([]byte, 40<<10), []byte("v"))),
	} {
		_, err := s.Send(ctx, ba)
		require.True(t, errors.As(err, &inv), "%s: %v", name, err)
	}
	_, err := s.Send(ctx, &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: 99}, Requests: []*kvpb.RequestUnion{kvpb.NewGet([]byte("a"))}})
	var rnf *kvpb.RangeNotFoundError
	require.True(t, errors.As(err, &rnf), "%v", err)
	// A failed ConditionalPut writes nothing, and its error crosses the wire
	// intact.
	require.NoError(t, c.Put(ctx, "k", "1"))
	_, err = s.Send(ctx, batch(kvpb.NewPut([]byte("other"), []byte("x")), kvpb.NewConditionalPut([]byte("k"), []byte("2"), []byte("0"))))
	var cfe *kvpb.ConditionFailedError
	require.True(t, errors.As(err, &cfe))
	require.Equal(t, 1, ranges.RequestIndex(err))
	wire := kvpb.NewError(err)
	require.True(t, errors.As(wire.GoError(), &cfe))
	require.Equal(t, "1", string(cfe.GetActualValue()))
	_, found, err := c.Get(ctx, "other")
	require.NoError(t, err)
	require.False(t, found, "a failed batch must not write")
}

// TestNotLeaseholderHint: a follower redirects to the leaseholder.
func TestNotLeaseholderHint(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lh := c.Leaseholder(ctx, 1)
	require.NotNil(t, lh)
	for _, n := range c.Nodes {
		if n == lh {
			continue
		}
		_, err := n.Store().Send(ctx, batch(kvpb.NewGet([]byte("a"))))
		var nle *kvpb.NotLeaseholderError
		require.True(t, errors.As(err, &nle), "%v", err)
		require.Equal(t, uint64(lh.ID), nle.GetLeaseholder().GetNodeId())
	}
}

// TestClockOffset: a request from a clock further ahead than the max
// offset is refused with a typed error; a slightly ahead one ratchets
// our clock.
func TestClockOffset(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := c.Nodes[0].Store()
	ahead := s.Clock().Now().AddDuration(int64(time.Hour))
	ba := batch(kvpb.NewGet([]byte("a")))
	ba.Now = kvpb.TS(ahead)
	_, err := s.Send(ctx, ba)
	var coe *kvpb.ClockOffsetError
	require.True(t, errors.As(err, &coe), "%v", err)
	near := s.Clock().Now().AddDuration(int64(10 * time.Millisecond))
	ba.Now = kvpb.TS(near)
	br, err := s.Send(ctx, ba)
	require.NoError(t, err)
	require.True(t, near.Less(br.GetNow().HLC()), "the response clock is above the request's")
}

type chunkList struct{ chunks []*kvpb.SnapshotChunk }

func (l *chunkList) Recv() (*kvpb.SnapshotChunk, error) {
	if len(l.chunks) == 0 {
		return nil, io.EOF
	}
	c := l.chunks[0]
	l.chunks = l.chunks[1:]
	return c, nil
}

// TestSnapshotBadInput: malformed snapshot streams are refused with typed
// errors and change nothing.
func TestSnapshotBadInput(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := c.Nodes[0].Store()
	require.NoError(t, c.Put(ctx, "before", "snapshots"))
	var inv *kvpb.InvalidRequestError
	_, err := s.HandleSnapshot(ctx, &chunkList{chunks: []*kvpb.SnapshotChunk{{}}})
	require.True(t, errors.As(err, &inv), "%v", err)

	msg := &raftpb.Message{Type: raftpb.MsgSnap.Enum(), To: proto.Uint64(2), From: proto.Uint64(1), Term: proto.Uint64(9),
		Snapshot: &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{Index: proto.Uint64(100), Term: proto.Uint64(9), ConfState: &raftpb.ConfState{Voters: []uint64{1}}}}}
	mb, err := proto.Marshal(msg)
	require.NoError(t, err)
	desc := &kvpb.RangeDescriptor{RangeId: 7, StartKey: []byte("a"), EndKey: []byte("b")}
	to := &kvpb.ReplicaDescriptor{NodeId: 1, StoreId: 1, ReplicaId: 2}
	header := &kvpb.SnapshotHeader{RangeId: 7, ToReplica: to, Desc: desc, RaftMessage: mb}
	outside := storage.EncodeMVCCKey(nil, []byte("zzz"), hlc.Timestamp{WallTime: 1})
	_, err = s.HandleSnapshot(ctx, &chunkList{chunks: []*kvpb.SnapshotChunk{
		{Header: header}, snapshotChunk(true, outside, []byte{1, 'x'})}})
	require.True(t, errors.As(err, &inv), "a key outside the range: %v", err)
	_, err = s.HandleSnapshot(ctx, &chunkList{chunks: []*kvpb.SnapshotChunk{{Header: header}}})
	require.True(t, errors.As(err, &inv), "a stream without its final chunk: %v", err)
	_, err = s.HandleSnapshot(ctx, &chunkList{chunks: []*kvpb.SnapshotChunk{
		{Header: header}, snapshotChunk(true, []byte("garbage"), nil)}})
	require.True(t, errors.As(err, &inv), "an undecodable key: %v", err)
	inside := storage.EncodeMVCCKey(nil, []byte("a1"), hlc.Timestamp{WallTime: 1})
	good := snapshotChunk(true, inside, []byte{1, 'x'})
	flipped := proto.Clone(good).(*kvpb.SnapshotChunk)
	flipped.Data[len(flipped.Data)-1] ^= 1
	_, err = s.HandleSnapshot(ctx, &chunkList{chunks: []*kvpb.SnapshotChunk{{Header: header}, flipped}})
	require.True(t, errors.As(err, &inv), "a corrupted chunk: %v", err)
	require.Contains(t, err.Error(), "checksum")
	cut := proto.Clone(good).(*kvpb.SnapshotChunk)
	cut.Data = cut.Data[:len(cut.Data)-1]
	cut.DataCrc = crc32.Checksum(cut.Data, crc32.MakeTable(crc32.Castagnoli))
	_, err = s.HandleSnapshot(ctx, &chunkList{chunks: []*kvpb.SnapshotChunk{{Header: header}, cut}})
	require.True(t, errors.As(err, &inv), "a truncated pair: %v", err)
	require.Contains(t, err.Error(), "overruns the chunk")
	_, err = s.HandleSnapshot(ctx, &chunkList{chunks: []*kvpb.SnapshotChunk{{Header: header}, snapshotChunk(false, inside, []byte{1, 'x'})}})
	require.True(t, errors.As(err, &inv), "a stream cut after a data chunk: %v", err)
	// The existing range is untouched.
	v, found, err := c.Get(ctx, "before")
	require.NoError(t, err)
	require.True(t, found && v == "snapshots", "%q %v", v, found)
	require.NoError(t, c.Put(ctx, "still", "works"))
}

// snapshotChunk encodes pairs (key, value, key, value, ...) as one chunk.
func snapshotChunk(final bool, pairs ...[]byte) *kvpb.SnapshotChunk {
	var data []byte
	for i := 0; i+1 < len(pairs); i += 2 {
		data = binary.AppendUvarint(data, uint64(len(pairs[i])))
		data = binary.AppendUvarint(data, uint64(len(pairs[i+1])))
		data = append(append(data, pairs[i]...), pairs[i+1]...)
	}
	return &kvpb.SnapshotChunk{Data: data, DataCrc: crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)), Final: final}
}

func raftMsg(t *testing.T, m *raftpb.Message) []byte {
	data, err := proto.Marshal(m)
	require.NoError(t, err)
	return data
}

// TestCraftedRaftMessages: messages from a non-member, with inconsistent
// addressing, or for a stale replica of ours change nothing, get no
// "you were removed" reply that would make a healthy sender collect
// itself, and never panic the store.
func TestCraftedRaftMessages(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.Put(ctx, "warm", "up"))
	n3 := c.Nodes[2].Store()
	info := n3.RangeInfo(1)[0]
	self := &kvpb.ReplicaDescriptor{NodeId: 3, StoreId: 3, ReplicaId: info.GetReplicaId()}
	// A heartbeat from "replica 99" of a node that does not exist, with a
	// higher term and a commit index far beyond our log.
	hb := &raftpb.Message{Type: raftpb.MsgHeartbeat.Enum(), To: proto.Uint64(info.GetReplicaId()), From: proto.Uint64(99),
		Term: proto.Uint64(info.GetTerm() + 1), Commit: proto.Uint64(1 << 40)}
	resps := n3.HandleRaftBatch(ctx, &kvpb.RaftMessageBatch{FromNodeId: 9, Requests: []*kvpb.RaftMessageRequest{{
		RangeId: 1, FromReplica: &kvpb.ReplicaDescriptor{NodeId: 9, StoreId: 9, ReplicaId: 99}, ToReplica: self, Message: raftMsg(t, hb)}}})
	require.Empty(t, resps)
	// A member's replica ID claimed by another node.
	hb.From = proto.Uint64(1)
	resps = n3.HandleRaftBatch(ctx, &kvpb.RaftMessageBatch{FromNodeId: 9, Requests: []*kvpb.RaftMessageRequest{{
		RangeId: 1, FromReplica: &kvpb.ReplicaDescriptor{NodeId: 9, StoreId: 9, ReplicaId: 1}, ToReplica: self, Message: raftMsg(t, hb)}}})
	require.Empty(t, resps)
	// A message addressed to an older replica ID on this store (a stale
	// replica of ours) from a healthy member: dropped, no reply.
	hb.From = proto.Uint64(1)
	hb.To = proto.Uint64(info.GetReplicaId() - 1)
	resps = n3.HandleRaftBatch(ctx, &kvpb.RaftMessageBatch{FromNodeId: 1, Requests: []*kvpb.RaftMessageRequest{{
		RangeId: 1, FromReplica: &kvpb.ReplicaDescriptor{NodeId: 1, StoreId: 1, ReplicaId: 1},
		ToReplica: &kvpb.ReplicaDescriptor{NodeId: 3, StoreId: 3, ReplicaId: info.GetReplicaId() - 1}, Message: raftMsg(t, hb)}}})
	require.Empty(t, resps)
	// The range keeps working and n3 keeps its replica, at the same term.
	require.NoError(t, c.Put(ctx, "after", "x"))
	require.Len(t, n3.RangeInfo(1), 1)
	require.NotNil(t, n3.RangeInfo(1)[0].GetDesc())
}

// TestFutureHeaderTimestamp: a header timestamp beyond the max offset is
// refused; one within it ratchets the clock.
func TestFutureHeaderTimestamp(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := c.Nodes[0].Store()
	ba := batch(kvpb.NewGet([]byte("a")))
	ba.Header.Timestamp = kvpb.TS(s.Clock().Now().AddDuration(int64(time.Hour)))
	_, err := s.Send(ctx, ba)
	var coe *kvpb.ClockOffsetError
	require.True(t, errors.As(err, &coe), "%v", err)
	near := s.Clock().Now().AddDuration(int64(20 * time.Millisecond))
	ba.Header.Timestamp = kvpb.TS(near)
	_, err = s.Send(ctx, ba)
	require.NoError(t, err)
	require.True(t, near.Less(s.Clock().Now()), "the clock moved past the request timestamp")
}

// gatedChunks is a snapshot stream that hands out its header chunk at
// once and its final chunk only once gate is closed.
type gatedChunks struct {
	header *kvpb.SnapshotChunk
	gate   chan struct{}
	sent   int
}

func (g *gatedChunks) Recv() (*kvpb.SnapshotChunk, error) {
	g.sent++
	switch g.sent {
	case 1:
		return g.header, nil
	case 2:
		<-g.gate
		return &kvpb.SnapshotChunk{Final: true}, nil
	}
	return nil, io.EOF
}

// TestSnapshotToReplicaReplacedMidStream: a snapshot streams into an
// uninitialized replica of range 50 on a follower while a split on the
// leaseholder creates range 50, whose trigger installs a new replica
// object over that one on the follower. The snapshot must be declined at
// once, not left registered on the retired object (which steps no more
// messages) until the sender's stream times out: the sender's raft
// progress stays in StateSnapshot meanwhile and the follower gets nothing
// for that long (a merge waiting for it to catch up timed out this way
// under load).
func TestSnapshotToReplicaReplacedMidStream(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Put(ctx, "a", "1"))
	var lh, f *ranges.Store
	for _, n := range c.Nodes {
		ri := n.Store().RangeInfo(1)[0]
		if ri.GetLeaseValid() && ri.GetLease().GetReplica().GetStoreId() == uint64(n.Store().StoreID()) {
			lh = n.Store()
		} else if f == nil {
			f = n.Store()
		}
	}
	require.NotNil(t, lh, "no leaseholder of r1")
	require.NotNil(t, f)
	self := f.RangeInfo(1)[0]

	msg := &raftpb.Message{Type: raftpb.MsgSnap.Enum(), To: proto.Uint64(self.GetReplicaId()), From: proto.Uint64(99), Term: proto.Uint64(99),
		Snapshot: &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{Index: proto.Uint64(100), Term: proto.Uint64(99),
			ConfState: &raftpb.ConfState{Voters: []uint64{self.GetReplicaId(), 99}}}}}
	to := &kvpb.ReplicaDescriptor{NodeId: uint64(f.NodeID()), StoreId: uint64(f.StoreID()), ReplicaId: self.GetReplicaId()}
	desc := &kvpb.RangeDescriptor{RangeId: 50, StartKey: []byte("n"), EndKey: []byte("o")}
	stream := &gatedChunks{gate: make(chan struct{}), header: &kvpb.SnapshotChunk{Header: &kvpb.SnapshotHeader{
		RangeId: 50, ToReplica: to, Desc: desc, RaftMessage: raftMsg(t, msg)}}}
	var once sync.Once
	release := func() { once.Do(func() { close(stream.gate) }) }
	defer release()
	type result struct {
		resp *kvpb.SnapshotResponse
		err  error
	}
	done := make(chan result, 1)
	hctx, hcancel := context.WithTimeout(ctx, 5*time.Second)
	defer hcancel()
	go func() {
		resp, err := f.HandleSnapshot(hctx, stream)
		done <- result{resp, err}
	}()
	// The handler created the uninitialized replica and waits for the
	// rest of the stream.
	deadline := time.Now().Add(10 * time.Second)
	for len(f.RangeInfo(50)) == 0 {
		require.True(t, time.Now().Before(deadline), "the snapshot created no replica of r50")
		time.Sleep(time.Millisecond)
	}
	_, _, err := lh.AdminSplit(ctx, []byte("m"), 50)
	require.NoError(t, err)
	for {
		if ri := f.RangeInfo(50); len(ri) == 1 && ri[0].GetDesc() != nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the split did not install r50 on the follower")
		time.Sleep(time.Millisecond)
	}
	release()
	r := <-done
	require.NoError(t, r.err, "the snapshot must be answered, not left waiting on the retired replica")
	require.Equal(t, kvpb.SnapshotResponse_DECLINED, r.resp.GetStatus(), "%v", r.resp)
}

// TestCyclesRunInline: on an otherwise idle cluster a write's first raft
// cycle runs on the proposer's goroutine (on the leaseholder) rather than
// on the scheduler goroutine, and the writes still read back. A cycle
// only runs inline when none is running, so the loop gives it a bounded
// number of writes (a tick cycle may coincide with some).
func TestCyclesRunInline(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.Put(ctx, "warm", "up"))
	inline := func() []int64 {
		var out []int64
		for _, n := range c.Nodes {
			out = append(out, n.Store().Metrics().RaftCyclesInline)
		}
		return out
	}
	before := inline()
	allGrew := func() bool { // on the one node proposing (the leaseholder)
		now := inline()
		grew := 0
		for i := range now {
			if now[i] > before[i] {
				grew++
			}
		}
		return grew == 1
	}
	for i := 0; i < 200 && !allGrew(); i++ {
		require.NoError(t, c.Put(ctx, fmt.Sprintf("k%03d", i), "v"))
		v, ok, err := c.Get(ctx, fmt.Sprintf("k%03d", i))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "v", v)
	}
	require.True(t, allGrew(), "inline cycles before %v, after %v", before, inline())
}
