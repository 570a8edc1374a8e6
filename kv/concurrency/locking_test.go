package concurrency

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestUnreplicatedLocks: a locking read's lock blocks writers and locking
// reads (write latches) of other txns, not plain reads; a push of the
// holder's intent (PENDING) leaves the lock; resolving the finished txn
// removes it and wakes the waiters.
func TestUnreplicatedLocks(t *testing.T) {
	lt := NewLockTable()
	h := meta(1, 1, 10)
	lt.AcquireUnreplicated([]byte("k"), h)
	require.True(t, lt.Unreplicated([]byte("k"), h.GetId()))
	require.False(t, lt.Unreplicated([]byte("k"), meta(2, 1, 1).GetId()))

	read := &Request{ReadTimestamp: ts(50), Spans: []spanlatch.Span{{Key: []byte("a"), EndKey: []byte("z"), Access: spanlatch.Read}}}
	write := &Request{Spans: []spanlatch.Span{{Key: []byte("k"), Access: spanlatch.Write}}}
	own := &Request{Txn: &kvpb.Transaction{Meta: h}, Spans: write.Spans}
	require.Nil(t, lt.conflict(read), "a plain read passes an unreplicated lock")
	l := lt.conflict(write)
	require.NotNil(t, l, "a writer (or locking read) waits on it")
	lt.leave(l)
	require.Nil(t, lt.conflict(own))

	// The holder also wrote an intent there; a reader meets it, pushes it,
	// and the pending resolve forgets the intent but keeps the lock.
	lt.Add(&kvpb.Intent{Key: []byte("k"), Txn: h})
	l = lt.conflict(read)
	require.NotNil(t, l, "the holder's intent below the read blocks it")
	lt.leave(l)
	lt.RemoveIntents(&kvpb.Span{Key: []byte("k")}, h.GetId())
	require.Equal(t, 1, lt.Len())
	require.Nil(t, lt.conflict(read))
	l2 := lt.conflict(write)
	require.NotNil(t, l2)
	lt.leave(l2)
	select {
	case <-l.released:
		t.Fatal("a push released the lock")
	default:
	}

	// An intent-only entry goes on a pending resolve.
	lt.Add(&kvpb.Intent{Key: []byte("m"), Txn: h})
	lt.RemoveIntents(&kvpb.Span{Key: []byte("m")}, h.GetId())
	require.Equal(t, 1, lt.Len())

	// The txn finished: its resolve drops the lock and wakes waiters.
	lt.Remove(&kvpb.Span{Key: []byte("a"), EndKey: []byte("z")}, h.GetId())
	require.Equal(t, 0, lt.Len())
	select {
	case <-l.released:
	default:
		t.Fatal("waiters not woken")
	}
}

// TestMoveUnreplicated: a split hands the right half's unreplicated locks
// to the new range's table and drops everything there from the left's.
func TestMoveUnreplicated(t *testing.T) {
	src, dst := NewLockTable(), NewLockTable()
	h := meta(1, 1, 10)
	src.AcquireUnreplicated([]byte("b"), h)
	src.AcquireUnreplicated([]byte("m"), h)
	src.Add(&kvpb.Intent{Key: []byte("n"), Txn: meta(2, 1, 10)})
	src.MoveUnreplicated(dst, []byte("k"), []byte("z"))
	require.Equal(t, 1, src.Len())
	require.True(t, src.Unreplicated([]byte("b"), h.GetId()))
	require.Equal(t, 1, dst.Len())
	require.True(t, dst.Unreplicated([]byte("m"), h.GetId()))
}

