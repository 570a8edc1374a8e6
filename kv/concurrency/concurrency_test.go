package concurrency

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/batcheval"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
)

func ts(w int64) hlc.Timestamp { return hlc.Timestamp{WallTime: w} }

func meta(id byte, prio int32, w int64) *kvpb.TxnMeta {
	tid := make([]byte, kvpb.TxnIDLen)
	tid[0] = id
	return &kvpb.TxnMeta{Id: tid, Key: []byte{'a' + id}, Priority: prio, WriteTimestamp: kvpb.TS(ts(w)), MinTimestamp: kvpb.TS(ts(w))}
}

func TestLockTable(t *testing.T) {
	lt := NewLockTable()
	h := meta(1, 1, 10)
	lt.Add(&kvpb.Intent{Key: []byte("k"), Txn: h})
	require.Equal(t, 1, lt.Len())

	write := &Request{Spans: []spanlatch.Span{{Key: []byte("k"), Access: spanlatch.Write}}}
	readBelow := &Request{ReadTimestamp: ts(5), Spans: []spanlatch.Span{{Key: []byte("a"), EndKey: []byte("z"), Access: spanlatch.Read}}}
	readAbove := &Request{ReadTimestamp: ts(15), Spans: readBelow.Spans}
	readUncertain := &Request{ReadTimestamp: ts(5), ReadLimit: ts(12), Spans: readBelow.Spans}
	own := &Request{Txn: &kvpb.Transaction{Meta: h}, Spans: write.Spans}
	other := &Request{Spans: []spanlatch.Span{{Key: []byte("l"), Access: spanlatch.Write}}}

	l := lt.conflict(write)
	require.NotNil(t, l)
	require.Equal(t, 1, lt.Waiters([]byte("k")))
	lt.leave(l)
	require.Nil(t, lt.conflict(readBelow), "an intent above the read does not block it")
	l2 := lt.conflict(readAbove)
	require.NotNil(t, l2)
	lt.leave(l2)
	l3 := lt.conflict(readUncertain)
	require.NotNil(t, l3, "an intent in the uncertainty interval blocks")
	lt.leave(l3)
	require.Nil(t, lt.conflict(own), "a txn is not blocked by its own lock")
	require.Nil(t, lt.conflict(other))

	// Removing another txn's lock does nothing; the holder's wakes waiters.
	lt.Remove(&kvpb.Span{Key: []byte("k")}, meta(2, 1, 1).GetId())
	require.Equal(t, 1, lt.Len())
	lt.Remove(&kvpb.Span{Key: []byte("a"), EndKey: []byte("z")}, h.GetId())
	require.Equal(t, 0, lt.Len())
	select {
	case <-l.released:
	default:
		t.Fatal("waiters not woken")
	}
}

// fakePusher records pushes and resolves; its pushes succeed at once.
type fakePusher struct {
	mu       sync.Mutex
	pushes   []kvpb.PushTxnType
	pushTo   []hlc.Timestamp
	pushees  [][]byte // the pushed txns' IDs
	resolved [][]byte
}

func (f *fakePusher) PushTxn(_ context.Context, _ *kvpb.Transaction, pushee *kvpb.TxnMeta, typ kvpb.PushTxnType, pushTo hlc.Timestamp) (*kvpb.Transaction, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pushes = append(f.pushes, typ)
	f.pushTo = append(f.pushTo, pushTo)
	f.pushees = append(f.pushees, pushee.GetId())
	st := kvpb.TransactionStatus_ABORTED
	if typ == kvpb.PushTxnType_PUSH_TIMESTAMP {
		st = kvpb.TransactionStatus_PENDING
	}
	return &kvpb.Transaction{Meta: pushee, Status: st}, nil
}

func (f *fakePusher) ResolveIntent(_ context.Context, key []byte, _ *kvpb.Transaction) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resolved = append(f.resolved, key)
	return nil
}

// QueryTxn reports every txn PENDING (a live holder).
func (f *fakePusher) QueryTxn(_ context.Context, txn *kvpb.TxnMeta) (*kvpb.QueryTxnResponse, error) {
	return &kvpb.QueryTxnResponse{QueriedTxn: &kvpb.Transaction{Meta: txn, Status: kvpb.TransactionStatus_PENDING}}, nil
}

