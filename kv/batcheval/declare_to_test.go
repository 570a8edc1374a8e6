package batcheval

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestDeclareSpansToMatchesDeclareSpans: appending a request's latches
// (the one-latch fast form of the reads included, locking or not, in a
// txn or not) gives what DeclareSpans returns, after what dst held.
func TestDeclareSpansToMatchesDeclareSpans(t *testing.T) {
	lockingGet := kvpb.NewGet([]byte("g"))
	lockingGet.GetGet().KeyLocking = kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE
	lockingScan := kvpb.NewScan([]byte("s"), []byte("t"), 0)
	lockingScan.GetScan().KeyLocking = kvpb.KeyLocking_KEY_LOCKING_SHARED
	reqs := []*kvpb.RequestUnion{
		kvpb.NewGet([]byte("a")), lockingGet,
		kvpb.NewScan([]byte("b"), []byte("c"), 5), lockingScan,
		kvpb.NewReverseScan([]byte("d"), []byte("e"), 0),
		kvpb.NewPut([]byte("p"), []byte("v")), kvpb.NewDeleteRange([]byte("x"), []byte("y")),
		kvpb.NewEndTxn([]byte("a"), true, []*kvpb.Span{{Key: []byte("a")}}),
	}
	txn := &kvpb.Transaction{Meta: &kvpb.TxnMeta{Id: make([]byte, kvpb.TxnIDLen), Key: []byte("a")}}
	desc := &kvpb.RangeDescriptor{RangeId: 1}
	prefix := []spanlatch.Span{{Key: []byte("first")}}
	for _, h := range []DeclareHeader{{}, {Txn: txn, Desc: desc}} {
		for _, r := range reqs {
			want, err := DeclareSpans(r, h)
			require.NoError(t, err)
			got, err := DeclareSpansTo(append([]spanlatch.Span(nil), prefix...), r, h)
			require.NoError(t, err)
			require.Equal(t, append(append([]spanlatch.Span(nil), prefix...), want...), got, "%T txn=%v", r.GetValue(), h.Txn != nil)
		}
	}
	_, err := DeclareSpansTo(nil, &kvpb.RequestUnion{}, DeclareHeader{})
	require.Error(t, err)
}
