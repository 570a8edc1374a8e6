package session

import (
	"context"
	"encoding/binary"
	"sort"
	"sync"
	"time"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
)

// The session as a server process (sem.Backend): its process ID, the
// txid_current() of its transaction, pg_sleep, pg_cancel_backend /
// pg_terminate_backend of the sessions on this node, and advisory locks.
//
// Advisory locks. Lock k of database d is the key
// catalog.AdvisoryLockKey(d, k); a session holds it while a KV
// transaction of its own (a holder, one per key, apart from the
// session's SQL transaction) has an intent there. Another session's
// holder writing the key waits in the KV lock wait queue, on any node,
// until the first holder ends; a holder is heartbeated like every
// transaction with an intent, so when its node dies the record expires
// and the waiters push it aside. A session-level lock (pg_advisory_lock)
// counts its holds and ends its holder when the count returns to zero or
// the session closes; a transaction-level one (pg_advisory_xact_lock)
// ends with the session's transaction (commit or rollback). A session
// taking a lock it already holds, at either level, only counts it. Only
// exclusive locks exist. Deadlocks between advisory locks of two
// sessions are not detected (the holders do not wait on each other);
// lock_timeout or statement_timeout ends such a wait.

// procTable is the engine's sessions by process ID (pgwire's).
type procTable struct {
	mu    sync.Mutex
	procs map[int32]*Session
}

func (p *procTable) add(pid int32, s *Session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.procs == nil {
		p.procs = map[int32]*Session{}
	}
	p.procs[pid] = s
}

func (p *procTable) remove(pid int32, s *Session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.procs[pid] == s {
		delete(p.procs, pid)
	}
}

func (p *procTable) get(pid int32) *Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.procs[pid]
}

// backendState is a session's part of sem.Backend.
type backendState struct {
	s         *Session
	st        *stmtCtx // the statement running now
	pid       int32
	terminate func()
	txid      int64 // of the open transaction (0: none yet)
	locks     map[advKey]*advHold
	act       activity
}

type advKey struct {
	db   catalog.ID
	pair bool
	k    int64
}

// advHold is one key's holder transaction and how often the session
// holds the lock at each level.
type advHold struct {
	txn           kvtxn.Txn
	session, xact int
}

var _ sem.Backend = (*backendState)(nil)

// SetBackend implements conn.BackendKeyed.
func (s *Session) SetBackend(pid int32, terminate func()) {
	s.bk.pid, s.bk.terminate = pid, terminate
	now := time.Now()
	s.bk.act.mu.Lock()
	s.bk.act.backendStart, s.bk.act.stateChange, s.bk.act.state = now, now, "idle"
	s.bk.act.appName = s.vars["application_name"]
	s.bk.act.mu.Unlock()
	s.eng.procs.add(pid, s)
}

// backend is the sem.Backend of the statement st.
func (s *Session) backend(st *stmtCtx) sem.Backend {
	s.bk.s, s.bk.st = s, st
	return &s.bk
}

func (b *backendState) ctx() context.Context {
	if b.st != nil && b.st.ctx != nil {
		return b.st.ctx
	}
	return context.Background()
}

// PID implements sem.Backend.
func (b *backendState) PID() int32 { return b.pid }

// TxnID implements sem.Backend: numbers come from a cluster-wide counter,
// one per transaction that asks.
func (b *backendState) TxnID() (int64, error) {
	if b.txid == 0 {
		id, err := b.s.eng.db.Inc(b.ctx(), catalog.TxidKey(), 1)
		if err != nil {
			return 0, err
		}
		b.txid = id
	}
	return b.txid, nil
}

// Sleep implements sem.Backend.
func (b *backendState) Sleep(d time.Duration) error {
	ctx := b.ctx()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return canceled(ctx)
	}
}

// Signal implements sem.Backend.
func (b *backendState) Signal(pid int32, terminate bool) (bool, error) {
	o := b.s.eng.procs.get(pid)
	if o == nil {
		return false, nil
	}
	if terminate {
		if o.bk.terminate != nil {
			o.bk.terminate()
		}
		return true, nil
	}
	o.Cancel()
	return true, nil
}

func (b *backendState) key(k sem.AdvisoryKey) (advKey, error) {
	if b.st == nil || b.st.dbID == 0 {
		return advKey{}, pgerr.New(pgerr.FeatureNotSupported, "advisory locks are not available here")
	}
	return advKey{db: b.st.dbID, pair: k.Pair, k: k.K}, nil
}

// AdvisoryLock implements sem.Backend.
func (b *backendState) AdvisoryLock(k sem.AdvisoryKey, xact, try bool) (bool, error) {
	key, err := b.key(k)
	if err != nil {
		return false, err
	}
	h := b.locks[key]
	if h == nil {
		txn, ok, err := b.acquire(key, try)
		if err != nil || !ok {
			return false, err
		}
		h = &advHold{txn: txn}
		b.act.mu.Lock() // Sessions (pg_locks) reads the keys
		if b.locks == nil {
			b.locks = map[advKey]*advHold{}
		}
		b.locks[key] = h
		b.act.mu.Unlock()
	}
	if xact {
		h.xact++
	} else {
		h.session++
	}
	return true, nil
}

