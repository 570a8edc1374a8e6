package kvcoord

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// Sender sends a batch (DistSender; tests use fakes).
type Sender interface {
	Send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error)
}

// TxnConfig configures the transactions of a TxnFactory.
type TxnConfig struct {
	// Sender is where batches go (the DistSender).
	Sender Sender
	Clock  *hlc.Clock
	// HeartbeatInterval is how often a transaction with a record
	// heartbeats it (default 1s; the servers' liveness threshold is 5s).
	HeartbeatInterval time.Duration
	// CleanupTimeout bounds an asynchronous rollback (default 10s).
	CleanupTimeout time.Duration
	// MaxRefreshAttempts bounds the refresh-and-resend of one batch
	// (default 4).
	MaxRefreshAttempts int
	Logger             *slog.Logger
}

// TxnFactory makes TxnCoordSenders and owns their background work
// (heartbeats, asynchronous rollbacks), which Close stops.
type TxnFactory struct {
	cfg     TxnConfig
	stopper chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

// NewTxnFactory returns a factory.
func NewTxnFactory(cfg TxnConfig) *TxnFactory {
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = time.Second
	}
	if cfg.CleanupTimeout <= 0 {
		cfg.CleanupTimeout = 10 * time.Second
	}
	if cfg.MaxRefreshAttempts <= 0 {
		cfg.MaxRefreshAttempts = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &TxnFactory{cfg: cfg, stopper: make(chan struct{})}
}

// Close stops every heartbeat and cleanup. Open transactions are
// abandoned as if their coordinator had crashed: their records expire and
// other transactions abort them and clean up their intents.
func (f *TxnFactory) Close() {
	f.once.Do(func() { close(f.stopper) })
	f.wg.Wait()
}

// goAsync runs fn in the background unless the factory is closed; its
// context ends when the factory closes or after timeout.
func (f *TxnFactory) goAsync(timeout time.Duration, fn func(ctx context.Context)) {
	select {
	case <-f.stopper:
		return
	default:
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		ctx, cancel := context.WithCancel(context.Background())
		if timeout > 0 {
			ctx, cancel = context.WithTimeout(context.Background(), timeout)
		}
		defer cancel()
		go func() {
			select {
			case <-f.stopper:
				cancel()
			case <-ctx.Done():
			}
		}()
		fn(ctx)
	}()
}

// txnState is where a coordinator is in its life.
type txnState int

const (
	txnPending   txnState = iota // running
	txnRetryable                 // a retryable error must be handled (PrepareForRetry)
	txnFinalized                 // committed, rolled back or known aborted
)

// ErrConcurrentTxnUse is returned when a transaction is given a batch
// while another of its batches is in flight (a Txn runs one operation at
// a time).
var ErrConcurrentTxnUse = errors.New("kvcoord: concurrent use of a transaction")

// TxnCoordSender coordinates one transaction: it carries the transaction
// in every batch and runs the interceptor stack (see the package doc).
// One batch at a time; the heartbeat runs beside it.
type TxnCoordSender struct {
	f *TxnFactory

	mu struct {
		sync.Mutex
		txn   *kvpb.Transaction
		state txnState
		// storedErr is the retryable error of state txnRetryable, or the
		// reason of an abort learned by the heartbeat.
		storedErr error
		inFlight  bool
		// fixed: a historical read-only transaction (SetFixedTimestamp).
		fixed bool
		// userPriority, if set, is kept across restarts.
		priority int32
	}

	// The interceptors, top first; they share mu.
	heartbeater  txnHeartbeater
	seq          txnSeqNumAllocator
	locks        txnLockTracker
	committer    txnCommitter
	refresher    txnSpanRefresher
	gatekeeper   txnLockGatekeeper
	interceptors [5]txnInterceptor // an array: no allocation per txn
}

// NewTxn returns a coordinator for a new transaction named name (for
// errors and logs), starting at the clock's now.
func (f *TxnFactory) NewTxn(name string) *TxnCoordSender {
	tc := &TxnCoordSender{f: f}
	tc.mu.txn = f.newProto(name, 1)
	tc.mu.priority = tc.mu.txn.GetMeta().GetPriority()
	tc.heartbeater.tc = tc
	tc.seq.tc = tc
	tc.locks.tc = tc
	tc.committer.tc = tc
	tc.refresher.tc = tc
	tc.gatekeeper.tc = tc
	tc.interceptors = [5]txnInterceptor{&tc.heartbeater, &tc.seq, &tc.locks, &tc.committer, &tc.refresher}
	for i, in := range tc.interceptors {
		if i+1 < len(tc.interceptors) {
			in.setWrapped(tc.interceptors[i+1])
		} else {
			in.setWrapped(&tc.gatekeeper)
		}
	}
	return tc
}

func (f *TxnFactory) newProto(name string, priority int32) *kvpb.Transaction {
	// One allocation for the txn, its meta, ID and timestamps (every
	// statement makes a txn); each field still has memory of its own, and
	// the ID is full-capacity (an append copies).
	b := &txnProtoBlock{}
	id := b.id[:kvpb.TxnIDLen:kvpb.TxnIDLen]
	_, _ = cryptoRandRead(id)
	now := f.cfg.Clock.Now()
	ts := func(i int, t hlc.Timestamp) *kvpb.Timestamp {
		if t.IsEmpty() {
			return nil // as kvpb.TS
		}
		b.ts[i].WallTime, b.ts[i].Logical = t.WallTime, t.Logical
		return &b.ts[i]
	}
	b.meta.Id, b.meta.WriteTimestamp, b.meta.MinTimestamp, b.meta.Priority = id, ts(0, now), ts(1, now), priority
	t := &b.txn
	t.Meta, t.Name, t.Status, t.ReadTimestamp = &b.meta, name, kvpb.TransactionStatus_PENDING, ts(2, now)
	t.GlobalUncertaintyLimit = ts(3, now.AddDuration(int64(f.cfg.Clock.MaxOffset())))
	return t
}

type txnProtoBlock struct {
	txn  kvpb.Transaction
	meta kvpb.TxnMeta
	ts   [4]kvpb.Timestamp
	id   [kvpb.TxnIDLen]byte
}

var cryptoRandRead = crand.Read

// Txn returns a copy of the transaction as the coordinator knows it.
func (tc *TxnCoordSender) Txn() *kvpb.Transaction {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.mu.txn.Clone()
}

// ID returns the transaction's ID.
func (tc *TxnCoordSender) ID() []byte {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.mu.txn.ID()
}

// ReadTimestamp returns the current read timestamp.
func (tc *TxnCoordSender) ReadTimestamp() hlc.Timestamp {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.mu.txn.ReadTS()
}

// SetFixedTimestamp makes the transaction a historical read-only one at
// ts: it must be called before the first batch; writes are then refused.
func (tc *TxnCoordSender) SetFixedTimestamp(ts hlc.Timestamp) error {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if ts.IsEmpty() {
		return &kvpb.InvalidRequestError{Reason: "fixed timestamp must not be zero"}
	}
	if tc.seq.used || tc.refresher.used {
		return &kvpb.InvalidRequestError{Reason: "SetFixedTimestamp after the transaction read or wrote"}
	}
	if now := tc.f.cfg.Clock.Now(); now.Less(ts) {
		return &kvpb.InvalidRequestError{Reason: fmt.Sprintf("fixed timestamp %s is in the future (now %s)", ts, now)}
	}
	t := tc.mu.txn
	t.ReadTimestamp = kvpb.TS(ts)
	t.Meta.WriteTimestamp = kvpb.TS(ts)
	t.Meta.MinTimestamp = kvpb.TS(ts)
	// Past values are all known: there is no uncertainty.
	t.GlobalUncertaintyLimit = kvpb.TS(ts)
	tc.mu.fixed = true
	return nil
}

// Send runs a batch of the transaction through the interceptors. A
// retryable error leaves the coordinator in a state where every batch
// fails with the same error until PrepareForRetry (or Rollback).
func (tc *TxnCoordSender) Send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if err := tc.checkUsableLocked(ba); err != nil {
		return nil, err
	}
	if tc.mu.fixed && hasWrites(ba) {
		return nil, &kvpb.InvalidRequestError{Reason: "a transaction with a fixed timestamp is read-only"}
	}
	tc.mu.inFlight = true
	defer func() { tc.mu.inFlight = false }()
	// The interceptors stamp the batch's sequence number (and anchor key)
	// on the header's txn; the gatekeeper then carries the coordinator's
	// txn in a copy of its own (syncHeaderLocked), so the header starts
	// with a carrier rather than a clone of tc.mu.txn.
	c := &headerCarrier{} // the three in one allocation
	c.txn.Meta = &c.meta
	c.h.Txn = &c.txn
	ba.Header = &c.h
	br, err := tc.interceptors[0].SendLocked(ctx, ba)
	if err != nil {
		return nil, tc.handleErrLocked(err)
	}
	return br, nil
}

