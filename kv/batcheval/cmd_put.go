package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var putCmd = command{
	declare: func(req *kvpb.RequestUnion) spanlatch.Span { return pointSpan(req.GetPut().GetKey(), spanlatch.Write) },
	eval:    evalPut,
}

func evalPut(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetPut()
	val := r.GetValue()
	if val == nil {
		val = []byte{}
	}
	if err := storage.MVCCPut(a.RW, r.GetKey(), a.Timestamp, val, storage.MVCCWriteOptions{Stats: a.Stats}); err != nil {
		return nil, err
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Put{Put: &kvpb.PutResponse{}}}, nil
}