// TestSequenceNoWait: a NOWAIT request (a locking read's write latch)
// meeting another txn's unreplicated lock or intent fails at once with
// LockNotAvailableError naming the key and holder, without pushing or
// queuing; on a free key, or a key its own txn holds, it sequences.
func TestSequenceNoWait(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := &fakePusher{}
	m := NewManager(Config{Pusher: p})
	h := meta(1, 1, 10)
	m.Locks().AcquireUnreplicated([]byte("k"), h)
	m.Locks().Add(&kvpb.Intent{Key: []byte("m"), Txn: h})
	other := &kvpb.Transaction{Meta: meta(2, 1, 20)}
	req := func(txn *kvpb.Transaction, key string) *Request {
		return &Request{Txn: txn, ReadTimestamp: ts(20), NoWait: true,
			Spans: []spanlatch.Span{{Key: []byte(key), Access: spanlatch.Write}}}
	}
	for _, k := range []string{"k", "m"} {
		_, err := m.SequenceReq(ctx, req(other, k))
		var lna *kvpb.LockNotAvailableError
		require.ErrorAs(t, err, &lna, k)
		require.Equal(t, []byte(k), lna.GetKey())
		require.True(t, kvpb.SameTxn(h.GetId(), lna.GetHolder().GetId()))
		require.Equal(t, 0, m.Locks().Waiters([]byte(k)))
	}
	require.Empty(t, p.pushes, "a NOWAIT request pushed the holder")
	require.Equal(t, 2, m.Locks().Len())

	g, err := m.SequenceReq(ctx, req(other, "free"))
	require.NoError(t, err)
	m.FinishReq(g)
	g, err = m.SequenceReq(ctx, req(&kvpb.Transaction{Meta: h}, "k"))
	require.NoError(t, err, "the holder's own NOWAIT read")
	m.FinishReq(g)

	// Without NoWait the same request waits (pushes) as before.
	r := req(other, "k")
	r.NoWait = false
	g, err = m.SequenceReq(ctx, r)
	require.NoError(t, err)
	m.FinishReq(g)
	require.Equal(t, []kvpb.PushTxnType{kvpb.PushTxnType_PUSH_ABORT}, p.pushes)
}

// TestSharedLocks: several txns hold a shared lock on one key at once;
// shared locking reads pass them, plain reads too, while writers and
// exclusive locking reads are blocked by each holder in turn; a shared
// locking read waits for an exclusive lock or an intent. A txn's
// exclusive lock replaces its shared one; SKIP LOCKED sees shared locks
// only from an exclusive read; splits and lease transfers carry them.
func TestSharedLocks(t *testing.T) {
	lt := NewLockTable()
	a, b, c := meta(1, 1, 10), meta(2, 1, 10), meta(3, 1, 10)
	k := []byte("k")
	lt.AcquireShared(k, a)
	lt.AcquireShared(k, b)
	lt.AcquireShared(k, b) // again: one entry
	require.Equal(t, 2, lt.Len())
	require.True(t, lt.Shared(k, a.GetId()))
	require.True(t, lt.Shared(k, b.GetId()))
	require.False(t, lt.Unreplicated(k, a.GetId()), "shared is not exclusive")

	span := func(key []byte) []spanlatch.Span { return []spanlatch.Span{{Key: key, Access: spanlatch.Write}} }
	shared := &Request{Txn: &kvpb.Transaction{Meta: c}, Spans: span(k), Shared: []bool{true}}
	excl := &Request{Txn: &kvpb.Transaction{Meta: c}, Spans: span(k)}
	read := &Request{ReadTimestamp: ts(50), Spans: []spanlatch.Span{{Key: k, Access: spanlatch.Read}}}
	require.Nil(t, lt.conflict(shared), "shared locks do not conflict with each other")
	require.Nil(t, lt.conflict(read))
	l := lt.conflict(excl)
	require.NotNil(t, l)
	require.True(t, kvpb.SameTxn(a.GetId(), l.holder.GetId()), "the first holder first")
	require.Equal(t, 1, lt.Waiters(k))
	lt.leave(l)
	lt.Remove(&kvpb.Span{Key: k}, a.GetId())
	select {
	case <-l.released:
	default:
		t.Fatal("a's release did not wake its waiter")
	}
	l = lt.conflict(excl)
	require.NotNil(t, l)
	require.True(t, kvpb.SameTxn(b.GetId(), l.holder.GetId()), "then the next")
	lt.leave(l)
	lt.Remove(&kvpb.Span{Key: k}, b.GetId())
	require.Nil(t, lt.conflict(excl))
	require.Equal(t, 0, lt.Len())

	// A shared locking read waits for an exclusive lock or an intent.
	lt.AcquireUnreplicated([]byte("m"), a)
	lt.Add(&kvpb.Intent{Key: []byte("n"), Txn: a})
	for _, key := range []string{"m", "n"} {
		r := &Request{Txn: &kvpb.Transaction{Meta: c}, Spans: span([]byte(key)), Shared: []bool{true}}
		l := lt.conflict(r)
		require.NotNil(t, l, key)
		lt.leave(l)
	}
	// The holder's own shared read passes; its exclusive lock stays.
	lt.AcquireShared([]byte("m"), a)
	require.False(t, lt.Shared([]byte("m"), a.GetId()))
	require.True(t, lt.Unreplicated([]byte("m"), a.GetId()))

	// Upgrade: an exclusive lock replaces the txn's shared one.
	lt.AcquireShared([]byte("u"), b)
	lt.AcquireUnreplicated([]byte("u"), b)
	require.False(t, lt.Shared([]byte("u"), b.GetId()))
	require.True(t, lt.Unreplicated([]byte("u"), b.GetId()))

	// SKIP LOCKED: an exclusive read skips others' shared locks, a shared
	// one does not.
	lt.AcquireShared([]byte("s"), a)
	require.True(t, lt.UnreplicatedByOther([]byte("s"), c.GetId(), false))
	require.False(t, lt.UnreplicatedByOther([]byte("s"), c.GetId(), true))
	require.False(t, lt.UnreplicatedByOther([]byte("s"), a.GetId(), false))
	require.True(t, lt.UnreplicatedByOther([]byte("m"), c.GetId(), true))

	// Carried by a lease transfer and a split.
	lt.AcquireShared([]byte("s"), b)
	held := lt.UnreplicatedLocks()
	require.Len(t, held, 4) // m (a), s (a, b), u (b)
	dst := NewLockTable()
	dst.Install(held)
	require.True(t, dst.Shared([]byte("s"), a.GetId()))
	require.True(t, dst.Shared([]byte("s"), b.GetId()))
	require.True(t, dst.Unreplicated([]byte("m"), a.GetId()))
	right := NewLockTable()
	dst.MoveUnreplicated(right, []byte("r"), []byte("z"))
	require.Equal(t, 1, dst.Len())
	require.True(t, right.Shared([]byte("s"), a.GetId()))
	require.True(t, right.Shared([]byte("s"), b.GetId()))
	require.True(t, right.Unreplicated([]byte("u"), b.GetId()))
	dst.Clear()
	require.Equal(t, 0, dst.Len())
}

