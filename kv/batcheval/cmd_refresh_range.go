package batcheval

import (
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
)

var refreshRangeCmd = command{
	declare: func(req *kvpb.RequestUnion, _ DeclareHeader) []spanlatch.Span {
		r := req.GetRefreshRange()
		return rangeSpan(r.GetKey(), r.GetEndKey(), spanlatch.Read)
	},
	eval: func(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
		r := req.GetRefreshRange()
		if err := refresh(a, r.GetKey(), r.GetEndKey(), r.GetRefreshFrom()); err != nil {
			return nil, err
		}
		return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_RefreshRange{RefreshRange: &kvpb.RefreshRangeResponse{}}}, nil
	},
}
