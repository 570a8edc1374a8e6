package servertest_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
	pb "github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/server/servertest"
)

// setSettings stores cluster settings through node 0 and waits until
// every running node reads them.
func setSettings(ctx context.Context, t *testing.T, c *servertest.Cluster, p pb.PlacementClient, kv map[string]string) {
	t.Helper()
	for name, v := range kv {
		_, err := p.SetSetting(ctx, &pb.SetSettingRequest{Name: name, Value: v})
		require.NoError(t, err, name)
	}
	c.WaitFor(30*time.Second, "every node reads the settings", func() error {
		for i := range c.Addrs {
			if !c.Running(i) {
				continue
			}
			list, err := c.Placement(i).ListSettings(ctx, &pb.ListSettingsRequest{})
			if err != nil {
				return err
			}
			for _, s := range list.GetSettings() {
				if want, ok := kv[s.GetName()]; ok && s.GetValue() != want {
					return fmt.Errorf("n%d: %s=%s, want %s", i+1, s.GetName(), s.GetValue(), want)
				}
			}
		}
		return nil
	})
}

// tiling checks that the listed ranges follow one another without gap
// or overlap: the meta records are updated after a split or merge
// commits, so a list read in between can show both the old and the new
// descriptor for a moment.
func tiling(rs []*kvpb.RangeListEntry) error {
	for i := 1; i < len(rs); i++ {
		if p, d := rs[i-1].GetDesc(), rs[i].GetDesc(); !bytes.Equal(p.GetEndKey(), d.GetStartKey()) {
			return fmt.Errorf("meta in flux: r%d ends at %q, r%d starts at %q", p.GetRangeId(), p.GetEndKey(), d.GetRangeId(), d.GetStartKey())
		}
	}
	return nil
}

func hotKey(i int) []byte { return []byte(fmt.Sprintf("\x04hot/%03d", i)) }

// TestHotRangeLoadSplit: three nodes; a client hammers the 100 keys of
// one range (uniformly, reads and writes) above a lowered load_split_qps.
// load_split_window stays at its default (10s). Within 30 s the driver splits the range by load at a sampled key that
// divides the hammered keys (neither side gets less than a fifth), and
// moves the lease of one half to another node (the halves end on
// different leaseholders).
func TestHotRangeLoadSplit(t *testing.T) {
	c := servertest.Start(t, servertest.Config{Nodes: 3, Knobs: fastPlacementKnobs()})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p := c.Placement(0)
	// range_min_bytes 0: the empty halves are not merged back;
	// range_cooldown 0: the fresh halves may have their lease moved.
	setSettings(ctx, t, c, p, map[string]string{
		"load_split_qps": "50", "range_cooldown": "0s", "range_min_bytes": "0",
	})
	lo, hi := []byte("\x04hot/"), []byte("\x04hot0")
	require.NoError(t, c.Split(ctx, lo))
	require.NoError(t, c.Split(ctx, hi))
	a := c.Admin(0)
	hotRanges := func() ([]*kvpb.RangeListEntry, error) {
		resp, err := a.RangesList(ctx, &kvpb.RangesListRequest{StartKey: lo, EndKey: hi})
		if err != nil {
			return nil, err
		}
		return resp.GetRanges(), tiling(resp.GetRanges())
	}
	var holder kvpb.NodeID
	c.WaitFor(60*time.Second, "the hot range has 3 voters and a leaseholder", func() error {
		rs, err := hotRanges()
		if err != nil {
			return err
		}
		if len(rs) != 1 || len(rs[0].GetDesc().Voters()) != 3 || rs[0].GetLeaseholder() == nil {
			return fmt.Errorf("%v", rs)
		}
		holder = rs[0].GetLeaseholder().NodeID()
		return nil
	})
	t.Logf("hot range r%d leased on n%d", func() uint64 { rs, _ := hotRanges(); return rs[0].GetDesc().GetRangeId() }(), holder)

	db := c.DB(kvclient.Config{})
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ops, errs int
	var firstErr error
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for n := 0; wctx.Err() == nil; n++ {
				k := hotKey(rng.IntN(100))
				var err error
				if n%4 == 0 {
					err = db.Put(wctx, k, []byte("v"))
				} else {
					_, _, err = db.Get(wctx, k)
				}
				mu.Lock()
				ops++
				if err != nil && wctx.Err() == nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
				}
				mu.Unlock()
			}
		}()
	}
	defer func() { stop(); wg.Wait() }()
	start := time.Now()
	var split time.Duration
	var splitKey []byte
	c.WaitFor(30*time.Second, "a load split and the halves' leases on different nodes", func() error {
		rs, err := hotRanges()
		if err != nil {
			return err
		}
		if len(rs) < 2 {
			return fmt.Errorf("%d range(s) over the hot keys", len(rs))
		}
		if split == 0 {
			split = time.Since(start)
			splitKey = rs[1].GetDesc().GetStartKey()
			t.Logf("load split after %s at %q", split.Round(time.Millisecond), splitKey)
		}
		holders := map[kvpb.NodeID]bool{}
		for _, r := range rs {
			if r.GetLeaseholder() == nil {
				return fmt.Errorf("r%d has no leaseholder", r.GetDesc().GetRangeId())
			}
			holders[r.GetLeaseholder().NodeID()] = true
		}
		if len(holders) < 2 {
			return fmt.Errorf("every hot range still leased on %v", holders)
		}
		return nil
	})
	t.Logf("lease moved %s after the load started", time.Since(start).Round(time.Millisecond))
	stop()
	wg.Wait()
	mu.Lock()
	t.Logf("%d ops, %d errors (first: %v)", ops, errs, firstErr)
	require.Zero(t, errs, "first: %v", firstErr)
	mu.Unlock()
	// The load-split key divides the uniformly hammered keys.
	left := 0
	for i := 0; i < 100; i++ {
		if bytes.Compare(hotKey(i), splitKey) < 0 {
			left++
		}
	}
	require.GreaterOrEqual(t, left, 20, "split at %q", splitKey)
	require.LessOrEqual(t, left, 80, "split at %q", splitKey)
}
