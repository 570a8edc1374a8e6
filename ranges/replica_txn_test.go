package ranges_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges"
	"github.com/tesseradb/tessera/ranges/rangetest"
)

// oneStore starts a one-node cluster and returns it with a 20 s context
// (cancelled at cleanup) and its store.
func oneStore(t *testing.T) (*rangetest.Cluster, context.Context, *ranges.Store) {
	c := rangetest.New(t, rangetest.Config{Nodes: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c, ctx, c.Nodes[0].Store()
}

// testTxn is a minimal coordinator for the tests: it sends batches with
// its txn and adopts the txn the server returns.
type testTxn struct {
	t     *testing.T
	s     *ranges.Store
	txn   *kvpb.Transaction
	spans []*kvpb.Span
}

func newTestTxn(t *testing.T, s *ranges.Store, id byte, anchor string, prio int32) *testTxn {
	now := s.Clock().Now()
	tid := make([]byte, kvpb.TxnIDLen)
	tid[0] = id
	return &testTxn{t: t, s: s, txn: &kvpb.Transaction{
		Meta:                   &kvpb.TxnMeta{Id: tid, Key: []byte(anchor), WriteTimestamp: kvpb.TS(now), MinTimestamp: kvpb.TS(now), Priority: prio},
		ReadTimestamp:          kvpb.TS(now),
		GlobalUncertaintyLimit: kvpb.TS(now.AddDuration(int64(s.Clock().MaxOffset()))),
	}}
}

func (x *testTxn) send(ctx context.Context, reqs ...*kvpb.RequestUnion) (*kvpb.BatchResponse, error) {
	x.txn.Meta.Sequence++
	ba := &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: 1, Txn: x.txn.Clone()}, Requests: reqs}
	br, err := x.s.Send(ctx, ba)
	if err != nil {
		return nil, err
	}
	x.txn = br.GetTxn()
	for _, r := range reqs {
		if r.IsIntentWrite() {
			k, e := r.RequestSpan()
			x.spans = append(x.spans, &kvpb.Span{Key: k, EndKey: e})
		}
	}
	return br, nil
}

func (x *testTxn) put(ctx context.Context, k, v string) error {
	_, err := x.send(ctx, kvpb.NewPut([]byte(k), []byte(v)))
	return err
}

func (x *testTxn) commit(ctx context.Context) error {
	_, err := x.send(ctx, kvpb.NewEndTxn(x.txn.GetMeta().GetKey(), true, x.spans))
	return err
}

func getValue(t *testing.T, ctx context.Context, s *ranges.Store, k string) (string, bool) {
	br, err := s.Send(ctx, batch(kvpb.NewGet([]byte(k))))
	require.NoError(t, err)
	g := br.GetResponses()[0].GetGet()
	return string(g.GetValue()), g.GetFound()
}

// TestTxnWriterWaitsForIntentHolder: a writer meeting another live txn's
// intent of equal priority waits for it (it cannot abort it), then writes.
func TestTxnWriterWaitsForIntentHolder(t *testing.T) {
	c, ctx, s := oneStore(t)
	require.NoError(t, c.Put(ctx, "warm", "up")) // the lease start is below the txns
	a := newTestTxn(t, s, 1, "k", 1)
	require.NoError(t, a.put(ctx, "k", "a"))
	b := newTestTxn(t, s, 2, "k", 1)
	done := make(chan error, 1)
	go func() { done <- b.put(ctx, "k", "b") }()
	// a's commit succeeds: b could not have aborted it, so b waited.
	require.NoError(t, a.commit(ctx))
	require.NoError(t, <-done)
	require.NoError(t, b.commit(ctx))
	v, ok := getValue(t, ctx, s, "k")
	require.True(t, ok)
	require.Equal(t, "b", v)
}

// TestTxnReaderPushesWriter: a reader above an intent pushes the writer's
// timestamp instead of waiting; the writer must then refresh to commit.
func TestTxnReaderPushesWriter(t *testing.T) {
	c, ctx, s := oneStore(t)
	require.NoError(t, c.Put(ctx, "warm", "up"))
	w := newTestTxn(t, s, 1, "r", 1)
	require.NoError(t, w.put(ctx, "r", "w"))
	r := newTestTxn(t, s, 2, "other", 1)
	br, err := r.send(ctx, kvpb.NewGet([]byte("r")))
	require.NoError(t, err)
	require.False(t, br.GetResponses()[0].GetGet().GetFound(), "the reader must not see the pending write")
	err = w.commit(ctx)
	var tre *kvpb.TransactionRetryError
	require.Truef(t, errors.As(err, &tre), "commit after a push: %v", err)
	require.Equal(t, kvpb.TransactionRetryReason_RETRY_SERIALIZABLE, tre.GetReason())
	pushed := kvpb.ErrorTxn(err)
	require.NotNil(t, pushed)
	require.True(t, r.txn.ReadTS().Less(pushed.WriteTS()), "writer pushed above the read: %s <= %s", pushed.WriteTS(), r.txn.ReadTS())
	// Refresh (nothing else wrote "r") and commit at the pushed timestamp.
	from := w.txn.ReadTS()
	w.txn = pushed
	w.txn.ReadTimestamp = pushed.GetMeta().GetWriteTimestamp()
	_, err = w.send(ctx, kvpb.NewRefresh([]byte("r"), from))
	require.NoError(t, err)
	require.NoError(t, w.commit(ctx))
	v, ok := getValue(t, ctx, s, "r")
	require.True(t, ok)
	require.Equal(t, "w", v)
}

