package concurrency

import (
	"bytes"
	"sort"
	"sync"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// lock is a known intent or an unreplicated lock (a locking read's, kept
// only here): key held by holder.
type lock struct {
	key    []byte
	holder *kvpb.TxnMeta
	// unreplicated: holder took an unreplicated lock on key (a locking
	// read). intent: an intent of holder was seen on key. An entry with
	// only the unreplicated lock blocks writers and locking reads, not
	// plain reads.
	unreplicated, intent bool
	// shared: an entry of LockTable.shared, holder's shared unreplicated
	// lock (FOR SHARE): it blocks writers and exclusive locking reads,
	// not shared ones.
	shared bool
	// waiters counts the requests queued on the lock (for tests and
	// metrics).
	waiters int
	// released is closed when the lock is removed.
	released chan struct{}
}

// LockTable remembers the intents a range has seen and holds its
// unreplicated locks. Safe for concurrent use.
type LockTable struct {
	mu sync.Mutex
	// locks are the exclusive entries: one txn's intent and/or exclusive
	// unreplicated lock per key.
	locks map[string]*lock
	// shared are the shared unreplicated locks, one entry per holder (a
	// key may have several holders, and an exclusive entry of one of
	// them besides).
	shared map[string][]*lock
}

// NewLockTable returns an empty lock table.
func NewLockTable() *LockTable {
	return &LockTable{locks: map[string]*lock{}, shared: map[string][]*lock{}}
}

// Add records an intent (replacing an entry of another txn on the key).
func (t *LockTable) Add(in *kvpb.Intent) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := string(in.GetKey())
	if l, ok := t.locks[k]; ok {
		if kvpb.SameTxn(l.holder.GetId(), in.GetTxn().GetId()) {
			l.holder = in.GetTxn()
			l.intent = true
			return
		}
		close(l.released)
	}
	t.locks[k] = &lock{key: append([]byte(nil), in.GetKey()...), holder: in.GetTxn(), intent: true, released: make(chan struct{})}
}

// AcquireUnreplicated records txn's unreplicated lock on key (a locking
// read evaluated under its latches found no conflicting lock). An entry
// of another txn cannot be there (the request would have waited on it);
// should one be, it is replaced as by Add.
func (t *LockTable) AcquireUnreplicated(key []byte, txn *kvpb.TxnMeta) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := string(key)
	// An exclusive lock replaces the txn's shared one (waiters wake and
	// meet the exclusive entry).
	t.removeSharedLocked(k, txn.GetId())
	if l, ok := t.locks[k]; ok {
		if kvpb.SameTxn(l.holder.GetId(), txn.GetId()) {
			l.unreplicated = true
			return
		}
		close(l.released)
	}
	t.locks[k] = &lock{key: append([]byte(nil), key...), holder: txn, unreplicated: true, released: make(chan struct{})}
}

// AcquireShared records txn's shared unreplicated lock on key (a FOR
// SHARE locking read evaluated under its latches found no exclusive lock
// or intent of another txn there; other txns' shared locks may be). A txn
// that holds the key exclusively (lock or intent) keeps that only.
func (t *LockTable) AcquireShared(key []byte, txn *kvpb.TxnMeta) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := string(key)
	if l, ok := t.locks[k]; ok {
		if kvpb.SameTxn(l.holder.GetId(), txn.GetId()) {
			return
		}
		// Another txn's entry cannot block us here (we would have waited
		// on it): a stale one goes, as in AcquireUnreplicated.
		close(l.released)
		delete(t.locks, k)
	}
	for _, l := range t.shared[k] {
		if kvpb.SameTxn(l.holder.GetId(), txn.GetId()) {
			return
		}
	}
	t.shared[k] = append(t.shared[k], &lock{key: append([]byte(nil), key...), holder: txn, unreplicated: true, shared: true, released: make(chan struct{})})
}

// removeSharedLocked drops the shared locks on k of txn id (any txn if
// id is nil), waking their waiters.
func (t *LockTable) removeSharedLocked(k string, id []byte) {
	ls := t.shared[k]
	if len(ls) == 0 {
		return
	}
	kept := ls[:0]
	for _, l := range ls {
		if id == nil || kvpb.SameTxn(l.holder.GetId(), id) {
			close(l.released)
			continue
		}
		kept = append(kept, l)
	}
	if len(kept) == 0 {
		delete(t.shared, k)
	} else {
		t.shared[k] = kept
	}
}

