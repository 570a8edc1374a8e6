package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvcoord"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	pb "github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/ranges"
	"github.com/tesseradb/tessera/ranges/rangekeys"
)

// startReplicatedCluster bootstraps an n-node cluster and waits until
// range 1 has min(n, 3) voters.
func startReplicatedCluster(t testing.TB, n int) *testCluster {
	// Splits, merges and relocations here are the test's own: no placement
	// driver moving ranges meanwhile.
	return startReplicatedClusterOpts(t, n, true)
}

// startReplicatedClusterOpts is startReplicatedCluster with the placement
// driver on (noDriver false) or off.
func startReplicatedClusterOpts(t testing.TB, n int, noDriver bool) *testCluster {
	c := newTestClusterOpts(t, n, noDriver)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := admin(t, c.addrs[0]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	want := min(n, 3)
	waitFor(t, 45*time.Second, "range 1 fully replicated", func() error {
		resp, err := admin(t, c.addrs[0]).RangesList(ctx, &kvpb.RangesListRequest{})
		if err != nil {
			return err
		}
		if len(resp.GetRanges()) != 1 || len(resp.GetRanges()[0].GetDesc().Voters()) != want || resp.GetRanges()[0].GetLeaseholder() == nil {
			return fmt.Errorf("%v", resp)
		}
		st, err := admin(t, c.addrs[0]).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
		if err != nil {
			return err
		}
		if len(st.GetNodes()) != n {
			return fmt.Errorf("%d nodes known", len(st.GetNodes()))
		}
		return nil
	})
	return c
}

// clientDistSender is a client-side DistSender for the test cluster
// (range 1 through Admin.RangeInfo, nodes through NodeStatus); opts
// adjust its Config.
func clientDistSender(t testing.TB, c *testCluster, opts ...func(*kvcoord.Config)) *kvcoord.DistSender {
	var mu sync.Mutex
	addrs := map[kvpb.NodeID]string{}
	refresh := func(ctx context.Context) {
		for i, a := range c.addrs {
			if c.nodes[i] == nil {
				continue
			}
			st, err := admin(t, a).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
			if err != nil {
				continue
			}
			mu.Lock()
			for _, n := range st.GetNodes() {
				addrs[kvpb.NodeID(n.GetDesc().GetNodeId())] = n.GetDesc().GetAddress()
			}
			mu.Unlock()
			return
		}
	}
	resolve := func(ctx context.Context, id kvpb.NodeID) (string, error) {
		mu.Lock()
		a, ok := addrs[id]
		mu.Unlock()
		if !ok {
			refresh(ctx)
			mu.Lock()
			a, ok = addrs[id]
			mu.Unlock()
		}
		if !ok {
			return "", fmt.Errorf("unknown node n%d", id)
		}
		return a, nil
	}
	firstRange := func(ctx context.Context) (*kvpb.RangeDescriptor, error) {
		var last error
		for i, a := range c.addrs {
			if c.nodes[i] == nil {
				continue
			}
			resp, err := admin(t, a).RangeInfo(ctx, &kvpb.RangeInfoRequest{RangeId: 1})
			if err == nil && len(resp.GetRanges()) > 0 {
				return resp.GetRanges()[0].GetDesc(), nil
			}
			last = err
		}
		return nil, fmt.Errorf("no node knows range 1: %v", last)
	}
	tr := kvcoord.NewGRPCTransport(resolve)
	t.Cleanup(tr.Close)
	cfg := kvcoord.Config{Transport: tr, FirstRange: firstRange,
		Clock: hlc.NewWallClock(hlc.DefaultMaxOffset), RequestTimeout: 20 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	return kvcoord.New(cfg)
}

func dsPut(ctx context.Context, ds *kvcoord.DistSender, key, val string) error {
	_, err := ds.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{{Value: &kvpb.RequestUnion_Put{Put: &kvpb.PutRequest{
		Key: []byte(key), Value: []byte(val)}}}}})
	return err
}

