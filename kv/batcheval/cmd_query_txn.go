package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
)

var queryTxnCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		r := req.GetQueryTxn()
		return pointSpan(keys.TxnRecordKey(r.GetKey(), r.GetTxn().GetId()), spanlatch.Read)
	},
	eval: evalQueryTxn,
}

// evalQueryTxn returns the txn's record (synthesized PENDING if absent).
// The caller adds waiting_txns from its txn wait queue.
func evalQueryTxn(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetQueryTxn()
	if len(r.GetTxn().GetId()) != kvpb.TxnIDLen {
		return nil, &kvpb.InvalidRequestError{Reason: "QueryTxn needs a 16-byte txn ID"}
	}
	rec, ok, err := LoadTxnRecord(a.RW, r.GetTxn())
	if err != nil {
		return nil, err
	}
	if !ok {
		rec = synthesizeRecord(r.GetTxn())
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_QueryTxn{QueryTxn: &kvpb.QueryTxnResponse{QueriedTxn: rec}}}, nil
}