// Shared reports whether key holds a shared lock of txn id.
func (t *LockTable) Shared(key, id []byte) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.shared[string(key)] {
		if kvpb.SameTxn(l.holder.GetId(), id) {
			return true
		}
	}
	return false
}

// RemoveIntents forgets the intents of txn id in span after they were
// pushed (the txn is still PENDING): entries that also hold an
// unreplicated lock stay, as that lock only; the others are removed.
func (t *LockTable) RemoveIntents(span *kvpb.Span, id []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, l := range t.locks {
		if !inSpan([]byte(k), span.GetKey(), span.GetEndKey()) || !kvpb.SameTxn(l.holder.GetId(), id) {
			continue
		}
		if l.unreplicated {
			l.intent = false
			continue
		}
		close(l.released)
		delete(t.locks, k)
	}
}

// Unreplicated reports whether key holds an exclusive unreplicated lock
// of txn id.
func (t *LockTable) Unreplicated(key, id []byte) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.locks[string(key)]
	return ok && l.unreplicated && kvpb.SameTxn(l.holder.GetId(), id)
}

// UnreplicatedByOther reports whether key holds an unreplicated lock of a
// txn other than id that conflicts with a locking read of id (SKIP
// LOCKED): an exclusive one, or, unless the read is shared, a shared one.
func (t *LockTable) UnreplicatedByOther(key, id []byte, shared bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := string(key)
	if l, ok := t.locks[k]; ok && l.unreplicated && !kvpb.SameTxn(l.holder.GetId(), id) {
		return true
	}
	if shared {
		return false
	}
	for _, l := range t.shared[k] {
		if !kvpb.SameTxn(l.holder.GetId(), id) {
			return true
		}
	}
	return false
}

// Remove drops the locks of txn id (any txn if id is nil) in span
// (a point when EndKey is empty), waking their waiters.
func (t *LockTable) Remove(span *kvpb.Span, id []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, l := range t.locks {
		if !inSpan([]byte(k), span.GetKey(), span.GetEndKey()) {
			continue
		}
		if id != nil && !kvpb.SameTxn(l.holder.GetId(), id) {
			continue
		}
		close(l.released)
		delete(t.locks, k)
	}
	for k := range t.shared {
		if inSpan([]byte(k), span.GetKey(), span.GetEndKey()) {
			t.removeSharedLocked(k, id)
		}
	}
}

// Clear drops every lock, waking their waiters (the lease moved away:
// another replica's table is authoritative, and the waiters retry there).
func (t *LockTable) Clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, l := range t.locks {
		close(l.released)
		delete(t.locks, k)
	}
	for k := range t.shared {
		t.removeSharedLocked(k, nil)
	}
}

// Len returns the number of locks (each shared holder counts).
func (t *LockTable) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.locks)
	for _, ls := range t.shared {
		n += len(ls)
	}
	return n
}

// Waiters returns the number of requests queued on key's locks.
func (t *LockTable) Waiters(key []byte) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	if l, ok := t.locks[string(key)]; ok {
		n += l.waiters
	}
	for _, l := range t.shared[string(key)] {
		n += l.waiters
	}
	return n
}

// conflict returns the first lock (in key order) that blocks req, and
// queues req on it (the caller must call leave).
func (t *LockTable) conflict(req *Request) *lock {
	t.mu.Lock()
	defer t.mu.Unlock()
	var found []*lock
	for _, l := range t.locks {
		if blocks(l, req) {
			found = append(found, l)
		}
	}
	for _, ls := range t.shared {
		for _, l := range ls {
			if blocks(l, req) {
				found = append(found, l)
			}
		}
	}
	if len(found) == 0 {
		return nil
	}
	// The exclusive entry of a key first, then its shared holders in the
	// order they took the lock (a writer waits for them one by one).
	sort.SliceStable(found, func(i, j int) bool {
		if c := bytes.Compare(found[i].key, found[j].key); c != 0 {
			return c < 0
		}
		return !found[i].shared && found[j].shared
	})
	found[0].waiters++
	return found[0]
}

// holderOf returns l's current holder (Add may replace it while a waiter
// pushes: read it under the table's mutex).
func (t *LockTable) holderOf(l *lock) *kvpb.TxnMeta {
	t.mu.Lock()
	defer t.mu.Unlock()
	return l.holder
}

func (t *LockTable) leave(l *lock) {
	t.mu.Lock()
	l.waiters--
	t.mu.Unlock()
}

