package kvclient

import (
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// connPool keeps one gRPC client connection per node address. gRPC
// reconnects a connection by itself, so a connection is dialled once and
// kept until Close.
type connPool struct {
	dialOpts []grpc.DialOption

	mu struct {
		sync.Mutex
		conns  map[string]*grpc.ClientConn
		closed bool
	}
}

func newConnPool(opts ...grpc.DialOption) *connPool {
	p := &connPool{dialOpts: append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}, opts...)}
	p.mu.conns = map[string]*grpc.ClientConn{}
	return p
}

// get returns the connection to addr, creating it (without blocking on
// the network: grpc.NewClient connects lazily) if needed.
func (p *connPool) get(addr string) (*grpc.ClientConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.closed {
		return nil, ErrClosed
	}
	if c, ok := p.mu.conns[addr]; ok {
		return c, nil
	}
	c, err := grpc.NewClient(addr, p.dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("kvclient: dial %s: %w", addr, err)
	}
	p.mu.conns[addr] = c
	return c, nil
}

func (p *connPool) close() {
	p.mu.Lock()
	conns := p.mu.conns
	p.mu.conns = nil
	p.mu.closed = true
	p.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}
