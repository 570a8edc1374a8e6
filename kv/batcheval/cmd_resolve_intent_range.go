package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var resolveIntentRangeCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		r := req.GetResolveIntentRange()
		return rangeSpan(r.GetKey(), r.GetEndKey(), spanlatch.Write)
	},
	eval: evalResolveIntentRange,
}

func evalResolveIntentRange(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetResolveIntentRange()
	if len(r.GetIntentTxn().GetId()) != kvpb.TxnIDLen {
		return nil, &kvpb.InvalidRequestError{Reason: "ResolveIntentRange needs a 16-byte txn ID"}
	}
	u := lockUpdate(r.GetIntentTxn(), r.GetStatus(), r.GetIgnoredSeqnums())
	n, _, err := storage.MVCCResolveIntentRange(a.RW, r.GetKey(), r.GetEndKey(), u, 0, a.Stats)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	a.noteResolvedStatus(&kvpb.Span{Key: r.GetKey(), EndKey: r.GetEndKey()}, r.GetIntentTxn().GetId(),
		r.GetStatus() == kvpb.TransactionStatus_PENDING)
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_ResolveIntentRange{ResolveIntentRange: &kvpb.ResolveIntentRangeResponse{NumResolved: n}}}, nil
}
