package batcheval

import (
	"errors"

	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var resolveIntentCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		return pointSpan(req.GetResolveIntent().GetKey(), spanlatch.Write)
	},
	eval: evalResolveIntent,
}

// isNotFound: nothing of that txn (epoch) to resolve: no intent, or an
// intent the txn rewrote at a newer epoch than the resolver knows (left
// alone: a resolver with the newer epoch handles it).
func isNotFound(err error) bool {
	return errors.Is(err, storage.ErrIntentNotFound) || errors.Is(err, storage.ErrTxnEpochRegression)
}

// evalResolveIntent applies a txn's outcome to its intent on key; a key
// without that intent is fine (already resolved).
func evalResolveIntent(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetResolveIntent()
	if len(r.GetIntentTxn().GetId()) != kvpb.TxnIDLen {
		return nil, &kvpb.InvalidRequestError{Reason: "ResolveIntent needs a 16-byte txn ID"}
	}
	u := lockUpdate(r.GetIntentTxn(), r.GetStatus(), r.GetIgnoredSeqnums())
	if err := storage.MVCCResolveIntent(a.RW, r.GetKey(), u, a.Stats); err != nil && !isNotFound(err) {
		return nil, err
	}
	a.noteResolvedStatus(&kvpb.Span{Key: r.GetKey()}, r.GetIntentTxn().GetId(), r.GetStatus() == kvpb.TransactionStatus_PENDING)
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_ResolveIntent{ResolveIntent: &kvpb.ResolveIntentResponse{}}}, nil
}
