package ranges

import (
	"context"
	"errors"
	"fmt"
	"github.com/tesseradb/tessera/kv/concurrency"
	"log/slog"
	"math/rand"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/internal/lazyctx"
	"github.com/tesseradb/tessera/kv/batcheval"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
)

// StoreConfig configures a Store. Zero durations take the defaults.
type StoreConfig struct {
	NodeID  kvpb.NodeID
	StoreID kvpb.StoreID
	// Engine is the store's Pebble engine; the Store does not close it.
	Engine storage.Engine
	// Clock is the node's HLC.
	Clock *hlc.Clock
	// Transport carries Raft messages and snapshots to other nodes.
	Transport Transport

	// TickInterval is the Raft tick (default 50ms).
	TickInterval time.Duration
	// ElectionTicks / HeartbeatTicks (defaults 10 / 1).
	ElectionTicks  int
	HeartbeatTicks int
	// LeaseDuration is the length of a range lease (default 3s). It must
	// exceed the clock's max offset.
	LeaseDuration time.Duration
	// RequestTimeout bounds a request whose context has no deadline
	// (default 5s): past it, requests fail with UnavailableError (or
	// AmbiguousResultError for writes in flight).
	RequestTimeout time.Duration
	// RaftLogMaxEntries: the leader truncates the log once it is longer
	// (default 1000); followers behind the truncation get a snapshot.
	RaftLogMaxEntries uint64
	// SnapshotChunkBytes is the size of snapshot chunks (default 256 KiB).
	SnapshotChunkBytes int
	// MaxSnapshotBytes bounds a received snapshot, which is staged in
	// memory (default 1 GiB; ranges split at 512 MiB).
	MaxSnapshotBytes int64
	// Seed seeds the store's randomness (proposal IDs).
	Seed int64
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// TxnSender routes the store's own requests to other ranges by key
	// (pushes, intent resolution, txn queries): the node's DistSender. Nil:
	// a router over this store's replicas only (single-store tests).
	TxnSender concurrency.Sender
	// TxnQueryInterval: how often a waiting push checks its pusher
	// (deadlock detection); default 100ms.
	TxnQueryInterval time.Duration
	// GCTTL returns how long MVCC history is kept (the gc.ttl cluster
	// setting, read at every pass); nil or non-positive: DefaultGCTTL.
	GCTTL func() time.Duration
	// GCInterval is the period of the GC queue (default
	// DefaultGCInterval); negative: no periodic GC (tests call RunGC).
	GCInterval time.Duration
	// GCBatchKeys bounds the keys (and txn records) of one GC request
	// (default 256).
	GCBatchKeys int
	// TxnRecordGCAge: finalized txn records last active longer ago are
	// removed by the GC queue (default batcheval.TxnRecordGCAge).
	TxnRecordGCAge time.Duration
}