func dsInc(ctx context.Context, ds *kvcoord.DistSender, key string) (int64, error) {
	br, err := ds.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{{Value: &kvpb.RequestUnion_Increment{Increment: &kvpb.IncrementRequest{
		Key: []byte(key), Increment: 1}}}}})
	if err != nil {
		return 0, err
	}
	return br.GetResponses()[0].GetIncrement().GetNewValue(), nil
}

// dsScan scans [start, end); pageSize 0 scans unlimited (parts in
// parallel), otherwise it pages.
func dsScan(ctx context.Context, ds *kvcoord.DistSender, start, end string, pageSize int64) ([]*kvpb.KeyValue, error) {
	var out []*kvpb.KeyValue
	key, endKey := []byte(start), []byte(end)
	for page := 0; page < 100000; page++ {
		br, err := ds.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{{Value: &kvpb.RequestUnion_Scan{Scan: &kvpb.ScanRequest{
			Key: key, EndKey: endKey, MaxKeys: pageSize}}}}})
		if err != nil {
			return nil, err
		}
		sr := br.GetResponses()[0].GetScan()
		out = append(out, sr.GetRows()...)
		if sr.GetResumeSpan() == nil {
			return out, nil
		}
		key, endKey = sr.GetResumeSpan().GetKey(), sr.GetResumeSpan().GetEndKey()
	}
	return out, errors.New("too many pages")
}

// workload runs writers and scanners over keys "w/..." until stop; every
// acknowledged write is recorded, every scan must be ordered and contain
// every write acknowledged before it began.
type workload struct {
	t        testing.TB
	ds       *kvcoord.DistSender
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
	mu       sync.Mutex
	acked    map[string]string
	// failures are errors of writes and scans (none expected).
	failures atomic.Int64
	writes   atomic.Int64
	scans    atomic.Int64
	errMu    sync.Mutex
	errs     []error
}

func startWorkload(t testing.TB, ds *kvcoord.DistSender, writers, scanners int) *workload {
	w := &workload{t: t, ds: ds, stop: make(chan struct{}), acked: map[string]string{}}
	// Registered after the cluster's cleanup, so it runs first: a failed
	// test stops its workload before the nodes.
	t.Cleanup(w.halt)
	for i := 0; i < writers; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			rng := rand.New(rand.NewSource(int64(i)))
			for seq := 0; ; seq++ {
				select {
				case <-w.stop:
					return
				default:
				}
				key := fmt.Sprintf("w/%03d/%d/%05d", rng.Intn(1000), i, seq)
				val := fmt.Sprintf("v%d-%d", i, seq)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				err := dsPut(ctx, ds, key, val)
				cancel()
				if err != nil {
					var amb *kvpb.AmbiguousResultError
					if !errors.As(err, &amb) {
						w.fail(fmt.Errorf("put %s: %w", key, err))
					}
					continue
				}
				w.mu.Lock()
				w.acked[key] = val
				w.mu.Unlock()
				w.writes.Add(1)
			}
		}()
	}
	for i := 0; i < scanners; i++ {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for n := 0; ; n++ {
				select {
				case <-w.stop:
					return
				default:
				}
				w.mu.Lock()
				before := make(map[string]string, len(w.acked))
				for k, v := range w.acked {
					before[k] = v
				}
				w.mu.Unlock()
				page := int64(0)
				if (n+i)%2 == 1 {
					page = 37
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				rows, err := dsScan(ctx, ds, "w/", "w0", page)
				cancel()
				if err != nil {
					w.fail(fmt.Errorf("scan (page %d): %w", page, err))
					continue
				}
				if err := checkScan(rows, before); err != nil {
					w.fail(fmt.Errorf("scan (page %d): %w", page, err))
				}
				w.scans.Add(1)
			}
		}()
	}
	return w
}

func (w *workload) halt() {
	w.stopOnce.Do(func() { close(w.stop) })
	w.wg.Wait()
}

func (w *workload) fail(err error) {
	w.failures.Add(1)
	w.errMu.Lock()
	if len(w.errs) < 5 {
		w.errs = append(w.errs, err)
	}
	w.errMu.Unlock()
}

