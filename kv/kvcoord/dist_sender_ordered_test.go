package kvcoord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/kv/kvpb"
	"google.golang.org/protobuf/proto"
)

// inflightTransport counts the ranges asked at once (one per Batch RPC,
// one per part of a BatchParts RPC, see inflightPartsTransport) and the
// RPCs in flight at once.
type inflightTransport struct {
	Transport
	mu               sync.Mutex
	cur, max         int // ranges
	curRPCs, maxRPCs int
	parts            int // BatchParts RPCs sent
	sent             int // Batch RPCs sent
}

func (t *inflightTransport) enter(n int) func() {
	t.mu.Lock()
	t.cur += n
	t.max = max(t.max, t.cur)
	t.curRPCs++
	t.maxRPCs = max(t.maxRPCs, t.curRPCs)
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		t.cur -= n
		t.curRPCs--
		t.mu.Unlock()
	}
}

// resetRPCs returns the most RPCs in flight at once since the last call.
func (t *inflightTransport) resetRPCs() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.maxRPCs
	t.maxRPCs = 0
	return m
}

func (t *inflightTransport) SendTo(ctx context.Context, rep *kvpb.ReplicaDescriptor, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	defer t.enter(1)()
	t.mu.Lock()
	t.sent++
	t.mu.Unlock()
	return t.Transport.SendTo(ctx, rep, ba)
}

// reset returns the most ranges asked at once since the last call.
func (t *inflightTransport) reset() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.max
	t.max = 0
	return m
}

func (t *inflightTransport) partsRPCs() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.parts
}

type inflightPartsTransport struct{ *inflightTransport }

func (t inflightPartsTransport) SendPartsTo(ctx context.Context, rep *kvpb.ReplicaDescriptor, req *kvpb.BatchPartsRequest) (*kvpb.BatchPartsResponse, error) {
	defer t.enter(len(req.GetParts()))()
	t.mu.Lock()
	t.parts++
	t.mu.Unlock()
	return t.Transport.(PartsTransport).SendPartsTo(ctx, rep, req)
}

// newCountingSender returns a sender over f whose transport counts the
// ranges in flight; it sends BatchParts RPCs unless f.batchOnly.
func newCountingSender(t testing.TB, f *fixture, cfg Config) (*DistSender, *inflightTransport) {
	ds, tr := f.newSender(t, cfg)
	it := &inflightTransport{Transport: tr}
	ds.cfg.Transport = it
	if !f.batchOnly {
		ds.cfg.Transport = inflightPartsTransport{it}
	}
	return ds, it
}

// orderedModel is the data of the oracle tests: written identically to a
// fixture with one data range and to one with many.
type orderedModel struct {
	rows map[string]string
}

func (m *orderedModel) write(t *testing.T, rng *rand.Rand, dss []*DistSender, n int, deletes bool) {
	var reqs []*kvpb.RequestUnion
	seen := map[string]bool{}
	flush := func() {
		for _, ds := range dss {
			send(t, ds, reqs...)
		}
		reqs, seen = nil, map[string]bool{}
	}
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("k%04d", rng.Intn(1000))
		if seen[k] || len(reqs) == 50 {
			flush() // one write per key and batch (they share a timestamp)
		}
		seen[k] = true
		if deletes && rng.Intn(3) == 0 {
			delete(m.rows, k)
			reqs = append(reqs, del(k))
		} else {
			v := bytes.Repeat([]byte{'v'}, 1+rng.Intn(40))
			m.rows[k] = string(v)
			reqs = append(reqs, put(k, string(v)))
		}
	}
	if len(reqs) > 0 {
		flush()
	}
}

