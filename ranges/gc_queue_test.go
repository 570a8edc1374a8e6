package ranges_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/ranges/rangetest"
)

// countVersions counts the MVCC versions stored for user key k.
func countVersions(t *testing.T, eng storage.Engine, k string) int {
	it, err := storage.NewEngineIterator(eng, []byte(k), []byte(k+"\x00"))
	require.NoError(t, err)
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if _, ts, err := storage.DecodeEngineKey(it.EngineKey()); err == nil && !ts.IsEmpty() {
			n++
		}
	}
	require.NoError(t, it.Error())
	return n
}

func getAt(ctx context.Context, s *ranges.Store, rangeID kvpb.RangeID, k string, ts hlc.Timestamp) (*kvpb.GetResponse, error) {
	ba := &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: uint64(rangeID), Timestamp: kvpb.TS(ts)}, Requests: []*kvpb.RequestUnion{kvpb.NewGet([]byte(k))}}
	br, err := s.Send(ctx, ba)
	if err != nil {
		return nil, err
	}
	return br.GetResponses()[0].GetGet(), nil
}

func requireBeforeGC(t *testing.T, err error) *kvpb.BatchTimestampBeforeGCError {
	t.Helper()
	var gce *kvpb.BatchTimestampBeforeGCError
	require.True(t, errors.As(err, &gce), "want BatchTimestampBeforeGCError, got %v", err)
	require.Contains(t, err.Error(), "must be after replica GC threshold")
	require.False(t, kvpb.IsRetryable(err))
	return gce
}

func requireStatsConsistent(t *testing.T, s *ranges.Store, eng storage.Engine, rangeID kvpb.RangeID) {
	t.Helper()
	infos := s.RangeInfo(rangeID)
	require.Len(t, infos, 1)
	d := infos[0].GetDesc()
	start, end := rangekeys.UserSpan(d.GetStartKey(), d.GetEndKey())
	got, err := storage.ComputeStats(eng, start, end)
	require.NoError(t, err)
	require.Equal(t, got, ranges.StatsFromProto(infos[0].GetStats()), "r%d: stats after GC must equal recomputed stats", rangeID)
}

