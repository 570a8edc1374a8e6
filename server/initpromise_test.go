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
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tesseradb/tessera/kv/kvpb"
)

func testAddrs(t *testing.T, n int) []string {
	ports, err := freePorts(n)
	require.NoError(t, err)
	var addrs []string
	for _, p := range ports {
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(p))
	}
	return addrs
}

// startInitNode starts node i of a cluster whose nodes all --join each
// other, with fast join and maintenance intervals and then knobs.
func startInitNode(t *testing.T, root string, addrs []string, i int, knobs func(k *Knobs)) {
	k := Knobs{MaintenanceInterval: 100 * time.Millisecond, JoinInterval: 50 * time.Millisecond}
	if knobs != nil {
		knobs(&k)
	}
	// Redial a peer that was not listening yet within 100ms (gRPC's
	// default backoff is a second and more).
	k.PeerDialOptions = append(k.PeerDialOptions, grpc.WithConnectParams(grpc.ConnectParams{
		Backoff: backoff.Config{BaseDelay: 10 * time.Millisecond, Multiplier: 1.6, MaxDelay: 100 * time.Millisecond}}))
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := New(Config{StoreDir: filepath.Join(root, "n"+strconv.Itoa(i+1)), Listen: addrs[i], Join: addrs,
		Logger: logger, Knobs: k})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	t.Cleanup(s.Stop)
}

// initCluster starts every node of addrs, with per-node knobs.
func initCluster(t *testing.T, addrs []string, knobs func(i int, k *Knobs)) {
	root := t.TempDir()
	for i := range addrs {
		startInitNode(t, root, addrs, i, func(k *Knobs) {
			if knobs != nil {
				knobs(i, k)
			}
		})
	}
}

// bootstrapRetrying is Bootstrap retried while it is Unavailable, as
// `tessera init` does.
func bootstrapRetrying(ctx context.Context, t *testing.T, addr string) (*kvpb.BootstrapResponse, error) {
	for {
		resp, err := admin(t, addr).Bootstrap(ctx, &kvpb.BootstrapRequest{})
		if status.Code(err) != codes.Unavailable || ctx.Err() != nil {
			return resp, err
		}
		tm := time.NewTimer(50 * time.Millisecond)
		select {
		case <-tm.C:
		case <-ctx.Done():
			tm.Stop()
		}
	}
}

// clusterOf returns the cluster ID the node at addr reports ("" if none).
func clusterOf(ctx context.Context, t *testing.T, addr string) (string, error) {
	st, err := admin(t, addr).InitState(ctx, &kvpb.InitStateRequest{})
	if err != nil {
		return "", err
	}
	return st.GetClusterId(), nil
}

// waitSameCluster waits until every node reports cluster cid.
func waitSameCluster(ctx context.Context, t *testing.T, addrs []string, cid string) {
	waitFor(t, 30*time.Second, "every node in cluster "+cid, func() error {
		for _, a := range addrs {
			got, err := clusterOf(ctx, t, a)
			if err != nil {
				return err
			}
			if got != cid {
				return fmt.Errorf("%s is in cluster %q", a, got)
			}
		}
		return nil
	})
}

// TestInitRefusedWhenAPeerIsInitialized: node 1 is bootstrapped; node 2,
// not joined yet and unable to reach node 1, gets an init. Its other
// peer, node 3, had promised node 1 and learns from it that a cluster
// exists, so node 2 refuses (before, node 2 skipped the unreachable node
// 1, saw node 3 outside any cluster and bootstrapped a second cluster).
// Once the nodes may join, all three are in node 1's cluster.
func TestInitRefusedWhenAPeerIsInitialized(t *testing.T) {
	gate := make(chan struct{})
	var cut atomic.Bool
	cut.Store(true)
	addrs := testAddrs(t, 3)
	initCluster(t, addrs, func(i int, k *Knobs) {
		if i == 0 {
			return
		}
		k.JoinGate = gate
		if i == 1 {
			k.PeerDialOptions = []grpc.DialOption{grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
				if cut.Load() && addr == addrs[0] {
					return nil, errors.New("test: n2 cannot reach n1")
				}
				var d net.Dialer
				return d.DialContext(ctx, "tcp", addr)
			})}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// (Retried while Unavailable: a node's first dials of a peer that was
	// not listening yet back off for a while.)
	resp, err := bootstrapRetrying(ctx, t, addrs[0])
	require.NoError(t, err)
	_, err = bootstrapRetrying(ctx, t, addrs[1])
	require.Error(t, err)
	require.Equal(t, codes.AlreadyExists, status.Code(err), "%v", err)
	require.Contains(t, status.Convert(err).Message(), "cluster already initialized at "+addrs[0])
	require.Contains(t, status.Convert(err).Message(), resp.GetClusterId())
	cid, err := clusterOf(ctx, t, addrs[1])
	require.NoError(t, err)
	require.Empty(t, cid, "n2 must not have bootstrapped")

	cut.Store(false)
	close(gate)
	waitSameCluster(ctx, t, addrs, resp.GetClusterId())
}

// TestConcurrentInitsBootstrapOnce: node 1's init holds its promises and
// is about to bootstrap when node 2 gets an init: node 2 must refuse
// (init in progress at node 1), not bootstrap a second cluster (before,
// node 2 saw both peers outside any cluster). Retried after node 1's
// bootstrap, node 2's init fails with "already initialized", and every
// node ends in node 1's cluster.
func TestConcurrentInitsBootstrapOnce(t *testing.T) {
	reached := make(chan struct{})
	proceed := make(chan struct{})
	addrs := testAddrs(t, 3)
	initCluster(t, addrs, func(i int, k *Knobs) {
		if i == 0 {
			k.BeforeBootstrap = func() {
				close(reached)
				<-proceed
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	type result struct {
		resp *kvpb.BootstrapResponse
		err  error
	}
	first := make(chan result, 1)
	go func() {
		resp, err := bootstrapRetrying(ctx, t, addrs[0])
		first <- result{resp, err}
	}()
	select {
	case <-reached:
	case r := <-first:
		t.Fatalf("n1's init ended before bootstrapping: %v", r.err)
	}
	_, err := admin(t, addrs[1]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	close(proceed)
	require.Error(t, err, "a second init while n1 bootstraps")
	require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	require.Contains(t, status.Convert(err).Message(), "init in progress at "+addrs[0])
	r := <-first
	require.NoError(t, r.err)

	_, err = bootstrapRetrying(ctx, t, addrs[1])
	require.Equal(t, codes.AlreadyExists, status.Code(err), "%v", err)
	waitSameCluster(ctx, t, addrs, r.resp.GetClusterId())
}

// TestInitNeedsAMajority: with two of three --join nodes down, init
// refuses (Unavailable, so the CLI retries) and the node stays out of any
// cluster; with one of them up, init succeeds.
func TestInitNeedsAMajority(t *testing.T) {
	addrs := testAddrs(t, 3)
	root := t.TempDir()
	start := func(i int) { startInitNode(t, root, addrs, i, nil) }
	start(0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := admin(t, addrs[0]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	require.Contains(t, status.Convert(err).Message(), "majority")
	cid, err := clusterOf(ctx, t, addrs[0])
	require.NoError(t, err)
	require.Empty(t, cid)

	start(2)
	resp, err := bootstrapRetrying(ctx, t, addrs[0])
	require.NoError(t, err)
	start(1)
	waitSameCluster(ctx, t, addrs, resp.GetClusterId())
}
