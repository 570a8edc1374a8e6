package server

import (
	"context"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges"
)

// internalServer serves kvpb.Internal: ranges' implementation once the
// store runs; before that, batches get an UnavailableError (retryable on
// another node) and raft streams are refused.
type internalServer struct {
	kvpb.UnimplementedInternalServer
	s *Server
}

func (i *internalServer) delegate() *ranges.InternalServer {
	if st := i.s.store(); st != nil {
		return ranges.NewInternalServer(st)
	}
	return nil
}

func (i *internalServer) Batch(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	if err := i.s.clockMon.err(); err != nil {
		return &kvpb.BatchResponse{
			Error: kvpb.NewError(&kvpb.UnavailableError{RangeId: ba.GetHeader().GetRangeId(), Reason: "node refuses to serve: " + err.Error()}),
			Now:   kvpb.TS(i.s.clock.Now()),
		}, nil
	}
	if d := i.delegate(); d != nil {
		br, err := d.Batch(ctx, ba)
		if err != nil || br.GetError().GetNotLeaseholder() == nil || isForwarded(ctx) {
			return br, err
		}
		return i.s.forward(ctx, ba, br), nil
	}
	return &kvpb.BatchResponse{
		Error: kvpb.NewError(&kvpb.UnavailableError{RangeId: ba.GetHeader().GetRangeId(), Reason: "node not part of an initialized cluster yet"}),
		Now:   kvpb.TS(i.s.clock.Now()),
	}, nil
}

// BatchParts answers each part as Batch does (clock check, forwarding of
// a part that got NotLeaseholder here included).
func (i *internalServer) BatchParts(ctx context.Context, req *kvpb.BatchPartsRequest) (*kvpb.BatchPartsResponse, error) {
	return kvpb.EvalParts(ctx, req, i.Batch)
}

func (i *internalServer) RaftMessages(stream grpc.BidiStreamingServer[kvpb.RaftMessageBatch, kvpb.RaftMessageResponse]) error {
	if d := i.delegate(); d != nil {
		return d.RaftMessages(stream)
	}
	return status.Error(codes.Unavailable, "node not running yet")
}

func (i *internalServer) RaftSnapshot(stream grpc.ClientStreamingServer[kvpb.SnapshotChunk, kvpb.SnapshotResponse]) error {
	if d := i.delegate(); d != nil {
		return d.RaftSnapshot(stream)
	}
	return status.Error(codes.Unavailable, "node not running yet")
}

// forwardedKey marks a batch forwarded by a node, so it is never
// forwarded twice.
const forwardedKey = "tessera-forwarded"

func isForwarded(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	return len(md.Get(forwardedKey)) > 0
}

// unforwarded drops the forwarded mark from ctx: for the calls a
// forwarded command makes itself, which must be routed (and may be
// forwarded) like any other. Without it, a merge forwarded to the left
// range's leaseholder moved the right range's lease by running the
// transfer on its own store, which does not hold that lease: NotLeaseholder
// on every attempt, and the merge hung until its deadline.
func unforwarded(ctx context.Context) context.Context {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok || len(md.Get(forwardedKey)) == 0 {
		return ctx
	}
	md = md.Copy()
	md.Delete(forwardedKey)
	return metadata.NewIncomingContext(ctx, md)
}

// forward sends a batch that got NotLeaseholder here to the leaseholder
// the error names, once, so that clients that cannot reach every node (a
// host talking to a compose network through one published port) are
// served anyway. It returns the leaseholder's answer, or the original one
// when the leaseholder is unknown or is this node. A write whose forward
// broke in flight is ambiguous.
func (s *Server) forward(ctx context.Context, ba *kvpb.BatchRequest, br *kvpb.BatchResponse) *kvpb.BatchResponse {
	lh := br.GetError().GetNotLeaseholder().GetLeaseholder()
	if lh == nil || lh.NodeID() == s.NodeID() {
		return br
	}
	addr, err := s.book.lookup(lh.NodeID())
	if err != nil {
		return br
	}
	conn, err := s.peers.Conn(addr)
	if err != nil {
		return br
	}
	before := conn.GetState()
	fctx := metadata.AppendToOutgoingContext(ctx, forwardedKey, "1")
	fbr, err := kvpb.NewInternalClient(conn).Batch(fctx, ba)
	if err == nil {
		return fbr
	}
	if !ba.IsReadOnly() && before == connectivity.Ready {
		return &kvpb.BatchResponse{
			Error: kvpb.NewError(&kvpb.AmbiguousResultError{RangeId: ba.GetHeader().GetRangeId(), Reason: "forwarding to the leaseholder failed: " + err.Error()}),
			Now:   kvpb.TS(s.clock.Now()),
		}
	}
	return br
}