// finish stops the workload and checks that it made progress and failed
// nothing; it returns every acknowledged write.
func (w *workload) finish() map[string]string {
	w.halt()
	require.Zero(w.t, w.failures.Load(), "workload errors: %v", w.errs)
	require.Positive(w.t, w.writes.Load())
	require.Positive(w.t, w.scans.Load())
	return w.acked
}

// checkScan: rows strictly ordered, every expected key present with its
// value.
func checkScan(rows []*kvpb.KeyValue, want map[string]string) error {
	got := map[string]string{}
	for i, kv := range rows {
		if i > 0 && bytes.Compare(rows[i-1].GetKey(), kv.GetKey()) >= 0 {
			return fmt.Errorf("rows out of order: %q then %q", rows[i-1].GetKey(), kv.GetKey())
		}
		got[string(kv.GetKey())] = string(kv.GetValue())
	}
	for k, v := range want {
		if got[k] != v {
			return fmt.Errorf("acknowledged %q=%q missing (got %q) among %d rows", k, v, got[k], len(rows))
		}
	}
	return nil
}

// checkStats: on every node, each replica's stats equal a recount of its
// span, and the pieces add up to the whole user key space.
func checkStats(t testing.TB, c *testCluster) {
	waitFor(t, 30*time.Second, "range stats match a recount on every node", func() error {
		for i, s := range c.nodes {
			if s == nil || s.store() == nil {
				continue
			}
			var sum storage.MVCCStats
			for _, ri := range s.store().RangeInfo(0) {
				d := ri.GetDesc()
				start, end := rangekeys.UserSpan(d.GetStartKey(), d.GetEndKey())
				want, err := storage.ComputeStats(s.eng, start, end)
				if err != nil {
					return err
				}
				got := ranges.StatsFromProto(ri.GetStats())
				if got != want {
					return fmt.Errorf("n%d r%d: stats %v, recount %v", i+1, d.GetRangeId(), got, want)
				}
				sum.Add(got)
			}
			start, end := rangekeys.UserSpan(keys.KeyMin, keys.KeyMax)
			whole, err := storage.ComputeStats(s.eng, start, end)
			if err != nil {
				return err
			}
			if sum != whole {
				return fmt.Errorf("n%d: pieces add up to %v, whole is %v", i+1, sum, whole)
			}
		}
		return nil
	})
}

// TestSplitInto100AndMergeBack: one range split into 100 and merged back
// into one, while writers and scanners run through a DistSender.
func TestSplitInto100AndMergeBack(t *testing.T) {
	t.Run("driver=off", func(t *testing.T) { testSplitInto100AndMergeBack(t, startReplicatedCluster(t, 3)) })
	t.Run("driver=on", func(t *testing.T) {
		c := startReplicatedClusterOpts(t, 3, false)
		_, err := placementClient(t, c.addrs[0]).SetSetting(context.Background(), &pb.SetSettingRequest{Name: "range_min_bytes", Value: "0"})
		require.NoError(t, err)
		testSplitInto100AndMergeBack(t, c)
	})
}