func (c *StoreConfig) setDefaults() {
	if c.TickInterval <= 0 {
		c.TickInterval = 50 * time.Millisecond
	}
	if c.ElectionTicks <= 0 {
		c.ElectionTicks = 10
	}
	if c.HeartbeatTicks <= 0 {
		c.HeartbeatTicks = 1
	}
	if c.LeaseDuration <= 0 {
		c.LeaseDuration = 3 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 5 * time.Second
	}
	if c.RaftLogMaxEntries == 0 {
		c.RaftLogMaxEntries = 1000
	}
	if c.SnapshotChunkBytes <= 0 {
		c.SnapshotChunkBytes = 256 << 10
	}
	if c.MaxSnapshotBytes <= 0 {
		c.MaxSnapshotBytes = 1 << 30
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.GCInterval == 0 {
		c.GCInterval = DefaultGCInterval
	}
	if c.GCBatchKeys <= 0 {
		c.GCBatchKeys = defaultGCBatchKeys
	}
	if c.TxnRecordGCAge <= 0 {
		c.TxnRecordGCAge = batcheval.TxnRecordGCAge
	}
}

// Errors of the Store API.
var (
	// ErrStoreStopped: the store was stopped.
	ErrStoreStopped = errors.New("ranges: store stopped")
	// ErrAlreadyBootstrapped: the engine already belongs to a cluster.
	ErrAlreadyBootstrapped = errors.New("ranges: store already bootstrapped")
	// ErrNotBootstrapped: the engine has no store ident.
	ErrNotBootstrapped = errors.New("ranges: store not bootstrapped")
)

// Store holds the replicas of one engine and drives their Raft groups
// with one scheduler.
type Store struct {
	cfg StoreConfig
	eng storage.Engine
	log *slog.Logger

	sched scheduler
	// startTS is the clock when the store opened: leases proposed before it
	// belong to a previous incarnation.
	startTS hlc.Timestamp

	// stopCtx is cancelled by Stop; request contexts derive from it.
	stopCtx    context.Context
	stopCancel context.CancelFunc
	// opCtx makes enter's contexts (see initOpCtx).
	opCtx lazyctx.Config

	mu struct {
		sync.RWMutex
		// inflight counts requests and snapshot receptions using the
		// engine; Stop waits for them (drained is signalled at zero).
		inflight int
		drained  *sync.Cond
		replicas map[kvpb.RangeID]*Replica
		rng      *rand.Rand
		started  bool
		stopped  bool
	}
	stopper chan struct{}
	// intentResolver pushes, resolves and queries through cfg.TxnSender.
	intentResolver *concurrency.IntentResolver
	stopOnce       sync.Once
	wg             sync.WaitGroup

	counters storeCounters

	// exciseMu orders engine Snapshots against excising ingestions
	// (storage.Engine.IngestSSTsExcising, which a Snapshot does not
	// protect against): those hold it exclusively; a snapshot sender
	// holds it shared from taking its engine Snapshot until its reads of
	// the snapshot's state and its iterators are open. A sender's excised
	// span is never one it reads (a replica receiving a snapshot is not
	// sending one of the same range's data), but a deposed leader's
	// sender can still be running when its replica receives a snapshot.
	exciseMu sync.RWMutex
}

// storeCounters are monotonically increasing event counts.
type storeCounters struct {
	raftCycles      atomic.Int64 // scheduler cycles that handled at least one Ready
	raftSyncs       atomic.Int64 // synced group-commit batches
	entriesAppended atomic.Int64
	// entriesAppliedEarly: committed entries applied before the cycle's
	// fsync (already durable from an earlier cycle).
	entriesAppliedEarly atomic.Int64
	// commitOnlyAppendsDropped: empty MsgApps that only carried a commit
	// index of plain writes, not sent (Replica.dropCommitOnlyAppends).
	commitOnlyAppendsDropped atomic.Int64
	// inlineCycles: cycles run by runInline on a proposer's goroutine.
	inlineCycles     atomic.Int64
	snapshotsSent    atomic.Int64
	snapshotsApplied atomic.Int64
	// confChangesReproposed: conf changes proposed again because they
	// had not applied after an election timeout, or raft had dropped them.
	confChangesReproposed atomic.Int64
	// confChangesRejected: committed conf changes not applied because
	// they were not built from the current descriptor (a stale copy).
	confChangesRejected atomic.Int64
	// raftSyncNanos: time spent committing the synced raft batches
	// counted by raftSyncs (the log fsync of a cycle).
	raftSyncNanos atomic.Int64
	// writeProposals / writeProposalNanos: write proposals of
	// evaluateWrite whose outcome the proposer received, and the time
	// from their submission to it (replication and local application).
	writeProposals     atomic.Int64
	writeProposalNanos atomic.Int64
	// applyBatches / applyNanos: engine batches of committed entries
	// applied, and the time spent building and committing them.
	applyBatches atomic.Int64
	applyNanos   atomic.Int64
}

// NewStore opens the store: it loads every replica whose descriptor is on
// the engine. Call Start to begin Raft processing.
func NewStore(cfg StoreConfig) (*Store, error) {
	cfg.setDefaults()
	if cfg.Engine == nil || cfg.Clock == nil || cfg.Transport == nil {
		return nil, errors.New("ranges: StoreConfig needs Engine, Clock and Transport")
	}
	if cfg.NodeID == 0 || cfg.StoreID == 0 {
		return nil, errors.New("ranges: StoreConfig needs NodeID and StoreID")
	}
	if lease, off := cfg.LeaseDuration, cfg.Clock.MaxOffset(); lease <= off {
		return nil, fmt.Errorf("ranges: lease duration %s must exceed the max clock offset %s", lease, off)
	}
	s := &Store{cfg: cfg, eng: cfg.Engine, stopper: make(chan struct{}), startTS: cfg.Clock.Now()}
	sender := cfg.TxnSender
	if sender == nil {
		sender = localRouter{s}
	}
	s.intentResolver = concurrency.NewIntentResolver(sender, cfg.Clock, cfg.Logger)
	s.log = cfg.Logger.With("node", cfg.NodeID, "store", cfg.StoreID)
	s.mu.replicas = map[kvpb.RangeID]*Replica{}
	s.mu.drained = sync.NewCond(&s.mu)
	s.stopCtx, s.stopCancel = context.WithCancel(context.Background())
	s.initOpCtx()
	s.mu.rng = rand.New(rand.NewSource(cfg.Seed ^ int64(cfg.StoreID)<<32 ^ time.Now().UnixNano()))
	s.sched.init()
	descs, err := loadDescriptors(cfg.Engine)
	if err != nil {
		return nil, err
	}
	for _, d := range descs {
		rep, ok := d.ReplicaByStore(cfg.StoreID)
		if !ok {
			// Removal applied but the replica not yet collected (crash in
			// between): collect it now.
			if err := clearReplicaState(cfg.Engine, &s.exciseMu, d.ID(), d, d.GetNextReplicaId()); err != nil {
				return nil, fmt.Errorf("ranges: collecting removed r%d: %w", d.GetRangeId(), err)
			}
			continue
		}
		r, err := newReplica(s, d.ID(), rep.ID())
		if err != nil {
			return nil, fmt.Errorf("ranges: loading r%d: %w", d.GetRangeId(), err)
		}
		s.mu.replicas[d.ID()] = r
	}
	return s, nil
}

func loadDescriptors(r storage.Reader) ([]*kvpb.RangeDescriptor, error) {
	it, err := r.NewRawIterator(rangekeys.DescriptorPrefix(), rangekeys.DescriptorEnd())
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []*kvpb.RangeDescriptor
	for ok := it.First(); ok; ok = it.Next() {
		if !rangekeys.IsDescriptorKey(it.Key()) {
			continue
		}
		d := &kvpb.RangeDescriptor{}
		if err := proto.Unmarshal(it.Value(), d); err != nil {
			return nil, fmt.Errorf("ranges: corrupt descriptor at %q: %w", it.Key(), err)
		}
		out = append(out, d)
	}
	return out, it.Error()
}

// Start begins Raft processing: the scheduler and the tick loop.
func (s *Store) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.mu.started || s.mu.stopped {
		s.mu.Unlock()
		return errors.New("ranges: store already started or stopped")
	}
	s.mu.started = true
	s.mu.Unlock()
	s.cfg.Transport.SetResponseHandler(s.handleRaftResponse)
	s.wg.Add(1)
	go s.runScheduler()
	if s.cfg.GCInterval > 0 {
		s.wg.Add(1)
		go s.runGCQueue()
	}
	// Campaign promptly on a freshly started single-replica range.
	s.forEachReplica(func(r *Replica) { s.sched.enqueue(r.rangeID) })
	return nil
}

