package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/pgwire"
)

// Config configures a node.
type Config struct {
	// StoreDir is the directory of the node's one store (Pebble engine,
	// address book, and sql-temp/ for SQL statements' temp files, emptied
	// at start).
	StoreDir string
	// Listen is the RPC listen address HOST:PORT (port 0 picks one).
	Listen string
	// Advertise is the address other nodes and clients use to reach this
	// node (default: the address actually listened on).
	Advertise string
	// HTTPAddr, if set, serves /healthz and /debug/pprof.
	HTTPAddr string
	// SQLAddr, if set, serves the PostgreSQL wire protocol with the engine
	// SQLEngine builds (required with SQLAddr).
	SQLAddr   string
	SQLEngine SQLEngineFunc
	// SQLUsers, if set, requires SCRAM-SHA-256 passwords; nil trusts every
	// client (--insecure).
	SQLUsers pgwire.UserStore
	// SQLTLS, if set, is offered to SQL clients.
	SQLTLS *tls.Config
	// ServerVersion is reported to SQL clients (server_version).
	ServerVersion string
	// Join lists addresses of cluster nodes; it may include this node.
	Join []string
	// MaxOffset is the maximum tolerated clock offset (default 500ms).
	MaxOffset time.Duration
	// ReplicationFactor is the number of voters every range is
	// up-replicated to (default 3). Replicas are added only once enough
	// live nodes exist to reach it.
	ReplicationFactor int
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// OnDrain, if set, is called when the node is asked to drain (after
	// it is marked draining, before its leases move): the SQL server
	// stops accepting connections there (pgwire).
	OnDrain func()

	// Knobs for tests and benchmarks; zero values take the defaults.
	Knobs Knobs
}

// Knobs tune timings.
type Knobs struct {
	// JoinInterval is the pause between rounds of join attempts (default
	// 250ms).
	JoinInterval time.Duration
	// MaintenanceInterval is the period of the registry refresh and the
	// up-replication check (default 500ms).
	MaintenanceInterval time.Duration
	// PeerTimeout bounds one probe of a peer for node status (default 1s).
	PeerTimeout time.Duration
	// RaftTickInterval and LeaseDuration are passed to the store
	// (defaults: ranges').
	RaftTickInterval time.Duration
	LeaseDuration    time.Duration
	// DisablePlacementDriver turns the placement driver off; the node
	// then up-replicates the ranges it leads itself (the pre-driver
	// behaviour), and nothing rebalances, repairs or decommissions.
	DisablePlacementDriver bool
	// PlacementInterval is the placement driver's cycle (default 1s).
	PlacementInterval time.Duration
	// LivenessDuration is how long a liveness heartbeat keeps the node
	// live (default 9s; heartbeats every third of it).
	LivenessDuration time.Duration
	// PlacementLeaseDuration is the placement lease's term (default 6s).
	PlacementLeaseDuration time.Duration
	// PlacementMaxStepTime caps one placement step's RPC (default: the
	// step's own timeout, a minute or more).
	PlacementMaxStepTime time.Duration
	// PhysicalClock replaces the wall clock (clock skew tests).
	PhysicalClock hlc.PhysicalClock
	// PeerDialOptions are added to every gRPC connection the node dials
	// to other nodes (its kv client and its raft transport): tests install
	// a dialer there to partition nodes (servertest.Cluster.Partition).
	PeerDialOptions []grpc.DialOption
	// GCInterval is the period of each store's MVCC GC queue (default
	// ranges.DefaultGCInterval, 10m); negative turns the periodic queue
	// off (tests then call Server.RunGC).
	GCInterval time.Duration
	// JoinGate (tests only), if set, holds the join loop back until it is
	// closed: the node stays out of a cluster unless init reaches it.
	JoinGate <-chan struct{}
	// BeforeBootstrap (tests only), if set, runs in Bootstrap once the
	// init promises are in, before the node bootstraps.
	BeforeBootstrap func()
}

func newServerClock(cfg Config) *hlc.Clock {
	if cfg.Knobs.PhysicalClock != nil {
		return hlc.NewClock(cfg.Knobs.PhysicalClock, cfg.MaxOffset)
	}
	return hlc.NewWallClock(cfg.MaxOffset)
}

// ErrBadConfig is returned by New for an invalid Config.
var ErrBadConfig = errors.New("server: bad config")

func (c *Config) setDefaults() error {
	if c.StoreDir == "" {
		return fmt.Errorf("%w: no store directory", ErrBadConfig)
	}
	if c.Listen == "" {
		return fmt.Errorf("%w: no listen address", ErrBadConfig)
	}
	if c.MaxOffset == 0 {
		c.MaxOffset = hlc.DefaultMaxOffset
	}
	if c.ReplicationFactor <= 0 {
		c.ReplicationFactor = 3
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	k := &c.Knobs
	if k.JoinInterval <= 0 {
		k.JoinInterval = 250 * time.Millisecond
	}
	if k.MaintenanceInterval <= 0 {
		k.MaintenanceInterval = 500 * time.Millisecond
	}
	if k.PeerTimeout <= 0 {
		k.PeerTimeout = time.Second
	}
	return nil
}
