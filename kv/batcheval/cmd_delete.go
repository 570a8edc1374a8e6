package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var deleteCmd = command{
	declare: func(req *kvpb.RequestUnion) spanlatch.Span {
		return pointSpan(req.GetDelete().GetKey(), spanlatch.Write)
	},
	eval: evalDelete,
}

func evalDelete(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	found, err := storage.MVCCDelete(a.RW, req.GetDelete().GetKey(), a.Timestamp, storage.MVCCWriteOptions{Stats: a.Stats})
	if err != nil {
		return nil, err
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Delete{Delete: &kvpb.DeleteResponse{Found: found}}}, nil
}
