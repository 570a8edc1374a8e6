package blackbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rangesList is the JSON of `tessera ranges list --format json`.
type rangesList struct {
	Ranges []struct {
		RangeID     uint64  `json:"range_id"`
		StartKey    string  `json:"start_key"`
		EndKey      string  `json:"end_key"`
		Leaseholder *uint64 `json:"leaseholder_store"`
		KeyCount    *int64  `json:"key_count"`
		Replicas    []struct {
			StoreID uint64 `json:"store_id"`
			Type    string `json:"type"`
		} `json:"replicas"`
	} `json:"ranges"`
}

func listRanges(c *Cluster, host string) (rangesList, error) {
	r := c.Run(cliTimeout, "ranges", "list", "--host", host, "--format", "json", "--timeout", "10s")
	if r.Err != nil {
		return rangesList{}, fmt.Errorf("%s", r)
	}
	var l rangesList
	if err := json.Unmarshal([]byte(r.Stdout), &l); err != nil {
		return rangesList{}, fmt.Errorf("bad json %q: %w", r.Stdout, err)
	}
	return l, nil
}

// TestRangesCLI is the black-box test of issue 5: three processes, keys
// written, `tessera ranges split` at 20 keys, `ranges list` shows 21
// ranges with leaseholders, keys written before and after are all read
// back with `kv scan`; then merge, lease transfer, relocate and the
// errors of bad input.
func TestRangesCLI(t *testing.T) {
	c := NewCluster(t, 3)
	c.StartAll()
	addrs := c.Addrs()
	c.MustRun(cliTimeout, "init", "--host", addrs[0], "--timeout", "20s")
	// The ranges this test splits are empty: keep the placement driver
	// from merging them back (range_min_bytes) behind the test's back.
	c.MustRun(cliTimeout, "settings", "set", "range_min_bytes", "0", "--host", addrs[0], "--timeout", "20s")
	// The driver keeps rebalancing leases meanwhile: splits, merges and
	// lease transfers must work while it does.
	WaitFor(t, 30*time.Second, "range 1 on three voters", func() error {
		l, err := listRanges(c, addrs[0])
		if err != nil {
			return err
		}
		if len(l.Ranges) != 1 || len(l.Ranges[0].Replicas) != 3 || l.Ranges[0].Leaseholder == nil {
			return fmt.Errorf("%+v", l)
		}
		for _, r := range l.Ranges[0].Replicas {
			if r.Type != "voter" {
				return fmt.Errorf("%+v", l)
			}
		}
		return nil
	})
	key := func(i int) string { return fmt.Sprintf("rk/%03d", i) }
	want := map[string]string{}
	put := func(i int, host string) {
		v := fmt.Sprintf("v%d", i)
		c.MustRun(cliTimeout, "kv", "put", key(i), v, "--host", host, "--timeout", "20s")
		want[key(i)] = v
	}
	for i := 0; i < 200; i += 8 {
		put(i, addrs[i%3])
	}
	for i := 0; i < 20; i++ {
		r := c.MustRun(cliTimeout, "ranges", "split", key(i*10+5), "--host", addrs[i%3], "--timeout", "20s")
		require.Contains(t, r.Stdout, "split r")
	}
	var l rangesList
	WaitFor(t, 30*time.Second, "21 ranges with leaseholders", func() error {
		var err error
		if l, err = listRanges(c, addrs[1]); err != nil {
			return err
		}
		if len(l.Ranges) != 21 {
			return fmt.Errorf("%d ranges", len(l.Ranges))
		}
		for _, r := range l.Ranges {
			if r.Leaseholder == nil {
				return fmt.Errorf("r%d has no leaseholder", r.RangeID)
			}
		}
		return nil
	})
	for i := 1; i < 200; i += 8 {
		put(i, addrs[(i+1)%3])
	}
	scan := func(host string) {
		t.Helper()
		r := c.MustRun(cliTimeout, "kv", "scan", "rk/", "rk0", "--host", host, "--timeout", "20s")
		lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
		require.Len(t, lines, len(want), "%s", r.Stdout)
		prev := ""
		for _, line := range lines {
			k, v, ok := strings.Cut(line, "\t")
			require.True(t, ok, line)
			require.Equal(t, want[k], v, "key %s", k)
			require.Less(t, prev, k, "keys in order")
			prev = k
		}
	}
	scan(addrs[2])

	// The table names every range with its leaseholder.
	r := c.MustRun(cliTimeout, "ranges", "list", "--host", addrs[0], "--start", "rk/050", "--end", "rk/100")
	require.Contains(t, r.Stdout, "LEASEHOLDER")
	require.Len(t, strings.Split(strings.TrimSpace(r.Stdout), "\n"), 1+6, "%s", r.Stdout) // header + [..,055) .. [095,..)

	// Clear errors with a non-zero exit.
	for _, bad := range []struct {
		args []string
		msg  string
	}{
		{[]string{"ranges", "split", key(15)}, "already a range boundary"},
		{[]string{"ranges", "split", "0xffff01"}, "outside the key space"},
		{[]string{"ranges", "split", "0x026d6574612f61"}, "meta"},
		{[]string{"ranges", "merge", "999"}, "r999"},
		{[]string{"ranges", "transfer-lease", "1", "--to", "9"}, "s9"},
		{[]string{"ranges", "split", "0xzz"}, "bad hex key"},
	} {
		r := c.Run(cliTimeout, append(bad.args, "--host", addrs[0], "--timeout", "10s")...)
		require.Error(t, r.Err, "%v: %s", bad.args, r)
		require.NotZero(t, exitCode(r.Err))
		require.Contains(t, r.Stderr, bad.msg, "%v", bad.args)
	}

	// Merge the last split back, move a lease, and the data stays.
	var last uint64
	for _, rg := range l.Ranges {
		if rg.EndKey == key(195) {
			last = rg.RangeID
		}
	}
	require.NotZero(t, last)
	r = c.MustRun(cliTimeout, "ranges", "merge", fmt.Sprint(last), "--host", addrs[1], "--timeout", "30s")
	require.Contains(t, r.Stdout, "merged into")
	r = c.MustRun(cliTimeout, "ranges", "transfer-lease", fmt.Sprint(last), "--to", "2", "--host", addrs[0], "--format", "json", "--timeout", "30s")
	require.Contains(t, r.Stdout, `"leaseholder_store": 2`)
	scan(addrs[0])
}
