package batcheval

import (
	"fmt"

	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var endTxnCmd = command{
	declare: declareEndTxn,
	eval:    evalEndTxn,
}

// declareEndTxn latches the record and the local lock spans (resolved
// synchronously).
func declareEndTxn(req *kvpb.RequestUnion, h DeclareHeader) []spanlatch.Span {
	r := req.GetEndTxn()
	out := []spanlatch.Span{{Key: keys.TxnRecordKey(r.GetKey(), h.Txn.ID()), Access: spanlatch.Write}}
	if h.Desc == nil {
		return out
	}
	for _, s := range r.GetLockSpans() {
		if in, _ := clipSpan(h.Desc, s); in != nil {
			out = append(out, spanlatch.Span{Key: in.GetKey(), EndKey: in.GetEndKey(), Access: spanlatch.Write})
		}
	}
	return out
}

// evalEndTxn finalizes the batch's transaction.
//
//   - The record (if any) decides: ABORTED → TransactionAbortedError (a
//     rollback succeeds); COMMITTED → TransactionStatusError; PENDING with
//     a pushed write timestamp moves the txn's.
//   - A commit needs write timestamp == read timestamp (else
//     TransactionRetryError RETRY_SERIALIZABLE carrying the txn: refresh,
//     then retry) and not above the deadline.
//   - Intents in the lock spans and in the batch's own writes on this
//     range are resolved now; the rest are left to the caller
//     (Result.EndTxn) and listed in the finalized record. A txn without a
//     record whose only writes are in this batch commits without one
//     (one-phase commit); any other keeps its finalized record (records are
//     not garbage-collected yet).
func evalEndTxn(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetEndTxn()
	if err := validTxn(a.Txn); err != nil {
		return nil, err
	}
	if string(r.GetKey()) != string(a.Txn.GetMeta().GetKey()) {
		return nil, &kvpb.InvalidRequestError{Reason: "EndTxn key is not the txn's anchor"}
	}
	txn := a.Txn
	var rec *kvpb.Transaction
	var hadRecord bool
	if !a.direct { // directCommit found no record, under this batch's latch on it
		var err error
		if rec, hadRecord, err = LoadTxnRecord(a.RW, txn.GetMeta()); err != nil {
			return nil, err
		}
	}
	if hadRecord {
		switch rec.GetStatus() {
		case kvpb.TransactionStatus_ABORTED:
			if r.GetCommit() {
				return nil, &kvpb.TxnError{Err: &kvpb.TransactionAbortedError{Reason: kvpb.TransactionAbortedReason_ABORT_REASON_ABORTED_RECORD}, Txn: rec}
			}
		case kvpb.TransactionStatus_COMMITTED:
			return nil, &kvpb.TransactionStatusError{Msg: fmt.Sprintf("txn %s already committed", kvpb.ShortID(txn.ID()))}
		default:
			if rec.GetMeta().GetEpoch() <= txn.GetMeta().GetEpoch() {
				txn.Meta.WriteTimestamp = kvpb.TS(txn.WriteTS().Forward(rec.WriteTS()))
			}
		}
	}
	status := kvpb.TransactionStatus_ABORTED
	if r.GetCommit() {
		if dl := r.GetDeadline().HLC(); !dl.IsEmpty() && dl.Less(txn.WriteTS()) {
			return nil, &kvpb.TransactionRetryError{Reason: kvpb.TransactionRetryReason_RETRY_COMMIT_DEADLINE_EXCEEDED,
				ExtraMsg: fmt.Sprintf("write timestamp %s above deadline %s", txn.WriteTS(), dl)}
		}
		if txn.ReadTS() != txn.WriteTS() {
			return nil, &kvpb.TransactionRetryError{Reason: kvpb.TransactionRetryReason_RETRY_SERIALIZABLE,
				ExtraMsg: fmt.Sprintf("write timestamp %s above read timestamp %s: refresh", txn.WriteTS(), txn.ReadTS())}
		}
		if !hadRecord && len(r.GetLockSpans()) > 0 && a.recordMayHaveBeenGCed(txn) {
			// Its record (maybe ABORTED, its intents gone) may have been
			// garbage-collected.
			return nil, errRecordGCed(txn)
		}
		status = kvpb.TransactionStatus_COMMITTED
	}
	if a.direct {
		if status != kvpb.TransactionStatus_COMMITTED || hadRecord {
			return nil, ErrDirectCommitFallback // not reached: directCommit checked both
		}
		// The batch's writes went in as committed values: nothing to
		// resolve; the lock table still drops the txn's locks on them.
		txn.Status = status
		for _, s := range a.batchWrites {
			a.noteResolved(s, txn.ID())
		}
		final := txn.Clone()
		final.ObservedTimestamps = nil
		a.noteTxn(final)
		return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_EndTxn{EndTxn: &kvpb.EndTxnResponse{OnePhaseCommit: true}}}, nil
	}
	txn.Status = status
	spans := append(append([]*kvpb.Span(nil), r.GetLockSpans()...), a.batchWrites...)
	var remote []*kvpb.Span
	u := lockUpdate(txn.GetMeta(), status, txn.GetIgnoredSeqnums())
	for _, s := range spans {
		in, out := clipSpan(a.Desc, s)
		remote = append(remote, out...)
		if in == nil {
			continue
		}
		if err := resolveSpan(a.RW, in, u, a.Stats); err != nil {
			return nil, err
		}
		a.noteResolved(in, txn.ID())
	}
	// Without a record and with no intents from earlier batches, nobody
	// can have seen the txn: it needs no record (one-phase commit).
	// Otherwise the finalized record stays, so that whoever met an intent
	// and pushes later learns the outcome instead of waiting for expiry.
	onePC := !hadRecord && len(r.GetLockSpans()) == 0 && len(remote) == 0
	final := txn.Clone()
	final.LockSpans = remote
	final.ObservedTimestamps = nil
	if !onePC {
		if err := writeRecord(a.RW, final); err != nil {
			return nil, err
		}
	}
	if len(remote) > 0 && a.Result != nil {
		a.Result.EndTxn = &EndTxnResult{Txn: final, RemoteSpans: remote}
	}
	a.noteTxn(final)
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_EndTxn{EndTxn: &kvpb.EndTxnResponse{
		OnePhaseCommit: onePC && r.GetCommit(), RemoteLockSpans: remote}}}, nil
}

// resolveSpan resolves u's intents in s (a point when EndKey is empty),
// ignoring keys without one.
func resolveSpan(rw storage.ReadWriter, s *kvpb.Span, u storage.LockUpdate, ms *storage.MVCCStats) error {
	if len(s.GetEndKey()) == 0 {
		err := storage.MVCCResolveIntent(rw, s.GetKey(), u, ms)
		if err != nil && !isNotFound(err) {
			return err
		}
		return nil
	}
	_, _, err := storage.MVCCResolveIntentRange(rw, s.GetKey(), s.GetEndKey(), u, 0, ms)
	if err != nil && !isNotFound(err) {
		return err
	}
	return nil
}
