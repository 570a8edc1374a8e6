package rangetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/internal/testport"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges"
)

// TransportKind selects how nodes talk.
type TransportKind int

const (
	// Mem uses a ranges.MemNetwork (fault injection available).
	Mem TransportKind = iota
	// GRPC uses real gRPC over loopback.
	GRPC
)

// Config configures a Cluster.
type Config struct {
	Nodes     int
	Transport TransportKind
	Seed      int64
	// Replicas is the replication factor of range 1 (default min(3, Nodes)).
	Replicas       int
	TickInterval   time.Duration // default 20ms
	ElectionTicks  int           // default 10
	LeaseDuration  time.Duration // default 1s
	MaxOffset      time.Duration // default 100ms
	RequestTimeout time.Duration // default 3s
	// AttemptTimeout bounds one attempt of the client (default 1s).
	AttemptTimeout    time.Duration
	RaftLogMaxEntries uint64 // default 1000
	// SnapshotChunkBytes (default: the store's).
	SnapshotChunkBytes int
	// CrashableFS keeps every store on a crashable in-memory filesystem so
	// that Crash can drop whatever was not synced (instead of real dirs).
	CrashableFS bool
	// GCTTL is the stores' MVCC GC TTL (default: ranges.DefaultGCTTL).
	// The GC queue never runs on its own: tests call Store.RunGC.
	GCTTL time.Duration
	// TxnRecordGCAge (default: the store's).
	TxnRecordGCAge time.Duration
}

func (c *Config) defaults() {
	if c.Nodes == 0 {
		c.Nodes = 3
	}
	if c.Replicas == 0 {
		c.Replicas = min(3, c.Nodes)
	}
	if c.TickInterval == 0 {
		c.TickInterval = 20 * time.Millisecond
	}
	if c.ElectionTicks == 0 {
		c.ElectionTicks = 10
	}
	if c.LeaseDuration == 0 {
		c.LeaseDuration = time.Second
	}
	if c.MaxOffset == 0 {
		c.MaxOffset = 100 * time.Millisecond
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 3 * time.Second
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = time.Second
	}
}

// Node is one member of the cluster.
type Node struct {
	ID      kvpb.NodeID
	StoreID kvpb.StoreID
	Dir     string
	fs      *vfs.MemFS // with Config.CrashableFS
	// crashes counts crashes begun: a reply from a node that crashed
	// while serving the request is not delivered (see sendTo).
	crashes atomic.Int64

	mu struct {
		sync.Mutex
		eng       storage.Engine
		store     *ranges.Store
		transport ranges.Transport
		server    *grpc.Server
		addr      string
		conn      *grpc.ClientConn
		running   bool
	}
}

// Store returns the node's running store (nil when stopped).
func (n *Node) Store() *ranges.Store {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mu.store
}

// Engine returns the node's open engine (nil when stopped): tests
// inspect what is stored.
func (n *Node) Engine() storage.Engine { return n.engine() }

// engine returns the node's open engine (nil when stopped).
func (n *Node) engine() storage.Engine {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mu.eng
}

// Running reports whether the node is up.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mu.running
}

// Cluster is an in-process cluster.
type Cluster struct {
	t     testing.TB
	cfg   Config
	clock *hlc.Clock
	Net   *ranges.MemNetwork
	Nodes []*Node

	mu struct {
		sync.Mutex
		blocked map[[2]kvpb.NodeID]bool
		// crashing: nodes being crashed, whose sends are all dropped
		// (see crash).
		crashing map[kvpb.NodeID]bool
		drop     float64
		filter   MessageFilter
		addrs    map[kvpb.NodeID]string
		// client routing: last node that answered, round-robin start.
		cachedLH *Node
		rr       int
	}
}

