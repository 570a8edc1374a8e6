package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
	pb "github.com/tesseradb/tessera/placement/placementpb"
)

// placementKnobs make liveness and the placement driver fast enough for
// tests that wait for a node to die.
func (c *testCluster) startFast(i int) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := New(Config{StoreDir: c.dirs[i], Listen: c.addrs[i], Join: c.addrs, Logger: logger,
		Knobs: Knobs{MaintenanceInterval: 100 * time.Millisecond, JoinInterval: 50 * time.Millisecond,
			PlacementInterval: 300 * time.Millisecond, LivenessDuration: 1500 * time.Millisecond,
			PlacementLeaseDuration: 4 * time.Second, PeerTimeout: 500 * time.Millisecond,
			PlacementMaxStepTime: 5 * time.Second}})
	require.NoError(c.t, err)
	require.NoError(c.t, s.Start(context.Background()))
	c.nodes[i] = s
}

func newFastCluster(t *testing.T, n int) *testCluster { return newFastClusterStarting(t, n, n) }

// newFastClusterStarting prepares n nodes and starts the first start.
func newFastClusterStarting(t *testing.T, n, start int) *testCluster {
	ports, err := freePorts(n)
	require.NoError(t, err)
	c := &testCluster{t: t}
	root := t.TempDir()
	for i := 0; i < n; i++ {
		c.dirs = append(c.dirs, fmt.Sprintf("%s/n%d", root, i+1))
		c.addrs = append(c.addrs, fmt.Sprintf("127.0.0.1:%d", ports[i]))
	}
	c.nodes = make([]*Server, n)
	for i := 0; i < start; i++ {
		c.startFast(i)
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	return c
}

func placementClient(t testing.TB, addr string) pb.PlacementClient {
	c, err := kvclient.NewDB(kvclient.Config{Addrs: []string{addr}})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	conn, err := c.Conn(addr)
	require.NoError(t, err)
	return pb.NewPlacementClient(conn)
}

// r1Replicas returns range 1's newest descriptor as the running nodes
// report it.
func r1Desc(ctx context.Context, t *testing.T, c *testCluster) *kvpb.RangeDescriptor {
	var best *kvpb.RangeDescriptor
	for i, s := range c.nodes {
		if s == nil {
			continue
		}
		resp, err := admin(t, c.addrs[i]).RangeInfo(ctx, &kvpb.RangeInfoRequest{RangeId: 1})
		if err != nil {
			continue
		}
		for _, ri := range resp.GetRanges() {
			if d := ri.GetDesc(); d != nil && (best == nil || d.GetGeneration() > best.GetGeneration()) {
				best = d
			}
		}
	}
	return best
}

func nodesOf(d *kvpb.RangeDescriptor) map[kvpb.NodeID]kvpb.ReplicaType {
	out := map[kvpb.NodeID]kvpb.ReplicaType{}
	for _, r := range d.GetReplicas() {
		out[r.NodeID()] = r.GetType()
	}
	return out
}

// TestPlacementDriverOnCluster: five real nodes. Liveness shows them
// live with one placement driver leader; a setting changed through one
// node reaches every node; the driver replicates range 1 to three voters;
// decommissioning one of them moves its replica away and lets it be
// marked decommissioned; with time_until_store_dead at 1s, a killed
// voter's replica is replaced on the remaining live node, also when the
// killed node held the placement lease.
func TestPlacementDriverOnCluster(t *testing.T) {
	c := newFastCluster(t, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	_, err := admin(t, c.addrs[0]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)

	p0 := placementClient(t, c.addrs[0])
	waitFor(t, 30*time.Second, "5 live nodes and a placement leader", func() error {
		resp, err := p0.Liveness(ctx, &pb.LivenessRequest{})
		if err != nil {
			return err
		}
		if len(resp.GetNodes()) != 5 {
			return fmt.Errorf("%d records", len(resp.GetNodes()))
		}
		for _, n := range resp.GetNodes() {
			if n.GetState() != pb.NodeLiveness_LIVE {
				return fmt.Errorf("n%d is %s", n.GetRecord().GetNodeId(), n.GetState())
			}
		}
		if resp.GetPlacementLease().GetHolder() == 0 {
			return fmt.Errorf("no placement leader")
		}
		return nil
	})
	leaders := 0
	for _, s := range c.nodes {
		if s.placementDriver().Leader() {
			leaders++
		}
	}
	require.LessOrEqual(t, leaders, 1)

	// Settings: set through n1, read by every node.
	_, err = p0.SetSetting(ctx, &pb.SetSettingRequest{Name: "time_until_store_dead", Value: "1s"})
	require.NoError(t, err)
	_, err = p0.SetSetting(ctx, &pb.SetSettingRequest{Name: "no_such", Value: "1"})
	require.Error(t, err)
	_, err = p0.SetSetting(ctx, &pb.SetSettingRequest{Name: "range_max_bytes", Value: "huge"})
	require.Error(t, err)
	waitFor(t, 10*time.Second, "every node reads the setting", func() error {
		for i, s := range c.nodes {
			if v := s.settings.Values().TimeUntilStoreDead; v != time.Second {
				return fmt.Errorf("n%d: %s", i+1, v)
			}
		}
		return nil
	})
	list, err := placementClient(t, c.addrs[3]).ListSettings(ctx, &pb.ListSettingsRequest{})
	require.NoError(t, err)
	found := false
	for _, s := range list.GetSettings() {
		if s.GetName() == "time_until_store_dead" {
			found = true
			require.Equal(t, "1s", s.GetValue())
			require.Equal(t, "5m", s.GetDefault())
		}
	}
	require.True(t, found)

	waitFor(t, 30*time.Second, "range 1 on 3 voters", func() error {
		d := r1Desc(ctx, t, c)
		if len(d.Voters()) != 3 || len(d.GetReplicas()) != 3 {
			return fmt.Errorf("%v", d)
		}
		return nil
	})

	// Store statistics.
	st, err := p0.StoreStatus(ctx, &pb.StoreStatusRequest{})
	require.NoError(t, err)
	require.Positive(t, st.GetCapacityTotal())
	require.Positive(t, st.GetCapacityUsed())
	require.EqualValues(t, 1, st.GetStoreId())

	// Explain range 1.
	ex, err := p0.Explain(ctx, &pb.ExplainRequest{RangeId: 1})
	require.NoError(t, err)
	require.Contains(t, ex.GetText(), "range r1")
	_, err = p0.Explain(ctx, &pb.ExplainRequest{RangeId: 999})
	require.Error(t, err)

	// Decommission a voter that does not hold the lease.
	d := r1Desc(ctx, t, c)
	var victim kvpb.NodeID
	for _, r := range d.Voters() {
		if r.NodeID() != 1 {
			victim = r.NodeID()
		}
	}
	require.NotZero(t, victim)
	_, err = p0.SetMembership(ctx, &pb.SetMembershipRequest{NodeId: uint64(victim), Membership: pb.Membership_DECOMMISSIONED})
	require.Error(t, err, "not before decommissioning")
	_, err = p0.SetMembership(ctx, &pb.SetMembershipRequest{NodeId: uint64(victim), Membership: pb.Membership_DECOMMISSIONING})
	require.NoError(t, err)
	waitFor(t, 30*time.Second, "the decommissioning node drained", func() error {
		resp, err := p0.DecommissionStatus(ctx, &pb.DecommissionStatusRequest{NodeId: uint64(victim)})
		if err != nil {
			return err
		}
		if resp.GetReplicasLeft() != 0 {
			return fmt.Errorf("%d replicas left", resp.GetReplicasLeft())
		}
		return nil
	})
	_, err = p0.SetMembership(ctx, &pb.SetMembershipRequest{NodeId: uint64(victim), Membership: pb.Membership_DECOMMISSIONED})
	require.NoError(t, err)
	d = r1Desc(ctx, t, c)
	require.Len(t, d.Voters(), 3)
	_, on := nodesOf(d)[victim]
	require.False(t, on)

	_, err = p0.SetMembership(ctx, &pb.SetMembershipRequest{NodeId: uint64(victim), Membership: pb.Membership_ACTIVE})
	require.Error(t, err, "a decommissioned node stays decommissioned")

	// Kill a voter other than n1 (the test talks through n1): with
	// time_until_store_dead at 1s its replica is replaced on the one
	// remaining active node, by whichever node holds the placement lease
	// after it (the dead node may have been the leader).
	d = r1Desc(ctx, t, c)
	var dead kvpb.NodeID
	for _, r := range d.Voters() {
		if r.NodeID() != 1 {
			dead = r.NodeID()
		}
	}
	require.NotZero(t, dead)
	for i, s := range c.nodes {
		if s != nil && s.NodeID() == dead {
			c.stop(i)
		}
	}
	waitFor(t, 60*time.Second, "the dead node's replica replaced", func() error {
		d := r1Desc(ctx, t, c)
		nodes := nodesOf(d)
		if _, on := nodes[dead]; on || len(d.Voters()) != 3 || len(d.GetReplicas()) != 3 {
			return fmt.Errorf("%v", d)
		}
		return nil
	})
	resp, err := p0.Liveness(ctx, &pb.LivenessRequest{})
	require.NoError(t, err)
	for _, n := range resp.GetNodes() {
		want := pb.NodeLiveness_LIVE
		switch kvpb.NodeID(n.GetRecord().GetNodeId()) {
		case dead:
			want = pb.NodeLiveness_DEAD
		case victim:
			want = pb.NodeLiveness_NODE_DECOMMISSIONED
		}
		require.Equal(t, want, n.GetState(), "n%d", n.GetRecord().GetNodeId())
	}
	require.NotEqual(t, uint64(dead), resp.GetPlacementLease().GetHolder())
}

// TestPlacementRebalance3To5: 12 ranges on three nodes; two nodes join;
// the driver spreads replicas and leases evenly (within 20% of the mean,
// or one) and every range keeps three voters. The split threshold is
// lowered for the second half: written data splits ranges by size.
func TestPlacementRebalance3To5(t *testing.T) {
	c := newFastClusterStarting(t, 5, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	_, err := admin(t, c.addrs[0]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	a0 := admin(t, c.addrs[0])
	p0 := placementClient(t, c.addrs[0])
	_, err = p0.SetSetting(ctx, &pb.SetSettingRequest{Name: "range_cooldown", Value: "0s"})
	require.NoError(t, err)
	// Empty ranges would be merged back (range_min_bytes): keep them.
	_, err = p0.SetSetting(ctx, &pb.SetSettingRequest{Name: "range_min_bytes", Value: "0"})
	require.NoError(t, err)
	waitFor(t, 10*time.Second, "every node reads the settings", func() error {
		for i := 0; i < 3; i++ {
			if v := c.nodes[i].settings.Values(); v.RangeMinBytes != 0 || v.RangeCooldown != 0 {
				return fmt.Errorf("n%d: %+v", i+1, v)
			}
		}
		return nil
	})
	for i := 1; i < 12; i++ {
		_, err := a0.AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: []byte(fmt.Sprintf("\x04t%03d", i))})
		require.NoError(t, err)
	}
	waitFor(t, 60*time.Second, "12 ranges with 3 voters on 3 nodes", func() error {
		return spread(ctx, t, c, 3, 12)
	})
	t.Logf("12 ranges on 3 nodes")
	start := time.Now()
	c.startFast(3)
	c.startFast(4)
	waitFor(t, 90*time.Second, "replicas and leases spread over 5 nodes", func() error {
		return spread(ctx, t, c, 5, 12)
	})
	t.Logf("spread over 5 nodes in %s", time.Since(start).Round(time.Millisecond))
}

// spread checks every range (at least want of them) has 3 voters and
// no learner, and replicas and leases per node are within 20% of the
// mean (or one) over the first nodes nodes.
func spread(ctx context.Context, t *testing.T, c *testCluster, nodes, want int) error {
	resp, err := admin(t, c.addrs[0]).RangesList(ctx, &kvpb.RangesListRequest{})
	if err != nil {
		return err
	}
	if len(resp.GetRanges()) < want {
		return fmt.Errorf("%d ranges", len(resp.GetRanges()))
	}
	reps, leases := map[kvpb.NodeID]int{}, map[kvpb.NodeID]int{}
	for _, r := range resp.GetRanges() {
		d := r.GetDesc()
		if len(d.Voters()) != 3 || len(d.GetReplicas()) != 3 {
			return fmt.Errorf("r%d: %v", d.GetRangeId(), d.GetReplicas())
		}
		for _, rep := range d.GetReplicas() {
			reps[rep.NodeID()]++
		}
		if lh := r.GetLeaseholder(); lh != nil {
			leases[lh.NodeID()]++
		}
	}
	check := func(what string, m map[kvpb.NodeID]int, total int) error {
		mean := float64(total) / float64(nodes)
		tol := max(0.2*mean, 1)
		for n := 1; n <= nodes; n++ {
			if d := float64(m[kvpb.NodeID(n)]) - mean; d > tol || -d > tol {
				return fmt.Errorf("%s: n%d has %d, mean %.1f: %v", what, n, m[kvpb.NodeID(n)], mean, m)
			}
		}
		return nil
	}
	if err := check("replicas", reps, 3*len(resp.GetRanges())); err != nil {
		return err
	}
	return check("leases", leases, len(resp.GetRanges()))
}
