package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

func declareScan(req *kvpb.RequestUnion, h DeclareHeader) spanlatch.Span {
	r := req.GetScan()
	return spanlatch.Span{Key: r.GetKey(), EndKey: r.GetEndKey(), Access: readAccess(r.GetKeyLocking(), h)}
}

var scanCmd = command{
	declare:    one(declareScan),
	declareOne: declareScan,
	eval:       evalScan,
}

func evalScan(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetScan()
	res, err := storage.MVCCScan(a.RW, r.GetKey(), r.GetEndKey(), a.readTS(),
		storage.MVCCScanOptions{MVCCReadOptions: a.lockingReadOpts(r.GetKeyLocking(), r.GetWaitPolicy()), MaxKeys: r.GetMaxKeys(), TargetBytes: r.GetTargetBytes()})
	if err != nil {
		return nil, err
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Scan{Scan: &kvpb.ScanResponse{
		Rows: toKVs(res.KVs), ResumeSpan: toSpan(res.ResumeSpan), NumBytes: res.NumBytes}}}, nil
}