func testSplitInto100AndMergeBack(t *testing.T, c *testCluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ds := clientDistSender(t, c)
	w := startWorkload(t, ds, 2, 1)

	var splitKeys []string
	for i := 1; i < 100; i++ {
		splitKeys = append(splitKeys, fmt.Sprintf("w/%03d", i*10))
	}
	// In shuffled order: splits of left and right halves alike.
	rng := rand.New(rand.NewSource(1))
	rng.Shuffle(len(splitKeys), func(i, j int) { splitKeys[i], splitKeys[j] = splitKeys[j], splitKeys[i] })
	started := time.Now()
	for i, k := range splitKeys {
		sctx, scancel := context.WithTimeout(ctx, opTimeout)
		resp, err := admin(t, c.addrs[i%3]).AdminSplit(sctx, &kvpb.AdminSplitRequest{SplitKey: []byte(k)})
		scancel()
		if err != nil {
			logRangeAt(t, c, []byte(k))
		}
		require.NoError(t, err, "split at %s", k)
		require.Equal(t, k, string(resp.GetRight().GetStartKey()))
		require.Equal(t, resp.GetLeft().GetGeneration(), resp.GetRight().GetGeneration())
	}
	t.Logf("99 splits in %v (%d writes, %d scans so far)", time.Since(started), w.writes.Load(), w.scans.Load())
	waitRanges(t, ctx, c.addrs[1], 100)

	// Bad splits: at an existing boundary, in meta, outside the key space.
	_, err := admin(t, c.addrs[0]).AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: []byte(splitKeys[0])})
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
	require.Contains(t, status.Convert(err).Message(), "already a range boundary")
	_, err = admin(t, c.addrs[0]).AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: keys.MetaKey([]byte("x"))})
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
	_, err = admin(t, c.addrs[0]).AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: []byte{0xff, 0xff, 1}})
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)

	// Merge everything back into range 1.
	started = time.Now()
	for i := 0; i < 99; i++ {
		mctx, mcancel := context.WithTimeout(ctx, opTimeout)
		resp, err := admin(t, c.addrs[i%3]).AdminMerge(mctx, &kvpb.AdminMergeRequest{RangeId: 1})
		mcancel()
		if err != nil {
			// Name the range being merged into r1 and every node's view of
			// both sides.
			r1 := r1Desc(ctx, t, c)
			t.Logf("merge %d of r1 %v with its right neighbour failed", i, r1)
			logRangeAt(t, c, r1.GetStartKey())
			logRangeAt(t, c, r1.GetEndKey())
		}
		require.NoError(t, err, "merge %d: r1 with the range at %q", i, r1Desc(ctx, t, c).GetEndKey())
		require.Equal(t, uint64(1), resp.GetMerged().GetRangeId())
	}
	t.Logf("99 merges in %v", time.Since(started))
	acked := w.finish()
	t.Logf("%d acknowledged writes, %d scans", len(acked), w.scans.Load())

	waitRanges(t, ctx, c.addrs[2], 1)
	_, err = admin(t, c.addrs[0]).AdminMerge(ctx, &kvpb.AdminMergeRequest{RangeId: 1})
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)

	rows, err := dsScan(ctx, ds, "w/", "w0", 0)
	require.NoError(t, err)
	require.NoError(t, checkScan(rows, acked))
	checkStats(t, c)
	// Every node dropped the merged-away replicas.
	waitFor(t, 30*time.Second, "one replica per node", func() error {
		for i, s := range c.nodes {
			if n := len(s.store().RangeInfo(0)); n != 1 {
				return fmt.Errorf("n%d has %d replicas", i+1, n)
			}
		}
		return nil
	})
}

// checkContiguous: the listed ranges tile the key space, each with a
// leaseholder among its replicas.
func checkContiguous(rs []*kvpb.RangeListEntry) error {
	sort.Slice(rs, func(i, j int) bool {
		return bytes.Compare(rs[i].GetDesc().GetStartKey(), rs[j].GetDesc().GetStartKey()) < 0
	})
	if len(rs[0].GetDesc().GetStartKey()) != 0 || !bytes.Equal(keys.KeyMax, rs[len(rs)-1].GetDesc().GetEndKey()) {
		return fmt.Errorf("ranges do not cover the key space")
	}
	for i, r := range rs {
		if i > 0 && !bytes.Equal(rs[i-1].GetDesc().GetEndKey(), r.GetDesc().GetStartKey()) {
			return fmt.Errorf("gap or overlap at r%d", r.GetDesc().GetRangeId())
		}
		if r.GetLeaseholder() == nil {
			return fmt.Errorf("r%d has no leaseholder", r.GetDesc().GetRangeId())
		}
		if _, ok := r.GetDesc().ReplicaByID(kvpb.ReplicaID(r.GetLeaseholder().GetReplicaId())); !ok {
			return fmt.Errorf("r%d: leaseholder %v not a replica", r.GetDesc().GetRangeId(), r.GetLeaseholder())
		}
	}
	return nil
}

