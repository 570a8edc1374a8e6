package kvcoord

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/batcheval"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// fixture is a cluster of nodes that answer Internal.Batch over real gRPC
// on loopback the way ranges do as far as a client can tell: each range
// has replicas on some nodes and one leaseholder; a batch to the wrong
// node, the wrong replica or the wrong key span gets the structured error
// a real node gives (RangeNotFound, NotLeaseholder with hint,
// RangeKeyMismatch with the current descriptors). Requests are evaluated
// by the real kv/batcheval commands on a real (in-memory) MVCC engine, and
// meta records are real MVCC rows in range 1. Replication itself is not
// modelled: one engine holds the data. Tests split, merge, move leases and
// relocate replicas behind the DistSender's back.
type fixture struct {
	t     testing.TB
	eng   storage.Engine
	clock *hlc.Clock

	mu          sync.Mutex
	descs       []*kvpb.RangeDescriptor // sorted by start key, covering [KeyMin, KeyMax)
	lease       map[uint64]uint64       // range ID -> leaseholder replica ID
	nextRangeID uint64
	nodes       []*fakeNode
	batches     atomic.Int64 // Batch RPCs and parts of BatchParts RPCs
	partsRPCs   atomic.Int64 // BatchParts RPCs
	mismatches  atomic.Int64 // RangeKeyMismatch answers
	// uncertainAt, if set, makes every batch whose span reaches it fail
	// with a ReadWithinUncertaintyIntervalError (as an uncertain value at
	// that key would).
	uncertainAt   atomic.Pointer[[]byte]
	uncertainHits atomic.Int64
	// batchOnly: senders made by newSender use Batch RPCs only (a
	// transport without SendPartsTo), one RPC per range.
	batchOnly bool
}

// batchOnlyTransport hides SendPartsTo.
type batchOnlyTransport struct{ Transport }

type fakeNode struct {
	kvpb.UnimplementedInternalServer
	id   uint64
	f    *fixture
	srv  *grpc.Server
	addr string
	down atomic.Bool
}

// firstRangeEnd: range 1 holds the local and meta keys and is never split.
var firstRangeEnd = keys.SystemPrefix

func newFixture(t testing.TB, numNodes int, replicas []uint64) *fixture {
	eng, err := storage.Open("", storage.InMemory())
	require.NoError(t, err)
	f := &fixture{t: t, eng: eng, clock: hlc.NewWallClock(0), lease: map[uint64]uint64{}, nextRangeID: 2}
	for i := 1; i <= numNodes; i++ {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		n := &fakeNode{id: uint64(i), f: f, srv: grpc.NewServer(grpc.WaitForHandlers(true)), addr: lis.Addr().String()}
		kvpb.RegisterInternalServer(n.srv, n)
		go func() { _ = n.srv.Serve(lis) }()
		f.nodes = append(f.nodes, n)
	}
	// Stop waits for running handlers (WaitForHandlers): a read-ahead the
	// client cancelled may still be evaluating when the test ends.
	t.Cleanup(func() {
		for _, n := range f.nodes {
			n.srv.Stop()
		}
		_ = eng.Close()
	})
	mk := func(id uint64, start, end []byte) *kvpb.RangeDescriptor {
		d := &kvpb.RangeDescriptor{RangeId: id, StartKey: start, EndKey: end, Generation: 1, NextReplicaId: uint64(len(replicas) + 1)}
		for i, n := range replicas {
			d.Replicas = append(d.Replicas, &kvpb.ReplicaDescriptor{NodeId: n, StoreId: n, ReplicaId: uint64(i + 1)})
		}
		f.lease[id] = 1
		return d
	}
	f.descs = []*kvpb.RangeDescriptor{mk(1, keys.KeyMin, firstRangeEnd), mk(2, firstRangeEnd, keys.KeyMax)}
	f.nextRangeID = 3
	f.mu.Lock()
	f.writeMetaLocked(nil)
	f.mu.Unlock()
	return f
}

func (f *fixture) resolve(_ context.Context, n kvpb.NodeID) (string, error) {
	if int(n) < 1 || int(n) > len(f.nodes) {
		return "", fmt.Errorf("unknown node n%d", n)
	}
	return f.nodes[n-1].addr, nil
}

func (f *fixture) firstRange(context.Context) (*kvpb.RangeDescriptor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return proto.Clone(f.descs[0]).(*kvpb.RangeDescriptor), nil
}

