package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var incrementCmd = command{
	declare: func(req *kvpb.RequestUnion) spanlatch.Span {
		return pointSpan(req.GetIncrement().GetKey(), spanlatch.Write)
	},
	eval: evalIncrement,
}

func evalIncrement(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetIncrement()
	v, err := storage.MVCCIncrement(a.RW, r.GetKey(), a.Timestamp, r.GetIncrement(), storage.MVCCWriteOptions{Stats: a.Stats})
	if err != nil {
		return nil, err
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Increment{Increment: &kvpb.IncrementResponse{NewValue: v}}}, nil
}
