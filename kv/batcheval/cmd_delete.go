package batcheval

import (
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var deleteCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		return pointSpan(req.GetDelete().GetKey(), spanlatch.Write)
	},
	eval: evalDelete,
}

func evalDelete(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	var found bool
	err := a.write(true, func(ts hlc.Timestamp, o storage.MVCCWriteOptions) error {
		var err error
		found, err = storage.MVCCDelete(a.RW, req.GetDelete().GetKey(), ts, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Delete{Delete: &kvpb.DeleteResponse{Found: found}}}, nil
}