// waitRanges waits until RangesList shows n contiguous ranges, each with a
// leaseholder (a new range's copied lease may lapse briefly before its
// raft leader takes a new one).
func waitRanges(t testing.TB, ctx context.Context, addr string, n int) []*kvpb.RangeListEntry {
	var out []*kvpb.RangeListEntry
	waitFor(t, 30*time.Second, fmt.Sprintf("%d ranges with leaseholders", n), func() error {
		list, err := admin(t, addr).RangesList(ctx, &kvpb.RangesListRequest{})
		if err != nil {
			return err
		}
		if len(list.GetRanges()) != n {
			return fmt.Errorf("%d ranges", len(list.GetRanges()))
		}
		out = list.GetRanges()
		return checkContiguous(out)
	})
	return out
}

// TestRelocateAndTransferUnderLoad: replicas and leases move while
// writers and scanners run (no acknowledged write lost, increments counted
// exactly once), and a DistSender whose cache predates splits and moves
// still reads everything correctly.
func TestRelocateAndTransferUnderLoad(t *testing.T) {
	c := startReplicatedCluster(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ds := clientDistSender(t, c)
	for i := 0; i < 50; i++ {
		require.NoError(t, dsPut(ctx, ds, fmt.Sprintf("w/%03d/old", i*20), "old"))
	}
	// A second client warms its cache now and is not used again until the
	// ranges have split and moved behind its back.
	stale := clientDistSender(t, c)
	rows, err := dsScan(ctx, stale, "w/", "w0", 0)
	require.NoError(t, err)
	require.Len(t, rows, 50)
	require.Equal(t, 1, stale.Cache().Len())

	w := startWorkload(t, ds, 2, 1)
	var incAcked, incAmbiguous atomic.Int64
	incStop := make(chan struct{})
	incDone := make(chan error, 1)
	go func() {
		for {
			select {
			case <-incStop:
				incDone <- nil
				return
			default:
			}
			ictx, icancel := context.WithTimeout(ctx, 20*time.Second)
			_, err := dsInc(ictx, ds, "w/500/counter")
			icancel()
			var amb *kvpb.AmbiguousResultError
			switch {
			case err == nil:
				incAcked.Add(1)
			case errors.As(err, &amb):
				incAmbiguous.Add(1)
			default:
				incDone <- err
				return
			}
		}
	}()

	for _, k := range []string{"w/300", "w/600"} {
		_, err := admin(t, c.addrs[0]).AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: []byte(k)})
		require.NoError(t, err)
	}
	list := waitRanges(t, ctx, c.addrs[0], 3)
	var mid uint64
	for _, r := range list {
		if string(r.GetDesc().GetStartKey()) == "w/300" {
			mid = r.GetDesc().GetRangeId()
		}
	}
	require.NotZero(t, mid)
	stores := func(d *kvpb.RangeDescriptor) []uint64 {
		var out []uint64
		for _, r := range d.GetReplicas() {
			out = append(out, r.GetStoreId())
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	for _, target := range [][]uint64{{2, 3, 4}, {1, 2, 4}} {
		var ts []*kvpb.ReplicaTarget
		for _, s := range target {
			ts = append(ts, &kvpb.ReplicaTarget{StoreId: s})
		}
		rctx, rcancel := context.WithTimeout(ctx, time.Minute) // 20 s was exceeded once with load average ~13
		resp, err := admin(t, c.addrs[1]).AdminRelocate(rctx, &kvpb.AdminRelocateRequest{RangeId: mid, Targets: ts})
		rcancel()
		if err != nil {
			for i, s := range c.nodes {
				for _, ri := range s.store().RangeInfo(kvpb.RangeID(mid)) {
					t.Logf("n%d: %v", i+1, ri)
				}
			}
		}
		require.NoError(t, err, "relocate r%d to %v", mid, target)
		require.Equal(t, target, stores(resp.GetDesc()))
		for _, s := range target {
			lresp, err := admin(t, c.addrs[2]).TransferLease(ctx, &kvpb.TransferLeaseRequest{RangeId: mid, Target: &kvpb.ReplicaTarget{StoreId: s}})
			require.NoError(t, err, "transfer lease of r%d to s%d", mid, s)
			require.Equal(t, s, lresp.GetLease().GetReplica().GetStoreId())
		}
	}
	// Range 1 moves too (it holds meta).
	_, err = admin(t, c.addrs[3]).AdminRelocate(ctx, &kvpb.AdminRelocateRequest{RangeId: 1,
		Targets: []*kvpb.ReplicaTarget{{StoreId: 1}, {StoreId: 3}, {StoreId: 4}}})
	require.NoError(t, err)
	_, err = admin(t, c.addrs[0]).AdminRelocate(ctx, &kvpb.AdminRelocateRequest{RangeId: mid,
		Targets: []*kvpb.ReplicaTarget{{StoreId: 9}}})
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)

	close(incStop)
	require.NoError(t, <-incDone)
	acked := w.finish()
	for i := 0; i < 50; i++ {
		acked[fmt.Sprintf("w/%03d/old", i*20)] = "old"
	}
	br, err := ds.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{{Value: &kvpb.RequestUnion_Get{Get: &kvpb.GetRequest{Key: []byte("w/500/counter")}}}}})
	require.NoError(t, err)
	n := decodeCounter(t, br.GetResponses()[0].GetGet().GetValue())
	require.GreaterOrEqual(t, n, incAcked.Load(), "an acknowledged increment was lost")
	require.LessOrEqual(t, n, incAcked.Load()+incAmbiguous.Load(), "an increment applied twice")
	t.Logf("%d writes, %d increments (%d ambiguous), %d scans", len(acked), incAcked.Load(), incAmbiguous.Load(), w.scans.Load())

	// The stale client: its one cached descriptor is long outdated.
	rows, err = dsScan(ctx, stale, "w/", "w0", 0)
	require.NoError(t, err)
	delete(acked, "w/500/counter")
	var got []*kvpb.KeyValue
	for _, kv := range rows {
		if string(kv.GetKey()) != "w/500/counter" {
			got = append(got, kv)
		}
	}
	require.NoError(t, checkScan(got, acked))
	require.Len(t, got, len(acked))
	rows, err = dsScan(ctx, stale, "w/", "w0", 7)
	require.NoError(t, err)
	require.Len(t, rows, len(acked)+1)
	checkStats(t, c)
}

