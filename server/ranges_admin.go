package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges"
)

// rangeIDGenKey is the counter of range IDs (\x03range-idgen: the last
// range ID handed out; range 1 is the bootstrap range's).
var rangeIDGenKey = []byte("\x03range-idgen")

// Range admin commands run on the node holding the range's lease: a node
// receiving one finds the leaseholder (its own replica's lease, else its
// peers' RangeInfo) and forwards the RPC there once (marked, so it is
// never forwarded twice). Errors that only mean "ask again" (not
// leaseholder, range boundaries moved) are retried until the deadline.

// adminTimeout bounds an admin command whose context has no deadline.
const adminTimeout = 30 * time.Second

// errRetry wraps errors after which the whole command is tried again.
type retryError struct{ err error }

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// retryable reports whether err means the command may succeed if tried
// again from the start (routing changed under it).
func retryable(err error) bool {
	var (
		nle *kvpb.NotLeaseholderError
		rkm *kvpb.RangeKeyMismatchError
		rnf *kvpb.RangeNotFoundError
		una *kvpb.UnavailableError
		re  *retryError
	)
	if errors.As(err, &re) || errors.As(err, &nle) || errors.As(err, &rkm) || errors.As(err, &rnf) || errors.As(err, &una) {
		return true
	}
	if st, ok := status.FromError(err); ok && err != nil {
		return st.Code() == codes.Unavailable || st.Code() == codes.FailedPrecondition
	}
	return false
}

// leaseTargetBehind reports whether err is a lease transfer refused
// because its target has not caught up (ranges.ErrLeaseTargetBehind, or
// its Aborted status from another node). Callers that need the lease
// moved (relocate, merges) retry it; the placement runner does not.
func leaseTargetBehind(err error) bool {
	if errors.Is(err, ranges.ErrLeaseTargetBehind) {
		return true
	}
	st, ok := status.FromError(err)
	return ok && err != nil && st.Code() == codes.Aborted
}

// adminRetry runs f until it succeeds, fails with a non-retryable error
// or ctx ends. It gives up adminDeadlineMargin before the caller's
// deadline, so that the caller receives what the command was waiting on
// (the last error, e.g. "moving raft leadership off a replica being
// removed") instead of its own bare DeadlineExceeded: a placement step
// that hung its 60 s used to leave no trace of where.
func adminRetry[T any](ctx context.Context, what string, f func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) > 2*adminDeadlineMargin {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-adminDeadlineMargin))
		defer cancel()
	}
	if isForwarded(ctx) {
		// One attempt: the forwarding node re-resolves the leaseholder and
		// retries (retrying here could spin on a lease that moved away).
		v, err := f(ctx)
		if err != nil {
			if retryable(err) {
				if _, ok := status.FromError(err); !ok {
					err = status.Errorf(codes.Unavailable, "%s: %v", what, err)
				}
			}
			return zero, adminStatus(what, err)
		}
		return v, nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, adminTimeout)
		defer cancel()
	}
	wait := 10 * time.Millisecond
	var last error
	for attempt := 0; attempt < 1000; attempt++ {
		v, err := f(ctx)
		if err == nil {
			return v, nil
		}
		last = err
		if !retryable(err) {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, kvStatus(what, fmt.Errorf("%w (last error: %v)", ctx.Err(), last))
		case <-t.C:
		}
		wait = min(2*wait, 250*time.Millisecond)
	}
	return zero, adminStatus(what, last)
}

// adminDeadlineMargin is how long before the caller's deadline
// adminRetry stops (a forwarded call stops another margin earlier).
const adminDeadlineMargin = time.Second

// adminStatus maps an admin command error to a gRPC status: bad input is
// InvalidArgument, an unknown range NotFound, a lease transfer refused
// because its target is behind Aborted (not retried: the caller decides
// afresh), the rest Unavailable (statuses from a forwarded call pass
// through).
func adminStatus(what string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	var inv *kvpb.InvalidRequestError
	var rnf *kvpb.RangeNotFoundError
	switch {
	case errors.Is(err, ranges.ErrLeaseTargetBehind):
		return status.Errorf(codes.Aborted, "%s: %v", what, err)
	case errors.As(err, &inv):
		return status.Errorf(codes.InvalidArgument, "%s: %s", what, inv.GetReason())
	case errors.As(err, &rnf):
		return status.Errorf(codes.NotFound, "%s: %v", what, err)
	}
	return status.Errorf(codes.Unavailable, "%s: %v", what, err)
}