// headerCarrier is a batch's header with the txn carrier the interceptors
// stamp (see Send).
type headerCarrier struct {
	h    kvpb.Header
	txn  kvpb.Transaction
	meta kvpb.TxnMeta
}

func (tc *TxnCoordSender) checkUsableLocked(ba *kvpb.BatchRequest) error {
	if tc.mu.inFlight {
		return ErrConcurrentTxnUse
	}
	switch tc.mu.state {
	case txnRetryable:
		if et, _ := endTxnOf(ba); et != nil && !et.GetCommit() {
			return nil // a rollback is always allowed
		}
		return tc.mu.storedErr
	case txnFinalized:
		if et, _ := endTxnOf(ba); et != nil && !et.GetCommit() && tc.mu.txn.GetStatus() != kvpb.TransactionStatus_COMMITTED {
			return nil // rolling back an aborted txn again is harmless
		}
		return &kvpb.TransactionStatusError{Msg: fmt.Sprintf("txn %s is already %s", kvpb.ShortID(tc.mu.txn.ID()), tc.mu.txn.GetStatus())}
	}
	return nil
}

// handleErrLocked classifies an error that came out of the stack.
// Retryable errors move the coordinator to txnRetryable; an abort is also
// final for this ID.
func (tc *TxnCoordSender) handleErrLocked(err error) error {
	if !kvpb.IsRetryable(err) {
		return err
	}
	var tae *kvpb.TransactionAbortedError
	if errors.As(err, &tae) {
		tc.finalizeLocked(kvpb.TransactionStatus_ABORTED)
		tc.cleanupAsyncLocked()
	}
	if tc.mu.state != txnFinalized {
		tc.mu.state = txnRetryable
	}
	tc.mu.storedErr = err
	return err
}