// TestSequenceSharedLocks: a writer meeting two shared holders pushes
// (aborts) each in turn and then sequences; a shared locking read of a
// third txn sequences without pushing.
func TestSequenceSharedLocks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := &fakePusher{}
	m := NewManager(Config{Pusher: p})
	a, b, c := meta(1, 1, 10), meta(2, 1, 10), meta(3, 1, 10)
	m.AcquireLocks(&kvpb.Transaction{Meta: a}, [][]byte{[]byte("k")}, true)
	m.AcquireLocks(&kvpb.Transaction{Meta: b}, [][]byte{[]byte("k")}, true)
	g, err := m.SequenceReq(ctx, &Request{Txn: &kvpb.Transaction{Meta: c}, ReadTimestamp: ts(20),
		Spans: []spanlatch.Span{{Key: []byte("k"), Access: spanlatch.Write}}, Shared: []bool{true}})
	require.NoError(t, err)
	m.FinishReq(g)
	require.Empty(t, p.pushes, "a shared read pushed a shared holder")
	g, err = m.SequenceReq(ctx, &Request{Txn: &kvpb.Transaction{Meta: c}, ReadTimestamp: ts(20),
		Spans: []spanlatch.Span{{Key: []byte("k"), Access: spanlatch.Write}}})
	require.NoError(t, err)
	m.FinishReq(g)
	require.Equal(t, []kvpb.PushTxnType{kvpb.PushTxnType_PUSH_ABORT, kvpb.PushTxnType_PUSH_ABORT}, p.pushes)
	require.ElementsMatch(t, [][]byte{a.GetId(), b.GetId()}, p.pushees)
	require.Equal(t, 0, m.Locks().Len())
}
