package ranges

import (
	"context"
	"errors"
	"time"

	"github.com/tesseradb/tessera/kv/batcheval"
	"github.com/tesseradb/tessera/kv/concurrency"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// localRouter routes a keyed batch to this store's replica holding its
// first key (the TxnSender of a store without a DistSender).
type localRouter struct{ s *Store }

func (l localRouter) Send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	key, _ := ba.GetRequests()[0].RequestSpan()
	var target *Replica
	l.s.forEachReplica(func(r *Replica) {
		if d := r.Desc(); d != nil && d.ContainsKey(key) {
			target = r
		}
	})
	if target == nil {
		return nil, &kvpb.RangeKeyMismatchError{RequestStartKey: key}
	}
	ba.Header.RangeId = uint64(target.rangeID)
	br, err := l.s.Send(ctx, ba)
	if err != nil {
		return &kvpb.BatchResponse{Error: kvpb.NewError(err)}, nil
	}
	return br, nil
}

func (s *Store) newConcurrencyManager(latches *spanlatch.Manager) *concurrency.Manager {
	return concurrency.NewManager(concurrency.Config{
		Latches: latches,
		Pusher:  s.intentResolver,
		TxnWait: concurrency.QueueConfig{Clock: s.cfg.Clock, QueryInterval: s.cfg.TxnQueryInterval, Query: s.intentResolver.QueryTxn},
	})
}

// isUserRequest: requests on user data that go through the lock table and
// the timestamp cache (not txn record commands or intent resolution).
func isUserRequest(req *kvpb.RequestUnion) bool {
	return req.IsUserRead() || req.IsIntentWrite() || isRefresh(req)
}

func isRefresh(req *kvpb.RequestUnion) bool {
	switch req.GetValue().(type) {
	case *kvpb.RequestUnion_Refresh, *kvpb.RequestUnion_RefreshRange:
		return true
	}
	return false
}

// waitForPushes lets the batch's PushTxn requests wait in the txn wait
// queue until they can succeed (or a deadlock forces them).
func (r *Replica) waitForPushes(ctx context.Context, ba *kvpb.BatchRequest) error {
	for _, req := range ba.GetRequests() {
		p := req.GetPushTxn()
		if p == nil {
			continue
		}
		key, _ := req.RequestSpan()
		err := r.conc.TxnWait.MaybeWaitForPush(ctx, p, func() (*kvpb.Transaction, error) {
			// A push waits here only while this replica holds the lease
			// and the record's key: the queue's waiters are what the
			// deadlock detector learns from QueryTxn at the leaseholder,
			// so a push left waiting here after the lease moved (or a
			// split moved the record) would hide its edge from every
			// query and a deadlock through it would never be broken.
			// Abandoning the wait sends the push to the new leaseholder.
			if err := r.checkServing(key); err != nil {
				return nil, err
			}
			rec, _, err := batcheval.LoadTxnRecord(r.store.eng, p.GetPushee())
			return rec, err
		})
		if err != nil {
			if ctx.Err() != nil {
				return r.unavailable(ctx, "waiting for a push")
			}
			return err
		}
	}
	return nil
}

// checkServing returns nil while this replica holds a valid lease (not
// being transferred away) and its descriptor contains key; otherwise the
// error that redirects the client (NotLeaseholderError,
// RangeKeyMismatchError, RangeNotFoundError). It never waits.
func (r *Replica) checkServing(key []byte) error {
	now := r.store.cfg.Clock.Now()
	r.mu.RLock()
	_, acquire, err := r.leaseStatusLocked(now)
	if acquire {
		// No lease to serve under: the push retries where the client's
		// redirect (holder or leader) sends it.
		err = r.notLeaseholderErrLocked()
	}
	if err != nil {
		r.mu.RUnlock()
		return err
	}
	desc := r.mu.desc
	r.mu.RUnlock()
	if desc == nil || !desc.ContainsKey(key) {
		return r.store.mismatchError(key, nil, desc)
	}
	return nil
}

// applySideEffects tells the concurrency manager and the intent resolver
// what an applied batch did.
func (r *Replica) applySideEffects(res *batcheval.Result) {
	for _, l := range res.ResolvedLocks {
		if l.Pending {
			r.conc.OnIntentsPushed(l.Span, l.TxnID)
		} else {
			r.conc.OnLocksResolved(l.Span, l.TxnID)
		}
	}
	for _, t := range res.UpdatedTxns {
		r.conc.OnTxnUpdated(t)
	}
	if e := res.EndTxn; e != nil {
		r.store.intentResolver.ResolveAsync(e.Txn, e.RemoteSpans)
	}
}

// fillQueryTxn adds the txn wait queue's waiters to QueryTxn responses.
func (r *Replica) fillQueryTxn(ba *kvpb.BatchRequest, br *kvpb.BatchResponse) {
	for i, req := range ba.GetRequests() {
		if q := req.GetQueryTxn(); q != nil && i < len(br.GetResponses()) {
			br.Responses[i].GetQueryTxn().WaitingTxns = r.conc.TxnWait.WaitingTxns(q.GetTxn().GetId())
		}
	}
}

func asWriteIntentError(err error) (*kvpb.WriteIntentError, bool) {
	if err == nil {
		return nil, false // (errors.As would allocate its target even so)
	}
	var wie *kvpb.WriteIntentError
	ok := errors.As(err, &wie)
	return wie, ok
}

// commitWait holds the acknowledgement of a txn committed at a timestamp
// still ahead of our clock (readers pushed it to their uncertainty limit)
// until the clock passes it, so that any later read, on any node within
// the max offset, is at or above it. It waits at most the max offset.
func (r *Replica) commitWait(ctx context.Context, txn *kvpb.Transaction) {
	if txn.GetStatus() != kvpb.TransactionStatus_COMMITTED {
		return
	}
	clock := r.store.cfg.Clock
	ts := txn.WriteTS()
	deadline := time.Now().Add(clock.MaxOffset() + time.Millisecond)
	for now := clock.Now(); now.LessEq(ts) && time.Now().Before(deadline); now = clock.Now() {
		wait := time.Duration(ts.WallTime - now.WallTime)
		if wait <= 0 {
			wait = time.Microsecond
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}
