package batcheval

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

type txnEnv struct {
	t    *testing.T
	eng  storage.Engine
	desc *kvpb.RangeDescriptor
}

func newTxnEnv(t *testing.T) *txnEnv {
	eng, err := storage.Open("", storage.InMemory())
	require.NoError(t, err)
	t.Cleanup(func() { eng.Close() })
	return &txnEnv{t: t, eng: eng, desc: &kvpb.RangeDescriptor{RangeId: 1, StartKey: []byte("a"), EndKey: []byte("m")}}
}

func wts(w int64) hlc.Timestamp { return hlc.Timestamp{WallTime: w} }

func mkTxn(id byte, anchor string, w int64) *kvpb.Transaction {
	tid := make([]byte, kvpb.TxnIDLen)
	tid[0] = id
	return &kvpb.Transaction{Meta: &kvpb.TxnMeta{Id: tid, Key: []byte(anchor), WriteTimestamp: kvpb.TS(wts(w)),
		MinTimestamp: kvpb.TS(wts(w)), Priority: 1}, ReadTimestamp: kvpb.TS(wts(w)), GlobalUncertaintyLimit: kvpb.TS(wts(w + 5))}
}

// run evaluates a batch (txn may be nil: at ts w) and commits it.
func (e *txnEnv) run(txn *kvpb.Transaction, w int64, reqs ...*kvpb.RequestUnion) ([]*kvpb.ResponseUnion, *kvpb.Transaction, *Result, error) {
	b := e.eng.NewBatch()
	defer b.Close()
	var ms storage.MVCCStats
	if txn != nil {
		txn = txn.Clone()
	}
	a := Args{RW: b, Timestamp: wts(w), Stats: &ms, Txn: txn, NodeID: 1, Now: wts(w), Desc: e.desc, Result: &Result{}}
	resps, _, err := EvaluateBatch(a, reqs)
	if err == nil {
		require.NoError(e.t, b.Commit(false))
	}
	return resps, a.Txn, a.Result, err
}

func (e *txnEnv) get(k string, w int64) (string, bool) {
	resps, _, _, err := e.run(nil, w, kvpb.NewGet([]byte(k)))
	require.NoError(e.t, err)
	return string(resps[0].GetGet().GetValue()), resps[0].GetGet().GetFound()
}

func TestTxnReadsOwnWritesAndConflicts(t *testing.T) {
	e := newTxnEnv(t)
	txn := mkTxn(1, "b", 10)
	_, _, _, err := e.run(txn, 0, kvpb.NewPut([]byte("b"), []byte("v1")))
	require.NoError(t, err)
	resps, _, _, err := e.run(txn, 0, kvpb.NewGet([]byte("b")))
	require.NoError(t, err)
	require.Equal(t, "v1", string(resps[0].GetGet().GetValue()), "a txn sees its own intent")
	// Others meet the intent.
	_, _, _, err = e.run(nil, 20, kvpb.NewGet([]byte("b")))
	var wie *kvpb.WriteIntentError
	require.True(t, errors.As(err, &wie), "%v", err)
	require.Equal(t, txn.ID(), wie.GetIntents()[0].GetTxn().GetId())
	require.Equal(t, "b", string(wie.GetIntents()[0].GetTxn().GetKey()), "the intent names the anchor")
	// Below the intent: invisible, no conflict.
	_, ok := e.get("b", 5)
	require.False(t, ok)
}

func TestTxnUncertainty(t *testing.T) {
	e := newTxnEnv(t)
	_, _, _, err := e.run(nil, 12, kvpb.NewPut([]byte("c"), []byte("x")))
	require.NoError(t, err)
	txn := mkTxn(1, "c", 10) // uncertainty limit 15
	_, _, _, err = e.run(txn, 0, kvpb.NewGet([]byte("c")))
	var rwu *kvpb.ReadWithinUncertaintyIntervalError
	require.True(t, errors.As(err, &rwu), "%v", err)
	require.Equal(t, wts(12), rwu.GetValueTimestamp().HLC())
	require.True(t, kvpb.IsRetryable(err))
	// An observed timestamp of the node below the value removes it.
	txn.UpdateObservedTimestamp(1, wts(11))
	resps, _, _, err := e.run(txn, 0, kvpb.NewGet([]byte("c")))
	require.NoError(t, err)
	require.False(t, resps[0].GetGet().GetFound())
}

