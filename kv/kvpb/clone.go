package kvpb

import "google.golang.org/protobuf/proto"

// CloneReadBatch deep-copies ba, as proto.Clone would, when it holds only
// Get, Scan and ReverseScan requests (ok false otherwise, and for any
// message with unknown fields: the caller then uses proto.Clone). The
// node's local fast path copies every batch it serves in process, as
// marshalling would; proto.Clone's reflection was 5% of a point SELECT's
// gateway CPU. TestCloneReadBatchMatchesProtoClone sets every field of
// the messages copied here, so a field added to api.proto or data.proto
// fails it until it is copied.
func CloneReadBatch(ba *BatchRequest) (*BatchRequest, bool) {
	if ba == nil || len(ba.unknownFields) > 0 || len(ba.Requests) == 0 {
		return nil, false
	}
	out := &BatchRequest{}
	if h := ba.Header; h != nil {
		if len(h.unknownFields) > 0 {
			return nil, false
		}
		oh := &Header{RangeId: h.RangeId, Timestamp: cloneTS(h.Timestamp), Txn: h.Txn.Clone()}
		if r := h.Replica; r != nil {
			if len(r.unknownFields) > 0 {
				return nil, false
			}
			oh.Replica = &ReplicaDescriptor{NodeId: r.NodeId, StoreId: r.StoreId, ReplicaId: r.ReplicaId, Type: r.Type}
		}
		out.Header = oh
	}
	out.Now = cloneTS(ba.Now)
	reqs := make([]*RequestUnion, len(ba.Requests))
	unions := make([]RequestUnion, len(ba.Requests))
	for i, ru := range ba.Requests {
		if ru == nil || len(ru.unknownFields) > 0 {
			return nil, false
		}
		u := &unions[i]
		switch v := ru.Value.(type) {
		case *RequestUnion_Get:
			g := v.Get
			if g == nil || len(g.unknownFields) > 0 {
				return nil, false
			}
			u.Value = &RequestUnion_Get{Get: &GetRequest{Key: cloneBytes(g.Key), KeyLocking: g.KeyLocking, WaitPolicy: g.WaitPolicy,
				Assert: g.Assert, ExpValue: cloneBytes(g.ExpValue), ExpExists: g.ExpExists}}
		case *RequestUnion_Scan:
			s := v.Scan
			if s == nil || len(s.unknownFields) > 0 {
				return nil, false
			}
			u.Value = &RequestUnion_Scan{Scan: &ScanRequest{Key: cloneBytes(s.Key), EndKey: cloneBytes(s.EndKey),
				MaxKeys: s.MaxKeys, TargetBytes: s.TargetBytes, KeyLocking: s.KeyLocking, WaitPolicy: s.WaitPolicy}}
		case *RequestUnion_ReverseScan:
			s := v.ReverseScan
			if s == nil || len(s.unknownFields) > 0 {
				return nil, false
			}
			u.Value = &RequestUnion_ReverseScan{ReverseScan: &ReverseScanRequest{Key: cloneBytes(s.Key), EndKey: cloneBytes(s.EndKey),
				MaxKeys: s.MaxKeys, TargetBytes: s.TargetBytes, KeyLocking: s.KeyLocking, WaitPolicy: s.WaitPolicy}}
		default:
			return nil, false
		}
		reqs[i] = u
	}
	out.Requests = reqs
	return out, true
}

// CloneBatch deep-copies ba: CloneReadBatch when it can, else proto.Clone.
func CloneBatch(ba *BatchRequest) *BatchRequest {
	if c, ok := CloneReadBatch(ba); ok {
		return c
	}
	return proto.Clone(ba).(*BatchRequest)
}
