package kvclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
)

// firstRange is the range that covers the whole key space until splits
// exist (issue 5 brings the range cache and DistSender).
const firstRange kvpb.RangeID = 1

// Option configures New.
type Option func(*config)

type config struct {
	clock          *hlc.Clock
	attemptTimeout time.Duration
	backoffInitial time.Duration
	backoffMax     time.Duration
	dialOpts       []grpc.DialOption
	logger         *slog.Logger
}

// WithClock makes every batch carry the clock's reading (BatchRequest.now)
// and ratchets the clock with the server's (BatchResponse.now). Nodes pass
// their HLC; the CLI passes none.
func WithClock(c *hlc.Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithAttemptTimeout bounds one RPC attempt (default 4s), so that a node
// that stopped answering is given up for another while the caller's
// deadline still allows.
func WithAttemptTimeout(d time.Duration) Option {
	return func(cfg *config) { cfg.attemptTimeout = d }
}

// WithBackoff sets the retry backoff (default 10ms doubling to 500ms).
func WithBackoff(initial, max time.Duration) Option {
	return func(cfg *config) { cfg.backoffInitial, cfg.backoffMax = initial, max }
}

// WithDialOptions adds gRPC dial options.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(cfg *config) { cfg.dialOpts = append(cfg.dialOpts, opts...) }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(cfg *config) { cfg.logger = l } }

// ErrNoAddresses is returned by New without any address.
var ErrNoAddresses = errors.New("kvclient: no node addresses")

// Client sends kv requests to a cluster. It is safe for concurrent use.
type Client struct {
	cfg   config
	seeds []string
	pool  *connPool

	mu struct {
		sync.Mutex
		// nodes is the address of every node learned from NodeStatus.
		nodes map[kvpb.NodeID]string
		// leaseholders remembers, per range, the node that last served it.
		leaseholders map[kvpb.RangeID]string
		// next rotates the starting address among the seeds.
		next int
	}
}

// New returns a client for the cluster reachable at addrs (any subset of
// its nodes). It does not connect until the first request.
func New(addrs []string, opts ...Option) (*Client, error) {
	if len(addrs) == 0 {
		return nil, ErrNoAddresses
	}
	cfg := config{attemptTimeout: 4 * time.Second, backoffInitial: 10 * time.Millisecond, backoffMax: 500 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	dial := slices.Clone(cfg.dialOpts)
	if cfg.clock != nil {
		dial = append(dial, ClockDialOptions(cfg.clock)...)
	}
	c := &Client{cfg: cfg, seeds: slices.Clone(addrs), pool: newConnPool(dial...)}
	c.mu.nodes = map[kvpb.NodeID]string{}
	c.mu.leaseholders = map[kvpb.RangeID]string{}
	return c, nil
}

// Close closes every connection. Requests in flight fail.
func (c *Client) Close() { c.pool.close() }

// Conn returns the client's connection to addr (for admin RPCs that go to
// a particular node).
func (c *Client) Conn(addr string) (*grpc.ClientConn, error) { return c.pool.get(addr) }

// candidates returns the addresses to try, the range's last leaseholder
// first, then the seeds and the learned nodes in rotating order.
func (c *Client) candidates(rangeID kvpb.RangeID) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	if lh, ok := c.mu.leaseholders[rangeID]; ok {
		out = append(out, lh)
	}
	all := slices.Clone(c.seeds)
	for _, a := range c.mu.nodes {
		if !slices.Contains(all, a) {
			all = append(all, a)
		}
	}
	slices.Sort(all[len(c.seeds):])
	start := c.mu.next % len(all)
	c.mu.next++
	for i := range all {
		a := all[(start+i)%len(all)]
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func (c *Client) setLeaseholder(rangeID kvpb.RangeID, addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.leaseholders[rangeID] = addr
}

func (c *Client) forgetLeaseholder(rangeID kvpb.RangeID, addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.leaseholders[rangeID] == addr {
		delete(c.mu.leaseholders, rangeID)
	}
}

// nodeAddr returns the address of a node, asking the node at via for the
// cluster's node list if it is not known yet.
func (c *Client) nodeAddr(ctx context.Context, id kvpb.NodeID, via string) (string, bool) {
	c.mu.Lock()
	a, ok := c.mu.nodes[id]
	c.mu.Unlock()
	if ok {
		return a, true
	}
	conn, err := c.pool.get(via)
	if err != nil {
		return "", false
	}
	ctx, cancel := context.WithTimeout(ctx, min(c.cfg.attemptTimeout, 2*time.Second))
	defer cancel()
	resp, err := kvpb.NewAdminClient(conn).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
	if err != nil {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range resp.GetNodes() {
		if d := n.GetDesc(); d.GetNodeId() != 0 && d.GetAddress() != "" {
			c.mu.nodes[d.NodeID()] = d.GetAddress()
		}
	}
	a, ok = c.mu.nodes[id]
	return a, ok
}

// idempotent reports whether applying ba twice leaves the same data as
// applying it once (so an ambiguous failure may be retried).
func idempotent(ba *kvpb.BatchRequest) bool {
	for _, r := range ba.GetRequests() {
		switch r.GetValue().(type) {
		case *kvpb.RequestUnion_ConditionalPut, *kvpb.RequestUnion_Increment:
			return false
		}
	}
	return true
}

// Send sends a batch to the leaseholder of its range (range 1 unless the
// header says otherwise), retrying as the package doc describes, and
// returns the response or the batch's structured error (a kvpb detail
// error: use errors.As).
func (c *Client) Send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	if ba.GetHeader() == nil {
		ba.Header = &kvpb.Header{}
	}
	if ba.Header.GetRangeId() == 0 {
		ba.Header.RangeId = uint64(firstRange)
	}
	rangeID := ba.Header.RangeID()
	retryAmbiguous := idempotent(ba)
	b := newBackoff(c.cfg.backoffInitial, c.cfg.backoffMax)
	var lastErr error
	var hinted string // address from a NotLeaseholder hint, tried next
	for round := 0; ; round++ {
		cands := c.candidates(rangeID)
		if hinted != "" {
			cands = append([]string{hinted}, slices.DeleteFunc(cands, func(a string) bool { return a == hinted })...)
			hinted = ""
		}
	attempts:
		for _, addr := range cands {
			if ctx.Err() != nil {
				break
			}
			br, sent, err := c.sendOnce(ctx, addr, ba)
			if err == nil {
				if kerr := br.GetError().GoError(); kerr != nil {
					err = kerr
				} else {
					c.setLeaseholder(rangeID, addr)
					return br, nil
				}
			}
			lastErr = err
			var (
				nle *kvpb.NotLeaseholderError
				rnf *kvpb.RangeNotFoundError
				una *kvpb.UnavailableError
				amb *kvpb.AmbiguousResultError
				wto *kvpb.WriteTooOldError
			)
			switch {
			case isTransportError(err):
				c.forgetLeaseholder(rangeID, addr)
				if sent && !retryAmbiguous {
					return nil, fmt.Errorf("%w: %s: %w", ErrAmbiguousResult, addr, err)
				}
			case errors.As(err, &nle):
				c.forgetLeaseholder(rangeID, addr)
				if lh := nle.GetLeaseholder(); lh != nil {
					if a, ok := c.nodeAddr(ctx, lh.NodeID(), addr); ok && a != addr {
						hinted = a
						break attempts
					}
				}
			case errors.As(err, &rnf), errors.As(err, &una):
				c.forgetLeaseholder(rangeID, addr)
			case errors.As(err, &amb):
				if !retryAmbiguous {
					return nil, fmt.Errorf("%w: %w", ErrAmbiguousResult, err)
				}
			case errors.As(err, &wto):
				// Non-transactional: the server picks a new timestamp on retry.
			default:
				return nil, err // deterministic: condition failed, invalid request, clock offset …
			}
		}
		if ctx.Err() != nil {
			if lastErr == nil {
				lastErr = ctx.Err()
			}
			return nil, fmt.Errorf("%w: r%d: no node served the request before the deadline (%w); last error: %w",
				ErrUnavailable, rangeID, ctx.Err(), lastErr)
		}
		if hinted != "" && round < 3 {
			continue // follow a fresh hint at once
		}
		if err := b.wait(ctx); err != nil {
			continue // the loop reports the deadline
		}
	}
}

// sendOnce makes one Batch RPC to addr. sent reports whether the request
// may have reached the node (the connection was ready before the call),
// which matters for transport errors on non-idempotent writes.
func (c *Client) sendOnce(ctx context.Context, addr string, ba *kvpb.BatchRequest) (br *kvpb.BatchResponse, sent bool, err error) {
	conn, err := c.pool.get(addr)
	if err != nil {
		return nil, false, err
	}
	before := conn.GetState()
	if c.cfg.clock != nil {
		ba.Now = kvpb.TS(c.cfg.clock.Now())
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.attemptTimeout)
	defer cancel()
	br, err = kvpb.NewInternalClient(conn).Batch(actx, ba)
	if err != nil {
		return nil, before == connectivity.Ready, &transportError{addr: addr, err: err}
	}
	if c.cfg.clock != nil && br.GetNow() != nil {
		// A server beyond the max offset surfaces through its own
		// ClockOffsetError on the next request; the response stands.
		_ = c.cfg.clock.Update(br.GetNow().HLC())
	}
	return br, true, nil
}

// transportError is a failed RPC (connection refused or broken, attempt
// timeout): the node did not answer.
type transportError struct {
	addr string
	err  error
}

func (e *transportError) Error() string { return fmt.Sprintf("rpc to %s: %v", e.addr, e.err) }
func (e *transportError) Unwrap() error { return e.err }

func isTransportError(err error) bool {
	var te *transportError
	if !errors.As(err, &te) {
		return false
	}
	switch status.Code(te.err) {
	case codes.Unimplemented, codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated:
		return false
	}
	return true
}
