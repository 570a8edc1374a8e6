package ranges

import (
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/tesseradb/tessera/internal/testport"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// raftSink is a RaftMessages server recording the sequence number of
// every batch it receives (tests put it in Requests[0].RangeId).
type raftSink struct {
	kvpb.UnimplementedInternalServer

	mu   sync.Mutex
	seqs []uint64
	cond *sync.Cond
}

func (s *raftSink) RaftMessages(stream grpc.BidiStreamingServer[kvpb.RaftMessageBatch, kvpb.RaftMessageResponse]) error {
	for {
		b, err := stream.Recv()
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.seqs = append(s.seqs, b.GetRequests()[0].GetRangeId())
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// waitFor waits until n batches arrived or the deadline passed.
func (s *raftSink) waitFor(t *testing.T, n int, deadline time.Duration) []uint64 {
	t.Helper()
	timer := time.AfterFunc(deadline, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer timer.Stop()
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.seqs) < n && time.Since(start) < deadline {
		s.cond.Wait()
	}
	return append([]uint64(nil), s.seqs...)
}

func startSink(t *testing.T, sink *raftSink) string {
	t.Helper()
	sink.cond = sync.NewCond(&sink.mu)
	l, err := testport.Listen()
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	kvpb.RegisterInternalServer(srv, sink)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return l.Addr().String()
}

func seqBatch(seq uint64, payload int) *kvpb.RaftMessageBatch {
	return &kvpb.RaftMessageBatch{FromNodeId: 1, ToNodeId: 2,
		Requests: []*kvpb.RaftMessageRequest{{RangeId: seq, Message: make([]byte, payload)}}}
}

// TestGRPCTransportKeepsOrder: batches sent one after another reach the
// peer in that order, those queued while the stream is dialed and those
// sent on the open stream, and none is lost below the queue's capacity.
func TestGRPCTransportKeepsOrder(t *testing.T) {
	sink := &raftSink{}
	addr := startSink(t, sink)
	tr := NewGRPCTransport(GRPCTransportConfig{NodeID: 1, QueueSize: 4096,
		Resolver: func(kvpb.NodeID) (string, error) { return addr, nil }})
	defer tr.Close()
	const n = 3000
	var seq uint64
	// The first ones are queued while the stream is dialed.
	for ; seq < 100; seq++ {
		tr.Send(2, seqBatch(seq+1, 10))
	}
	sink.waitFor(t, 100, 10*time.Second)
	for ; seq < n; seq++ {
		tr.Send(2, seqBatch(seq+1, 10))
	}
	got := sink.waitFor(t, n, 10*time.Second)
	if len(got) != n {
		t.Fatalf("received %d batches, want %d", len(got), n)
	}
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("batch %d is #%d: out of order (%v...)", i, s, got[max(0, i-3):i+1])
		}
	}
	// Every batch was handed to the stream once, and the first ones
	// waited for the dial.
	if sent, queued := tr.QueueStats(); sent != n || queued <= 0 {
		t.Fatalf("QueueStats = %d batches, %v queued; want %d, > 0", sent, queued, n)
	}
}
