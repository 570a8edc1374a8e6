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
	return cloneBatch(ba, false)
}

// CloneWriteBatch is CloneReadBatch that also copies the requests of a
// one-phase write: Put, ConditionalPut, Delete, Increment and EndTxn (the
// local fast path's copy of an INSERT's batch was 3% of its gateway's
// CPU through proto.Clone).
func CloneWriteBatch(ba *BatchRequest) (*BatchRequest, bool) {
	return cloneBatch(ba, true)
}

func cloneBatch(ba *BatchRequest, writes bool) (*BatchRequest, bool) {
	if ba == nil || len(ba.unknownFields) > 0 || len(ba.Requests) == 0 {
		return nil, false
	}
	out := &BatchRequest{}
	if h := ba.Header; h != nil {
		if len(h.unknownFields) > 0 {
			return nil, false
		}
		oh := &Header{RangeId: h.RangeId, Timestamp: cloneTS(h.Timestamp), Txn: cloneTxn(h.Txn), NoTxnRecord: h.NoTxnRecord}
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
			if !writes || !cloneWrite(u, ru) {
				return nil, false
			}
		}
		reqs[i] = u
	}
	out.Requests = reqs
	return out, true
}

// cloneWrite sets u to a copy of the write request ru, reporting false
// for any other request and for unknown fields.
func cloneWrite(u, ru *RequestUnion) bool {
	switch v := ru.Value.(type) {
	case *RequestUnion_Put:
		p := v.Put
		if p == nil || len(p.unknownFields) > 0 {
			return false
		}
		u.Value = &RequestUnion_Put{Put: &PutRequest{Key: cloneBytes(p.Key), Value: cloneBytes(p.Value)}}
	case *RequestUnion_ConditionalPut:
		p := v.ConditionalPut
		if p == nil || len(p.unknownFields) > 0 {
			return false
		}
		u.Value = &RequestUnion_ConditionalPut{ConditionalPut: &ConditionalPutRequest{Key: cloneBytes(p.Key), Value: cloneBytes(p.Value),
			ExpValue: cloneBytes(p.ExpValue), ExpExists: p.ExpExists}}
	case *RequestUnion_Delete:
		d := v.Delete
		if d == nil || len(d.unknownFields) > 0 {
			return false
		}
		u.Value = &RequestUnion_Delete{Delete: &DeleteRequest{Key: cloneBytes(d.Key)}}
	case *RequestUnion_Increment:
		n := v.Increment
		if n == nil || len(n.unknownFields) > 0 {
			return false
		}
		u.Value = &RequestUnion_Increment{Increment: &IncrementRequest{Key: cloneBytes(n.Key), Increment: n.Increment}}
	case *RequestUnion_EndTxn:
		e := v.EndTxn
		if e == nil || len(e.unknownFields) > 0 || (e.Deadline != nil && len(e.Deadline.unknownFields) > 0) {
			return false
		}
		spans, ok := cloneSpans(e.LockSpans)
		if !ok {
			return false
		}
		u.Value = &RequestUnion_EndTxn{EndTxn: &EndTxnRequest{Key: cloneBytes(e.Key), Commit: e.Commit, LockSpans: spans,
			Deadline: cloneTS(e.Deadline)}}
	default:
		return false
	}
	return true
}

// cloneSpans copies spans (false for a nil element or unknown fields).
func cloneSpans(spans []*Span) ([]*Span, bool) {
	if len(spans) == 0 {
		return nil, true
	}
	out := make([]*Span, len(spans))
	for i, sp := range spans {
		if sp == nil || len(sp.unknownFields) > 0 {
			return nil, false
		}
		out[i] = &Span{Key: cloneBytes(sp.Key), EndKey: cloneBytes(sp.EndKey)}
	}
	return out, true
}

// CloneBatch deep-copies ba: CloneWriteBatch when it can, else
// proto.Clone.
func CloneBatch(ba *BatchRequest) *BatchRequest {
	if c, ok := CloneWriteBatch(ba); ok {
		return c
	}
	return proto.Clone(ba).(*BatchRequest)
}

// CloneBatchResponse deep-copies br as proto.Clone would, by hand for a
// response without error whose responses are Get, Put, ConditionalPut,
// Delete, Increment and EndTxn (a one-phase write's), else with
// proto.Clone. TestCloneBatchResponseMatchesProtoClone sets every field
// copied here.
func CloneBatchResponse(br *BatchResponse) *BatchResponse {
	if c, ok := cloneBatchResponse(br); ok {
		return c
	}
	return proto.Clone(br).(*BatchResponse)
}

func cloneBatchResponse(br *BatchResponse) (*BatchResponse, bool) {
	if br == nil || len(br.unknownFields) > 0 || br.Error != nil {
		return nil, false
	}
	out := &BatchResponse{Timestamp: cloneTS(br.Timestamp), Now: cloneTS(br.Now), Txn: cloneTxn(br.Txn)}
	if len(br.Responses) == 0 {
		return out, true
	}
	resps := make([]*ResponseUnion, len(br.Responses))
	unions := make([]ResponseUnion, len(br.Responses))
	for i, ru := range br.Responses {
		if ru == nil || len(ru.unknownFields) > 0 {
			return nil, false
		}
		u := &unions[i]
		switch v := ru.Value.(type) {
		case *ResponseUnion_Get:
			g := v.Get
			if g == nil || len(g.unknownFields) > 0 {
				return nil, false
			}
			u.Value = &ResponseUnion_Get{Get: &GetResponse{Found: g.Found, Value: cloneBytes(g.Value), Timestamp: cloneTS(g.Timestamp)}}
		case *ResponseUnion_Put:
			if v.Put == nil || len(v.Put.unknownFields) > 0 {
				return nil, false
			}
			u.Value = &ResponseUnion_Put{Put: &PutResponse{}}
		case *ResponseUnion_ConditionalPut:
			if v.ConditionalPut == nil || len(v.ConditionalPut.unknownFields) > 0 {
				return nil, false
			}
			u.Value = &ResponseUnion_ConditionalPut{ConditionalPut: &ConditionalPutResponse{}}
		case *ResponseUnion_Delete:
			if v.Delete == nil || len(v.Delete.unknownFields) > 0 {
				return nil, false
			}
			u.Value = &ResponseUnion_Delete{Delete: &DeleteResponse{Found: v.Delete.Found}}
		case *ResponseUnion_Increment:
			if v.Increment == nil || len(v.Increment.unknownFields) > 0 {
				return nil, false
			}
			u.Value = &ResponseUnion_Increment{Increment: &IncrementResponse{NewValue: v.Increment.NewValue}}
		case *ResponseUnion_EndTxn:
			e := v.EndTxn
			if e == nil || len(e.unknownFields) > 0 {
				return nil, false
			}
			spans, ok := cloneSpans(e.RemoteLockSpans)
			if !ok {
				return nil, false
			}
			u.Value = &ResponseUnion_EndTxn{EndTxn: &EndTxnResponse{OnePhaseCommit: e.OnePhaseCommit, RemoteLockSpans: spans}}
		default:
			return nil, false
		}
		resps[i] = u
	}
	out.Responses = resps
	return out, true
}
