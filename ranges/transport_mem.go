package ranges

import (
	"context"
	"fmt"
	"google.golang.org/protobuf/proto"
	"io"
	"math/rand"
	"sync"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// MemFaults are the faults a MemNetwork injects into Raft message
// delivery. Snapshots are subject to partitions only.
type MemFaults struct {
	// DropRate is the fraction of batches dropped.
	DropRate float64
	// DuplicateRate is the fraction of batches delivered twice.
	DuplicateRate float64
	// MaxDelay delays each batch by a random duration up to it; delayed
	// batches may overtake each other (reordering).
	MaxDelay time.Duration
	// ReorderRate is the fraction of batches held back behind the next one.
	ReorderRate float64
}

// MemNetwork is an in-process network of nodes for tests: Transports
// created from it deliver to the RaftHandler registered for the
// destination, through per-link goroutines, with injectable faults and
// partitions. Randomness comes from a seeded source, so a test can log its
// seed (delivery timing still depends on the Go scheduler).
type MemNetwork struct {
	mu struct {
		sync.Mutex
		handlers map[kvpb.NodeID]RaftHandler
		blocked  map[[2]kvpb.NodeID]bool // directed links that drop
		faults   MemFaults
		rng      *rand.Rand
		links    map[[2]kvpb.NodeID]*memLink
		onResp   map[kvpb.NodeID]func(*kvpb.RaftMessageResponse)
		closed   bool
	}
	wg sync.WaitGroup
}

type memLink struct {
	queue chan *kvpb.RaftMessageBatch
	held  *kvpb.RaftMessageBatch // reorder: delivered after the next one
}

// NewMemNetwork returns an empty network whose faults draw from seed.
func NewMemNetwork(seed int64) *MemNetwork {
	n := &MemNetwork{}
	n.mu.handlers = map[kvpb.NodeID]RaftHandler{}
	n.mu.blocked = map[[2]kvpb.NodeID]bool{}
	n.mu.rng = rand.New(rand.NewSource(seed))
	n.mu.links = map[[2]kvpb.NodeID]*memLink{}
	n.mu.onResp = map[kvpb.NodeID]func(*kvpb.RaftMessageResponse){}
	return n
}

// Register makes h receive what is sent to node id (replacing a previous
// handler: a restarted node).
func (n *MemNetwork) Register(id kvpb.NodeID, h RaftHandler) {
	n.mu.Lock()
	n.mu.handlers[id] = h
	n.mu.Unlock()
}

// Unregister makes node id unreachable (a stopped node).
func (n *MemNetwork) Unregister(id kvpb.NodeID) {
	n.mu.Lock()
	delete(n.mu.handlers, id)
	n.mu.Unlock()
}

// SetFaults replaces the fault configuration.
func (n *MemNetwork) SetFaults(f MemFaults) {
	n.mu.Lock()
	n.mu.faults = f
	n.mu.Unlock()
}

// Partition cuts every link between nodes of different groups (nodes in
// no group keep all their links). It replaces previous partitions.
func (n *MemNetwork) Partition(groups ...[]kvpb.NodeID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.blocked = map[[2]kvpb.NodeID]bool{}
	for i, g := range groups {
		for j, h := range groups {
			if i == j {
				continue
			}
			for _, a := range g {
				for _, b := range h {
					n.mu.blocked[[2]kvpb.NodeID{a, b}] = true
				}
			}
		}
	}
}

// Heal removes all partitions.
func (n *MemNetwork) Heal() { n.Partition() }

// Close stops delivery goroutines.
func (n *MemNetwork) Close() {
	n.mu.Lock()
	if n.mu.closed {
		n.mu.Unlock()
		return
	}
	n.mu.closed = true
	for _, l := range n.mu.links {
		close(l.queue)
	}
	n.mu.Unlock()
	n.wg.Wait()
}

// Transport returns the sending side of node from.
func (n *MemNetwork) Transport(from kvpb.NodeID) Transport { return &memTransport{net: n, from: from} }

func (n *MemNetwork) reachableLocked(from, to kvpb.NodeID) (RaftHandler, bool) {
	if n.mu.closed || n.mu.blocked[[2]kvpb.NodeID{from, to}] {
		return nil, false
	}
	h, ok := n.mu.handlers[to]
	return h, ok
}

func (n *MemNetwork) send(from, to kvpb.NodeID, b *kvpb.RaftMessageBatch) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.reachableLocked(from, to); !ok {
		return
	}
	f, rng := n.mu.faults, n.mu.rng
	if f.DropRate > 0 && rng.Float64() < f.DropRate {
		return
	}
	copies := 1
	if f.DuplicateRate > 0 && rng.Float64() < f.DuplicateRate {
		copies = 2
	}
	key := [2]kvpb.NodeID{from, to}
	l, ok := n.mu.links[key]
	if !ok {
		l = &memLink{queue: make(chan *kvpb.RaftMessageBatch, 4096)}
		n.mu.links[key] = l
		n.wg.Add(1)
		go n.runLink(from, to, l)
	}
	for i := 0; i < copies; i++ {
		if f.MaxDelay > 0 {
			d := time.Duration(rng.Int63n(int64(f.MaxDelay) + 1))
			n.wg.Add(1)
			time.AfterFunc(d, func() {
				defer n.wg.Done()
				n.mu.Lock()
				defer n.mu.Unlock()
				if !n.mu.closed {
					select {
					case l.queue <- b:
					default:
					}
				}
			})
			continue
		}
		if f.ReorderRate > 0 && l.held == nil && rng.Float64() < f.ReorderRate {
			l.held = b
			continue
		}
		select {
		case l.queue <- b:
		default:
		}
		if l.held != nil {
			select {
			case l.queue <- l.held:
			default:
			}
			l.held = nil
		}
	}
}

