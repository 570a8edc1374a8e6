package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
)

func freePorts(n int) ([]int, error) {
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// testCluster runs n in-process nodes on loopback with real stores.
type testCluster struct {
	t     testing.TB
	dirs  []string
	addrs []string
	nodes []*Server
	// noDriver turns the placement driver off (the nodes up-replicate
	// themselves), for tests that place ranges by hand.
	noDriver bool
}

func newTestCluster(t testing.TB, n int) *testCluster { return newTestClusterOpts(t, n, false) }

func newTestClusterOpts(t testing.TB, n int, noDriver bool) *testCluster {
	ports, err := freePorts(n)
	require.NoError(t, err)
	c := &testCluster{t: t, noDriver: noDriver}
	root := t.TempDir()
	for i := 0; i < n; i++ {
		c.dirs = append(c.dirs, filepath.Join(root, "n"+strconv.Itoa(i+1)))
		c.addrs = append(c.addrs, "127.0.0.1:"+strconv.Itoa(ports[i]))
	}
	c.nodes = make([]*Server, n)
	for i := range c.nodes {
		c.start(i)
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	return c
}

func (c *testCluster) start(i int) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := New(Config{StoreDir: c.dirs[i], Listen: c.addrs[i], Join: c.addrs, Logger: logger,
		Knobs: Knobs{MaintenanceInterval: 100 * time.Millisecond, JoinInterval: 50 * time.Millisecond,
			DisablePlacementDriver: c.noDriver}})
	require.NoError(c.t, err)
	require.NoError(c.t, s.Start(context.Background()))
	c.nodes[i] = s
}

func (c *testCluster) stop(i int) {
	if c.nodes[i] != nil {
		c.nodes[i].Stop()
		c.nodes[i] = nil
	}
}

func waitFor(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		tm := time.NewTimer(20 * time.Millisecond)
		<-tm.C
	}
}

// threeVoters checks that the node at addr sees range 1 with three voters
// and no learner (the placement driver adds a learner, then promotes it).
func threeVoters(ctx context.Context, t testing.TB, addr string) error {
	resp, err := admin(t, addr).RangeInfo(ctx, &kvpb.RangeInfoRequest{RangeId: 1})
	if err != nil {
		return err
	}
	for _, ri := range resp.GetRanges() {
		d := ri.GetDesc()
		if len(d.Voters()) != 3 || len(d.GetReplicas()) != 3 {
			return fmt.Errorf("%s: r1 is %v", addr, d)
		}
	}
	return nil
}

func admin(t testing.TB, addr string) kvpb.AdminClient {
	c, err := kvclient.NewDB(kvclient.Config{Addrs: []string{addr}})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	conn, err := c.Conn(addr)
	require.NoError(t, err)
	return kvpb.NewAdminClient(conn)
}

