package batcheval

import (
	"bytes"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
)

var pushTxnCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		r := req.GetPushTxn()
		return pointSpan(keys.TxnRecordKey(r.GetKey(), r.GetPushee().GetId()), spanlatch.Write)
	},
	eval: evalPushTxn,
}

// PushOutcome is what a push would do to a record now.
type PushOutcome int

const (
	// PushFails: the pushee is live and wins; the pusher must wait.
	PushFails PushOutcome = iota
	// PushNoop: the pushee is finalized or already far enough.
	PushNoop
	// PushAbort: the pushee is aborted (expired, lower priority, forced).
	PushAbort
	// PushTimestamp: the pushee's write timestamp moves to push_to.
	PushTimestamp
)

// DecidePush says what a push does to rec at now. A timestamp push of a
// PENDING txn always succeeds (the pushee only has to refresh); an abort
// push needs an expired pushee, a higher pusher priority, or force.
func DecidePush(rec *kvpb.Transaction, r *kvpb.PushTxnRequest, now hlc.Timestamp) PushOutcome {
	if rec.IsFinalized() {
		return PushNoop
	}
	if IsExpired(rec, now) {
		return PushAbort
	}
	switch r.GetPushType() {
	case kvpb.PushTxnType_PUSH_TIMESTAMP:
		if r.GetPushTo().HLC().LessEq(rec.WriteTS()) {
			return PushNoop
		}
		return PushTimestamp
	case kvpb.PushTxnType_PUSH_ABORT:
		if r.GetForce() || r.GetPusher().GetMeta().GetPriority() > rec.GetMeta().GetPriority() {
			return PushAbort
		}
	}
	return PushFails
}

// TxnLess orders transactions for deadlock breaking: lower priority
// first, then lower ID. The loser of a cycle is aborted.
func TxnLess(a, b *kvpb.TxnMeta) bool {
	if a.GetPriority() != b.GetPriority() {
		return a.GetPriority() < b.GetPriority()
	}
	return bytes.Compare(a.GetId(), b.GetId()) < 0
}

// evalPushTxn pushes the pushee's record (synthesized from the request if
// absent; the result is then written so the txn cannot commit unpushed).
func evalPushTxn(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetPushTxn()
	pm := r.GetPushee()
	if len(pm.GetId()) != kvpb.TxnIDLen || len(pm.GetKey()) == 0 || string(pm.GetKey()) != string(r.GetKey()) {
		return nil, &kvpb.InvalidRequestError{Reason: "PushTxn needs the pushee's 16-byte ID and its anchor as key"}
	}
	if kvpb.SameTxn(r.GetPusher().ID(), pm.GetId()) {
		return nil, &kvpb.InvalidRequestError{Reason: "a txn cannot push itself"}
	}
	rec, ok, err := LoadTxnRecord(a.RW, pm)
	if err != nil {
		return nil, err
	}
	if !ok {
		rec = synthesizeRecord(pm)
	}
	upgradeRecord(rec, pm)
	now := a.Now.Forward(r.GetNow().HLC())
	switch DecidePush(rec, r, now) {
	case PushFails:
		return nil, &kvpb.TransactionPushError{PusheeTxn: rec}
	case PushNoop:
	case PushAbort:
		rec.Status = kvpb.TransactionStatus_ABORTED
		if err := writeRecord(a.RW, rec); err != nil {
			return nil, err
		}
		a.noteTxn(rec)
	case PushTimestamp:
		rec.Meta.WriteTimestamp = r.GetPushTo()
		if err := writeRecord(a.RW, rec); err != nil {
			return nil, err
		}
		a.noteTxn(rec)
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_PushTxn{PushTxn: &kvpb.PushTxnResponse{PusheeTxn: rec}}}, nil
}

// upgradeRecord brings a record that is not committed up to the pushee as
// the pusher saw it in an intent: a txn that restarted writes intents at a
// newer epoch (and timestamp) than its record may show until its next
// heartbeat or its EndTxn. The pushee returned by the push is what the
// pusher resolves the intent with, and a resolve from an older epoch
// leaves the intent in place (storage.ErrTxnEpochRegression): the pusher
// would meet the same intent again, push again and resolve nothing, round
// after round, until its deadline. A committed record is left alone (a
// commit is final, and no intent of a later epoch can exist).
func upgradeRecord(rec *kvpb.Transaction, pm *kvpb.TxnMeta) {
	if rec.GetStatus() == kvpb.TransactionStatus_COMMITTED || rec.GetMeta() == nil {
		return
	}
	if pm.GetEpoch() > rec.GetMeta().GetEpoch() {
		rec.Meta.Epoch = pm.GetEpoch()
	}
	if ts := pm.GetWriteTimestamp().HLC(); rec.WriteTS().Less(ts) {
		rec.Meta.WriteTimestamp = kvpb.TS(ts)
	}
}