// checkResume checks a page's resume span against the model: a scan
// resumed there returns what was not returned yet, nothing skipped and
// nothing twice (no live key lies between the last row and the resume
// key), and the span a transaction records for the page (up to the
// resume key) covers its rows and nothing past the next live key.
func (m *orderedModel) checkResume(t *testing.T, rows []*kvpb.KeyValue, resume *kvpb.Span, k, e string, reverse bool, msg string) {
	if resume == nil {
		return
	}
	require.NotEmpty(t, rows, msg)
	last := string(rows[len(rows)-1].GetKey())
	for key := range m.rows {
		if !reverse && key > last && key < string(resume.GetKey()) {
			t.Fatalf("%s: live key %q between the last row %q and the resume key %q", msg, key, last, resume.GetKey())
		}
		if reverse && key < last && key >= string(resume.GetEndKey()) {
			t.Fatalf("%s: live key %q between the last row %q and the resume end %q", msg, key, last, resume.GetEndKey())
		}
	}
	if reverse {
		require.Equal(t, k, string(resume.GetKey()), msg)
		require.LessOrEqual(t, string(resume.GetEndKey()), last, msg)
	} else {
		require.Equal(t, e, string(resume.GetEndKey()), msg)
		require.Greater(t, string(resume.GetKey()), last, msg)
	}
}

// randLimitedBatch is one to three limited ranged reads in one direction,
// sometimes with a Get.
func randLimitedBatch(rng *rand.Rand) ([]*kvpb.RequestUnion, bool) {
	reverse := rng.Intn(2) == 0
	var reqs []*kvpb.RequestUnion
	for i := 1 + rng.Intn(3); i > 0; i-- {
		a, b := fmt.Sprintf("k%04d", rng.Intn(1000)), fmt.Sprintf("k%04d", rng.Intn(1000))
		if a > b {
			a, b = b, a
		}
		b += "\x00"
		var mk, tb int64
		switch rng.Intn(4) {
		case 0:
			mk = int64(1 + rng.Intn(300))
		case 1:
			tb = int64(1 + rng.Intn(4000))
		case 2:
			mk, tb = int64(1+rng.Intn(300)), int64(1+rng.Intn(4000))
		default: // an unlimited request next to limited ones
			if i > 1 {
				mk = int64(1 + rng.Intn(50))
			}
		}
		if reverse {
			reqs = append(reqs, rscan(a, b, mk, tb))
		} else {
			reqs = append(reqs, scan(a, b, mk, tb))
		}
	}
	if rng.Intn(3) == 0 {
		reqs = append(reqs, get(fmt.Sprintf("k%04d", rng.Intn(1000))))
	}
	if mk, tb := limits(reqs[0]); mk == 0 && tb == 0 {
		reqs[0] = scanWithLimits(reqs[0], 7, 0)
	}
	return reqs, reverse
}

func scanWithLimits(r *kvpb.RequestUnion, mk, tb int64) *kvpb.RequestUnion {
	s := spanOfReq(r)
	if isReverse(r) {
		return rscan(string(s.key), string(s.end), mk, tb)
	}
	return scan(string(s.key), string(s.end), mk, tb)
}

func scanResult(r *kvpb.ResponseUnion) (rows []*kvpb.KeyValue, nb int64, resume *kvpb.Span) {
	if s := r.GetScan(); s != nil {
		return s.GetRows(), s.GetNumBytes(), s.GetResumeSpan()
	}
	s := r.GetReverseScan()
	return s.GetRows(), s.GetNumBytes(), s.GetResumeSpan()
}