// Stop ends Raft processing and fails pending requests. It does not close
// the engine or the transport.
func (s *Store) Stop() {
	s.mu.Lock()
	if s.mu.stopped {
		s.mu.Unlock()
		return
	}
	s.mu.stopped = true
	s.mu.Unlock()
	s.stopOnce.Do(func() { close(s.stopper) })
	s.stopCancel()
	s.intentResolver.Close()
	s.wg.Wait()
	s.mu.Lock()
	for s.mu.inflight > 0 {
		s.mu.drained.Wait()
	}
	s.mu.Unlock()
	s.forEachReplica(func(r *Replica) {
		r.failAllProposals(&kvpb.AmbiguousResultError{RangeId: uint64(r.rangeID), Reason: "store stopped with the write in flight"})
	})
}

// enter registers an operation that uses the engine; false once the store
// is stopping. The returned context is cancelled when the store stops.
func (s *Store) enter(ctx context.Context) (context.Context, func(), bool) {
	s.mu.Lock()
	if s.mu.stopped {
		s.mu.Unlock()
		return nil, nil, false
	}
	s.mu.inflight++
	s.mu.Unlock()
	c := lazyctx.New(ctx, s.opCtx)
	return c, func() { c.Release(); s.exitOp() }, true
}

// opWait is what a wait that also selects on the store's stopper watches
// of ctx: done, and the deadline's timer channel (nil: none); call stop
// after the wait. For an operation's context (enter) it joins nothing
// (lazyctx.Ctx.WaitExceptJoin) and times out on a pooled timer: joining
// the store's stop context and the DistSender's request timeout cost two
// contexts, a timer and two registrations on every write's proposal wait.
func opWait(ctx context.Context) (done <-chan struct{}, timeout <-chan time.Time, stop func()) {
	c, ok := ctx.(*lazyctx.Ctx)
	if !ok {
		return ctx.Done(), nil, func() {}
	}
	done, dl := c.WaitExceptJoin()
	if dl.IsZero() {
		return done, nil, func() {}
	}
	t := waitTimers.Get().(*time.Timer)
	t.Reset(time.Until(dl))
	return done, t.C, func() { t.Stop(); waitTimers.Put(t) }
}

