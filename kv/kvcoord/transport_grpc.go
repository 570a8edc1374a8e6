package kvcoord

import (
	"context"
	"fmt"
	"sync"

	"github.com/tesseradb/tessera/kv/kvpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// NodeResolver returns the RPC address of a node.
type NodeResolver func(ctx context.Context, node kvpb.NodeID) (string, error)

// GRPCTransport sends batches with the Internal.Batch RPC, one pooled
// connection per node address.
type GRPCTransport struct {
	resolve NodeResolver
	opts    []grpc.DialOption

	mu struct {
		sync.Mutex
		conns map[string]*grpc.ClientConn
	}
}

// NewGRPCTransport returns a transport dialing nodes found by resolve.
// Extra dial options (interceptors, credentials) are appended; without
// credentials it dials insecurely.
func NewGRPCTransport(resolve NodeResolver, opts ...grpc.DialOption) *GRPCTransport {
	t := &GRPCTransport{resolve: resolve}
	t.opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	t.mu.conns = map[string]*grpc.ClientConn{}
	return t
}

// SendTo implements Transport.
func (t *GRPCTransport) SendTo(ctx context.Context, rep *kvpb.ReplicaDescriptor, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	addr, err := t.resolve(ctx, kvpb.NodeID(rep.GetNodeId()))
	if err != nil {
		return nil, fmt.Errorf("kvcoord: resolving n%d: %w", rep.GetNodeId(), err)
	}
	conn, err := t.conn(addr)
	if err != nil {
		return nil, err
	}
	return kvpb.NewInternalClient(conn).Batch(ctx, ba)
}

func (t *GRPCTransport) conn(addr string) (*grpc.ClientConn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.mu.conns[addr]; ok {
		return c, nil
	}
	// NewClient does not connect; it cannot block.
	c, err := grpc.NewClient(addr, t.opts...)
	if err != nil {
		return nil, fmt.Errorf("kvcoord: dialing %s: %w", addr, err)
	}
	t.mu.conns[addr] = c
	return c, nil
}

// Close closes every pooled connection.
func (t *GRPCTransport) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for a, c := range t.mu.conns {
		_ = c.Close()
		delete(t.mu.conns, a)
	}
}