// TestLimitedScanOracle compares limited batches (forward and reverse,
// key and byte limits, several requests per batch, random limits) sent
// over ~50 ranges with read-ahead against the same batches over one
// range, and against the sequential walk (fan-out 1) over the same ~50
// ranges: the rows and byte counts are always the one-range oracle's;
// before any delete the whole responses are exactly the sequential
// walk's; resume spans never skip or repeat a row (checked on the model)
// and paging to the end returns the oracle's rows.
func TestLimitedScanOracle(t *testing.T) {
	for round := 0; round < 3; round++ {
		seed := time.Now().UnixNano() + int64(round)
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewSource(seed))
			one := newFixture(t, 1, []uint64{1})
			many := newFixture(t, 3, []uint64{1, 2, 3})
			for i := 0; i < 49; i++ {
				many.split([]byte(fmt.Sprintf("k%04d", rng.Intn(1000))))
			}
			// Leases in runs on one node and scattered, so that
			// BatchParts RPCs carry runs of ranges and single ones.
			for i := 1; i < many.numRanges(); i++ {
				if rng.Intn(3) == 0 {
					many.moveLease(i, rng.Intn(3))
				}
			}
			oracle, _ := one.newSender(t, Config{})
			ahead, tr := newCountingSender(t, many, Config{LimitedScanFanOut: 2 + rng.Intn(8)})
			seq, seqTr := newCountingSender(t, many, Config{LimitedScanFanOut: 1})
			t.Logf("%d ranges, fan-out %d", many.numRanges(), ahead.cfg.LimitedScanFanOut)
			m := &orderedModel{rows: map[string]string{}}
			m.write(t, rng, []*DistSender{oracle, ahead}, 800, false)
			sawAhead := false
			for phase := 0; phase < 2; phase++ {
				if phase == 1 {
					m.write(t, rng, []*DistSender{oracle, ahead}, 600, true)
				}
				for q := 0; q < 60; q++ {
					reqs, reverse := randLimitedBatch(rng)
					msg := fmt.Sprintf("phase %d batch %d %v (seed %d)", phase, q, reqs, seed)
					got := send(t, ahead, reqs...)
					if tr.reset() > 1 {
						sawAhead = true
					}
					want := send(t, oracle, reqs...)
					seqTr.resetRPCs()
					sq := send(t, seq, reqs...)
					require.LessOrEqual(t, seqTr.resetRPCs(), 1, "the sequential walk sends one RPC at a time")
					for i, r := range reqs {
						if spanOfReq(r).end == nil {
							wg, gg := want.GetResponses()[i].GetGet(), got.GetResponses()[i].GetGet()
							require.Equal(t, wg.GetFound(), gg.GetFound(), msg)
							require.Equal(t, wg.GetValue(), gg.GetValue(), msg)
							continue
						}
						gr, gb, gres := scanResult(got.GetResponses()[i])
						wr, wb, _ := scanResult(want.GetResponses()[i])
						require.Equal(t, rowKeys(wr), rowKeys(gr), "request %d %s", i, msg)
						for k := range wr {
							require.Equal(t, wr[k].GetValue(), gr[k].GetValue(), msg)
						}
						require.Equal(t, wb, gb, "num bytes, request %d %s", i, msg)
						s := spanOfReq(r)
						m.checkResume(t, gr, gres, string(s.key), string(s.end), reverse, msg)
						if phase == 0 {
							require.True(t, proto.Equal(sq.GetResponses()[i], got.GetResponses()[i]),
								"request %d: read-ahead %v, sequential %v; %s", i, got.GetResponses()[i], sq.GetResponses()[i], msg)
						}
					}
				}
				// Paging to the end returns every row once, in order.
				for q := 0; q < 10; q++ {
					a, b := fmt.Sprintf("k%04d", rng.Intn(1000)), fmt.Sprintf("k%04d", rng.Intn(1000))
					if a > b {
						a, b = b, a
					}
					b += "\x00"
					reverse := rng.Intn(2) == 0
					mk, tb := int64(1+rng.Intn(200)), int64(0)
					if rng.Intn(2) == 0 {
						tb = int64(1 + rng.Intn(3000))
					}
					require.Equal(t, modelScan(m.rows, a, b, reverse), orEmpty(scanAll(t, ahead, a, b, reverse, mk, tb)),
						"paging [%s,%s) reverse=%v max=%d bytes=%d (seed %d)", a, b, reverse, mk, tb, seed)
				}
			}
			require.True(t, sawAhead, "no batch read ranges ahead (seed %d)", seed)
			require.Positive(t, tr.partsRPCs(), "no BatchParts RPC (seed %d)", seed)
			require.Positive(t, seqTr.partsRPCs(), "the sequential walk sent no BatchParts RPC (seed %d)", seed)
		})
	}
}

