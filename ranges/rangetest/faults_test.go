package rangetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges"
	"github.com/tesseradb/tessera/ranges/rangekeys"
)

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func nodeIndex(c *Cluster, n *Node) int {
	for i, x := range c.Nodes {
		if x == n {
			return i + 1
		}
	}
	return 0
}

// writeKeys writes n keys "<prefix>NNN" and returns them.
func writeKeys(t *testing.T, ctx context.Context, c *Cluster, prefix string, n int) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := 0; i < n; i++ {
		k, v := fmt.Sprintf("%s%03d", prefix, i), fmt.Sprintf("v%d", i)
		require.NoError(t, c.Put(ctx, k, v))
		out[k] = v
	}
	return out
}

func checkKeys(t *testing.T, ctx context.Context, c *Cluster, want map[string]string) {
	t.Helper()
	for k, v := range want {
		got, ok, err := c.Get(ctx, k)
		require.NoError(t, err, k)
		require.True(t, ok, "lost acknowledged write %s", k)
		require.Equal(t, v, got, k)
	}
}

// TestKillLeaseholder: every acknowledged write is readable after the
// leaseholder dies, over both transports.
func TestKillLeaseholder(t *testing.T) {
	for _, kind := range []TransportKind{Mem, GRPC} {
		t.Run(map[TransportKind]string{Mem: "mem", GRPC: "grpc"}[kind], func(t *testing.T) {
			c := New(t, Config{Nodes: 3, Transport: kind})
			ctx := ctxFor(t, 30*time.Second)
			want := writeKeys(t, ctx, c, "a", 30)
			lh := mustLH(t, ctx, c)
			require.NotNil(t, lh)
			c.Stop(nodeIndex(c, lh))
			start := time.Now()
			checkKeys(t, ctx, c, want)
			t.Logf("reads served again %s after killing the leaseholder", time.Since(start))
			for k, v := range writeKeys(t, ctx, c, "b", 10) {
				want[k] = v
			}
			c.Restart(nodeIndex(c, lh))
			checkKeys(t, ctx, c, want)
		})
	}
}

// TestPartition: with a follower partitioned away writes continue; with
// the leaseholder partitioned away they continue after the lease moves.
// After healing, the partitioned nodes catch up.
func TestPartition(t *testing.T) {
	c := New(t, Config{Nodes: 3})
	ctx := ctxFor(t, 40*time.Second)
	want := writeKeys(t, ctx, c, "a", 10)
	lh := mustLH(t, ctx, c)
	lhi := nodeIndex(c, lh)
	follower := lhi%3 + 1
	others := func(i int) []int {
		var o []int
		for j := 1; j <= 3; j++ {
			if j != i {
				o = append(o, j)
			}
		}
		return o
	}
	c.Partition([]int{follower}, others(follower))
	for k, v := range writeKeys(t, ctx, c, "b", 10) {
		want[k] = v
	}
	c.Partition([]int{lhi}, others(lhi))
	start := time.Now()
	for k, v := range writeKeys(t, ctx, c, "c", 10) {
		want[k] = v
	}
	t.Logf("writes resumed %s after partitioning the leaseholder", time.Since(start))
	newLH := mustLH(t, ctx, c)
	require.NotEqual(t, lh, newLH)
	c.Heal()
	checkKeys(t, ctx, c, want)
	// The old leaseholder caught up: its applied index reaches the new one's.
	target := newLH.Store().RangeInfo(1)[0].GetAppliedIndex()
	require.Eventually(t, func() bool {
		return lh.Store().RangeInfo(1)[0].GetAppliedIndex() >= target
	}, 20*time.Second, 10*time.Millisecond)
}