func TestSequenceWaitsPushesResolves(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := &fakePusher{}
	m := NewManager(Config{Pusher: p})
	m.Locks().Add(&kvpb.Intent{Key: []byte("k"), Txn: meta(1, 1, 10)})
	m.Locks().Add(&kvpb.Intent{Key: []byte("m"), Txn: meta(1, 1, 10)})

	// A writer aborts the holder of the one lock it touches.
	g, err := m.SequenceReq(ctx, &Request{Spans: []spanlatch.Span{{Key: []byte("k"), Access: spanlatch.Write}}})
	require.NoError(t, err)
	m.FinishReq(g)
	require.Equal(t, []kvpb.PushTxnType{kvpb.PushTxnType_PUSH_ABORT}, p.pushes)
	require.Equal(t, [][]byte{[]byte("k")}, p.resolved)
	require.Equal(t, 1, m.Locks().Len())

	// A reader pushes the holder above its uncertainty limit.
	g, err = m.SequenceReq(ctx, &Request{ReadTimestamp: ts(20), ReadLimit: ts(30),
		Spans: []spanlatch.Span{{Key: []byte("a"), EndKey: []byte("z"), Access: spanlatch.Read}}})
	require.NoError(t, err)
	m.FinishReq(g)
	require.Equal(t, kvpb.PushTxnType_PUSH_TIMESTAMP, p.pushes[1])
	require.Equal(t, ts(30).Next(), p.pushTo[1])
	require.Equal(t, 0, m.Locks().Len())

	// A skip-locks request never looks at the lock table.
	m.Locks().Add(&kvpb.Intent{Key: []byte("k"), Txn: meta(1, 1, 10)})
	g, err = m.SequenceReq(ctx, &Request{SkipLocks: true, Spans: []spanlatch.Span{{Key: []byte("k"), Access: spanlatch.Write}}})
	require.NoError(t, err)
	m.FinishReq(g)
	require.Len(t, p.pushes, 2)
}

// waitCluster simulates txn records, each on its own range with its own
// wait queue, and the pushes between them.
type waitCluster struct {
	t      *testing.T
	clock  *hlc.Clock
	mu     sync.Mutex
	recs   map[string]*kvpb.Transaction
	queues map[string]*Queue
}

func newWaitCluster(t *testing.T, txns ...*kvpb.TxnMeta) *waitCluster {
	c := &waitCluster{t: t, clock: hlc.NewClock(hlc.NewManualClock(100).Now, time.Nanosecond),
		recs: map[string]*kvpb.Transaction{}, queues: map[string]*Queue{}}
	for _, m := range txns {
		c.recs[string(m.GetId())] = &kvpb.Transaction{Meta: m, Status: kvpb.TransactionStatus_PENDING, LastHeartbeat: kvpb.TS(ts(100))}
		c.queues[string(m.GetId())] = NewQueue(QueueConfig{Clock: c.clock, QueryInterval: 5 * time.Millisecond, Query: c.query})
	}
	return c
}

func (c *waitCluster) record(id []byte) *kvpb.Transaction {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recs[string(id)].Clone()
}

func (c *waitCluster) setStatus(id []byte, st kvpb.TransactionStatus) {
	c.mu.Lock()
	rec := c.recs[string(id)]
	if !rec.IsFinalized() {
		rec.Status = st
	}
	rec = rec.Clone()
	c.mu.Unlock()
	c.queues[string(id)].OnTxnUpdated(rec)
}

func (c *waitCluster) query(_ context.Context, m *kvpb.TxnMeta) (*kvpb.QueryTxnResponse, error) {
	return &kvpb.QueryTxnResponse{QueriedTxn: c.record(m.GetId()), WaitingTxns: c.queues[string(m.GetId())].WaitingTxns(m.GetId())}, nil
}