// TestTxnDeadlock: two txns each wait for the other's intent; the
// detector aborts one, the other proceeds and commits.
func TestTxnDeadlock(t *testing.T) {
	c, ctx, s := oneStore(t)
	require.NoError(t, c.Put(ctx, "warm", "up")) // the lease start is below the txns
	a := newTestTxn(t, s, 1, "k1", 1)
	b := newTestTxn(t, s, 2, "k2", 1)
	require.NoError(t, a.put(ctx, "k1", "a"))
	require.NoError(t, b.put(ctx, "k2", "b"))
	start := time.Now()
	errA, errB := make(chan error, 1), make(chan error, 1)
	go func() { errA <- a.put(ctx, "k2", "a") }()
	go func() { errB <- b.put(ctx, "k1", "b") }()
	ea, eb := <-errA, <-errB
	t.Logf("deadlock broken in %s: a=%v b=%v", time.Since(start), ea, eb)
	require.True(t, (ea == nil) != (eb == nil), "exactly one txn must fail: a=%v b=%v", ea, eb)
	winner, loserErr := a, eb
	if ea != nil {
		winner, loserErr = b, ea
	}
	require.True(t, kvpb.IsRetryable(loserErr), "the loser fails retryably: %v", loserErr)
	require.NoError(t, winner.commit(ctx))
}

// TestTxnDeadlockThree: a three-txn lock cycle; the detector aborts one
// (the cycle's lowest ID with equal priorities), the others commit.
func TestTxnDeadlockThree(t *testing.T) {
	c, ctx, s := oneStore(t)
	require.NoError(t, c.Put(ctx, "warm", "up"))
	txns := []*testTxn{newTestTxn(t, s, 1, "k1", 1), newTestTxn(t, s, 2, "k2", 1), newTestTxn(t, s, 3, "k3", 1)}
	keys := []string{"k1", "k2", "k3"}
	for i, x := range txns {
		require.NoError(t, x.put(ctx, keys[i], "own"))
	}
	start := time.Now()
	errs := make([]chan error, 3)
	for i, x := range txns {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- x.put(ctx, keys[(i+1)%3], "next") }()
	}
	// Txn 1 is the victim; once it is gone 3 proceeds, commits, then 2.
	err1 := <-errs[0]
	require.True(t, kvpb.IsRetryable(err1), "txn 1: %v", err1)
	require.NoError(t, <-errs[2])
	require.NoError(t, txns[2].commit(ctx))
	require.NoError(t, <-errs[1])
	// Txn 2 wrote k3 above txn 3's commit (write-too-old): it has no reads
	// to refresh, so it moves its read timestamp and commits.
	require.True(t, txns[1].txn.GetWriteTooOld())
	txns[1].txn.ReadTimestamp = txns[1].txn.GetMeta().GetWriteTimestamp()
	require.NoError(t, txns[1].commit(ctx))
	t.Logf("three-txn deadlock broken and drained in %s", time.Since(start))
	for k, want := range map[string]string{"k1": "next", "k2": "own", "k3": "next"} {
		v, ok := getValue(t, ctx, s, k)
		require.True(t, ok, k)
		require.Equal(t, want, v, k)
	}
}

// TestTxnExpiredHolderAborted: intents of a txn whose coordinator stopped
// heartbeating (record older than the liveness threshold) or never wrote
// a record are aborted by the next writer, which proceeds.
func TestTxnExpiredHolderAborted(t *testing.T) {
	c, ctx, s := oneStore(t)
	require.NoError(t, c.Put(ctx, "warm", "up"))
	past := s.Clock().Now().AddDuration(-int64(10 * time.Second))

	// With a record last heartbeated 10s ago (the coordinator crashed).
	dead := newTestTxn(t, s, 1, "x", 1)
	dead.txn.Meta.MinTimestamp = kvpb.TS(past)
	require.NoError(t, dead.put(ctx, "x", "dead"))
	br, err := dead.send(ctx, kvpb.NewHeartbeatTxn([]byte("x"), past))
	require.NoError(t, err)
	require.Equal(t, kvpb.TransactionStatus_PENDING, br.GetResponses()[0].GetHeartbeatTxn().GetTxn().GetStatus())
	wx := newTestTxn(t, s, 4, "x", 1)
	require.NoError(t, wx.put(ctx, "x", "live"), "the writer aborts the expired holder")
	require.NoError(t, wx.commit(ctx))
	br, err = dead.send(ctx, kvpb.NewHeartbeatTxn([]byte("x"), s.Clock().Now()))
	require.NoError(t, err)
	require.Equal(t, kvpb.TransactionStatus_ABORTED, br.GetResponses()[0].GetHeartbeatTxn().GetTxn().GetStatus(),
		"the coordinator learns it was aborted")

	// Without a record, started 10s ago.
	ghost := newTestTxn(t, s, 2, "y", 1)
	ghost.txn.Meta.MinTimestamp = kvpb.TS(past)
	require.NoError(t, ghost.put(ctx, "y", "ghost"))

	w := newTestTxn(t, s, 3, "y", 1)
	require.NoError(t, w.put(ctx, "y", "live"), "the writer aborts the expired holder")
	require.NoError(t, w.commit(ctx))
	v, ok := getValue(t, ctx, s, "y")
	require.True(t, ok)
	require.Equal(t, "live", v)
	err = ghost.commit(ctx)
	var tae *kvpb.TransactionAbortedError
	require.True(t, errors.As(err, &tae), "the expired txn cannot commit: %v", err)
}
