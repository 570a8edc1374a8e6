package ranges

import (
	"sync"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// scheduler is the store's queue of replicas with work (incoming
// messages, proposals, snapshot reports). One goroutine (runScheduler)
// drains it, together with the tick timer, and processes every queued
// replica in one cycle, so that their log appends share one synced batch.
type scheduler struct {
	mu      sync.Mutex
	pending map[kvpb.RangeID]bool
	queue   []kvpb.RangeID
	signal  chan struct{}
}

func (s *scheduler) init() {
	s.pending = map[kvpb.RangeID]bool{}
	s.signal = make(chan struct{}, 1)
}

func (s *scheduler) enqueue(id kvpb.RangeID) {
	s.mu.Lock()
	if !s.pending[id] {
		s.pending[id] = true
		s.queue = append(s.queue, id)
	}
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func (s *scheduler) drain() []kvpb.RangeID {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	clear(s.pending)
	return q
}