func TestTxnWriteTooOld(t *testing.T) {
	e := newTxnEnv(t)
	_, _, _, err := e.run(nil, 20, kvpb.NewPut([]byte("d"), []byte("new")))
	require.NoError(t, err)
	txn := mkTxn(1, "d", 10)
	_, out, _, err := e.run(txn, 0, kvpb.NewPut([]byte("d"), []byte("mine")))
	require.NoError(t, err, "a blind write moves above")
	require.True(t, out.GetWriteTooOld())
	require.True(t, wts(20).Less(out.WriteTS()))
	// A CPut cannot: its comparison read would not be refreshed.
	_, _, _, err = e.run(nil, 20, kvpb.NewPut([]byte("e"), []byte("new")))
	require.NoError(t, err)
	_, _, _, err = e.run(mkTxn(2, "e", 10), 0, kvpb.NewConditionalPut([]byte("e"), []byte("x"), []byte("new")))
	var wto *kvpb.WriteTooOldError
	require.True(t, errors.As(err, &wto), "%v", err)
	require.True(t, wts(20).Less(kvpb.ErrorTxn(err).WriteTS()), "the error carries the moved txn")
	require.True(t, kvpb.IsRetryable(err))
}

func TestEndTxnOnePhaseAndRecord(t *testing.T) {
	e := newTxnEnv(t)
	// 1PC: writes and commit in one batch, nothing else.
	txn := mkTxn(1, "b", 10)
	resps, out, res, err := e.run(txn, 0, kvpb.NewPut([]byte("b"), []byte("1pc")), kvpb.NewEndTxn([]byte("b"), true, nil))
	require.NoError(t, err)
	require.True(t, resps[1].GetEndTxn().GetOnePhaseCommit())
	require.Equal(t, kvpb.TransactionStatus_COMMITTED, out.GetStatus())
	require.Nil(t, res.EndTxn)
	v, ok := e.get("b", 11)
	require.True(t, ok)
	require.Equal(t, "1pc", v)
	_, has, err := LoadTxnRecord(e.eng, txn.GetMeta())
	require.NoError(t, err)
	require.False(t, has, "1PC writes no record")

	// A txn with a remote lock span keeps a COMMITTED record listing it.
	txn = mkTxn(2, "c", 20)
	_, _, _, err = e.run(txn, 0, kvpb.NewHeartbeatTxn([]byte("c"), wts(20)))
	require.NoError(t, err)
	_, _, _, err = e.run(txn, 0, kvpb.NewPut([]byte("c"), []byte("v")))
	require.NoError(t, err)
	remote := &kvpb.Span{Key: []byte("x")}
	resps, _, res, err = e.run(txn, 0, kvpb.NewEndTxn([]byte("c"), true, []*kvpb.Span{{Key: []byte("c")}, remote}))
	require.NoError(t, err)
	require.False(t, resps[0].GetEndTxn().GetOnePhaseCommit())
	require.Len(t, resps[0].GetEndTxn().GetRemoteLockSpans(), 1)
	require.NotNil(t, res.EndTxn)
	rec, has, err := LoadTxnRecord(e.eng, txn.GetMeta())
	require.NoError(t, err)
	require.True(t, has)
	require.Equal(t, kvpb.TransactionStatus_COMMITTED, rec.GetStatus())
	v, ok = e.get("c", 21)
	require.True(t, ok, "the local intent was resolved synchronously")
	require.Equal(t, "v", v)

	// Commit with write ts above read ts needs a refresh.
	txn = mkTxn(3, "e", 30)
	txn.Meta.WriteTimestamp = kvpb.TS(wts(31))
	_, _, _, err = e.run(txn, 0, kvpb.NewEndTxn([]byte("e"), true, nil))
	var tre *kvpb.TransactionRetryError
	require.True(t, errors.As(err, &tre), "%v", err)
	require.Equal(t, kvpb.TransactionRetryReason_RETRY_SERIALIZABLE, tre.GetReason())
}