func (f *fixture) newSender(t testing.TB, cfg Config) (*DistSender, *GRPCTransport) {
	tr := NewGRPCTransport(f.resolve)
	t.Cleanup(tr.Close)
	cfg.Transport = tr
	if f.batchOnly {
		cfg.Transport = batchOnlyTransport{tr}
	}
	cfg.FirstRange = f.firstRange
	if cfg.BackoffInitial == 0 {
		cfg.BackoffInitial = time.Millisecond
		cfg.BackoffMax = 20 * time.Millisecond
	}
	return New(cfg), tr
}

// writeMetaLocked writes the meta records of every range (range 1's too,
// as bootstrap does) and deletes those of the ranges in gone.
func (f *fixture) writeMetaLocked(gone []*kvpb.RangeDescriptor) {
	b := f.eng.NewBatch()
	defer b.Close()
	ts := f.clock.Now()
	for _, d := range gone {
		_, err := storage.MVCCDelete(b, keys.MetaKey(d.GetEndKey()), ts, storage.MVCCWriteOptions{})
		require.NoError(f.t, err)
	}
	for _, d := range f.descs {
		v, err := proto.Marshal(d)
		require.NoError(f.t, err)
		require.NoError(f.t, storage.MVCCPut(b, keys.MetaKey(d.GetEndKey()), ts, v, storage.MVCCWriteOptions{}))
	}
	require.NoError(f.t, b.Commit(false))
}

func (f *fixture) indexLocked(key []byte) int {
	return sort.Search(len(f.descs), func(i int) bool { return bytes.Compare(f.descs[i].GetEndKey(), key) > 0 })
}

// split splits the range holding key at key (no-op at a boundary or in
// range 1). Both halves get the old generation + 1.
func (f *fixture) split(key []byte) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.indexLocked(key)
	d := f.descs[i]
	if d.GetRangeId() == 1 || bytes.Equal(d.GetStartKey(), key) {
		return false
	}
	left := proto.Clone(d).(*kvpb.RangeDescriptor)
	left.EndKey, left.Generation = key, d.GetGeneration()+1
	right := proto.Clone(d).(*kvpb.RangeDescriptor)
	right.RangeId, right.StartKey, right.Generation = f.nextRangeID, key, d.GetGeneration()+1
	f.nextRangeID++
	f.lease[right.RangeId] = f.lease[d.GetRangeId()]
	f.descs = append(f.descs[:i], append([]*kvpb.RangeDescriptor{left, right}, f.descs[i+1:]...)...)
	f.writeMetaLocked(nil)
	return true
}

// merge merges the range at index i with its right neighbour when both
// have the same replicas (the left keeps its ID, generation max+1).
func (f *fixture) merge(i int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i < 1 || i+1 >= len(f.descs) {
		return false
	}
	l, r := f.descs[i], f.descs[i+1]
	if len(l.GetReplicas()) != len(r.GetReplicas()) {
		return false
	}
	for k := range l.GetReplicas() {
		if l.GetReplicas()[k].GetNodeId() != r.GetReplicas()[k].GetNodeId() {
			return false
		}
	}
	m := proto.Clone(l).(*kvpb.RangeDescriptor)
	m.EndKey, m.Generation = r.GetEndKey(), max(l.GetGeneration(), r.GetGeneration())+1
	delete(f.lease, r.GetRangeId())
	f.descs = append(f.descs[:i], append([]*kvpb.RangeDescriptor{m}, f.descs[i+2:]...)...)
	f.writeMetaLocked([]*kvpb.RangeDescriptor{l})
	return true
}

// moveLease gives the lease of the range at index i to its k-th replica.
func (f *fixture) moveLease(i, k int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.descs[i]
	f.lease[d.GetRangeId()] = d.GetReplicas()[k%len(d.GetReplicas())].GetReplicaId()
}

// relocate moves the range at index i to the given nodes (new replica IDs
// for new nodes, generation + 1) with the lease on the first.
func (f *fixture) relocate(i int, nodes []uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := proto.Clone(f.descs[i]).(*kvpb.RangeDescriptor)
	var reps []*kvpb.ReplicaDescriptor
	for _, n := range nodes {
		var rep *kvpb.ReplicaDescriptor
		for _, r := range d.GetReplicas() {
			if r.GetNodeId() == n {
				rep = r
			}
		}
		if rep == nil {
			rep = &kvpb.ReplicaDescriptor{NodeId: n, StoreId: n, ReplicaId: d.GetNextReplicaId()}
			d.NextReplicaId++
		}
		reps = append(reps, rep)
	}
	d.Replicas, d.Generation = reps, d.GetGeneration()+1
	f.lease[d.GetRangeId()] = reps[0].GetReplicaId()
	f.descs[i] = d
	f.writeMetaLocked(nil)
}

