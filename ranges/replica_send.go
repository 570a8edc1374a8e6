package ranges

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/batcheval"
	"github.com/tesseradb/tessera/kv/concurrency"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// Send evaluates a BatchRequest on the store's replica of the addressed
// range. Errors are the kvpb detail errors (NotLeaseholderError,
// RangeKeyMismatchError, RangeNotFoundError, UnavailableError,
// AmbiguousResultError, ConditionFailedError, InvalidRequestError, …);
// kvpb.NewError turns them into a BatchResponse error.
func (s *Store) Send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	ctx, exit, ok := s.enter(ctx)
	if !ok {
		return nil, &kvpb.UnavailableError{RangeId: ba.GetHeader().GetRangeId(), Reason: "store stopped"}
	}
	defer exit()
	if now := ba.GetNow(); now != nil {
		if err := s.cfg.Clock.Update(now.HLC()); err != nil {
			var coe *hlc.ClockOffsetError
			if errors.As(err, &coe) {
				return nil, &kvpb.ClockOffsetError{Remote: now, Local: kvpb.TS(s.cfg.Clock.Now()), MaxOffsetNanos: int64(s.cfg.Clock.MaxOffset())}
			}
			return nil, err
		}
	}
	if err := validateBatch(ba); err != nil {
		return nil, err
	}
	if ts := ba.GetHeader().GetTimestamp(); ts != nil && !ts.HLC().IsEmpty() {
		// A timestamp from the future moves our clock (so a later lease
		// starts above any read served at it) and may not exceed the max
		// offset.
		if err := s.cfg.Clock.Update(ts.HLC()); err != nil {
			return nil, &kvpb.ClockOffsetError{Remote: ts, Local: kvpb.TS(s.cfg.Clock.Now()), MaxOffsetNanos: int64(s.cfg.Clock.MaxOffset())}
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
	}
	r, ok := s.GetReplica(ba.GetHeader().RangeID())
	if !ok {
		return nil, &kvpb.RangeNotFoundError{RangeId: ba.GetHeader().GetRangeId(), StoreId: uint64(s.cfg.StoreID)}
	}
	br, err := r.send(ctx, ba)
	if err != nil {
		return nil, err
	}
	if ba.GetNow() != nil {
		// A sender that sent its clock reading gets ours back (a local
		// sender on this clock sends none: server.localBatches).
		br.Now = kvpb.TS(s.cfg.Clock.Now())
	}
	return br, nil
}

// validateBatch rejects malformed batches before they reach a replica.
func validateBatch(ba *kvpb.BatchRequest) error {
	if ba.GetHeader() == nil || ba.GetHeader().GetRangeId() == 0 {
		return &kvpb.InvalidRequestError{Reason: "batch without a range ID"}
	}
	if len(ba.GetRequests()) == 0 {
		return &kvpb.InvalidRequestError{Reason: "empty batch"}
	}
	for i, req := range ba.GetRequests() {
		if err := batcheval.Check(req); err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		key, end := req.RequestSpan()
		if len(key) == 0 {
			return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("request %d: empty key", i)}
		}
		if bytes.HasPrefix(key, rangekeys.LocalPrefix) || bytes.Compare(key, KeyMax) >= 0 {
			return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("request %d: key %q is not addressable", i, key)}
		}
		if end != nil || isSpanRequest(req) {
			if bytes.Compare(key, end) >= 0 {
				return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("request %d: empty or inverted span [%q, %q)", i, key, end)}
			}
			if bytes.Compare(end, KeyMax) > 0 {
				return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("request %d: span end %q is beyond the key space", i, end)}
			}
		}
	}
	return nil
}

// checkSkipLocked: WAIT_POLICY_SKIP_LOCKED is for transactional batches
// of locking reads only, every one of them skipping (a batch cannot both
// skip locks and queue on them).
func checkSkipLocked(ba *kvpb.BatchRequest) error {
	if ba.GetHeader().GetTxn() == nil {
		return &kvpb.InvalidRequestError{Reason: "SKIP LOCKED needs a transaction"}
	}
	for i, req := range ba.GetRequests() {
		if !req.IsLockingRead() || req.WaitPolicy() != kvpb.KeyWaitPolicy_WAIT_POLICY_SKIP_LOCKED {
			return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("request %d: a SKIP LOCKED batch holds only SKIP LOCKED locking reads", i)}
		}
	}
	return nil
}