// Aborted reports whether the transaction (this ID) is known aborted, so
// a retry needs a new transaction rather than a new epoch.
func (tc *TxnCoordSender) Aborted() bool {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.mu.txn.GetStatus() == kvpb.TransactionStatus_ABORTED
}

// PrepareForRetry readies the coordinator to run the transaction again
// after the retryable error err: a new epoch at a timestamp above what
// made it fail (intents stay as locks; reads are forgotten). It returns
// false if the transaction was aborted: then make a new one with
// NewTxnAfterAbort.
func (tc *TxnCoordSender) PrepareForRetry(err error) bool {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.mu.txn.GetStatus() == kvpb.TransactionStatus_ABORTED {
		return false
	}
	if tc.mu.state == txnFinalized {
		return false
	}
	t := tc.mu.txn
	ts := t.WriteTS().Forward(restartTimestamp(err))
	if et := kvpb.ErrorTxn(err); et != nil && kvpb.SameTxn(et.ID(), t.ID()) {
		ts = ts.Forward(et.WriteTS())
	}
	t.Meta.Epoch++
	t.ReadTimestamp = kvpb.TS(ts)
	t.Meta.WriteTimestamp = kvpb.TS(ts)
	t.WriteTooOld = false
	t.IgnoredSeqnums = nil
	for _, in := range tc.interceptors {
		in.epochBumpedLocked()
	}
	tc.mu.state = txnPending
	tc.mu.storedErr = nil
	return true
}

// restartTimestamp is the lowest timestamp a restart after err must read
// at to get past what failed.
func restartTimestamp(err error) hlc.Timestamp {
	var (
		rwu *kvpb.ReadWithinUncertaintyIntervalError
		wto *kvpb.WriteTooOldError
		rfe *kvpb.RefreshFailedError
	)
	switch {
	case errors.As(err, &rwu):
		return rwu.GetValueTimestamp().HLC().Next()
	case errors.As(err, &wto):
		return wto.GetActualTimestamp().HLC().Next()
	case errors.As(err, &rfe):
		return rfe.GetTimestamp().HLC().Next()
	}
	return hlc.Timestamp{}
}

// NewTxnAfterAbort returns a coordinator for a new transaction that
// replaces this aborted one, one priority higher: transactions start at
// priority 1 (conflicts wait; a PUSH_ABORT needs a strictly higher
// priority), so a transaction aborted again and again eventually wins.
func (tc *TxnCoordSender) NewTxnAfterAbort() *TxnCoordSender {
	tc.mu.Lock()
	name, prio := tc.mu.txn.GetName(), tc.mu.priority
	tc.mu.Unlock()
	n := tc.f.NewTxn(name)
	n.mu.Lock()
	if prio < math.MaxInt32 {
		prio++
	}
	n.mu.txn.Meta.Priority = prio
	n.mu.priority = prio
	n.mu.Unlock()
	return n
}

// finalizeLocked records the final status and stops the interceptors.
func (tc *TxnCoordSender) finalizeLocked(status kvpb.TransactionStatus) {
	if tc.mu.state == txnFinalized {
		return
	}
	tc.mu.txn.Status = status
	tc.mu.state = txnFinalized
	for _, in := range tc.interceptors {
		in.closeLocked()
	}
}

