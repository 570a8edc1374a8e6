package ranges

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// The raft connection protocol. A raft connection shares the node's RPC
// port with gRPC (RaftListener tells them apart by their first bytes): the
// dialer writes raftConnMagic, then frames of a 4-byte big-endian length
// and a marshalled RaftMessageBatch; the acceptor answers with frames of
// RaftMessageResponses. There is nothing else: no handshake, no
// acknowledgement (raft retries what is lost), and a connection that
// breaks is dropped with whatever was in flight.
const (
	raftConnMagic = "TSRAFT\x00\x01"
	// maxRaftFrame bounds one frame (batches are split at maxBatchBytes;
	// a single larger message, e.g. a big value, still goes alone).
	maxRaftFrame = 256 << 20
	// tcpPeerQueueBytes bounds the frames waiting for a peer's writer
	// goroutine; more are dropped.
	tcpPeerQueueBytes = 64 << 20
)

// TCPTransportConfig configures NewTCPTransport.
type TCPTransportConfig struct {
	// NodeID is the local node.
	NodeID kvpb.NodeID
	// Resolver gives the RPC address of a peer node (a RaftListener).
	Resolver Resolver
	// Snapshots carries snapshots (and is closed with the transport).
	Snapshots Transport
	// DialTimeout bounds one connection attempt (default 5 s).
	DialTimeout time.Duration
	// Dialer, if set, replaces net.Dialer (tests partition nodes there).
	Dialer func(ctx context.Context, addr string) (net.Conn, error)
	Logger *slog.Logger
}

// TCPTransport is the production Transport for raft messages: one raw
// framed TCP connection per peer node (on the peer's RPC port, see
// RaftListener), snapshots through Snapshots (gRPC).
//
// It keeps goroutine hand-offs off the write path (docs/benchmarks.md,
// insertlat7 and raftlean8): Send writes a batch to the peer's socket on
// the caller's goroutine (a raft cycle) when nothing is queued for that
// peer, with one non-blocking write, so a full socket buffer never blocks
// the cycle: what the socket did not take goes to the peer's writer
// goroutine, and later batches queue behind it. The receiving node's
// reading goroutine hands each batch straight to Store.HandleRaftBatch.
// The writer goroutine also dials (lazily, re-resolving the address each
// time, so a restarted node that moved is found) with a backoff of 10 ms
// doubling to 1 s.
type TCPTransport struct {
	cfg TCPTransportConfig

	mu struct {
		sync.Mutex
		peers  map[kvpb.NodeID]*tcpPeer
		closed bool
	}
	onResp  atomic.Pointer[func(*kvpb.RaftMessageResponse)]
	stopper chan struct{}
	wg      sync.WaitGroup

	// direct / queued count batches written on the caller's goroutine
	// and batches (or their rest) left to a writer goroutine.
	direct, queued atomic.Int64
	// sent / queuedNanos: see QueueStats.
	sent        atomic.Int64
	queuedNanos atomic.Int64
}

var _ Transport = (*TCPTransport)(nil)

// NewTCPTransport returns a transport dialing peers found by cfg.Resolver.
func NewTCPTransport(cfg TCPTransportConfig) *TCPTransport {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	t := &TCPTransport{cfg: cfg, stopper: make(chan struct{})}
	t.mu.peers = map[kvpb.NodeID]*tcpPeer{}
	return t
}

// tcpPeer is the connection to one peer node.
type tcpPeer struct {
	t    *TCPTransport
	id   kvpb.NodeID
	wake chan struct{}

	mu struct {
		sync.Mutex
		conn *tcpConn // nil: none (the writer dials on the next Send)
		// queue holds frames for the writer goroutine, in order; writing
		// is set while the writer writes frames it took from it.
		queue      []queuedFrame
		queueBytes int
		writing    bool
	}
}

type queuedFrame struct {
	b  []byte
	at time.Time
}

// tcpConn is one connection of a peer.
type tcpConn struct {
	c    net.Conn
	once sync.Once
}

func (c *tcpConn) close() { c.once.Do(func() { _ = c.c.Close() }) }

// SetResponseHandler implements Transport.
func (t *TCPTransport) SetResponseHandler(f func(*kvpb.RaftMessageResponse)) {
	t.onResp.Store(&f)
	if t.cfg.Snapshots != nil {
		t.cfg.Snapshots.SetResponseHandler(f)
	}
}