// TestTwoOfThreeDown: without quorum, requests fail with a clear
// unavailable error within a bounded time, and succeed again once a node
// returns.
func TestTwoOfThreeDown(t *testing.T) {
	c := New(t, Config{Nodes: 3, RequestTimeout: time.Second})
	ctx := ctxFor(t, 40*time.Second)
	want := writeKeys(t, ctx, c, "a", 5)
	lh := mustLH(t, ctx, c)
	lhi := nodeIndex(c, lh)
	var down []int
	for i := 1; i <= 3; i++ {
		if i != lhi {
			down = append(down, i)
			c.Stop(i)
		}
	}
	// Requests straight to the survivor: a write is at best ambiguous, and
	// once the lease runs out every request is unavailable, each within
	// the request timeout (plus scheduling slack).
	sawUnavailable := false
	deadline := time.Now().Add(15 * time.Second)
	for !sawUnavailable && time.Now().Before(deadline) {
		for _, req := range []*kvpb.RequestUnion{kvpb.NewPut([]byte("x"), []byte("y")), kvpb.NewGet([]byte("a000"))} {
			rctx, cancel := context.WithTimeout(ctx, time.Second)
			start := time.Now()
			_, err := lh.Store().Send(rctx, c.batch(req))
			cancel()
			took := time.Since(start)
			require.Error(t, err)
			// Bounded by the 1s request deadline; generous slack for a loaded machine.
			require.Less(t, took, 15*time.Second, "a request without quorum must fail in bounded time")
			var una *kvpb.UnavailableError
			var amb *kvpb.AmbiguousResultError
			require.True(t, errors.As(err, &una) || errors.As(err, &amb), "unexpected error: %v", err)
			if una != nil {
				sawUnavailable = true
				t.Logf("unavailable after %s: %v", took, err)
			}
		}
	}
	require.True(t, sawUnavailable)
	c.Restart(down[0])
	start := time.Now()
	checkKeys(t, ctx, c, want)
	require.NoError(t, c.Put(ctx, "after", "quorum"))
	t.Logf("available again %s after one node returned", time.Since(start))
}

// TestRestartAll: stopping and restarting every node loses nothing.
func TestRestartAll(t *testing.T) {
	for _, kind := range []TransportKind{Mem, GRPC} {
		t.Run(map[TransportKind]string{Mem: "mem", GRPC: "grpc"}[kind], func(t *testing.T) { testRestartAll(t, kind) })
	}
}

func testRestartAll(t *testing.T, kind TransportKind) {
	c := New(t, Config{Nodes: 3, Transport: kind})
	ctx := ctxFor(t, 40*time.Second)
	want := writeKeys(t, ctx, c, "a", 40)
	for i := 1; i <= 3; i++ {
		c.Stop(i)
	}
	for i := 1; i <= 3; i++ {
		c.Restart(i)
	}
	checkKeys(t, ctx, c, want)
	for k, v := range writeKeys(t, ctx, c, "b", 5) {
		want[k] = v
	}
	// Once more, restarting in another order while writes happen.
	c.Stop(2)
	for k, v := range writeKeys(t, ctx, c, "c", 5) {
		want[k] = v
	}
	c.Stop(1)
	c.Stop(3)
	c.Restart(3)
	c.Restart(2)
	c.Restart(1)
	checkKeys(t, ctx, c, want)
}

// TestSnapshotCatchUp: a follower that misses more than the retained log
// catches up through a snapshot.
func TestSnapshotCatchUp(t *testing.T) {
	for _, kind := range []TransportKind{Mem, GRPC} {
		t.Run(map[TransportKind]string{Mem: "mem", GRPC: "grpc"}[kind], func(t *testing.T) { testSnapshotCatchUp(t, kind, false) })
	}
	// The snapshot is applied by ingesting sstables: a power loss right
	// after it leaves the replica with the snapshot's data and raft state.
	t.Run("crash", func(t *testing.T) { testSnapshotCatchUp(t, Mem, true) })
}