// waitTimers are stopped timers for opWait (since Go 1.23 a stopped or
// reset timer delivers no stale tick).
var waitTimers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

// initOpCtx sets up how enter's contexts are also cancelled when the store
// stops: the registration on the store's stop context is made only when
// someone waits (most operations only ask Err). Made once, so that enter
// allocates no closures for it.
func (s *Store) initOpCtx() {
	s.opCtx = lazyctx.Config{
		Join: func(p context.Context) (context.Context, func()) {
			j, cancel := context.WithCancel(p)
			stop := context.AfterFunc(s.stopCtx, cancel)
			return j, func() { stop(); cancel() }
		},
		Err: func() error {
			if s.stopCtx.Err() != nil {
				return context.Canceled
			}
			return nil
		},
	}
}

// exitOp ends an operation registered by enter.
func (s *Store) exitOp() {
	s.mu.Lock()
	s.mu.inflight--
	if s.mu.inflight == 0 {
		s.mu.drained.Broadcast()
	}
	s.mu.Unlock()
}

// Clock returns the store's clock.
func (s *Store) Clock() *hlc.Clock { return s.cfg.Clock }

// NodeID returns the store's node.
func (s *Store) NodeID() kvpb.NodeID { return s.cfg.NodeID }

// StoreID returns the store's ID.
func (s *Store) StoreID() kvpb.StoreID { return s.cfg.StoreID }

// GetReplica returns the replica of a range, if the store has one.
func (s *Store) GetReplica(id kvpb.RangeID) (*Replica, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.mu.replicas[id]
	return r, ok
}

func (s *Store) forEachReplica(f func(*Replica)) {
	s.mu.RLock()
	rs := make([]*Replica, 0, len(s.mu.replicas))
	for _, r := range s.mu.replicas {
		rs = append(rs, r)
	}
	s.mu.RUnlock()
	sort.Slice(rs, func(i, j int) bool { return rs[i].rangeID < rs[j].rangeID })
	for _, r := range rs {
		f(r)
	}
}

func (s *Store) newProposalID() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if id := s.mu.rng.Uint64(); id != 0 {
			return id
		}
	}
}

