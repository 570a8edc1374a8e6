package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var conditionalPutCmd = command{
	declare: func(req *kvpb.RequestUnion) spanlatch.Span {
		return pointSpan(req.GetConditionalPut().GetKey(), spanlatch.Write)
	},
	eval: evalConditionalPut,
}

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
	if err := storage.MVCCConditionalPut(a.RW, r.GetKey(), a.Timestamp, val, exp, storage.MVCCWriteOptions{Stats: a.Stats}); err != nil {
		return nil, err
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_ConditionalPut{ConditionalPut: &kvpb.ConditionalPutResponse{}}}, nil
}
