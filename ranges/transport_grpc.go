package ranges

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// GRPCTransportConfig configures NewGRPCTransport.
type GRPCTransportConfig struct {
	// NodeID is the local node.
	NodeID kvpb.NodeID
	// Resolver gives the address of a peer node.
	Resolver Resolver
	// DialOptions are added to the defaults (insecure credentials).
	DialOptions []grpc.DialOption
	// QueueSize is the number of batches queued per peer before dropping
	// (default 1024).
	QueueSize int
	Logger    *slog.Logger
}

// GRPCTransport is the production Transport: one long-lived RaftMessages
// stream per peer node, fed by a per-peer queue, so every message a node
// sends another shares one stream (coalesced per peer). Connections are
// dialed lazily and re-dialed after failures.
type GRPCTransport struct {
	cfg GRPCTransportConfig

	mu struct {
		sync.Mutex
		peers  map[kvpb.NodeID]*grpcPeer
		conns  map[kvpb.NodeID]*grpc.ClientConn
		onResp func(*kvpb.RaftMessageResponse)
		closed bool
	}
	stopper chan struct{}
	wg      sync.WaitGroup

	// sent / queuedNanos: batches handed to a peer's stream, and their
	// total time from Send to that hand-off (QueueStats).
	sent        atomic.Int64
	queuedNanos atomic.Int64
}

// queuedBatch is a batch waiting in a peer's queue since at.
type queuedBatch struct {
	b  *kvpb.RaftMessageBatch
	at time.Time
}

var _ Transport = (*GRPCTransport)(nil)

type grpcPeer struct {
	id    kvpb.NodeID
	queue chan queuedBatch
}

// NewGRPCTransport returns a transport dialing peers found by cfg.Resolver.
func NewGRPCTransport(cfg GRPCTransportConfig) *GRPCTransport {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	t := &GRPCTransport{cfg: cfg, stopper: make(chan struct{})}
	t.mu.peers = map[kvpb.NodeID]*grpcPeer{}
	t.mu.conns = map[kvpb.NodeID]*grpc.ClientConn{}
	return t
}

// SetResponseHandler implements Transport.
func (t *GRPCTransport) SetResponseHandler(f func(*kvpb.RaftMessageResponse)) {
	t.mu.Lock()
	t.mu.onResp = f
	t.mu.Unlock()
}

// Send implements Transport.
func (t *GRPCTransport) Send(to kvpb.NodeID, b *kvpb.RaftMessageBatch) {
	t.mu.Lock()
	if t.mu.closed {
		t.mu.Unlock()
		return
	}
	p, ok := t.mu.peers[to]
	if !ok {
		p = &grpcPeer{id: to, queue: make(chan queuedBatch, t.cfg.QueueSize)}
		t.mu.peers[to] = p
		t.wg.Add(1)
		go t.runPeer(p)
	}
	t.mu.Unlock()
	select {
	case p.queue <- queuedBatch{b: b, at: time.Now()}:
	default: // queue full: drop, raft retries.
	}
}

// QueueStats implements TransportStats.
func (t *GRPCTransport) QueueStats() (int64, time.Duration) {
	return t.sent.Load(), time.Duration(t.queuedNanos.Load())
}

// conn returns (dialing if needed) the connection to node id.
func (t *GRPCTransport) conn(id kvpb.NodeID) (*grpc.ClientConn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.closed {
		return nil, fmt.Errorf("%w: transport closed", ErrNodeUnreachable)
	}
	if c, ok := t.mu.conns[id]; ok {
		return c, nil
	}
	addr, err := t.cfg.Resolver(id)
	if err != nil {
		return nil, fmt.Errorf("%w: resolving %s: %w", ErrNodeUnreachable, id, err)
	}
	opts := append(append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, grpcDialOptions()...), t.cfg.DialOptions...)
	c, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s at %s: %w", ErrNodeUnreachable, id, addr, err)
	}
	t.mu.conns[id] = c
	return c, nil
}