// acquire starts a holder for key and writes its intent: false when try
// and another session holds the lock.
func (b *backendState) acquire(key advKey, try bool) (kvtxn.Txn, bool, error) {
	ctx := b.ctx()
	kk := catalog.AdvisoryLockKey(key.db, key.pair, key.k)
	txn := b.s.eng.db.NewTxn(context.Background()) // outlives the statement
	fail := func(err error) (kvtxn.Txn, bool, error) {
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = txn.Rollback(rctx)
		if err == nil {
			return nil, false, nil
		}
		if ctx.Err() != nil {
			return nil, false, canceled(ctx)
		}
		return nil, false, wrapRetry(err)
	}
	if try {
		if lr, ok := txn.(kvtxn.LockingReader); ok {
			if _, _, err := lr.GetForUpdate(kvtxn.WithNoWait(ctx), kk); err != nil {
				if kvtxn.IsLockNotAvailable(err) {
					return fail(nil)
				}
				return fail(err)
			}
		}
	}
	val := binary.BigEndian.AppendUint32(nil, uint32(b.pid))
	if err := txn.Put(ctx, kk, val); err != nil {
		return fail(err)
	}
	return txn, true, nil
}

// AdvisoryUnlock implements sem.Backend.
func (b *backendState) AdvisoryUnlock(k sem.AdvisoryKey) (bool, error) {
	key, err := b.key(k)
	if err != nil {
		return false, err
	}
	h := b.locks[key]
	if h == nil || h.session == 0 {
		return false, nil
	}
	h.session--
	b.releaseIfFree(key, h)
	return true, nil
}

// AdvisoryUnlockAll implements sem.Backend.
func (b *backendState) AdvisoryUnlockAll() error {
	for key, h := range b.locks {
		h.session = 0
		b.releaseIfFree(key, h)
	}
	return nil
}

func (b *backendState) releaseIfFree(key advKey, h *advHold) {
	if h.session > 0 || h.xact > 0 {
		return
	}
	b.act.mu.Lock()
	delete(b.locks, key)
	b.act.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = h.txn.Rollback(ctx)
}

// endXact runs when the session's transaction ends: its
// transaction-level advisory locks go, and its txid.
func (b *backendState) endXact() {
	b.txid = 0
	for key, h := range b.locks {
		if h.xact > 0 {
			h.xact = 0
			b.releaseIfFree(key, h)
		}
	}
}

// closeBackend ends every advisory lock and leaves the process table.
func (b *backendState) closeBackend(s *Session) {
	for key, h := range b.locks {
		h.session, h.xact = 0, 0
		b.releaseIfFree(key, h)
	}
	if b.pid != 0 {
		s.eng.procs.remove(b.pid, s)
	}
	b.st = nil
}

// activity is what pg_stat_activity shows of a session (and, under mu,
// the keys of backendState.locks for pg_locks: the session writes them
// holding mu, Sessions reads them holding it), written on its
// goroutine at each statement's start and end and read by others.
type activity struct {
	mu                       sync.Mutex
	depth                    int // nested runs (EXECUTE)
	state, query, appName    string
	backendStart, queryStart time.Time
	xactStart, stateChange   time.Time
}

// stmtStart records that the session runs sql.
func (s *Session) stmtStart(sql string) {
	a := &s.bk.act
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.depth++
	if a.depth > 1 {
		return
	}
	a.state, a.query, a.queryStart, a.stateChange = "active", sql, now, now
	a.appName = s.vars["application_name"]
	if s.inBlock && !s.txnStart.IsZero() {
		a.xactStart = s.txnStart
	} else {
		a.xactStart = now
	}
}

// stmtEnd records that the session waits for the client.
func (s *Session) stmtEnd() {
	a := &s.bk.act
	a.mu.Lock()
	defer a.mu.Unlock()
	a.depth--
	if a.depth > 0 {
		return
	}
	a.state, a.stateChange = "idle", time.Now()
	switch {
	case s.failed:
		a.state = "idle in transaction (aborted)"
	case s.inBlock:
		a.state = "idle in transaction"
	default:
		a.xactStart = time.Time{}
	}
}

// Sessions implements sem.Backend.
func (b *backendState) Sessions() []sem.SessionInfo {
	b.s.eng.procs.mu.Lock()
	sess := make([]*Session, 0, len(b.s.eng.procs.procs))
	for _, o := range b.s.eng.procs.procs {
		sess = append(sess, o)
	}
	b.s.eng.procs.mu.Unlock()
	out := make([]sem.SessionInfo, 0, len(sess))
	for _, o := range sess {
		a := &o.bk.act
		a.mu.Lock()
		out = append(out, sem.SessionInfo{PID: o.bk.pid, Database: o.database, User: o.user, ApplicationName: a.appName,
			State: a.state, Query: a.query, BackendStart: a.backendStart, QueryStart: a.queryStart,
			XactStart: a.xactStart, StateChange: a.stateChange})
		for k := range o.bk.locks {
			out[len(out)-1].Locks = append(out[len(out)-1].Locks, sem.AdvisoryLockInfo{DB: uint32(k.db), Key: sem.AdvisoryKey{Pair: k.pair, K: k.k}})
		}
		a.mu.Unlock()
		ls := out[len(out)-1].Locks
		sort.Slice(ls, func(i, j int) bool {
			if ls[i].DB != ls[j].DB {
				return ls[i].DB < ls[j].DB
			}
			if ls[i].Key.Pair != ls[j].Key.Pair {
				return !ls[i].Key.Pair
			}
			return ls[i].Key.K < ls[j].Key.K
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}
