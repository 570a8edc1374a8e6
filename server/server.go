package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvcoord"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/pgwire"
	"github.com/tesseradb/tessera/placement/driver"
	"github.com/tesseradb/tessera/placement/liveness"
	"github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/placement/settings"
	"github.com/tesseradb/tessera/ranges"
)

// state is where a node is in its life (see the package doc).
type state int

const (
	stateWaiting  state = iota // new store: joining or waiting for init
	stateStarting              // bootstrapping or joined, store starting
	stateRunning               // store running
	stateStopped
)

// Server is one node.
type Server struct {
	cfg   Config
	log   *slog.Logger
	clock *hlc.Clock
	eng   storage.Engine
	book  *addressBook
	lis   net.Listener
	grpc  *grpc.Server
	addr  string // advertised address
	// kv is the node's own kv client (system keys: IDs, node registry).
	kv *kvclient.DB
	// clockMon decides whether our clock is fit to serve.
	clockMon *clockMonitor
	// peers is kv, named for its use: connections to other nodes for
	// admin RPCs (one pool, the kv transport's).
	peers *kvclient.DB
	// ds is kv's DistSender (meta records, range admin routing).
	ds *kvcoord.DistSender
	// settings are the cluster settings as this node last read them.
	settings    *settings.Registry
	heartbeater *liveness.Heartbeater
	capacity    capacity
	draining    atomic.Bool
	// testingSkipSplitMeta (tests only) makes splits skip their meta
	// writes, as if the node had crashed between the split trigger and
	// the meta write; meta repair must then fix the records.
	testingSkipSplitMeta atomic.Bool
	// splitKeys caches size split keys by range (leaf lock).
	splitKeys struct {
		sync.Mutex
		m map[kvpb.RangeID]cachedSplitKey
	}

	// joinMu serialises join attempts and Bootstrap (held across their
	// RPCs; taken before mu or promise.mu).
	joinMu sync.Mutex
	// promise is the init promise this node gave (initpromise.go); mu is
	// held across the promise file's writes and the vote's InitState
	// call, and is taken before Server.mu.
	promise struct {
		mu sync.Mutex
		p  initPromise
	}

	mu struct {
		sync.Mutex
		state state
		// initializing: a Bootstrap runs on this node.
		initializing bool
		// clusterID is set once the node's ident is written (or read).
		clusterID string
		ident     *kvpb.StoreIdent
		store     *ranges.Store
		transport *ranges.GRPCTransport
		driver    *driver.Driver
	}
	sqlLis  net.Listener   // nil without Config.SQLAddr
	pgwire  *pgwire.Server // set by Start
	sqlEng  *startingEngine
	running chan struct{} // closed once the store runs
	stopper chan struct{}
	wg      sync.WaitGroup
}

// New opens the store and binds the listen address; Start serves.
// maxRPCMessageBytes bounds one gRPC message a node accepts.
const maxRPCMessageBytes = 64 << 20

func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	eng, err := storage.Open(cfg.StoreDir)
	if err != nil {
		return nil, fmt.Errorf("server: opening store %s: %w", cfg.StoreDir, err)
	}
	ident, found, err := ranges.ReadStoreIdent(eng)
	if err != nil {
		eng.Close()
		return nil, err
	}
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		eng.Close()
		return nil, fmt.Errorf("server: listen %s: %w", cfg.Listen, err)
	}
	addr := cfg.Advertise
	if addr == "" {
		addr = lis.Addr().String()
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger.With("addr", addr),
		clock:    newServerClock(cfg),
		eng:      eng,
		book:     newAddressBook(cfg.StoreDir),
		lis:      lis,
		addr:     addr,
		running:  make(chan struct{}),
		stopper:  make(chan struct{}),
		settings: settings.NewRegistry(),
		capacity: capacity{dir: cfg.StoreDir},
	}
	s.clockMon = newClockMonitor(cfg.MaxOffset)
	if err := s.book.load(); err != nil {
		lis.Close()
		eng.Close()
		return nil, err
	}
	seeds := slices.Compact(append([]string{addr}, cfg.Join...))
	if s.kv, err = kvclient.NewDB(kvclient.Config{Addrs: seeds, Clock: s.clock, Logger: s.log,
		DialOptions: peerDialOptions(cfg.Knobs.PeerDialOptions),
		Resolver:    func(_ context.Context, id kvpb.NodeID) (string, error) { return s.book.lookup(id) },
		FirstRange:  s.firstRangeDesc,
		Local:       localBatches{s: s}}); err != nil {
		lis.Close()
		eng.Close()
		return nil, err
	}
	s.peers = s.kv
	s.ds = s.kv.DistSender()
	s.grpc = grpc.NewServer(append(ranges.GRPCServerOptions(),
		// One raft message can carry a value close to the storage limit;
		// gRPC's 4 MiB default would break the stream (the raft transport
		// splits batches above 2 MiB).
		grpc.MaxRecvMsgSize(maxRPCMessageBytes),
		grpc.ChainUnaryInterceptor(clockUnaryServerInterceptor(s.clock)),
		grpc.ChainStreamInterceptor(clockStreamServerInterceptor(s.clock)),
	)...)
	kvpb.RegisterInternalServer(s.grpc, &internalServer{s: s})
	kvpb.RegisterAdminServer(s.grpc, &adminServer{s: s})
	placementpb.RegisterPlacementServer(s.grpc, &placementServer{s: s})
	if found {
		s.mu.ident = ident
		s.mu.clusterID = ident.GetClusterId()
	} else if err := s.loadPromise(); err != nil {
		s.kv.Close()
		lis.Close()
		eng.Close()
		return nil, err
	}
	if err := s.listenSQL(); err != nil {
		s.kv.Close()
		s.peers.Close()
		lis.Close()
		eng.Close()
		return nil, err
	}
	return s, nil
}

