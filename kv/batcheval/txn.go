package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

// TxnLivenessThreshold: a PENDING transaction whose record was not
// heartbeated for this long (or that has no record and started this long
// ago) may be aborted by whoever pushes it. Coordinators heartbeat well
// within it (every second).
const TxnLivenessThreshold = 5 * time.Second

// TxnRecordGCAge is the default age past which the GC queue removes a
// finalized (COMMITTED or ABORTED) txn record, once the intents it lists
// are resolved. Because a removed record could otherwise be created
// again (a late heartbeat, a commit of a txn aborted long ago whose
// intents are gone), a txn without a record that started longer ago than
// the age may not create one: HeartbeatTxn and a committing EndTxn fail
// with TransactionAbortedError (ABORT_REASON_RECORD_ALREADY_FINALIZED).
const TxnRecordGCAge = time.Hour

// recordMayHaveBeenGCed: txn has no record and started more than the
// record GC age ago, so a record it had may have been removed.
func (a *Args) recordMayHaveBeenGCed(t *kvpb.Transaction) bool {
	if a.RecordGCAge <= 0 || a.Now.IsEmpty() {
		return false
	}
	start := t.GetMeta().GetMinTimestamp().HLC()
	if start.IsEmpty() {
		start = t.ReadTS()
	}
	return start.AddDuration(int64(a.RecordGCAge)).Less(a.Now)
}

func errRecordGCed(t *kvpb.Transaction) error {
	return &kvpb.TxnError{Err: &kvpb.TransactionAbortedError{Reason: kvpb.TransactionAbortedReason_ABORT_REASON_RECORD_ALREADY_FINALIZED}, Txn: t}
}

// ToStorageMeta converts a txn to what MVCC records in its intents.
func ToStorageMeta(t *kvpb.Transaction) *storage.TxnMeta {
	if t == nil {
		return nil
	}
	m := t.GetMeta()
	var id storage.TxnID
	copy(id[:], m.GetId())
	return &storage.TxnMeta{ID: id, Epoch: m.GetEpoch(), Sequence: m.GetSequence(),
		WriteTimestamp: m.GetWriteTimestamp().HLC(), Key: m.GetKey(),
		MinTimestamp: m.GetMinTimestamp().HLC(), Priority: m.GetPriority()}
}

// FromStorageMeta converts an intent's writer to its wire form.
func FromStorageMeta(m storage.TxnMeta) *kvpb.TxnMeta {
	return &kvpb.TxnMeta{Id: append([]byte(nil), m.ID[:]...), Key: m.Key, Epoch: m.Epoch,
		WriteTimestamp: kvpb.TS(m.WriteTimestamp), MinTimestamp: kvpb.TS(m.MinTimestamp),
		Priority: m.Priority, Sequence: m.Sequence}
}

func storageID(id []byte) storage.TxnID {
	var out storage.TxnID
	copy(out[:], id)
	return out
}

func validTxn(t *kvpb.Transaction) error {
	if t == nil {
		return &kvpb.InvalidRequestError{Reason: "transactional request without a transaction"}
	}
	if len(t.ID()) != kvpb.TxnIDLen {
		return &kvpb.InvalidRequestError{Reason: "transaction ID must be 16 bytes"}
	}
	if len(t.GetMeta().GetKey()) == 0 {
		return &kvpb.InvalidRequestError{Reason: "transaction without an anchor key"}
	}
	if t.WriteTS().IsEmpty() || t.ReadTS().IsEmpty() || t.WriteTS().Less(t.ReadTS()) {
		return &kvpb.InvalidRequestError{Reason: "transaction timestamps missing or write below read"}
	}
	return nil
}

// readTS is the timestamp reads of the batch use.
func (a *Args) readTS() hlc.Timestamp {
	if a.Txn != nil {
		return a.Txn.ReadTS()
	}
	return a.Timestamp
}

func (a *Args) readOpts() storage.MVCCReadOptions {
	if a.Txn == nil {
		return storage.MVCCReadOptions{}
	}
	meta := a.readMeta
	if meta == nil {
		meta = ToStorageMeta(a.Txn)
	}
	o := storage.MVCCReadOptions{Txn: meta, UncertaintyLimit: a.Txn.LocalUncertaintyLimit(a.NodeID)}
	for _, r := range a.Txn.GetIgnoredSeqnums() {
		o.IgnoredSeqNums = append(o.IgnoredSeqNums, storage.SeqRange{Start: r.GetStart(), End: r.GetEnd()})
	}
	return o
}

// lockingReadOpts are readOpts for a read of strength str: a
// transactional locking read also sees intents above its timestamp as
// conflicts and newer committed values as write-too-old. With
// WAIT_POLICY_SKIP_LOCKED it leaves out the keys other txns hold locked.
func (a *Args) lockingReadOpts(str kvpb.KeyLocking, wait kvpb.KeyWaitPolicy) storage.MVCCReadOptions {
	o := a.readOpts()
	o.Locking = a.Txn != nil && str != kvpb.KeyLocking_KEY_LOCKING_NONE
	if o.Locking && wait == kvpb.KeyWaitPolicy_WAIT_POLICY_SKIP_LOCKED {
		o.SkipLocked = true
		o.SkipKey = a.LockedByOther
	}
	return o
}

// readAccess is the latch a read of strength str takes: a transactional
// locking read latches for writing (it excludes writers and other
// locking reads of its keys while it evaluates and takes its locks).
func readAccess(str kvpb.KeyLocking, h DeclareHeader) spanlatch.Access {
	if h.Txn != nil && str != kvpb.KeyLocking_KEY_LOCKING_NONE {
		return spanlatch.Write
	}
	return spanlatch.Read
}