// leaseholderOf finds the node holding rangeID's lease: local (true) if
// it is this node's store.
func (s *Server) leaseholderOf(ctx context.Context, rangeID kvpb.RangeID) (node kvpb.NodeID, local bool, err error) {
	st := s.store()
	if st == nil {
		return 0, false, status.Error(codes.Unavailable, "node not running yet")
	}
	self := s.NodeID()
	if infos := st.RangeInfo(rangeID); len(infos) == 1 && infos[0].GetDesc() != nil {
		ri := infos[0]
		if ri.GetLeaseValid() {
			lh := ri.GetLease().GetReplica()
			return kvpb.NodeID(lh.GetNodeId()), lh.GetNodeId() == uint64(self), nil
		}
	}
	var mu sync.Mutex
	var found kvpb.NodeID
	known := false
	var wg sync.WaitGroup
	for _, n := range s.book.all() {
		if n.ID == self {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			infos, err := s.peerRangeInfoOf(ctx, n.Addr, rangeID)
			if err != nil {
				return
			}
			for _, ri := range infos {
				if ri.GetDesc() == nil {
					continue
				}
				mu.Lock()
				known = true
				if ri.GetLeaseValid() && ri.GetLease().GetReplica().GetStoreId() == ri.GetStoreId() {
					found = kvpb.NodeID(ri.GetLease().GetReplica().GetNodeId())
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if found != 0 {
		return found, found == self, nil
	}
	if !known {
		if infos := st.RangeInfo(rangeID); len(infos) == 0 {
			return 0, false, status.Errorf(codes.NotFound, "r%d: no such range on any node", rangeID)
		}
	}
	return 0, false, &retryError{fmt.Errorf("r%d has no valid lease right now", rangeID)}
}

// peerRangeInfoOf asks the node at addr about one range (0: all).
func (s *Server) peerRangeInfoOf(ctx context.Context, addr string, rangeID kvpb.RangeID) ([]*kvpb.RangeInfo, error) {
	conn, err := s.peers.Conn(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Knobs.PeerTimeout)
	defer cancel()
	resp, err := kvpb.NewAdminClient(conn).RangeInfo(ctx, &kvpb.RangeInfoRequest{RangeId: uint64(rangeID)})
	if err != nil {
		return nil, err
	}
	return resp.GetRanges(), nil
}

// onLeaseholder runs local on this node if it holds rangeID's lease (or
// the call was forwarded here already), else remote on the leaseholder's
// node, with the forwarded mark.
func onLeaseholder[T any](ctx context.Context, s *Server, rangeID kvpb.RangeID,
	local func(ctx context.Context, st *ranges.Store) (T, error),
	remote func(ctx context.Context, c kvpb.AdminClient) (T, error)) (T, error) {
	var zero T
	st := s.store()
	if st == nil {
		return zero, status.Error(codes.Unavailable, "node not running yet")
	}
	if isForwarded(ctx) {
		// Run here; what the command itself routes (a merge bringing the
		// right range's lease over) is routed afresh, not run here too.
		return local(unforwarded(ctx), st)
	}
	node, isLocal, err := s.leaseholderOf(ctx, rangeID)
	if err != nil {
		return zero, err
	}
	if isLocal {
		return local(ctx, st)
	}
	addr, err := s.book.lookup(node)
	if err != nil {
		return zero, &retryError{err}
	}
	conn, err := s.peers.Conn(addr)
	if err != nil {
		return zero, &retryError{err}
	}
	fctx := metadata.AppendToOutgoingContext(ctx, forwardedKey, "1")
	return remote(fctx, kvpb.NewAdminClient(conn))
}

// rangeContaining returns the current descriptor of the range holding key
// (meta lookup; refresh evicts a possibly stale cached one first).
func (s *Server) rangeContaining(ctx context.Context, key []byte, refresh bool) (*kvpb.RangeDescriptor, error) {
	if refresh {
		if e, ok := s.ds.Cache().Get(key); ok {
			s.ds.Cache().Evict(e.Desc)
		}
	}
	e, err := s.ds.Cache().Lookup(ctx, key)
	if err != nil {
		return nil, err
	}
	return e.Desc, nil
}

// allocRangeID hands out a new cluster-wide range ID.
func (s *Server) allocRangeID(ctx context.Context) (kvpb.RangeID, error) {
	for range 10 {
		br, err := s.dsSend(ctx, &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Increment{Increment: &kvpb.IncrementRequest{Key: rangeIDGenKey, Increment: 1}}})
		if err != nil {
			return 0, err
		}
		if id := br.GetResponses()[0].GetIncrement().GetNewValue(); id > int64(ranges.FirstRangeID) {
			return kvpb.RangeID(id), nil
		}
	}
	return 0, errors.New("allocating a range ID: counter stuck")
}

// AdminSplit splits the range containing the key at the key.
func (a *adminServer) AdminSplit(ctx context.Context, req *kvpb.AdminSplitRequest) (*kvpb.AdminSplitResponse, error) {
	s := a.s
	key := req.GetSplitKey()
	what := fmt.Sprintf("split at %q", key)
	if err := ranges.CheckSplitKey(key); err != nil {
		return nil, adminStatus(what, err)
	}
	refresh := false
	return adminRetry(ctx, what, func(ctx context.Context) (*kvpb.AdminSplitResponse, error) {
		desc, err := s.rangeContaining(ctx, key, refresh)
		refresh = true
		if err != nil {
			return nil, &retryError{err}
		}
		if bytes.Equal(desc.GetStartKey(), key) {
			return nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("key %q is already a range boundary (start of r%d)", key, desc.GetRangeId())}
		}
		return onLeaseholder(ctx, s, desc.ID(), func(ctx context.Context, st *ranges.Store) (*kvpb.AdminSplitResponse, error) {
			return s.splitLocal(ctx, st, key, stickyOf(req))
		}, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.AdminSplitResponse, error) {
			return c.AdminSplit(ctx, req)
		})
	})
}

// stickyOf is the sticky marker a split request puts on the right-hand
// descriptor: none for the placement driver's splits, the expiration (or
// no expiration) for a user's manual split.
func stickyOf(req *kvpb.AdminSplitRequest) *kvpb.Timestamp {
	if !req.GetManual() {
		return nil
	}
	if e := req.GetExpiration(); e.GetWallTime() != 0 {
		return &kvpb.Timestamp{WallTime: e.GetWallTime()}
	}
	return &kvpb.Timestamp{WallTime: math.MaxInt64}
}

func (s *Server) splitLocal(ctx context.Context, st *ranges.Store, key []byte, sticky *kvpb.Timestamp) (*kvpb.AdminSplitResponse, error) {
	if d := st.ReplicaContaining(key); d != nil && bytes.Equal(d.GetStartKey(), key) {
		return nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("key %q is already a range boundary (start of r%d)", key, d.GetRangeId())}
	}
	id, err := s.allocRangeID(ctx)
	if err != nil {
		return nil, err
	}
	left, right, err := st.AdminSplitSticky(ctx, key, id, sticky)
	if err != nil {
		return nil, err
	}
	s.ds.Cache().Insert(left, right)
	if s.testingSkipSplitMeta.Load() {
		return &kvpb.AdminSplitResponse{Left: left, Right: right}, nil
	}
	// Meta: the left's new record first (lookups of its keys were already
	// correct through the old record), then the right's over the old one.
	if err := s.writeMeta(ctx, left); err != nil {
		s.log.Warn("split: writing meta (repair will retry)", "range", left.GetRangeId(), "err", err)
	} else if err := s.writeMeta(ctx, right); err != nil {
		s.log.Warn("split: writing meta (repair will retry)", "range", right.GetRangeId(), "err", err)
	}
	return &kvpb.AdminSplitResponse{Left: left, Right: right}, nil
}

