package kvcoord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// txnSpanRefresher keeps the spans the transaction has read (all at or
// below its current read timestamp) so that the read timestamp can move
// up: a refresh asks every span's range whether anything was written in
// (read ts, new ts]; if not, the reads are as valid at the new timestamp,
// and the transaction continues there.
//
// It refreshes
//   - before a commit whose write timestamp was pushed above the read
//     timestamp (timestamp cache, write-too-old on a blind write, a
//     pusher): to the write timestamp;
//   - after a batch failed with a retryable error that a higher read
//     timestamp fixes (RETRY_SERIALIZABLE from the EndTxn, a
//     WriteTooOldError, a read within the uncertainty interval): to just
//     above the offending value, then resends the batch — only when
//     resending cannot apply a write twice (see canResend).
//
// A failed refresh is a TransactionRetryError (RETRY_SERIALIZABLE): the
// transaction restarts.
type txnSpanRefresher struct {
	tc      *TxnCoordSender
	wrapped lockedSender
	spans   []*kvpb.Span
	used    bool
	// Counters (read by tests and metrics).
	refreshes, refreshFailures int
}

func (r *txnSpanRefresher) setWrapped(next lockedSender) { r.wrapped = next }

func (r *txnSpanRefresher) SendLocked(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	r.used = true
	tc := r.tc
	if et, _ := endTxnOf(ba); et != nil && et.GetCommit() {
		if t := tc.mu.txn; t.ReadTS().Less(t.WriteTS()) {
			if err := r.refreshLocked(ctx, t.WriteTS()); err != nil {
				return nil, err
			}
		}
	}
	for attempt := 0; ; attempt++ {
		br, err := r.wrapped.SendLocked(ctx, ba)
		if err == nil {
			r.recordReads(ba, br)
			return br, nil
		}
		to, ok := refreshTarget(err, tc.mu.txn)
		if !ok || attempt >= tc.f.cfg.MaxRefreshAttempts || !canResend(ba, err) {
			return nil, err
		}
		if rerr := r.refreshLocked(ctx, to); rerr != nil {
			return nil, rerr
		}
	}
}

// refreshTarget is the read timestamp that would fix err, if any.
func refreshTarget(err error, txn *kvpb.Transaction) (hlc.Timestamp, bool) {
	var (
		tre *kvpb.TransactionRetryError
		wto *kvpb.WriteTooOldError
		rwu *kvpb.ReadWithinUncertaintyIntervalError
	)
	switch {
	case errors.As(err, &tre):
		if tre.GetReason() != kvpb.TransactionRetryReason_RETRY_SERIALIZABLE {
			return hlc.Timestamp{}, false
		}
		ts := txn.WriteTS()
		if et := kvpb.ErrorTxn(err); et != nil {
			ts = ts.Forward(et.WriteTS())
		}
		return ts, true
	case errors.As(err, &wto):
		return txn.WriteTS().Forward(wto.GetActualTimestamp().HLC().Next()), true
	case errors.As(err, &rwu):
		return txn.WriteTS().Forward(rwu.GetValueTimestamp().HLC().Next()), true
	}
	return hlc.Timestamp{}, false
}

// canResend reports whether ba, which failed with err, can be sent again
// without applying a write twice. A failed part applied nothing, but
// other parts of the batch (on other ranges) may have been applied;
// resending those is harmless for blind writes (Put, Delete, DeleteRange:
// the same intent again) but not for a CPut or Increment (it would see
// its own intent). So a read-modify-write is resent only if it is the
// batch's only one and the error is about its own key, and a batch with
// the EndTxn (one range, by construction) always.
func canResend(ba *kvpb.BatchRequest, err error) bool {
	if et, _ := endTxnOf(ba); et != nil {
		return true
	}
	var rmw [][]byte
	for _, r := range ba.GetRequests() {
		switch r.GetValue().(type) {
		case *kvpb.RequestUnion_ConditionalPut, *kvpb.RequestUnion_Increment:
			k, _ := r.RequestSpan()
			rmw = append(rmw, k)
		}
	}
	if len(rmw) == 0 {
		return true
	}
	var wto *kvpb.WriteTooOldError
	return len(rmw) == 1 && errors.As(err, &wto) && bytes.Equal(wto.GetKey(), rmw[0])
}