func isSpanRequest(req *kvpb.RequestUnion) bool {
	switch req.GetValue().(type) {
	case *kvpb.RequestUnion_Scan, *kvpb.RequestUnion_ReverseScan, *kvpb.RequestUnion_DeleteRange,
		*kvpb.RequestUnion_ResolveIntentRange, *kvpb.RequestUnion_RefreshRange:
		return true
	}
	return false
}

func (r *Replica) send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	desc, err := r.waitUnfrozen(ctx)
	if err != nil {
		return nil, err
	}
	txn := ba.GetHeader().GetTxn()
	n := len(ba.GetRequests()) // most requests declare one span
	// The concurrency request and its span lists in one allocation for a
	// small batch (a point read and its schema generation read).
	blk := &seqBlock{}
	spans, shared := blk.spans[:0], blk.shared[:0] // shared: per span, a FOR SHARE locking read's
	if n > len(blk.spans) {
		spans, shared = make([]spanlatch.Span, 0, n), make([]bool, 0, n)
	}
	user, noWait, skipLocked := false, false, false
	for _, req := range ba.GetRequests() {
		key, end := req.RequestSpan()
		if !desc.ContainsSpan(key, end) {
			return nil, r.store.mismatchError(key, end, desc)
		}
		before := len(spans)
		spans, err = batcheval.DeclareSpansTo(spans, req, batcheval.DeclareHeader{Txn: txn, Desc: desc})
		if err != nil {
			return nil, err
		}
		sh := txn != nil && req.Locking() == kvpb.KeyLocking_KEY_LOCKING_SHARED
		for range spans[before:] {
			shared = append(shared, sh)
		}
		user = user || isUserRequest(req)
		noWait = noWait || req.WaitPolicy() == kvpb.KeyWaitPolicy_WAIT_POLICY_ERROR
		skipLocked = skipLocked || req.WaitPolicy() == kvpb.KeyWaitPolicy_WAIT_POLICY_SKIP_LOCKED
	}
	if skipLocked {
		if err := checkSkipLocked(ba); err != nil {
			return nil, err
		}
	}
	if _, err := r.ensureLease(ctx); err != nil {
		return nil, err
	}
	if err := r.waitForPushes(ctx, ba); err != nil {
		return nil, err
	}
	// A SKIP LOCKED batch does not queue on locks: its evaluation leaves
	// the locked keys out instead (only the latches order it).
	creq := &blk.req
	*creq = concurrency.Request{Txn: txn, Spans: spans, SkipLocks: !user || skipLocked, NoWait: noWait, Shared: shared}
	if txn != nil {
		creq.ReadTimestamp = txn.ReadTS()
		creq.ReadLimit = txn.LocalUncertaintyLimit(r.store.cfg.NodeID)
	} else if ts := ba.GetHeader().GetTimestamp().HLC(); !ts.IsEmpty() {
		creq.ReadTimestamp = ts
	} else {
		creq.ReadTimestamp = r.store.cfg.Clock.Now()
	}
	// Each round either evaluates or resolved a lock; the context's
	// deadline bounds the rounds too.
	for attempt := 0; attempt < maxIntentRounds; attempt++ {
		var br *kvpb.BatchResponse
		var wie *kvpb.WriteIntentError
		br, wie, err = r.sendOnce(ctx, ba, creq)
		if wie == nil || ctx.Err() != nil {
			return br, err
		}
	}
	return nil, err
}

// maxIntentRounds bounds the evaluations of one batch that meet intents.
const maxIntentRounds = 1000