func (n *MemNetwork) runLink(from, to kvpb.NodeID, l *memLink) {
	defer n.wg.Done()
	for b := range l.queue {
		n.mu.Lock()
		h, ok := n.reachableLocked(from, to)
		onResp := n.mu.onResp[from]
		n.mu.Unlock()
		if !ok {
			continue
		}
		resps := h.HandleRaftBatch(context.Background(), b)
		if onResp != nil {
			for _, r := range resps {
				onResp(r)
			}
		}
	}
}

type memTransport struct {
	net  *MemNetwork
	from kvpb.NodeID
}

func (t *memTransport) Send(to kvpb.NodeID, b *kvpb.RaftMessageBatch) { t.net.send(t.from, to, b) }

func (t *memTransport) SetResponseHandler(f func(*kvpb.RaftMessageResponse)) {
	t.net.mu.Lock()
	t.net.mu.onResp[t.from] = f
	t.net.mu.Unlock()
}

func (t *memTransport) Close() {}

func (t *memTransport) OpenSnapshot(ctx context.Context, to kvpb.NodeID) (SnapshotStream, error) {
	t.net.mu.Lock()
	h, ok := t.net.reachableLocked(t.from, to)
	t.net.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNodeUnreachable, to)
	}
	s := &memSnapshotStream{ch: make(chan *kvpb.SnapshotChunk, 16), done: make(chan struct{}), ctx: ctx}
	go func() {
		defer close(s.done)
		s.resp, s.err = h.HandleSnapshot(ctx, s)
		// Unblock a sender still sending after the receiver gave up.
		for range s.ch {
		}
	}()
	return s, nil
}

type memSnapshotStream struct {
	ctx  context.Context
	ch   chan *kvpb.SnapshotChunk
	done chan struct{}
	resp *kvpb.SnapshotResponse
	err  error
	sent bool
}

func (s *memSnapshotStream) Send(c *kvpb.SnapshotChunk) error {
	select {
	case s.ch <- proto.Clone(c).(*kvpb.SnapshotChunk):
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

func (s *memSnapshotStream) Recv() (*kvpb.SnapshotChunk, error) {
	select {
	case c, ok := <-s.ch:
		if !ok {
			return nil, io.EOF
		}
		return c, nil
	case <-s.ctx.Done():
		return nil, s.ctx.Err()
	}
}

func (s *memSnapshotStream) CloseAndRecv() (*kvpb.SnapshotResponse, error) {
	if !s.sent {
		s.sent = true
		close(s.ch)
	}
	<-s.done
	return s.resp, s.err
}