func testSnapshotCatchUp(t *testing.T, kind TransportKind, crash bool) {
	// Small chunks: the snapshot streams in many of them.
	c := New(t, Config{Nodes: 3, RaftLogMaxEntries: 16, Transport: kind, SnapshotChunkBytes: 256, CrashableFS: crash})
	// Generous bounds: under -race on a loaded 2-core machine the grpc
	// variant has needed more than 40 s; the waits end as soon as their
	// condition holds.
	ctx := ctxFor(t, 2*time.Minute)
	lh := mustLH(t, ctx, c)
	lagger := nodeIndex(c, lh)%3 + 1
	n := c.Nodes[lagger-1]
	stoppedAt := n.Store().RangeInfo(1)[0].GetAppliedIndex()
	c.Stop(lagger)
	want := writeKeys(t, ctx, c, "a", 120)
	// Wait until the log is truncated past what the stopped node has (the
	// leader truncates on a tick, so a fast run can finish writing first).
	require.Eventually(t, func() bool {
		infos := mustLH(t, ctx, c).Store().RangeInfo(1)
		return len(infos) == 1 && infos[0].GetTruncatedIndex() > stoppedAt
	}, time.Minute, 10*time.Millisecond, "log never truncated past %d", stoppedAt)
	c.Restart(lagger)
	lagApplied := n.Store().RangeInfo(1)[0].GetAppliedIndex()
	for k, v := range writeKeys(t, ctx, c, "b", 5) {
		want[k] = v
	}
	target := mustLH(t, ctx, c).Store().RangeInfo(1)[0].GetAppliedIndex()
	require.Eventually(t, func() bool {
		infos := n.Store().RangeInfo(1)
		return len(infos) == 1 && infos[0].GetAppliedIndex() >= target
	}, time.Minute, 10*time.Millisecond)
	require.Greater(t, n.Store().Metrics().SnapshotsApplied, int64(0), "caught up from %d without a snapshot", lagApplied)
	// Its data is complete: read its own engine.
	eng := n.engine()
	now := c.Clock().Now()
	for k, v := range want {
		got, ok, err := storage.MVCCGet(eng, []byte(k), now, storage.MVCCReadOptions{})
		require.NoError(t, err)
		require.True(t, ok, "n%d misses %s after catching up", n.ID, k)
		require.Equal(t, v, string(got.Value))
	}
	if crash {
		// Power loss on the caught-up node; the others stop too, so what it
		// has after restarting is what it had synced.
		applied := n.Store().RangeInfo(1)[0].GetAppliedIndex()
		c.Crash(lagger)
		for i := 1; i <= 3; i++ {
			c.Stop(i)
		}
		c.Restart(lagger)
		infos := n.Store().RangeInfo(1)
		require.Len(t, infos, 1)
		require.GreaterOrEqual(t, infos[0].GetAppliedIndex(), lagApplied+1, "applied index after the crash")
		require.LessOrEqual(t, infos[0].GetAppliedIndex(), applied)
		require.Greater(t, infos[0].GetTruncatedIndex(), stoppedAt, "raft state of the snapshot")
		eng, now := n.engine(), c.Clock().Now()
		for k, v := range want {
			got, ok, err := storage.MVCCGet(eng, []byte(k), now, storage.MVCCReadOptions{})
			require.NoError(t, err)
			if !ok && strings.HasPrefix(k, "b") {
				continue // written after the snapshot; may be unsynced
			}
			require.True(t, ok, "n%d lost %s from its snapshot in the crash", n.ID, k)
			require.Equal(t, v, string(got.Value))
		}
		for i := 1; i <= 3; i++ {
			c.Restart(i)
		}
	}
	checkKeys(t, ctx, c, want)
}

