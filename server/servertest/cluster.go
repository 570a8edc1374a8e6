// Package servertest runs an in-process cluster of real nodes (real
// Pebble stores in temporary directories, real gRPC on loopback) for
// tests above the server: kv clients, transactions, SQL. Nodes can be
// stopped and restarted, and ranges split, through the same Admin RPCs an
// operator uses.
//
// Invariants: every node listens on 127.0.0.1; everything a Cluster
// starts is stopped by the test's Cleanup.
package servertest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/server"
)

// Config configures a Cluster.
type Config struct {
	Nodes int // default 3
	// Start is how many of the nodes Start starts (default all); the
	// others can be started later with StartNode (nodes joining).
	Start int
	// Knobs are passed to every node.
	Knobs server.Knobs
	// LogLevel of the nodes' logs (default Warn).
	LogLevel slog.Level
}

// Cluster is a running in-process cluster.
type Cluster struct {
	t     testing.TB
	cfg   Config
	Addrs []string
	dirs  []string

	mu    sync.Mutex
	nodes []*server.Server
}

// Start starts cfg.Nodes nodes, bootstraps the cluster on the first and
// waits until every node has joined and range 1 has a voter on every node
// (up to 3).
func Start(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	if cfg.Nodes <= 0 {
		cfg.Nodes = 3
	}
	if cfg.Start <= 0 || cfg.Start > cfg.Nodes {
		cfg.Start = cfg.Nodes
	}
	if cfg.LogLevel == 0 {
		cfg.LogLevel = slog.LevelWarn
	}
	if cfg.Knobs.MaintenanceInterval == 0 {
		cfg.Knobs.MaintenanceInterval = 100 * time.Millisecond
	}
	if cfg.Knobs.JoinInterval == 0 {
		cfg.Knobs.JoinInterval = 50 * time.Millisecond
	}
	c := &Cluster{t: t, cfg: cfg}
	root := t.TempDir()
	for i := 0; i < cfg.Nodes; i++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		c.Addrs = append(c.Addrs, "127.0.0.1:"+strconv.Itoa(port))
		c.dirs = append(c.dirs, filepath.Join(root, "n"+strconv.Itoa(i+1)))
	}
	c.nodes = make([]*server.Server, cfg.Nodes)
	t.Cleanup(func() {
		for i := range c.nodes {
			c.StopNode(i)
		}
	})
	for i := 0; i < cfg.Start; i++ {
		c.StartNode(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.Admin(0).Bootstrap(ctx, &kvpb.BootstrapRequest{}); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	want := min(cfg.Start, 3)
	c.WaitFor(60*time.Second, "every node joined and range 1 fully replicated", func() error {
		st, err := c.Admin(0).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
		if err != nil {
			return err
		}
		live := 0
		for _, n := range st.GetNodes() {
			if n.GetLive() && n.GetDesc().GetNodeId() != 0 {
				live++
			}
		}
		if live != cfg.Start {
			return fmt.Errorf("%d of %d nodes live", live, cfg.Start)
		}
		ri, err := c.Admin(0).RangeInfo(ctx, &kvpb.RangeInfoRequest{RangeId: 1})
		if err != nil || len(ri.GetRanges()) == 0 {
			return fmt.Errorf("range 1 not on n1 yet: %v", err)
		}
		if v := len(ri.GetRanges()[0].GetDesc().Voters()); v < want {
			return fmt.Errorf("range 1 has %d voters", v)
		}
		return nil
	})
	return c
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartNode starts (or restarts, from its store) node i.
func (c *Cluster) StartNode(i int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nodes[i] != nil {
		return
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: c.cfg.LogLevel}))
	s, err := server.New(server.Config{StoreDir: c.dirs[i], Listen: c.Addrs[i], Join: c.Addrs, Logger: logger, Knobs: c.cfg.Knobs})
	if err != nil {
		c.t.Fatalf("starting n%d: %v", i+1, err)
	}
	if err := s.Start(context.Background()); err != nil {
		c.t.Fatalf("starting n%d: %v", i+1, err)
	}
	c.nodes[i] = s
}

// StopNode stops node i (its store stays on disk).
func (c *Cluster) StopNode(i int) {
	c.mu.Lock()
	s := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Stop()
	}
}

// Server returns node i's server (nil when it is stopped).
func (c *Cluster) Server(i int) *server.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// Running reports whether node i runs.
func (c *Cluster) Running(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i] != nil
}

// DB returns a client of the cluster (all addresses), closed at Cleanup.
func (c *Cluster) DB(cfg kvclient.Config) *kvclient.DB {
	c.t.Helper()
	if len(cfg.Addrs) == 0 {
		cfg.Addrs = c.Addrs
	}
	db, err := kvclient.NewDB(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(db.Close)
	return db
}

// Admin returns an Admin client of node i (a fresh connection each call,
// closed at Cleanup).
func (c *Cluster) Admin(i int) kvpb.AdminClient {
	c.t.Helper()
	db, err := kvclient.NewDB(kvclient.Config{Addrs: []string{c.Addrs[i]}})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(db.Close)
	conn, err := db.Conn(c.Addrs[i])
	if err != nil {
		c.t.Fatal(err)
	}
	return kvpb.NewAdminClient(conn)
}

// Placement returns a Placement client of node i (closed at Cleanup).
func (c *Cluster) Placement(i int) placementpb.PlacementClient {
	c.t.Helper()
	db, err := kvclient.NewDB(kvclient.Config{Addrs: []string{c.Addrs[i]}})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(db.Close)
	conn, err := db.Conn(c.Addrs[i])
	if err != nil {
		c.t.Fatal(err)
	}
	return placementpb.NewPlacementClient(conn)
}

// Split splits the range holding key at key, through any running node.
func (c *Cluster) Split(ctx context.Context, key []byte) error {
	var last error
	for i := range c.Addrs {
		if !c.Running(i) {
			continue
		}
		_, err := c.Admin(i).AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: key})
		if err == nil {
			return nil
		}
		last = err
	}
	return fmt.Errorf("split at %q: %w", key, last)
}

// Ranges lists the ranges (through node i).
func (c *Cluster) Ranges(ctx context.Context, i int) ([]*kvpb.RangeListEntry, error) {
	resp, err := c.Admin(i).RangesList(ctx, &kvpb.RangesListRequest{})
	if err != nil {
		return nil, err
	}
	return resp.GetRanges(), nil
}

// WaitFor polls cond every 20ms until it returns nil, failing the test
// with cond's last error after timeout.
func (c *Cluster) WaitFor(timeout time.Duration, what string, cond func() error) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		tm := time.NewTimer(20 * time.Millisecond)
		<-tm.C
	}
}