// TestClusterLifecycle: bootstrap, join, up-replication, the kv client's
// operations through every node, leaseholder loss, restart from stores.
func TestClusterLifecycle(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()

	resp, err := admin(t, c.addrs[0]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	require.EqualValues(t, 1, resp.GetNodeId())
	_, err = admin(t, c.addrs[0]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.Error(t, err, "second bootstrap")

	waitFor(t, 30*time.Second, "3 voters on 3 nodes", func() error {
		st, err := admin(t, c.addrs[0]).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
		if err != nil {
			return err
		}
		if len(st.GetNodes()) != 3 {
			return fmt.Errorf("%d nodes", len(st.GetNodes()))
		}
		for _, n := range st.GetNodes() {
			if !n.GetLive() || n.GetReplicaCount() != 1 {
				return fmt.Errorf("%v", st)
			}
			if err := threeVoters(ctx, t, n.GetDesc().GetAddress()); err != nil {
				return err
			}
		}
		return nil
	})
	ids := map[kvpb.NodeID]bool{}
	for _, s := range c.nodes {
		require.NotZero(t, s.NodeID())
		ids[s.NodeID()] = true
	}
	require.Len(t, ids, 3, "distinct node IDs")

	clock := hlc.NewWallClock(hlc.DefaultMaxOffset)
	kv, err := kvclient.NewDB(kvclient.Config{Addrs: c.addrs[2:], Clock: clock})
	require.NoError(t, err)
	defer kv.Close()

	require.NoError(t, kv.Put(ctx, []byte("a"), []byte("1")))
	v, ok, err := kv.Get(ctx, []byte("a"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "1", string(v))
	_, ok, err = kv.Get(ctx, []byte("missing"))
	require.NoError(t, err)
	require.False(t, ok)

	require.NoError(t, kv.CPut(ctx, []byte("c"), []byte("x"), nil))
	err = kv.CPut(ctx, []byte("c"), []byte("y"), nil)
	var cfe *kvpb.ConditionFailedError
	require.ErrorAs(t, err, &cfe)
	require.NoError(t, kv.CPut(ctx, []byte("c"), []byte("y"), []byte("x")))

	for i := 1; i <= 5; i++ {
		n, err := kv.Inc(ctx, []byte("counter"), 2)
		require.NoError(t, err)
		require.EqualValues(t, 2*i, n)
	}
	for i := 0; i < 10; i++ {
		require.NoError(t, kv.Put(ctx, []byte(fmt.Sprintf("s/%02d", i)), []byte("v")))
	}
	rows, err := kv.Scan(ctx, []byte("s/"), []byte("s0"), 0)
	require.NoError(t, err)
	require.Len(t, rows, 10)
	rows, err = kv.Scan(ctx, []byte("s/"), []byte("s0"), 3)
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Equal(t, "s/02", string(rows[2].Key))
	require.NoError(t, kv.DelRange(ctx, []byte("s/05"), []byte("s0")))
	rows, err = kv.Scan(ctx, []byte("s/"), []byte("s0"), 0)
	require.NoError(t, err)
	require.Len(t, rows, 5)
	require.NoError(t, kv.Del(ctx, []byte("a")))
	_, ok, err = kv.Get(ctx, []byte("a"))
	require.NoError(t, err)
	require.False(t, ok)

	_, _, err = kv.Get(ctx, []byte("\x01local"))
	var inv *kvpb.InvalidRequestError
	require.ErrorAs(t, err, &inv, "local keys are refused, not retried")
	require.False(t, clock.Now().IsEmpty())

	// Stop the leaseholder; the others keep serving.
	holder := -1
	for i, s := range c.nodes {
		if st := s.store(); st != nil && st.Metrics().LeaseCount > 0 {
			holder = i
		}
	}
	require.GreaterOrEqual(t, holder, 0)

	// A follower forwards a batch to the leaseholder once; a forwarded
	// batch is never forwarded again.
	follower := c.addrs[(holder+1)%3]
	fconn, err := kv.Conn(follower)
	require.NoError(t, err)
	ba := &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: 1}, Requests: []*kvpb.RequestUnion{kvpb.NewGet([]byte("c"))}}
	br, err := kvpb.NewInternalClient(fconn).Batch(ctx, ba)
	require.NoError(t, err)
	require.Nil(t, br.GetError())
	require.Equal(t, "y", string(br.GetResponses()[0].GetGet().GetValue()))
	br, err = kvpb.NewInternalClient(fconn).Batch(metadata.AppendToOutgoingContext(ctx, forwardedKey, "1"), ba)
	require.NoError(t, err)
	require.NotNil(t, br.GetError().GetNotLeaseholder(), "%v", br)

	// Move the lease away through the admin RPC, then back to the test's
	// notion of the holder: the node that has it now.
	to := (holder + 1) % 3
	_, err = admin(t, c.addrs[holder]).TransferLease(ctx, &kvpb.TransferLeaseRequest{RangeId: 1,
		Target: &kvpb.ReplicaTarget{NodeId: uint64(c.nodes[to].NodeID()), StoreId: uint64(c.nodes[to].NodeID())}})
	require.NoError(t, err)
	waitFor(t, 10*time.Second, "lease on the target", func() error {
		if c.nodes[to].store().Metrics().LeaseCount == 1 {
			return nil
		}
		return errors.New("not yet")
	})
	holder = to
	v, ok, err = kv.Get(ctx, []byte("c"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "y", string(v), "served by the new leaseholder")

	c.stop(holder)
	var live []string
	for i, a := range c.addrs {
		if i != holder {
			live = append(live, a)
		}
	}
	kv2, err := kvclient.NewDB(kvclient.Config{Addrs: live})
	require.NoError(t, err)
	defer kv2.Close()
	v, ok, err = kv2.Get(ctx, []byte("c"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "y", string(v))
	require.NoError(t, kv2.Put(ctx, []byte("after"), []byte("stop")))

	st, err := admin(t, live[0]).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
	require.NoError(t, err)
	down := 0
	for _, n := range st.GetNodes() {
		if !n.GetLive() {
			down++
			require.Equal(t, c.addrs[holder], n.GetDesc().GetAddress())
		}
	}
	require.Equal(t, 1, down, "%v", st)

	// Restart every node from its store: nothing lost.
	for i := range c.nodes {
		c.stop(i)
	}
	for i := range c.nodes {
		c.start(i)
	}
	kv3, err := kvclient.NewDB(kvclient.Config{Addrs: c.addrs})
	require.NoError(t, err)
	defer kv3.Close()
	v, ok, err = kv3.Get(ctx, []byte("after"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "stop", string(v))
	got, err := kv3.Inc(ctx, []byte("counter"), 0)
	require.NoError(t, err)
	require.EqualValues(t, 10, got)
}

// TestUnavailableIsBounded: with two of three nodes down, requests fail
// with ErrUnavailable within their deadline and succeed again once a node
// returns.
func TestUnavailableIsBounded(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	_, err := admin(t, c.addrs[0]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	kv, err := kvclient.NewDB(kvclient.Config{Addrs: c.addrs})
	require.NoError(t, err)
	defer kv.Close()
	waitFor(t, 30*time.Second, "3 replicas", func() error {
		for _, s := range c.nodes {
			if st := s.store(); st == nil || st.Metrics().ReplicaCount != 1 {
				return errors.New("not yet")
			}
		}
		return nil
	})
	require.NoError(t, kv.Put(ctx, []byte("k"), []byte("v")))
	c.stop(1)
	c.stop(2)
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err = kv.Put(dctx, []byte("k"), []byte("w"))
	cancel()
	require.ErrorIs(t, err, kvclient.ErrUnavailable)
	require.Less(t, time.Since(start), 5*time.Second, "bounded")
	c.start(1)
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, kv.Put(rctx, []byte("k"), []byte("x")))
}