// QueueStats implements TransportStats: batches sent and their total
// time from Send to their last byte handed to the socket (zero for those
// written directly).
func (t *TCPTransport) QueueStats() (int64, time.Duration) {
	return t.sent.Load(), time.Duration(t.queuedNanos.Load())
}

// DirectStats returns the batches written on Send's goroutine and those
// left (whole or in part) to a writer goroutine.
func (t *TCPTransport) DirectStats() (direct, queued int64) {
	return t.direct.Load(), t.queued.Load()
}

// OpenSnapshot implements Transport through cfg.Snapshots.
func (t *TCPTransport) OpenSnapshot(ctx context.Context, to kvpb.NodeID) (SnapshotStream, error) {
	if t.cfg.Snapshots == nil {
		return nil, fmt.Errorf("%w: no snapshot transport", ErrNodeUnreachable)
	}
	return t.cfg.Snapshots.OpenSnapshot(ctx, to)
}

// Send implements Transport.
func (t *TCPTransport) Send(to kvpb.NodeID, b *kvpb.RaftMessageBatch) {
	p := t.peer(to)
	if p == nil {
		return
	}
	frame, err := marshalFrame(b)
	if err != nil {
		t.cfg.Logger.Warn("ranges: raft batch not sent", "peer", to, "err", err)
		return
	}
	p.send(frame)
}

func (t *TCPTransport) peer(id kvpb.NodeID) *tcpPeer {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.closed {
		return nil
	}
	p, ok := t.mu.peers[id]
	if !ok {
		p = &tcpPeer{t: t, id: id, wake: make(chan struct{}, 1)}
		t.mu.peers[id] = p
		t.wg.Add(1)
		go p.runWriter()
	}
	return p
}

// marshalFrame returns b as one frame: length, then the message.
func marshalFrame(m proto.Message) ([]byte, error) {
	n := proto.Size(m)
	if n > maxRaftFrame {
		return nil, fmt.Errorf("ranges: raft frame of %d bytes exceeds %d", n, maxRaftFrame)
	}
	buf := make([]byte, 4, 4+n)
	binary.BigEndian.PutUint32(buf, uint32(n))
	return proto.MarshalOptions{}.MarshalAppend(buf, m)
}

