package kvcoord

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

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
