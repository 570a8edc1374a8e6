package batcheval

import (
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var deleteRangeCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		r := req.GetDeleteRange()
		return rangeSpan(r.GetKey(), r.GetEndKey(), spanlatch.Write)
	},
	eval: evalDeleteRange,
}

// evalDeleteRange deletes the live keys of the span. In a txn a newer
// committed value is a WriteTooOldError (which keys are live is a read).
func evalDeleteRange(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetDeleteRange()
	var keys [][]byte
	var resume *storage.Span
	err := a.write(false, func(ts hlc.Timestamp, o storage.MVCCWriteOptions) error {
		var err error
		keys, resume, err = storage.MVCCDeleteRange(a.RW, r.GetKey(), r.GetEndKey(), ts, r.GetMaxKeys(), o)
		return err
	})
	if err != nil {
		return nil, err
	}
	resp := &kvpb.DeleteRangeResponse{ResumeSpan: toSpan(resume), NumDeleted: int64(len(keys))}
	if r.GetReturnKeys() {
		resp.Keys = keys
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_DeleteRange{DeleteRange: resp}}, nil
}
