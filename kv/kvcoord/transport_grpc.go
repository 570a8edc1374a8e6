package kvcoord

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tesseradb/tessera/kv/kvpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// NodeResolver returns the RPC address of a node.
type NodeResolver func(ctx context.Context, node kvpb.NodeID) (string, error)

// ErrTransportClosed is returned by a GRPCTransport used after Close.
var ErrTransportClosed = errors.New("kvcoord: transport closed")

// SendError is a batch RPC that failed in the transport (connection
// refused or broken, deadline). Sent is false only when the request
// certainly never left this process (the connection was not up and gRPC
// failed fast), so that a non-idempotent write may be retried elsewhere;
// otherwise the outcome is unknown.
type SendError struct {
	Addr string
	Sent bool
	Err  error
}

func (e *SendError) Error() string { return fmt.Sprintf("rpc to %s: %v", e.Addr, e.Err) }
func (e *SendError) Unwrap() error { return e.Err }

// maybeSent reports whether a transport error may hide an applied batch.
// Errors of unknown origin count as sent.
func maybeSent(err error) bool {
	var se *SendError
	if errors.As(err, &se) {
		return se.Sent
	}
	return true
}

// GRPCTransport sends batches with the Internal.Batch RPC, one pooled
// connection per node address. It is the only connection pool of the kv
// client: admin RPCs use Conn.
type GRPCTransport struct {
	resolve NodeResolver
	opts    []grpc.DialOption

	mu struct {
		sync.Mutex
		conns  map[string]*grpc.ClientConn
		closed bool
	}
}

// NewGRPCTransport returns a transport dialing nodes found by resolve.
// Extra dial options (interceptors, credentials) are appended; without
// credentials it dials insecurely.
func NewGRPCTransport(resolve NodeResolver, opts ...grpc.DialOption) *GRPCTransport {
	t := &GRPCTransport{resolve: resolve}
	// Static flow-control windows: gRPC's dynamic window makes both ends
	// exchange a WINDOW_UPDATE + PING and its ack for nearly every small
	// RPC (two socket writes and reads each way); see ranges'
	// GRPCServerOptions, which the server side uses.
	t.opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStaticStreamWindowSize(2 << 20), grpc.WithStaticConnWindowSize(16 << 20)}, opts...)
	t.mu.conns = map[string]*grpc.ClientConn{}
	return t
}

// SendTo implements Transport. A failed RPC comes back as *SendError.
func (t *GRPCTransport) SendTo(ctx context.Context, rep *kvpb.ReplicaDescriptor, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	addr, err := t.resolve(ctx, kvpb.NodeID(rep.GetNodeId()))
	if err != nil {
		return nil, &SendError{Addr: fmt.Sprintf("n%d", rep.GetNodeId()), Err: fmt.Errorf("resolving n%d: %w", rep.GetNodeId(), err)}
	}
	conn, err := t.Conn(addr)
	if err != nil {
		return nil, &SendError{Addr: addr, Err: err}
	}
	before := conn.GetState()
	br, err := kvpb.NewInternalClient(conn).Batch(ctx, ba)
	if err != nil {
		sent := before == connectivity.Ready || status.Code(err) != codes.Unavailable
		return nil, &SendError{Addr: addr, Sent: sent, Err: err}
	}
	return br, nil
}

// Conn returns the pooled connection to addr, creating it (without
// blocking: grpc.NewClient connects lazily) if needed.
func (t *GRPCTransport) Conn(addr string) (*grpc.ClientConn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.closed {
		return nil, ErrTransportClosed
	}
	if c, ok := t.mu.conns[addr]; ok {
		return c, nil
	}
	c, err := grpc.NewClient(addr, t.opts...)
	if err != nil {
		return nil, fmt.Errorf("kvcoord: dialing %s: %w", addr, err)
	}
	t.mu.conns[addr] = c
	return c, nil
}

// Close closes every pooled connection; later sends fail with
// ErrTransportClosed.
func (t *GRPCTransport) Close() {
	t.mu.Lock()
	conns := t.mu.conns
	t.mu.conns = map[string]*grpc.ClientConn{}
	t.mu.closed = true
	t.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// LocalTransport serves batches for replicas on this process's own node
// without an RPC (the local fast path of a node's kv client). served is
// false when it cannot serve rep (another node, store not running); the
// batch then goes over the network as usual. A served batch must behave
// as if sent over gRPC: ba and the response are not shared with the caller
// beyond the call, and the handler sees the caller's outgoing metadata as
// incoming. A served batch that failed (err) may have been applied.
type LocalTransport interface {
	SendLocal(ctx context.Context, rep *kvpb.ReplicaDescriptor, ba *kvpb.BatchRequest) (br *kvpb.BatchResponse, served bool, err error)
}

// LocalFirst returns a Transport that tries local first and then next.
// A batch local served is never sent to next: a failure comes back as a
// SendError that counts as sent (the DistSender does not resend a
// non-idempotent batch whose outcome is unknown).
func LocalFirst(local LocalTransport, next Transport) Transport {
	return localFirst{local: local, next: next}
}

type localFirst struct {
	local LocalTransport
	next  Transport
}

func (t localFirst) SendTo(ctx context.Context, rep *kvpb.ReplicaDescriptor, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	br, served, err := t.local.SendLocal(ctx, rep, ba)
	if !served {
		return t.next.SendTo(ctx, rep, ba)
	}
	if err != nil {
		return nil, &SendError{Addr: fmt.Sprintf("n%d (in process)", rep.GetNodeId()), Sent: true, Err: err}
	}
	return br, nil
}
