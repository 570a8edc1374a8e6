package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

func declareReverseScan(req *kvpb.RequestUnion, h DeclareHeader) spanlatch.Span {
	r := req.GetReverseScan()
	return spanlatch.Span{Key: r.GetKey(), EndKey: r.GetEndKey(), Access: readAccess(r.GetKeyLocking(), h)}
}

var reverseScanCmd = command{
	declare:    one(declareReverseScan),
	declareOne: declareReverseScan,
	eval:       evalReverseScan,
}

func evalReverseScan(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetReverseScan()
	res, err := storage.MVCCScan(a.RW, r.GetKey(), r.GetEndKey(), a.readTS(),
		storage.MVCCScanOptions{MVCCReadOptions: a.lockingReadOpts(r.GetKeyLocking(), r.GetWaitPolicy()), MaxKeys: r.GetMaxKeys(), TargetBytes: r.GetTargetBytes(), Reverse: true})
	if err != nil {
		return nil, err
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_ReverseScan{ReverseScan: &kvpb.ReverseScanResponse{
		Rows: toKVs(res.KVs), ResumeSpan: toSpan(res.ResumeSpan), NumBytes: res.NumBytes}}}, nil
}