// sendOnce sequences the batch, evaluates it and, if it met intents,
// hands them to the lock table (returning them: the caller tries again).
func (r *Replica) sendOnce(ctx context.Context, ba *kvpb.BatchRequest, creq *concurrency.Request) (*kvpb.BatchResponse, *kvpb.WriteIntentError, error) {
	g, err := r.conc.SequenceReq(ctx, creq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, r.unavailable(ctx, "waiting for latches or locks")
		}
		return nil, nil, err
	}
	// A proposed write keeps its latches until it applies (or is known
	// not to): evaluateWrite hands them to the proposal.
	handedOff := false
	defer func() {
		if !handedOff {
			r.conc.FinishReq(g)
		}
	}()
	// The lease may have moved while we waited.
	lease, err := r.ensureLease(ctx)
	if err != nil {
		return nil, nil, err
	}
	// The range may have been split or subsumed while we waited.
	if err := r.checkAfterLatch(ba); err != nil {
		return nil, nil, err
	}
	ts := ba.GetHeader().GetTimestamp().HLC()
	if ts.IsEmpty() {
		ts = r.store.cfg.Clock.Now()
	}
	r.load.record(ba, r.store.cfg.Clock.PhysicalNow())
	var txn *kvpb.Transaction
	if t := ba.GetHeader().GetTxn(); t != nil {
		txn = t.Clone()
		ts = txn.ReadTS()
	}
	if err := r.checkGCThreshold(ba, ts); err != nil {
		return nil, nil, err
	}
	var br *kvpb.BatchResponse
	if ba.IsReadOnly() {
		br, err = r.evaluateRead(ba, txn, ts, lease)
	} else {
		br, err = r.evaluateWrite(ctx, ba, txn, ts, lease, g.Latch(), &handedOff)
	}
	if wie, ok := asWriteIntentError(err); ok && !handedOff {
		handedOff = true
		if herr := r.conc.HandleWriteIntentError(ctx, g, wie); herr != nil {
			return nil, nil, herr
		}
		return nil, wie, err
	}
	return br, nil, err
}

// seqBlock is a batch's concurrency request with room for its spans.
type seqBlock struct {
	req    concurrency.Request
	spans  [2]spanlatch.Span
	shared [2]bool
}

// evalArgs are the batcheval arguments of a batch.
func (r *Replica) evalArgs(rw storage.ReadWriter, txn *kvpb.Transaction, ts hlc.Timestamp, ms *storage.MVCCStats) batcheval.Args {
	return batcheval.Args{RW: rw, Timestamp: ts, Stats: ms, Txn: txn, NodeID: r.store.cfg.NodeID,
		Now: r.store.cfg.Clock.Now(), Desc: r.Desc(), Result: &batcheval.Result{}, RecordGCAge: r.store.cfg.TxnRecordGCAge}
}

// recordReads adds the batch's user reads (and refreshes) to the
// timestamp cache at ts.
func (r *Replica) recordReads(ba *kvpb.BatchRequest, txn *kvpb.Transaction, ts hlc.Timestamp) {
	for _, req := range ba.GetRequests() {
		if req.IsUserRead() || isRefresh(req) {
			key, end := req.RequestSpan()
			r.tsCache.AddTxn(key, end, ts, txn.ID())
		}
	}
}

// finishTxn stamps the response's txn with this node's observed timestamp.
func (r *Replica) finishTxn(br *kvpb.BatchResponse, txn *kvpb.Transaction, observed hlc.Timestamp) {
	if txn == nil {
		return
	}
	txn.UpdateObservedTimestamp(r.store.cfg.NodeID, observed)
	br.Txn = txn
}

type readResponse struct {
	br kvpb.BatchResponse
	ts kvpb.Timestamp
}

