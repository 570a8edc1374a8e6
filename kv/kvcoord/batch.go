package kvcoord

import (
	"bytes"
	"fmt"

	"github.com/tesseradb/tessera/kv/kvpb"
	"google.golang.org/protobuf/proto"
)

// span is [key, end); end is nil for a point request.
type span struct{ key, end []byte }

// requestSpan returns the keys a request touches and whether it writes.
func requestSpan(r *kvpb.RequestUnion) (span, bool, error) {
	switch r.GetValue().(type) {
	case nil:
		return span{}, false, &kvpb.InvalidRequestError{Reason: "empty request"}
	case *kvpb.RequestUnion_Get, *kvpb.RequestUnion_Put, *kvpb.RequestUnion_ConditionalPut,
		*kvpb.RequestUnion_Increment, *kvpb.RequestUnion_Delete, *kvpb.RequestUnion_EndTxn,
		*kvpb.RequestUnion_HeartbeatTxn, *kvpb.RequestUnion_PushTxn, *kvpb.RequestUnion_QueryTxn,
		*kvpb.RequestUnion_ResolveIntent, *kvpb.RequestUnion_Refresh:
		k, _ := r.RequestSpan()
		return span{key: k}, r.IsWrite(), nil
	case *kvpb.RequestUnion_Scan, *kvpb.RequestUnion_ReverseScan, *kvpb.RequestUnion_DeleteRange,
		*kvpb.RequestUnion_ResolveIntentRange, *kvpb.RequestUnion_RefreshRange:
		k, e := r.RequestSpan()
		return span{k, e}, r.IsWrite(), checkSpan(k, e)
	}
	return span{}, false, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("unknown request type %T", r.GetValue())}
}

func checkSpan(key, end []byte) error {
	if bytes.Compare(key, end) >= 0 {
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("empty or inverted span [%q, %q)", key, end)}
	}
	return nil
}

// limits returns a ranged request's key and byte limits.
func limits(r *kvpb.RequestUnion) (maxKeys, targetBytes int64) {
	switch v := r.GetValue().(type) {
	case *kvpb.RequestUnion_Scan:
		return v.Scan.GetMaxKeys(), v.Scan.GetTargetBytes()
	case *kvpb.RequestUnion_ReverseScan:
		return v.ReverseScan.GetMaxKeys(), v.ReverseScan.GetTargetBytes()
	case *kvpb.RequestUnion_DeleteRange:
		return v.DeleteRange.GetMaxKeys(), 0
	}
	return 0, 0
}

func isReverse(r *kvpb.RequestUnion) bool {
	_, ok := r.GetValue().(*kvpb.RequestUnion_ReverseScan)
	return ok
}

// truncate returns the part of request r that falls inside [start, end),
// with its limits replaced by the remaining ones, or nil if none does.
func truncate(r *kvpb.RequestUnion, s span, start, end []byte, maxKeys, targetBytes int64) *kvpb.RequestUnion {
	if s.end == nil {
		if bytes.Compare(s.key, start) < 0 || bytes.Compare(s.key, end) >= 0 {
			return nil
		}
		return r
	}
	k, e := s.key, s.end
	if bytes.Compare(k, start) < 0 {
		k = start
	}
	if bytes.Compare(e, end) > 0 {
		e = end
	}
	if bytes.Compare(k, e) >= 0 {
		return nil
	}
	switch v := r.GetValue().(type) {
	case *kvpb.RequestUnion_Scan:
		return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Scan{Scan: &kvpb.ScanRequest{
			Key: k, EndKey: e, MaxKeys: maxKeys, TargetBytes: targetBytes, KeyLocking: v.Scan.GetKeyLocking(), WaitPolicy: v.Scan.GetWaitPolicy()}}}
	case *kvpb.RequestUnion_ReverseScan:
		return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_ReverseScan{ReverseScan: &kvpb.ReverseScanRequest{
			Key: k, EndKey: e, MaxKeys: maxKeys, TargetBytes: targetBytes, KeyLocking: v.ReverseScan.GetKeyLocking(), WaitPolicy: v.ReverseScan.GetWaitPolicy()}}}
	case *kvpb.RequestUnion_DeleteRange:
		return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_DeleteRange{DeleteRange: &kvpb.DeleteRangeRequest{
			Key: k, EndKey: e, MaxKeys: maxKeys, ReturnKeys: v.DeleteRange.GetReturnKeys()}}}
	case *kvpb.RequestUnion_ResolveIntentRange:
		o := v.ResolveIntentRange
		return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_ResolveIntentRange{ResolveIntentRange: &kvpb.ResolveIntentRangeRequest{
			Key: k, EndKey: e, IntentTxn: o.GetIntentTxn(), Status: o.GetStatus(), IgnoredSeqnums: o.GetIgnoredSeqnums()}}}
	case *kvpb.RequestUnion_RefreshRange:
		return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_RefreshRange{RefreshRange: &kvpb.RefreshRangeRequest{
			Key: k, EndKey: e, RefreshFrom: v.RefreshRange.GetRefreshFrom()}}}
	}
	return nil
}