func decodeCounter(t testing.TB, v []byte) int64 {
	t.Helper()
	require.Len(t, v, 8)
	var n int64
	for _, b := range v {
		n = n<<8 | int64(b)
	}
	return n
}

// opTimeout bounds one split or merge in the tests: under heavy load they
// take seconds, a stall fails with a description of the range.
const opTimeout = 60 * time.Second

// logRangeAt logs every node's replica of the range containing key.
func logRangeAt(t testing.TB, c *testCluster, key []byte) {
	for i, s := range c.nodes {
		if s == nil || s.store() == nil {
			continue
		}
		for _, ri := range s.store().RangeInfo(0) {
			if d := ri.GetDesc(); d != nil && d.ContainsKey(key) {
				t.Logf("n%d: %v", i+1, ri)
			}
		}
	}
}

// TestSplitStickyAgainstDriverMerge: with the placement driver on and the
// default range_min_bytes (every range here is far below it), the driver
// merges away an ordinary boundary but keeps a manual (sticky) split; a
// split of the sticky range keeps the marker on its left half only; an
// explicit merge removes the sticky boundary.
func TestSplitStickyAgainstDriverMerge(t *testing.T) {
	c := startReplicatedClusterOpts(t, 3, false)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, err := placementClient(t, c.addrs[0]).SetSetting(ctx, &pb.SetSettingRequest{Name: "range_cooldown", Value: "0s"})
	require.NoError(t, err)
	split := func(key string, manual bool) *kvpb.AdminSplitResponse {
		sctx, scancel := context.WithTimeout(ctx, opTimeout)
		defer scancel()
		resp, err := admin(t, c.addrs[0]).AdminSplit(sctx, &kvpb.AdminSplitRequest{SplitKey: []byte(key), Manual: manual})
		if err != nil {
			logRangeAt(t, c, []byte(key))
		}
		require.NoError(t, err, "split at %s", key)
		return resp
	}
	// r1 | [s/a, s/b) | [s/b, s/m) sticky | [s/m, max). r1 is never merged
	// into, so the boundary at s/a stays anyway; s/b is the one under test.
	split("s/a", false)
	sticky := split("s/b", true)
	require.NotNil(t, sticky.GetRight().GetStickyBit())
	require.Nil(t, sticky.GetLeft().GetStickyBit())
	halves := split("s/g", false)
	require.NotNil(t, halves.GetLeft().GetStickyBit(), "the left half keeps the manual split at its start")
	require.Nil(t, halves.GetRight().GetStickyBit(), "an ordinary split is not sticky")

	boundaries := func() (map[string]*kvpb.RangeDescriptor, error) {
		list, err := admin(t, c.addrs[1]).RangesList(ctx, &kvpb.RangesListRequest{})
		if err != nil {
			return nil, err
		}
		out := map[string]*kvpb.RangeDescriptor{}
		for _, e := range list.GetRanges() {
			out[string(e.GetDesc().GetStartKey())] = e.GetDesc()
		}
		return out, nil
	}
	// The driver merges [s/b, s/g) with [s/g, max): the ordinary boundary
	// goes, the sticky one stays.
	waitFor(t, 90*time.Second, "the driver to merge the boundary at s/g", func() error {
		b, err := boundaries()
		if err != nil {
			return err
		}
		if _, ok := b["s/g"]; ok {
			return fmt.Errorf("s/g still a boundary (%d ranges)", len(b))
		}
		return nil
	})
	b, err := boundaries()
	require.NoError(t, err)
	require.Contains(t, b, "s/b", "the driver merged a manual split away")
	require.NotNil(t, b["s/b"].GetStickyBit())

	// An explicit merge of [s/a, s/b) with the sticky range removes it.
	mctx, mcancel := context.WithTimeout(ctx, opTimeout)
	resp, err := admin(t, c.addrs[2]).AdminMerge(mctx, &kvpb.AdminMergeRequest{RangeId: b["s/a"].GetRangeId()})
	mcancel()
	require.NoError(t, err)
	require.Equal(t, "s/a", string(resp.GetMerged().GetStartKey()))
	require.Nil(t, resp.GetMerged().GetStickyBit())
	b, err = boundaries()
	require.NoError(t, err)
	require.NotContains(t, b, "s/b")
}

