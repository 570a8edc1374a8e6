package servertest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/ranges"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/server"
	"github.com/tesseradb/tessera/server/servertest"
)

func countVersions(eng storage.Engine, k string) (int, error) {
	it, err := storage.NewEngineIterator(eng, []byte(k), []byte(k+"\x00"))
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if _, ts, err := storage.DecodeEngineKey(it.EngineKey()); err == nil && !ts.IsEmpty() {
			n++
		}
	}
	return n, it.Error()
}

// readAt scans [start, end) in a historical transaction at ts.
func readAt(ctx context.Context, db *kvclient.DB, ts hlc.Timestamp, start, end string) (map[string]string, error) {
	out := map[string]string{}
	err := db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
		if err := txn.SetFixedTimestamp(ts); err != nil {
			return err
		}
		kvs, err := txn.Scan(ctx, []byte(start), []byte(end), 0)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			out[string(kv.Key)] = string(kv.Value)
		}
		return nil
	})
	return out, err
}

// TestHistoricalReadsAndGC: reads at a fixed past timestamp work across
// ranges until the GC queue (gc.ttl set small through the settings RPC,
// the pass triggered by hand) raises the ranges' GC threshold past them;
// then they fail with the typed, non-retryable
// BatchTimestampBeforeGCError, old versions are gone from every
// replica's engine, current reads are intact and stats are exact.
func TestHistoricalReadsAndGC(t *testing.T) {
	c := servertest.Start(t, servertest.Config{Knobs: server.Knobs{DisablePlacementDriver: true, GCInterval: -1}})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	db := c.DB(kvclient.Config{})
	require.NoError(t, c.Split(ctx, []byte("gc/m")))
	for _, v := range []string{"1", "2"} {
		require.NoError(t, db.Put(ctx, []byte("gc/a"), []byte(v)))
		require.NoError(t, db.Put(ctx, []byte("gc/z"), []byte(v)))
	}
	t2 := db.Clock().Now()
	require.NoError(t, db.Del(ctx, []byte("gc/z")))
	// Historical reads across the two ranges, before any GC.
	got, err := readAt(ctx, db, t2, "gc/", "gc/~")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"gc/a": "2", "gc/z": "2"}, got)

	// gc.ttl through the settings RPC, as `tessera settings set` does.
	conn, err := db.Conn(c.Addrs[0])
	require.NoError(t, err)
	pc := placementpb.NewPlacementClient(conn)
	_, err = pc.SetSetting(ctx, &placementpb.SetSettingRequest{Name: "gc.ttl", Value: "10s"})
	require.NoError(t, err)
	_, err = pc.SetSetting(ctx, &placementpb.SetSettingRequest{Name: "gc.ttl", Value: "soon"})
	require.Error(t, err)
	const ttl = 2 * time.Second
	_, err = pc.SetSetting(ctx, &placementpb.SetSettingRequest{Name: "gc.ttl", Value: ttl.String()})
	require.NoError(t, err)

	// Let t2 fall more than the TTL behind, then write a newer version.
	c.WaitFor(30*time.Second, "clock past t2 + ttl", func() error {
		if db.Clock().Now().WallTime <= t2.WallTime+int64(ttl) {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	require.NoError(t, db.Put(ctx, []byte("gc/a"), []byte("3")))
	for i := range c.Addrs {
		res, err := c.Node(i).RunGC(ctx)
		require.NoError(t, err, "n%d", i+1)
		t.Logf("n%d GC: %+v", i+1, res)
	}

	// Old versions are gone from every replica (followers apply the GC
	// commands shortly after the leaseholder).
	c.WaitFor(30*time.Second, "old versions collected on every node", func() error {
		for i := range c.Addrs {
			eng := c.Node(i).Engine()
			a, err := countVersions(eng, "gc/a")
			if err != nil {
				return err
			}
			z, err := countVersions(eng, "gc/z")
			if err != nil {
				return err
			}
			// gc/a keeps 3 and 2 (the newest at or below the threshold);
			// gc/z's tombstone was the newest: everything goes.
			if a != 2 || z != 0 {
				return fmt.Errorf("n%d: gc/a has %d versions (want 2), gc/z has %d (want 0)", i+1, a, z)
			}
		}
		return nil
	})

	// Below the threshold: a clear, typed, non-retryable error.
	_, err = readAt(ctx, db, t2, "gc/", "gc/~")
	var gce *kvpb.BatchTimestampBeforeGCError
	require.True(t, errors.As(err, &gce), "want BatchTimestampBeforeGCError, got %v", err)
	require.False(t, kvpb.IsRetryable(err))
	require.Contains(t, err.Error(), "must be after replica GC threshold")
	require.True(t, t2.LessEq(gce.GetThreshold().HLC()))
	// Each range refuses on its own (a read of the right range only).
	_, err = readAt(ctx, db, t2, "gc/y", "gc/~")
	require.True(t, errors.As(err, &gce), "%v", err)

	// Current and recent historical reads are intact.
	got, err = readAt(ctx, db, db.Clock().Now(), "gc/", "gc/~")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"gc/a": "3"}, got)
	v, found, err := db.Get(ctx, []byte("gc/a"))
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "3", string(v))

	// Stats stay exact on every replica.
	c.WaitFor(30*time.Second, "stats equal recomputed stats", func() error {
		for i := range c.Addrs {
			n := c.Node(i)
			for _, info := range n.Store().RangeInfo(0) {
				d := info.GetDesc()
				start, end := rangekeys.UserSpan(d.GetStartKey(), d.GetEndKey())
				want, err := storage.ComputeStats(n.Engine(), start, end)
				if err != nil {
					return err
				}
				if got := ranges.StatsFromProto(info.GetStats()); got != want {
					return fmt.Errorf("n%d r%d: stats %v, recomputed %v", i+1, d.GetRangeId(), got, want)
				}
			}
		}
		return nil
	})
}