// TestReplicaChangesUnderLoad: adding and removing replicas while writers
// run loses nothing; a removed replica is garbage-collected.
func TestReplicaChangesUnderLoad(t *testing.T) {
	c := New(t, Config{Nodes: 4, Replicas: 3})
	ctx := ctxFor(t, 90*time.Second)
	var mu sync.Mutex
	acked := map[string]string{}
	var stop atomic.Bool
	var wg sync.WaitGroup
	t.Cleanup(func() { stop.Store(true); wg.Wait() })
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				k, v := fmt.Sprintf("w%d-%04d", w, i), fmt.Sprint(i)
				wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err := c.Put(wctx, k, v)
				cancel()
				if err == nil {
					mu.Lock()
					acked[k] = v
					mu.Unlock()
				}
			}
		}()
	}
	lh := mustLH(t, ctx, c)
	require.NotNil(t, lh, "no leaseholder: %v", c.describe())
	var victim *Node
	for _, n := range c.Nodes[:3] {
		if n != lh {
			victim = n
			break
		}
	}
	c.AddVoter(ctx, 1, c.Nodes[3])
	c.RemoveReplica(ctx, 1, victim)
	// The removed replica is collected on its store.
	require.Eventually(t, func() bool { return len(victim.Store().RangeInfo(1)) == 0 }, 20*time.Second, 10*time.Millisecond)
	// Its data went with it (the user span is excised, the range-local
	// state cleared); only the tombstone stays.
	d := lh.Store().RangeInfo(1)[0].GetDesc()
	us, ue := rangekeys.UserSpan(d.GetStartKey(), d.GetEndKey())
	require.Zero(t, countEngineKeys(t, victim.Engine(), us, ue), "user keys left on the removed replica's store")
	require.Zero(t, countEngineKeys(t, victim.Engine(), rangekeys.ReplicatedPrefix(1), rangekeys.ReplicatedEnd(1)), "replicated state left")
	require.Equal(t, 1, countEngineKeys(t, victim.Engine(), rangekeys.UnreplicatedPrefix(1), rangekeys.UnreplicatedEnd(1)), "only the tombstone stays")
	// Re-adding the same store gives it a new replica ID.
	c.AddVoter(ctx, 1, victim)
	c.RemoveReplica(ctx, 1, c.Nodes[3])
	stop.Store(true)
	wg.Wait()
	final := mustLH(t, ctx, c)
	require.NotNil(t, final, "no leaseholder after the replica changes: %v", c.describe())
	desc := final.Store().RangeInfo(1)[0].GetDesc()
	require.Len(t, desc.GetReplicas(), 3)
	mu.Lock()
	t.Logf("%d acknowledged writes during replica changes; final descriptor %v", len(acked), desc)
	require.NotEmpty(t, acked)
	checkKeys(t, ctx, c, acked)
	mu.Unlock()
}

// TestMessageFaults: with the in-memory network dropping, delaying,
// duplicating and reordering Raft messages, writes still complete and
// nothing acknowledged is lost.
func TestMessageFaults(t *testing.T) {
	seed := testSeed(t)
	c := New(t, Config{Nodes: 3, Seed: seed})
	ctx := ctxFor(t, 60*time.Second)
	c.Net.SetFaults(ranges.MemFaults{DropRate: 0.1, DuplicateRate: 0.1, ReorderRate: 0.1, MaxDelay: 5 * time.Millisecond})
	want := writeKeys(t, ctx, c, "f", 40)
	lh := mustLH(t, ctx, c)
	c.Stop(nodeIndex(c, lh))
	checkKeys(t, ctx, c, want)
	c.Restart(nodeIndex(c, lh))
	c.Net.SetFaults(ranges.MemFaults{})
	checkKeys(t, ctx, c, want)
}

