package batcheval

import (
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var conditionalPutCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		return pointSpan(req.GetConditionalPut().GetKey(), spanlatch.Write)
	},
	eval: evalConditionalPut,
}

// evalConditionalPut compares with the newest value (a txn's own intent
// included) and writes. A newer committed value above a txn's write
// timestamp is a WriteTooOldError (the comparison read must be refreshed).
func evalConditionalPut(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetConditionalPut()
	var exp []byte
	if r.GetExpExists() {
		exp = r.GetExpValue()
		if exp == nil {
			exp = []byte{}
		}
	}
	val := r.GetValue()
	if val == nil {
		val = []byte{}
	}
	err := a.write(false, func(ts hlc.Timestamp, o storage.MVCCWriteOptions) error {
		return storage.MVCCConditionalPut(a.RW, r.GetKey(), ts, val, exp, o)
	})
	if err != nil {
		return nil, err
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_ConditionalPut{ConditionalPut: &kvpb.ConditionalPutResponse{}}}, nil
}
