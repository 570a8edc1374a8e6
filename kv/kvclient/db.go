package kvclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"google.golang.org/grpc"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvcoord"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// Config configures NewDB.
type Config struct {
	// Addrs are RPC addresses of any nodes of the cluster (at least one);
	// the rest are learned from them.
	Addrs []string
	// Clock stamps transactions and every RPC (servers ratchet their
	// clocks with it and refuse one beyond the max offset). Nodes pass
	// their HLC; nil means a wall clock with hlc.DefaultMaxOffset.
	Clock *hlc.Clock
	// DialOptions are added to the gRPC dial options.
	DialOptions []grpc.DialOption
	Logger      *slog.Logger
	// RequestTimeout bounds one request whose context has no deadline
	// (default 10s).
	RequestTimeout time.Duration
	// AttemptTimeout, if set, bounds one RPC to one replica, so that a
	// node that stopped answering is given up for another (default none:
	// a request may legitimately wait long for a lock; a non-idempotent
	// write cut off this way is ambiguous).
	AttemptTimeout time.Duration
	// AdminTimeout bounds one NodeStatus or RangeInfo call used to learn
	// the cluster (default 2s).
	AdminTimeout time.Duration
	// BackoffInitial and BackoffMax bound retry pauses (10ms, 500ms).
	BackoffInitial, BackoffMax time.Duration
	// Txn tunes transactions.
	Txn TxnConfig
	// Resolver, if set, is asked for a node's address before the
	// cluster is (nodes pass their address book).
	Resolver kvcoord.NodeResolver
	// Transport, if set, replaces the gRPC transport (tests).
	Transport kvcoord.Transport
	// Local, if set, serves batches for replicas on the caller's own node
	// in process before the transport is tried (a node's own client).
	Local kvcoord.LocalTransport
	// FirstRange, if set, replaces the Admin.RangeInfo lookup of range 1
	// (tests).
	FirstRange kvcoord.FirstRangeFunc
}

// ErrNoAddresses is returned by NewDB without any address.
var ErrNoAddresses = errors.New("kvclient: no node addresses")

// DB is a client of a cluster: non-transactional operations and
// transactions, over one kvcoord.DistSender. It is safe for concurrent
// use.
type DB struct {
	cfg   Config
	clock *hlc.Clock
	log   *slog.Logger
	grpc  *kvcoord.GRPCTransport
	dir   *directory
	ds    *kvcoord.DistSender
	txns  *kvcoord.TxnFactory
	stats txnStats
}

