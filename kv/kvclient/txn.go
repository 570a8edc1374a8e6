package kvclient

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvcoord"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TxnConfig tunes transactions.
type TxnConfig struct {
	// HeartbeatInterval: how often a transaction's record is heartbeated
	// (default 1s; servers abort a record silent for 5s).
	HeartbeatInterval time.Duration
	// MaxRetries bounds how often db.Txn runs its function again after a
	// retryable error (default 1000); then the last error is returned.
	MaxRetries int
	// RetryBackoffMax caps the pause between retries (default 100ms).
	RetryBackoffMax time.Duration
}

// TxnStats counts what db.Txn and manual transactions went through.
type TxnStats struct {
	Commits int64 // transactions committed
	// RetryableErrors: retryable errors met (each is an attempt that did
	// not commit: aborted by a pusher, refresh failed, …).
	RetryableErrors int64
	Retries         int64 // attempts db.Txn ran again
}

type txnStats struct{ commits, retryable, retries atomic.Int64 }

// TxnStats returns the DB's transaction counters.
func (db *DB) TxnStats() TxnStats {
	return TxnStats{Commits: db.stats.commits.Load(), RetryableErrors: db.stats.retryable.Load(), Retries: db.stats.retries.Load()}
}

// Txn is a transaction: serializable, over any keys of the cluster. A Txn
// runs one operation at a time (it is not safe for concurrent use).
//
// A retryable error (kvpb.IsRetryable: the transaction must run again;
// SQLSTATE 40001) leaves the Txn unusable but for Rollback; db.Txn
// handles it by running the function again, a manual user by rolling back
// and starting over.
type Txn struct {
	db        *DB
	tc        *kvcoord.TxnCoordSender
	// watchCtx is the context whose end rolls t back (see watch); stop,
	// once the watch is registered, unregisters it.
	watchCtx  context.Context
	stop      func() bool
	done      bool        // Commit or Rollback returned
	committed bool
	// manual: made by NewTxn; a failed Commit ends it (see Commit).
	manual bool
	// rolledBack: a failed Commit already rolled t back.
	rolledBack bool
}

// NewTxn begins a transaction in manual mode: the caller must Commit or
// Rollback it; retryable errors come back to the caller. If ctx ends
// before that, the transaction is rolled back in the background.
func (db *DB) NewTxn(ctx context.Context) *Txn {
	t := &Txn{db: db, tc: db.txns.NewTxn("txn"), manual: true}
	t.watch(ctx)
	return t
}

// watch makes the end of ctx roll t back. The background rollback is
// registered (context.AfterFunc) only when t first sends a request that
// may leave something to clean up: a write, a locking read, anything but
// a plain Get/Scan/ReverseScan. Until then t holds nothing others could
// wait on, and rolling back would only finalize it; that is done before
// each request and before Commit instead (checkEnded), so an operation
// after ctx ended fails as it would after the background rollback. A
// read-only statement's transaction, the common case, then never
// registers with its context (an allocation and the parent's children
// map, set and cleared per transaction).
func (t *Txn) watch(ctx context.Context) {
	t.watchCtx, t.stop = ctx, nil
}

// arm registers the background rollback of watch, once.
func (t *Txn) arm() {
	if t.stop == nil && t.watchCtx != nil {
		t.stop = context.AfterFunc(t.watchCtx, t.tc.RollbackAsync)
	}
}

// checkEnded finalizes t (aborted) when its watched context ended before
// the watch was registered, as the registered watch would have, and
// reports whether it did.
func (t *Txn) checkEnded() bool {
	if t.stop == nil && t.watchCtx != nil && t.watchCtx.Err() != nil {
		t.tc.RollbackAsync()
		return true
	}
	return false
}

// stopWatch unregisters the watch of the current attempt.
func (t *Txn) stopWatch() {
	if t.stop != nil {
		t.stop()
		t.stop = nil
	}
	t.watchCtx = nil
}