// refreshLocked moves the read timestamp to `to` if no span read so far
// saw a write in (read ts, to].
func (r *txnSpanRefresher) refreshLocked(ctx context.Context, to hlc.Timestamp) error {
	tc := r.tc
	t := tc.mu.txn
	from := t.ReadTS()
	if !from.Less(to) {
		return nil
	}
	if len(r.spans) > 0 {
		r.refreshes++
		reqs := make([]*kvpb.RequestUnion, len(r.spans))
		for i, s := range r.spans {
			if len(s.GetEndKey()) == 0 {
				reqs[i] = kvpb.NewRefresh(s.GetKey(), from)
			} else {
				reqs[i] = kvpb.NewRefreshRange(s.GetKey(), s.GetEndKey(), from)
			}
		}
		h := t.Clone()
		h.ReadTimestamp = kvpb.TS(to)
		h.Meta.WriteTimestamp = kvpb.TS(t.WriteTS().Forward(to))
		h.Meta.Sequence = tc.seq.seq
		if _, err := tc.sendRawLocked(ctx, &kvpb.BatchRequest{Header: &kvpb.Header{Txn: h}, Requests: reqs}); err != nil {
			var rfe *kvpb.RefreshFailedError
			var wie *kvpb.WriteIntentError
			if !errors.As(err, &rfe) && !errors.As(err, &wie) {
				return err
			}
			r.refreshFailures++
			// A restart must start above the conflict.
			tc.mu.txn.Meta.WriteTimestamp = kvpb.TS(tc.mu.txn.WriteTS().Forward(to))
			return &kvpb.TxnError{Txn: tc.mu.txn.Clone(), Err: &kvpb.TransactionRetryError{
				Reason:   kvpb.TransactionRetryReason_RETRY_SERIALIZABLE,
				ExtraMsg: fmt.Sprintf("cannot move the read timestamp from %s to %s: %v", from, to, err)}}
		}
		t = tc.mu.txn
	}
	t.ReadTimestamp = kvpb.TS(to)
	t.Meta.WriteTimestamp = kvpb.TS(t.WriteTS().Forward(to))
	t.WriteTooOld = false
	return nil
}

// recordReads adds the spans ba read (as far as its limits let it get).
func (r *txnSpanRefresher) recordReads(ba *kvpb.BatchRequest, br *kvpb.BatchResponse) {
	gets := 0
	for _, req := range ba.GetRequests() {
		if _, ok := req.GetValue().(*kvpb.RequestUnion_Get); ok {
			gets++
		}
	}
	points := make([]kvpb.Span, gets) // the batch's Get spans, in one allocation
	r.spans = slices.Grow(r.spans, gets)
	for i, req := range ba.GetRequests() {
		var resp *kvpb.ResponseUnion
		if i < len(br.GetResponses()) {
			resp = br.GetResponses()[i]
		}
		switch v := req.GetValue().(type) {
		case *kvpb.RequestUnion_Get:
			sp := &points[0]
			points = points[1:]
			sp.Key = v.Get.GetKey()
			r.spans = append(r.spans, sp)
		case *kvpb.RequestUnion_Scan:
			s := &kvpb.Span{Key: v.Scan.GetKey(), EndKey: v.Scan.GetEndKey()}
			if rs := resp.GetScan().GetResumeSpan(); rs != nil {
				s.EndKey = rs.GetKey()
			}
			r.addSpan(s)
		case *kvpb.RequestUnion_ReverseScan:
			s := &kvpb.Span{Key: v.ReverseScan.GetKey(), EndKey: v.ReverseScan.GetEndKey()}
			if rs := resp.GetReverseScan().GetResumeSpan(); rs != nil {
				s.Key = rs.GetEndKey()
			}
			r.addSpan(s)
		case *kvpb.RequestUnion_DeleteRange:
			// It read the span to find what to delete: a key written into
			// it later must invalidate it as it would a scan.
			s := &kvpb.Span{Key: v.DeleteRange.GetKey(), EndKey: v.DeleteRange.GetEndKey()}
			if rs := resp.GetDeleteRange().GetResumeSpan(); rs != nil {
				s.EndKey = rs.GetKey()
			}
			r.addSpan(s)
		}
	}
}

func (r *txnSpanRefresher) addSpan(s *kvpb.Span) {
	if bytes.Compare(s.GetKey(), s.GetEndKey()) < 0 {
		r.spans = append(r.spans, s)
	}
}

func (r *txnSpanRefresher) epochBumpedLocked() { r.spans = nil }
func (r *txnSpanRefresher) closeLocked()       { r.spans = nil }
