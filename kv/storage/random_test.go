package storage

import (
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/hlc"
)

var (
	flagSeed = flag.Int64("seed", 0, "seed for TestMVCCRandomized (0: pick one and log it)")
	flagOps  = flag.Int("ops", 10000, "operations in TestMVCCRandomized")
)

// errSig reduces an error to what engine and model must agree on.
func errSig(err error) string {
	if err == nil {
		return "ok"
	}
	var wto *WriteTooOldError
	var unc *ReadWithinUncertaintyIntervalError
	var lc *LockConflictError
	var cf *ConditionFailedError
	var inf *IntentNotFoundError
	switch {
	case errors.As(err, &wto):
		return fmt.Sprintf("wto %q retry=%s", wto.Key, fmtTs(wto.ActualTimestamp))
	case errors.As(err, &unc):
		return fmt.Sprintf("uncertain %q @%s", unc.Key, fmtTs(unc.ValueTimestamp))
	case errors.As(err, &lc):
		var parts []string
		for _, in := range lc.Intents {
			parts = append(parts, fmt.Sprintf("%q:%s", in.Key, in.Txn.ID))
		}
		return "conflict " + strings.Join(parts, ",")
	case errors.As(err, &cf):
		return fmt.Sprintf("cfail %q has=%t actual=%q", cf.Key, cf.HasValue, cf.ActualValue)
	case errors.As(err, &inf):
		return fmt.Sprintf("notfound %q", inf.Key)
	}
	for _, te := range typedErrors {
		if errors.Is(err, te) {
			return te.Error()
		}
	}
	return "UNTYPED " + err.Error()
}

