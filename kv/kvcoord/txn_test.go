package kvcoord

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
)

func TestAddIgnored(t *testing.T) {
	var rs []*kvpb.IgnoredSeqNumRange
	rs = addIgnored(rs, 5, 7)
	rs = addIgnored(rs, 1, 2)
	rs = addIgnored(rs, 8, 9) // adjacent to [5,7]: merged
	got := [][2]int32{}
	for _, r := range rs {
		got = append(got, [2]int32{r.GetStart(), r.GetEnd()})
	}
	require.Equal(t, [][2]int32{{1, 2}, {5, 9}}, got)
	rs = addIgnored(rs, 2, 6)
	require.Len(t, rs, 1)
	require.EqualValues(t, 1, rs[0].GetStart())
	require.EqualValues(t, 9, rs[0].GetEnd())
}

func TestMergeTxn(t *testing.T) {
	id := make([]byte, kvpb.TxnIDLen)
	id[0] = 1
	ts := func(w int64) *kvpb.Timestamp { return kvpb.TS(hlc.Timestamp{WallTime: w}) }
	dst := &kvpb.Transaction{Meta: &kvpb.TxnMeta{Id: id, WriteTimestamp: ts(10), Epoch: 1}, ReadTimestamp: ts(10)}
	src := &kvpb.Transaction{Meta: &kvpb.TxnMeta{Id: id, WriteTimestamp: ts(20), Epoch: 1}, WriteTooOld: true,
		ObservedTimestamps: []*kvpb.ObservedTimestamp{{NodeId: 2, Timestamp: ts(15)}}}
	MergeTxn(dst, src)
	require.EqualValues(t, 20, dst.WriteTS().WallTime)
	require.True(t, dst.GetWriteTooOld())
	o, ok := dst.ObservedTimestamp(2)
	require.True(t, ok)
	require.EqualValues(t, 15, o.WallTime)
	// Lower write timestamps, other epochs and other txns change nothing.
	MergeTxn(dst, &kvpb.Transaction{Meta: &kvpb.TxnMeta{Id: id, WriteTimestamp: ts(5), Epoch: 1}})
	require.EqualValues(t, 20, dst.WriteTS().WallTime)
	MergeTxn(dst, &kvpb.Transaction{Meta: &kvpb.TxnMeta{Id: id, WriteTimestamp: ts(99), Epoch: 0}})
	require.EqualValues(t, 20, dst.WriteTS().WallTime)
	other := append([]byte(nil), id...)
	other[0] = 2
	MergeTxn(dst, &kvpb.Transaction{Meta: &kvpb.TxnMeta{Id: other, WriteTimestamp: ts(99), Epoch: 1}})
	require.EqualValues(t, 20, dst.WriteTS().WallTime)
}

func TestCanResend(t *testing.T) {
	b := func(reqs ...*kvpb.RequestUnion) *kvpb.BatchRequest { return &kvpb.BatchRequest{Requests: reqs} }
	wto := func(k string) error { return &kvpb.WriteTooOldError{Key: []byte(k)} }
	require.True(t, canResend(b(kvpb.NewGet([]byte("a")), kvpb.NewPut([]byte("b"), nil)), wto("b")))
	require.True(t, canResend(b(kvpb.NewIncrement([]byte("a"), 1)), wto("a")), "its own failure: nothing applied")
	require.False(t, canResend(b(kvpb.NewIncrement([]byte("a"), 1)), wto("z")))
	require.False(t, canResend(b(kvpb.NewIncrement([]byte("a"), 1), kvpb.NewConditionalPut([]byte("b"), nil, nil)), wto("a")))
	require.False(t, canResend(b(kvpb.NewIncrement([]byte("a"), 1)), &kvpb.ReadWithinUncertaintyIntervalError{}))
	require.True(t, canResend(b(kvpb.NewIncrement([]byte("a"), 1), kvpb.NewEndTxn([]byte("a"), true, nil)), &kvpb.TransactionRetryError{}))
}

func TestRefreshTarget(t *testing.T) {
	txn := &kvpb.Transaction{Meta: &kvpb.TxnMeta{WriteTimestamp: kvpb.TS(hlc.Timestamp{WallTime: 10})}}
	ts, ok := refreshTarget(&kvpb.ReadWithinUncertaintyIntervalError{ValueTimestamp: kvpb.TS(hlc.Timestamp{WallTime: 30})}, txn)
	require.True(t, ok)
	require.Equal(t, hlc.Timestamp{WallTime: 30, Logical: 1}, ts)
	ts, ok = refreshTarget(&kvpb.TransactionRetryError{Reason: kvpb.TransactionRetryReason_RETRY_SERIALIZABLE}, txn)
	require.True(t, ok)
	require.Equal(t, hlc.Timestamp{WallTime: 10}, ts)
	_, ok = refreshTarget(&kvpb.TransactionRetryError{Reason: kvpb.TransactionRetryReason_RETRY_ASYNC_WRITE_FAILURE}, txn)
	require.False(t, ok)
	_, ok = refreshTarget(&kvpb.ConditionFailedError{}, txn)
	require.False(t, ok)
}