// TestLimitedScanReadAhead: a limited scan over many small ranges reads
// them several at a time, forward and reverse, and returns the sequential
// result; a limited DeleteRange never does (it must not delete past its
// limit), and the keys past its limit survive.
func TestLimitedScanReadAhead(t *testing.T) {
	f := newFixture(t, 3, []uint64{1, 2, 3})
	for i := 1; i < 30; i++ {
		f.split([]byte(fmt.Sprintf("row%03d", i*10)))
	}
	ds, tr := newCountingSender(t, f, Config{LimitedScanFanOut: 8})
	var reqs []*kvpb.RequestUnion
	for i := 0; i < 300; i++ {
		reqs = append(reqs, put(fmt.Sprintf("row%03d", i), "v"))
	}
	send(t, ds, reqs...)
	send(t, ds, scan("row", "rox", 0, 0)) // warm the cache
	tr.reset()

	rows := send(t, ds, scan("row", "rox", 150, 0)).GetResponses()[0].GetScan()
	require.Len(t, rows.GetRows(), 150)
	require.Equal(t, "row150", string(rows.GetResumeSpan().GetKey()))
	require.Greater(t, tr.reset(), 1, "forward: ranges read ahead in parallel")
	rrows := send(t, ds, rscan("row", "rox", 150, 0)).GetResponses()[0].GetReverseScan()
	require.Len(t, rrows.GetRows(), 150)
	require.Equal(t, "row299", string(rrows.GetRows()[0].GetKey()))
	require.Equal(t, "row150", string(rrows.GetRows()[149].GetKey()))
	require.Greater(t, tr.reset(), 1, "reverse: ranges read ahead in parallel")

	dr := &kvpb.RequestUnion{Value: &kvpb.RequestUnion_DeleteRange{DeleteRange: &kvpb.DeleteRangeRequest{
		Key: []byte("row"), EndKey: []byte("rox"), MaxKeys: 95}}}
	br := send(t, ds, dr)
	require.EqualValues(t, 95, br.GetResponses()[0].GetDeleteRange().GetNumDeleted())
	require.Equal(t, 1, tr.reset(), "a limited DeleteRange visits one range at a time")
	left := scanAll(t, ds, "row", "rox", false, 0, 0)
	require.Len(t, left, 205)
	require.Equal(t, "row095", left[0])
}

// TestLimitedScanStaleCache: ranges split, merge and move behind a warm
// cache, mostly past the first range of the scans, so that read-ahead
// parts meet range key mismatches and missing ranges; every scan still
// returns the model's rows, paging with random limits.
func TestLimitedScanStaleCache(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	f := newFixture(t, 5, []uint64{1, 2, 3})
	for i := 1; i < 20; i++ {
		f.split([]byte(fmt.Sprintf("k%04d", i*50)))
	}
	ds, _ := f.newSender(t, Config{LimitedScanFanOut: 8})
	m := &orderedModel{rows: map[string]string{}}
	m.write(t, rng, []*DistSender{ds}, 800, false)
	for step := 0; step < 40; step++ {
		send(t, ds, scan("k", "l", 0, 0)) // the cache knows every range
		for j := 0; j < 5; j++ {
			switch rng.Intn(4) {
			case 0, 1:
				f.split([]byte(fmt.Sprintf("k%04d", rng.Intn(1000))))
			case 2:
				f.merge(2 + rng.Intn(max(1, f.numRanges()-3)))
			default:
				perm := rng.Perm(5)
				f.relocate(2+rng.Intn(max(1, f.numRanges()-3)), []uint64{uint64(perm[0] + 1), uint64(perm[1] + 1), uint64(perm[2] + 1)})
			}
		}
		reverse := rng.Intn(2) == 0
		mk, tb := int64(20+rng.Intn(300)), int64(0)
		if rng.Intn(3) == 0 {
			tb = int64(200 + rng.Intn(5000))
		}
		require.Equal(t, modelScan(m.rows, "k", "l", reverse), orEmpty(scanAll(t, ds, "k", "l", reverse, mk, tb)),
			"step %d reverse=%v max=%d bytes=%d (seed %d)", step, reverse, mk, tb, seed)
	}
	require.Positive(t, f.mismatches.Load(), "no part met a range key mismatch (seed %d)", seed)
	t.Logf("%d ranges, %d mismatches, %d batches", f.numRanges(), f.mismatches.Load(), f.batches.Load())
}

// TestLimitedScanReadAheadError: a read-ahead range that fails (here with
// an uncertain value) past where the limit stops the scan is not the
// caller's error; the same range failing where the scan needs it is.
// With one RPC per node (BatchParts) the node carries the limits from
// range to range and never evaluates the failing range at all; with one
// RPC per range it is read ahead and its error dropped.
func TestLimitedScanReadAheadError(t *testing.T) {
	for _, batchOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("batchOnly=%v", batchOnly), func(t *testing.T) {
			testLimitedScanReadAheadError(t, batchOnly)
		})
	}
}