// Addr returns the node's advertised RPC address.
func (s *Server) Addr() string { return s.addr }

// Start serves RPC and either starts the store (known ident) or begins
// joining the cluster in the background.
func (s *Server) Start(ctx context.Context) error {
	if err := s.startHTTP(); err != nil {
		return err
	}
	if err := s.startSQL(); err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.clockMonitorLoop()
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.grpc.Serve(s.lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			s.log.Error("rpc server stopped", "err", err)
		}
	}()
	s.mu.Lock()
	ident := s.mu.ident
	if ident != nil {
		s.mu.state = stateStarting
	}
	s.mu.Unlock()
	if ident != nil {
		s.log.Info("restarting node from its store", "node", ident.GetNodeId(), "cluster", ident.GetClusterId())
		return s.startStore(ctx, ident)
	}
	s.log.Info("new store: joining", "join", s.cfg.Join)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.joinLoop()
	}()
	return nil
}

// Running is closed once the node's store runs.
func (s *Server) Running() <-chan struct{} { return s.running }

// store returns the running store, or nil.
func (s *Server) store() *ranges.Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.state != stateRunning {
		return nil
	}
	return s.mu.store
}

// NodeID returns the node's ID (0 before it joined).
func (s *Server) NodeID() kvpb.NodeID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return kvpb.NodeID(s.mu.ident.GetNodeId())
}

// startStore starts the ranges.Store for ident. The caller has moved the
// state to stateStarting.
func (s *Server) startStore(ctx context.Context, ident *kvpb.StoreIdent) error {
	nodeID := kvpb.NodeID(ident.GetNodeId())
	s.book.set(nodeID, s.addr)
	tr := ranges.NewGRPCTransport(ranges.GRPCTransportConfig{
		NodeID:      nodeID,
		Resolver:    s.book.lookup,
		DialOptions: append(peerDialOptions(s.cfg.Knobs.PeerDialOptions), kvclient.ClockDialOptions(s.clock)...),
		Logger:      s.log,
	})
	st, err := ranges.NewStore(ranges.StoreConfig{
		NodeID:        nodeID,
		StoreID:       kvpb.StoreID(ident.GetStoreId()),
		Engine:        s.eng,
		Clock:         s.clock,
		Transport:     tr,
		TickInterval:  s.cfg.Knobs.RaftTickInterval,
		LeaseDuration: s.cfg.Knobs.LeaseDuration,
		Logger:        s.log,
		TxnSender:     s.ds,
		GCTTL:         func() time.Duration { return s.settings.Values().GCTTL },
		GCInterval:    s.cfg.Knobs.GCInterval,
	})
	if err != nil {
		tr.Close()
		return fmt.Errorf("server: opening store: %w", err)
	}
	if err := st.Start(ctx); err != nil {
		tr.Close()
		return fmt.Errorf("server: starting store: %w", err)
	}
	s.mu.Lock()
	if s.mu.state == stateStopped {
		s.mu.Unlock()
		st.Stop()
		tr.Close()
		return errors.New("server: stopped while starting")
	}
	s.mu.ident, s.mu.store, s.mu.transport, s.mu.state = ident, st, tr, stateRunning
	s.mu.Unlock()
	close(s.running)
	s.log.Info("node running", "node", nodeID, "cluster", ident.GetClusterId(), "store", ident.GetStoreId())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.maintenanceLoop()
	}()
	s.startPlacement(nodeID)
	return nil
}

// Stop stops serving, stops the store and closes the engine.
func (s *Server) Stop() {
	s.mu.Lock()
	if s.mu.state == stateStopped {
		s.mu.Unlock()
		return
	}
	s.mu.state = stateStopped
	st, tr := s.mu.store, s.mu.transport
	s.mu.Unlock()
	close(s.stopper)
	if s.pgwire == nil && s.sqlLis != nil {
		s.sqlLis.Close() // never served
	}
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		s.grpc.Stop()
	}
	s.wg.Wait()
	s.kv.Close()
	if st != nil {
		st.Stop()
	}
	if tr != nil {
		tr.Close()
	}
	if err := s.book.save(); err != nil {
		s.log.Warn("saving address book", "err", err)
	}
	if err := s.eng.Close(); err != nil {
		s.log.Warn("closing engine", "err", err)
	}
}

// newClusterID returns a random cluster ID (128 bits, hex).
func newClusterID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// sleep waits d or until the server stops; false means stopped.
func (s *Server) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stopper:
		return false
	}
}

// stopCtx returns a context cancelled when the server stops.
func (s *Server) stopCtx(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	go func() {
		select {
		case <-s.stopper:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
