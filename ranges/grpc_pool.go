package ranges

import (
	"math/bits"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/mem"
)

// bufferPool is the gRPC buffer pool of the raft and snapshot connections:
// one sync.Pool per power of two from 256 B to 16 MiB, buffers handed out
// without zeroing. gRPC's default pool zeroes every buffer it hands out
// up to its capacity and rounds a 256 KiB snapshot chunk up to a 1 MiB
// buffer, so it cleared 4 bytes per byte received (6% of a
// decommission's CPU). gRPC reads a message's full length into the
// buffer before using it, so no stale bytes are visible.
type bufferPool struct {
	pools [maxPoolShift - minPoolShift + 1]sync.Pool
}

const (
	minPoolShift = 8
	maxPoolShift = 24
)

var sharedBufferPool = &bufferPool{}

// Get implements mem.BufferPool.
func (p *bufferPool) Get(length int) *[]byte {
	shift := poolShift(length)
	if shift > maxPoolShift {
		b := make([]byte, length)
		return &b
	}
	if v, ok := p.pools[shift-minPoolShift].Get().(*[]byte); ok {
		*v = (*v)[:length]
		return v
	}
	b := make([]byte, length, 1<<shift)
	return &b
}

// Put implements mem.BufferPool.
func (p *bufferPool) Put(b *[]byte) {
	c := cap(*b)
	if c < 1<<minPoolShift || c > 1<<maxPoolShift || c&(c-1) != 0 {
		return // not one of ours (or not a power of two): let the GC have it
	}
	p.pools[bits.Len(uint(c))-1-minPoolShift].Put(b)
}

// poolShift is the smallest shift >= minPoolShift with 1<<shift >= n.
func poolShift(n int) int {
	if n <= 1<<minPoolShift {
		return minPoolShift
	}
	return bits.Len(uint(n - 1))
}

var _ mem.BufferPool = (*bufferPool)(nil)

// Static HTTP/2 flow-control windows for the raft and snapshot
// connections. With gRPC's default dynamic window (BDP estimation) every
// data frame that arrives while no estimation ping is outstanding makes
// the receiver send a connection WINDOW_UPDATE and a PING, and the sender
// answer the PING: on an idle-ish raft stream (one small MsgApp or
// MsgAppResp at a time) that is two extra writes and two extra reads per
// raft message, a third of the leader's gRPC socket writes at one
// connection. With static windows a receiver only returns window once a
// quarter of it is consumed. The sizes are large enough that a 2 MiB
// raft batch or a snapshot chunk never waits for window on a local
// network.
const (
	StreamWindowBytes = 2 << 20
	ConnWindowBytes   = 16 << 20
)

// TransportIOBufferBytes is the size of the socket read and write
// buffers of the raft and snapshot connections (gRPC's default is 32
// KiB): a snapshot chunk is read and written in a few system calls
// instead of one per 16 KiB frame or two. gRPC flushes its write buffer
// whenever it has nothing more queued, so small raft messages do not wait
// for it to fill.
const TransportIOBufferBytes = 256 << 10

// GRPCServerOptions are the options a gRPC server carrying this
// transport's traffic (raft messages, snapshots) should use.
func GRPCServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{experimental.BufferPool(sharedBufferPool),
		grpc.StaticStreamWindowSize(StreamWindowBytes), grpc.StaticConnWindowSize(ConnWindowBytes),
		grpc.WriteBufferSize(TransportIOBufferBytes), grpc.ReadBufferSize(TransportIOBufferBytes)}
}

func grpcDialOptions() []grpc.DialOption {
	return []grpc.DialOption{experimental.WithBufferPool(sharedBufferPool),
		grpc.WithStaticStreamWindowSize(StreamWindowBytes), grpc.WithStaticConnWindowSize(ConnWindowBytes),
		grpc.WithWriteBufferSize(TransportIOBufferBytes), grpc.WithReadBufferSize(TransportIOBufferBytes),
		grpc.WithDefaultCallOptions(grpc.CallContentSubtype(transportCodecName))}
}
