package kvcoord

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
)

type recordingSender struct{ last *kvpb.BatchRequest }

func (r *recordingSender) SendLocked(_ context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	r.last = ba
	return &kvpb.BatchResponse{}, nil
}

// TestLockTrackerLockingReads: a locking read's span joins the EndTxn's
// lock spans unless a write of the txn (earlier or in the EndTxn's batch)
// covers it.
func TestLockTrackerLockingReads(t *testing.T) {
	ex := kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE
	rec := &recordingSender{}
	l := &txnLockTracker{wrapped: rec}
	send := func(reqs ...*kvpb.RequestUnion) *kvpb.BatchRequest {
		_, err := l.SendLocked(context.Background(), &kvpb.BatchRequest{Header: &kvpb.Header{}, Requests: reqs})
		require.NoError(t, err)
		return rec.last
	}
	send(kvpb.NewGet([]byte("a")).WithLocking(ex), kvpb.NewScan([]byte("m"), []byte("p"), 0).WithLocking(ex),
		kvpb.NewGet([]byte("plain")))
	send(kvpb.NewPut([]byte("n"), nil), kvpb.NewGet([]byte("c")).WithLocking(ex))
	ba := send(kvpb.NewPut([]byte("c"), nil), kvpb.NewEndTxn([]byte("a"), true, nil))
	var got []string
	for _, s := range ba.GetRequests()[1].GetEndTxn().GetLockSpans() {
		got = append(got, string(s.GetKey())+"-"+string(s.GetEndKey()))
	}
	// n (written) stays; a and [m,p) are locks only; c is written in the
	// EndTxn's batch (its resolve releases the lock); plain is no lock.
	require.Equal(t, []string{"n-", "a-", "m-p"}, got)

	require.True(t, covered(&kvpb.Span{Key: []byte("b")}, []*kvpb.Span{{Key: []byte("a"), EndKey: []byte("c")}}))
	require.False(t, covered(&kvpb.Span{Key: []byte("b"), EndKey: []byte("d")}, []*kvpb.Span{{Key: []byte("a"), EndKey: []byte("c")}}))
	require.False(t, covered(&kvpb.Span{Key: []byte("a"), EndKey: []byte("b")}, []*kvpb.Span{{Key: []byte("a")}}))
}

// countingSender answers every batch with empty responses of the right
// kinds and counts the batches and their EndTxns.
type countingSender struct{ batches, endTxns int }

func (c *countingSender) Send(_ context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	c.batches++
	br := &kvpb.BatchResponse{Txn: ba.GetHeader().GetTxn().Clone()}
	for _, r := range ba.GetRequests() {
		if r.GetEndTxn() != nil {
			c.endTxns++
		}
		br.Responses = append(br.Responses, emptyResponse(r))
	}
	return br, nil
}

// TestCommitReadOnly: a transaction that only read commits without a
// batch (commitReadOnly) and is then finalized like one committed by the
// stack; one that wrote, or took a lock, sends its EndTxn.
func TestCommitReadOnly(t *testing.T) {
	ctx := context.Background()
	ex := kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE
	for _, tc := range []struct {
		name    string
		reqs    []*kvpb.RequestUnion
		endTxns int
	}{
		{"reads", []*kvpb.RequestUnion{kvpb.NewGet([]byte("a")), kvpb.NewScan([]byte("b"), []byte("c"), 0)}, 0},
		{"write", []*kvpb.RequestUnion{kvpb.NewGet([]byte("a")), kvpb.NewPut([]byte("b"), []byte("v"))}, 1},
		{"lock", []*kvpb.RequestUnion{kvpb.NewGet([]byte("a")).WithLocking(ex)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &countingSender{}
			f := NewTxnFactory(TxnConfig{Sender: s, Clock: hlc.NewWallClock(0), HeartbeatInterval: time.Hour})
			defer f.Close()
			txn := f.NewTxn("t")
			_, err := txn.Send(ctx, &kvpb.BatchRequest{Requests: tc.reqs})
			require.NoError(t, err)
			require.NoError(t, txn.Commit(ctx))
			require.Equal(t, tc.endTxns, s.endTxns)
			require.Equal(t, 1+tc.endTxns, s.batches)
			require.Equal(t, kvpb.TransactionStatus_COMMITTED, txn.Txn().GetStatus())
			// Finalized: a second commit and further reads are refused.
			require.Error(t, txn.Commit(ctx))
			_, err = txn.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{kvpb.NewGet([]byte("a"))}})
			require.Error(t, err)
			require.Equal(t, 1+tc.endTxns, s.batches)
		})
	}
}