// maxWriteTooOldRetries bounds how often a blind write moves above newer
// values within one evaluation (each retry moves strictly up).
const maxWriteTooOldRetries = 8

// write runs a transactional or plain write. A transactional blind write
// (Put, Delete) that meets a newer committed value is retried above it
// and marks the txn write_too_old; read-modify-writes return the error
// (their read would not be covered by a refresh).
func (a *Args) write(blind bool, f func(ts hlc.Timestamp, opts storage.MVCCWriteOptions) error) error {
	if a.Txn == nil {
		return f(a.Timestamp, storage.MVCCWriteOptions{Stats: a.Stats})
	}
	if err := validTxn(a.Txn); err != nil {
		return err
	}
	if a.direct {
		// Committed values at the commit timestamp; a newer value means
		// the transactional rules (write-too-old) must decide.
		err := f(a.Txn.WriteTS(), storage.MVCCWriteOptions{Stats: a.Stats})
		var wto *storage.WriteTooOldError
		if asWTO(err, &wto) {
			return ErrDirectCommitFallback
		}
		return err
	}
	for i := 0; ; i++ {
		ts := a.Txn.WriteTS()
		err := f(ts, storage.MVCCWriteOptions{Txn: ToStorageMeta(a.Txn), Stats: a.Stats})
		var wto *storage.WriteTooOldError
		if err == nil || !blind || i >= maxWriteTooOldRetries || !asWTO(err, &wto) {
			return err
		}
		a.Txn.Meta.WriteTimestamp = kvpb.TS(ts.Forward(wto.ActualTimestamp))
		a.Txn.WriteTooOld = true
	}
}

func asWTO(err error, wto **storage.WriteTooOldError) bool {
	e, ok := err.(*storage.WriteTooOldError)
	if ok {
		*wto = e
	}
	return ok
}

// Txn records: raw (unversioned) keys holding an encoded Transaction.

func recordKey(t *kvpb.TxnMeta) []byte { return keys.TxnRecordKey(t.GetKey(), t.GetId()) }

// LoadTxnRecord reads the record of txn, if any.
func LoadTxnRecord(r storage.Reader, t *kvpb.TxnMeta) (*kvpb.Transaction, bool, error) {
	v, ok, err := r.GetRaw(recordKey(t))
	if err != nil || !ok {
		return nil, false, err
	}
	rec := &kvpb.Transaction{}
	if err := proto.Unmarshal(v, rec); err != nil {
		return nil, false, err
	}
	return rec, true, nil
}

func writeRecord(w storage.Writer, rec *kvpb.Transaction) error {
	b, err := proto.Marshal(rec)
	if err != nil {
		return err
	}
	return w.PutRaw(recordKey(rec.GetMeta()), b)
}

// synthesizeRecord is the PENDING record a txn without one is taken to
// have: last active at its min timestamp.
func synthesizeRecord(m *kvpb.TxnMeta) *kvpb.Transaction {
	return &kvpb.Transaction{Meta: proto.Clone(m).(*kvpb.TxnMeta), Status: kvpb.TransactionStatus_PENDING,
		ReadTimestamp: m.GetMinTimestamp()}
}

// IsExpired reports whether a PENDING record's coordinator is presumed
// dead at now.
func IsExpired(rec *kvpb.Transaction, now hlc.Timestamp) bool {
	last := rec.GetLastHeartbeat().HLC().Forward(rec.GetMeta().GetMinTimestamp().HLC())
	if last.IsEmpty() {
		last = rec.WriteTS()
	}
	return last.AddDuration(int64(TxnLivenessThreshold)).Less(now)
}

func (a *Args) noteTxn(rec *kvpb.Transaction) {
	if a.Result != nil {
		a.Result.UpdatedTxns = append(a.Result.UpdatedTxns, rec)
	}
}

func (a *Args) noteResolved(s *kvpb.Span, id []byte) { a.noteResolvedStatus(s, id, false) }

// noteResolvedStatus notes a resolve; pending when the txn is still
// PENDING (its intents were pushed, its locks remain).
func (a *Args) noteResolvedStatus(s *kvpb.Span, id []byte, pending bool) {
	if a.Result != nil {
		a.Result.ResolvedLocks = append(a.Result.ResolvedLocks, ResolvedLock{Span: s, TxnID: id, Pending: pending})
	}
}

func lockUpdate(t *kvpb.TxnMeta, status kvpb.TransactionStatus, ignored []*kvpb.IgnoredSeqNumRange) storage.LockUpdate {
	u := storage.LockUpdate{Txn: storage.TxnMeta{ID: storageID(t.GetId()), Epoch: t.GetEpoch(),
		Sequence: t.GetSequence(), WriteTimestamp: t.GetWriteTimestamp().HLC(), Key: t.GetKey(),
		MinTimestamp: t.GetMinTimestamp().HLC(), Priority: t.GetPriority()}}
	switch status {
	case kvpb.TransactionStatus_COMMITTED:
		u.Status = storage.Committed
	case kvpb.TransactionStatus_ABORTED:
		u.Status = storage.Aborted
	default:
		u.Status = storage.Pending
	}
	for _, r := range ignored {
		u.IgnoredSeqNums = append(u.IgnoredSeqNums, storage.SeqRange{Start: r.GetStart(), End: r.GetEnd()})
	}
	return u
}
