package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var deleteRangeCmd = command{
	declare: func(req *kvpb.RequestUnion) spanlatch.Span {
		r := req.GetDeleteRange()
		return spanlatch.Span{Key: r.GetKey(), EndKey: r.GetEndKey(), Access: spanlatch.Write}
	},
	eval: evalDeleteRange,
}

func evalDeleteRange(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetDeleteRange()
	keys, resume, err := storage.MVCCDeleteRange(a.RW, r.GetKey(), r.GetEndKey(), a.Timestamp, r.GetMaxKeys(),
		storage.MVCCWriteOptions{Stats: a.Stats})
	if err != nil {
		return nil, err
	}
	resp := &kvpb.DeleteRangeResponse{ResumeSpan: toSpan(resume), NumDeleted: int64(len(keys))}
	if r.GetReturnKeys() {
		resp.Keys = keys
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_DeleteRange{DeleteRange: resp}}, nil
}