func TestPushHeartbeatQuery(t *testing.T) {
	e := newTxnEnv(t)
	pushee := mkTxn(1, "b", 10)
	pusher := mkTxn(2, "c", 10)
	_, _, _, err := e.run(pushee, 0, kvpb.NewHeartbeatTxn([]byte("b"), wts(10)))
	require.NoError(t, err)
	// Equal priority abort push of a live txn fails.
	_, _, _, err = e.run(nil, 11, kvpb.NewPushTxn(pusher, pushee.GetMeta(), kvpb.PushTxnType_PUSH_ABORT, hlc.Timestamp{}, wts(11)))
	var tpe *kvpb.TransactionPushError
	require.True(t, errors.As(err, &tpe), "%v", err)
	// A timestamp push succeeds and sticks.
	resps, _, res, err := e.run(nil, 11, kvpb.NewPushTxn(pusher, pushee.GetMeta(), kvpb.PushTxnType_PUSH_TIMESTAMP, wts(50), wts(11)))
	require.NoError(t, err)
	require.Equal(t, wts(50), resps[0].GetPushTxn().GetPusheeTxn().WriteTS())
	require.Len(t, res.UpdatedTxns, 1)
	resps, _, _, err = e.run(nil, 12, kvpb.NewQueryTxn(pushee.GetMeta()))
	require.NoError(t, err)
	require.Equal(t, wts(50), resps[0].GetQueryTxn().GetQueriedTxn().WriteTS())
	// Its commit must refresh to the pushed timestamp.
	_, _, _, err = e.run(pushee, 0, kvpb.NewEndTxn([]byte("b"), true, nil))
	var tre *kvpb.TransactionRetryError
	require.True(t, errors.As(err, &tre), "%v", err)
	require.Equal(t, wts(50), kvpb.ErrorTxn(err).WriteTS())
	// Expired: an abort push wins regardless of priority.
	later := wts(10).AddDuration(int64(TxnLivenessThreshold) + 1)
	resps, _, _, err = e.run(nil, later.WallTime, kvpb.NewPushTxn(pusher, pushee.GetMeta(), kvpb.PushTxnType_PUSH_ABORT, hlc.Timestamp{}, later))
	require.NoError(t, err)
	require.Equal(t, kvpb.TransactionStatus_ABORTED, resps[0].GetPushTxn().GetPusheeTxn().GetStatus())
	// Now the heartbeat reports ABORTED and the commit fails.
	resps, _, _, err = e.run(pushee, 0, kvpb.NewHeartbeatTxn([]byte("b"), later))
	require.NoError(t, err)
	require.Equal(t, kvpb.TransactionStatus_ABORTED, resps[0].GetHeartbeatTxn().GetTxn().GetStatus())
	_, _, _, err = e.run(pushee, 0, kvpb.NewEndTxn([]byte("b"), true, nil))
	var tae *kvpb.TransactionAbortedError
	require.True(t, errors.As(err, &tae), "%v", err)
}