func testLimitedScanReadAheadError(t *testing.T, batchOnly bool) {
	f := newFixture(t, 1, []uint64{1})
	f.batchOnly = batchOnly
	// A first range of one row in each direction makes the estimate (one
	// row per range) overshoot: the read-ahead reaches far past the limit.
	f.split([]byte("row001"))
	f.split([]byte("row099"))
	for i := 1; i < 10; i++ {
		f.split([]byte(fmt.Sprintf("row%03d", i*10)))
	}
	ds, _ := f.newSender(t, Config{LimitedScanFanOut: 8})
	var reqs []*kvpb.RequestUnion
	for i := 0; i < 100; i++ {
		reqs = append(reqs, put(fmt.Sprintf("row%03d", i), "v"))
	}
	send(t, ds, reqs...)
	send(t, ds, scan("row", "rox", 0, 0)) // warm the cache
	u := []byte("row075")
	f.uncertainAt.Store(&u)
	for _, reverse := range []bool{false, true} {
		r := scan("row", "rox", 20, 0)
		want := "row019"
		if reverse {
			r, want = rscan("row", "rox", 20, 0), "row080"
		}
		parts := f.partsRPCs.Load()
		// Whether the read-ahead part for the failing range is sent before
		// the walk, satisfied, cancels it is up to the scheduler: repeat
		// (bounded) until one attempt reached it; every answer must be right.
		hit := false
		for try := 0; try < 50 && !hit; try++ {
			before := f.uncertainHits.Load()
			br := send(t, ds, r)
			rows, _, resume := scanResult(br.GetResponses()[0])
			require.Len(t, rows, 20, "reverse=%v", reverse)
			require.Equal(t, want, string(rows[19].GetKey()))
			require.NotNil(t, resume)
			hit = f.uncertainHits.Load() > before
		}
		if batchOnly {
			require.True(t, hit, "reverse=%v: the failing range was never read ahead in 50 scans", reverse)
			require.Zero(t, f.partsRPCs.Load()-parts)
		} else {
			require.False(t, hit, "reverse=%v: the node evaluated a range past the limit", reverse)
			require.Equal(t, int64(50), f.partsRPCs.Load()-parts, "reverse=%v: one BatchParts RPC per scan", reverse)
		}
		_, err := ds.Send(context.Background(), &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{scanWithLimits(r, 80, 0)}})
		var rwu *kvpb.ReadWithinUncertaintyIntervalError
		require.True(t, errors.As(err, &rwu), "reverse=%v: %v", reverse, err)
	}
}

// TestTrimToLimits: trimming a piece read with larger limits gives what
// the server returns with the smaller ones (storage.MVCCScan's rule: the
// row that crosses the byte target is included, at least one row).
func TestTrimToLimits(t *testing.T) {
	kv := func(k string, n int) *kvpb.KeyValue {
		return &kvpb.KeyValue{Key: []byte(k), Value: bytes.Repeat([]byte{'x'}, n)}
	}
	rows := []*kvpb.KeyValue{kv("a", 9), kv("b", 9), kv("c", 9), kv("d", 9)} // 10 bytes each
	resp := &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_Scan{Scan: &kvpb.ScanResponse{Rows: rows, NumBytes: 40}}}
	for _, c := range []struct {
		mk, tb int64
		n      int
		resume string
	}{
		{0, 0, 4, ""}, {4, 0, 4, ""}, {9, 0, 4, ""}, {2, 0, 2, "c"}, {1, 0, 1, "b"},
		{0, 1, 1, "b"}, {0, 10, 1, "b"}, {0, 11, 2, "c"}, {0, 40, 4, ""}, {3, 15, 2, "c"}, {1, 100, 1, "b"},
	} {
		got := trimToLimits(resp, c.mk, c.tb, span{[]byte("a"), []byte("z")}, false).GetScan()
		require.Len(t, got.GetRows(), c.n, "%+v", c)
		require.EqualValues(t, 10*c.n, got.GetNumBytes(), "%+v", c)
		if c.resume == "" {
			require.Nil(t, got.GetResumeSpan(), "%+v", c)
		} else {
			require.Equal(t, c.resume, string(got.GetResumeSpan().GetKey()), "%+v", c)
			require.Equal(t, "z", string(got.GetResumeSpan().GetEndKey()))
		}
	}
	rev := &kvpb.ResponseUnion{Value: &kvpb.ResponseUnion_ReverseScan{ReverseScan: &kvpb.ReverseScanResponse{
		Rows: []*kvpb.KeyValue{kv("d", 9), kv("c", 9), kv("b", 9)}, NumBytes: 30}}}
	got := trimToLimits(rev, 2, 0, span{[]byte("a"), []byte("z")}, true).GetReverseScan()
	require.Equal(t, []string{"d", "c"}, rowKeys(got.GetRows()))
	require.Equal(t, "a", string(got.GetResumeSpan().GetKey()))
	require.Equal(t, "b\x00", string(got.GetResumeSpan().GetEndKey()))
}

