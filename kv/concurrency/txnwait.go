package concurrency

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/batcheval"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// QueueConfig configures a txn wait queue.
type QueueConfig struct {
	Clock *hlc.Clock
	// QueryInterval is how often a waiting push re-checks the pushee's
	// expiry and queries its pusher (deadlock detection); default 100ms.
	QueryInterval time.Duration
	// Query returns the record of a txn and the txns waiting on it (a
	// QueryTxn to the txn's range). Nil: no deadlock detection.
	Query func(ctx context.Context, txn *kvpb.TxnMeta) (*kvpb.QueryTxnResponse, error)
}

// Queue is the txn wait queue of one range: pushes of txns whose records
// live on it wait here. Safe for concurrent use.
type Queue struct {
	cfg QueueConfig
	mu  struct {
		sync.Mutex
		// waiting: pushee ID → its waiting pushes.
		waiting map[string]map[*waiter]struct{}
		// updated: pushee ID → closed when its record changes.
		updated map[string]chan struct{}
	}
}

type waiter struct {
	pusher []byte
	// deps: txns that (transitively) wait on the pusher, from its last
	// query.
	deps map[string]struct{}
	// cycleQueries counts the consecutive queries that found this push
	// closing a cycle it may break (queryPusher); only its goroutine
	// touches it.
	cycleQueries int
}

// NewQueue returns an empty queue.
func NewQueue(cfg QueueConfig) *Queue {
	if cfg.QueryInterval <= 0 {
		cfg.QueryInterval = 100 * time.Millisecond
	}
	q := &Queue{cfg: cfg}
	q.mu.waiting = map[string]map[*waiter]struct{}{}
	q.mu.updated = map[string]chan struct{}{}
	return q
}

// OnTxnUpdated wakes the pushes waiting on txn.
func (q *Queue) OnTxnUpdated(txn *kvpb.Transaction) {
	q.mu.Lock()
	defer q.mu.Unlock()
	id := string(txn.ID())
	if ch, ok := q.mu.updated[id]; ok {
		close(ch)
		delete(q.mu.updated, id)
	}
}

// WaitingTxns returns the IDs of the txns waiting on id here, and of those
// waiting on them as their pushes last learned.
func (q *Queue) WaitingTxns(id []byte) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	set := map[string]struct{}{}
	for w := range q.mu.waiting[string(id)] {
		set[string(w.pusher)] = struct{}{}
		for d := range w.deps {
			set[d] = struct{}{}
		}
	}
	out := make([][]byte, 0, len(set))
	for k := range set {
		out = append(out, []byte(k))
	}
	return out
}

// Len returns the number of waiting pushes.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, ws := range q.mu.waiting {
		n += len(ws)
	}
	return n
}

func (q *Queue) register(pushee []byte, w *waiter) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	id := string(pushee)
	if q.mu.waiting[id] == nil {
		q.mu.waiting[id] = map[*waiter]struct{}{}
	}
	q.mu.waiting[id][w] = struct{}{}
	return q.updatedLocked(id)
}

func (q *Queue) updatedLocked(id string) chan struct{} {
	ch, ok := q.mu.updated[id]
	if !ok {
		ch = make(chan struct{})
		q.mu.updated[id] = ch
	}
	return ch
}

func (q *Queue) updatedChan(id []byte) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.updatedLocked(string(id))
}

func (q *Queue) unregister(pushee []byte, w *waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ws := q.mu.waiting[string(pushee)]
	delete(ws, w)
	if len(ws) == 0 {
		delete(q.mu.waiting, string(pushee))
	}
}

func (q *Queue) setDeps(w *waiter, deps [][]byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	w.deps = make(map[string]struct{}, len(deps))
	for _, d := range deps {
		w.deps[string(d)] = struct{}{}
	}
}

