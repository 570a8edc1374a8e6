package server

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
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
	if d := i.delegate(); d != nil {
		return d.Batch(ctx, ba)
	}
	return &kvpb.BatchResponse{
		Error: kvpb.NewError(&kvpb.UnavailableError{RangeId: ba.GetHeader().GetRangeId(), Reason: "node not part of an initialized cluster yet"}),
		Now:   kvpb.TS(i.s.clock.Now()),
	}, nil
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
