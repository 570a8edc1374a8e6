package batcheval

import (
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var incrementCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		return pointSpan(req.GetIncrement().GetKey(), spanlatch.Write)
	},
	eval: evalIncrement,
}

func evalIncrement(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetIncrement()
	var v int64
	err := a.write(false, func(ts hlc.Timestamp, o storage.MVCCWriteOptions) error {
		var err error
		v, err = storage.MVCCIncrement(a.RW, r.GetKey(), ts, r.GetIncrement(), o)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Increment{Increment: &kvpb.IncrementResponse{NewValue: v}}}, nil
}
