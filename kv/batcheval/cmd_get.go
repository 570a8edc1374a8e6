package batcheval

import (
	"bytes"

	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

func declareGet(req *kvpb.RequestUnion, h DeclareHeader) spanlatch.Span {
	r := req.GetGet()
	return spanlatch.Span{Key: r.GetKey(), Access: readAccess(r.GetKeyLocking(), h)}
}

var getCmd = command{
	declare:    one(declareGet),
	declareOne: declareGet,
	eval:       evalGet,
}

// evalGet reads at the batch (or txn read) timestamp; a txn sees its own
// intents and checks its uncertainty interval. An asserting Get fails
// with ConditionFailedError unless it found the expected value.
func evalGet(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	r := req.GetGet()
	v, ok, err := storage.MVCCGet(a.RW, r.GetKey(), a.readTS(), a.lockingReadOpts(r.GetKeyLocking(), r.GetWaitPolicy()))
	if err != nil {
		return nil, err
	}
	if r.GetAssert() && (ok != r.GetExpExists() || (ok && !bytes.Equal(v.Value, r.GetExpValue()))) {
		e := &kvpb.ConditionFailedError{Key: append([]byte(nil), r.GetKey()...), HasValue: ok}
		if ok {
			e.ActualValue, e.ActualTimestamp = v.Value, kvpb.TS(v.Timestamp)
		}
		return nil, e
	}
	// The response's four messages in one allocation (a point read makes
	// this per key; they live and die together).
	b := &getResponseBlock{}
	resp := &b.resp
	resp.Found = ok
	if ok {
		resp.Value = v.Value
		if !v.Timestamp.IsEmpty() {
			b.ts.WallTime, b.ts.Logical = v.Timestamp.WallTime, v.Timestamp.Logical
			resp.Timestamp = &b.ts
		}
	}
	b.get.Get = resp
	b.union.Value = &b.get
	return &b.union, nil
}

type getResponseBlock struct {
	union kvpb.ResponseUnion
	get   kvpb.ResponseUnion_Get
	resp  kvpb.GetResponse
	ts    kvpb.Timestamp
}
