package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var gcCmd = command{
	declare: declareGC,
	eval:    evalGC,
}

// declareGC write-latches each key to collect and each record to remove:
// a read of a key in flight finishes before its history goes (and a read
// sequenced after the GC sees the raised threshold and is refused). The
// threshold itself needs no latch: it only moves up, and every command
// reads it after latching. A request that only raises the threshold
// read-latches the range's first key (every command declares a span).
func declareGC(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
	r := req.GetGc()
	out := make([]spanlatch.Span, 0, len(r.GetKeys())+len(r.GetTxnRecords())+1)
	for _, k := range r.GetKeys() {
		out = append(out, spanlatch.Span{Key: k, Access: spanlatch.Write})
	}
	for _, m := range r.GetTxnRecords() {
		out = append(out, spanlatch.Span{Key: recordKey(m), Access: spanlatch.Write})
	}
	if len(out) == 0 {
		out = append(out, spanlatch.Span{Key: r.GetKey(), Access: spanlatch.Read})
	}
	return out
}

// evalGC removes the garbage of the listed keys at the request's
// threshold, deletes the listed records that are finalized, and reports
// the new threshold (Result.GCThreshold) for the replica to persist with
// the command.
func evalGC(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetGc()
	th := r.GetThreshold().HLC()
	if th.IsEmpty() {
		return nil, &kvpb.InvalidRequestError{Reason: "GC request without a threshold"}
	}
	if !a.Now.IsEmpty() && a.Now.Less(th) {
		return nil, &kvpb.InvalidRequestError{Reason: "GC threshold " + th.String() + " is above the clock " + a.Now.String()}
	}
	if a.Txn != nil {
		return nil, &kvpb.InvalidRequestError{Reason: "GC request in a transaction"}
	}
	resp := &kvpb.GCResponse{}
	for _, k := range r.GetKeys() {
		if a.Desc != nil && !a.Desc.ContainsKey(k) {
			return nil, &kvpb.InvalidRequestError{Reason: "GC key outside the range"}
		}
		n, err := storage.MVCCGarbageCollect(a.RW, k, append(append([]byte(nil), k...), 0), th, a.Stats)
		if err != nil {
			return nil, err
		}
		resp.VersionsRemoved += n
	}
	for _, m := range r.GetTxnRecords() {
		if a.Desc != nil && !a.Desc.ContainsKey(m.GetKey()) {
			return nil, &kvpb.InvalidRequestError{Reason: "GC txn record anchored outside the range"}
		}
		rec, ok, err := LoadTxnRecord(a.RW, m)
		if err != nil {
			return nil, err
		}
		if !ok || !IsFinalized(rec) {
			continue
		}
		if err := a.RW.DeleteRaw(recordKey(m)); err != nil {
			return nil, err
		}
		resp.RecordsRemoved++
	}
	if a.Result != nil {
		a.Result.GCThreshold = a.Result.GCThreshold.Forward(th)
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Gc{Gc: resp}}, nil
}

// IsFinalized reports whether a record is COMMITTED or ABORTED.
func IsFinalized(rec *kvpb.Transaction) bool {
	s := rec.GetStatus()
	return s == kvpb.TransactionStatus_COMMITTED || s == kvpb.TransactionStatus_ABORTED
}
