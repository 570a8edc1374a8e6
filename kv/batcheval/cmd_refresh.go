package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var refreshCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		return pointSpan(req.GetRefresh().GetKey(), spanlatch.Read)
	},
	eval: func(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
		r := req.GetRefresh()
		if err := refresh(a, r.GetKey(), nil, r.GetRefreshFrom()); err != nil {
			return nil, err
		}
		return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Refresh{Refresh: &kvpb.RefreshResponse{}}}, nil
	},
}

// refresh fails with RefreshFailedError if [key, end) saw a write in
// (from, txn read timestamp] by another txn (or holds another txn's intent
// at or below it).
func refresh(a Args, key, end []byte, from *kvpb.Timestamp) error {
	if err := validTxn(a.Txn); err != nil {
		return err
	}
	to := a.Txn.ReadTS()
	if from.HLC().IsEmpty() || to.LessEq(from.HLC()) {
		return &kvpb.InvalidRequestError{Reason: "refresh needs refresh_from below the txn's read timestamp"}
	}
	c, err := storage.MVCCRefresh(a.RW, key, end, from.HLC(), to, storageID(a.Txn.ID()))
	if err != nil {
		return err
	}
	if c != nil {
		return &kvpb.RefreshFailedError{Key: c.Key, Timestamp: kvpb.TS(c.Timestamp), Intent: c.Intent}
	}
	return nil
}