// AdminMerge merges a range with its right neighbour.
func (a *adminServer) AdminMerge(ctx context.Context, req *kvpb.AdminMergeRequest) (*kvpb.AdminMergeResponse, error) {
	s := a.s
	id := kvpb.RangeID(req.GetRangeId())
	what := fmt.Sprintf("merge r%d", id)
	if id == 0 {
		return nil, status.Error(codes.InvalidArgument, "merge: range ID required")
	}
	return adminRetry(ctx, what, func(ctx context.Context) (*kvpb.AdminMergeResponse, error) {
		return onLeaseholder(ctx, s, id, func(ctx context.Context, st *ranges.Store) (*kvpb.AdminMergeResponse, error) {
			return s.mergeLocal(ctx, st, id)
		}, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.AdminMergeResponse, error) {
			return c.AdminMerge(ctx, req)
		})
	})
}

func (s *Server) mergeLocal(ctx context.Context, st *ranges.Store, leftID kvpb.RangeID) (*kvpb.AdminMergeResponse, error) {
	infos := st.RangeInfo(leftID)
	if len(infos) != 1 || infos[0].GetDesc() == nil {
		return nil, &kvpb.RangeNotFoundError{RangeId: uint64(leftID), StoreId: uint64(st.StoreID())}
	}
	left := infos[0].GetDesc()
	if bytes.Equal(left.GetEndKey(), keys.KeyMax) {
		return nil, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("r%d is the last range: it has no right neighbour to merge", leftID)}
	}
	right := st.ReplicaContaining(left.GetEndKey())
	if right == nil || !bytes.Equal(right.GetStartKey(), left.GetEndKey()) {
		// Not here: describe it from meta for the error.
		d, err := s.rangeContaining(ctx, left.GetEndKey(), true)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(d.GetStartKey(), left.GetEndKey()) {
			return nil, &retryError{fmt.Errorf("the right neighbour of r%d is not known yet", leftID)}
		}
		if err := ranges.CheckMergeable(left, d); err != nil {
			return nil, err
		}
		return nil, &retryError{fmt.Errorf("r%d has no replica on s%d yet", d.GetRangeId(), st.StoreID())}
	}
	if err := ranges.CheckMergeable(left, right); err != nil {
		return nil, err
	}
	rightID := right.ID()
	// Both leases here: move the right's if needed.
	if err := s.ensureLocalLease(ctx, st, rightID); err != nil {
		return nil, err
	}
	// The freeze stops every request to the right range until all its
	// replicas applied it: check first that they are up and caught up, so
	// that a replica whose node is down or cut off fails the merge here,
	// with nothing frozen. (Before, the merge froze the range and then
	// waited for such a replica until its deadline: every transaction on
	// the right range stalled for that long, a minute for driver merges.)
	for _, id := range []kvpb.RangeID{leftID, rightID} {
		if err := s.replicasCaughtUp(ctx, st, id); err != nil {
			return nil, err
		}
	}
	rd, stats, idx, err := st.Subsume(ctx, rightID, leftID)
	if err != nil {
		return nil, err
	}
	abort := func(cause error) error {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if uerr := st.Unfreeze(uctx, rightID); uerr != nil {
			s.log.Error("merge: unfreezing the right range failed", "range", rightID, "err", uerr)
		}
		return cause
	}
	if err := ranges.CheckMergeable(left, rd); err != nil {
		return nil, abort(err)
	}
	// Caught up a moment ago, the replicas apply the freeze at once; one
	// that does not (its node died since) must not hold the range frozen
	// for long: unfreeze and try the merge again from the start.
	wctx, wcancel := context.WithTimeout(ctx, mergeFreezeApplyTimeout)
	err = s.waitApplied(wctx, st, rd, idx, "the freeze")
	wcancel()
	if err != nil {
		if ctx.Err() == nil {
			err = &retryError{err}
		}
		return nil, abort(err)
	}
	merged, err := st.CommitMerge(ctx, leftID, rd, stats)
	if err != nil {
		var amb *kvpb.AmbiguousResultError
		if errors.As(err, &amb) {
			return nil, err // may have applied: leave the right frozen; it is absorbed or the caller retries
		}
		return nil, abort(err)
	}
	s.ds.Cache().Insert(merged)
	if err := s.writeMeta(ctx, merged); err != nil {
		s.log.Warn("merge: writing meta (repair will retry)", "range", leftID, "err", err)
	} else if err := s.deleteStaleMeta(ctx, left.GetEndKey(), merged); err != nil {
		s.log.Warn("merge: deleting the old meta record (repair will retry)", "range", leftID, "err", err)
	}
	return &kvpb.AdminMergeResponse{Merged: merged}, nil
}

