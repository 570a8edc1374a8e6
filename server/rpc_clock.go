package server

import (
	"context"
	"errors"
	"strconv"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvclient"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// observeClock ratchets clock with the sender's HLC reading carried in the
// incoming metadata (if any) and sends this node's reading back in the
// response header. A sender more than the max offset ahead is refused.
func observeClock(ctx context.Context, clock *hlc.Clock) error {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		ts, present, err := kvclient.ClockFromMD(md)
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		if present {
			if err := clock.Update(ts); err != nil {
				var off *hlc.ClockOffsetError
				if errors.As(err, &off) {
					return status.Error(codes.FailedPrecondition, err.Error())
				}
				return status.Error(codes.Internal, err.Error())
			}
		}
	}
	// Best effort: a header can only be set once per call.
	md := kvclient.ClockMD(clock)
	md.Set(physicalMDKey, strconv.FormatInt(clock.PhysicalNow(), 10))
	_ = grpc.SetHeader(ctx, md)
	return nil
}

func clockUnaryServerInterceptor(clock *hlc.Clock) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := observeClock(ctx, clock); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

func clockStreamServerInterceptor(clock *hlc.Clock) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if md, ok := metadata.FromIncomingContext(ss.Context()); ok {
			if ts, present, err := kvclient.ClockFromMD(md); err != nil {
				return status.Error(codes.InvalidArgument, err.Error())
			} else if present {
				if err := clock.Update(ts); err != nil {
					return status.Error(codes.FailedPrecondition, err.Error())
				}
			}
		}
		return handler(srv, ss)
	}
}