// dropConn forgets a connection after a failure so the next attempt
// re-resolves the address (a restarted node may have moved).
func (t *GRPCTransport) dropConn(id kvpb.NodeID, c *grpc.ClientConn) {
	t.mu.Lock()
	if t.mu.conns[id] == c {
		delete(t.mu.conns, id)
		_ = c.Close()
	}
	t.mu.Unlock()
}

func (t *GRPCTransport) runPeer(p *grpcPeer) {
	defer t.wg.Done()
	backoff := 10 * time.Millisecond
	for {
		select {
		case <-t.stopper:
			return
		default:
		}
		sent, err := t.streamTo(p)
		if sent {
			backoff = 10 * time.Millisecond // the peer was reachable: retry soon
		}
		if err != nil {
			t.cfg.Logger.Debug("raft transport stream ended", "peer", p.id, "err", err)
		}
		// Drop what queued up while the stream was down: raft resends.
	drain:
		for {
			select {
			case <-p.queue:
			default:
				break drain
			}
		}
		select {
		case <-t.stopper:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
}

// streamTo runs one RaftMessages stream to the peer until it fails; sent
// reports whether any batch went out on it.
func (t *GRPCTransport) streamTo(p *grpcPeer) (sent bool, err error) {
	// Wait for something to send before dialing.
	var first queuedBatch
	select {
	case <-t.stopper:
		return false, nil
	case first = <-p.queue:
	}
	c, err := t.conn(p.id)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-t.stopper:
			cancel()
		case <-ctx.Done():
		}
	}()
	stream, err := kvpb.NewInternalClient(c).RaftMessages(ctx)
	if err != nil {
		t.dropConn(p.id, c)
		return false, err
	}
	recvDone := make(chan error, 1)
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				recvDone <- err
				return
			}
			t.mu.Lock()
			f := t.mu.onResp
			t.mu.Unlock()
			if f != nil {
				f(resp)
			}
		}
	}()
	q := first
	for {
		t.sent.Add(1)
		t.queuedNanos.Add(int64(time.Since(q.at)))
		if err := stream.Send(q.b); err != nil {
			t.dropConn(p.id, c)
			return sent, err
		}
		sent = true
		select {
		case <-t.stopper:
			return sent, nil
		case err := <-recvDone:
			t.dropConn(p.id, c)
			return sent, err
		case q = <-p.queue:
		}
	}
}

type grpcSnapshotStream struct {
	s      grpc.ClientStreamingClient[kvpb.SnapshotChunk, kvpb.SnapshotResponse]
	cancel context.CancelFunc
}

func (g *grpcSnapshotStream) Send(c *kvpb.SnapshotChunk) error { return g.s.Send(c) }

// SendSealed implements sealedChunkSender: the connection's codec is
// transportCodec (grpcDialOptions), which sends the buffer as it is.
func (g *grpcSnapshotStream) SendSealed(c *sealedChunk) error { return g.s.SendMsg(c) }
func (g *grpcSnapshotStream) CloseAndRecv() (*kvpb.SnapshotResponse, error) {
	defer g.cancel()
	return g.s.CloseAndRecv()
}

// OpenSnapshot implements Transport.
func (t *GRPCTransport) OpenSnapshot(ctx context.Context, to kvpb.NodeID) (SnapshotStream, error) {
	c, err := t.conn(to)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s, err := kvpb.NewInternalClient(c).RaftSnapshot(ctx)
	if err != nil {
		cancel()
		t.dropConn(to, c)
		return nil, fmt.Errorf("%w: snapshot stream to %s: %w", ErrNodeUnreachable, to, err)
	}
	return &grpcSnapshotStream{s: s, cancel: cancel}, nil
}

// Close implements Transport.
func (t *GRPCTransport) Close() {
	t.mu.Lock()
	if t.mu.closed {
		t.mu.Unlock()
		return
	}
	t.mu.closed = true
	close(t.stopper)
	conns := t.mu.conns
	t.mu.conns = map[kvpb.NodeID]*grpc.ClientConn{}
	t.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	t.wg.Wait()
}