// ensureLocalLease moves rangeID's lease to this node's store and waits
// until the local replica serves under it.
func (s *Server) ensureLocalLease(ctx context.Context, st *ranges.Store, rangeID kvpb.RangeID) error {
	for attempt := 0; attempt < 200; attempt++ {
		infos := st.RangeInfo(rangeID)
		if len(infos) != 1 {
			return &kvpb.RangeNotFoundError{RangeId: uint64(rangeID), StoreId: uint64(st.StoreID())}
		}
		ri := infos[0]
		if ri.GetLeaseValid() && ri.GetLease().GetReplica().GetStoreId() == uint64(st.StoreID()) {
			return nil
		}
		target := &kvpb.ReplicaTarget{NodeId: uint64(st.NodeID()), StoreId: uint64(st.StoreID())}
		_, err := s.transferLease(ctx, rangeID, target)
		if err != nil && !retryable(err) && !leaseTargetBehind(err) {
			return err
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	return &retryError{fmt.Errorf("could not bring the lease of r%d here", rangeID)}
}

// waitApplied waits until every replica of desc has applied index.
// Merge bounds: how long every replica of the two ranges gets to show it
// is caught up before the freeze, and to apply the freeze after it.
const (
	mergeCatchUpTimeout     = 5 * time.Second
	mergeFreezeApplyTimeout = 10 * time.Second
)

// replicasCaughtUp checks that every replica of rangeID (whose lease this
// store holds) answers and has applied the leaseholder's applied index
// within mergeCatchUpTimeout; otherwise the merge is retried later.
func (s *Server) replicasCaughtUp(ctx context.Context, st *ranges.Store, rangeID kvpb.RangeID) error {
	infos := st.RangeInfo(rangeID)
	if len(infos) != 1 || infos[0].GetDesc() == nil {
		return &kvpb.RangeNotFoundError{RangeId: uint64(rangeID), StoreId: uint64(st.StoreID())}
	}
	cctx, cancel := context.WithTimeout(ctx, mergeCatchUpTimeout)
	defer cancel()
	if err := s.waitApplied(cctx, st, infos[0].GetDesc(), infos[0].GetAppliedIndex(), "the leaseholder's log"); err != nil {
		if ctx.Err() != nil {
			return err
		}
		return &retryError{fmt.Errorf("not merging yet: %w", err)}
	}
	return nil
}

// waitApplied waits until every replica of desc has applied index (what
// names the entry for the error).
func (s *Server) waitApplied(ctx context.Context, st *ranges.Store, desc *kvpb.RangeDescriptor, index uint64, what string) error {
	for _, rep := range desc.GetReplicas() {
		for attempt := 0; ; attempt++ {
			var infos []*kvpb.RangeInfo
			var err error
			if rep.GetStoreId() == uint64(st.StoreID()) {
				infos = st.RangeInfo(desc.ID())
			} else {
				addr, lerr := s.book.lookup(rep.NodeID())
				if lerr != nil {
					return lerr
				}
				infos, err = s.peerRangeInfoOf(ctx, addr, desc.ID())
			}
			if err == nil && len(infos) == 1 && infos[0].GetAppliedIndex() >= index {
				break
			}
			if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
				return fmt.Errorf("replica %d of r%d (n%d) did not apply %s (index %d): %w", rep.GetReplicaId(), desc.GetRangeId(), rep.NodeID(), what, index, err)
			}
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// transferLease runs a lease transfer on the range's leaseholder.
func (s *Server) transferLease(ctx context.Context, rangeID kvpb.RangeID, target *kvpb.ReplicaTarget) (*kvpb.Lease, error) {
	return onLeaseholder(ctx, s, rangeID, func(ctx context.Context, st *ranges.Store) (*kvpb.Lease, error) {
		return st.TransferLease(ctx, rangeID, target)
	}, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.Lease, error) {
		resp, err := c.TransferLease(ctx, &kvpb.TransferLeaseRequest{RangeId: uint64(rangeID), Target: target})
		return resp.GetLease(), err
	})
}

// changeReplicas runs a replica change on the range's leaseholder.
func (s *Server) changeReplicas(ctx context.Context, req *kvpb.ChangeReplicasRequest) (*kvpb.RangeDescriptor, error) {
	id := kvpb.RangeID(req.GetRangeId())
	return onLeaseholder(ctx, s, id, func(ctx context.Context, st *ranges.Store) (*kvpb.RangeDescriptor, error) {
		d, err := st.ChangeReplicas(ctx, id, req.GetChanges(), req.GetExpectedGeneration())
		if err == nil {
			if merr := s.writeMeta(ctx, d); merr != nil {
				s.log.Debug("replica change: writing meta (repair will retry)", "range", id, "err", merr)
			}
		}
		return d, err
	}, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.RangeDescriptor, error) {
		resp, err := c.ChangeReplicas(ctx, req)
		return resp.GetDesc(), err
	})
}

// AdminRelocate moves the range's voters to exactly the target stores:
// one replica added (a learner caught up by snapshot, then promoted) or
// removed at a time, adds first; the lease moves off a replica before it
// is removed.
func (a *adminServer) AdminRelocate(ctx context.Context, req *kvpb.AdminRelocateRequest) (*kvpb.AdminRelocateResponse, error) {
	s := a.s
	id := kvpb.RangeID(req.GetRangeId())
	what := fmt.Sprintf("relocate r%d", id)
	if id == 0 || len(req.GetTargets()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "relocate: range ID and at least one target store required")
	}
	want := map[uint64]*kvpb.ReplicaTarget{}
	for _, t := range req.GetTargets() {
		if t.GetStoreId() == 0 {
			return nil, status.Error(codes.InvalidArgument, "relocate: target without a store ID")
		}
		t := &kvpb.ReplicaTarget{NodeId: t.GetNodeId(), StoreId: t.GetStoreId()}
		if t.NodeId == 0 {
			t.NodeId = t.StoreId // one store per node, with the node's ID (Join hands out both)
		}
		if _, err := s.book.lookup(kvpb.NodeID(t.NodeId)); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "relocate: unknown store s%d", t.StoreId)
		}
		want[t.StoreId] = t
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
	}
	for step := 0; step < 4*(len(want)+8); step++ {
		cur, err := adminRetry(ctx, what, func(ctx context.Context) (descAndHolder, error) {
			return s.currentDesc(ctx, id)
		})
		if err != nil {
			return nil, err
		}
		desc, lh := cur.d, cur.lh
		have := map[uint64]*kvpb.ReplicaDescriptor{}
		for _, r := range desc.GetReplicas() {
			have[r.GetStoreId()] = r
		}
		var add *kvpb.ReplicaTarget
		for _, sid := range sortedKeys(want) {
			if r, ok := have[sid]; !ok || r.GetType() != kvpb.ReplicaType_VOTER {
				add = want[sid]
				break
			}
		}
		var change *kvpb.ReplicaChange
		switch {
		case add != nil:
			change = &kvpb.ReplicaChange{Type: kvpb.ReplicaChangeType_ADD_VOTER, Target: add}
		default:
			var rm *kvpb.ReplicaDescriptor
			for _, sid := range sortedKeys(have) {
				if _, ok := want[sid]; !ok {
					rm = have[sid]
					break
				}
			}
			if rm == nil {
				return &kvpb.AdminRelocateResponse{Desc: desc}, nil
			}
			if lh != nil && lh.GetStoreId() == rm.GetStoreId() {
				to := want[sortedKeys(want)[0]]
				if _, err := adminRetry(ctx, what, func(ctx context.Context) (*kvpb.Lease, error) {
					l, err := s.transferLease(ctx, id, to)
					if leaseTargetBehind(err) {
						err = &retryError{err} // the new voter is still catching up: wait for it
					}
					return l, err
				}); err != nil {
					return nil, err
				}
				continue
			}
			typ := kvpb.ReplicaChangeType_REMOVE_VOTER
			if rm.GetType() == kvpb.ReplicaType_LEARNER {
				typ = kvpb.ReplicaChangeType_REMOVE_LEARNER
			}
			change = &kvpb.ReplicaChange{Type: typ, Target: &kvpb.ReplicaTarget{NodeId: rm.GetNodeId(), StoreId: rm.GetStoreId()}}
		}
		creq := &kvpb.ChangeReplicasRequest{RangeId: uint64(id), Changes: []*kvpb.ReplicaChange{change}, ExpectedGeneration: desc.GetGeneration()}
		if _, err := adminRetry(ctx, what, func(ctx context.Context) (*kvpb.RangeDescriptor, error) { return s.changeReplicas(ctx, creq) }); err != nil {
			var rkm *kvpb.RangeKeyMismatchError
			if errors.As(err, &rkm) || status.Code(err) == codes.Unavailable {
				continue // the descriptor moved (e.g. the up-replicator): look again
			}
			return nil, err
		}
	}
	return nil, status.Errorf(codes.Unavailable, "%s: did not converge", what)
}

