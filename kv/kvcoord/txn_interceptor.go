package kvcoord

import (
	"context"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// lockedSender sends a batch of the transaction with TxnCoordSender.mu
// held. Only the bottom of the stack (txnLockGatekeeper) releases the
// lock, around the RPC, so an interceptor's state is consistent whenever
// it runs.
type lockedSender interface {
	SendLocked(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error)
}

// txnInterceptor is one concern of the coordinator, stacked in
// TxnCoordSender (top first): heartbeater, seqNumAllocator, lockTracker,
// committer, spanRefresher, then the gatekeeper to the DistSender.
type txnInterceptor interface {
	lockedSender
	// setWrapped gives the interceptor the next one down.
	setWrapped(next lockedSender)
	// epochBumpedLocked is called when the transaction restarts at a new
	// epoch (same ID, intents kept as locks, reads forgotten).
	epochBumpedLocked()
	// closeLocked is called once the transaction is finished.
	closeLocked()
}

// Helpers over batches.

func hasWrites(ba *kvpb.BatchRequest) bool {
	for _, r := range ba.GetRequests() {
		if r.IsIntentWrite() {
			return true
		}
	}
	return false
}

func endTxnOf(ba *kvpb.BatchRequest) (*kvpb.EndTxnRequest, int) {
	for i, r := range ba.GetRequests() {
		if et := r.GetEndTxn(); et != nil {
			return et, i
		}
	}
	return nil, -1
}

// hasLockingReads reports whether ba has a locking read (SELECT ... FOR
// UPDATE): its locks need a record and heartbeats like intents do.
func hasLockingReads(ba *kvpb.BatchRequest) bool {
	for _, r := range ba.GetRequests() {
		if r.IsLockingRead() {
			return true
		}
	}
	return false
}

// writeSpan is the span a write request may lock (nil if not a write).
func writeSpan(r *kvpb.RequestUnion) *kvpb.Span {
	if !r.IsIntentWrite() {
		return nil
	}
	k, e := r.RequestSpan()
	return &kvpb.Span{Key: k, EndKey: e}
}
