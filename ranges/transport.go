package ranges

import (
	"context"
	"errors"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// Transport is the outbound half of the Raft transport of one node: it
// carries RaftMessageBatches and snapshots to other nodes. The inbound half
// is the Store itself (HandleRaftBatch, HandleSnapshot), reached through the
// gRPC Internal service (NewInternalServer) or a MemNetwork.
//
// Send never blocks on the network: a batch that cannot be queued (peer
// unknown, queue full, connection down) is dropped, which Raft tolerates.
// Implementations are safe for concurrent use.
type Transport interface {
	// Send queues b for delivery to node to.
	Send(to kvpb.NodeID, b *kvpb.RaftMessageBatch)
	// OpenSnapshot opens a snapshot stream to node to.
	OpenSnapshot(ctx context.Context, to kvpb.NodeID) (SnapshotStream, error)
	// SetResponseHandler installs the function called with responses
	// peers send back (e.g. replica too old). Optional to honour.
	SetResponseHandler(func(*kvpb.RaftMessageResponse))
	// Close stops the transport's goroutines and connections.
	Close()
}

// SnapshotStream is the sending side of one snapshot.
type SnapshotStream interface {
	// Send sends one chunk. The caller may reuse the chunk and the bytes
	// it references once Send returns (the gRPC stream has marshalled it;
	// the in-memory transport hands the receiver a copy).
	Send(*kvpb.SnapshotChunk) error
	// CloseAndRecv ends the stream and waits for the receiver's verdict.
	CloseAndRecv() (*kvpb.SnapshotResponse, error)
}

// SnapshotReceiver is the receiving side of one snapshot.
type SnapshotReceiver interface {
	// Recv returns the next chunk. The chunk's data may alias a buffer
	// of the transport that the next Recv reuses: the caller must be done
	// with it (or copy what it keeps) before calling Recv again.
	Recv() (*kvpb.SnapshotChunk, error)
}

// RaftHandler is what a transport delivers to: a Store.
type RaftHandler interface {
	HandleRaftBatch(ctx context.Context, b *kvpb.RaftMessageBatch) []*kvpb.RaftMessageResponse
	HandleSnapshot(ctx context.Context, stream SnapshotReceiver) (*kvpb.SnapshotResponse, error)
}

// Resolver returns the RPC address of a node.
type Resolver func(kvpb.NodeID) (string, error)

// ErrNodeUnreachable is returned when a node cannot be reached.
var ErrNodeUnreachable = errors.New("ranges: node unreachable")