func TestResolveAndRefresh(t *testing.T) {
	e := newTxnEnv(t)
	txn := mkTxn(1, "b", 10)
	_, _, _, err := e.run(txn, 0, kvpb.NewPut([]byte("b"), []byte("1")), kvpb.NewPut([]byte("c"), []byte("2")))
	require.NoError(t, err)
	committed := txn.Clone()
	committed.Status = kvpb.TransactionStatus_COMMITTED
	_, _, res, err := e.run(nil, 0, kvpb.NewResolveIntent([]byte("b"), committed))
	require.NoError(t, err)
	require.Len(t, res.ResolvedLocks, 1)
	_, _, _, err = e.run(nil, 0, kvpb.NewResolveIntent([]byte("b"), committed))
	require.NoError(t, err, "resolving twice is fine")
	aborted := txn.Clone()
	aborted.Status = kvpb.TransactionStatus_ABORTED
	resps, _, _, err := e.run(nil, 0, kvpb.NewResolveIntentRange([]byte("a"), []byte("m"), aborted))
	require.NoError(t, err)
	require.Equal(t, int64(1), resps[0].GetResolveIntentRange().GetNumResolved())
	v, ok := e.get("b", 11)
	require.True(t, ok)
	require.Equal(t, "1", v)
	_, ok = e.get("c", 11)
	require.False(t, ok)

	// Refresh: a write by someone else in (from, to] fails it.
	r := mkTxn(2, "f", 20)
	r.ReadTimestamp = kvpb.TS(wts(30))
	r.Meta.WriteTimestamp = kvpb.TS(wts(30))
	_, _, _, err = e.run(r, 0, kvpb.NewRefreshRange([]byte("a"), []byte("m"), wts(20)))
	require.NoError(t, err)
	_, _, _, err = e.run(nil, 25, kvpb.NewPut([]byte("g"), []byte("x")))
	require.NoError(t, err)
	_, _, _, err = e.run(r, 0, kvpb.NewRefreshRange([]byte("a"), []byte("m"), wts(20)))
	var rfe *kvpb.RefreshFailedError
	require.True(t, errors.As(err, &rfe), "%v", err)
	require.Equal(t, "g", string(rfe.GetKey()))
	_, _, _, err = e.run(r, 0, kvpb.NewRefresh([]byte("b"), wts(20)))
	require.NoError(t, err, "b was not written in (20, 30]")
}

// TestSavepointReads: after a rollback to a savepoint the txn reads its
// newest write that was not rolled back; at commit the rollback sticks.
func TestSavepointReads(t *testing.T) {
	e := newTxnEnv(t)
	txn := mkTxn(1, "b", 10)
	txn.Meta.Sequence = 1
	_, _, _, err := e.run(txn, 0, kvpb.NewPut([]byte("b"), []byte("s1")))
	require.NoError(t, err)
	txn.Meta.Sequence = 2
	_, _, _, err = e.run(txn, 0, kvpb.NewPut([]byte("b"), []byte("s2")))
	require.NoError(t, err)
	txn.Meta.Sequence = 3
	txn.IgnoredSeqnums = []*kvpb.IgnoredSeqNumRange{{Start: 2, End: 2}}
	resps, _, _, err := e.run(txn, 0, kvpb.NewGet([]byte("b")))
	require.NoError(t, err)
	require.Equal(t, "s1", string(resps[0].GetGet().GetValue()))
	_, _, _, err = e.run(txn, 0, kvpb.NewEndTxn([]byte("b"), true, []*kvpb.Span{{Key: []byte("b")}}))
	require.NoError(t, err)
	v, ok := e.get("b", 11)
	require.True(t, ok)
	require.Equal(t, "s1", v)
}