// Metrics is a summary of the store for node status.
type Metrics struct {
	ReplicaCount    int64
	LeaseCount      int64
	RaftLeaderCount int64
	// Counters since the store started.
	RaftCycles      int64 // scheduler cycles that persisted or applied a Ready
	RaftSyncs       int64 // synced batches (one per cycle with log appends)
	EntriesAppended int64
	// EntriesAppliedEarly counts committed entries applied before their
	// cycle's fsync (see processReplicas).
	EntriesAppliedEarly int64
	// CommitOnlyAppendsDropped counts the empty MsgApps not sent because
	// they only announced a commit of plain writes.
	CommitOnlyAppendsDropped int64
	// RaftCyclesInline counts cycles run on a proposer's goroutine
	// instead of the scheduler goroutine (Store.runInline).
	RaftCyclesInline int64
	SnapshotsSent    int64
	SnapshotsApplied int64
	// ConfChangesReproposed counts conf changes proposed again (not
	// applied after an election timeout, or dropped by raft).
	ConfChangesReproposed int64
	// ConfChangesRejected counts committed conf changes this replica
	// did not apply: built from a descriptor that is no longer current
	// (a reproposed copy after another applied), as on every replica.
	ConfChangesRejected int64
	// Where a write's time goes (docs/benchmarks.md, insertlat7): divide
	// each time by its count for a mean over any interval.
	// RaftSyncTime is the time spent committing the RaftSyncs batches.
	RaftSyncTime time.Duration
	// WriteProposals counts write proposals whose proposer received the
	// outcome; WriteProposalTime is their total time from submission to
	// it (replication, commit and local application).
	WriteProposals    int64
	WriteProposalTime time.Duration
	// ApplyBatches counts engine batches of applied committed entries;
	// ApplyTime is the time spent building and committing them.
	ApplyBatches int64
	ApplyTime    time.Duration
	// TransportBatchesSent counts raft message batches the transport
	// handed to a peer's stream; TransportQueueTime is their total time
	// from Transport.Send to that hand-off (the per-peer goroutine's
	// wake-up and any backlog). Zero for a transport that keeps no
	// count (the in-memory one).
	TransportBatchesSent int64
	TransportQueueTime   time.Duration
}

// TransportStats is implemented by transports that count their sends
// (GRPCTransport); Store.Metrics reports them.
type TransportStats interface {
	// QueueStats returns the batches handed to peer streams and their
	// total time queued before it.
	QueueStats() (batches int64, queued time.Duration)
}

// Metrics counts replicas, valid leases held and Raft leaderships.
func (s *Store) Metrics() Metrics {
	m := Metrics{
		RaftCycles: s.counters.raftCycles.Load(), RaftSyncs: s.counters.raftSyncs.Load(),
		EntriesAppended: s.counters.entriesAppended.Load(), EntriesAppliedEarly: s.counters.entriesAppliedEarly.Load(),
		CommitOnlyAppendsDropped: s.counters.commitOnlyAppendsDropped.Load(),
		RaftCyclesInline:         s.counters.inlineCycles.Load(),
		SnapshotsSent:            s.counters.snapshotsSent.Load(),
		SnapshotsApplied:         s.counters.snapshotsApplied.Load(),
		ConfChangesReproposed:    s.counters.confChangesReproposed.Load(),
		ConfChangesRejected:      s.counters.confChangesRejected.Load(),
		RaftSyncTime:             time.Duration(s.counters.raftSyncNanos.Load()),
		WriteProposals:           s.counters.writeProposals.Load(),
		WriteProposalTime:        time.Duration(s.counters.writeProposalNanos.Load()),
		ApplyBatches:             s.counters.applyBatches.Load(),
		ApplyTime:                time.Duration(s.counters.applyNanos.Load()),
	}
	if ts, ok := s.cfg.Transport.(TransportStats); ok {
		m.TransportBatchesSent, m.TransportQueueTime = ts.QueueStats()
	}
	now := s.cfg.Clock.Now()
	s.forEachReplica(func(r *Replica) {
		info := r.info(now)
		if info.GetDesc() == nil {
			return // uninitialized: not a replica yet
		}
		m.ReplicaCount++
		if info.GetLeaseValid() && info.GetLease().GetReplica().GetStoreId() == uint64(s.cfg.StoreID) {
			m.LeaseCount++
		}
		if info.GetRaftLeaderReplicaId() != 0 && info.GetRaftLeaderReplicaId() == info.GetReplicaId() {
			m.RaftLeaderCount++
		}
	})
	return m
}

// RangeInfo describes the store's replica of rangeID, or of every range
// when rangeID is 0.
func (s *Store) RangeInfo(rangeID kvpb.RangeID) []*kvpb.RangeInfo {
	now := s.cfg.Clock.Now()
	var out []*kvpb.RangeInfo
	s.forEachReplica(func(r *Replica) {
		if rangeID == 0 || r.rangeID == rangeID {
			out = append(out, r.info(now))
		}
	})
	return out
}

// LockWaiters returns the number of requests queued on the lock tables
// of the store's replicas (tests and metrics).
func (s *Store) LockWaiters() int {
	n := 0
	s.forEachReplica(func(r *Replica) { n += r.conc.Locks().TotalWaiters() })
	return n
}
