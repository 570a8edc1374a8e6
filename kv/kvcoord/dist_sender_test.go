package kvcoord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
)

func put(k, v string) *kvpb.RequestUnion {
	return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Put{Put: &kvpb.PutRequest{Key: []byte(k), Value: []byte(v)}}}
}

func get(k string) *kvpb.RequestUnion {
	return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Get{Get: &kvpb.GetRequest{Key: []byte(k)}}}
}

func del(k string) *kvpb.RequestUnion {
	return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Delete{Delete: &kvpb.DeleteRequest{Key: []byte(k)}}}
}

func scan(k, e string, maxKeys, targetBytes int64) *kvpb.RequestUnion {
	return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Scan{Scan: &kvpb.ScanRequest{
		Key: []byte(k), EndKey: []byte(e), MaxKeys: maxKeys, TargetBytes: targetBytes}}}
}

func rscan(k, e string, maxKeys, targetBytes int64) *kvpb.RequestUnion {
	return &kvpb.RequestUnion{Value: &kvpb.RequestUnion_ReverseScan{ReverseScan: &kvpb.ReverseScanRequest{
		Key: []byte(k), EndKey: []byte(e), MaxKeys: maxKeys, TargetBytes: targetBytes}}}
}

func send(t testing.TB, ds *DistSender, reqs ...*kvpb.RequestUnion) *kvpb.BatchResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	br, err := ds.Send(ctx, &kvpb.BatchRequest{Requests: reqs})
	require.NoError(t, err)
	require.Len(t, br.GetResponses(), len(reqs))
	return br
}

func rowKeys(rows []*kvpb.KeyValue) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = string(r.GetKey())
	}
	return out
}

// scanAll pages through [k, e) with the given limits, following resume
// spans, and returns the keys in scan order.
func scanAll(t testing.TB, ds *DistSender, k, e string, reverse bool, maxKeys, targetBytes int64) []string {
	t.Helper()
	var out []string
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10000, "paging does not end")
		var rows []*kvpb.KeyValue
		var resume *kvpb.Span
		if reverse {
			r := send(t, ds, rscan(k, e, maxKeys, targetBytes)).GetResponses()[0].GetReverseScan()
			rows, resume = r.GetRows(), r.GetResumeSpan()
		} else {
			r := send(t, ds, scan(k, e, maxKeys, targetBytes)).GetResponses()[0].GetScan()
			rows, resume = r.GetRows(), r.GetResumeSpan()
		}
		if maxKeys > 0 {
			require.LessOrEqual(t, int64(len(rows)), maxKeys)
		}
		out = append(out, rowKeys(rows)...)
		if resume == nil {
			return out
		}
		require.NotEmpty(t, rows, "a page with a resume span returned nothing")
		k, e = string(resume.GetKey()), string(resume.GetEndKey())
	}
}

