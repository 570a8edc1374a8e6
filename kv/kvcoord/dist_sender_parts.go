package kvcoord

import (
	"context"
	"errors"
	"fmt"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// Several ranges' parts of one read-only batch whose cached leaseholders
// are on the same node go to that node in one Internal.BatchParts RPC
// instead of one Batch RPC each: the node answers each part exactly as
// Batch would (own range, replica, errors), so only the first attempt is
// shared. A part that comes back refused (any structured error), or whose
// RPC failed, is repaired in the cache if the error says how
// (NotLeaseholder hint, RangeKeyMismatch descriptors) and is then either
// sent again alone through sendToRange, with the usual per-part retries,
// or reported failed, as the caller chooses. Writes never share an RPC
// (their ambiguity is per RPC); neither do parts without a cached
// leaseholder.
//
// With carryLimits (the read-ahead window of a limited batch, in scan
// order) the node evaluates its parts one after the other, carrying each
// request's limits from one part to the next, and skips the parts it
// knows the walk cannot need (see kvpb.EvalParts): sending a long window
// then costs at most one page of reading per node.

// PartsTransport is a Transport that can also send several ranges' parts
// to one node in one RPC (Internal.BatchParts). GRPCTransport is one.
type PartsTransport interface {
	SendPartsTo(ctx context.Context, node *kvpb.ReplicaDescriptor, req *kvpb.BatchPartsRequest) (*kvpb.BatchPartsResponse, error)
}

// errPartSkipped is a read-ahead part the node did not evaluate (an
// earlier part of its group used the limits up, stopped or failed).
var errPartSkipped = errors.New("kvcoord: part skipped by its node")

// partOutcome is one part's answer from a group.
type partOutcome struct {
	br  *kvpb.BatchResponse
	err error
}

// nodeGroups assigns each part the index of the group it shares an RPC
// with, or -1 when it goes alone; groups lists, per group, its parts in
// the given order and the leaseholder replica of each.
func (ds *DistSender) nodeGroups(parts []*part) (group []int, groups [][]int, reps [][]*kvpb.ReplicaDescriptor) {
	group = make([]int, len(parts))
	if _, ok := ds.cfg.Transport.(PartsTransport); !ok || len(parts) < 2 {
		for j := range group {
			group[j] = -1
		}
		return group, nil, nil
	}
	byNode := map[uint64]int{}
	lhs := make([]*kvpb.ReplicaDescriptor, len(parts))
	count := map[uint64]int{}
	for j, p := range parts {
		if len(p.reqs) == 0 {
			continue
		}
		if e, ok := ds.cache.Get(firstKey(p)); ok && e.Desc.GetRangeId() == p.desc.GetRangeId() && e.Leaseholder != nil {
			lhs[j] = e.Leaseholder
			count[e.Leaseholder.GetNodeId()]++
		}
	}
	for j := range parts {
		group[j] = -1
		lh := lhs[j]
		if lh == nil || count[lh.GetNodeId()] < 2 {
			continue
		}
		g, ok := byNode[lh.GetNodeId()]
		if !ok {
			g = len(groups)
			byNode[lh.GetNodeId()] = g
			groups = append(groups, nil)
			reps = append(reps, nil)
		}
		group[j] = g
		groups[g] = append(groups[g], j)
		reps[g] = append(reps[g], lh)
	}
	return group, groups, reps
}

// sendGroup sends parts (all with their leaseholder on reps[k]'s node) in
// one BatchParts RPC and returns each part's outcome. A part that was not
// answered successfully gets the error it met (errPartSkipped if skipped),
// after the cache has been repaired from it; resend (if not nil) reports
// which of those are sent again alone with sendToRange.
func (ds *DistSender) sendGroup(ctx context.Context, orig *kvpb.BatchRequest, parts []*part,
	reps []*kvpb.ReplicaDescriptor, carryLimits bool, resend func(k int) bool) []partOutcome {
	out := make([]partOutcome, len(parts))
	req := &kvpb.BatchPartsRequest{CarryLimits: carryLimits, Parts: make([]*kvpb.BatchPart, len(parts))}
	for k, p := range parts {
		ba := &kvpb.BatchRequest{Header: partHeader(orig.GetHeader(), p.desc, reps[k]), Requests: p.reqs}
		if ds.cfg.Clock != nil {
			ba.Now = kvpb.TS(ds.cfg.Clock.Now())
		}
		idx := make([]int32, len(p.indexes))
		for i, x := range p.indexes {
			idx[i] = int32(x)
		}
		req.Parts[k] = &kvpb.BatchPart{Batch: ba, Indexes: idx}
	}
	actx := ctx
	if ds.cfg.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, ds.cfg.AttemptTimeout)
		defer cancel()
	}
	resp, err := ds.cfg.Transport.(PartsTransport).SendPartsTo(actx, reps[0], req)
	if err == nil && len(resp.GetParts()) != len(parts) {
		err = errors.New("kvcoord: BatchParts answered the wrong number of parts")
	}
	if err != nil && ctx.Err() == nil {
		// The node did not answer: stop grouping on it. Each part finds
		// its leaseholder again alone (sendToRange tries every replica).
		for _, p := range parts {
			ds.cache.ClearLeaseholder(p.desc)
		}
	}
	for k, p := range parts {
		switch {
		case err != nil:
			out[k].err = err
		case resp.GetParts()[k].GetSkipped():
			out[k].err = errPartSkipped
		default:
			br := resp.GetParts()[k].GetBatch()
			if ds.cfg.Clock != nil && br.GetNow() != nil {
				_ = ds.cfg.Clock.Update(br.GetNow().HLC())
			}
			if br.GetError() != nil {
				out[k].err = br.GetError().GoError()
				if ds.repairFrom(p.desc, out[k].err) {
					// Its range changed: the caller divides it again.
					out[k].err = errResplit
					continue
				}
			} else if len(br.GetResponses()) != len(p.reqs) {
				out[k].err = errors.New("kvcoord: BatchParts part answered the wrong number of responses")
			} else {
				ds.cache.UpdateLeaseholder(p.desc, reps[k])
				out[k].br = br
			}
		}
		if out[k].err != nil && resend != nil && resend(k) {
			out[k].br, out[k].err = ds.sendToRange(ctx, orig, p)
		}
	}
	return out
}

