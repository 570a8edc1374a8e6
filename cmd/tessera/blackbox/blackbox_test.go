package blackbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// cliTimeout bounds one CLI command; the --timeout given to the command
// itself is shorter so that it reports its own error first.
const cliTimeout = 30 * time.Second

// nodeStatus is the JSON of `tessera node status --format json`.
type nodeStatus struct {
	Nodes []struct {
		NodeID   uint64 `json:"node_id"`
		Address  string `json:"address"`
		Liveness string `json:"liveness"`
		Replicas int    `json:"replicas"`
		Leases   int    `json:"leases"`
	} `json:"nodes"`
}

func status(c *Cluster, host string) (nodeStatus, error) {
	r := c.Run(cliTimeout, "node", "status", "--host", host, "--format", "json", "--timeout", "5s")
	if r.Err != nil {
		return nodeStatus{}, fmt.Errorf("%s", r)
	}
	var s nodeStatus
	if err := json.Unmarshal([]byte(r.Stdout), &s); err != nil {
		return nodeStatus{}, fmt.Errorf("bad json %q: %w", r.Stdout, err)
	}
	return s, nil
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// TestThreeNodes is the black-box test of issue 4: three processes, init,
// writes and reads through the CLI, SIGKILL of the leaseholder, every key
// read back through another node; then the killed node restarts from its
// store and catches up, and a full restart loses nothing.
func TestThreeNodes(t *testing.T) {
	start := time.Now()
	c := NewCluster(t, 3)
	c.StartAll()
	addrs := c.Addrs()

	// init retries until the node answers.
	r := c.MustRun(cliTimeout, "init", "--host", addrs[0], "--timeout", "20s")
	t.Logf("init: %s", strings.TrimSpace(r.Stdout))
	// A second init fails clearly, on any node.
	r = c.Run(cliTimeout, "init", "--host", addrs[1], "--timeout", "20s")
	require.Error(t, r.Err, "%s", r)
	require.Equal(t, 3, exitCode(r.Err), "%s", r)
	require.Contains(t, r.Stderr, "already initialized")

	// Up-replication: every node holds a replica of the one range.
	WaitFor(t, 30*time.Second, "three replicas", func() error {
		s, err := status(c, addrs[0])
		if err != nil {
			return err
		}
		if len(s.Nodes) != 3 {
			return fmt.Errorf("%d nodes: %+v", len(s.Nodes), s)
		}
		leases := 0
		for _, n := range s.Nodes {
			if n.Liveness != "up" || n.Replicas != 1 {
				return fmt.Errorf("not yet: %+v", s)
			}
			leases += n.Leases
		}
		if leases != 1 {
			return fmt.Errorf("%d leases: %+v", leases, s)
		}
		return nil
	})

	const nKeys = 20
	key := func(i int) string { return fmt.Sprintf("bb/key%02d", i) }
	val := func(i int) string { return fmt.Sprintf("value-%d", i) }
	for i := 0; i < nKeys; i++ {
		c.MustRun(cliTimeout, "kv", "put", key(i), val(i), "--host", addrs[i%3], "--timeout", "20s")
	}
	for i := 0; i < nKeys; i++ {
		r := c.MustRun(cliTimeout, "kv", "get", key(i), "--host", addrs[(i+1)%3], "--timeout", "20s")
		require.Equal(t, val(i), strings.TrimSpace(r.Stdout))
	}
	r = c.Run(cliTimeout, "kv", "get", "bb/missing", "--host", addrs[0], "--timeout", "20s")
	require.Error(t, r.Err, "%s", r)
	require.Contains(t, r.Stderr, "key not found")

	// The workload runs against the cluster and ends with its one summary
	// line on stdout.
	r = c.MustRun(cliTimeout, "workload", "kv", "--host", strings.Join(addrs, ","), "--concurrency", "4",
		"--duration", "2s", "--read-percent", "50", "--keys", "100", "--prefix", "bb-workload/")
	require.Regexp(t, `^ops/s=[0-9.]+ p50_ms=[0-9.]+ p95_ms=[0-9.]+ p99_ms=[0-9.]+ errors=0\n$`, r.Stdout)
	require.Contains(t, r.Stderr, "interval ops/s=", "progress lines")

	// The bank checker: transfers and total reads in transactions.
	r = c.MustRun(cliTimeout, "workload", "bank", "--host", strings.Join(addrs, ","), "--accounts", "20",
		"--concurrency", "4", "--duration", "2s", "--check", "--prefix", "bb-bank/")
	require.Regexp(t, `^commits/s=[0-9.]+ aborts/s=[0-9.]+ retries=[0-9]+ anomalies=0\n$`, r.Stdout)

	// Kill the leaseholder's process.
	s, err := status(c, addrs[0])
	require.NoError(t, err)
	holder := 0
	for _, n := range s.Nodes {
		if n.Leases > 0 {
			for i, a := range addrs {
				if a == n.Address {
					holder = i + 1
				}
			}
		}
	}
	require.NotZero(t, holder, "leaseholder not found in %+v", s)
	c.Kill(holder)
	other := addrs[holder%3] // the next node
	t.Logf("killed leaseholder n%d; reading through %s", holder, other)

	// Every acknowledged write is readable through another node.
	for i := 0; i < nKeys; i++ {
		r := c.MustRun(cliTimeout, "kv", "get", key(i), "--host", other, "--timeout", "20s")
		require.Equal(t, val(i), strings.TrimSpace(r.Stdout), "key %s", key(i))
	}
	r = c.MustRun(cliTimeout, "kv", "scan", "bb/", "bb0", "--host", other, "--timeout", "20s")
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	require.Len(t, lines, nKeys, "%s", r)
	for i, l := range lines {
		require.Equal(t, key(i)+"\t"+val(i), l)
	}
	// node status reports the killed node down.
	s, err = status(c, other)
	require.NoError(t, err)
	for _, n := range s.Nodes {
		want := "up"
		if n.Address == addrs[holder-1] {
			want = "down"
		}
		require.Equal(t, want, n.Liveness, "%+v", s)
	}
	// Two of three nodes still take writes.
	c.MustRun(cliTimeout, "kv", "put", "bb/after-kill", "yes", "--host", other, "--timeout", "20s")
	c.MustRun(cliTimeout, "kv", "del", key(0), "--host", other, "--timeout", "20s")

	// The killed node restarts from its store and catches up.
	c.Start(holder)
	WaitFor(t, 30*time.Second, "restarted node caught up", func() error {
		r := c.Run(cliTimeout, "kv", "get", "bb/after-kill", "--host", addrs[holder-1], "--timeout", "5s")
		if r.Err != nil {
			return fmt.Errorf("%s", r)
		}
		return nil
	})

	// A full restart from the stores loses nothing.
	for i := 1; i <= 3; i++ {
		c.Kill(i)
	}
	c.StartAll()
	for i := 1; i < nKeys; i++ {
		r := c.MustRun(cliTimeout, "kv", "get", key(i), "--host", addrs[i%3], "--timeout", "20s")
		require.Equal(t, val(i), strings.TrimSpace(r.Stdout))
	}
	r = c.Run(cliTimeout, "kv", "get", key(0), "--host", addrs[0], "--timeout", "20s")
	require.Error(t, r.Err, "deleted key stays deleted: %s", r)
	require.Contains(t, r.Stderr, "key not found")
	t.Logf("black-box test took %s", time.Since(start).Round(time.Millisecond))
}

// TestCLIErrors checks bad input: unknown flags and commands, malformed
// arguments, and an unreachable host, each a clear message with a non-zero
// exit and no panic.
func TestCLIErrors(t *testing.T) {
	c := NewCluster(t, 1) // not started: its address refuses connections
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"start", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"nosuchcommand"}, 2, "unknown command"},
		{[]string{"start"}, 2, "--store is required"},
		{[]string{"start", "--store", t.TempDir(), "--listen", "nohost:99999"}, 2, "port must be 1-65535"},
		{[]string{"kv", "put", "onlykey"}, 2, "accepts 2 arg(s)"},
		{[]string{"kv", "get", "0xzz"}, 2, "bad hex key"},
		{[]string{"kv", "scan", "b", "a"}, 2, "START must sort before END"},
		{[]string{"kv", "get", "k", "--timeout", "0s"}, 2, "--timeout must be positive"},
		{[]string{"node", "status", "--format", "xml"}, 2, "--format must be table or json"},
		{[]string{"workload", "kv", "--concurrency", "0"}, 2, "--concurrency must be in"},
		{[]string{"workload", "kv", "--read-percent", "101"}, 2, "--read-percent must be in"},
		{[]string{"kv", "get", "k", "--host", c.Node(1).Addr, "--timeout", "1s"}, 1, "unavailable"},
	} {
		r := c.Run(cliTimeout, tc.args...)
		require.Error(t, r.Err, "%s", r)
		require.Equal(t, tc.code, exitCode(r.Err), "%s", r)
		require.Contains(t, r.Stderr, tc.msg, "%s", r)
		require.NotContains(t, r.Stderr, "panic", "%s", r)
	}
}