// evaluateRead serves a read-only batch from the engine, without Raft
// (the latches exclude concurrent writes to the spans; the lease makes the
// local state authoritative).
func (r *Replica) evaluateRead(ba *kvpb.BatchRequest, txn *kvpb.Transaction, ts hlc.Timestamp, lease *kvpb.Lease) (*kvpb.BatchResponse, error) {
	// A read below the lease start is fine (every earlier write applied
	// before our lease did); above the expiration it is not ours to serve.
	if !ts.Less(lease.GetExpiration().HLC()) {
		return nil, r.notLeaseholderErr()
	}
	observed := r.store.cfg.Clock.Now()
	rb := &readResponse{} // the response and its timestamp in one allocation
	br := &rb.br
	br.Timestamp = kvpb.TSInto(&rb.ts, ts)
	args := r.evalArgs(r.store.eng, txn, ts, nil)
	if reqs := ba.GetRequests(); txn != nil && len(reqs) > 0 && reqs[0].WaitPolicy() == kvpb.KeyWaitPolicy_WAIT_POLICY_SKIP_LOCKED {
		// (checkSkipLocked made every request of the batch SKIP LOCKED.)
		// A batch of FOR SHARE reads skips exclusive locks only.
		locks, id, shared := r.conc.Locks(), txn.ID(), true
		for _, req := range reqs {
			shared = shared && req.Locking() == kvpb.KeyLocking_KEY_LOCKING_SHARED
		}
		args.LockedByOther = func(key []byte) bool { return locks.UnreplicatedByOther(key, id, shared) }
	}
	resps, i, err := batcheval.EvaluateBatch(args, ba.GetRequests())
	if err != nil {
		return nil, withIndex(err, i)
	}
	br.Responses = resps
	r.recordReads(ba, txn, ts)
	r.acquireLocks(ba, br, txn)
	r.fillQueryTxn(ba, br)
	r.finishTxn(br, args.Txn, observed)
	return br, nil
}

// acquireLocks takes the unreplicated locks of the batch's locking reads
// on the keys they returned (under the batch's write latches: no writer
// or locking reader of those keys can come between the read and the
// lock). KEY_LOCKING_SHARED takes shared locks, EXCLUSIVE exclusive ones.
func (r *Replica) acquireLocks(ba *kvpb.BatchRequest, br *kvpb.BatchResponse, txn *kvpb.Transaction) {
	if txn == nil {
		return
	}
	var keys, sharedKeys [][]byte
	for i, req := range ba.GetRequests() {
		if !req.IsLockingRead() || i >= len(br.GetResponses()) {
			continue
		}
		keys := &keys
		if req.Locking() == kvpb.KeyLocking_KEY_LOCKING_SHARED {
			keys = &sharedKeys
		}
		resp := br.GetResponses()[i]
		switch {
		case req.GetGet() != nil:
			if resp.GetGet().GetFound() {
				*keys = append(*keys, req.GetGet().GetKey())
			}
		case req.GetScan() != nil:
			for _, kv := range resp.GetScan().GetRows() {
				*keys = append(*keys, kv.GetKey())
			}
		case req.GetReverseScan() != nil:
			for _, kv := range resp.GetReverseScan().GetRows() {
				*keys = append(*keys, kv.GetKey())
			}
		}
	}
	// Shared first: a key locked both ways in one batch ends exclusive.
	if len(sharedKeys) > 0 {
		r.conc.AcquireLocks(txn, sharedKeys, true)
	}
	if len(keys) > 0 {
		r.conc.AcquireLocks(txn, keys, false)
	}
}

