package concurrency

import (
	"context"
	"fmt"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// Pusher is how a waiter gets a lock holder out of its way.
type Pusher interface {
	// PushTxn pushes pushee (see kvpb.PushTxnRequest); it may block until
	// the push can succeed. It returns the pushee's record after the push.
	PushTxn(ctx context.Context, pusher *kvpb.Transaction, pushee *kvpb.TxnMeta, typ kvpb.PushTxnType, pushTo hlc.Timestamp) (*kvpb.Transaction, error)
	// ResolveIntent applies txn's state to its intent on key.
	ResolveIntent(ctx context.Context, key []byte, txn *kvpb.Transaction) error
	// QueryTxn returns txn's record without waiting.
	QueryTxn(ctx context.Context, txn *kvpb.TxnMeta) (*kvpb.QueryTxnResponse, error)
}

// Manager is a range's concurrency manager.
type Manager struct {
	latches *spanlatch.Manager
	locks   *LockTable
	pusher  Pusher
	// TxnWait is the range's txn wait queue (pushes of txns anchored here).
	TxnWait *Queue
}

// Config configures a Manager.
type Config struct {
	// Latches is the range's latch manager (shared with the callers that
	// latch directly, e.g. lease transfers).
	Latches *spanlatch.Manager
	Pusher  Pusher
	// TxnWait configures the txn wait queue.
	TxnWait QueueConfig
}

// NewManager returns a manager.
func NewManager(cfg Config) *Manager {
	if cfg.Latches == nil {
		cfg.Latches = spanlatch.New()
	}
	return &Manager{latches: cfg.Latches, locks: NewLockTable(), pusher: cfg.Pusher, TxnWait: NewQueue(cfg.TxnWait)}
}

// Locks returns the lock table.
func (m *Manager) Locks() *LockTable { return m.locks }

// Guard is a sequenced request: it holds latches.
type Guard struct {
	req   *Request
	latch *spanlatch.Guard
}

// Latch returns the latch guard (to hand over to a proposal).
func (g *Guard) Latch() *spanlatch.Guard { return g.latch }

// maxConflictRounds bounds the wait-push-resolve rounds of one request
// (each round removes a lock or ends in an error).
const maxConflictRounds = 10000

// SequenceReq acquires req's latches once no known lock of another txn
// blocks it: for each blocking lock it releases the latches, pushes the
// holder, resolves the intent, and tries again. With req.NoWait it fails
// with *kvpb.LockNotAvailableError at the first blocking lock instead.
func (m *Manager) SequenceReq(ctx context.Context, req *Request) (*Guard, error) {
	for i := 0; i < maxConflictRounds; i++ {
		lg, err := m.latches.Acquire(ctx, req.Spans)
		if err != nil {
			return nil, err
		}
		if req.SkipLocks {
			return &Guard{req: req, latch: lg}, nil
		}
		l := m.locks.conflict(req)
		if l == nil {
			return &Guard{req: req, latch: lg}, nil
		}
		m.latches.Release(lg)
		if req.NoWait {
			holder := m.locks.holderOf(l)
			done, err := m.clearFinished(ctx, l, holder)
			m.locks.leave(l)
			if err != nil {
				return nil, err
			}
			if done {
				continue
			}
			return nil, &kvpb.LockNotAvailableError{Key: append([]byte(nil), l.key...), Holder: holder}
		}
		err = m.handleLock(ctx, req, l)
		m.locks.leave(l)
		if err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("concurrency: request still blocked after %d lock rounds", maxConflictRounds)
}

// clearFinished is NOWAIT's look at a blocking lock: when its holder has
// already committed or aborted (its intents not resolved yet), the lock is
// resolved and forgotten here and done is true, so the request tries
// again instead of failing; a live holder leaves the lock alone. It never
// waits: QueryTxn does not queue.
func (m *Manager) clearFinished(ctx context.Context, l *lock, holder *kvpb.TxnMeta) (done bool, err error) {
	resp, err := m.pusher.QueryTxn(ctx, holder)
	if err != nil {
		return false, err
	}
	rec := resp.GetQueriedTxn()
	if rec == nil || !rec.IsFinalized() {
		return false, nil
	}
	if err := m.pusher.ResolveIntent(ctx, l.key, rec); err != nil {
		return false, err
	}
	m.locks.Remove(&kvpb.Span{Key: l.key}, holder.GetId())
	return true, nil
}

// FinishReq releases the latches of g (unless they were handed to a
// proposal, which releases them itself).
func (m *Manager) FinishReq(g *Guard) {
	if g != nil {
		m.latches.Release(g.latch)
	}
}

// HandleWriteIntentError is called when g's evaluation met intents: it
// records them, releases g's latches and resolves the conflicts (push,
// resolve); the caller then sequences the request again.
func (m *Manager) HandleWriteIntentError(ctx context.Context, g *Guard, wie *kvpb.WriteIntentError) error {
	req := g.req
	m.latches.Release(g.latch)
	for _, in := range wie.GetIntents() {
		if req.Txn != nil && kvpb.SameTxn(in.GetTxn().GetId(), req.Txn.ID()) {
			return fmt.Errorf("concurrency: request conflicts with its own txn's intent on %q", in.GetKey())
		}
		m.locks.Add(in)
	}
	return nil
}

// OnLocksResolved drops resolved locks from the table (after a resolve
// applied on this range).
func (m *Manager) OnLocksResolved(span *kvpb.Span, txnID []byte) { m.locks.Remove(span, txnID) }

// OnIntentsPushed forgets pushed intents of a PENDING txn (its
// unreplicated locks stay).
func (m *Manager) OnIntentsPushed(span *kvpb.Span, txnID []byte) { m.locks.RemoveIntents(span, txnID) }

// AcquireLocks records txn's unreplicated locks on keys, shared or
// exclusive (called by a locking read, under its latches, after it
// evaluated).
func (m *Manager) AcquireLocks(txn *kvpb.Transaction, keys [][]byte, shared bool) {
	for _, k := range keys {
		if shared {
			m.locks.AcquireShared(k, txn.GetMeta())
		} else {
			m.locks.AcquireUnreplicated(k, txn.GetMeta())
		}
	}
}

// OnTxnUpdated wakes the pushes waiting on txn (its record changed).
func (m *Manager) OnTxnUpdated(txn *kvpb.Transaction) { m.TxnWait.OnTxnUpdated(txn) }

// handleLock waits for l's holder by pushing it, then resolves the intent
// and forgets the lock.
func (m *Manager) handleLock(ctx context.Context, req *Request, l *lock) error {
	// A writer needs the lock gone. A reader pushes the holder above its
	// uncertainty limit (an intent pushed only above the read timestamp
	// would stay uncertain); the range commit-waits a txn committed in the
	// future, so nobody can miss its values afterwards.
	typ := kvpb.PushTxnType_PUSH_TIMESTAMP
	var pushTo hlc.Timestamp
	if writesKey(req, l.key) {
		typ = kvpb.PushTxnType_PUSH_ABORT
	} else {
		pushTo = req.readLimit().Next()
	}
	// The lock may be resolved here while the push waits (the holder
	// finished): then stop pushing and try again at once.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-l.released:
			cancel()
		case <-pctx.Done():
		}
	}()
	holder := m.locks.holderOf(l)
	pushee, err := m.pusher.PushTxn(pctx, req.Txn, holder, typ, pushTo)
	if err != nil {
		select {
		case <-l.released:
			if ctx.Err() == nil {
				return nil
			}
		default:
		}
		return err
	}
	if err := m.pusher.ResolveIntent(ctx, l.key, pushee); err != nil {
		return err
	}
	if pushee.GetStatus() == kvpb.TransactionStatus_PENDING {
		m.locks.RemoveIntents(&kvpb.Span{Key: l.key}, holder.GetId())
	} else {
		m.locks.Remove(&kvpb.Span{Key: l.key}, holder.GetId())
	}
	return nil
}

func writesKey(req *Request, key []byte) bool {
	for _, s := range req.Spans {
		if s.Access == spanlatch.Write && inSpan(key, s.Key, s.EndKey) {
			return true
		}
	}
	return false
}
