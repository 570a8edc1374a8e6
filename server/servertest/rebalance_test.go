package servertest_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/internal/bank"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
	pb "github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/server"
	"github.com/tesseradb/tessera/server/servertest"
)

// waitEvery polls cond every interval until it returns nil, failing the
// test with its last error after timeout (RangesList over hundreds of
// ranges is too costly for WaitFor's 20 ms polling).
func waitEvery(t *testing.T, interval, timeout time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	start, lastLog := time.Now(), time.Now()
	for {
		err := cond()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(lastLog) > 20*time.Second {
			t.Logf("%s after %s: %v", what, time.Since(start).Round(time.Second), err)
			lastLog = time.Now()
		}
		if time.Since(start) > timeout {
			t.Fatalf("waiting %s for %s: %v", timeout, what, err)
		}
		tm := time.NewTimer(interval)
		<-tm.C
	}
}

// placementState is the cluster's ranges as RangesList shows them.
type placementState struct {
	ranges   []*kvpb.RangeListEntry
	replicas map[kvpb.NodeID]int
	leases   map[kvpb.NodeID]int
}

func readState(ctx context.Context, a kvpb.AdminClient) (*placementState, error) {
	resp, err := a.RangesList(ctx, &kvpb.RangesListRequest{})
	if err != nil {
		return nil, err
	}
	rs := resp.GetRanges()
	if err := tiling(rs); err != nil {
		return nil, err
	}
	st := &placementState{ranges: rs, replicas: map[kvpb.NodeID]int{}, leases: map[kvpb.NodeID]int{}}
	for _, r := range rs {
		for _, rep := range r.GetDesc().GetReplicas() {
			st.replicas[rep.NodeID()]++
		}
		if lh := r.GetLeaseholder(); lh != nil {
			st.leases[lh.NodeID()]++
		}
	}
	return st, nil
}

// replicated checks every range has exactly 3 voters, no learner, and
// none on a node in away.
func (st *placementState) replicated(away map[kvpb.NodeID]bool) error {
	for _, r := range st.ranges {
		d := r.GetDesc()
		if len(d.Voters()) != 3 || len(d.GetReplicas()) != 3 {
			return fmt.Errorf("r%d: %v", d.GetRangeId(), d.GetReplicas())
		}
		for _, rep := range d.GetReplicas() {
			if away[rep.NodeID()] {
				return fmt.Errorf("r%d still has a replica on n%d", d.GetRangeId(), rep.NodeID())
			}
		}
	}
	return nil
}

// balanced checks that replica and lease counts of nodes are within tol
// of the mean (or one).
func (st *placementState) balanced(nodes []kvpb.NodeID, tol float64) error {
	for _, c := range []struct {
		what string
		m    map[kvpb.NodeID]int
	}{{"replicas", st.replicas}, {"leases", st.leases}} {
		total := 0
		for _, n := range nodes {
			total += c.m[n]
		}
		mean := float64(total) / float64(len(nodes))
		band := max(tol*mean, 1)
		for _, n := range nodes {
			if d := float64(c.m[n]) - mean; d > band || -d > band {
				return fmt.Errorf("%s: n%d has %d, mean %.1f ± %.1f: %v", c.what, n, c.m[n], mean, band, c.m)
			}
		}
	}
	return nil
}