// currentDesc returns the range's descriptor and leaseholder as the
// leaseholder reports them.
type descAndHolder struct {
	d  *kvpb.RangeDescriptor
	lh *kvpb.ReplicaDescriptor
}

func (s *Server) currentDesc(ctx context.Context, id kvpb.RangeID) (descAndHolder, error) {
	type out = descAndHolder
	o, err := onLeaseholder(ctx, s, id, func(ctx context.Context, st *ranges.Store) (out, error) {
		infos := st.RangeInfo(id)
		if len(infos) != 1 || infos[0].GetDesc() == nil {
			return out{}, &kvpb.RangeNotFoundError{RangeId: uint64(id)}
		}
		return out{infos[0].GetDesc(), infos[0].GetLease().GetReplica()}, nil
	}, func(ctx context.Context, c kvpb.AdminClient) (out, error) {
		resp, err := c.RangeInfo(ctx, &kvpb.RangeInfoRequest{RangeId: uint64(id)})
		if err != nil {
			return out{}, err
		}
		if len(resp.GetRanges()) != 1 {
			return out{}, &retryError{fmt.Errorf("leaseholder of r%d no longer has it", id)}
		}
		return out{resp.GetRanges()[0].GetDesc(), resp.GetRanges()[0].GetLease().GetReplica()}, nil
	})
	return o, err
}