// TestSplitMetaRepairedAfterCrash: a split whose node "crashes" between
// the split trigger and the meta writes (the writes are skipped) leaves
// meta with the old descriptor at the old end key and no record at the
// split key; meta repair on the leaseholders rewrites both, and a fresh
// client then finds both halves through meta.
func TestSplitMetaRepairedAfterCrash(t *testing.T) {
	c := startReplicatedCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, s := range c.nodes {
		s.testingSkipSplitMeta.Store(true)
	}
	resp, err := admin(t, c.addrs[0]).AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: []byte("m/5")})
	require.NoError(t, err)
	left, right := resp.GetLeft(), resp.GetRight()
	waitFor(t, 60*time.Second, "meta records of both halves", func() error {
		meta, err := c.nodes[1].scanMeta(ctx)
		if err != nil {
			return err
		}
		var gotLeft, gotRight bool
		for _, d := range meta {
			switch {
			case d.GetRangeId() == left.GetRangeId() && bytes.Equal(d.GetEndKey(), []byte("m/5")) && d.GetGeneration() >= left.GetGeneration():
				gotLeft = true
			case d.GetRangeId() == right.GetRangeId() && bytes.Equal(d.GetStartKey(), []byte("m/5")) && d.GetGeneration() >= right.GetGeneration():
				gotRight = true
			}
		}
		if !gotLeft || !gotRight {
			return fmt.Errorf("meta is %v", meta)
		}
		return nil
	})
	// A client with an empty cache routes through meta to both halves.
	ds := clientDistSender(t, c)
	require.NoError(t, dsPut(ctx, ds, "m/1", "a"))
	require.NoError(t, dsPut(ctx, ds, "m/9", "b"))
	e, err := ds.Cache().Lookup(ctx, []byte("m/9"))
	require.NoError(t, err)
	require.Equal(t, right.GetRangeId(), e.Desc.GetRangeId())
	rows, err := dsScan(ctx, ds, "m/", "m0", 0)
	require.NoError(t, err)
	require.Len(t, rows, 2)
}
