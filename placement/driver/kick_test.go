package driver

import (
	"context"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	pb "github.com/tesseradb/tessera/placement/placementpb"
)

// TestKickCyclesNow: with an hour-long interval, Run cycles once at its
// start and then only when kicked (a membership change must not wait for
// the tick).
func TestKickCyclesNow(t *testing.T) {
	c := newFakeCluster(3, 3)
	clock := hlc.NewManualClock(int64(time.Hour))
	var cycles atomic.Int32
	statuses := func(ctx context.Context) []*pb.StoreStatusResponse {
		cycles.Add(1) // one call per cycle run as the leader
		return c.statuses(ctx)
	}
	d := New(Config{NodeID: 1, Addr: "n1", KV: newMemKV(), Clock: clock.Now, MaxOffset: 500 * time.Millisecond,
		Statuses: statuses, Runner: c, NoSplitMerge: true, Interval: time.Hour,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitCycles := func(n int32) {
		t.Helper()
		require.Eventually(t, func() bool { return cycles.Load() >= n }, 10*time.Second, time.Millisecond,
			"cycles %d, want %d", cycles.Load(), n)
	}
	waitCycles(1)
	require.Equal(t, int32(1), cycles.Load(), "no second cycle before the hour-long tick")
	d.Kick()
	waitCycles(2)
	d.Kick()
	waitCycles(3)
}
