package kvcoord

import (
	"context"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// txnLockTracker remembers every span the transaction may have written
// (recorded before the batch is sent: a failed or ambiguous write may
// still have left an intent), and hands them to the EndTxn as its lock
// spans, for the servers to resolve. (A pipeliner would also track writes
// in flight; we send writes synchronously.)
type txnLockTracker struct {
	tc      *TxnCoordSender
	wrapped lockedSender
	spans   []*kvpb.Span
	seen    map[string]bool // "key\x00end" of recorded spans
}

func (l *txnLockTracker) setWrapped(next lockedSender) { l.wrapped = next }

func (l *txnLockTracker) SendLocked(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	if et, _ := endTxnOf(ba); et != nil {
		// Spans of earlier batches; the server adds this batch's writes.
		et.LockSpans = l.spansLocked()
	}
	for _, r := range ba.GetRequests() {
		if s := writeSpan(r); s != nil {
			l.add(s)
		}
	}
	return l.wrapped.SendLocked(ctx, ba)
}

func (l *txnLockTracker) add(s *kvpb.Span) {
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	id := string(s.GetKey()) + "\x00" + string(s.GetEndKey())
	if l.seen[id] {
		return
	}
	l.seen[id] = true
	l.spans = append(l.spans, s)
}

// spansLocked returns a copy of the recorded spans.
func (l *txnLockTracker) spansLocked() []*kvpb.Span {
	return append([]*kvpb.Span(nil), l.spans...)
}

// Intents of earlier epochs are still ours: keep resolving them.
func (l *txnLockTracker) epochBumpedLocked() {}
func (l *txnLockTracker) closeLocked()       {}
