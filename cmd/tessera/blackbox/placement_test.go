package blackbox

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// placementCounts counts, from a ranges list, the replicas and leases per
// store, and checks every range has 3 voters and no learner, none on a
// store in away.
func placementCounts(l rangesList, away map[uint64]bool) (reps, leases map[uint64]int, err error) {
	reps, leases = map[uint64]int{}, map[uint64]int{}
	for _, r := range l.Ranges {
		voters := 0
		for _, rep := range r.Replicas {
			reps[rep.StoreID]++
			if rep.Type == "voter" {
				voters++
			}
			if away[rep.StoreID] {
				err = fmt.Errorf("r%d has a replica on s%d", r.RangeID, rep.StoreID)
			}
		}
		if voters != 3 || len(r.Replicas) != 3 {
			err = fmt.Errorf("r%d: %+v", r.RangeID, r.Replicas)
		}
		if r.Leaseholder != nil {
			leases[*r.Leaseholder]++
		}
	}
	return reps, leases, err
}

// TestPlacementBlackBox is issue 9's black-box test: three processes
// with range_max_bytes=1MiB; `workload kv` writes 4 KiB values for 20 s;
// `ranges list` shows at least 20 ranges with leaseholders on all three
// stores; two more processes join and within 3 minutes each of the five
// holds a replica count within 25% of the mean; one is killed with
// time_until_store_dead=15s and within 2 minutes every range is back to
// 3 voters on live stores.
func TestPlacementBlackBox(t *testing.T) {
	c := NewCluster(t, 5)
	for i := 1; i <= 3; i++ {
		c.Start(i)
	}
	addrs := c.Addrs()
	c.MustRun(cliTimeout, "init", "--host", addrs[0], "--timeout", "20s")
	c.MustRun(cliTimeout, "settings", "set", "range_max_bytes", "1MiB", "--host", addrs[0], "--timeout", "20s")
	c.MustRun(cliTimeout, "settings", "set", "time_until_store_dead", "15s", "--host", addrs[0], "--timeout", "20s")
	hosts := addrs[0] + "," + addrs[1] + "," + addrs[2]
	r := c.MustRun(2*time.Minute, "workload", "kv", "--host", hosts, "--duration", "20s", "--value-size", "4096",
		"--concurrency", "8", "--seed", "1")
	t.Logf("workload kv: %s", r.Stdout)

	var l rangesList
	WaitFor(t, 90*time.Second, "at least 20 ranges, leaseholders on all three stores", func() error {
		var err error
		if l, err = listRanges(c, addrs[0]); err != nil {
			return err
		}
		if len(l.Ranges) < 20 {
			return fmt.Errorf("%d ranges", len(l.Ranges))
		}
		_, leases, err := placementCounts(l, nil)
		if err != nil {
			return err
		}
		for s := uint64(1); s <= 3; s++ {
			if leases[s] == 0 {
				return fmt.Errorf("no lease on s%d: %v", s, leases)
			}
		}
		return nil
	})
	t.Logf("%d ranges on 3 nodes", len(l.Ranges))

	c.Start(4)
	c.Start(5)
	start := time.Now()
	var reps map[uint64]int
	WaitFor(t, 3*time.Minute, "each of five stores within 25% of the mean replica count", func() error {
		var err error
		if l, err = listRanges(c, addrs[0]); err != nil {
			return err
		}
		if reps, _, err = placementCounts(l, nil); err != nil {
			return err
		}
		mean := float64(3*len(l.Ranges)) / 5
		for s := uint64(1); s <= 5; s++ {
			if d := float64(reps[s]) - mean; d > 0.25*mean || -d > 0.25*mean {
				return fmt.Errorf("s%d has %d replicas, mean %.1f: %v", s, reps[s], mean, reps)
			}
		}
		return nil
	})
	t.Logf("balanced over 5 stores in %s: %v", time.Since(start).Round(time.Second), reps)

	// The fifth process's store (one store per node, numbered like it).
	var victim uint64
	st, err := status(c, addrs[0])
	require.NoError(t, err)
	for _, n := range st.Nodes {
		if n.Address == addrs[4] {
			victim = n.NodeID
		}
	}
	require.NotZero(t, victim, "%+v", st)
	c.Kill(5)
	start = time.Now()
	WaitFor(t, 2*time.Minute, "every range back to 3 voters on live stores", func() error {
		var err error
		if l, err = listRanges(c, addrs[0]); err != nil {
			return err
		}
		reps, _, err = placementCounts(l, map[uint64]bool{victim: true})
		return err
	})
	t.Logf("n%d killed: %d ranges back to 3 live voters in %s: %v", victim, len(l.Ranges), time.Since(start).Round(time.Second), reps)
	require.Zero(t, reps[victim])
}
