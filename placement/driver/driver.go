package driver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand"
	"sync"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement"
	"github.com/tesseradb/tessera/placement/liveness"
	pb "github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// ErrNotLeader is returned by operations only the placement lease holder
// performs (Scatter) on another node; the error names the holder.
var ErrNotLeader = errors.New("driver: this node does not hold the placement lease")

// DefaultInterval is the period of the decision cycle.
const DefaultInterval = time.Second

// Config configures a node's driver.
type Config struct {
	NodeID kvpb.NodeID
	Addr   string // this node's RPC address, recorded in the lease
	KV     KV
	// Clock returns the wall time in Unix nanoseconds (the node's HLC).
	Clock     func() int64
	MaxOffset time.Duration
	// Settings is the node's registry; every cycle reloads it from the
	// stored cluster settings.
	Settings *settings.Registry
	// Statuses returns the reports of every store that answers now.
	Statuses func(ctx context.Context) []*pb.StoreStatusResponse
	Runner   StepRunner
	// NoSplitMerge says the runner cannot split or merge (a cluster
	// without AdminSplit/AdminMerge): the planner then sees split and
	// merge disabled, so that it does not block ranges on operators that
	// cannot run.
	NoSplitMerge bool
	// Planner holds the decision functions' hooks (zero value: defaults).
	Planner       placement.Planner
	Interval      time.Duration // default DefaultInterval
	LeaseDuration time.Duration // default DefaultLeaseDuration
	// MaxStepTime, if positive, caps one step's RPC (see
	// Executor.SetMaxStepTime).
	MaxStepTime time.Duration
	Seed        int64
	Logger      *slog.Logger
}

// Driver runs on every node: each cycle it reloads the cluster settings,
// renews or tries to take the placement lease, and, while it holds it,
// builds a snapshot, advances the operators in flight and starts the
// planner's new operators. Cycle is the deterministic step (given the
// clock, the KV and the reports); Run is the loop around it.
type Driver struct {
	cfg   Config
	lease *Lease
	exec  *Executor
	// kick gets a value (without blocking) from Kick: the Run loop
	// cycles at once instead of at its next tick.
	kick chan struct{}

	// splitKeys are the size split keys of the last snapshot (leaf lock;
	// read by the planner's SizeSplitKey hook).
	splitKeys struct {
		sync.Mutex
		m map[kvpb.RangeID][]byte
	}

	mu struct {
		sync.Mutex
		hist   *history
		rng    *rand.Rand
		last   *placement.Snapshot
		leader bool
	}
}

// New returns a driver; call Run (or Cycle) and Stop.
func New(cfg Config) *Driver {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Settings == nil {
		cfg.Settings = settings.NewRegistry()
	}
	d := &Driver{cfg: cfg, kick: make(chan struct{}, 1)}
	if d.cfg.Planner.SizeSplitKey == nil {
		d.cfg.Planner.SizeSplitKey = d.sizeSplitKey
	}
	d.lease = NewLease(cfg.KV, cfg.NodeID, cfg.Addr, cfg.Clock, cfg.LeaseDuration, cfg.MaxOffset)
	d.exec = NewExecutor(cfg.Runner, cfg.Logger)
	d.exec.SetMaxStepTime(cfg.MaxStepTime)
	d.mu.hist = newHistory()
	d.mu.rng = rand.New(rand.NewSource(cfg.Seed))
	return d
}

// Lease returns the driver's lease handle.
func (d *Driver) Lease() *Lease { return d.lease }

// Executor returns the driver's executor.
func (d *Driver) Executor() *Executor { return d.exec }

// Leader reports whether the last cycle ran as the leader.
func (d *Driver) Leader() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.mu.leader && d.lease.Held()
}

// Kick makes the Run loop cycle now instead of at its next tick (a
// node's membership changed: a decommission should not wait up to an
// Interval to start). Several kicks before a cycle collapse into one.
func (d *Driver) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run cycles every Interval until ctx is done, then gives the lease up.
// An operator whose steps stop (done or failed) or whose learner is
// promoted (freeing a snapshot slot of its store) brings the next cycle
// forward (to no sooner than a quarter of Interval after the last one),
// so that its range and its stores' snapshot slots are free for new
// operators without waiting a whole interval.
func (d *Driver) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.Interval)
	defer t.Stop()
	minGap := d.cfg.Interval / 4
	for {
		began := time.Now()
		cctx, cancel := context.WithTimeout(ctx, 4*d.cfg.Interval+5*time.Second)
		if _, err := d.Cycle(cctx); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Debug("placement cycle", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			d.shutdown()
			return
		case <-t.C:
		case <-d.kick:
		case <-d.exec.StepDone():
			if wait := minGap - time.Since(began); wait > 0 {
				gap := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					gap.Stop()
					d.shutdown()
					return
				case <-t.C:
				case <-gap.C:
				}
				gap.Stop()
			}
		}
	}
}

// shutdown stops the executor and gives the placement lease up.
func (d *Driver) shutdown() {
	d.exec.Stop()
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = d.lease.Release(rctx)
	cancel()
}

