// Package servertest runs an in-process cluster of real nodes (real
// Pebble stores in temporary directories, real gRPC on loopback) for
// tests above the server: kv clients, transactions, SQL. Nodes can be
// stopped and restarted, ranges split and merged through the same Admin
// RPCs an operator uses, pairs of nodes partitioned (Partition: their
// connections are cut and redials refused) and node clocks skewed
// (SetClockOffset).
//
// Invariants: every node listens on 127.0.0.1; everything a Cluster
// starts is stopped by the test's Cleanup. Faults only touch traffic
// between nodes: clients of the cluster (DB, Admin) always reach every
// running node.
package servertest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/tesseradb/tessera/internal/testport"
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
	// SQL makes every node serve SQL (the real engine, server.NewSQLEngine)
	// on a loopback port; see SQLURL.
	SQL bool
}

// Cluster is a running in-process cluster.
type Cluster struct {
	t     testing.TB
	cfg   Config
	Addrs []string
	dirs  []string

	mu    sync.Mutex
	nodes []*server.Server
	// cut holds the partitioned node pairs (lower index first); conns the
	// live inter-node connections per pair, closed when the pair is cut.
	cut   map[[2]int]bool
	conns map[[2]int]map[net.Conn]struct{}

	offsets []atomic.Int64 // per node, nanoseconds added to its wall clock
	admins  []kvpb.AdminClient
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
	c := &Cluster{t: t, cfg: cfg, cut: map[[2]int]bool{}, conns: map[[2]int]map[net.Conn]struct{}{},
		offsets: make([]atomic.Int64, cfg.Nodes), admins: make([]kvpb.AdminClient, cfg.Nodes)}
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
	l, err := testport.Listen()
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
	knobs := c.cfg.Knobs
	knobs.PeerDialOptions = append(slices.Clone(knobs.PeerDialOptions), grpc.WithContextDialer(c.dialer(i)))
	if knobs.PhysicalClock == nil {
		knobs.PhysicalClock = func() int64 { return time.Now().UnixNano() + c.offsets[i].Load() }
	}
	cfg := server.Config{StoreDir: c.dirs[i], Listen: c.Addrs[i], Join: c.Addrs, Logger: logger, Knobs: knobs}
	if c.cfg.SQL {
		cfg.SQLAddr, cfg.SQLEngine = "127.0.0.1:0", server.NewSQLEngine
	}
	s, err := server.New(cfg)
	if err != nil {
		c.t.Fatalf("starting n%d: %v", i+1, err)
	}
	if err := s.Start(context.Background()); err != nil {
		c.t.Fatalf("starting n%d: %v", i+1, err)
	}
	c.nodes[i] = s
}

// SetClockOffset sets node i's clock to the wall clock plus d (the node's
// hybrid logical clock never goes backwards: a smaller offset only slows
// its physical part down until the wall catches up). It has no effect when
// Config.Knobs.PhysicalClock is set.
func (c *Cluster) SetClockOffset(i int, d time.Duration) { c.offsets[i].Store(int64(d)) }

func pair(i, j int) [2]int {
	if i > j {
		i, j = j, i
	}
	return [2]int{i, j}
}

// Partition cuts nodes i and j apart (both directions): their open
// connections are closed and new dials between them fail until Heal.
func (c *Cluster) Partition(i, j int) {
	c.mu.Lock()
	p := pair(i, j)
	c.cut[p] = true
	conns := c.conns[p]
	delete(c.conns, p)
	c.mu.Unlock()
	for conn := range conns {
		conn.Close()
	}
}

// Isolate partitions node i from every other node.
func (c *Cluster) Isolate(i int) {
	for j := range c.Addrs {
		if j != i {
			c.Partition(i, j)
		}
	}
}

// Heal removes every partition.
func (c *Cluster) Heal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.cut)
}

// errPartitioned is returned by dials across a partition.
var errPartitioned = errors.New("servertest: partitioned")

