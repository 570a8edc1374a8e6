package kvcoord

import (
	"context"
	"errors"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// txnHeartbeater anchors the transaction at its first write (the record
// will live on the range of that key; a transaction that reads first is
// anchored at its first read key) and, once the transaction may have
// intents outside a one-phase commit, heartbeats its record so that
// others do not take it for abandoned. A heartbeat that finds the record
// ABORTED (pushed by a higher-priority or deadlocked transaction) stops
// the loop; the next batch fails with TransactionAbortedError and the
// intents are cleaned up in the background.
type txnHeartbeater struct {
	tc      *TxnCoordSender
	wrapped lockedSender
	// running: the loop has been started; stop ends it.
	running bool
	stop    chan struct{}
	// abortedSeen: a heartbeat found the record ABORTED.
	abortedSeen bool
}

func (h *txnHeartbeater) setWrapped(next lockedSender) { h.wrapped = next }

func (h *txnHeartbeater) SendLocked(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	tc := h.tc
	et, _ := endTxnOf(ba)
	if h.abortedSeen && (et == nil || et.GetCommit()) {
		// A heartbeat found the record aborted.
		return nil, &kvpb.TransactionAbortedError{Reason: kvpb.TransactionAbortedReason_ABORT_REASON_ABORTED_RECORD}
	}
	if t := tc.mu.txn; len(t.GetMeta().GetKey()) == 0 {
		// Anchor at the first write, or else the first key read (the
		// server wants an anchor on every transactional request).
		if k := anchorKey(ba); k != nil {
			t.Meta.Key = append([]byte(nil), k...)
			ba.Header.Txn.Meta.Key = t.Meta.Key
		}
	}
	if (hasWrites(ba) || hasLockingReads(ba)) && et == nil {
		// A batch with the commit may finish in one phase without a
		// record: no heartbeat for it.
		h.startLocked()
	}
	if et != nil {
		et.Key = tc.mu.txn.GetMeta().GetKey()
	}
	return h.wrapped.SendLocked(ctx, ba)
}

func anchorKey(ba *kvpb.BatchRequest) []byte {
	for _, r := range ba.GetRequests() {
		if r.IsIntentWrite() {
			k, _ := r.RequestSpan()
			return k
		}
	}
	for _, r := range ba.GetRequests() {
		if r.IsUserRead() {
			k, _ := r.RequestSpan()
			return k
		}
	}
	return nil
}

func (h *txnHeartbeater) startLocked() {
	if h.running {
		return
	}
	h.running = true
	h.stop = make(chan struct{})
	stop := h.stop
	f := h.tc.f
	f.goAsync(0, func(ctx context.Context) {
		t := time.NewTicker(f.cfg.HeartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-stop:
				return
			case <-t.C:
			}
			if !h.heartbeat(ctx) {
				return
			}
		}
	})
}

// heartbeat sends one HeartbeatTxn; false means stop.
func (h *txnHeartbeater) heartbeat(ctx context.Context) bool {
	tc := h.tc
	tc.mu.Lock()
	if tc.mu.state == txnFinalized {
		tc.mu.Unlock()
		return false
	}
	txn := tc.mu.txn.Clone()
	tc.mu.Unlock()
	hctx, cancel := context.WithTimeout(ctx, 2*tc.f.cfg.HeartbeatInterval+time.Second)
	defer cancel()
	ba := &kvpb.BatchRequest{Header: &kvpb.Header{Txn: txn},
		Requests: []*kvpb.RequestUnion{kvpb.NewHeartbeatTxn(txn.GetMeta().GetKey(), tc.f.cfg.Clock.Now())}}
	br, err := tc.f.cfg.Sender.Send(hctx, ba)
	aborted := false
	var tae *kvpb.TransactionAbortedError
	switch {
	case errors.As(err, &tae):
		aborted = true
	case err != nil:
		// Not reachable now; the record survives a few missed beats.
		tc.f.cfg.Logger.Debug("heartbeat failed", "txn", kvpb.ShortID(txn.ID()), "err", err)
		return true
	default:
		rec := br.GetResponses()[0].GetHeartbeatTxn().GetTxn()
		if rec.GetStatus() == kvpb.TransactionStatus_ABORTED {
			aborted = true
		}
	}
	if !aborted {
		return true
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.mu.state != txnFinalized {
		h.abortedSeen = true
	}
	return false
}

func (h *txnHeartbeater) epochBumpedLocked() {}

func (h *txnHeartbeater) closeLocked() {
	if h.stop != nil {
		close(h.stop)
		h.stop = nil
	}
	h.running = false
}