// NewDB returns a client of the cluster reachable at cfg.Addrs. It does
// not connect until the first request.
func NewDB(cfg Config) (*DB, error) {
	if len(cfg.Addrs) == 0 {
		return nil, ErrNoAddresses
	}
	if cfg.Clock == nil {
		cfg.Clock = hlc.NewWallClock(hlc.DefaultMaxOffset)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.AdminTimeout <= 0 {
		cfg.AdminTimeout = 2 * time.Second
	}
	if cfg.BackoffInitial <= 0 {
		cfg.BackoffInitial = 10 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 500 * time.Millisecond
	}
	if cfg.Txn.MaxRetries <= 0 {
		cfg.Txn.MaxRetries = 1000
	}
	if cfg.Txn.RetryBackoffMax <= 0 {
		cfg.Txn.RetryBackoffMax = 100 * time.Millisecond
	}
	db := &DB{cfg: cfg, clock: cfg.Clock, log: cfg.Logger}
	dial := append(slices.Clone(cfg.DialOptions), ClockDialOptions(cfg.Clock)...)
	db.dir = newDirectory(cfg.Addrs, func(a string) (*grpc.ClientConn, error) { return db.grpc.Conn(a) },
		cfg.AdminTimeout, backoffConfig{cfg.BackoffInitial, cfg.BackoffMax})
	resolve := db.dir.resolve
	if r := cfg.Resolver; r != nil {
		resolve = func(ctx context.Context, id kvpb.NodeID) (string, error) {
			if a, err := r(ctx, id); err == nil {
				return a, nil
			}
			return db.dir.resolve(ctx, id)
		}
	}
	db.grpc = kvcoord.NewGRPCTransport(resolve, dial...)
	var tr kvcoord.Transport = db.grpc
	if cfg.Transport != nil {
		tr = cfg.Transport
	}
	if cfg.Local != nil {
		tr = kvcoord.LocalFirst(cfg.Local, tr)
	}
	first := db.dir.firstRange
	if cfg.FirstRange != nil {
		first = cfg.FirstRange
	}
	db.ds = kvcoord.New(kvcoord.Config{
		Transport:      tr,
		FirstRange:     first,
		Clock:          cfg.Clock,
		RequestTimeout: cfg.RequestTimeout,
		AttemptTimeout: cfg.AttemptTimeout,
		BackoffInitial: cfg.BackoffInitial,
		BackoffMax:     cfg.BackoffMax,
		Logger:         cfg.Logger,
	})
	db.txns = kvcoord.NewTxnFactory(kvcoord.TxnConfig{Sender: db.ds, Clock: cfg.Clock,
		HeartbeatInterval: cfg.Txn.HeartbeatInterval, CleanupTimeout: cfg.RequestTimeout, Logger: cfg.Logger})
	return db, nil
}

// Close stops the transactions' background work and closes every
// connection; requests in flight fail. Open transactions are abandoned
// (as by a crashed client): their records expire and others clean up.
func (db *DB) Close() {
	db.txns.Close()
	db.grpc.Close()
}

// Conn returns the DB's connection to the node at addr (for admin RPCs
// to a particular node); it shares the transport's pool.
func (db *DB) Conn(addr string) (*grpc.ClientConn, error) {
	c, err := db.grpc.Conn(addr)
	if errors.Is(err, kvcoord.ErrTransportClosed) {
		return nil, fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return c, err
}

// Clock returns the DB's clock.
func (db *DB) Clock() *hlc.Clock { return db.clock }

// DistSender returns the DB's DistSender (introspection, tests).
func (db *DB) DistSender() *kvcoord.DistSender { return db.ds }

// maxWriteTooOldRetries bounds how often a non-transactional batch is
// resent after a WriteTooOldError (each resend gets a new timestamp).
const maxWriteTooOldRetries = 10

// sendNonTxn sends requests outside any transaction. The leaseholder
// picks the timestamp, so a WriteTooOldError (nothing was written) is
// resent at once, a few times.
func (db *DB) sendNonTxn(ctx context.Context, reqs []*kvpb.RequestUnion) ([]*kvpb.ResponseUnion, error) {
	for attempt := 0; ; attempt++ {
		br, err := db.ds.Send(ctx, &kvpb.BatchRequest{Header: &kvpb.Header{}, Requests: reqs})
		if err == nil {
			return br.GetResponses(), nil
		}
		var wto *kvpb.WriteTooOldError
		if errors.As(err, &wto) && attempt < maxWriteTooOldRetries && ctx.Err() == nil {
			continue
		}
		return nil, classify(ctx, err)
	}
}

// classify wraps errors that mean "no node served it" with
// ErrUnavailable and unknown outcomes with ErrAmbiguousResult, keeping
// the detail (errors.As still finds the kvpb error).
func classify(ctx context.Context, err error) error {
	if err == nil {
		return nil // errors.As below would allocate its targets
	}
	var (
		una *kvpb.UnavailableError
		amb *kvpb.AmbiguousResultError
	)
	switch {
	case errors.As(err, &amb):
		return fmt.Errorf("%w: %w", ErrAmbiguousResult, err)
	case errors.As(err, &una):
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%w: %w (%w)", ErrUnavailable, err, cerr)
		}
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	case errors.Is(err, kvcoord.ErrTransportClosed):
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}

// NewBatch returns an empty batch for DB.Run.
func (db *DB) NewBatch() *Batch { return &Batch{} }

// Run sends b outside any transaction: in one round to each range it
// touches. Operations on different ranges are not atomic (use a Txn).
func (db *DB) Run(ctx context.Context, b *Batch) error {
	return b.run(func(reqs []*kvpb.RequestUnion) ([]*kvpb.ResponseUnion, error) {
		return db.sendNonTxn(ctx, reqs)
	})
}

// Get returns the newest value of key; found is false when it has none.
func (db *DB) Get(ctx context.Context, key []byte) (value []byte, found bool, err error) {
	b := db.NewBatch()
	b.Get(key)
	if err := db.Run(ctx, b); err != nil {
		return nil, false, err
	}
	return getResult(b)
}

// Put writes key=value.
func (db *DB) Put(ctx context.Context, key, value []byte) error {
	b := db.NewBatch()
	b.Put(key, value)
	return db.Run(ctx, b)
}

// CPut writes key=value if the current value is expected (nil: if the
// key has no value); otherwise it fails with *kvpb.ConditionFailedError.
// An unknown outcome is ErrAmbiguousResult (never retried blindly).
func (db *DB) CPut(ctx context.Context, key, value, expected []byte) error {
	b := db.NewBatch()
	b.CPut(key, value, expected)
	return db.Run(ctx, b)
}

// Inc adds delta to the integer at key (missing: 0) and returns the new
// value. An unknown outcome is ErrAmbiguousResult.
func (db *DB) Inc(ctx context.Context, key []byte, delta int64) (int64, error) {
	b := db.NewBatch()
	b.Inc(key, delta)
	if err := db.Run(ctx, b); err != nil {
		return 0, err
	}
	return b.Results[0].Int, nil
}

// Del deletes keys (tombstone versions).
func (db *DB) Del(ctx context.Context, keys ...[]byte) error {
	if len(keys) == 0 {
		return nil
	}
	b := db.NewBatch()
	b.Del(keys...)
	return db.Run(ctx, b)
}

// DelRange deletes every live key in [start, end).
func (db *DB) DelRange(ctx context.Context, start, end []byte) error {
	b := db.NewBatch()
	b.DelRange(start, end)
	return db.Run(ctx, b)
}

// Scan returns the live keys in [start, end) in order, at most maxKeys
// (0: all), across every range they span.
func (db *DB) Scan(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error) {
	b := db.NewBatch()
	b.Scan(start, end, maxKeys)
	if err := db.Run(ctx, b); err != nil {
		return nil, err
	}
	return b.Results[0].Rows, nil
}

// ReverseScan is Scan in descending order.
func (db *DB) ReverseScan(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error) {
	b := db.NewBatch()
	b.ReverseScan(start, end, maxKeys)
	if err := db.Run(ctx, b); err != nil {
		return nil, err
	}
	return b.Results[0].Rows, nil
}

func getResult(b *Batch) ([]byte, bool, error) {
	r := b.Results[0]
	if len(r.Rows) == 0 {
		return nil, false, nil
	}
	return r.Rows[0].Value, true, nil
}
