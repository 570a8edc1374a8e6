package ranges

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// InternalServer serves the kvpb.Internal gRPC service for one Store:
// Batch, RaftMessages and RaftSnapshot. Register it with
// kvpb.RegisterInternalServer(grpcServer, ranges.NewInternalServer(store)).
type InternalServer struct {
	kvpb.UnimplementedInternalServer
	store *Store
}

// NewInternalServer returns the Internal service of s.
func NewInternalServer(s *Store) *InternalServer { return &InternalServer{store: s} }

// Batch implements kvpb.InternalServer. Request errors travel in the
// response (BatchResponse.Error), not as gRPC errors.
func (s *InternalServer) Batch(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	br, err := s.store.Send(ctx, ba)
	if err != nil {
		return &kvpb.BatchResponse{Error: kvpb.NewError(err), Now: kvpb.TS(s.store.Clock().Now())}, nil
	}
	return br, nil
}

// BatchParts implements kvpb.InternalServer: each part is answered as
// Batch answers it.
func (s *InternalServer) BatchParts(ctx context.Context, req *kvpb.BatchPartsRequest) (*kvpb.BatchPartsResponse, error) {
	return kvpb.EvalParts(ctx, req, s.Batch)
}

// RaftMessages implements kvpb.InternalServer.
func (s *InternalServer) RaftMessages(stream grpc.BidiStreamingServer[kvpb.RaftMessageBatch, kvpb.RaftMessageResponse]) error {
	ctx := stream.Context()
	for {
		b, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		for _, resp := range s.store.HandleRaftBatch(ctx, b) {
			if err := stream.Send(resp); err != nil {
				return err
			}
		}
	}
}

// RaftSnapshot implements kvpb.InternalServer.
func (s *InternalServer) RaftSnapshot(stream grpc.ClientStreamingServer[kvpb.SnapshotChunk, kvpb.SnapshotResponse]) error {
	var recv SnapshotReceiver = stream
	if usesTransportCodec(stream.Context()) {
		fr := &frameReceiver{s: stream}
		defer fr.release()
		recv = fr
	}
	resp, err := s.store.HandleSnapshot(stream.Context(), recv)
	if err != nil {
		resp = &kvpb.SnapshotResponse{Status: kvpb.SnapshotResponse_ERROR, Message: err.Error(), Error: kvpb.NewError(err)}
	}
	return stream.SendAndClose(resp)
}