// repairFrom applies what a part's refusal says about the cache: a
// NotLeaseholder hint, or the descriptors of a RangeKeyMismatch (then it
// returns true: the part must be divided again). Other errors are left to
// sendToRange's retries.
func (ds *DistSender) repairFrom(desc *kvpb.RangeDescriptor, err error) (resplit bool) {
	var (
		nle *kvpb.NotLeaseholderError
		rkm *kvpb.RangeKeyMismatchError
	)
	switch {
	case errors.As(err, &nle):
		if hint := nle.GetLeaseholder(); hint != nil {
			if _, ok := desc.ReplicaByID(kvpb.ReplicaID(hint.GetReplicaId())); ok {
				ds.cache.UpdateLeaseholder(desc, hint)
				return false
			}
			ds.cache.Evict(desc)
			return false
		}
		ds.cache.ClearLeaseholder(desc)
	case errors.As(err, &rkm):
		if desc.GetRangeId() == 1 {
			ds.forgetFirstRange()
		}
		ds.cache.EvictAndReplace(desc, rkm.GetRanges()...)
		return true
	}
	return false
}

// SendPartsTo implements PartsTransport with Internal.BatchParts. A
// failed RPC comes back as *SendError.
func (t *GRPCTransport) SendPartsTo(ctx context.Context, rep *kvpb.ReplicaDescriptor, req *kvpb.BatchPartsRequest) (*kvpb.BatchPartsResponse, error) {
	addr, err := t.resolve(ctx, kvpb.NodeID(rep.GetNodeId()))
	if err != nil {
		return nil, &SendError{Addr: fmt.Sprintf("n%d", rep.GetNodeId()), Err: err}
	}
	conn, err := t.Conn(addr)
	if err != nil {
		return nil, &SendError{Addr: addr, Err: err}
	}
	resp, err := kvpb.NewInternalClient(conn).BatchParts(ctx, req)
	if err != nil {
		return nil, &SendError{Addr: addr, Sent: true, Err: err}
	}
	return resp, nil
}