// TestPushUpgradesToIntentEpoch: a txn restarted (epoch 1) after its
// record was written at epoch 0. A push carrying the intent's meta returns
// the pushee at the intent's epoch, so resolving with it moves (or, after
// an abort, removes) the intent; with the record's old epoch the resolve
// would be a no-op and the pusher would meet the same intent forever.
func TestPushUpgradesToIntentEpoch(t *testing.T) {
	e := newTxnEnv(t)
	pushee := mkTxn(1, "b", 10)
	pusher := mkTxn(2, "c", 10)
	_, _, _, err := e.run(pushee, 0, kvpb.NewHeartbeatTxn([]byte("b"), wts(10)))
	require.NoError(t, err)
	restarted := pushee.Clone()
	restarted.Meta.Epoch = 1
	restarted.Meta.WriteTimestamp = kvpb.TS(wts(20))
	restarted.ReadTimestamp = kvpb.TS(wts(20))
	_, _, _, err = e.run(restarted, 0, kvpb.NewPut([]byte("d"), []byte("x")))
	require.NoError(t, err)

	// A reader at 30 pushes the intent's txn (as the intent names it).
	resps, _, _, err := e.run(nil, 31, kvpb.NewPushTxn(pusher, restarted.GetMeta(), kvpb.PushTxnType_PUSH_TIMESTAMP, wts(31), wts(31)))
	require.NoError(t, err)
	pushed := resps[0].GetPushTxn().GetPusheeTxn()
	require.EqualValues(t, 1, pushed.GetMeta().GetEpoch())
	require.Equal(t, wts(31), pushed.WriteTS())
	_, _, _, err = e.run(nil, 31, kvpb.NewResolveIntent([]byte("d"), pushed))
	require.NoError(t, err)
	_, _, _, err = e.run(nil, 30, kvpb.NewGet([]byte("d")))
	require.NoError(t, err, "the intent moved above the reader")

	// Expired: the abort push's pushee removes the epoch-1 intent.
	later := wts(31).AddDuration(int64(TxnLivenessThreshold) + 1)
	resps, _, _, err = e.run(nil, later.WallTime, kvpb.NewPushTxn(pusher, restarted.GetMeta(), kvpb.PushTxnType_PUSH_ABORT, hlc.Timestamp{}, later))
	require.NoError(t, err)
	aborted := resps[0].GetPushTxn().GetPusheeTxn()
	require.Equal(t, kvpb.TransactionStatus_ABORTED, aborted.GetStatus())
	require.EqualValues(t, 1, aborted.GetMeta().GetEpoch())
	_, _, _, err = e.run(nil, 0, kvpb.NewResolveIntent([]byte("d"), aborted))
	require.NoError(t, err)
	_, ok := e.get("d", later.WallTime)
	require.False(t, ok, "the aborted intent is gone")
}

// TestDirectOnePhaseCommit: a one-phase commit writes committed values
// directly (one engine write per key, not intent + value + resolution),
// with the same values and MVCC stats as the transactional evaluation
// (NoDirectCommit); a newer committed value makes it fall back
// (ErrDirectCommitFallback) and the transactional rules decide.
func TestDirectOnePhaseCommit(t *testing.T) {
	eval := func(e *txnEnv, noDirect bool, txn *kvpb.Transaction, reqs ...*kvpb.RequestUnion) (int, storage.MVCCStats, []*kvpb.ResponseUnion, error) {
		b := e.eng.NewBatch()
		defer b.Close()
		var ms storage.MVCCStats
		a := Args{RW: b, Stats: &ms, Txn: txn.Clone(), NodeID: 1, Now: wts(100), Desc: e.desc, Result: &Result{}, NoDirectCommit: noDirect}
		resps, _, err := EvaluateBatch(a, reqs)
		n := int(b.Count())
		if err == nil {
			require.NoError(t, b.Commit(false))
		}
		return n, ms, resps, err
	}
	batch := func(txn *kvpb.Transaction) []*kvpb.RequestUnion {
		return []*kvpb.RequestUnion{kvpb.NewAssertGet([]byte("g"), nil), kvpb.NewConditionalPut([]byte("b"), []byte("v1"), nil),
			kvpb.NewPut([]byte("c"), []byte("v2")), kvpb.NewEndTxn(txn.GetMeta().GetKey(), true, nil)}
	}
	var counts [2]int
	var stats [2]storage.MVCCStats
	for i, noDirect := range []bool{false, true} {
		e := newTxnEnv(t)
		txn := mkTxn(1, "b", 10)
		n, ms, resps, err := eval(e, noDirect, txn, batch(txn)...)
		require.NoError(t, err)
		require.True(t, resps[3].GetEndTxn().GetOnePhaseCommit())
		counts[i], stats[i] = n, ms
		for k, want := range map[string]string{"b": "v1", "c": "v2"} {
			v, ok := e.get(k, 11)
			require.True(t, ok)
			require.Equal(t, want, v)
		}
		// Committed: another txn writes above without meeting an intent.
		_, _, _, err = e.run(mkTxn(2, "b", 20), 0, kvpb.NewPut([]byte("b"), []byte("v3")), kvpb.NewEndTxn([]byte("b"), true, nil))
		require.NoError(t, err)
	}
	require.Equal(t, 2, counts[0], "direct: one write per key")
	require.Greater(t, counts[1], counts[0])
	require.Equal(t, stats[1], stats[0], "same stats either way")

	// A newer committed value: fallback, then the transactional rules
	// (a CPut's write-too-old is an error the coordinator refreshes on).
	e := newTxnEnv(t)
	_, _, _, err := e.run(nil, 50, kvpb.NewPut([]byte("c"), []byte("newer")))
	require.NoError(t, err)
	txn := mkTxn(3, "b", 10)
	_, _, _, err = eval(e, false, txn, batch(txn)...)
	require.ErrorIs(t, err, ErrDirectCommitFallback)
	_, _, _, err = eval(e, true, txn, batch(txn)...)
	var retry *kvpb.TransactionRetryError
	require.ErrorAs(t, err, &retry, "pushed by write-too-old: commit needs a refresh")
	// A txn with a record (e.g. aborted by a pusher) never commits directly.
	txn = mkTxn(4, "d", 60)
	_, _, _, err = e.run(txn, 0, kvpb.NewHeartbeatTxn([]byte("d"), wts(60)))
	require.NoError(t, err)
	n, _, resps, err := eval(e, false, txn, kvpb.NewPut([]byte("d"), []byte("x")), kvpb.NewEndTxn([]byte("d"), true, nil))
	require.NoError(t, err)
	require.False(t, resps[1].GetEndTxn().GetOnePhaseCommit())
	require.Greater(t, n, 1)
}