// send writes frame directly when the peer is connected and idle, else
// queues it for the writer goroutine.
func (p *tcpPeer) send(frame []byte) {
	t := p.t
	p.mu.Lock()
	if c := p.mu.conn; c != nil && len(p.mu.queue) == 0 && !p.mu.writing {
		n, err := tryWrite(c.c, frame)
		if err != nil {
			p.dropConnLocked(c)
			p.mu.Unlock()
			t.cfg.Logger.Debug("ranges: raft connection write failed", "peer", p.id, "err", err)
			return
		}
		if n == len(frame) {
			p.mu.Unlock()
			t.direct.Add(1)
			t.sent.Add(1)
			return
		}
		frame = frame[n:] // the rest goes first, through the writer
	}
	if p.mu.queueBytes+len(frame) > tcpPeerQueueBytes && len(p.mu.queue) > 0 {
		p.mu.Unlock()
		return // full: drop, raft retries
	}
	p.mu.queue = append(p.mu.queue, queuedFrame{b: frame, at: time.Now()})
	p.mu.queueBytes += len(frame)
	p.mu.Unlock()
	t.queued.Add(1)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// dropConnLocked closes c and, if it is the current connection, forgets
// it and the queue: that may start with the rest of a frame partly
// written to c, and the next connection must start at a frame boundary.
func (p *tcpPeer) dropConnLocked(c *tcpConn) {
	c.close()
	if p.mu.conn == c {
		p.mu.conn = nil
		p.mu.queue, p.mu.queueBytes = nil, 0
	}
}

// runWriter dials the peer and writes the queued frames.
func (p *tcpPeer) runWriter() {
	t := p.t
	defer t.wg.Done()
	backoff := 10 * time.Millisecond
	for {
		select {
		case <-t.stopper:
			p.mu.Lock()
			if c := p.mu.conn; c != nil {
				p.dropConnLocked(c)
			}
			p.mu.Unlock()
			return
		case <-p.wake:
		}
		p.mu.Lock()
		c := p.mu.conn
		p.mu.Unlock()
		if c == nil {
			var err error
			if c, err = p.dial(); err != nil {
				t.cfg.Logger.Debug("ranges: raft connection dial failed", "peer", p.id, "err", err)
				p.dropQueue()
				select {
				case <-t.stopper:
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, time.Second)
				continue
			}
			backoff = 10 * time.Millisecond
		}
		p.writeQueued(c)
	}
}

// dial connects to the peer, installs the connection and starts its
// response reader.
func (p *tcpPeer) dial() (*tcpConn, error) {
	t := p.t
	addr, err := t.cfg.Resolver(p.id)
	if err != nil {
		return nil, fmt.Errorf("%w: resolving %s: %w", ErrNodeUnreachable, p.id, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.cfg.DialTimeout)
	defer cancel()
	var nc net.Conn
	if t.cfg.Dialer != nil {
		nc, err = t.cfg.Dialer(ctx, addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: dial %s at %s: %w", ErrNodeUnreachable, p.id, addr, err)
	}
	_ = nc.SetWriteDeadline(time.Now().Add(t.cfg.DialTimeout))
	if _, err := io.WriteString(nc, raftConnMagic); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("%w: %s at %s: %w", ErrNodeUnreachable, p.id, addr, err)
	}
	_ = nc.SetWriteDeadline(time.Time{})
	c := &tcpConn{c: nc}
	p.mu.Lock()
	select {
	case <-t.stopper:
		p.mu.Unlock()
		c.close()
		return nil, fmt.Errorf("%w: transport closed", ErrNodeUnreachable)
	default:
	}
	p.mu.conn = c
	p.mu.Unlock()
	t.wg.Add(1)
	go p.readResponses(c)
	return c, nil
}

// writeQueued writes the queue to c until it is empty.
func (p *tcpPeer) writeQueued(c *tcpConn) {
	t := p.t
	for {
		p.mu.Lock()
		q := p.mu.queue
		if len(q) == 0 || p.mu.conn != c {
			p.mu.writing = false
			if p.mu.conn != c {
				p.mu.queue, p.mu.queueBytes = nil, 0
			}
			p.mu.Unlock()
			return
		}
		p.mu.queue, p.mu.queueBytes = nil, 0
		p.mu.writing = true
		p.mu.Unlock()
		bufs := make(net.Buffers, len(q))
		for i, f := range q {
			bufs[i] = f.b
		}
		_, err := bufs.WriteTo(c.c)
		now := time.Now()
		for _, f := range q {
			t.sent.Add(1)
			t.queuedNanos.Add(int64(now.Sub(f.at)))
		}
		if err != nil {
			p.mu.Lock()
			p.mu.writing = false
			p.dropConnLocked(c)
			p.mu.Unlock()
			t.cfg.Logger.Debug("ranges: raft connection write failed", "peer", p.id, "err", err)
			return
		}
	}
}

// dropQueue forgets the queued frames (the peer is unreachable).
func (p *tcpPeer) dropQueue() {
	p.mu.Lock()
	p.mu.queue, p.mu.queueBytes = nil, 0
	p.mu.Unlock()
}

// readResponses reads the peer's responses on c until it breaks, then
// drops c (the next Send redials).
func (p *tcpPeer) readResponses(c *tcpConn) {
	t := p.t
	defer t.wg.Done()
	r := bufio.NewReaderSize(c.c, 4096)
	for {
		resp := &kvpb.RaftMessageResponse{}
		if err := readFrame(r, resp); err != nil {
			p.mu.Lock()
			p.dropConnLocked(c)
			p.mu.Unlock()
			return
		}
		if f := t.onResp.Load(); f != nil {
			(*f)(resp)
		}
	}
}

// readFrame reads one frame into m.
func readFrame(r *bufio.Reader, m proto.Message) error {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxRaftFrame {
		return fmt.Errorf("ranges: raft frame of %d bytes exceeds %d", n, maxRaftFrame)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return err
	}
	return proto.Unmarshal(buf, m)
}

// Close implements Transport.
func (t *TCPTransport) Close() {
	t.mu.Lock()
	if t.mu.closed {
		t.mu.Unlock()
		return
	}
	t.mu.closed = true
	close(t.stopper)
	peers := t.mu.peers
	t.mu.Unlock()
	for _, p := range peers {
		p.mu.Lock()
		if c := p.mu.conn; c != nil {
			p.dropConnLocked(c)
		}
		p.mu.Unlock()
	}
	t.wg.Wait()
	if t.cfg.Snapshots != nil {
		t.cfg.Snapshots.Close()
	}
}

// ServeRaftConn serves one accepted raft connection (its magic already
// read, see RaftListener) until it breaks or ctx ends: every batch goes
// straight from this goroutine to h.HandleRaftBatch, and its responses
// back on the connection. It closes c.
func ServeRaftConn(ctx context.Context, c net.Conn, h RaftHandler) {
	defer c.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		b := &kvpb.RaftMessageBatch{}
		if err := readFrame(r, b); err != nil {
			return
		}
		for _, resp := range h.HandleRaftBatch(ctx, b) {
			frame, err := marshalFrame(resp)
			if err != nil {
				continue
			}
			if _, err := c.Write(frame); err != nil {
				return
			}
		}
	}
}

// RaftListener shares a node's RPC listener between gRPC and raft
// connections: Accept returns the connections whose first bytes are not
// raftConnMagic (gRPC's, which start with the HTTP/2 preface), with those
// bytes replayed; raft connections go to serve, each on its own
// goroutine. Close closes the inner listener and the raft connections
// being served.
type RaftListener struct {
	inner net.Listener
	serve func(net.Conn)
	conns chan net.Conn
	done  chan struct{}
	start sync.Once

	mu struct {
		sync.Mutex
		err    error
		closed bool
		raft   map[net.Conn]struct{}
	}
}

// raftMagicTimeout bounds the wait for a new connection's first bytes.
const raftMagicTimeout = 10 * time.Second

// NewRaftListener returns the listener; it starts accepting on inner at
// the first Accept (raft connections are served from then on).
func NewRaftListener(inner net.Listener, serve func(net.Conn)) *RaftListener {
	l := &RaftListener{inner: inner, serve: serve, conns: make(chan net.Conn), done: make(chan struct{})}
	l.mu.raft = map[net.Conn]struct{}{}
	return l
}

func (l *RaftListener) acceptLoop() {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			l.fail(err)
			return
		}
		go l.classify(c)
	}
}