// TestTransferLeaseToLaggingReplica: a lease transfer to a voter that is
// behind (here: down, so it misses writes) is refused and the lease stays
// with its holder, which keeps serving; once the voter has caught up the
// transfer goes through.
func TestTransferLeaseToLaggingReplica(t *testing.T) {
	c := New(t, Config{Nodes: 3})
	ctx := ctxFor(t, 40*time.Second)
	lh := mustLH(t, ctx, c)
	lagger := c.Nodes[nodeIndex(c, lh)%3]
	c.Stop(nodeIndex(c, lagger))
	want := writeKeys(t, ctx, c, "a", 10)
	tctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	_, err := lh.Store().TransferLease(tctx, 1, &kvpb.ReplicaTarget{NodeId: uint64(lagger.ID), StoreId: uint64(lagger.StoreID)})
	cancel()
	var ue *kvpb.UnavailableError
	require.ErrorAs(t, err, &ue)
	require.Contains(t, ue.GetReason(), "has not caught up")
	// With a long deadline the transfer does not wait it out: it gives up
	// on its own (ErrLeaseTargetBehind, not the context's end), so the
	// range's admin slot and the caller's placement step are not held.
	_, err = lh.Store().TransferLease(ctx, 1, &kvpb.ReplicaTarget{NodeId: uint64(lagger.ID), StoreId: uint64(lagger.StoreID)})
	require.ErrorIs(t, err, ranges.ErrLeaseTargetBehind)
	require.NoError(t, ctx.Err())
	info := lh.Store().RangeInfo(1)[0]
	require.True(t, info.GetLeaseValid())
	require.Equal(t, uint64(lh.StoreID), info.GetLease().GetReplica().GetStoreId(), "the lease stayed")
	for k, v := range writeKeys(t, ctx, c, "b", 5) {
		want[k] = v
	}
	c.Restart(nodeIndex(c, lagger))
	// The lagger catches up after its restart; until then the transfer is
	// refused (the caller tries again).
	var l *kvpb.Lease
	for {
		l, err = lh.Store().TransferLease(ctx, 1, &kvpb.ReplicaTarget{NodeId: uint64(lagger.ID), StoreId: uint64(lagger.StoreID)})
		if !errors.Is(err, ranges.ErrLeaseTargetBehind) {
			break
		}
	}
	require.NoError(t, err)
	require.Equal(t, uint64(lagger.StoreID), l.GetReplica().GetStoreId())
	checkKeys(t, ctx, c, want)
}

// TestTransferLease: the lease moves to the chosen voter at once (not
// after expiry), Raft leadership follows, writes continue and nothing
// acknowledged is lost.
func TestTransferLease(t *testing.T) {
	c := New(t, Config{Nodes: 3, LeaseDuration: 5 * time.Second})
	ctx := ctxFor(t, 40*time.Second)
	want := writeKeys(t, ctx, c, "a", 10)
	var stop atomic.Bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	t.Cleanup(func() { stop.Store(true); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			k := fmt.Sprintf("t%04d", i)
			if err := c.Put(ctx, k, "v"); err == nil {
				mu.Lock()
				want[k] = "v"
				mu.Unlock()
			}
		}
	}()
	for round := 0; round < 3; round++ {
		lh := mustLH(t, ctx, c)
		require.NotNil(t, lh)
		target := c.Nodes[nodeIndex(c, lh)%3]
		start := time.Now()
		old := lh.Store().RangeInfo(1)[0].GetLease()
		l, err := lh.Store().TransferLease(ctx, 1, &kvpb.ReplicaTarget{NodeId: uint64(target.ID), StoreId: uint64(target.StoreID)})
		require.NoError(t, err)
		require.Equal(t, uint64(target.StoreID), l.GetReplica().GetStoreId())
		// The new lease did not wait for the old one to expire.
		require.True(t, l.GetStart().HLC().Less(old.GetExpiration().HLC()), "new lease %v, old %v", l, old)
		require.Eventually(t, func() bool {
			info := target.Store().RangeInfo(1)[0]
			return info.GetLeaseValid() && info.GetRaftLeaderReplicaId() == info.GetReplicaId()
		}, 10*time.Second, 5*time.Millisecond)
		t.Logf("lease and leadership moved n%d -> n%d in %s", lh.ID, target.ID, time.Since(start))
	}
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	checkKeys(t, ctx, c, want)
}

// TestLogTruncation: with every follower live, the leader truncates the
// log up to what all of them have, well before the size bound forces it.
func TestLogTruncation(t *testing.T) {
	c := New(t, Config{Nodes: 3, RaftLogMaxEntries: 400})
	ctx := ctxFor(t, 40*time.Second)
	writeKeys(t, ctx, c, "a", 150)
	require.Eventually(t, func() bool {
		for _, n := range c.Nodes {
			info := n.Store().RangeInfo(1)[0]
			if info.GetTruncatedIndex() <= 20 {
				return false
			}
		}
		return true
	}, 20*time.Second, 10*time.Millisecond, "log not truncated: %v", c.describe())
	// Nobody needed a snapshot for it.
	for _, n := range c.Nodes {
		require.LessOrEqual(t, n.Store().Metrics().SnapshotsApplied, int64(1), "n%d", n.ID)
	}
}