func (f *fixture) numRanges() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.descs)
}

// BatchParts implements kvpb.InternalServer as a real node does.
func (n *fakeNode) BatchParts(ctx context.Context, req *kvpb.BatchPartsRequest) (*kvpb.BatchPartsResponse, error) {
	if n.down.Load() {
		return nil, status.Error(codes.Unavailable, "node is down")
	}
	n.f.partsRPCs.Add(1)
	return kvpb.EvalParts(ctx, req, n.Batch)
}

// Batch implements kvpb.InternalServer. Routing checks and writes run
// under the fixture's lock; read-only batches evaluate outside it.
func (n *fakeNode) Batch(_ context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	if n.down.Load() {
		return nil, status.Error(codes.Unavailable, "node is down")
	}
	f := n.f
	f.batches.Add(1)
	f.mu.Lock()
	locked := true
	defer func() {
		if locked {
			f.mu.Unlock()
		}
	}()
	fail := func(err error) (*kvpb.BatchResponse, error) {
		return &kvpb.BatchResponse{Error: kvpb.NewError(err)}, nil
	}
	var d *kvpb.RangeDescriptor
	for _, x := range f.descs {
		if x.GetRangeId() == ba.GetHeader().GetRangeId() {
			d = x
		}
	}
	var me *kvpb.ReplicaDescriptor
	if d != nil {
		for _, r := range d.GetReplicas() {
			if r.GetNodeId() == n.id {
				me = r
			}
		}
	}
	if me == nil {
		return fail(&kvpb.RangeNotFoundError{RangeId: ba.GetHeader().GetRangeId(), StoreId: n.id})
	}
	if lh := f.lease[d.GetRangeId()]; lh != me.GetReplicaId() {
		hint, _ := d.ReplicaByID(kvpb.ReplicaID(lh))
		return fail(&kvpb.NotLeaseholderError{RangeId: d.GetRangeId(), Replica: me, Leaseholder: hint})
	}
	for _, r := range ba.GetRequests() {
		s, _, err := requestSpan(r)
		if err != nil {
			return fail(err)
		}
		if !d.ContainsSpan(s.key, s.end) {
			var overlapping []*kvpb.RangeDescriptor
			end := s.end
			if end == nil {
				end = keys.Next(s.key)
			}
			for _, x := range f.descs {
				if bytes.Compare(x.GetStartKey(), end) < 0 && bytes.Compare(s.key, x.GetEndKey()) < 0 {
					overlapping = append(overlapping, x)
				}
			}
			f.mismatches.Add(1)
			return fail(&kvpb.RangeKeyMismatchError{RequestStartKey: s.key, RequestEndKey: s.end, Ranges: overlapping})
		}
	}
	if u := f.uncertainAt.Load(); u != nil {
		for _, r := range ba.GetRequests() {
			s, _, _ := requestSpan(r)
			if bytes.Equal(s.key, *u) || s.end != nil && bytes.Compare(s.key, *u) <= 0 && bytes.Compare(*u, s.end) < 0 {
				f.uncertainHits.Add(1)
				return fail(&kvpb.ReadWithinUncertaintyIntervalError{Key: *u})
			}
		}
	}
	ts := f.clock.Now()
	if ba.IsReadOnly() {
		// Reads evaluate concurrently, as on real nodes: every write with
		// a lower timestamp has committed (writes commit under mu).
		f.mu.Unlock()
		locked = false
	}
	b := f.eng.NewBatch()
	defer b.Close()
	br := &kvpb.BatchResponse{Timestamp: kvpb.TS(ts)}
	for _, r := range ba.GetRequests() {
		resp, err := batcheval.Evaluate(batcheval.Args{RW: b, Timestamp: ts}, r)
		if err != nil {
			return fail(err)
		}
		br.Responses = append(br.Responses, resp)
	}
	if err := b.Commit(false); err != nil {
		return fail(err)
	}
	return br, nil
}