// Commit commits the transaction (a read-only one without a round trip).
func (tc *TxnCoordSender) Commit(ctx context.Context) error {
	if tc.commitReadOnly() {
		return nil
	}
	_, err := tc.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{kvpb.NewEndTxn(nil, true, nil)}})
	return err
}

// commitReadOnly finalizes a pending transaction that wrote and locked
// nothing, as the interceptor stack would for its EndTxn (txnCommitter:
// no record, no intents, nothing to check), without building the batch
// and the copies of the txn that the stack makes (a quarter of a point
// SELECT's allocations). It returns false, doing nothing, for any other
// transaction: that one takes the stack.
func (tc *TxnCoordSender) commitReadOnly() bool {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.mu.state != txnPending || tc.mu.inFlight || tc.heartbeater.abortedSeen ||
		len(tc.locks.spans) > 0 || len(tc.locks.locked) > 0 {
		return false
	}
	status := kvpb.TransactionStatus_COMMITTED
	if tc.mu.txn.GetStatus() == kvpb.TransactionStatus_ABORTED {
		status = kvpb.TransactionStatus_ABORTED // as txnCommitter decides
	}
	tc.finalizeLocked(status)
	return true
}

// Rollback aborts the transaction and resolves its intents (the record
// and the intents on the anchor range synchronously, the rest
// asynchronously on the server).
func (tc *TxnCoordSender) Rollback(ctx context.Context) error {
	_, err := tc.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{kvpb.NewEndTxn(nil, false, nil)}})
	var tae *kvpb.TransactionAbortedError
	if errors.As(err, &tae) {
		return nil
	}
	return err
}

// RollbackAsync rolls the transaction back in the background unless it
// is already finished (a context cancelled mid-transaction).
func (tc *TxnCoordSender) RollbackAsync() {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.mu.state == txnFinalized {
		return
	}
	tc.finalizeLocked(kvpb.TransactionStatus_ABORTED)
	tc.cleanupAsyncLocked()
}

// cleanupAsyncLocked sends EndTxn(abort) with the lock spans in the
// background, if the transaction wrote or locked anything.
func (tc *TxnCoordSender) cleanupAsyncLocked() {
	spans := append(tc.locks.spansLocked(), tc.locks.locked...)
	if len(spans) == 0 || len(tc.mu.txn.GetMeta().GetKey()) == 0 {
		return
	}
	txn := tc.mu.txn.Clone()
	txn.Status = kvpb.TransactionStatus_PENDING
	sender, log := tc.f.cfg.Sender, tc.f.cfg.Logger
	tc.f.goAsync(tc.f.cfg.CleanupTimeout, func(ctx context.Context) {
		ba := &kvpb.BatchRequest{Header: &kvpb.Header{Txn: txn},
			Requests: []*kvpb.RequestUnion{kvpb.NewEndTxn(txn.GetMeta().GetKey(), false, spans)}}
		if _, err := sender.Send(ctx, ba); err != nil {
			var tae *kvpb.TransactionAbortedError
			var tse *kvpb.TransactionStatusError
			if !errors.As(err, &tae) && !errors.As(err, &tse) {
				log.Debug("asynchronous rollback failed", "txn", kvpb.ShortID(txn.ID()), "err", err)
			}
		}
	})
}

// syncHeaderLocked makes ba's header carry a fresh copy of the
// coordinator's current transaction, keeping the batch's sequence number.
// The copy is the batch's: once sent it is shared with the transport and
// the servers (a local replica reads it in place), so nothing here
// mutates it afterwards; a later batch gets a copy of its own.
func (tc *TxnCoordSender) syncHeaderLocked(ba *kvpb.BatchRequest) {
	seq := ba.GetHeader().GetTxn().GetMeta().GetSequence()
	h := ba.GetHeader()
	if h == nil {
		h = &kvpb.Header{}
		ba.Header = h
	}
	h.Txn = tc.mu.txn.Clone()
	h.Txn.Meta.Sequence = seq
}

// txnLockGatekeeper is the bottom of the stack: it releases mu around the
// RPC and folds the transaction the servers report back in.
type txnLockGatekeeper struct{ tc *TxnCoordSender }

func (g *txnLockGatekeeper) SendLocked(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	g.tc.syncHeaderLocked(ba)
	return g.tc.sendRawLocked(ctx, ba)
}

// sendRawLocked sends ba as it is, with mu released during the RPC.
func (tc *TxnCoordSender) sendRawLocked(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	tc.mu.Unlock()
	br, err := tc.f.cfg.Sender.Send(ctx, ba)
	tc.mu.Lock()
	if err != nil {
		MergeTxn(tc.mu.txn, kvpb.ErrorTxn(err))
		return nil, err
	}
	MergeTxn(tc.mu.txn, br.GetTxn())
	return br, nil
}