// plainReads reports whether reqs are only non-locking Get, Scan and
// ReverseScan requests.
func plainReads(reqs []*kvpb.RequestUnion) bool {
	for _, r := range reqs {
		switch r.GetValue().(type) {
		case *kvpb.RequestUnion_Get, *kvpb.RequestUnion_Scan, *kvpb.RequestUnion_ReverseScan:
			if r.IsLockingRead() {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// ID returns the transaction's ID (it changes if db.Txn restarts an
// aborted transaction).
func (t *Txn) ID() []byte { return t.tc.ID() }

// String names the transaction for messages: its short ID.
func (t *Txn) String() string { return "txn " + kvpb.ShortID(t.tc.ID()) }

// Proto returns a copy of the transaction's current state (tests,
// diagnostics).
func (t *Txn) Proto() *kvpb.Transaction { return t.tc.Txn() }

// ReadTimestamp returns the timestamp the transaction reads at now (it
// moves up when the transaction refreshes).
func (t *Txn) ReadTimestamp() hlc.Timestamp { return t.tc.ReadTimestamp() }

// SetFixedTimestamp makes t a historical read-only transaction at ts (AS
// OF SYSTEM TIME): call it before any operation. Reads below the GC
// threshold fail with *kvpb.BatchTimestampBeforeGCError; writes fail.
func (t *Txn) SetFixedTimestamp(ts hlc.Timestamp) error { return t.tc.SetFixedTimestamp(ts) }

// Savepoint names a point of a transaction (see CreateSavepoint).
type Savepoint = kvcoord.Savepoint

// CreateSavepoint returns the transaction's current point.
func (t *Txn) CreateSavepoint(_ context.Context) (Savepoint, error) { return t.tc.CreateSavepoint() }

// RollbackToSavepoint discards the writes made after sp.
func (t *Txn) RollbackToSavepoint(_ context.Context, sp Savepoint) error {
	return t.tc.RollbackToSavepoint(sp)
}

// ReleaseSavepoint forgets sp.
func (t *Txn) ReleaseSavepoint(_ context.Context, sp Savepoint) error {
	return t.tc.ReleaseSavepoint(sp)
}

// NewBatch returns an empty batch for t.Run.
func (t *Txn) NewBatch() *Batch { return &Batch{} }

func (t *Txn) send(ctx context.Context, reqs []*kvpb.RequestUnion) ([]*kvpb.ResponseUnion, error) {
	if t.stop == nil && t.watchCtx != nil && !t.checkEnded() && !plainReads(reqs) {
		t.arm()
	}
	br, err := t.tc.Send(ctx, &kvpb.BatchRequest{Requests: reqs})
	if err != nil {
		if kvpb.IsRetryable(err) {
			t.db.stats.retryable.Add(1)
		}
		return nil, classify(ctx, err)
	}
	return br.GetResponses(), nil
}

// Run sends b in the transaction: in one round to each range it touches.
func (t *Txn) Run(ctx context.Context, b *Batch) error {
	return b.run(func(reqs []*kvpb.RequestUnion) ([]*kvpb.ResponseUnion, error) { return t.send(ctx, reqs) })
}

// CommitInBatch runs b and commits in the same round when b has no
// ranged reads (so a transaction whose writes are all on one range
// commits in one phase); otherwise it runs b, then commits.
func (t *Txn) CommitInBatch(ctx context.Context, b *Batch) error {
	for _, o := range b.ops {
		if o.kind == opScan || o.kind == opReverseScan || o.kind == opDelRange {
			if err := t.Run(ctx, b); err != nil {
				return err
			}
			return t.Commit(ctx)
		}
	}
	b.add(opEndTxn, kvpb.NewEndTxn(nil, true, nil), 0)
	err := t.Run(ctx, b)
	b.ops = b.ops[:len(b.ops)-1]
	if len(b.Results) > len(b.ops) {
		b.Results = b.Results[:len(b.ops)]
	}
	t.finishCommit(err)
	return err
}

// Get reads key.
func (t *Txn) Get(ctx context.Context, key []byte) (value []byte, found bool, err error) {
	b := t.NewBatch()
	b.Get(key)
	if err := t.Run(ctx, b); err != nil {
		return nil, false, err
	}
	return getResult(b)
}

// GetForUpdate reads key and locks it for the transaction (see
// Batch.GetForUpdate).
func (t *Txn) GetForUpdate(ctx context.Context, key []byte, str kvpb.KeyLocking, wait kvpb.KeyWaitPolicy) (value []byte, found bool, err error) {
	b := t.NewBatch()
	b.GetForUpdate(key, str, wait)
	if err := t.Run(ctx, b); err != nil {
		return nil, false, err
	}
	return getResult(b)
}

// ScanForUpdate is Scan locking the keys it returns.
func (t *Txn) ScanForUpdate(ctx context.Context, start, end []byte, maxKeys int64, str kvpb.KeyLocking, wait kvpb.KeyWaitPolicy) ([]KeyValue, error) {
	b := t.NewBatch()
	b.ScanForUpdate(start, end, maxKeys, str, wait)
	if err := t.Run(ctx, b); err != nil {
		return nil, err
	}
	return b.Results[0].Rows, nil
}

// Scan reads [start, end) in ascending order, at most maxKeys (0: all).
func (t *Txn) Scan(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error) {
	b := t.NewBatch()
	b.Scan(start, end, maxKeys)
	if err := t.Run(ctx, b); err != nil {
		return nil, err
	}
	return b.Results[0].Rows, nil
}

// ReverseScan reads [start, end) in descending order.
func (t *Txn) ReverseScan(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error) {
	b := t.NewBatch()
	b.ReverseScan(start, end, maxKeys)
	if err := t.Run(ctx, b); err != nil {
		return nil, err
	}
	return b.Results[0].Rows, nil
}

// Put writes key=value.
func (t *Txn) Put(ctx context.Context, key, value []byte) error {
	b := t.NewBatch()
	b.Put(key, value)
	return t.Run(ctx, b)
}

// CPut writes key=value if the key's value is expected (nil: absent);
// otherwise *kvpb.ConditionFailedError (the transaction may go on).
func (t *Txn) CPut(ctx context.Context, key, value, expected []byte) error {
	b := t.NewBatch()
	b.CPut(key, value, expected)
	return t.Run(ctx, b)
}

// Del deletes keys.
func (t *Txn) Del(ctx context.Context, keys ...[]byte) error {
	if len(keys) == 0 {
		return nil
	}
	b := t.NewBatch()
	b.Del(keys...)
	return t.Run(ctx, b)
}

// DelRange deletes every key in [start, end).
func (t *Txn) DelRange(ctx context.Context, start, end []byte) error {
	b := t.NewBatch()
	b.DelRange(start, end)
	return t.Run(ctx, b)
}

// Inc adds delta to the integer at key and returns the new value.
func (t *Txn) Inc(ctx context.Context, key []byte, delta int64) (int64, error) {
	b := t.NewBatch()
	b.Inc(key, delta)
	if err := t.Run(ctx, b); err != nil {
		return 0, err
	}
	return b.Results[0].Int, nil
}

// Commit commits the transaction. A retryable error means it did not
// commit (and must run again); ErrAmbiguousResult means it may have.
// A manual transaction (NewTxn) is over once Commit returns, whatever the
// outcome: after a failure it is rolled back in the background (a
// rollback after an ambiguous commit fails harmlessly if the commit
// happened), so that a caller that drops it does not leave its record
// heartbeated and its intents blocking other transactions; a later
// Rollback is then a no-op.
func (t *Txn) Commit(ctx context.Context) error {
	t.checkEnded()
	err := classify(ctx, t.tc.Commit(ctx))
	if err != nil && kvpb.IsRetryable(err) {
		t.db.stats.retryable.Add(1)
	}
	t.finishCommit(err)
	return err
}

// finishCommit ends t after a commit attempt that returned err.
func (t *Txn) finishCommit(err error) {
	if err != nil && t.manual {
		t.tc.RollbackAsync()
		t.rolledBack = true
	}
	t.finish(err == nil)
}

// Rollback aborts the transaction and cleans up its writes.
func (t *Txn) Rollback(ctx context.Context) error {
	if t.rolledBack {
		return nil
	}
	err := classify(ctx, t.tc.Rollback(ctx))
	t.finish(false)
	return err
}

func (t *Txn) finish(committed bool) {
	if committed {
		t.db.stats.commits.Add(1)
		t.committed = true
	}
	t.done = true
	t.stopWatch()
}

// Txn runs fn in a transaction and commits it, running fn again (with
// backoff) as long as it fails with a retryable error, until ctx ends or
// TxnConfig.MaxRetries. fn must not commit or roll back itself, and must
// tolerate running more than once (its effects outside the transaction
// are its own business). A non-retryable error from fn or the commit
// rolls back and is returned.
func (db *DB) Txn(ctx context.Context, fn func(ctx context.Context, txn *Txn) error) error {
	t := &Txn{db: db, tc: db.txns.NewTxn("txn")}
	t.watch(ctx)
	defer func() { t.stopWatch() }()
	wait := time.Millisecond
	for attempt := 0; ; attempt++ {
		err := fn(ctx, t)
		if err == nil && t.committed {
			return nil // fn committed (CommitInBatch)
		}
		if err == nil {
			err = t.Commit(ctx)
			if err == nil {
				return nil
			}
		}
		if !kvpb.IsRetryable(err) || ctx.Err() != nil || attempt >= db.cfg.Txn.MaxRetries {
			// Even after an ambiguous commit a rollback is safe: it
			// fails if the commit happened.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), db.cfg.RequestTimeout)
			_ = t.tc.Rollback(rctx)
			cancel()
			if kvpb.IsRetryable(err) && attempt >= db.cfg.Txn.MaxRetries {
				return fmt.Errorf("kvclient: giving up after %d retries: %w", attempt, err)
			}
			return err
		}
		db.stats.retries.Add(1)
		t.done, t.committed = false, false
		if !t.tc.PrepareForRetry(err) {
			t.stopWatch()
			t.tc = t.tc.NewTxnAfterAbort()
			t.watch(ctx)
		}
		if attempt > 0 {
			d := wait/2 + rand.N(wait/2+1)
			wait = min(2*wait, db.cfg.Txn.RetryBackoffMax)
			tm := time.NewTimer(d)
			select {
			case <-tm.C:
			case <-ctx.Done():
				tm.Stop()
			}
		}
	}
}
