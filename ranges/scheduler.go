package ranges

import (
	"sync"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// scheduler is the store's queue of replicas with work (incoming
// messages, proposals, snapshot reports). One goroutine (runScheduler)
// drains it, together with the tick timer, and processes every queued
// replica in one cycle, so that their log appends share one synced batch.
//
// A cycle may also run on the goroutine of a proposer (runInline) when
// no cycle is running: that saves a goroutine handoff (and, on an idle
// machine, a thread wakeup) between a write's proposal and its appends
// going out. cycleMu serialises cycles wherever they run.
type scheduler struct {
	mu      sync.Mutex
	pending map[kvpb.RangeID]bool
	queue   []kvpb.RangeID
	signal  chan struct{}

	cycleMu sync.Mutex // held while a cycle runs
}

func (s *scheduler) init() {
	s.pending = map[kvpb.RangeID]bool{}
	s.signal = make(chan struct{}, 1)
}

func (s *scheduler) enqueue(id kvpb.RangeID) {
	s.add(id)
	s.kick()
}

// add queues id without waking the scheduler goroutine: the caller
// either runs the cycle itself or calls kick.
func (s *scheduler) add(id kvpb.RangeID) {
	s.mu.Lock()
	if !s.pending[id] {
		s.pending[id] = true
		s.queue = append(s.queue, id)
	}
	s.mu.Unlock()
}

// kick wakes the scheduler goroutine.
func (s *scheduler) kick() {
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func (s *scheduler) hasQueued() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) > 0
}

func (s *scheduler) drain() []kvpb.RangeID {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	clear(s.pending)
	return q
}