// blocks reports whether l conflicts with req: another txn's lock in one
// of req's spans, at or below what req reads (writers conflict with any).
func blocks(l *lock, req *Request) bool {
	if req.Txn != nil && kvpb.SameTxn(l.holder.GetId(), req.Txn.ID()) {
		return false
	}
	for i, s := range req.Spans {
		if !inSpan(l.key, s.Key, s.EndKey) {
			continue
		}
		if s.Access == spanlatch.Write {
			if l.shared && i < len(req.Shared) && req.Shared[i] {
				// Shared locks do not conflict with each other.
				continue
			}
			return true
		}
		if l.shared {
			continue
		}
		if !l.intent {
			// Only an unreplicated lock: plain reads pass.
			continue
		}
		if l.holder.GetWriteTimestamp().HLC().LessEq(req.readLimit()) {
			return true
		}
	}
	return false
}

func inSpan(k, start, end []byte) bool {
	if len(end) == 0 {
		return bytes.Equal(k, start)
	}
	return bytes.Compare(k, start) >= 0 && bytes.Compare(k, end) < 0
}

// Request is what the manager sequences.
type Request struct {
	// Txn is the request's transaction, nil if non-transactional.
	Txn *kvpb.Transaction
	// ReadTimestamp is the timestamp reads happen at; ReadLimit the top of
	// their uncertainty interval (>= ReadTimestamp).
	ReadTimestamp, ReadLimit hlc.Timestamp
	// Spans are the latches to acquire (and the spans checked against
	// the lock table).
	Spans []spanlatch.Span
	// SkipLocks: only latch (txn record commands, intent resolution).
	SkipLocks bool
	// NoWait: fail with *kvpb.LockNotAvailableError instead of waiting
	// on (pushing) another txn's lock (SELECT ... NOWAIT).
	NoWait bool
	// Shared[i] marks Spans[i] (a write latch) as a shared locking
	// read's (FOR SHARE): it waits for exclusive locks and intents, not
	// for other txns' shared locks. Nil: none is.
	Shared []bool
}

func (r *Request) readLimit() hlc.Timestamp { return r.ReadLimit.Forward(r.ReadTimestamp) }

// TotalWaiters returns the number of requests queued on any lock.
func (t *LockTable) TotalWaiters() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, l := range t.locks {
		n += l.waiters
	}
	for _, ls := range t.shared {
		for _, l := range ls {
			n += l.waiters
		}
	}
	return n
}

// MoveUnreplicated hands the unreplicated locks in [start, end) to dst
// (the right-hand range of a split) and forgets every entry there,
// waking its waiters (they retry and are redirected to the new range).
func (t *LockTable) MoveUnreplicated(dst *LockTable, start, end []byte) {
	t.mu.Lock()
	var moved []HeldLock
	for k, l := range t.locks {
		if !inSpan([]byte(k), start, end) {
			continue
		}
		if l.unreplicated {
			moved = append(moved, HeldLock{Key: l.key, Txn: l.holder})
		}
		close(l.released)
		delete(t.locks, k)
	}
	for k, ls := range t.shared {
		if !inSpan([]byte(k), start, end) {
			continue
		}
		for _, l := range ls {
			moved = append(moved, HeldLock{Key: l.key, Txn: l.holder, Shared: true})
		}
		t.removeSharedLocked(k, nil)
	}
	t.mu.Unlock()
	dst.Install(moved)
}

// HeldLock is an unreplicated lock: Key held by Txn, exclusively or
// (Shared) shared.
type HeldLock struct {
	Key    []byte
	Txn    *kvpb.TxnMeta
	Shared bool
}

// UnreplicatedLocks returns the table's unreplicated locks in key order
// (the outgoing leaseholder's, carried by a lease transfer; the caller
// excludes new locking reads meanwhile, e.g. with a range-wide latch).
func (t *LockTable) UnreplicatedLocks() []HeldLock {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []HeldLock
	for _, l := range t.locks {
		if l.unreplicated {
			out = append(out, HeldLock{Key: append([]byte(nil), l.key...), Txn: l.holder})
		}
	}
	for _, ls := range t.shared {
		for _, l := range ls {
			out = append(out, HeldLock{Key: append([]byte(nil), l.key...), Txn: l.holder, Shared: true})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return bytes.Compare(out[i].Key, out[j].Key) < 0 })
	return out
}

// Install records locks (a lease transfer's, on the incoming
// leaseholder, before it serves) as AcquireUnreplicated does.
func (t *LockTable) Install(locks []HeldLock) {
	for _, l := range locks {
		if l.Shared {
			t.AcquireShared(l.Key, l.Txn)
		} else {
			t.AcquireUnreplicated(l.Key, l.Txn)
		}
	}
}