// TestSingleRangeBatchOneRPC: a batch whose spans all lie in one cached
// range is sent whole, limits included (one RPC, where the walk sends its
// point reads, then each range of its scans), and answers as the walk
// does; a batch over two ranges still walks them.
func TestSingleRangeBatchOneRPC(t *testing.T) {
	f := newFixture(t, 3, []uint64{1, 2, 3})
	f.split([]byte("b"))
	f.split([]byte("c"))
	ds, tr := newCountingSender(t, f, Config{LimitedScanFanOut: 1})
	var reqs []*kvpb.RequestUnion
	for _, k := range []string{"a1", "a2", "a3", "a4", "b1", "b2", "b3"} {
		reqs = append(reqs, put(k, "v"+k))
	}
	send(t, ds, reqs...)
	send(t, ds, scan("a", "c", 0, 0)) // warm the cache
	count := func() int {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		n := tr.sent
		tr.sent = 0
		return n
	}
	count()

	br := send(t, ds, get("a4"), scan("a", "b", 2, 0), scan("a2", "a4", 1, 0), get("a9"))
	require.Equal(t, 1, count(), "one range: one RPC")
	require.Equal(t, "va4", string(br.GetResponses()[0].GetGet().GetValue()))
	sc := br.GetResponses()[1].GetScan()
	require.Equal(t, []string{"a1", "a2"}, rowKeys(sc.GetRows()))
	require.Equal(t, "a3", string(sc.GetResumeSpan().GetKey()))
	require.Equal(t, "b", string(sc.GetResumeSpan().GetEndKey()))
	sc = br.GetResponses()[2].GetScan()
	require.Equal(t, []string{"a2"}, rowKeys(sc.GetRows()))
	require.Equal(t, "a3", string(sc.GetResumeSpan().GetKey()))
	require.False(t, br.GetResponses()[3].GetGet().GetFound())
	br = send(t, ds, get("a1"), rscan("a", "b", 1, 0))
	require.Equal(t, 1, count())
	rs := br.GetResponses()[1].GetReverseScan()
	require.Equal(t, []string{"a4"}, rowKeys(rs.GetRows()))
	require.Equal(t, "a", string(rs.GetResumeSpan().GetKey()))

	// Unlimited scan to the range's end: no resume span.
	br = send(t, ds, scan("a", "b", 0, 0))
	require.Equal(t, 1, count())
	require.Len(t, br.GetResponses()[0].GetScan().GetRows(), 4)
	require.Nil(t, br.GetResponses()[0].GetScan().GetResumeSpan())

	// Over two ranges: the walk (the point read, then the scan's range).
	br = send(t, ds, get("b1"), scan("a", "b", 2, 0))
	require.Equal(t, 2, count(), "two ranges: the walk")
	require.Equal(t, "vb1", string(br.GetResponses()[0].GetGet().GetValue()))
	require.Equal(t, []string{"a1", "a2"}, rowKeys(br.GetResponses()[1].GetScan().GetRows()))

	// A range split behind the cache: the batch is divided again and
	// still answered.
	f.split([]byte("a3"))
	br = send(t, ds, get("a4"), scan("a", "b", 3, 0))
	require.Equal(t, "va4", string(br.GetResponses()[0].GetGet().GetValue()))
	require.Equal(t, []string{"a1", "a2", "a3"}, rowKeys(br.GetResponses()[1].GetScan().GetRows()))
	require.Equal(t, "a4", string(br.GetResponses()[1].GetScan().GetResumeSpan().GetKey()))
}
