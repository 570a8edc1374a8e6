package kvcoord

import (
	"context"
	"errors"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// txnCommitter handles the EndTxn:
//   - a transaction that wrote nothing finishes without a round trip;
//   - writes and EndTxn(commit) in one batch on one range commit in one
//     phase (the server writes no record: 1PC);
//   - when they span ranges the DistSender refuses the batch
//     (ErrEndTxnSpansRanges) and the committer sends its reads first, if
//     it has reads and writes (a guard read on another range, e.g. the
//     SQL schema generation check, then costs a round but the writes and
//     the EndTxn may still commit in one phase), then the writes, then
//     the EndTxn alone with their spans among its lock spans, so a
//     commit is never applied before its writes;
//   - on success (or a known abort) the coordinator is finalized;
//   - a commit batch that is the txn's first to write or lock anything
//     (at any epoch, counting failed sends) carries no_txn_record: nobody
//     can have met the txn, so no push or heartbeat can have written its
//     record, and the server's one-phase commit skips reading it.
//
// Intents on other ranges than the record's are resolved asynchronously
// by the server that applied the EndTxn.
type txnCommitter struct {
	tc      *TxnCoordSender
	wrapped lockedSender
	// locked: a batch that writes or locks has been sent (maybe failed or
	// ambiguous): from then on the txn may have a record.
	locked bool
}

func (c *txnCommitter) setWrapped(next lockedSender) { c.wrapped = next }

func (c *txnCommitter) SendLocked(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	et, idx := endTxnOf(ba)
	first := !c.locked
	if hasWrites(ba) || hasLockingReads(ba) {
		c.locked = true
	}
	if et == nil {
		return c.wrapped.SendLocked(ctx, ba)
	}
	tc := c.tc
	if len(et.GetLockSpans()) == 0 && !hasWrites(ba) {
		// Nothing written: no record, no intents. A read-only commit has
		// nothing to check (its reads were at one timestamp).
		status := kvpb.TransactionStatus_ABORTED
		if et.GetCommit() {
			status = kvpb.TransactionStatus_COMMITTED
		}
		if tc.mu.txn.GetStatus() == kvpb.TransactionStatus_ABORTED {
			status = kvpb.TransactionStatus_ABORTED
		}
		var br *kvpb.BatchResponse
		if len(ba.GetRequests()) > 1 {
			rest := &kvpb.BatchRequest{Header: ba.GetHeader(), Requests: append(append([]*kvpb.RequestUnion(nil),
				ba.GetRequests()[:idx]...), ba.GetRequests()[idx+1:]...)}
			var err error
			if br, err = c.wrapped.SendLocked(ctx, rest); err != nil {
				return nil, err
			}
		}
		tc.finalizeLocked(status)
		out := synthesizeEndTxnLocked(tc)
		if br != nil {
			resps := append(append(append([]*kvpb.ResponseUnion(nil), br.GetResponses()[:idx]...),
				out.GetResponses()[0]), br.GetResponses()[idx:]...)
			out.Responses = resps
		}
		return out, nil
	}
	ba.Header.NoTxnRecord = first && et.GetCommit()
	br, err := c.wrapped.SendLocked(ctx, ba)
	if errors.Is(err, ErrEndTxnSpansRanges) {
		br, err = c.sendSplit(ctx, ba, idx)
	}
	return c.finish(br, err, et.GetCommit())
}

// sendSplit sends a commit batch that spans ranges: its reads first when
// it has reads and writes, then the rest (one phase if it fits a range),
// else the batch without its EndTxn, then the EndTxn alone.
func (c *txnCommitter) sendSplit(ctx context.Context, ba *kvpb.BatchRequest, idx int) (*kvpb.BatchResponse, error) {
	var reads, rest []int
	for i, r := range ba.GetRequests() {
		if i != idx && !r.IsIntentWrite() {
			reads = append(reads, i)
		} else {
			rest = append(rest, i)
		}
	}
	if len(reads) == 0 || len(rest) < 2 {
		return c.sendSplitWrites(ctx, ba, idx)
	}
	sub := func(is []int) *kvpb.BatchRequest {
		reqs := make([]*kvpb.RequestUnion, len(is))
		for j, i := range is {
			reqs[j] = ba.GetRequests()[i]
		}
		return &kvpb.BatchRequest{Header: ba.GetHeader(), Requests: reqs}
	}
	rb := sub(reads)
	brR, err := c.wrapped.SendLocked(ctx, rb)
	if err != nil {
		return nil, err
	}
	if hasLockingReads(rb) {
		ba.Header.NoTxnRecord = false // its locks may have been met
	}
	wb := sub(rest)
	brW, err := c.wrapped.SendLocked(ctx, wb)
	if errors.Is(err, ErrEndTxnSpansRanges) {
		_, widx := endTxnOf(wb)
		brW, err = c.sendSplitWrites(ctx, wb, widx)
	}
	if err != nil {
		return nil, err
	}
	resps := make([]*kvpb.ResponseUnion, len(ba.GetRequests()))
	for j, i := range reads {
		resps[i] = brR.GetResponses()[j]
	}
	for j, i := range rest {
		resps[i] = brW.GetResponses()[j]
	}
	brW.Responses = resps
	return brW, nil
}

// sendSplitWrites sends the batch without its EndTxn, then the EndTxn
// alone.
func (c *txnCommitter) sendSplitWrites(ctx context.Context, ba *kvpb.BatchRequest, idx int) (*kvpb.BatchResponse, error) {
	rest := &kvpb.BatchRequest{Header: ba.GetHeader(), Requests: append(append([]*kvpb.RequestUnion(nil),
		ba.GetRequests()[:idx]...), ba.GetRequests()[idx+1:]...)}
	brRest, err := c.wrapped.SendLocked(ctx, rest)
	if err != nil {
		return nil, err
	}
	ba.Header.NoTxnRecord = false // its intents may have been met
	et := ba.GetRequests()[idx].GetEndTxn()
	lock := append([]*kvpb.Span(nil), et.GetLockSpans()...)
	for _, r := range rest.GetRequests() {
		if s := writeSpan(r); s != nil {
			lock = append(lock, s)
		}
	}
	etReq := kvpb.NewEndTxn(et.GetKey(), et.GetCommit(), lock)
	etReq.GetEndTxn().Deadline = et.GetDeadline()
	brEnd, err := c.wrapped.SendLocked(ctx, &kvpb.BatchRequest{Header: ba.GetHeader(), Requests: []*kvpb.RequestUnion{etReq}})
	if err != nil {
		return nil, err
	}
	resps := make([]*kvpb.ResponseUnion, 0, len(ba.GetRequests()))
	resps = append(resps, brRest.GetResponses()[:idx]...)
	resps = append(resps, brEnd.GetResponses()[0])
	resps = append(resps, brRest.GetResponses()[idx:]...)
	brEnd.Responses = resps
	return brEnd, nil
}

func (c *txnCommitter) finish(br *kvpb.BatchResponse, err error, commit bool) (*kvpb.BatchResponse, error) {
	tc := c.tc
	var tae *kvpb.TransactionAbortedError
	switch {
	case err == nil:
		status := kvpb.TransactionStatus_ABORTED
		if commit {
			status = kvpb.TransactionStatus_COMMITTED
		}
		tc.finalizeLocked(status)
		return br, nil
	case errors.As(err, &tae):
		if !commit {
			// Rolling back an aborted transaction: done.
			tc.finalizeLocked(kvpb.TransactionStatus_ABORTED)
			return synthesizeEndTxnLocked(tc), nil
		}
	}
	return nil, err
}

// synthesizeEndTxnLocked is the answer to an EndTxn that needed no round
// trip.
func synthesizeEndTxnLocked(tc *TxnCoordSender) *kvpb.BatchResponse {
	return &kvpb.BatchResponse{Txn: tc.mu.txn.Clone(),
		Responses: []*kvpb.ResponseUnion{{Value: &kvpb.ResponseUnion_EndTxn{EndTxn: &kvpb.EndTxnResponse{}}}}}
}

func (c *txnCommitter) epochBumpedLocked() {}
func (c *txnCommitter) closeLocked()       {}
