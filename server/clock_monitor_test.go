package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestClockMonitor: offsets are measured from the physical time in the
// reply headers; a node far from a majority of its peers refuses KV
// batches (and serves again once back in bounds).
func TestClockMonitor(t *testing.T) {
	c := newTestCluster(t, 1)
	srv := c.nodes[0]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// A client whose physical clock is 2s behind sees the node 2s ahead.
	behind := hlc.NewClock(func() int64 { return time.Now().Add(-2 * time.Second).UnixNano() }, hlc.DefaultMaxOffset)
	kv, err := kvclient.NewDB(kvclient.Config{Addrs: c.addrs, Clock: behind})
	require.NoError(t, err)
	defer kv.Close()
	conn, err := kv.Conn(c.addrs[0])
	require.NoError(t, err)
	m, ok := measureOffset(ctx, kvpb.NewAdminClient(conn), behind)
	require.True(t, ok)
	require.InDelta(t, float64(2*time.Second), float64(m.Offset), float64(m.Uncertainty+100*time.Millisecond), "offset %s ± %s", m.Offset, m.Uncertainty)

	_, err = admin(t, c.addrs[0]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	waitFor(t, 10*time.Second, "node running", func() error {
		if srv.store() == nil {
			return errors.New("not running")
		}
		return nil
	})
	batch := &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: 1}, Requests: []*kvpb.RequestUnion{kvpb.NewGet([]byte("\x04k"))}}
	internal := &internalServer{s: srv}

	// Two of three peers far away: refuse.
	now := srv.clock.PhysicalNow()
	srv.clockMon.mon.Record("p1", hlc.OffsetMeasurement{Offset: 2 * time.Second, At: now})
	srv.clockMon.mon.Record("p2", hlc.OffsetMeasurement{Offset: -3 * time.Second, At: now})
	srv.clockMon.mon.Record("p3", hlc.OffsetMeasurement{Offset: time.Millisecond, At: now})
	srv.checkClock()
	br, err := internal.Batch(ctx, batch)
	require.NoError(t, err)
	var una *kvpb.UnavailableError
	require.True(t, errors.As(br.GetError().GoError(), &una), "%v", br.GetError())
	require.Contains(t, una.GetReason(), "clock offset")

	// Back in bounds with a majority: serve.
	srv.clockMon.mon.Record("p1", hlc.OffsetMeasurement{Offset: 10 * time.Millisecond, At: now})
	srv.checkClock()
	waitFor(t, 10*time.Second, "batch served", func() error {
		br, err := internal.Batch(ctx, batch)
		if err != nil {
			return err
		}
		return br.GetError().GoError()
	})
}
