package kvpb

import (
	"context"
	"sync"
)

// EvalParts answers a BatchPartsRequest by evaluating each part with send,
// the node's Batch (so a part is answered exactly as Batch would answer
// it: its own range, errors and forwarding). Without carry_limits the
// parts run in parallel. With carry_limits they run one after the other
// in the given (scan) order, each ranged request's limits reduced by what
// the earlier parts returned for the same client index; a part is skipped
// once one of its requests has no limit left, has stopped (resume span),
// or an earlier part failed: the sender decides what to do with the rest.
// A send error (not a structured refusal) is returned as it is.
func EvalParts(ctx context.Context, req *BatchPartsRequest,
	send func(context.Context, *BatchRequest) (*BatchResponse, error)) (*BatchPartsResponse, error) {
	parts := req.GetParts()
	out := &BatchPartsResponse{Parts: make([]*BatchPartResponse, len(parts))}
	if !req.GetCarryLimits() {
		errs := make([]error, len(parts))
		var wg sync.WaitGroup
		for j, p := range parts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				br, err := send(ctx, p.GetBatch())
				out.Parts[j], errs[j] = &BatchPartResponse{Batch: br}, err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	usage := map[int32]*limitUse{}
	failed := false
	for j, p := range parts {
		ba, ok := carryLimits(p, usage)
		if failed || !ok {
			failed = true // every later part depends on this one
			out.Parts[j] = &BatchPartResponse{Skipped: true}
			continue
		}
		br, err := send(ctx, ba)
		if err != nil {
			return nil, err
		}
		out.Parts[j] = &BatchPartResponse{Batch: br}
		if br.GetError() != nil || len(br.GetResponses()) != len(ba.GetRequests()) {
			failed = true
			continue
		}
		for k, resp := range br.GetResponses() {
			if k >= len(p.GetIndexes()) {
				break
			}
			u := usage[p.GetIndexes()[k]]
			if u == nil {
				u = &limitUse{}
				usage[p.GetIndexes()[k]] = u
			}
			n, nb, resume := rangedStats(resp)
			u.keys += n
			u.bytes += nb
			if resume != nil {
				u.stopped = true
			}
		}
	}
	return out, nil
}

// limitUse is what earlier parts used of a client request's limits.
type limitUse struct {
	keys, bytes int64
	stopped     bool
}

// carryLimits returns part p's batch with each ranged request's limits
// reduced by what earlier parts used (use), or false if one of them has
// nothing left (the part must not be evaluated).
func carryLimits(p *BatchPart, usage map[int32]*limitUse) (*BatchRequest, bool) {
	ba := p.GetBatch()
	var reqs []*RequestUnion
	for k, r := range ba.GetRequests() {
		if k >= len(p.GetIndexes()) {
			return nil, false // malformed: every request needs its index
		}
		u := usage[p.GetIndexes()[k]]
		if u == nil {
			continue
		}
		if u.stopped {
			return nil, false
		}
		if u.keys == 0 && u.bytes == 0 {
			continue
		}
		var mk, tb int64
		switch v := r.GetValue().(type) {
		case *RequestUnion_Scan:
			mk, tb = v.Scan.GetMaxKeys(), v.Scan.GetTargetBytes()
		case *RequestUnion_ReverseScan:
			mk, tb = v.ReverseScan.GetMaxKeys(), v.ReverseScan.GetTargetBytes()
		default:
			return nil, false // only read-only scans carry limits
		}
		if mk > 0 {
			if mk -= u.keys; mk <= 0 {
				return nil, false
			}
		}
		if tb > 0 {
			if tb -= u.bytes; tb <= 0 {
				return nil, false
			}
		}
		if reqs == nil {
			reqs = append([]*RequestUnion(nil), ba.GetRequests()...)
		}
		switch v := r.GetValue().(type) {
		case *RequestUnion_Scan:
			reqs[k] = &RequestUnion{Value: &RequestUnion_Scan{Scan: &ScanRequest{
				Key: v.Scan.GetKey(), EndKey: v.Scan.GetEndKey(), MaxKeys: mk, TargetBytes: tb, KeyLocking: v.Scan.GetKeyLocking(), WaitPolicy: v.Scan.GetWaitPolicy()}}}
		case *RequestUnion_ReverseScan:
			reqs[k] = &RequestUnion{Value: &RequestUnion_ReverseScan{ReverseScan: &ReverseScanRequest{
				Key: v.ReverseScan.GetKey(), EndKey: v.ReverseScan.GetEndKey(), MaxKeys: mk, TargetBytes: tb,
				KeyLocking: v.ReverseScan.GetKeyLocking(), WaitPolicy: v.ReverseScan.GetWaitPolicy()}}}
		}
	}
	if reqs == nil {
		return ba, true
	}
	return &BatchRequest{Header: ba.GetHeader(), Requests: reqs, Now: ba.GetNow()}, true
}

// rangedStats returns the rows and bytes a scan response returned and its
// resume span.
func rangedStats(r *ResponseUnion) (keys, nbytes int64, resume *Span) {
	switch v := r.GetValue().(type) {
	case *ResponseUnion_Scan:
		return int64(len(v.Scan.GetRows())), v.Scan.GetNumBytes(), v.Scan.GetResumeSpan()
	case *ResponseUnion_ReverseScan:
		return int64(len(v.ReverseScan.GetRows())), v.ReverseScan.GetNumBytes(), v.ReverseScan.GetResumeSpan()
	}
	return 0, 0, nil
}
