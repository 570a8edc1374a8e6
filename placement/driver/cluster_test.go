package driver

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement"
	"github.com/tesseradb/tessera/placement/liveness"
	pb "github.com/tesseradb/tessera/placement/placementpb"
)

// fakeCluster is a model of stores and ranges (no Raft): the fake step
// runner changes it as ranges' admin commands would, and statuses reports
// it as every store's StoreStatus would. Node n has store n.
type fakeCluster struct {
	mu     sync.Mutex
	nodes  map[kvpb.NodeID]bool // up
	ranges map[kvpb.RangeID]*kvpb.RangeDescriptor
	lease  map[kvpb.RangeID]kvpb.StoreID
	calls  []string
	// fail, if set, makes steps of this kind fail.
	fail func(step placement.Step) error
	// hold, if set, blocks steps until closed.
	hold chan struct{}
}

func newFakeCluster(nodes int, ranges int) *fakeCluster {
	c := &fakeCluster{nodes: map[kvpb.NodeID]bool{}, ranges: map[kvpb.RangeID]*kvpb.RangeDescriptor{}, lease: map[kvpb.RangeID]kvpb.StoreID{}}
	for n := 1; n <= nodes; n++ {
		c.nodes[kvpb.NodeID(n)] = true
	}
	for i := 1; i <= ranges; i++ {
		d := &kvpb.RangeDescriptor{RangeId: uint64(i), StartKey: []byte(fmt.Sprintf("k%04d", i)), EndKey: []byte(fmt.Sprintf("k%04d", i+1)), NextReplicaId: 4, Generation: 1}
		for r := 1; r <= 3; r++ {
			d.Replicas = append(d.Replicas, &kvpb.ReplicaDescriptor{NodeId: uint64(r), StoreId: uint64(r), ReplicaId: uint64(r)})
		}
		c.ranges[kvpb.RangeID(i)] = d
		c.lease[kvpb.RangeID(i)] = kvpb.StoreID(1 + i%3)
	}
	return c
}

func (c *fakeCluster) statuses(context.Context) []*pb.StoreStatusResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*pb.StoreStatusResponse
	for n, up := range c.nodes {
		if !up {
			continue
		}
		st := &pb.StoreStatusResponse{NodeId: uint64(n), StoreId: uint64(n), CapacityTotal: 100 << 30, CapacityAvailable: 90 << 30}
		for id, d := range c.ranges {
			if _, ok := d.ReplicaByStore(kvpb.StoreID(n)); !ok {
				continue
			}
			lh := c.lease[id]
			rep, _ := d.ReplicaByStore(lh)
			ri := &kvpb.RangeInfo{Desc: d, StoreId: uint64(n), LiveBytes: 1 << 20, Lease: &kvpb.Lease{Replica: rep}, LeaseValid: c.nodes[kvpb.NodeID(lh)]}
			st.Ranges = append(st.Ranges, ri)
			st.RangeCount++
			if lh == kvpb.StoreID(n) {
				st.LeaseCount++
			}
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StoreId < out[j].StoreId })
	return out
}