// New starts a cluster: node 1 bootstraps range 1, which is then
// replicated to cfg.Replicas nodes.
func New(t testing.TB, cfg Config) *Cluster {
	cfg.defaults()
	c := &Cluster{t: t, cfg: cfg, clock: hlc.NewClock(hlc.UnixNano, cfg.MaxOffset)}
	c.mu.blocked = map[[2]kvpb.NodeID]bool{}
	c.mu.crashing = map[kvpb.NodeID]bool{}
	c.mu.addrs = map[kvpb.NodeID]string{}
	if cfg.Transport == Mem {
		c.Net = ranges.NewMemNetwork(cfg.Seed)
	}
	root := t.TempDir()
	for i := 1; i <= cfg.Nodes; i++ {
		n := &Node{ID: kvpb.NodeID(i), StoreID: kvpb.StoreID(i), Dir: filepath.Join(root, fmt.Sprintf("n%d", i))}
		c.Nodes = append(c.Nodes, n)
		if cfg.CrashableFS {
			n.fs = vfs.NewCrashableMem()
			require.NoError(t, n.fs.MkdirAll(n.Dir, 0o755))
			// Make the directory itself durable, as a real deployment does.
			for d := n.Dir; ; d = filepath.Dir(d) {
				f, err := n.fs.OpenDir(d)
				require.NoError(t, err)
				require.NoError(t, f.Sync())
				require.NoError(t, f.Close())
				if d == filepath.Dir(d) {
					break
				}
			}
		}
		eng, err := c.open(n)
		require.NoError(t, err)
		require.NoError(t, ranges.WriteStoreIdent(eng, &kvpb.StoreIdent{ClusterId: "test", NodeId: uint64(i), StoreId: uint64(i)}))
		if i == 1 {
			_, err := ranges.BootstrapFirstRange(eng, &kvpb.StoreIdent{ClusterId: "test", NodeId: 1, StoreId: 1})
			require.NoError(t, err)
		}
		require.NoError(t, eng.Close())
	}
	for _, n := range c.Nodes {
		c.start(n)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 2; i <= cfg.Replicas; i++ {
		c.AddVoter(ctx, ranges.FirstRangeID, c.Nodes[i-1])
	}
	return c
}

// Config returns the cluster's configuration.
func (c *Cluster) Config() Config { return c.cfg }

// Clock is the clock all nodes share (one process).
func (c *Cluster) Clock() *hlc.Clock { return c.clock }

func (c *Cluster) resolve(id kvpb.NodeID) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.mu.addrs[id]
	if !ok {
		return "", fmt.Errorf("n%d has no address", id)
	}
	return a, nil
}

func (c *Cluster) open(n *Node) (storage.Engine, error) {
	if n.fs != nil {
		return storage.Open(n.Dir, storage.WithFS(n.fs))
	}
	return storage.Open(n.Dir)
}

func (c *Cluster) start(n *Node) {
	t := c.t
	eng, err := c.open(n)
	require.NoError(t, err)
	var inner ranges.Transport
	var lis net.Listener
	if c.cfg.Transport == Mem {
		inner = c.Net.Transport(n.ID)
	} else {
		lis, err = testport.Listen()
		require.NoError(t, err)
		inner = ranges.NewGRPCTransport(ranges.GRPCTransportConfig{NodeID: n.ID, Resolver: c.resolve})
	}
	tr := &faultTransport{inner: inner, c: c, from: n.ID}
	store, err := ranges.NewStore(ranges.StoreConfig{
		NodeID: n.ID, StoreID: n.StoreID, Engine: eng, Clock: c.clock, Transport: tr,
		TickInterval: c.cfg.TickInterval, ElectionTicks: c.cfg.ElectionTicks,
		LeaseDuration: c.cfg.LeaseDuration, RequestTimeout: c.cfg.RequestTimeout,
		RaftLogMaxEntries: c.cfg.RaftLogMaxEntries, Seed: c.cfg.Seed + int64(n.ID),
		SnapshotChunkBytes: c.cfg.SnapshotChunkBytes,
		GCTTL:              func() time.Duration { return c.cfg.GCTTL }, GCInterval: -1, TxnRecordGCAge: c.cfg.TxnRecordGCAge,
	})
	require.NoError(t, err)
	require.NoError(t, store.Start(context.Background()))
	n.mu.Lock()
	n.mu.eng, n.mu.store, n.mu.transport, n.mu.running = eng, store, tr, true
	n.mu.Unlock()
	if c.cfg.Transport == Mem {
		c.Net.Register(n.ID, store)
		return
	}
	srv := grpc.NewServer(append(ranges.GRPCServerOptions(), grpc.MaxRecvMsgSize(64<<20))...)
	kvpb.RegisterInternalServer(srv, ranges.NewInternalServer(store))
	go func() { _ = srv.Serve(lis) }()
	addr := lis.Addr().String()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	n.mu.Lock()
	n.mu.server, n.mu.addr, n.mu.conn = srv, addr, conn
	n.mu.Unlock()
	c.mu.Lock()
	c.mu.addrs[n.ID] = addr
	c.mu.Unlock()
}

