package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
)

var heartbeatTxnCmd = command{
	declare: func(req *kvpb.RequestUnion, h DeclareHeader) []spanlatch.Span {
		return pointSpan(keys.TxnRecordKey(req.GetHeartbeatTxn().GetKey(), h.Txn.ID()), spanlatch.Write)
	},
	eval: evalHeartbeatTxn,
}

// evalHeartbeatTxn refreshes (or creates) the PENDING record of the
// batch's txn and returns it; a finalized record is returned unchanged.
func evalHeartbeatTxn(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetHeartbeatTxn()
	if err := validTxn(a.Txn); err != nil {
		return nil, err
	}
	rec, ok, err := LoadTxnRecord(a.RW, a.Txn.GetMeta())
	if err != nil {
		return nil, err
	}
	if !ok {
		if a.recordMayHaveBeenGCed(a.Txn) {
			return nil, errRecordGCed(a.Txn)
		}
		rec = a.Txn.Clone()
		rec.Status = kvpb.TransactionStatus_PENDING
		rec.ObservedTimestamps = nil
		rec.LockSpans = nil
	}
	if rec.GetStatus() == kvpb.TransactionStatus_PENDING {
		now := r.GetNow().HLC().Forward(rec.GetLastHeartbeat().HLC())
		rec.LastHeartbeat = kvpb.TS(now)
		if a.Txn.GetMeta().GetEpoch() > rec.GetMeta().GetEpoch() {
			rec.Meta.Epoch = a.Txn.GetMeta().GetEpoch()
		}
		if err := writeRecord(a.RW, rec); err != nil {
			return nil, err
		}
		a.noteTxn(rec)
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_HeartbeatTxn{HeartbeatTxn: &kvpb.HeartbeatTxnResponse{Txn: rec}}}, nil
}