func (c *fakeCluster) RunStep(ctx context.Context, _ *placement.Snapshot, step placement.Step) error {
	if c.hold != nil {
		select {
		case <-c.hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, fmt.Sprintf("%s %s", step.Range(), step))
	if c.fail != nil {
		if err := c.fail(step); err != nil {
			return err
		}
	}
	d := c.ranges[step.Range()]
	if d == nil {
		return &kvpb.RangeNotFoundError{RangeId: uint64(step.Range())}
	}
	if !c.nodes[kvpb.NodeID(c.lease[d.ID()])] {
		// The lease of a dead leaseholder moves to a live voter on demand.
		for _, r := range d.GetReplicas() {
			if c.nodes[r.NodeID()] && r.GetType() == kvpb.ReplicaType_VOTER {
				c.lease[d.ID()] = r.StoreID()
				break
			}
		}
	}
	nd := cloneDesc(d)
	switch st := step.(type) {
	case placement.AddLearner:
		if !c.nodes[kvpb.NodeID(st.Store)] {
			return fmt.Errorf("n%d unreachable", st.Store)
		}
		nd.Replicas = append(nd.Replicas, &kvpb.ReplicaDescriptor{NodeId: uint64(st.Store), StoreId: uint64(st.Store), ReplicaId: nd.NextReplicaId, Type: kvpb.ReplicaType_LEARNER})
		nd.NextReplicaId++
	case placement.PromoteLearner:
		r, ok := nd.ReplicaByStore(st.Store)
		if !ok {
			return fmt.Errorf("no learner on %s", st.Store)
		}
		r.Type = kvpb.ReplicaType_VOTER
	case placement.RemoveReplica:
		if c.lease[d.ID()] == st.Store {
			return fmt.Errorf("cannot remove the leaseholder")
		}
		for i, r := range nd.Replicas {
			if r.StoreID() == st.Store {
				nd.Replicas = append(nd.Replicas[:i], nd.Replicas[i+1:]...)
				break
			}
		}
	case placement.TransferLease:
		if _, ok := nd.ReplicaByStore(st.Target); !ok {
			return fmt.Errorf("no replica on %s", st.Target)
		}
		c.lease[d.ID()] = st.Target
		return nil
	default:
		return ErrNoSplitMerge
	}
	nd.Generation++
	c.ranges[d.ID()] = nd
	return nil
}

func cloneDesc(d *kvpb.RangeDescriptor) *kvpb.RangeDescriptor {
	nd := &kvpb.RangeDescriptor{RangeId: d.RangeId, StartKey: d.StartKey, EndKey: d.EndKey, NextReplicaId: d.NextReplicaId, Generation: d.Generation}
	for _, r := range d.Replicas {
		nd.Replicas = append(nd.Replicas, &kvpb.ReplicaDescriptor{NodeId: r.NodeId, StoreId: r.StoreId, ReplicaId: r.ReplicaId, Type: r.Type})
	}
	return nd
}

// counts returns replicas and leases per up node.
func (c *fakeCluster) counts() (map[kvpb.NodeID]int, map[kvpb.NodeID]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reps, leases := map[kvpb.NodeID]int{}, map[kvpb.NodeID]int{}
	for id, d := range c.ranges {
		for _, r := range d.GetReplicas() {
			reps[r.NodeID()]++
		}
		leases[kvpb.NodeID(c.lease[id])]++
	}
	return reps, leases
}

// testEnv is the fake cluster plus liveness and one driver per node.
type testEnv struct {
	t       *testing.T
	kv      *memKV
	clock   *hlc.ManualClock
	c       *fakeCluster
	drivers map[kvpb.NodeID]*Driver
	beats   map[kvpb.NodeID]*liveness.Heartbeater
}

func newTestEnv(t *testing.T, nodes, ranges int) *testEnv {
	e := &testEnv{t: t, kv: newMemKV(), clock: hlc.NewManualClock(int64(time.Hour)), c: newFakeCluster(nodes, ranges),
		drivers: map[kvpb.NodeID]*Driver{}, beats: map[kvpb.NodeID]*liveness.Heartbeater{}}
	for n := 1; n <= nodes; n++ {
		e.addNode(kvpb.NodeID(n))
	}
	t.Cleanup(func() {
		for _, d := range e.drivers {
			d.Stop()
		}
	})
	return e
}

func (e *testEnv) addNode(n kvpb.NodeID) {
	e.c.mu.Lock()
	e.c.nodes[n] = true
	e.c.mu.Unlock()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e.beats[n] = liveness.NewHeartbeater(liveness.Config{NodeID: n, KV: e.kv, Clock: e.clock.Now})
	d := New(Config{NodeID: n, Addr: n.String(), KV: e.kv, Clock: e.clock.Now, MaxOffset: 500 * time.Millisecond,
		Statuses: e.c.statuses, Runner: e.c, NoSplitMerge: true, Seed: int64(n), Logger: logger})
	e.drivers[n] = d
	_, err := StoreSetting(context.Background(), e.kv, d.cfg.Settings, "range_cooldown", "0s")
	require.NoError(e.t, err)
}

// tick advances the clock by d, heartbeats the up nodes and runs one
// cycle of every up node's driver, waiting for the steps it started.
func (e *testEnv) tick(d time.Duration) (leaders int) {
	ctx := context.Background()
	e.clock.Increment(int64(d))
	ids := make([]kvpb.NodeID, 0, len(e.drivers))
	for n := range e.drivers {
		ids = append(ids, n)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, n := range ids {
		e.c.mu.Lock()
		up := e.c.nodes[n]
		e.c.mu.Unlock()
		if !up {
			continue
		}
		_, err := e.beats[n].Heartbeat(ctx)
		require.NoError(e.t, err)
		_, err = e.drivers[n].Cycle(ctx)
		require.NoError(e.t, err)
		e.drivers[n].Executor().WaitIdle()
		if e.drivers[n].Leader() {
			leaders++
		}
	}
	return leaders
}

func within(counts map[kvpb.NodeID]int, nodes []kvpb.NodeID, frac float64) error {
	total := 0
	for _, n := range nodes {
		total += counts[n]
	}
	mean := float64(total) / float64(len(nodes))
	for _, n := range nodes {
		if d := float64(counts[n]) - mean; d > frac*mean || -d > frac*mean {
			return fmt.Errorf("n%d has %d, mean %.1f: %v", n, counts[n], mean, counts)
		}
	}
	return nil
}

// TestDriverRebalance3To5: 60 ranges on 3 nodes; 2 nodes join; the
// drivers (one leader) spread replicas and leases within 15% of the mean,
// and every range keeps 3 voters.
func TestDriverRebalance3To5(t *testing.T) {
	e := newTestEnv(t, 3, 60)
	for range 3 {
		require.LessOrEqual(t, e.tick(time.Second), 1)
	}
	e.addNode(4)
	e.addNode(5)
	nodes := []kvpb.NodeID{1, 2, 3, 4, 5}
	var err error
	for i := 0; i < 300; i++ {
		require.Equal(t, 1, e.tick(time.Second), "exactly one leader")
		reps, leases := e.c.counts()
		if err = within(reps, nodes, 0.15); err == nil {
			if err = within(leases, nodes, 0.15); err == nil {
				err = e.c.allReplicated(nil)
			}
		}
		if err == nil {
			break
		}
	}
	require.NoError(t, err)
}

// allReplicated reports a range without exactly 3 voters (and no learner)
// off the dead nodes.
func (c *fakeCluster) allReplicated(dead map[kvpb.NodeID]bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, d := range c.ranges {
		live := 0
		for _, r := range d.GetReplicas() {
			if !dead[r.NodeID()] && r.GetType() == kvpb.ReplicaType_VOTER {
				live++
			}
		}
		if live != 3 || len(d.GetReplicas()) != 3 {
			return fmt.Errorf("r%d: %v", id, d.GetReplicas())
		}
	}
	return nil
}

// TestDriverRepairsDeadNodeAndFailsOver: the leader's node dies; another
// driver takes over the placement lease, and once time_until_store_dead
// has passed every range is back to 3 voters on live nodes.
func TestDriverRepairsDeadNodeAndFailsOver(t *testing.T) {
	e := newTestEnv(t, 4, 20)
	_, err := StoreSetting(context.Background(), e.kv, e.drivers[1].cfg.Settings, "time_until_store_dead", "10s")
	require.NoError(t, err)
	for range 3 {
		require.Equal(t, 1, e.tick(time.Second))
	}
	var leader kvpb.NodeID
	for n, d := range e.drivers {
		if d.Leader() {
			leader = n
		}
	}
	require.NotZero(t, leader)
	// Kill the leader's node (it stops heartbeating and cycling).
	e.c.mu.Lock()
	e.c.nodes[leader] = false
	e.c.mu.Unlock()
	var newLeader kvpb.NodeID
	for i := 0; i < 200; i++ {
		e.tick(time.Second)
		for n, d := range e.drivers {
			if n != leader && d.Leader() {
				newLeader = n
			}
		}
		if newLeader == 0 {
			continue
		}
		if e.c.allReplicated(map[kvpb.NodeID]bool{leader: true}) == nil {
			break
		}
	}
	require.NotZero(t, newLeader, "a new leader took the placement lease")
	reps, _ := e.c.counts()
	require.Zero(t, reps[leader], "the dead node holds no replica: %v", reps)
	require.NoError(t, e.c.allReplicated(map[kvpb.NodeID]bool{leader: true}))
}