// TestGCQueue: the GC pass removes shadowed versions and deleted keys at
// now - TTL, raises the range's replicated GC threshold (which survives a
// restart), reads and writes at or below it fail with the typed error,
// reads above it see what they saw before, stats stay exact.
func TestGCQueue(t *testing.T) {
	const ttl = time.Second
	c := rangetest.New(t, rangetest.Config{Nodes: 1, GCTTL: ttl})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := c.Nodes[0].Store()
	clock := c.Clock()
	require.NoError(t, c.Put(ctx, "a", "1"))
	t1 := clock.Now()
	require.NoError(t, c.Put(ctx, "a", "2"))
	require.NoError(t, c.Put(ctx, "b", "1"))
	del := &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: 1}, Requests: []*kvpb.RequestUnion{{Value: &kvpb.RequestUnion_Delete{Delete: &kvpb.DeleteRequest{Key: []byte("b")}}}}}
	_, err := s.Send(ctx, del)
	require.NoError(t, err)
	t2 := clock.Now()
	// Let t2 fall more than the TTL behind (a condition on the clock).
	require.Eventually(t, func() bool { return clock.Now().WallTime > t2.WallTime+int64(ttl) }, 30*time.Second, 10*time.Millisecond)
	require.NoError(t, c.Put(ctx, "a", "3"))
	t3 := clock.Now()
	eng := c.Nodes[0].Engine()
	require.Equal(t, 3, countVersions(t, eng, "a"))
	require.Equal(t, 2, countVersions(t, eng, "b"))

	res, err := s.RunGC(ctx)
	require.NoError(t, err)
	t.Logf("GC: %+v", res)
	r, ok := s.GetReplica(1)
	require.True(t, ok)
	th := r.GCThreshold()
	require.True(t, t2.Less(th) && th.Less(t3), "threshold %s must be in (%s, %s): GC ran more than the TTL after the last write", th, t2, t3)
	require.Equal(t, int64(3), res.VersionsRemoved) // a@t1, and b's tombstone and value
	require.Equal(t, 2, countVersions(t, eng, "a"))
	require.Equal(t, 0, countVersions(t, eng, "b"))
	requireStatsConsistent(t, s, eng, 1)

	// At or below the threshold: refused, reads and writes alike.
	_, err = getAt(ctx, s, 1, "a", t1)
	gce := requireBeforeGC(t, err)
	require.Equal(t, th, gce.GetThreshold().HLC())
	_, err = getAt(ctx, s, 1, "a", th)
	requireBeforeGC(t, err)
	put := &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: 1, Timestamp: kvpb.TS(th)}, Requests: []*kvpb.RequestUnion{kvpb.NewPut([]byte("c"), []byte("x"))}}
	_, err = s.Send(ctx, put)
	requireBeforeGC(t, err)
	// Above it: history intact.
	g, err := getAt(ctx, s, 1, "a", th.Next())
	require.NoError(t, err)
	if th.Next().Less(t3) {
		require.Equal(t, "2", string(g.GetValue()))
	}
	g, err = getAt(ctx, s, 1, "a", hlc.Timestamp{})
	require.NoError(t, err)
	require.Equal(t, "3", string(g.GetValue()))
	g, err = getAt(ctx, s, 1, "b", hlc.Timestamp{})
	require.NoError(t, err)
	require.False(t, g.GetFound())

	// Idempotent.
	res, err = s.RunGC(ctx)
	require.NoError(t, err)
	require.Zero(t, res.VersionsRemoved)

	// Replicated state: it survives a restart.
	th = r.GCThreshold()
	c.Stop(1)
	c.Restart(1)
	s = c.Nodes[0].Store()
	r, ok = s.GetReplica(1)
	require.True(t, ok)
	require.Equal(t, th, r.GCThreshold())
	_, err = getAt(ctx, s, 1, "a", t1)
	requireBeforeGC(t, err)
	v, found, err := c.Get(ctx, "a")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "3", v)
}

// TestGCThresholdSplitMerge: both halves of a split inherit the GC
// threshold; a merge keeps the higher of the two.
func TestGCThresholdSplitMerge(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 1, GCTTL: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := c.Nodes[0].Store()
	clock := c.Clock()
	require.NoError(t, c.Put(ctx, "a", "1"))
	require.NoError(t, c.Put(ctx, "x", "1"))
	start := clock.Now()
	require.Eventually(t, func() bool { return clock.Now().WallTime > start.WallTime+int64(time.Millisecond) }, 30*time.Second, time.Millisecond)
	_, err := s.RunGC(ctx)
	require.NoError(t, err)
	left, _ := s.GetReplica(1)
	th := left.GCThreshold()
	require.False(t, th.IsEmpty())

	_, rightDesc, err := s.AdminSplit(ctx, []byte("m"), 2)
	require.NoError(t, err)
	var right *ranges.Replica
	require.Eventually(t, func() bool { var ok bool; right, ok = s.GetReplica(2); return ok && right.Desc() != nil }, 30*time.Second, 10*time.Millisecond)
	require.Equal(t, th, right.GCThreshold(), "the right half inherits the threshold")
	require.Equal(t, th, left.GCThreshold())

	// Raise only the right's threshold (a GC request without keys).
	higher := clock.Now()
	ba := &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: 2}, Requests: []*kvpb.RequestUnion{{Value: &kvpb.RequestUnion_Gc{Gc: &kvpb.GCRequest{
		Key: rightDesc.GetStartKey(), EndKey: rightDesc.GetEndKey(), Threshold: kvpb.TS(higher)}}}}}
	require.Eventually(t, func() bool { _, err := s.Send(ctx, ba); return err == nil }, 30*time.Second, 10*time.Millisecond)
	require.Equal(t, higher, right.GCThreshold())
	require.Equal(t, th, left.GCThreshold())
	// A threshold never goes down.
	ba.Requests[0].GetGc().Threshold = kvpb.TS(th)
	_, err = s.Send(ctx, ba)
	require.NoError(t, err)
	require.Equal(t, higher, right.GCThreshold())

	_, err = getAt(ctx, s, 2, "x", higher)
	requireBeforeGC(t, err)
	g, err := getAt(ctx, s, 1, "a", higher)
	require.NoError(t, err, "the left range's threshold is lower")
	require.Equal(t, "1", string(g.GetValue()))

	rd, rstats, _, err := s.Subsume(ctx, 2, 1)
	require.NoError(t, err)
	_, err = s.CommitMerge(ctx, 1, rd, rstats)
	require.NoError(t, err)
	require.Equal(t, higher, left.GCThreshold(), "the merged range keeps the higher threshold")
	_, err = getAt(ctx, s, 1, "a", higher)
	requireBeforeGC(t, err)
}