// Cycle runs one decision cycle and returns the operators it started.
func (d *Driver) Cycle(ctx context.Context) ([]*placement.Operator, error) {
	if err := LoadSettings(ctx, d.cfg.KV, d.cfg.Settings, d.cfg.Logger); err != nil {
		d.cfg.Logger.Debug("loading cluster settings", "err", err)
	}
	held, err := d.lease.Ensure(ctx)
	d.mu.Lock()
	was := d.mu.leader
	d.mu.leader = held
	d.mu.Unlock()
	if held != was {
		if held {
			d.cfg.Logger.Info("placement: this node holds the placement lease", "node", d.cfg.NodeID, "sequence", d.lease.Current().GetSequence())
		} else {
			d.cfg.Logger.Info("placement: this node lost the placement lease", "node", d.cfg.NodeID, "holder", d.lease.Current().GetHolder())
		}
	}
	if err != nil || !held {
		return nil, err
	}
	mark := d.exec.Mark()
	snap, err := d.buildSnapshot(ctx, true)
	if err != nil {
		return nil, err
	}
	snap.InFlight = d.exec.CheckAt(snap, mark)
	d.mu.Lock()
	ops := d.cfg.Planner.Plan(snap, d.mu.rng)
	d.mu.last = snap
	d.mu.Unlock()
	if !d.lease.Held() {
		return nil, nil // the lease ran out while we planned
	}
	d.exec.Start(snap, ops)
	return ops, nil
}

// buildSnapshot reads liveness and the stores' reports; with keep, it
// updates the driver's history (only the cycle does).
func (d *Driver) buildSnapshot(ctx context.Context, keep bool) (*placement.Snapshot, error) {
	recs, err := liveness.Scan(ctx, d.cfg.KV)
	if err != nil {
		return nil, fmt.Errorf("driver: reading liveness: %w", err)
	}
	stats := d.cfg.Statuses(ctx)
	keys := SizeSplitKeys(stats)
	d.splitKeys.Lock()
	d.splitKeys.m = keys
	d.splitKeys.Unlock()
	now := time.Unix(0, d.cfg.Clock())
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.mu.hist
	if !keep {
		h = nil
	}
	vals := d.cfg.Settings.Values()
	if d.cfg.NoSplitMerge {
		vals.RangeMinBytes, vals.RangeMaxBytes, vals.LoadSplitQPS = 0, math.MaxInt64, math.Inf(1)
	}
	return BuildSnapshot(now, vals, recs, stats, h), nil
}

// sizeSplitKey is the planner's SizeSplitKey hook: the leaseholder's
// reported key, else the median sampled request key.
func (d *Driver) sizeSplitKey(r *placement.Range) []byte {
	d.splitKeys.Lock()
	k, ok := d.splitKeys.m[r.ID]
	d.splitKeys.Unlock()
	if ok {
		return k
	}
	return placement.MedianSampledKey(r)
}

// Snapshot returns a fresh snapshot (with the in-flight operators of this
// node's executor) without touching the driver's state.
func (d *Driver) Snapshot(ctx context.Context) (*placement.Snapshot, error) {
	s, err := d.buildSnapshot(ctx, false)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	last := d.mu.last
	d.mu.Unlock()
	if last != nil {
		s.InFlight = last.InFlight
		// Carry the QPS history and change times the leader has seen.
		for i := range s.Ranges {
			if lr := last.Range(s.Ranges[i].ID); lr != nil {
				s.Ranges[i].QPSHistory, s.Ranges[i].LastChanged = lr.QPSHistory, lr.LastChanged
			}
		}
	}
	return s, nil
}

// Explain says why a range is where it is and what the driver would do
// next with it (the planner in dry-run mode on a fresh snapshot).
func (d *Driver) Explain(ctx context.Context, id kvpb.RangeID) (string, error) {
	s, err := d.Snapshot(ctx)
	if err != nil {
		return "", err
	}
	return d.cfg.Planner.Explain(s, id, rand.New(rand.NewSource(d.cfg.Seed)))
}

// Scatter starts scatter operators for the ranges overlapping [start,
// end) and returns them. Only the lease holder scatters.
func (d *Driver) Scatter(ctx context.Context, start, end []byte) ([]*placement.Operator, error) {
	if !d.lease.Held() {
		return nil, fmt.Errorf("%w (holder: n%d at %s)", ErrNotLeader, d.lease.Current().GetHolder(), d.lease.Current().GetHolderAddress())
	}
	mark := d.exec.Mark()
	s, err := d.buildSnapshot(ctx, false)
	if err != nil {
		return nil, err
	}
	s.InFlight = d.exec.CheckAt(s, mark)
	d.mu.Lock()
	ops := d.cfg.Planner.Scatter(s, start, end, d.mu.rng)
	d.mu.Unlock()
	d.exec.Start(s, ops)
	return ops, nil
}

// Stop stops the executor (the Run loop stops with its context).
func (d *Driver) Stop() { d.exec.Stop() }