// evaluateWrite evaluates a batch into a write batch, proposes it, and
// waits for it to apply locally.
func (r *Replica) evaluateWrite(ctx context.Context, ba *kvpb.BatchRequest, txn *kvpb.Transaction, ts hlc.Timestamp,
	lease *kvpb.Lease, g *spanlatch.Guard, handedOff *bool) (*kvpb.BatchResponse, error) {
	// No write below our lease start or a served read.
	wts := ts
	if txn != nil {
		wts = txn.WriteTS()
	}
	if start := lease.GetStart().HLC(); wts.Less(start) {
		wts = start
	}
	for _, req := range ba.GetRequests() {
		if req.IsIntentWrite() {
			key, end := req.RequestSpan()
			if rts := r.tsCache.GetTxn(key, end, txn.ID()); !rts.Less(wts) {
				wts = rts.Next()
			}
		}
	}
	if txn != nil {
		txn.Meta.WriteTimestamp = kvpb.TS(wts)
	} else {
		ts = wts
	}
	if !lease.Covers(wts) {
		return nil, r.notLeaseholderErr()
	}
	observed := r.store.cfg.Clock.Now()
	b := r.store.eng.NewBatch()
	defer func() { b.Close() }()
	var ms storage.MVCCStats
	args := r.evalArgs(b, txn, ts, &ms)
	args.NoTxnRecord = ba.GetHeader().GetNoTxnRecord()
	br := &kvpb.BatchResponse{Timestamp: kvpb.TS(wts)}
	resps, i, err := batcheval.EvaluateBatch(args, ba.GetRequests())
	if errors.Is(err, batcheval.ErrDirectCommitFallback) {
		// A one-phase commit that could not write committed values
		// directly: evaluate it transactionally into a fresh batch.
		b.Close()
		b = r.store.eng.NewBatch()
		ms = storage.MVCCStats{}
		args = r.evalArgs(b, txn, ts, &ms)
		args.NoDirectCommit = true
		args.NoTxnRecord = ba.GetHeader().GetNoTxnRecord()
		resps, i, err = batcheval.EvaluateBatch(args, ba.GetRequests())
	}
	if err != nil {
		return nil, withIndex(err, i)
	}
	br.Responses = resps
	if txn != nil && !lease.Covers(txn.WriteTS()) {
		// Write-too-old moved the txn beyond our lease.
		return nil, r.notLeaseholderErr()
	}
	r.recordReads(ba, txn, ts)
	r.acquireLocks(ba, br, txn)
	r.fillQueryTxn(ba, br)
	r.finishTxn(br, args.Txn, observed)
	gcth := args.Result.GCThreshold
	if b.Empty() && !r.GCThreshold().Less(gcth) {
		r.applySideEffects(args.Result)
		return br, nil
	}
	p := newProposal(r.store.newProposalID(), &rangepb.RaftCommand{
		ProposerLeaseSequence: lease.GetSequence(),
		WriteBatch:            append([]byte(nil), b.Repr()...),
		StatsDelta:            statsToProto(ms),
		GcThreshold:           kvpb.TS(gcth),
	})
	p.br = br
	p.guard = g
	submitted := time.Now()
	if err := r.submit(p); err != nil {
		return nil, err
	}
	*handedOff = true
	done, timeout, stopWait := opWait(ctx)
	defer stopWait()
	select {
	case err := <-p.done:
		r.store.counters.writeProposals.Add(1)
		r.store.counters.writeProposalNanos.Add(int64(time.Since(submitted)))
		if err != nil {
			return nil, err
		}
		r.applySideEffects(args.Result)
		r.commitWait(ctx, br.GetTxn())
		return br, nil
	case <-done: // the store's stop is the last case
		return nil, &kvpb.AmbiguousResultError{RangeId: uint64(r.rangeID),
			Reason: fmt.Sprintf("range unavailable: write proposed but not applied before the deadline (%v)", ctx.Err())}
	case <-timeout:
		return nil, &kvpb.AmbiguousResultError{RangeId: uint64(r.rangeID),
			Reason: fmt.Sprintf("range unavailable: write proposed but not applied before the deadline (%v)", context.DeadlineExceeded)}
	case <-r.store.stopper:
		return nil, &kvpb.AmbiguousResultError{RangeId: uint64(r.rangeID), Reason: "store stopped with the write in flight"}
	}
}

// indexedError carries the index of the failing request.
type indexedError struct {
	err   error
	index int
}

func (e *indexedError) Error() string { return fmt.Sprintf("request %d: %v", e.index, e.err) }
func (e *indexedError) Unwrap() error { return e.err }

func withIndex(err error, i int) error { return &indexedError{err: err, index: i} }

// RequestIndex returns the index of the failing request of a Send error,
// or -1.
func RequestIndex(err error) int {
	var ie *indexedError
	if errors.As(err, &ie) {
		return ie.index
	}
	return -1
}

func (r *Replica) unavailable(ctx context.Context, what string) error {
	return &kvpb.UnavailableError{RangeId: uint64(r.rangeID), Reason: fmt.Sprintf("%s: %v", what, ctx.Err())}
}

func (r *Replica) notLeaseholderErr() error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.notLeaseholderErrLocked()
}

