package ranges

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/tesseradb/tessera/internal/testport"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// tcpSink is a RaftHandler recording the sequence number of every batch
// (Requests[0].RangeId); it answers each batch whose sequence number is a
// multiple of 10 with one response carrying it.
type tcpSink struct {
	mu   sync.Mutex
	seqs []uint64
	cond *sync.Cond
}

func newTCPSink() *tcpSink {
	s := &tcpSink{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *tcpSink) HandleRaftBatch(_ context.Context, b *kvpb.RaftMessageBatch) []*kvpb.RaftMessageResponse {
	seq := b.GetRequests()[0].GetRangeId()
	s.mu.Lock()
	s.seqs = append(s.seqs, seq)
	s.cond.Broadcast()
	s.mu.Unlock()
	if seq%10 == 0 {
		return []*kvpb.RaftMessageResponse{{RangeId: seq}}
	}
	return nil
}

func (s *tcpSink) HandleSnapshot(context.Context, SnapshotReceiver) (*kvpb.SnapshotResponse, error) {
	return nil, nil
}

// waitFor waits until cond holds for the received sequence or the
// deadline passed, and returns a copy of it.
func (s *tcpSink) waitFor(deadline time.Duration, cond func([]uint64) bool) []uint64 {
	timer := time.AfterFunc(deadline, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer timer.Stop()
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for !cond(s.seqs) && time.Since(start) < deadline {
		s.cond.Wait()
	}
	return append([]uint64(nil), s.seqs...)
}

// startRaftPort serves h's raft connections and a gRPC raftSink on one
// port, as a node's RPC port does; stop closes both.
func startRaftPort(t *testing.T, h RaftHandler, grpcSink *raftSink) (addr string, stop func()) {
	t.Helper()
	l, err := testport.Listen()
	if err != nil {
		t.Fatal(err)
	}
	rl := NewRaftListener(l, func(c net.Conn) { ServeRaftConn(context.Background(), c, h) })
	srv := grpc.NewServer(GRPCServerOptions()...)
	kvpb.RegisterInternalServer(srv, grpcSink)
	go func() { _ = srv.Serve(rl) }()
	var once sync.Once
	stop = func() { once.Do(srv.Stop) }
	t.Cleanup(stop)
	return l.Addr().String(), stop
}

// TestTCPTransportKeepsOrder: batches reach the peer in the order sent,
// small ones written on the sender's goroutine and large ones (more than
// a socket buffer) finished by the writer goroutine; responses come back;
// gRPC on the same port keeps working.
func TestTCPTransportKeepsOrder(t *testing.T) {
	sink := newTCPSink()
	gsink := &raftSink{}
	gsink.cond = sync.NewCond(&gsink.mu)
	addr, _ := startRaftPort(t, sink, gsink)
	resolve := func(kvpb.NodeID) (string, error) { return addr, nil }
	tr := NewTCPTransport(TCPTransportConfig{NodeID: 1, Resolver: resolve})
	defer tr.Close()
	var resps atomic.Int64
	tr.SetResponseHandler(func(r *kvpb.RaftMessageResponse) {
		if r.GetRangeId()%10 == 0 {
			resps.Add(1)
		}
	})
	const n = 2000
	var seq uint64
	// The first is queued while the connection is dialed.
	tr.Send(2, seqBatch(1, 10))
	seq = 1
	sink.waitFor(10*time.Second, func(s []uint64) bool { return len(s) >= 1 })
	for ; seq < n; seq++ {
		payload := 10
		if seq%200 == 0 {
			payload = 4 << 20 // larger than the socket buffer: finished by the writer
		}
		tr.Send(2, seqBatch(seq+1, payload))
	}
	got := sink.waitFor(20*time.Second, func(s []uint64) bool { return len(s) >= n })
	if len(got) != n {
		t.Fatalf("received %d batches, want %d", len(got), n)
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("batch %d is #%d: out of order (%v...)", i, s, got[max(0, i-3):i+1])
		}
	}
	direct, queued := tr.DirectStats()
	if direct == 0 || queued == 0 {
		t.Fatalf("DirectStats = %d direct, %d queued; want both > 0", direct, queued)
	}
	deadline := time.Now().Add(10 * time.Second)
	for resps.Load() < n/10 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := resps.Load(); got != n/10 {
		t.Fatalf("got %d responses, want %d", got, n/10)
	}
	// gRPC shares the port.
	gtr := NewGRPCTransport(GRPCTransportConfig{NodeID: 1, Resolver: resolve})
	defer gtr.Close()
	gtr.Send(2, seqBatch(7, 10))
	if got := gsink.waitFor(t, 1, 10*time.Second); len(got) != 1 || got[0] != 7 {
		t.Fatalf("gRPC on the shared port received %v, want [7]", got)
	}
}

// TestTCPTransportReconnects: after the peer's port closes (the node
// stopped) and the peer comes back on another address, batches flow
// again on a new connection.
func TestTCPTransportReconnects(t *testing.T) {
	sink := newTCPSink()
	gsink := &raftSink{}
	gsink.cond = sync.NewCond(&gsink.mu)
	addr, stop := startRaftPort(t, sink, gsink)
	var cur atomic.Pointer[string]
	cur.Store(&addr)
	tr := NewTCPTransport(TCPTransportConfig{NodeID: 1,
		Resolver: func(kvpb.NodeID) (string, error) { return *cur.Load(), nil }})
	defer tr.Close()
	// Raft resends: so does this test until the batch arrives.
	sendUntil := func(seq uint64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			tr.Send(2, seqBatch(seq, 10))
			got := sink.waitFor(20*time.Millisecond, func(s []uint64) bool { return len(s) > 0 && s[len(s)-1] == seq })
			if len(got) > 0 && got[len(got)-1] == seq {
				return
			}
		}
		t.Fatalf("batch %d never arrived", seq)
	}
	sendUntil(1)
	stop()
	for i := 0; i < 20; i++ {
		tr.Send(2, seqBatch(2, 10)) // into a dead connection or a failed dial: dropped
	}
	addr2, _ := startRaftPort(t, sink, gsink)
	cur.Store(&addr2)
	sendUntil(3)
}