func (l *RaftListener) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.err == nil {
		l.mu.err = err
		close(l.done)
	}
}

// classify reads the first bytes of c and routes it.
func (l *RaftListener) classify(c net.Conn) {
	buf := make([]byte, len(raftConnMagic))
	_ = c.SetReadDeadline(time.Now().Add(raftMagicTimeout))
	n, err := io.ReadFull(c, buf)
	_ = c.SetReadDeadline(time.Time{})
	if err == nil && string(buf) == raftConnMagic {
		l.mu.Lock()
		if l.mu.closed {
			l.mu.Unlock()
			_ = c.Close()
			return
		}
		l.mu.raft[c] = struct{}{}
		l.mu.Unlock()
		l.serve(c)
		l.mu.Lock()
		delete(l.mu.raft, c)
		l.mu.Unlock()
		return
	}
	if n == 0 {
		_ = c.Close()
		return
	}
	pc := &prefixConn{Conn: c, prefix: buf[:n]}
	select {
	case l.conns <- pc:
	case <-l.done:
		_ = c.Close()
	}
}

// Accept implements net.Listener: the next non-raft connection.
func (l *RaftListener) Accept() (net.Conn, error) {
	l.start.Do(func() { go l.acceptLoop() })
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		return nil, l.mu.err
	}
}

// Close implements net.Listener.
func (l *RaftListener) Close() error {
	err := l.inner.Close()
	l.fail(net.ErrClosed)
	l.mu.Lock()
	l.mu.closed = true
	conns := l.mu.raft
	l.mu.raft = map[net.Conn]struct{}{}
	l.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
	return err
}

// Addr implements net.Listener.
func (l *RaftListener) Addr() net.Addr { return l.inner.Addr() }

// prefixConn replays the bytes RaftListener read before handing the
// connection on.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