// Stop stops node i (1-based) as a crash would, but cleanly enough to
// reuse its directory: pending requests fail, the engine is closed.
func (c *Cluster) Stop(i int) {
	n := c.Nodes[i-1]
	n.mu.Lock()
	if !n.mu.running {
		n.mu.Unlock()
		return
	}
	n.mu.running = false
	store, tr, srv, eng, conn := n.mu.store, n.mu.transport, n.mu.server, n.mu.eng, n.mu.conn
	n.mu.store, n.mu.server, n.mu.conn = nil, nil, nil
	n.mu.Unlock()
	if c.Net != nil {
		c.Net.Unregister(n.ID)
	}
	c.mu.Lock()
	delete(c.mu.addrs, n.ID)
	c.mu.Unlock()
	if srv != nil {
		srv.Stop()
	}
	if conn != nil {
		_ = conn.Close()
	}
	store.Stop()
	tr.Close()
	require.NoError(c.t, eng.Close())
}

// Crash stops node i as a power loss would (Config.CrashableFS): its
// store restarts from exactly what had been synced.
func (c *Cluster) Crash(i int) { c.crash(i, vfs.CrashCloneCfg{}) }

// CrashKeeping is Crash, except that each block of data written but not
// synced survives with probability pct% (chosen by rng): a crash in the
// middle of writing, where the WAL keeps an unsynced prefix.
func (c *Cluster) CrashKeeping(i int, pct int, rng *rand.Rand) {
	c.crash(i, vfs.CrashCloneCfg{UnsyncedDataPercent: pct, RNG: rng})
}

// crash takes the crash image and then stops the node. The node is cut
// off the network first: between the image and the stop it keeps running,
// and anything it sent then (an append acknowledged after a sync the image
// does not hold) would come from after its crash.
func (c *Cluster) crash(i int, cfg vfs.CrashCloneCfg) {
	n := c.Nodes[i-1]
	require.NotNil(c.t, n.fs, "Crash needs Config.CrashableFS")
	if !n.Running() {
		return
	}
	c.mu.Lock()
	c.mu.crashing[n.ID] = true
	c.mu.Unlock()
	n.crashes.Add(1)
	clone := n.fs.CrashClone(cfg)
	c.Stop(i)
	n.fs = clone
	c.mu.Lock()
	delete(c.mu.crashing, n.ID)
	c.mu.Unlock()
}

// Restart starts a stopped node i on its directory.
func (c *Cluster) Restart(i int) {
	n := c.Nodes[i-1]
	if n.Running() {
		return
	}
	c.start(n)
}

// Close stops every node and the network.
func (c *Cluster) Close() {
	for i := range c.Nodes {
		c.Stop(i + 1)
	}
	if c.Net != nil {
		c.Net.Close()
	}
}

// Partition cuts the links between the groups of nodes (1-based indexes);
// nodes in no group keep their links. Replaces earlier partitions.
func (c *Cluster) Partition(groups ...[]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.blocked = map[[2]kvpb.NodeID]bool{}
	for gi, g := range groups {
		for hi, h := range groups {
			if gi == hi {
				continue
			}
			for _, a := range g {
				for _, b := range h {
					c.mu.blocked[[2]kvpb.NodeID{kvpb.NodeID(a), kvpb.NodeID(b)}] = true
				}
			}
		}
	}
}