// push runs pusher→pushee as the range would: wait, then evaluate.
// It returns whether the pusher may proceed.
func (c *waitCluster) push(ctx context.Context, pusher, pushee *kvpb.TxnMeta) bool {
	req := &kvpb.PushTxnRequest{Key: pushee.GetKey(), Pusher: &kvpb.Transaction{Meta: pusher}, Pushee: pushee, PushType: kvpb.PushTxnType_PUSH_ABORT}
	q := c.queues[string(pushee.GetId())]
	err := q.MaybeWaitForPush(ctx, req, func() (*kvpb.Transaction, error) { return c.record(pushee.GetId()), nil })
	if err != nil {
		require.True(c.t, kvpb.IsRetryable(err), "push %s→%s: %v", kvpb.ShortID(pusher.GetId()), kvpb.ShortID(pushee.GetId()), err)
		return false
	}
	switch batcheval.DecidePush(c.record(pushee.GetId()), req, c.clock.Now()) {
	case batcheval.PushAbort:
		c.setStatus(pushee.GetId(), kvpb.TransactionStatus_ABORTED)
	case batcheval.PushFails:
		c.t.Errorf("push returned from the queue but fails")
	}
	return true
}

// runCycle makes txns[i] wait for txns[i+1] (cyclically) and returns which
// aborted. A txn whose push went through commits.
func runCycle(t *testing.T, txns ...*kvpb.TxnMeta) (aborted map[byte]bool, took time.Duration) {
	c := newWaitCluster(t, txns...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range txns {
		pusher, pushee := txns[i], txns[(i+1)%len(txns)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.push(ctx, pusher, pushee) && c.record(pusher.GetId()).GetStatus() == kvpb.TransactionStatus_PENDING {
				c.setStatus(pusher.GetId(), kvpb.TransactionStatus_COMMITTED)
			}
		}()
	}
	wg.Wait()
	require.NoError(t, ctx.Err(), "the cycle was not broken")
	aborted = map[byte]bool{}
	for _, m := range txns {
		rec := c.record(m.GetId())
		require.True(t, rec.IsFinalized(), "txn %d still pending", m.GetId()[0])
		aborted[m.GetId()[0]] = rec.GetStatus() == kvpb.TransactionStatus_ABORTED
	}
	for _, q := range c.queues {
		require.Equal(t, 0, q.Len())
	}
	return aborted, time.Since(start)
}

func TestDeadlockTwoTxns(t *testing.T) {
	aborted, took := runCycle(t, meta(1, 1, 10), meta(2, 1, 10))
	t.Logf("broken in %s", took)
	// Equal priorities: the lower ID is the victim.
	require.Equal(t, map[byte]bool{1: true, 2: false}, aborted)
	aborted, _ = runCycle(t, meta(1, 5, 10), meta(2, 1, 10))
	require.Equal(t, map[byte]bool{1: false, 2: true}, aborted, "the lower priority is the victim")
}

func TestDeadlockThreeTxns(t *testing.T) {
	// 1→2→3→1 with equal priorities (no push can succeed on priority, so
	// only the detector breaks the cycle): only the edge 3→1 has a lesser
	// pushee, so exactly txn 1 aborts and the others commit.
	aborted, took := runCycle(t, meta(1, 1, 10), meta(2, 1, 10), meta(3, 1, 10))
	t.Logf("broken in %s", took)
	require.Equal(t, map[byte]bool{1: true, 2: false, 3: false}, aborted)
}

// TestPushWaitsForExpiry: a push of a live txn waits; once its record is
// older than the liveness threshold the push goes through.
func TestPushWaitsForExpiry(t *testing.T) {
	mc := hlc.NewManualClock(int64(time.Second))
	clock := hlc.NewClock(mc.Now, time.Nanosecond)
	q := NewQueue(QueueConfig{Clock: clock, QueryInterval: time.Millisecond})
	pushee := meta(1, 1, int64(time.Second))
	rec := &kvpb.Transaction{Meta: pushee, Status: kvpb.TransactionStatus_PENDING, LastHeartbeat: pushee.GetMinTimestamp()}
	req := &kvpb.PushTxnRequest{Key: pushee.GetKey(), Pusher: &kvpb.Transaction{Meta: meta(2, 1, 1)}, Pushee: pushee, PushType: kvpb.PushTxnType_PUSH_ABORT}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- q.MaybeWaitForPush(ctx, req, func() (*kvpb.Transaction, error) { return rec, nil }) }()
	require.Eventually(t, func() bool { return q.Len() == 1 }, 5*time.Second, time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("push of a live txn returned: %v", err)
	default:
	}
	mc.Increment(int64(batcheval.TxnLivenessThreshold) + 1)
	require.NoError(t, <-done)
	require.Equal(t, batcheval.PushAbort, batcheval.DecidePush(rec, req, clock.Now()))
}
