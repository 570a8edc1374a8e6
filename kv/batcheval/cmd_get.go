package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

var getCmd = command{
	declare: func(req *kvpb.RequestUnion, h DeclareHeader) []spanlatch.Span {
		r := req.GetGet()
		return pointSpan(r.GetKey(), readAccess(r.GetKeyLocking(), h))
	},
	eval: evalGet,
}

// evalGet reads at the batch (or txn read) timestamp; a txn sees its own
// intents and checks its uncertainty interval.
func evalGet(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	v, ok, err := storage.MVCCGet(a.RW, req.GetGet().GetKey(), a.readTS(), a.lockingReadOpts(req.GetGet().GetKeyLocking(), req.GetGet().GetWaitPolicy()))
	if err != nil {
		return nil, err
	}
	resp := &kvpb.GetResponse{Found: ok}
	if ok {
		resp.Value, resp.Timestamp = v.Value, kvpb.TS(v.Timestamp)
	}
	return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Get{Get: resp}}, nil
}