// notLeaseholderErrLocked builds the redirect: the lease holder if the
// lease is valid, otherwise the raft leader (who will acquire the lease).
func (r *Replica) notLeaseholderErrLocked() error {
	e := &kvpb.NotLeaseholderError{RangeId: uint64(r.rangeID), Replica: r.replicaDescLocked(), Lease: r.mu.lease}
	now := r.store.cfg.Clock.Now()
	if r.leaseValidLocked(r.mu.lease, now) && !r.holdsLeaseLocked(r.mu.lease) {
		e.Leaseholder = r.mu.lease.GetReplica()
	} else if r.mu.leaderID != 0 && r.mu.desc != nil {
		if d, ok := r.mu.desc.ReplicaByID(r.mu.leaderID); ok {
			e.Leaseholder = d
		}
	}
	return e
}

// leaseStatusLocked is the lease check of a request at now (r.mu held,
// read or write): the valid lease this replica serves under, or the error
// that redirects the client (RangeNotFoundError for a destroyed replica,
// NotLeaseholderError to a transfer's target or the valid holder).
// acquire: neither; no valid lease of this incarnation (none, expired,
// or our own from before a restart), which the raft leader acquires.
func (r *Replica) leaseStatusLocked(now hlc.Timestamp) (l *kvpb.Lease, acquire bool, err error) {
	if r.mu.destroyed {
		return nil, false, &kvpb.RangeNotFoundError{RangeId: uint64(r.rangeID), StoreId: uint64(r.store.cfg.StoreID)}
	}
	l = r.mu.lease
	if t := r.mu.transferTarget; t != nil {
		return nil, false, &kvpb.NotLeaseholderError{RangeId: uint64(r.rangeID), Replica: r.replicaDescLocked(), Leaseholder: t, Lease: l}
	}
	if r.leaseValidLocked(l, now) {
		if r.ownsLeaseLocked(l) {
			return l, false, nil
		}
		if !r.holdsLeaseLocked(l) {
			return nil, false, r.notLeaseholderErrLocked()
		}
	}
	return nil, true, nil
}

// ensureLease returns a valid lease held by this replica, acquiring it if
// this replica is the raft leader and no valid lease exists; otherwise a
// NotLeaseholderError redirecting to the holder or leader. With no leader
// it waits until one emerges or the context ends (UnavailableError).
func (r *Replica) ensureLease(ctx context.Context) (*kvpb.Lease, error) {
	// The poll timer is made only when there is something to wait for:
	// every request checks the lease (twice), and a timer per check was a
	// tenth of a point read's allocations.
	var poll *time.Timer
	defer func() {
		if poll != nil {
			poll.Stop()
		}
	}()
	for {
		now := r.store.cfg.Clock.Now()
		r.mu.Lock()
		if l, acquire, err := r.leaseStatusLocked(now); !acquire {
			r.mu.Unlock()
			return l, err
		}
		var wait <-chan error
		switch {
		case r.mu.leaderID != 0 && r.mu.leaderID == r.mu.replicaID:
			p := r.mu.pendingLease
			if p == nil {
				if p = r.newLeaseRequestLocked(now); p != nil {
					if err := p.encode(); err == nil {
						r.mu.proposals[p.id] = p
						r.mu.toPropose = append(r.mu.toPropose, p)
						r.mu.pendingLease = p
						r.store.sched.enqueue(r.rangeID)
					} else {
						p = nil
					}
				}
			}
			_ = p // waiters are woken through stateChanged when it applies
		case r.mu.leaderID != 0:
			if _, ok := r.mu.desc.ReplicaByID(r.mu.leaderID); ok {
				err := r.notLeaseholderErrLocked()
				r.mu.Unlock()
				return nil, err
			}
		}
		changed := r.mu.stateChanged
		r.mu.Unlock()
		if poll == nil {
			poll = time.NewTimer(r.store.cfg.TickInterval)
		} else {
			poll.Reset(r.store.cfg.TickInterval)
		}
		select {
		case <-changed:
		case <-wait:
		case <-poll.C:
		case <-ctx.Done():
			return nil, r.unavailable(ctx, "no leaseholder")
		case <-r.store.stopper:
			return nil, &kvpb.UnavailableError{RangeId: uint64(r.rangeID), Reason: "store stopped"}
		}
	}
}