// MaybeWaitForPush returns once req can be evaluated: the push would
// succeed now (batcheval.DecidePush), or a deadlock was found (then it
// sets req.Force). readRecord reads the pushee's current record (nil if
// none); it runs at least every QueryInterval, and its error ends the wait
// (the range uses that to send waiting pushes away when it loses the lease
// or the record's key: only the leaseholder's queue is queried for
// deadlock edges). It fails with TransactionAbortedError when the pusher was
// aborted meanwhile, or with the context's error.
func (q *Queue) MaybeWaitForPush(ctx context.Context, req *kvpb.PushTxnRequest, readRecord func() (*kvpb.Transaction, error)) error {
	pushee := req.GetPushee()
	var w *waiter
	defer func() {
		if w != nil {
			q.unregister(pushee.GetId(), w)
		}
	}()
	tick := time.NewTicker(q.cfg.QueryInterval)
	defer tick.Stop()
	for {
		// Take the wake-up channel before reading, so an update between
		// the read and the wait is not missed.
		updated := q.updatedChan(pushee.GetId())
		rec, err := readRecord()
		if err != nil {
			return err
		}
		if rec == nil {
			rec = &kvpb.Transaction{Meta: pushee, Status: kvpb.TransactionStatus_PENDING}
		}
		if batcheval.DecidePush(rec, req, q.cfg.Clock.Now().Forward(req.GetNow().HLC())) != batcheval.PushFails {
			return nil
		}
		if w == nil {
			w = &waiter{pusher: req.GetPusher().ID()}
			q.register(pushee.GetId(), w)
		}
		select {
		case <-updated:
		case <-tick.C:
			if done, err := q.queryPusher(ctx, req, rec, w); done || err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// queryPusher asks the pusher's range about the pusher: aborted → the push
// fails; a cycle through the pushee → the push is forced if the pushee is
// the lesser txn of the edge.
func (q *Queue) queryPusher(ctx context.Context, req *kvpb.PushTxnRequest, rec *kvpb.Transaction, w *waiter) (done bool, err error) {
	pusher := req.GetPusher()
	if q.cfg.Query == nil || len(pusher.ID()) == 0 {
		return false, nil
	}
	resp, err := q.cfg.Query(ctx, pusher.GetMeta())
	if err != nil {
		// The pusher's range may be briefly unavailable; keep waiting.
		return false, nil
	}
	if resp.GetQueriedTxn().GetStatus() == kvpb.TransactionStatus_ABORTED {
		return true, &kvpb.TransactionAbortedError{Reason: kvpb.TransactionAbortedReason_ABORT_REASON_PUSHER_ABORTED}
	}
	deps := resp.GetWaitingTxns()
	q.setDeps(w, deps)
	cycle := false
	for _, d := range deps {
		cycle = cycle || kvpb.SameTxn(d, req.GetPushee().GetId())
	}
	// A cycle: pusher waits on pushee, which (transitively) waits on
	// pusher. Every edge whose pushee is the lesser txn may break it, but
	// in a cycle of three or more several edges can be such: forcing them
	// all would abort more than one txn. The edge whose pushee has the
	// lowest ID among the txns it knows to be involved forces at once
	// (priorities are equal in the common case, so that is the cycle's
	// loser); the others only if the cycle is still there after
	// deferQueries more queries, which keeps every cycle broken even when
	// the lowest ID is a bystander waiting on the cycle.
	if !cycle || !batcheval.TxnLess(rec.GetMeta(), pusher.GetMeta()) {
		w.cycleQueries = 0
		return false, nil
	}
	w.cycleQueries++
	lowest := true
	for _, d := range deps {
		if bytes.Compare(d, rec.GetMeta().GetId()) < 0 {
			lowest = false
		}
	}
	if lowest || w.cycleQueries > deferQueries {
		req.Force = true
		return true, nil
	}
	return false, nil
}

// deferQueries is how many queries an edge of a deadlock cycle that is not
// the designated breaker waits before breaking the cycle itself.
const deferQueries = 3