// TestGCTxnRecords: finalized records older than the record GC age are
// removed (PENDING ones stay), and a txn whose record may have been
// removed cannot create one again.
func TestGCTxnRecords(t *testing.T) {
	const age = 200 * time.Millisecond
	c := rangetest.New(t, rangetest.Config{Nodes: 1, TxnRecordGCAge: age})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := c.Nodes[0].Store()
	clock := c.Clock()
	require.NoError(t, c.Put(ctx, "warm", "up"))
	eng := c.Nodes[0].Engine()
	hasRecord := func(x *testTxn) bool {
		_, ok, err := eng.GetRaw(keys.TxnRecordKey(x.txn.GetMeta().GetKey(), x.txn.ID()))
		require.NoError(t, err)
		return ok
	}
	a := newTestTxn(t, s, 1, "k1", 1)
	require.NoError(t, a.put(ctx, "k1", "a"))
	require.NoError(t, a.commit(ctx)) // not 1PC: its intent was laid earlier
	require.True(t, hasRecord(a), "a finalized record stays after commit")
	b := newTestTxn(t, s, 2, "k2", 1)
	_, err := b.send(ctx, kvpb.NewHeartbeatTxn([]byte("k2"), clock.Now()))
	require.NoError(t, err)
	require.True(t, hasRecord(b))
	done := clock.Now()
	require.Eventually(t, func() bool { return clock.Now().WallTime > done.WallTime+int64(age) }, 30*time.Second, 10*time.Millisecond)

	res, err := s.RunGC(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), res.RecordsRemoved)
	require.False(t, hasRecord(a), "the old COMMITTED record is gone")
	require.True(t, hasRecord(b), "a PENDING record stays")
	v, found, err := c.Get(ctx, "k1")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "a", v)

	// A late heartbeat of the collected txn may not re-create its record.
	_, err = a.send(ctx, kvpb.NewHeartbeatTxn([]byte("k1"), clock.Now()))
	var tae *kvpb.TransactionAbortedError
	require.True(t, errors.As(err, &tae), "%v", err)
	require.False(t, hasRecord(a))
}

// TestGCThresholdSnapshot: a replica added after the GC learns the
// threshold from its snapshot and refuses reads below it too.
func TestGCThresholdSnapshot(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 2, Replicas: 1, GCTTL: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := c.Nodes[0].Store()
	clock := c.Clock()
	require.NoError(t, c.Put(ctx, "a", "1"))
	start := clock.Now()
	require.Eventually(t, func() bool { return clock.Now().WallTime > start.WallTime+int64(time.Millisecond) }, 30*time.Second, time.Millisecond)
	_, err := s.RunGC(ctx)
	require.NoError(t, err)
	r, _ := s.GetReplica(1)
	th := r.GCThreshold()
	require.False(t, th.IsEmpty())

	c.AddVoter(ctx, 1, c.Nodes[1])
	s2 := c.Nodes[1].Store()
	require.Eventually(t, func() bool {
		r2, ok := s2.GetReplica(1)
		return ok && r2.Desc() != nil && r2.GCThreshold() == th
	}, 30*time.Second, 10*time.Millisecond, "the new replica learns the threshold")
	require.Positive(t, s2.Metrics().SnapshotsApplied, "it came with a snapshot")
}