func sortedKeys[V any](m map[uint64]V) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// RangesList lists the ranges overlapping [start, end) from meta, with
// their leaseholder and stats as the replicas report them.
func (a *adminServer) RangesList(ctx context.Context, req *kvpb.RangesListRequest) (*kvpb.RangesListResponse, error) {
	s := a.s
	if s.store() == nil {
		return nil, status.Error(codes.Unavailable, "node not running yet")
	}
	start, end := req.GetStartKey(), req.GetEndKey()
	if len(end) > 0 && bytes.Compare(start, end) >= 0 {
		return nil, status.Errorf(codes.InvalidArgument, "ranges list: empty span [%q, %q)", start, end)
	}
	meta, err := adminRetry(ctx, "ranges list", func(ctx context.Context) ([]*kvpb.RangeDescriptor, error) {
		m, err := s.scanMeta(ctx)
		if err != nil {
			return nil, &retryError{err}
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	// Every node's replicas, in parallel.
	nodes := s.book.all()
	infos := make([][]*kvpb.RangeInfo, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n.ID == s.NodeID() {
				if st := s.store(); st != nil {
					infos[i] = st.RangeInfo(0)
				}
				return
			}
			infos[i], _ = s.peerRangeInfoOf(ctx, n.Addr, 0)
		}()
	}
	wg.Wait()
	type best struct {
		lh    *kvpb.ReplicaDescriptor
		stats *kvpb.MVCCStats
		gen   uint64
	}
	byRange := map[uint64]*best{}
	for _, list := range infos {
		for _, ri := range list {
			d := ri.GetDesc()
			if d == nil {
				continue
			}
			b := byRange[d.GetRangeId()]
			if b == nil {
				b = &best{}
				byRange[d.GetRangeId()] = b
			}
			holder := ri.GetLeaseValid() && ri.GetLease().GetReplica().GetStoreId() == ri.GetStoreId()
			if holder {
				b.lh = ri.GetLease().GetReplica()
			}
			if holder || (b.lh == nil && d.GetGeneration() >= b.gen) {
				b.stats, b.gen = ri.GetStats(), d.GetGeneration()
			}
		}
	}
	resp := &kvpb.RangesListResponse{}
	for _, d := range meta {
		if bytes.Compare(d.GetEndKey(), start) <= 0 {
			continue
		}
		if len(end) > 0 && bytes.Compare(d.GetStartKey(), end) >= 0 {
			break
		}
		e := &kvpb.RangeListEntry{Desc: d}
		if b := byRange[d.GetRangeId()]; b != nil {
			e.Leaseholder, e.Stats = b.lh, b.stats
		}
		resp.Ranges = append(resp.Ranges, e)
	}
	return resp, nil
}