// localBatches is the node's kv client's local fast path: a batch for a
// replica on this node is served by internalServer.Batch in process,
// without gRPC, loopback TCP and the HTTP/2 framing (a third of the
// gateway's CPU for a point SELECT). It behaves as the RPC would:
//   - the request and the response are copied, as marshalling would copy
//     them, so neither side sees the other mutate what it holds (the
//     DistSender resends ba; the store may keep pieces of ba or br, e.g. a
//     transaction record); except a batch of non-locking reads, which the
//     store neither mutates nor keeps (nonLockingReads), and its
//     successful response, built from fresh memory;
//   - the handler sees the metadata the caller would send (its outgoing
//     metadata) as incoming, not the caller's own incoming metadata: a
//     request made while serving a forwarded RPC (an intent resolution
//     during a forwarded batch) is not itself "forwarded", and nothing of
//     an outer RPC leaks into this one;
//   - an error from the handler is a transport error that may hide an
//     applied batch (kvcoord.SendError with Sent), never a cue to send the
//     same batch again over gRPC: a non-idempotent batch must not be
//     applied twice. The HLC needs no exchange: caller and handler share
//     this node's clock.
type localBatches struct{ s *Server }

func (l localBatches) SendLocal(ctx context.Context, rep *kvpb.ReplicaDescriptor, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, bool, error) {
	if !l.s.servesLocally(kvpb.NodeID(rep.GetNodeId())) {
		return nil, false, nil
	}
	out, _ := metadata.FromOutgoingContext(ctx)
	ictx := ctx
	if in, _ := metadata.FromIncomingContext(ctx); len(out) > 0 || len(in) > 0 {
		// (Without metadata either way the caller's context is already what
		// the handler would see: no outgoing metadata, none incoming.)
		ictx = metadata.NewIncomingContext(metadata.NewOutgoingContext(ctx, nil), out.Copy())
	}
	// The sender is this node's DistSender, which reads this node's clock
	// (server.go: s.kv): carrying its reading to the store (Clock.Update)
	// and the store's back (Clock.Now, then Update again in the
	// DistSender) would ratchet one clock against itself. A batch without
	// Now gets no Now back (Store.Send). The request is the DistSender's
	// own for this attempt; its Now is put back before returning.
	now := ba.Now
	ba.Now = nil
	req := ba
	if !nonLockingReads(ba) {
		req = kvpb.CloneBatch(ba)
	}
	br, err := (&internalServer{s: l.s}).Batch(ictx, req)
	ba.Now = now
	if err == nil && br == nil {
		err = errors.New("server: local batch returned no response")
	}
	if err != nil {
		return nil, true, err
	}
	if br.GetError() == nil && plainReads(ba) {
		// A successful Get/Scan response is built from fresh memory only:
		// values copied out of the engine (MVCCGet copies, scans copy into
		// their own slab), timestamps allocated for it, the txn cloned
		// from the request copy above (Replica.sendOnce clones it again),
		// and nothing of it is kept by the store. So it is handed over as
		// is (the copy was 8% of a point SELECT's gateway CPU). Errors
		// and every other request are still copied: an error may point
		// at the replica's own descriptors, a push at a txn record.
		return br, true, nil
	}
	return kvpb.CloneBatchResponse(br), true, nil
}

// nonLockingReads reports whether ba holds only Get, Scan and ReverseScan
// requests that take no lock. Such a batch is handed to the store without
// the copy marshalling would make: the store neither mutates a request
// (Replica.sendOnce evaluates with its own clone of the txn) nor keeps any
// of it past its return — the timestamp cache and the load samples copy
// the keys they keep, latches and lock-table waits end before the batch
// returns, and MVCCGet/MVCCScan copy what they return (resume spans
// included). A locking read is still copied: its keys become locks.
// TestLocalFastPathDoesNotMutateReads checks the request is unchanged.
func nonLockingReads(ba *kvpb.BatchRequest) bool {
	if !plainReads(ba) {
		return false
	}
	for _, r := range ba.GetRequests() {
		if r.IsLockingRead() {
			return false
		}
	}
	return true
}

// plainReads reports whether ba holds only Get, Scan and ReverseScan.
func plainReads(ba *kvpb.BatchRequest) bool {
	if len(ba.GetRequests()) == 0 {
		return false
	}
	for _, r := range ba.GetRequests() {
		switch r.GetValue().(type) {
		case *kvpb.RequestUnion_Get, *kvpb.RequestUnion_Scan, *kvpb.RequestUnion_ReverseScan:
		default:
			return false
		}
	}
	return true
}

// servesLocally reports whether node is this node and its store runs.
func (s *Server) servesLocally(node kvpb.NodeID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return node != 0 && s.mu.state == stateRunning && kvpb.NodeID(s.mu.ident.GetNodeId()) == node
}
