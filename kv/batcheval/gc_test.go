package batcheval

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

func gcReq(th int64, ks []string, recs ...*kvpb.TxnMeta) *kvpb.RequestUnion {
	r := &kvpb.GCRequest{Key: []byte("a"), EndKey: []byte("m"), Threshold: kvpb.TS(wts(th)), TxnRecords: recs}
	for _, k := range ks {
		r.Keys = append(r.Keys, []byte(k))
	}
	return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Gc{Gc: r}}
}

// runAt evaluates non-transactional requests with the clock at now and
// commits them; it returns the stats delta too.
func (e *txnEnv) runAt(now int64, recordAge time.Duration, txn *kvpb.Transaction, reqs ...*kvpb.RequestUnion) ([]*kvpb.ResponseUnion, *Result, storage.MVCCStats, error) {
	b := e.eng.NewBatch()
	defer b.Close()
	var ms storage.MVCCStats
	if txn != nil {
		txn = txn.Clone()
	}
	a := Args{RW: b, Timestamp: wts(now), Stats: &ms, Txn: txn, NodeID: 1, Now: wts(now), Desc: e.desc,
		Result: &Result{}, RecordGCAge: recordAge}
	resps, _, err := EvaluateBatch(a, reqs)
	if err == nil {
		require.NoError(e.t, b.Commit(false))
	}
	return resps, a.Result, ms, err
}

func TestGCCommand(t *testing.T) {
	e := newTxnEnv(t)
	for i, v := range []string{"b1", "b2", "b3"} {
		_, _, _, err := e.run(nil, int64(10*(i+1)), kvpb.NewPut([]byte("b"), []byte(v)))
		require.NoError(t, err)
	}
	_, _, _, err := e.run(nil, 10, kvpb.NewPut([]byte("c"), []byte("c1")))
	require.NoError(t, err)
	_, _, _, err = e.run(nil, 20, kvpb.NewDelete([]byte("c")))
	require.NoError(t, err)
	before, err := storage.ComputeStats(e.eng, []byte("a"), []byte("m"))
	require.NoError(t, err)

	// Bad requests are rejected deterministically.
	var ire *kvpb.InvalidRequestError
	_, _, _, err = e.runAt(100, 0, nil, gcReq(0, []string{"b"}))
	require.True(t, errors.As(err, &ire), "no threshold: %v", err)
	_, _, _, err = e.runAt(100, 0, nil, gcReq(101, []string{"b"}))
	require.True(t, errors.As(err, &ire), "threshold above the clock: %v", err)
	_, _, _, err = e.runAt(100, 0, nil, gcReq(50, []string{"x"}))
	require.True(t, errors.As(err, &ire), "key outside the range: %v", err)

	// At 25: b@10 goes (b@20 is the newest at or below 25), c entirely.
	resps, res, ms, err := e.runAt(100, 0, nil, gcReq(25, []string{"b", "c"}))
	require.NoError(t, err)
	require.Equal(t, int64(3), resps[0].GetGc().GetVersionsRemoved())
	require.Equal(t, wts(25), res.GCThreshold, "the threshold travels with the command")
	after, err := storage.ComputeStats(e.eng, []byte("a"), []byte("m"))
	require.NoError(t, err)
	before.Add(ms)
	require.Equal(t, after, before, "the stats delta is exact")
	v, ok := e.get("b", 20)
	require.True(t, ok)
	require.Equal(t, "b2", v)
	_, ok = e.get("c", 30)
	require.False(t, ok)

	// A threshold-only request (no keys) still reports its threshold.
	_, res, _, err = e.runAt(100, 0, nil, gcReq(30, nil))
	require.NoError(t, err)
	require.Equal(t, wts(30), res.GCThreshold)
	spans, err := DeclareSpans(gcReq(30, nil), DeclareHeader{})
	require.NoError(t, err)
	require.Len(t, spans, 1)
	spans, err = DeclareSpans(gcReq(30, []string{"b", "c"}), DeclareHeader{})
	require.NoError(t, err)
	require.Len(t, spans, 2)
}

func TestGCTxnRecordsCommand(t *testing.T) {
	e := newTxnEnv(t)
	committed, pending := mkTxn(1, "b", 10), mkTxn(2, "c", 10)
	for _, x := range []*kvpb.Transaction{committed, pending} {
		_, _, _, err := e.runAt(10, 0, x, kvpb.NewHeartbeatTxn(x.GetMeta().GetKey(), wts(10)))
		require.NoError(t, err)
	}
	_, _, _, err := e.runAt(11, 0, committed, kvpb.NewEndTxn([]byte("b"), true, []*kvpb.Span{{Key: []byte("x")}}))
	require.NoError(t, err)

	resps, _, _, err := e.runAt(100, 0, nil, gcReq(1, nil, committed.GetMeta(), pending.GetMeta()))
	require.NoError(t, err)
	require.Equal(t, int64(1), resps[0].GetGc().GetRecordsRemoved(), "only the finalized record goes")
	_, has, err := LoadTxnRecord(e.eng, committed.GetMeta())
	require.NoError(t, err)
	require.False(t, has)
	_, has, err = LoadTxnRecord(e.eng, pending.GetMeta())
	require.NoError(t, err)
	require.True(t, has)

	// The removed record is not created again once the txn is older than
	// the record GC age: no heartbeat, no commit of its intents.
	age := time.Duration(50)
	var tae *kvpb.TransactionAbortedError
	_, _, _, err = e.runAt(100, age, committed, kvpb.NewHeartbeatTxn([]byte("b"), wts(100)))
	require.True(t, errors.As(err, &tae), "%v", err)
	require.Equal(t, kvpb.TransactionAbortedReason_ABORT_REASON_RECORD_ALREADY_FINALIZED, tae.GetReason())
	_, _, _, err = e.runAt(100, age, committed, kvpb.NewEndTxn([]byte("b"), true, []*kvpb.Span{{Key: []byte("b")}}))
	require.True(t, errors.As(err, &tae), "%v", err)
	// Within the age, a txn without a record creates one as before.
	young := mkTxn(3, "d", 90)
	_, _, _, err = e.runAt(100, age, young, kvpb.NewHeartbeatTxn([]byte("d"), wts(100)))
	require.NoError(t, err)
	// A rollback is always allowed.
	_, _, _, err = e.runAt(100, age, committed, kvpb.NewEndTxn([]byte("b"), false, []*kvpb.Span{{Key: []byte("b")}}))
	require.NoError(t, err)
}