// dialer returns node from's dialer for inter-node connections: it
// refuses addresses across a partition and registers each connection so
// that Partition can close it.
func (c *Cluster) dialer(from int) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		to := slices.Index(c.Addrs, addr)
		c.mu.Lock()
		cut := to >= 0 && to != from && c.cut[pair(from, to)]
		c.mu.Unlock()
		if cut {
			return nil, fmt.Errorf("n%d -> %s: %w", from+1, addr, errPartitioned)
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil || to < 0 || to == from {
			return conn, err
		}
		p := pair(from, to)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.cut[p] { // cut while dialing
			conn.Close()
			return nil, fmt.Errorf("n%d -> %s: %w", from+1, addr, errPartitioned)
		}
		if c.conns[p] == nil {
			c.conns[p] = map[net.Conn]struct{}{}
		}
		tc := &trackedConn{Conn: conn, forget: func(cn net.Conn) {
			c.mu.Lock()
			delete(c.conns[p], cn)
			c.mu.Unlock()
		}}
		c.conns[p][tc] = struct{}{}
		return tc, nil
	}
}

// trackedConn forgets itself in the cluster's table when closed.
type trackedConn struct {
	net.Conn
	once   sync.Once
	forget func(net.Conn)
}

func (t *trackedConn) Close() error {
	t.once.Do(func() { t.forget(t) })
	return t.Conn.Close()
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

// NodeID returns node i's ID (0 when it is stopped or has not joined).
func (c *Cluster) NodeID(i int) kvpb.NodeID {
	c.mu.Lock()
	s := c.nodes[i]
	c.mu.Unlock()
	if s == nil {
		return 0
	}
	return s.NodeID()
}

// SQLURL waits until node i's SQL engine is ready (Config.SQL) and
// returns a connection URL for it.
func (c *Cluster) SQLURL(i int) string {
	c.t.Helper()
	c.mu.Lock()
	s := c.nodes[i]
	c.mu.Unlock()
	if s == nil || !c.cfg.SQL {
		c.t.Fatalf("n%d serves no SQL", i+1)
	}
	tm := time.NewTimer(60 * time.Second)
	defer tm.Stop()
	select {
	case <-s.SQLReady():
	case <-tm.C:
		c.t.Fatalf("n%d: SQL engine not ready within 60s", i+1)
	}
	return "postgresql://root@" + s.SQLAddr() + "/defaultdb?sslmode=disable"
}

// Node returns node i (nil while stopped).
func (c *Cluster) Node(i int) *server.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
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

// Admin returns an Admin client of node i (one connection per node, kept
// across restarts, closed at Cleanup).
func (c *Cluster) Admin(i int) kvpb.AdminClient {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.admins[i]; a != nil {
		return a
	}
	db, err := kvclient.NewDB(kvclient.Config{Addrs: []string{c.Addrs[i]}})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(db.Close)
	conn, err := db.Conn(c.Addrs[i])
	if err != nil {
		c.t.Fatal(err)
	}
	c.admins[i] = kvpb.NewAdminClient(conn)
	return c.admins[i]
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

// Merge merges the range whose right neighbour starts at key (key is a
// range boundary) with that neighbour, through any running node.
func (c *Cluster) Merge(ctx context.Context, key []byte) error {
	var last error
	for i := range c.Addrs {
		if !c.Running(i) {
			continue
		}
		rs, err := c.Ranges(ctx, i)
		if err != nil {
			last = err
			continue
		}
		var left uint64
		for _, r := range rs {
			if string(r.GetDesc().GetEndKey()) == string(key) {
				left = r.GetDesc().GetRangeId()
			}
		}
		if left == 0 {
			return fmt.Errorf("merge at %q: no range ends there", key)
		}
		if _, err = c.Admin(i).AdminMerge(ctx, &kvpb.AdminMergeRequest{RangeId: left}); err == nil {
			return nil
		}
		last = err
	}
	return fmt.Errorf("merge at %q: %w", key, last)
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