// mustLH returns range 1's leaseholder or fails the test with every
// node's view.
func mustLH(t *testing.T, ctx context.Context, c *Cluster) *Node {
	t.Helper()
	lh := c.Leaseholder(ctx, 1)
	require.NotNil(t, lh, "no leaseholder for r1: %s", c.describe())
	return lh
}

// TestCrashRecovery: nodes lose everything not synced (power loss, not a
// clean stop): the applied state (written without sync) falls behind the
// synced log and is re-applied idempotently; no acknowledged write is
// lost, including after crashing every node at once.
func TestCrashRecovery(t *testing.T) {
	c := New(t, Config{Nodes: 3, CrashableFS: true})
	ctx := ctxFor(t, 60*time.Second)
	want := writeKeys(t, ctx, c, "a", 30)
	lh := mustLH(t, ctx, c)
	c.Crash(nodeIndex(c, lh))
	for k, v := range writeKeys(t, ctx, c, "b", 10) {
		want[k] = v
	}
	c.Restart(nodeIndex(c, lh))
	checkKeys(t, ctx, c, want)
	for i := 1; i <= 3; i++ {
		c.Crash(i)
	}
	for i := 1; i <= 3; i++ {
		c.Restart(i)
	}
	checkKeys(t, ctx, c, want)
	for k, v := range writeKeys(t, ctx, c, "c", 5) {
		want[k] = v
	}
	checkKeys(t, ctx, c, want)
}

// TestCrashRecoveryConcurrent: concurrent writers keep the leaseholder's
// Raft cycles full, so committed entries are applied (and acknowledged)
// before the fsync of the entries proposed after them; crashing a node
// mid-stream, keeping a random part of what it had not synced (so its
// applied state may be ahead of what it synced in the same cycle), loses
// no acknowledged write, and the node restarts.
func TestCrashRecoveryConcurrent(t *testing.T) {
	c := New(t, Config{Nodes: 3, CrashableFS: true})
	ctx := ctxFor(t, 90*time.Second)
	rng := rand.New(rand.NewPCG(1, 2))
	var mu sync.Mutex
	want := map[string]string{}
	var early int64
	for round := 0; round < 3; round++ {
		stop := make(chan struct{})
		var acked atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					k, v := fmt.Sprintf("r%dw%di%04d", round, w, i), fmt.Sprintf("v%d", i)
					opCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
					err := c.Put(opCtx, k, v)
					cancel()
					if err == nil {
						mu.Lock()
						want[k] = v
						mu.Unlock()
						acked.Add(1)
					}
				}
			}()
		}
		// Crash once the writers have had acknowledgements, while they
		// are still writing.
		for acked.Load() < 100 {
			require.NoError(t, ctx.Err(), "writers made no progress: %s", c.describe())
			time.Sleep(time.Millisecond)
		}
		for _, n := range c.Nodes {
			if n.Running() {
				early += n.Store().Metrics().EntriesAppliedEarly
			}
		}
		victim := nodeIndex(c, mustLH(t, ctx, c))
		if round == 1 {
			victim = victim%3 + 1 // a follower
		}
		c.CrashKeeping(victim, 50, rng)
		for acked.Load() < 150 {
			require.NoError(t, ctx.Err(), "writers made no progress after the crash: %s", c.describe())
			time.Sleep(time.Millisecond)
		}
		close(stop)
		wg.Wait()
		c.Restart(victim)
		mu.Lock()
		checkKeys(t, ctx, c, want)
		mu.Unlock()
	}
	require.Positive(t, early, "no entry was applied before its cycle's fsync: the test does not exercise that path")
}

// countEngineKeys counts the engine keys whose user key is in [lo, hi).
func countEngineKeys(t *testing.T, eng storage.Engine, lo, hi []byte) int {
	t.Helper()
	it, err := storage.NewEngineIterator(eng, lo, hi)
	require.NoError(t, err)
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	require.NoError(t, it.Error())
	return n
}