// recordReads is a batch that counts reads of txn record keys.
type recordReads struct {
	storage.Batch
	n int
}

func (r *recordReads) GetRaw(key []byte) ([]byte, bool, error) {
	if keys.IsTxnRecordKey(key) {
		r.n++
	}
	return r.Batch.GetRaw(key)
}

// TestDirectCommitNoTxnRecord: with Args.NoTxnRecord (the coordinator
// vouches that this is the txn's first batch that writes or locks) a
// direct one-phase commit does not read the txn record and writes the same
// committed values; without it the record is read (and a record found
// turns the direct commit off, TestDirectOnePhaseCommit).
func TestDirectCommitNoTxnRecord(t *testing.T) {
	for _, vouched := range []bool{false, true} {
		e := newTxnEnv(t)
		txn := mkTxn(1, "b", 10)
		b := &recordReads{Batch: e.eng.NewBatch()}
		var ms storage.MVCCStats
		a := Args{RW: b, Stats: &ms, Txn: txn.Clone(), NodeID: 1, Now: wts(100), Desc: e.desc, Result: &Result{}, NoTxnRecord: vouched}
		resps, _, err := EvaluateBatch(a, []*kvpb.RequestUnion{kvpb.NewConditionalPut([]byte("b"), []byte("v1"), nil),
			kvpb.NewPut([]byte("c"), []byte("v2")), kvpb.NewEndTxn([]byte("b"), true, nil)})
		require.NoError(t, err)
		require.True(t, resps[2].GetEndTxn().GetOnePhaseCommit())
		require.EqualValues(t, 2, b.Count(), "direct: one write per key")
		if vouched {
			require.Equal(t, 0, b.n, "no record read")
		} else {
			require.Equal(t, 1, b.n, "the record is read once")
		}
		require.NoError(t, b.Commit(false))
		b.Close()
		for k, want := range map[string]string{"b": "v1", "c": "v2"} {
			v, ok := e.get(k, 11)
			require.True(t, ok)
			require.Equal(t, want, v)
		}
	}
}