// Heal removes all partitions.
func (c *Cluster) Heal() { c.Partition() }

// SetDropRate drops that fraction of Raft batches between all nodes.
func (c *Cluster) SetDropRate(f float64) {
	c.mu.Lock()
	c.mu.drop = f
	c.mu.Unlock()
}

// MessageFilter decides whether a Raft message from one node to another
// is delivered (true) or dropped (false); m is req's decoded message. It
// runs on the sender's goroutine and must not block.
type MessageFilter func(from, to kvpb.NodeID, req *kvpb.RaftMessageRequest, m *raftpb.Message) bool

// SetMessageFilter installs f (nil: none) for every Raft message sent
// between nodes, after partitions and the drop rate.
func (c *Cluster) SetMessageFilter(f MessageFilter) {
	c.mu.Lock()
	c.mu.filter = f
	c.mu.Unlock()
}

// AddVoter adds a voter for the range on node n, through the
// leaseholder, retrying until ctx ends.
func (c *Cluster) AddVoter(ctx context.Context, rangeID kvpb.RangeID, n *Node) {
	c.changeReplicas(ctx, rangeID, &kvpb.ReplicaChange{Type: kvpb.ReplicaChangeType_ADD_VOTER,
		Target: &kvpb.ReplicaTarget{NodeId: uint64(n.ID), StoreId: uint64(n.StoreID)}})
}

// RemoveReplica removes the range's replica on node n.
func (c *Cluster) RemoveReplica(ctx context.Context, rangeID kvpb.RangeID, n *Node) {
	c.changeReplicas(ctx, rangeID, &kvpb.ReplicaChange{Type: kvpb.ReplicaChangeType_REMOVE_VOTER,
		Target: &kvpb.ReplicaTarget{NodeId: uint64(n.ID), StoreId: uint64(n.StoreID)}})
}

func (c *Cluster) changeReplicas(ctx context.Context, rangeID kvpb.RangeID, ch *kvpb.ReplicaChange) {
	var lastErr error
	for ctx.Err() == nil {
		lh := c.Leaseholder(ctx, rangeID)
		if lh == nil {
			break
		}
		s := lh.Store()
		if s == nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := s.ChangeReplicas(cctx, rangeID, []*kvpb.ReplicaChange{ch}, 0)
		cancel()
		if err == nil {
			return
		}
		lastErr = err
		var inv *kvpb.InvalidRequestError
		if errors.As(err, &inv) {
			break
		}
	}
	require.NoError(c.t, lastErr, "change replicas %v", ch)
	require.NoError(c.t, ctx.Err(), "change replicas %v", ch)
}

// Leaseholder returns the node holding a valid lease of the range,
// acquiring one through a read if needed; nil if ctx ends first.
func (c *Cluster) Leaseholder(ctx context.Context, rangeID kvpb.RangeID) *Node {
	for ctx.Err() == nil {
		for _, n := range c.Nodes {
			s := n.Store()
			if s == nil {
				continue
			}
			for _, info := range s.RangeInfo(rangeID) {
				if info.GetLeaseValid() && info.GetLease().GetReplica().GetStoreId() == uint64(n.StoreID) {
					return n
				}
			}
		}
		// Nobody holds a valid lease: a request makes the leader take it.
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		_, _ = c.Send(rctx, &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: uint64(rangeID)},
			Requests: []*kvpb.RequestUnion{kvpb.NewGet([]byte("\x04leaseprobe"))}})
		cancel()
	}
	return nil
}

// describe renders every running node's view of its replicas (for test
// failure messages).
func (c *Cluster) describe() string {
	var out string
	for _, n := range c.Nodes {
		s := n.Store()
		if s == nil {
			out += fmt.Sprintf("\nn%d: down", n.ID)
			continue
		}
		for _, info := range s.RangeInfo(0) {
			out += fmt.Sprintf("\nn%d: %v", n.ID, info)
		}
	}
	return out
}
