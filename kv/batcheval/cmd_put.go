package batcheval

import (
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var putCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		return pointSpan(req.GetPut().GetKey(), spanlatch.Write)
	},
	eval: evalPut,
}

// evalPut writes a value (an intent in a txn; a blind txn write moves
// above a newer committed value, see Args.write).
func evalPut(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetPut()
	val := r.GetValue()
	if val == nil {
		val = []byte{}
	}
	err := a.write(true, func(ts hlc.Timestamp, o storage.MVCCWriteOptions) error {
		return storage.MVCCPut(a.RW, r.GetKey(), ts, val, o)
	})
	if err != nil {
		return nil, err
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Put{Put: &kvpb.PutResponse{}}}, nil
}
