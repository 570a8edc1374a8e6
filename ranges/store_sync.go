package ranges

import (
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

// syncItem is what a cycle leaves for the syncer: the cycle's append
// batch (committed with CommitNoSyncWait, nil when the cycle wrote nothing
// that needs an fsync), and what may only happen once it and every
// earlier item are durable: the self-directed raft responses of each
// replica (a leader's own MsgAppResp, a MsgStorageAppendResp that was not
// stepped early) and the responses to peers (a follower's MsgAppResp,
// votes), grouped per node.
type syncItem struct {
	b     storage.Batch
	start time.Time
	local []localResponses
	out   map[kvpb.NodeID]*kvpb.RaftMessageBatch
}

// localResponses are messages a replica steps once its appends are
// durable; late says one of them is a MsgStorageAppendResp counted in
// Replica.lateAppends; durable is the last log index of the item's
// append.
type localResponses struct {
	r       *Replica
	msgs    []*raftpb.Message
	late    bool
	durable uint64
}

// syncer waits for the fsyncs of the cycles' append batches, in the order
// the cycles committed them, off the scheduler goroutine: a cycle does
// not block in its fsync, so the acknowledgements its followers send
// meanwhile are stepped (and a write committed by two followers is
// applied) while the leader's own fsync runs.
type syncer struct {
	mu     sync.Mutex
	items  []*syncItem
	signal chan struct{}
	// unsynced counts pushed batches whose fsync the syncer has not yet
	// seen complete (see Replica.submit).
	unsynced atomic.Int32
}

func (q *syncer) init() { q.signal = make(chan struct{}, 1) }

// push queues it; items are handled in push order (cycles push under
// cycleMu, so that is the order of their Pebble commits).
func (q *syncer) push(it *syncItem) {
	if it.b != nil {
		q.unsynced.Add(1)
	}
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *syncer) take() []*syncItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	its := q.items
	q.items = nil
	return its
}

// runSyncer is the store's syncer goroutine. After the store stops it
// waits for the cycle in flight (cycleMu), so that no item is pushed
// after its last drain, and syncs (without delivering) what is left.
func (s *Store) runSyncer() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stopper:
			s.sched.cycleMu.Lock()
			for _, it := range s.syncq.take() {
				s.syncItem(it, false)
			}
			s.sched.cycleMu.Unlock()
			return
		case <-s.syncq.signal:
		}
		for _, it := range s.syncq.take() {
			s.syncItem(it, true)
		}
		if s.sched.hasQueued() {
			// Step what the fsyncs released (and the proposals that
			// waited for them) on this goroutine if no cycle runs: saves
			// waking the scheduler goroutine.
			s.runInline()
		}
	}
}

// syncItem waits for it's fsync and, if deliver, sends its peer responses
// and queues its local ones. It reports whether it queued local work.
func (s *Store) syncItem(it *syncItem, deliver bool) bool {
	if it.b != nil {
		err := it.b.SyncWait()
		it.b.Close()
		if err != nil {
			s.fatal("syncing raft batch", 0, err)
			return false
		}
		s.counters.raftSyncNanos.Add(int64(time.Since(it.start)))
		s.syncq.unsynced.Add(-1)
	}
	for _, l := range it.local {
		l.r.noteDurable(l.durable)
		if l.late {
			l.r.lateAppends.Add(-1)
		}
	}
	if !deliver {
		return false
	}
	s.sendBatches(it.out)
	queued := false
	for _, l := range it.local {
		for _, m := range l.msgs {
			l.r.enqueueMessage(m, nil)
			queued = true
		}
	}
	return queued
}