// TestRebalanceRepairDecommission200: 200 ranges (one bank account each)
// on three nodes; two nodes join while a bank workload runs: replicas
// and leases spread within 15% of the mean; a node is killed with
// time_until_store_dead=10s: every range is back to 3 voters on live
// nodes; a node is decommissioned: it ends with no replica. The bank
// workload, running throughout, sees no anomaly, and every account and
// the total are intact at the end.
//
// It runs in make test (about two minutes on a shared 2-core machine);
// `make test-placement-cluster` runs it alone, verbosely.
func TestRebalanceRepairDecommission200(t *testing.T) {
	const accounts = 200
	// Default liveness (9s heartbeats' lifetime): faster heartbeats miss
	// their deadline on a loaded 2-core machine and make nodes flap.
	c := servertest.Start(t, servertest.Config{Nodes: 5, Start: 3, LogLevel: logLevel(), Knobs: server.Knobs{
		PlacementInterval: 500 * time.Millisecond, PlacementMaxStepTime: 10 * time.Second}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	p, a := c.Placement(0), c.Admin(0)
	// range_min_bytes 0: the small ranges are not merged away; a short
	// cool-down lets a range whose replica moved have its lease moved too.
	setSettings(ctx, t, c, p, map[string]string{
		"range_min_bytes": "0", "range_cooldown": "5s", "time_until_store_dead": "10s",
		// No rebalancing while the test splits: a lease moved under a
		// split makes it fail with "not leaseholder".
		"max_rebalance_ops": "0",
		// Every range is one bank account: its snapshot is a few hundred
		// bytes, so a store may receive many at once (the default 2 is
		// for ranges of hundreds of MiB).
		"store_max_concurrent_snapshots": "16",
	})
	db := c.DB(kvclient.Config{})
	bcfg := bank.Config{Accounts: accounts, Concurrency: 4, Duration: 10 * time.Minute,
		Prefix: []byte("\x04bank/"), Seed: 1}
	total, err := bank.Setup(ctx, db, bcfg)
	require.NoError(t, err)
	start := time.Now()
	// From the last key down: each split cuts the left-hand range, which
	// keeps its lease and Raft leader, instead of the range the previous
	// split just created (which would first elect a leader).
	for i := accounts - 1; i >= 1; i-- {
		waitEvery(t, 100*time.Millisecond, time.Minute, fmt.Sprintf("split %d", i), func() error {
			_, err := a.AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: bank.Key(bcfg.Prefix, i)})
			return err
		})
	}
	waitEvery(t, 500*time.Millisecond, 2*time.Minute, "every range on 3 voters", func() error {
		st, err := readState(ctx, a)
		if err != nil {
			return err
		}
		if len(st.ranges) < accounts {
			return fmt.Errorf("%d ranges", len(st.ranges))
		}
		return st.replicated(nil)
	})
	t.Logf("%d splits and up-replication in %s", accounts-1, (time.Since(start)).Round(time.Millisecond))

	bctx, stopBank := context.WithCancel(ctx)
	type result struct {
		sum bank.Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := bank.Run(bctx, db, bcfg, total)
		done <- result{sum, err}
	}()
	bankStopped := false
	finishBank := func() result {
		stopBank()
		bankStopped = true
		return <-done
	}
	defer func() {
		if !bankStopped {
			finishBank()
		}
	}()

	// Two nodes join; rebalancing resumes.
	setSettings(ctx, t, c, p, map[string]string{"max_rebalance_ops": "16"})
	c.StartNode(3)
	c.StartNode(4)
	var last *placementState
	d := waitEvery(t, time.Second, 6*time.Minute, "replicas and leases within 15% of the mean on 5 nodes", func() error {
		st, err := readState(ctx, a)
		if err != nil {
			return err
		}
		last = st
		if err := st.replicated(nil); err != nil {
			return err
		}
		var five []kvpb.NodeID
		for i := range c.Addrs {
			id := c.Server(i).NodeID()
			if id == 0 {
				return fmt.Errorf("node %d has not joined yet", i)
			}
			five = append(five, id)
		}
		return st.balanced(five, 0.15)
	})
	t.Logf("3 -> 5 nodes: balanced in %s: replicas %v leases %v", d.Round(time.Millisecond), last.replicas, last.leases)

	// Kill the fifth node.
	dead := c.Server(4).NodeID()
	c.StopNode(4)
	d = waitEvery(t, time.Second, 5*time.Minute, "every range back to 3 voters on live nodes", func() error {
		st, err := readState(ctx, a)
		if err != nil {
			return err
		}
		last = st
		return st.replicated(map[kvpb.NodeID]bool{dead: true})
	})
	t.Logf("n%d killed: every range on 3 live voters after %s: replicas %v", dead, d.Round(time.Millisecond), last.replicas)

	// Decommission the fourth.
	victim := c.Server(3).NodeID()
	_, err = p.SetMembership(ctx, &pb.SetMembershipRequest{NodeId: uint64(victim), Membership: pb.Membership_DECOMMISSIONING})
	require.NoError(t, err)
	d = waitEvery(t, time.Second, 5*time.Minute, "the decommissioning node holds no replica", func() error {
		resp, err := p.DecommissionStatus(ctx, &pb.DecommissionStatusRequest{NodeId: uint64(victim)})
		if err != nil {
			return err
		}
		if resp.GetReplicasLeft() != 0 {
			return fmt.Errorf("%d replicas left", resp.GetReplicasLeft())
		}
		st, err := readState(ctx, a)
		if err != nil {
			return err
		}
		last = st
		return st.replicated(map[kvpb.NodeID]bool{dead: true, victim: true})
	})
	t.Logf("n%d decommissioned in %s: replicas %v", victim, d.Round(time.Millisecond), last.replicas)
	_, err = p.SetMembership(ctx, &pb.SetMembershipRequest{NodeId: uint64(victim), Membership: pb.Membership_DECOMMISSIONED})
	require.NoError(t, err)

	res := finishBank()
	require.NoError(t, res.err)
	t.Logf("bank: %s; %d transfers, %d reads, %d failed (first: %v)", res.sum, res.sum.Transfers, res.sum.Reads, res.sum.Errors, res.sum.FirstError)
	require.NoError(t, res.sum.Check())
	require.Positive(t, res.sum.Transfers)
	require.Positive(t, res.sum.Reads)

	// Nothing lost: every account is there and the total is unchanged.
	rows, err := db.Scan(ctx, bcfg.Prefix, append(append([]byte(nil), bcfg.Prefix...), 0xff), 0)
	require.NoError(t, err)
	require.Len(t, rows, accounts)
	var sum int64
	for _, kv := range rows {
		n, err := strconv.ParseInt(string(kv.Value), 10, 64)
		require.NoError(t, err)
		sum += n
	}
	require.Equal(t, total, sum)
}
