package kvcoord

import (
	"context"
	"fmt"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// txnSeqNumAllocator numbers the transaction's writes: every batch that
// writes gets the next sequence number, and every batch carries the
// current one, so that a read sees exactly the txn's own writes up to it
// and a savepoint can name "everything after this point".
type txnSeqNumAllocator struct {
	tc      *TxnCoordSender
	wrapped lockedSender
	seq     int32
	// used: some batch has been sent.
	used bool
}

func (s *txnSeqNumAllocator) setWrapped(next lockedSender) { s.wrapped = next }

func (s *txnSeqNumAllocator) SendLocked(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	s.used = true
	if hasWrites(ba) {
		s.seq++
	}
	ba.Header.Txn.Meta.Sequence = s.seq
	return s.wrapped.SendLocked(ctx, ba)
}

// Sequence numbers keep growing across epochs (the epoch tells them apart).
func (s *txnSeqNumAllocator) epochBumpedLocked() {}
func (s *txnSeqNumAllocator) closeLocked()       {}

// Savepoint is a point in a transaction that RollbackToSavepoint returns
// to: writes after it are discarded, reads are kept (they still had to be
// consistent).
type Savepoint struct {
	txnID []byte
	epoch uint32
	seq   int32
}

// CreateSavepoint returns the current point of the transaction.
func (tc *TxnCoordSender) CreateSavepoint() (Savepoint, error) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if err := tc.checkOpenLocked(); err != nil {
		return Savepoint{}, err
	}
	return Savepoint{txnID: tc.mu.txn.ID(), epoch: tc.mu.txn.GetMeta().GetEpoch(), seq: tc.seq.seq}, nil
}

// RollbackToSavepoint discards every write made after sp: their sequence
// numbers join the transaction's ignored ranges, which reads and the
// final intent resolution honour. A savepoint of an earlier epoch (the
// transaction restarted since) cannot be rolled back to.
func (tc *TxnCoordSender) RollbackToSavepoint(sp Savepoint) error {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if err := tc.checkSavepointLocked(sp); err != nil {
		return err
	}
	if cur := tc.seq.seq; cur > sp.seq {
		t := tc.mu.txn
		t.IgnoredSeqnums = addIgnored(t.IgnoredSeqnums, sp.seq+1, cur)
	}
	return nil
}

// ReleaseSavepoint forgets sp (nothing to undo; checks it is valid).
func (tc *TxnCoordSender) ReleaseSavepoint(sp Savepoint) error {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.checkSavepointLocked(sp)
}

func (tc *TxnCoordSender) checkSavepointLocked(sp Savepoint) error {
	if err := tc.checkOpenLocked(); err != nil {
		return err
	}
	if !kvpb.SameTxn(sp.txnID, tc.mu.txn.ID()) {
		return &kvpb.InvalidRequestError{Reason: "savepoint of another transaction"}
	}
	if sp.epoch != tc.mu.txn.GetMeta().GetEpoch() {
		return &kvpb.TransactionRetryError{Reason: kvpb.TransactionRetryReason_RETRY_REASON_UNKNOWN,
			ExtraMsg: fmt.Sprintf("savepoint of epoch %d; the transaction restarted (epoch %d)", sp.epoch, tc.mu.txn.GetMeta().GetEpoch())}
	}
	return nil
}

// checkOpenLocked fails if the transaction cannot take operations now.
func (tc *TxnCoordSender) checkOpenLocked() error {
	switch tc.mu.state {
	case txnRetryable:
		return tc.mu.storedErr
	case txnFinalized:
		return &kvpb.TransactionStatusError{Msg: fmt.Sprintf("txn %s is already %s", kvpb.ShortID(tc.mu.txn.ID()), tc.mu.txn.GetStatus())}
	}
	if tc.mu.inFlight {
		return ErrConcurrentTxnUse
	}
	return nil
}

// addIgnored adds [start, end] to the sorted, disjoint ranges, merging.
func addIgnored(rs []*kvpb.IgnoredSeqNumRange, start, end int32) []*kvpb.IgnoredSeqNumRange {
	var out []*kvpb.IgnoredSeqNumRange
	for _, r := range rs {
		if r.GetEnd()+1 < start || end+1 < r.GetStart() {
			out = append(out, r)
			continue
		}
		start, end = min(start, r.GetStart()), max(end, r.GetEnd())
	}
	out = append(out, &kvpb.IgnoredSeqNumRange{Start: start, End: end})
	for i := len(out) - 1; i > 0 && out[i].GetStart() < out[i-1].GetStart(); i-- {
		out[i], out[i-1] = out[i-1], out[i]
	}
	return out
}