// emptyResponse is the response of a request no range had anything for.
func emptyResponse(r *kvpb.RequestUnion) *kvpb.ResponseUnion {
	switch r.GetValue().(type) {
	case *kvpb.RequestUnion_Scan:
		return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Scan{Scan: &kvpb.ScanResponse{}}}
	case *kvpb.RequestUnion_ReverseScan:
		return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_ReverseScan{ReverseScan: &kvpb.ReverseScanResponse{}}}
	case *kvpb.RequestUnion_DeleteRange:
		return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_DeleteRange{DeleteRange: &kvpb.DeleteRangeResponse{}}}
	case *kvpb.RequestUnion_ResolveIntentRange:
		return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_ResolveIntentRange{ResolveIntentRange: &kvpb.ResolveIntentRangeResponse{}}}
	case *kvpb.RequestUnion_RefreshRange:
		return &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_RefreshRange{RefreshRange: &kvpb.RefreshRangeResponse{}}}
	}
	return nil
}

// combine folds a partial response of a ranged request into acc (which
// starts as emptyResponse). Point requests have only one partial response.
func combine(acc, part *kvpb.ResponseUnion) *kvpb.ResponseUnion {
	if acc == nil {
		return proto.Clone(part).(*kvpb.ResponseUnion)
	}
	switch a := acc.GetValue().(type) {
	case *kvpb.ResponseUnion_Scan:
		p := part.GetScan()
		a.Scan.Rows = append(a.Scan.Rows, p.GetRows()...)
		a.Scan.NumBytes += p.GetNumBytes()
	case *kvpb.ResponseUnion_ReverseScan:
		p := part.GetReverseScan()
		a.ReverseScan.Rows = append(a.ReverseScan.Rows, p.GetRows()...)
		a.ReverseScan.NumBytes += p.GetNumBytes()
	case *kvpb.ResponseUnion_DeleteRange:
		p := part.GetDeleteRange()
		a.DeleteRange.Keys = append(a.DeleteRange.Keys, p.GetKeys()...)
		a.DeleteRange.NumDeleted += p.GetNumDeleted()
	case *kvpb.ResponseUnion_ResolveIntentRange:
		a.ResolveIntentRange.NumResolved += part.GetResolveIntentRange().GetNumResolved()
	case *kvpb.ResponseUnion_RefreshRange:
	default:
		return proto.Clone(part).(*kvpb.ResponseUnion)
	}
	return acc
}

// partStats returns how many keys and bytes a partial ranged response
// used of its limits, and its resume span.
func partStats(part *kvpb.ResponseUnion) (keys, nbytes int64, resume *kvpb.Span) {
	switch v := part.GetValue().(type) {
	case *kvpb.ResponseUnion_Scan:
		return int64(len(v.Scan.GetRows())), v.Scan.GetNumBytes(), v.Scan.GetResumeSpan()
	case *kvpb.ResponseUnion_ReverseScan:
		return int64(len(v.ReverseScan.GetRows())), v.ReverseScan.GetNumBytes(), v.ReverseScan.GetResumeSpan()
	case *kvpb.ResponseUnion_DeleteRange:
		return v.DeleteRange.GetNumDeleted(), 0, v.DeleteRange.GetResumeSpan()
	}
	return 0, 0, nil
}

// setResume sets the resume span of a ranged response.
func setResume(resp *kvpb.ResponseUnion, s *kvpb.Span) {
	switch v := resp.GetValue().(type) {
	case *kvpb.ResponseUnion_Scan:
		v.Scan.ResumeSpan = s
	case *kvpb.ResponseUnion_ReverseScan:
		v.ReverseScan.ResumeSpan = s
	case *kvpb.ResponseUnion_DeleteRange:
		v.DeleteRange.ResumeSpan = s
	}
}
