package kvcoord

import (
	"bytes"
	"context"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// txnLockTracker remembers every span the transaction may have written
// or locked (locking reads)
// (recorded before the batch is sent: a failed or ambiguous write may
// still have left an intent), and hands them to the EndTxn as its lock
// spans, for the servers to resolve. (A pipeliner would also track writes
// in flight; we send writes synchronously.)
type txnLockTracker struct {
	tc      *TxnCoordSender
	wrapped lockedSender
	spans   []*kvpb.Span
	seen    map[string]bool // "key\x00end" of recorded spans
	// locked are the spans of locking reads (unreplicated locks only),
	// kept apart: one the txn also wrote needs no resolving of its own
	// (the write's resolve releases the lock), so an UPDATE's read-lock
	// then write of a row can still commit in one phase.
	locked     []*kvpb.Span
	lockedSeen map[string]bool
}

func (l *txnLockTracker) setWrapped(next lockedSender) { l.wrapped = next }

func (l *txnLockTracker) SendLocked(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	if et, _ := endTxnOf(ba); et != nil {
		// Spans of earlier batches; the server adds this batch's writes.
		et.LockSpans = l.spansLocked()
		var writes []*kvpb.Span
		for _, r := range ba.GetRequests() {
			if s := writeSpan(r); s != nil {
				writes = append(writes, s)
			}
		}
		for _, s := range l.locked {
			if !covered(s, l.spans) && !covered(s, writes) {
				et.LockSpans = append(et.LockSpans, s)
			}
		}
	}
	for _, r := range ba.GetRequests() {
		if s := writeSpan(r); s != nil {
			l.add(s)
		} else if r.IsLockingRead() {
			// Its unreplicated locks are released by resolving the span.
			k, e := r.RequestSpan()
			l.addLocked(&kvpb.Span{Key: k, EndKey: e})
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

func (l *txnLockTracker) addLocked(s *kvpb.Span) {
	if l.lockedSeen == nil {
		l.lockedSeen = map[string]bool{}
	}
	id := string(s.GetKey()) + "\x00" + string(s.GetEndKey())
	if l.lockedSeen[id] {
		return
	}
	l.lockedSeen[id] = true
	l.locked = append(l.locked, s)
}

// covered reports whether s lies inside one of spans.
func covered(s *kvpb.Span, spans []*kvpb.Span) bool {
	for _, w := range spans {
		if len(w.GetEndKey()) == 0 {
			if len(s.GetEndKey()) == 0 && bytes.Equal(s.GetKey(), w.GetKey()) {
				return true
			}
			continue
		}
		end := s.GetEndKey()
		if len(end) == 0 {
			end = append(append([]byte(nil), s.GetKey()...), 0)
		}
		if bytes.Compare(w.GetKey(), s.GetKey()) <= 0 && bytes.Compare(end, w.GetEndKey()) <= 0 {
			return true
		}
	}
	return false
}

// spansLocked returns a copy of the recorded spans.
func (l *txnLockTracker) spansLocked() []*kvpb.Span {
	return append([]*kvpb.Span(nil), l.spans...)
}

// Intents of earlier epochs are still ours: keep resolving them.
func (l *txnLockTracker) epochBumpedLocked() {}
func (l *txnLockTracker) closeLocked()       {}
