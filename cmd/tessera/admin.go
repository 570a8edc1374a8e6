package main

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// adminCall runs an Admin RPC against the node at addr, retrying while
// the node is unreachable or not ready (codes.Unavailable) until ctx ends.
func adminCall[T any](ctx context.Context, addr string, call func(context.Context, kvpb.AdminClient) (T, error)) (T, error) {
	var zero T
	c, err := kvclient.NewDB(kvclient.Config{Addrs: []string{addr}})
	if err != nil {
		return zero, err
	}
	defer c.Close()
	conn, err := c.Conn(addr)
	if err != nil {
		return zero, err
	}
	client := kvpb.NewAdminClient(conn)
	wait := 20 * time.Millisecond
	var lastErr error
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		resp, err := call(actx, client)
		cancel()
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if status.Code(err) != codes.Unavailable && status.Code(err) != codes.DeadlineExceeded || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		wait = min(2*wait, 500*time.Millisecond)
	}
	if ctx.Err() != nil {
		return zero, fmt.Errorf("%w: %s did not answer before the deadline: %w", kvclient.ErrUnavailable, addr, grpcErr(lastErr))
	}
	return zero, grpcErr(lastErr)
}

// grpcErr makes a gRPC status error readable: its message, with the code
// name kept for context.
func grpcErr(err error) error {
	if st, ok := status.FromError(err); ok && err != nil {
		return &rpcError{code: st.Code(), msg: st.Message()}
	}
	return err
}

type rpcError struct {
	code codes.Code
	msg  string
}

func (e *rpcError) Error() string { return fmt.Sprintf("%s (%s)", e.msg, e.code) }

// Is maps status codes onto the CLI's sentinel errors.
func (e *rpcError) Is(target error) bool {
	return target == errAlreadyInitialized && e.code == codes.AlreadyExists
}