// dumpEngine renders the engine's MVCC state like mvccModel.dump.
func dumpEngine(t testing.TB, r Reader) string {
	pr, err := r.pebbleReader()
	require.NoError(t, err)
	it, err := pr.NewIter(&pebble.IterOptions{})
	require.NoError(t, err)
	defer it.Close()
	type kstate struct {
		intent *intentMeta
		vers   []string
		prov   string
	}
	states := map[string]*kstate{}
	var order []string
	get := func(k string) *kstate {
		s := states[k]
		if s == nil {
			s = &kstate{}
			states[k] = s
			order = append(order, k)
		}
		return s
	}
	type ver struct {
		key string
		ts  hlc.Timestamp
		raw []byte
	}
	var versions []ver
	for valid := it.First(); valid; valid = it.Next() {
		uk, vts, err := DecodeEngineKey(it.Key())
		require.NoError(t, err)
		if vts.IsEmpty() {
			if isLockTableKey(uk) {
				m, err := decodeIntentMeta(it.Value())
				require.NoError(t, err)
				get(string(uk[len(lockTablePrefix):])).intent = &m
			}
			continue
		}
		versions = append(versions, ver{string(uk), vts, append([]byte(nil), it.Value()...)})
	}
	for _, v := range versions {
		s := get(v.key)
		val, tomb, err := decodeMVCCValue(v.raw)
		require.NoError(t, err)
		if s.intent != nil && s.intent.Txn.WriteTimestamp == v.ts {
			s.prov = fmt.Sprintf("val=%q tomb=%t", val, tomb)
			continue
		}
		s.vers = append(s.vers, fmt.Sprintf("%q @%s val=%q tomb=%t\n", v.key, fmtTs(v.ts), val, tomb))
	}
	var b strings.Builder
	for _, k := range sortedStrings(order) {
		s := states[k]
		if s.intent != nil {
			fmt.Fprintf(&b, "%q intent %s %s hist=%v\n", k, s.intent.Txn, s.prov, fmtHist(s.intent.History))
		}
		for _, v := range s.vers {
			b.WriteString(v)
		}
	}
	return b.String()
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

type rTxn struct {
	meta   TxnMeta
	readTs hlc.Timestamp
	maxSeq int32
}

// TestMVCCRandomized runs random MVCC operations from several transactions
// against the engine and the in-memory model, comparing every result, the
// full state periodically, and the stats at the end. The engine is closed
// and reopened from disk at random points. Replay with -seed=N.
func TestMVCCRandomized(t *testing.T) {
	seed := *flagSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed: %d (replay with -seed=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	eng, err := Open(dir)
	require.NoError(t, err)
	defer func() { eng.Close() }()

	model := newModel()
	var ms MVCCStats
	now := int64(10)
	keys := []string{"a", "a\x00", "a\x00\x00", "b", "c", "c\x00b", "d", "e", "f", "g", "h", "i", "j", "k", "\x01r", "\xff"}
	randKey := func() string { return keys[rng.Intn(len(keys))] }
	randSpan := func() (string, string) {
		a, b := randKey(), randKey()
		if a > b {
			a, b = b, a
		}
		if a == b {
			b = a + "\x00"
		}
		return a, b
	}
	randTs := func(lo int64) hlc.Timestamp {
		w := lo + rng.Int63n(now-lo+3)
		return hlc.Timestamp{WallTime: w, Logical: int32(rng.Intn(2))}
	}
	randVal := func() string {
		if rng.Intn(4) == 0 {
			return string(EncodeInt(int64(rng.Intn(100))))
		}
		return fmt.Sprintf("v%d", rng.Intn(1000))
	}
	txns := make([]*rTxn, 4)
	var nextTxn byte
	newTxn := func() *rTxn {
		nextTxn++
		var id TxnID
		id[0], id[15] = nextTxn, 0xaa
		ts := hlc.Timestamp{WallTime: now}
		return &rTxn{meta: TxnMeta{ID: id, WriteTimestamp: ts}, readTs: ts}
	}
	for i := range txns {
		txns[i] = newTxn()
	}

	// batch runs f in a batch, committing it and its stats only on success.
	batch := func(f func(b Batch, st *MVCCStats) error) error {
		b := eng.NewBatch()
		defer b.Close()
		var st MVCCStats
		if err := f(b, &st); err != nil {
			return err
		}
		if rng.Intn(5) == 0 {
			// Ship it the way Raft does: as bytes applied to the engine.
			repr := append([]byte(nil), b.Repr()...)
			require.NoError(t, eng.ApplyBatchRepr(repr, rng.Intn(10) == 0))
		} else {
			require.NoError(t, b.Commit(rng.Intn(10) == 0))
		}
		ms.Add(st)
		return nil
	}
	// Snapshots taken at random points must keep showing the state of
	// their moment.
	type heldSnap struct {
		snap Snapshot
		want string
	}
	var snaps []heldSnap
	defer func() {
		for _, s := range snaps {
			s.snap.Close()
		}
	}()
	checkState := func(step int, what string) {
		require.Equal(t, model.dump(), dumpEngine(t, eng), "step %d (%s), seed %d", step, what, seed)
		got, err := ComputeStats(eng, []byte{0}, []byte{0xff, 0xff})
		require.NoError(t, err)
		require.Equal(t, got, ms, "stats at step %d (%s), seed %d", step, what, seed)
	}
	endTxn := func(i int, status TxnStatus) string {
		tx := txns[i]
		u := LockUpdate{Txn: tx.meta, Status: status}
		if status != Aborted && rng.Intn(4) == 0 && tx.maxSeq > 0 {
			a := rng.Int31n(tx.maxSeq + 1)
			u.IgnoredSeqNums = []SeqRange{{Start: a, End: a + rng.Int31n(3)}}
		}
		var n int64
		var resume *Span
		err := batch(func(b Batch, st *MVCCStats) error {
			var err error
			n, resume, err = MVCCResolveIntentRange(b, []byte{0}, []byte{0xff, 0xff}, u, 0, st)
			return err
		})
		mm := model.clone()
		mn, _, merr := mm.resolveRange("\x00", "\xff\xff", &u, 0)
		require.Equal(t, errSig(merr), errSig(err))
		if err == nil {
			model = mm
			require.Equal(t, mn, n)
			require.Nil(t, resume)
		}
		if status != Pending {
			txns[i] = newTxn()
		}
		return fmt.Sprintf("end txn %d %s ignored=%v: n=%d err=%v", i, status, u.IgnoredSeqNums, n, err)
	}

	counts := map[string]int{}
	for step := 0; step < *flagOps; step++ {
		if rng.Intn(3) == 0 {
			now++
		}
		var tx *rTxn
		var txn *TxnMeta
		ti := rng.Intn(len(txns) + 2)
		if ti < len(txns) {
			tx = txns[ti]
			m := tx.meta
			txn = &m
		}
		writeTs := func() hlc.Timestamp {
			if tx != nil {
				return tx.meta.WriteTimestamp
			}
			return randTs(now - 5)
		}
		stepSeq := func() {
			if tx != nil {
				tx.meta.Sequence++
				tx.maxSeq = tx.meta.Sequence
				m := tx.meta
				txn = &m
			}
		}
		var what string
		var engSig, modSig string
		op := rng.Intn(100)
		switch {
		case op < 20: // put / delete
			stepSeq()
			k, v, ts := randKey(), randVal(), writeTs()
			del := rng.Intn(4) == 0
			if txn != nil && rng.Intn(20) == 0 {
				// A stale coordinator: older epoch or sequence.
				if txn.Epoch > 0 && rng.Intn(2) == 0 {
					txn.Epoch--
				} else {
					txn.Sequence -= 2
				}
			}
			var found bool
			err := batch(func(b Batch, st *MVCCStats) error {
				if del {
					var err error
					found, err = MVCCDelete(b, []byte(k), ts, MVCCWriteOptions{Txn: txn, Stats: st})
					return err
				}
				return MVCCPut(b, []byte(k), ts, []byte(v), MVCCWriteOptions{Txn: txn, Stats: st})
			})
			mfound, merr := model.put(k, ts, v, del, txn)
			what = fmt.Sprintf("put %q=%q del=%t ts=%s txn=%v", k, v, del, fmtTs(ts), txn)
			engSig, modSig = errSig(err), errSig(merr)
			if err == nil && del {
				require.Equal(t, mfound, found, what)
			}
			var wto *WriteTooOldError
			if tx != nil && errors.As(err, &wto) && rng.Intn(2) == 0 {
				tx.meta.WriteTimestamp = tx.meta.WriteTimestamp.Forward(wto.ActualTimestamp)
			}
		case op < 27: // conditional put
			stepSeq()
			k, v, ts := randKey(), randVal(), writeTs()
			var exp *string
			if rng.Intn(3) > 0 {
				if cur, ok := model.visibleToWriter(k, txn); ok && rng.Intn(2) == 0 {
					exp = &cur
				} else {
					s := randVal()
					exp = &s
				}
			}
			err := batch(func(b Batch, st *MVCCStats) error {
				var e []byte
				if exp != nil {
					e = []byte(*exp)
				}
				return MVCCConditionalPut(b, []byte(k), ts, []byte(v), e, MVCCWriteOptions{Txn: txn, Stats: st})
			})
			merr := model.cput(k, ts, v, exp, txn)
			what = fmt.Sprintf("cput %q=%q exp=%v ts=%s txn=%v", k, v, exp, fmtTs(ts), txn)
			engSig, modSig = errSig(err), errSig(merr)
		case op < 33: // increment
			stepSeq()
			k, ts, by := randKey(), writeTs(), int64(rng.Intn(10)-3)
			var n int64
			err := batch(func(b Batch, st *MVCCStats) error {
				var err error
				n, err = MVCCIncrement(b, []byte(k), ts, by, MVCCWriteOptions{Txn: txn, Stats: st})
				return err
			})
			mn, merr := model.inc(k, ts, by, txn)
			what = fmt.Sprintf("inc %q by %d ts=%s txn=%v", k, by, fmtTs(ts), txn)
			engSig, modSig = errSig(err), errSig(merr)
			if err == nil {
				require.Equal(t, mn, n, what)
			}
		case op < 48: // get
			ts := randTs(1)
			if tx != nil {
				ts = tx.readTs
				if rng.Intn(3) == 0 && tx.maxSeq > 0 {
					txn.Sequence = rng.Int31n(tx.maxSeq + 1)
				}
			}
			var unc hlc.Timestamp
			if rng.Intn(2) == 0 {
				unc = ts.AddDuration(rng.Int63n(4))
			}
			k := randKey()
			v, ok, err := MVCCGet(eng, []byte(k), ts, MVCCReadOptions{Txn: txn, UncertaintyLimit: unc})
			mv, mok, merr := model.get(k, ts, txn, unc)
			what = fmt.Sprintf("get %q ts=%s unc=%s txn=%v", k, fmtTs(ts), fmtTs(unc), txn)
			engSig, modSig = errSig(err), errSig(merr)
			if err == nil && merr == nil {
				require.Equal(t, mok, ok, what)
				if ok {
					require.Equal(t, mv.val, string(v.Value), what)
					require.Equal(t, mv.ts, v.Timestamp, what)
				}
			}
		case op < 60: // scan
			ts := randTs(1)
			if tx != nil {
				ts = tx.readTs
			}
			var unc hlc.Timestamp
			if rng.Intn(3) == 0 {
				unc = ts.AddDuration(rng.Int63n(4))
			}
			s, e := randSpan()
			if rng.Intn(4) == 0 {
				s, e = "\x00", "\xff\xff"
			}
			so := MVCCScanOptions{MVCCReadOptions: MVCCReadOptions{Txn: txn, UncertaintyLimit: unc}, Reverse: rng.Intn(2) == 0}
			if rng.Intn(2) == 0 {
				so.MaxKeys = rng.Int63n(4)
			}
			if rng.Intn(3) == 0 {
				so.TargetBytes = rng.Int63n(12)
			}
			res, err := MVCCScan(eng, []byte(s), []byte(e), ts, so)
			mres, merr := model.scan(s, e, ts, txn, unc, so.MaxKeys, so.TargetBytes, so.Reverse)
			what = fmt.Sprintf("scan [%q,%q) ts=%s opts=%+v", s, e, fmtTs(ts), so)
			engSig, modSig = errSig(err), errSig(merr)
			if err == nil && merr == nil {
				var got []string
				for _, kv := range res.KVs {
					got = append(got, fmt.Sprintf("%q=%q@%s", kv.Key, kv.Value.Value, fmtTs(kv.Value.Timestamp)))
				}
				require.Equal(t, mres.kvs, got, what)
				resume := ""
				if res.ResumeSpan != nil {
					resume = fmt.Sprintf("[%q, %q)", res.ResumeSpan.Key, res.ResumeSpan.EndKey)
				}
				require.Equal(t, mres.resume, resume, what)
			}
		case op < 65: // delete range
			stepSeq()
			s, e := randSpan()
			ts := writeTs()
			max := rng.Int63n(3)
			var deleted [][]byte
			var resume *Span
			err := batch(func(b Batch, st *MVCCStats) error {
				var err error
				deleted, resume, err = MVCCDeleteRange(b, []byte(s), []byte(e), ts, max, MVCCWriteOptions{Txn: txn, Stats: st})
				return err
			})
			mm := model.clone()
			mres, merr := mm.scan(s, e, ts, txn, hlc.Timestamp{}, max, 0, false)
			var mdeleted []string
			if merr == nil {
				for _, kv := range mres.kvs {
					k := kv[:strings.Index(kv, "=")]
					var uk string
					fmt.Sscanf(k, "%q", &uk)
					if _, merr = mm.put(uk, ts, "", true, txn); merr != nil {
						break
					}
					mdeleted = append(mdeleted, uk)
				}
			}
			what = fmt.Sprintf("del_range [%q,%q) ts=%s max=%d txn=%v", s, e, fmtTs(ts), max, txn)
			engSig, modSig = errSig(err), errSig(merr)
			if err == nil && merr == nil {
				model = mm
				var got []string
				for _, k := range deleted {
					got = append(got, string(k))
				}
				require.Equal(t, mdeleted, got, what)
				require.Equal(t, mres.resume != "", resume != nil, what)
			}
		case op < 70: // single-key resolve of some txn's intent (maybe none)
			i := rng.Intn(len(txns))
			k := randKey()
			u := LockUpdate{Txn: txns[i].meta, Status: TxnStatus(rng.Intn(3))}
			if u.Status == Pending {
				u.Txn.WriteTimestamp = u.Txn.WriteTimestamp.Forward(hlc.Timestamp{WallTime: now})
			}
			err := batch(func(b Batch, st *MVCCStats) error {
				return MVCCResolveIntent(b, []byte(k), u, st)
			})
			merr := model.resolve(k, &u)
			what = fmt.Sprintf("resolve %q %s txn=%s", k, u.Status, u.Txn)
			engSig, modSig = errSig(err), errSig(merr)
			if err == nil && u.Status == Pending {
				txns[i].meta.WriteTimestamp = u.Txn.WriteTimestamp
			}
		case op < 78: // end a transaction
			i := rng.Intn(len(txns))
			status := Committed
			if rng.Intn(3) == 0 {
				status = Aborted
			}
			what = endTxn(i, status)
			engSig, modSig = "ok", "ok"
		case op < 84: // push or restart a transaction
			i := rng.Intn(len(txns))
			t2 := txns[i]
			if rng.Intn(2) == 0 {
				t2.meta.WriteTimestamp = t2.meta.WriteTimestamp.Forward(hlc.Timestamp{WallTime: now})
				what = fmt.Sprintf("push txn %d to %s", i, fmtTs(t2.meta.WriteTimestamp))
			} else {
				t2.meta.Epoch++
				t2.meta.Sequence, t2.maxSeq = 0, 0
				t2.readTs = hlc.Timestamp{WallTime: now}.Forward(t2.meta.WriteTimestamp)
				t2.meta.WriteTimestamp = t2.readTs
				what = fmt.Sprintf("restart txn %d at epoch %d", i, t2.meta.Epoch)
			}
			engSig, modSig = "ok", "ok"
		case op < 88: // GC
			s, e := randSpan()
			th := randTs(1)
			var n int64
			err := batch(func(b Batch, st *MVCCStats) error {
				var err error
				n, err = MVCCGarbageCollect(b, []byte(s), []byte(e), th, st)
				return err
			})
			mn := model.gc(s, e, th)
			what = fmt.Sprintf("gc [%q,%q) threshold=%s", s, e, fmtTs(th))
			engSig, modSig = errSig(err), "ok"
			if err == nil {
				require.Equal(t, mn, n, what)
			}
		case op < 89: // take or check a snapshot
			if len(snaps) < 3 && rng.Intn(2) == 0 {
				snaps = append(snaps, heldSnap{snap: eng.NewSnapshot(), want: model.dump()})
				what = "snapshot take"
			} else if len(snaps) > 0 {
				i := rng.Intn(len(snaps))
				require.Equal(t, snaps[i].want, dumpEngine(t, snaps[i].snap), "snapshot at step %d, seed %d", step, seed)
				require.NoError(t, snaps[i].snap.Close())
				snaps = append(snaps[:i], snaps[i+1:]...)
				what = "snapshot check"
			} else {
				what = "snapshot none"
			}
			engSig, modSig = "ok", "ok"
		case op < 90: // reopen
			for _, s := range snaps {
				require.Equal(t, s.want, dumpEngine(t, s.snap), "snapshot before reopen at step %d, seed %d", step, seed)
				require.NoError(t, s.snap.Close())
			}
			snaps = nil
			require.NoError(t, eng.Close())
			eng, err = Open(dir)
			require.NoError(t, err)
			what = "reopen"
			engSig, modSig = "ok", "ok"
			checkState(step, what)
		default: // pending resolve (push) of a whole txn
			what = endTxn(rng.Intn(len(txns)), Pending)
			engSig, modSig = "ok", "ok"
		}
		opName, _, _ := strings.Cut(what, " ")
		sigName, _, _ := strings.Cut(engSig, " ")
		counts[opName+":"+sigName]++
		require.NotContains(t, engSig, "UNTYPED", "step %d: %s (seed %d)", step, what, seed)
		require.Equal(t, modSig, engSig, "step %d: %s (seed %d)", step, what, seed)
		if step%250 == 0 {
			checkState(step, what)
		}
	}
	checkState(*flagOps, "end")
	t.Logf("final stats: %s", ms)
	t.Logf("outcomes: %v", counts)
}
