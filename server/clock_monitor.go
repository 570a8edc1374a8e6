package server

import (
	"context"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// physicalMDKey carries a node's physical clock reading (ns, decimal) in
// every response header: HLC readings are ratcheted by the peers' own
// clocks, so only the physical time reveals a slow clock.
const physicalMDKey = "tessera-physical-ns"

// clockMonitor measures the clock offset to every known peer and tells
// whether this node may serve (DESIGN.md §4: a node more than the max
// offset away from a majority of its peers refuses to serve).
type clockMonitor struct {
	mon *hlc.OffsetMonitor
	mu  struct {
		sync.Mutex
		bad error // non-nil: refuse KV batches
	}
}

func newClockMonitor(maxOffset time.Duration) *clockMonitor {
	return &clockMonitor{mon: hlc.NewOffsetMonitor(maxOffset, 10*time.Second)}
}

// err returns why this node must not serve, or nil.
func (c *clockMonitor) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.bad
}

// clockMonitorLoop measures every peer once per maintenance interval.
func (s *Server) clockMonitorLoop() {
	for s.sleep(s.cfg.Knobs.MaintenanceInterval) {
		ctx, cancel := s.stopCtx(context.Background(), s.cfg.Knobs.PeerTimeout)
		self := s.NodeID()
		var wg sync.WaitGroup
		for _, p := range s.book.all() {
			if p.ID == self || p.Addr == s.addr {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if m, ok := s.measurePeer(ctx, p.Addr); ok {
					s.clockMon.mon.Record(p.Addr, m)
				}
			}()
		}
		wg.Wait()
		cancel()
		s.checkClock()
	}
}

// checkClock updates the serving verdict and logs its changes.
func (s *Server) checkClock() {
	err := s.clockMon.mon.Check(s.clock.PhysicalNow())
	c := s.clockMon
	c.mu.Lock()
	was := c.mu.bad
	c.mu.bad = err
	c.mu.Unlock()
	switch {
	case err != nil && was == nil:
		s.log.Error("CLOCK OFFSET TOO LARGE: this node refuses to serve KV requests until its clock agrees with a majority of its peers", "err", err)
	case err == nil && was != nil:
		s.log.Info("clock offset back within bounds: serving again")
	}
}

// measurePeer times an InitState round trip to addr.
func (s *Server) measurePeer(ctx context.Context, addr string) (hlc.OffsetMeasurement, bool) {
	conn, err := s.peers.Conn(addr)
	if err != nil {
		return hlc.OffsetMeasurement{}, false
	}
	return measureOffset(ctx, kvpb.NewAdminClient(conn), s.clock)
}

// measureOffset measures the offset of the node behind client from clock.
// A call refused for clock offset still measures (its header arrived).
// It calls InitState, the cheapest Admin call (every reply carries the
// physical clock header): NodeStatus, used before, asks every node for
// all its RangeInfo, so each node's monitor cost N² RangeInfo calls per
// interval (5 nodes: 100 per 500 ms, ~8% of a decommission's CPU), and
// the fan-out widened the round trip the offset's uncertainty comes from.
func measureOffset(ctx context.Context, client kvpb.AdminClient, clock *hlc.Clock) (hlc.OffsetMeasurement, bool) {
	var md metadata.MD
	sent := clock.PhysicalNow()
	_, _ = client.InitState(ctx, &kvpb.InitStateRequest{}, grpc.Header(&md))
	received := clock.PhysicalNow()
	vals := md.Get(physicalMDKey)
	if len(vals) == 0 {
		return hlc.OffsetMeasurement{}, false
	}
	remote, err := strconv.ParseInt(vals[len(vals)-1], 10, 64)
	if err != nil {
		return hlc.OffsetMeasurement{}, false
	}
	return hlc.Measure(sent, received, remote), true
}
