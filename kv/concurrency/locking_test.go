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
