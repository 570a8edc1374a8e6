package kvclient

import (
	"context"
	"fmt"

	"github.com/tesseradb/tessera/hlc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// ClockMetadataKey is the gRPC metadata key (binary, hence "-bin") under
// which a node sends its HLC reading with every RPC, both in the request
// metadata and in the response header. The value is hlc.Timestamp.Encode.
const ClockMetadataKey = "tessera-hlc-bin"

// ClockFromMD returns the timestamp carried in md, if any.
func ClockFromMD(md metadata.MD) (hlc.Timestamp, bool, error) {
	vals := md.Get(ClockMetadataKey)
	if len(vals) == 0 {
		return hlc.Timestamp{}, false, nil
	}
	ts, err := hlc.DecodeTimestamp([]byte(vals[len(vals)-1]))
	if err != nil {
		return hlc.Timestamp{}, false, fmt.Errorf("kvclient: bad %s metadata: %w", ClockMetadataKey, err)
	}
	return ts, true, nil
}

// ClockMD returns metadata carrying clock's current reading.
func ClockMD(clock *hlc.Clock) metadata.MD {
	return metadata.Pairs(ClockMetadataKey, string(clock.Now().Encode()))
}

// ClockUnaryInterceptor makes every unary RPC on a connection carry clock's
// reading and ratchet clock with the reading the server sends back. A
// server timestamp beyond the max offset fails the call with the
// *hlc.ClockOffsetError (the result of the RPC is then unknown to the
// caller: treat as ambiguous for non-idempotent writes).
func ClockUnaryInterceptor(clock *hlc.Clock) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx = metadata.AppendToOutgoingContext(ctx, ClockMetadataKey, string(clock.Now().Encode()))
		var header metadata.MD
		err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Header(&header))...)
		if ts, ok, derr := ClockFromMD(header); derr == nil && ok {
			if uerr := clock.Update(ts); uerr != nil && err == nil {
				err = uerr
			}
		}
		return err
	}
}

// ClockStreamInterceptor makes every stream carry clock's reading when it
// opens (streams carry metadata only at their start).
func ClockStreamInterceptor(clock *hlc.Clock) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		ctx = metadata.AppendToOutgoingContext(ctx, ClockMetadataKey, string(clock.Now().Encode()))
		return streamer(ctx, desc, cc, method, opts...)
	}
}

// ClockDialOptions returns the dial options that install both interceptors.
func ClockDialOptions(clock *hlc.Clock) []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(ClockUnaryInterceptor(clock)),
		grpc.WithChainStreamInterceptor(ClockStreamInterceptor(clock)),
	}
}