func modelScan(m map[string]string, k, e string, reverse bool) []string {
	var out []string
	for key := range m {
		if key >= k && key < e {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestDistSenderAcrossRanges(t *testing.T) {
	f := newFixture(t, 3, []uint64{1, 2, 3})
	for _, k := range []string{"b", "d", "f", "h", "m", "t"} {
		require.True(t, f.split([]byte(k)))
	}
	ds, _ := f.newSender(t, Config{})
	model := map[string]string{}
	// One batch writing keys in every range.
	var reqs []*kvpb.RequestUnion
	for c := 'a'; c <= 'y'; c++ {
		for i := 0; i < 4; i++ {
			k := fmt.Sprintf("%c%02d", c, i)
			model[k] = "v" + k
			reqs = append(reqs, put(k, "v"+k))
		}
	}
	send(t, ds, reqs...)
	require.Equal(t, 7, ds.Cache().Len(), "every range holding user keys is cached")

	// Point reads of every key in one batch, in a shuffled order: each
	// response matches its request.
	rng := rand.New(rand.NewSource(1))
	var ks []string
	for k := range model {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	rng.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
	reqs = reqs[:0]
	for _, k := range ks {
		reqs = append(reqs, get(k))
	}
	reqs = append(reqs, get("zz-missing"))
	br := send(t, ds, reqs...)
	for i, k := range ks {
		require.True(t, br.GetResponses()[i].GetGet().GetFound(), k)
		require.Equal(t, model[k], string(br.GetResponses()[i].GetGet().GetValue()), k)
	}
	require.False(t, br.GetResponses()[len(ks)].GetGet().GetFound())

	// Scans: whole, partial, unlimited and paged by keys and bytes, both ways.
	for _, span := range [][2]string{{"a", "z"}, {"c5", "n"}, {"d", "d01"}, {"x", "y"}, {"zz", "zzz"}} {
		for _, reverse := range []bool{false, true} {
			want := modelScan(model, span[0], span[1], reverse)
			require.Equal(t, want, orEmpty(scanAll(t, ds, span[0], span[1], reverse, 0, 0)), "%v reverse=%v", span, reverse)
			for _, mk := range []int64{1, 3, 7, 100} {
				require.Equal(t, want, orEmpty(scanAll(t, ds, span[0], span[1], reverse, mk, 0)), "%v reverse=%v max=%d", span, reverse, mk)
			}
			require.Equal(t, want, orEmpty(scanAll(t, ds, span[0], span[1], reverse, 0, 40)), "%v reverse=%v bytes", span, reverse)
		}
	}

	// A limited batch with a point request and two scans.
	br = send(t, ds, get("a00"), scan("a", "g", 5, 0), scan("p", "z", 2, 0))
	require.Equal(t, "va00", string(br.GetResponses()[0].GetGet().GetValue()))
	s1 := br.GetResponses()[1].GetScan()
	require.Equal(t, []string{"a00", "a01", "a02", "a03", "b00"}, rowKeys(s1.GetRows()))
	require.Equal(t, "b01", string(s1.GetResumeSpan().GetKey()))
	require.Equal(t, "g", string(s1.GetResumeSpan().GetEndKey()))
	s2 := br.GetResponses()[2].GetScan()
	require.Equal(t, []string{"p00", "p01"}, rowKeys(s2.GetRows()))
	// A limit used up exactly at a range boundary resumes at the next range.
	s3 := send(t, ds, scan("a", "z", 4, 0)).GetResponses()[0].GetScan()
	require.Equal(t, []string{"a00", "a01", "a02", "a03"}, rowKeys(s3.GetRows()))
	require.NotNil(t, s3.GetResumeSpan())
	require.Equal(t, "z", string(s3.GetResumeSpan().GetEndKey()))
	next := send(t, ds, scan(string(s3.GetResumeSpan().GetKey()), "z", 1, 0)).GetResponses()[0].GetScan()
	require.Equal(t, []string{"b00"}, rowKeys(next.GetRows()))

	// DeleteRange across ranges, then everything in it is gone.
	dr := send(t, ds, &kvpb.RequestUnion{Value: &kvpb.RequestUnion_DeleteRange{DeleteRange: &kvpb.DeleteRangeRequest{
		Key: []byte("e"), EndKey: []byte("i"), ReturnKeys: true}}}).GetResponses()[0].GetDeleteRange()
	require.Equal(t, int64(16), dr.GetNumDeleted())
	require.Len(t, dr.GetKeys(), 16)
	require.Equal(t, "e00", string(dr.GetKeys()[0]))
	require.Equal(t, "h03", string(dr.GetKeys()[15]))
	for k := range model {
		if k >= "e" && k < "i" {
			delete(model, k)
		}
	}
	require.Equal(t, modelScan(model, "a", "z", false), orEmpty(scanAll(t, ds, "a", "z", false, 0, 0)))
}

func TestDistSenderBadInput(t *testing.T) {
	f := newFixture(t, 1, []uint64{1})
	ds, _ := f.newSender(t, Config{})
	ctx := context.Background()
	for name, ba := range map[string]*kvpb.BatchRequest{
		"empty batch":   {},
		"inverted span": {Requests: []*kvpb.RequestUnion{scan("b", "a", 0, 0)}},
		"empty span":    {Requests: []*kvpb.RequestUnion{scan("b", "b", 0, 0)}},
		"local key":     {Requests: []*kvpb.RequestUnion{get("\x01abc")}},
		"past KeyMax":   {Requests: []*kvpb.RequestUnion{scan("a", "\xff\xff\x01", 0, 0)}},
		"unknown type":  {Requests: []*kvpb.RequestUnion{{}}},
		"mixed limited": {Requests: []*kvpb.RequestUnion{scan("a", "b", 1, 0), rscan("a", "b", 1, 0)}},
	} {
		_, err := ds.Send(ctx, ba)
		var inv *kvpb.InvalidRequestError
		require.True(t, errors.As(err, &inv), "%s: %v", name, err)
	}
	// Errors a range reports that retrying cannot fix come back as they are.
	send(t, ds, put("k", "v1"))
	_, err := ds.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{{Value: &kvpb.RequestUnion_ConditionalPut{
		ConditionalPut: &kvpb.ConditionalPutRequest{Key: []byte("k"), Value: []byte("v2"), ExpValue: []byte("other"), ExpExists: true}}}}})
	var cfe *kvpb.ConditionFailedError
	require.True(t, errors.As(err, &cfe), "%v", err)
	require.Equal(t, "v1", string(cfe.GetActualValue()))
}

// TestDistSenderStaleCache splits, merges, moves leases and relocates
// ranges behind the DistSender's back while it reads and writes, and
// checks every answer against a model. Seeded; the seed is logged.
func TestDistSenderStaleCache(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	f := newFixture(t, 5, []uint64{1, 2, 3})
	ds, _ := f.newSender(t, Config{})
	model := map[string]string{}
	randKey := func() string { return fmt.Sprintf("k%03d", rng.Intn(400)) }
	for step := 0; step < 600; step++ {
		switch op := rng.Intn(10); {
		case op == 0:
			f.split([]byte(randKey()))
		case op == 1:
			f.merge(1 + rng.Intn(max(1, f.numRanges()-1)))
		case op == 2:
			f.moveLease(1+rng.Intn(f.numRanges()-1), rng.Intn(3))
		case op == 3:
			perm := rng.Perm(5)
			f.relocate(1+rng.Intn(f.numRanges()-1), []uint64{uint64(perm[0] + 1), uint64(perm[1] + 1), uint64(perm[2] + 1)})
		case op <= 5:
			var reqs []*kvpb.RequestUnion
			seen := map[string]bool{}
			for i := rng.Intn(5); i >= 0; i-- {
				k := randKey()
				if seen[k] {
					continue // one write per key and batch (they share a timestamp)
				}
				seen[k] = true
				if rng.Intn(4) == 0 {
					delete(model, k)
					reqs = append(reqs, del(k))
				} else {
					v := fmt.Sprintf("v%d", step)
					model[k] = v
					reqs = append(reqs, put(k, v))
				}
			}
			send(t, ds, reqs...)
		case op <= 7:
			k := randKey()
			g := send(t, ds, get(k)).GetResponses()[0].GetGet()
			want, ok := model[k]
			require.Equal(t, ok, g.GetFound(), "step %d key %s (seed %d)", step, k, seed)
			require.Equal(t, want, string(g.GetValue()))
		default:
			a, b := randKey(), randKey()
			if a > b {
				a, b = b, a
			}
			b += "\x00"
			reverse := rng.Intn(2) == 0
			var mk int64
			if rng.Intn(2) == 0 {
				mk = int64(1 + rng.Intn(20))
			}
			require.Equal(t, modelScan(model, a, b, reverse), orEmpty(scanAll(t, ds, a, b, reverse, mk, 0)),
				"step %d scan [%s,%s) reverse=%v max=%d (seed %d)", step, a, b, reverse, mk, seed)
		}
	}
	t.Logf("%d ranges at the end, %d batches served", f.numRanges(), f.batches.Load())
}

// TestDistSenderStaleFirstRange: the first-range descriptor the sender is
// given is older and wider than range 1 (as after splits of range 1): keys
// past the meta records are still looked up in meta, not assumed in range
// 1, so every request finds its range.
func TestDistSenderStaleFirstRange(t *testing.T) {
	f := newFixture(t, 3, []uint64{1, 2, 3})
	for _, k := range []string{"b", "d", "f"} {
		require.True(t, f.split([]byte(k)))
	}
	stale, err := f.firstRange(context.Background())
	require.NoError(t, err)
	stale.EndKey, stale.Generation = keys.KeyMax, 0
	tr := NewGRPCTransport(f.resolve)
	t.Cleanup(tr.Close)
	var calls atomic.Int64
	ds := New(Config{Transport: tr, BackoffInitial: time.Millisecond, BackoffMax: 20 * time.Millisecond,
		FirstRange: func(context.Context) (*kvpb.RangeDescriptor, error) {
			calls.Add(1)
			return proto.Clone(stale).(*kvpb.RangeDescriptor), nil
		}})
	for _, k := range []string{"a", "c", "e", "g"} {
		e, err := ds.Cache().Lookup(context.Background(), []byte(k))
		require.NoError(t, err)
		require.NotEqual(t, uint64(1), e.Desc.GetRangeId(), "key %s looked up in range 1 from a stale descriptor", k)
		require.True(t, e.Desc.ContainsKey([]byte(k)), "key %s: %v", k, e.Desc)
		send(t, ds, put(k, "v"+k))
	}
	// Meta and system keys are in range 1 whatever its end.
	e, err := ds.Cache().Lookup(context.Background(), keys.MetaKey([]byte("x")))
	require.NoError(t, err)
	require.Equal(t, uint64(1), e.Desc.GetRangeId())
	require.Equal(t, []string{"a", "c", "e", "g"}, scanAll(t, ds, "a", "z", false, 0, 0))
	require.Positive(t, calls.Load())
}

func TestDistSenderFailover(t *testing.T) {
	f := newFixture(t, 3, []uint64{1, 2, 3})
	ds, _ := f.newSender(t, Config{})
	send(t, ds, put("a", "1"))
	// The leaseholder's node dies; the lease moves to replica 3.
	f.nodes[0].down.Store(true)
	f.moveLease(1, 2)
	g := send(t, ds, get("a")).GetResponses()[0].GetGet()
	require.Equal(t, "1", string(g.GetValue()))
	e, ok := ds.Cache().Get([]byte("a"))
	require.True(t, ok)
	require.Equal(t, uint64(3), e.Leaseholder.GetReplicaId())

	// A server that is really gone (connection refused) is skipped too.
	f.nodes[1].srv.Stop()
	f.moveLease(1, 0) // back to n1, which comes back
	f.nodes[0].down.Store(false)
	send(t, ds, put("b", "2"))
}

func TestDistSenderUnavailable(t *testing.T) {
	f := newFixture(t, 3, []uint64{1, 2, 3})
	ds, _ := f.newSender(t, Config{RequestTimeout: 300 * time.Millisecond})
	send(t, ds, put("a", "1"))
	for _, n := range f.nodes {
		n.down.Store(true)
	}
	start := time.Now()
	_, err := ds.Send(context.Background(), &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{get("a")}})
	var una *kvpb.UnavailableError
	require.True(t, errors.As(err, &una), "%v", err)
	require.Contains(t, una.GetReason(), "node is down")
	require.Less(t, time.Since(start), 5*time.Second, "bounded by the request timeout")
	// n3 comes back and takes the leases of both ranges (meta included).
	f.nodes[2].down.Store(false)
	f.moveLease(0, 2)
	f.moveLease(1, 2)
	require.Equal(t, "1", string(send(t, ds, get("a")).GetResponses()[0].GetGet().GetValue()))
}

func TestNextCursor(t *testing.T) {
	spans := []span{{[]byte("c"), []byte("f")}, {[]byte("a"), []byte("b")}, {key: []byte("x")}}
	d := &kvpb.RangeDescriptor{StartKey: []byte("a"), EndKey: []byte("d")}
	c, ok := nextCursor(spans, []bool{false, false, false}, nil, false)
	require.True(t, ok)
	require.Equal(t, "a", string(c))
	c, ok = nextCursor(spans, []bool{false, false, false}, d, false)
	require.True(t, ok)
	require.Equal(t, "d", string(c))
	_, ok = nextCursor(spans, []bool{true, false, false}, d, false)
	require.False(t, ok)
	c, ok = nextCursor(spans, []bool{false, false, false}, nil, true)
	require.True(t, ok)
	require.Equal(t, "f", string(c))
	d2 := &kvpb.RangeDescriptor{StartKey: []byte("e"), EndKey: []byte("g")}
	c, ok = nextCursor(spans, []bool{false, false, false}, d2, true)
	require.True(t, ok)
	require.Equal(t, "e", string(c))
	require.True(t, bytes.Equal(c, []byte("e")))
}
