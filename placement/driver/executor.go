package driver

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement"
)

// StepRunner carries out one step of an operator against the cluster
// (AdminRunner in production, a fake in tests). It returns once the
// change is made or failed; the executor confirms it from later
// snapshots. s is the snapshot the step was started from (for the
// range's leaseholder and the stores' nodes).
type StepRunner interface {
	RunStep(ctx context.Context, s *placement.Snapshot, step placement.Step) error
}

// Executor runs operators step by step: it starts the operator's current
// step through the StepRunner (bounded by the step's Timeout), and on
// every snapshot (Check) advances operators over the steps the snapshot
// shows done, and drops operators that finished, timed out, were
// abandoned because their range changed, or whose step failed. Every
// outcome is logged with the operator's reason.
//
// A step whose runner call succeeds is done (the runner returns once the
// change has applied on the leaseholder), so the executor goes straight
// on to the operator's next step instead of waiting for a snapshot to
// confirm it: a replica move's four steps run back to back, and many
// operators run at once (the planner bounds them per store). A snapshot
// whose reads began before such a local advance (see Mark and CheckAt)
// may predate it, so it neither advances nor abandons that operator.
//
// Locks: mu guards the operator table; it is a leaf and is never held
// while a step runs.
type Executor struct {
	runner StepRunner
	log    *slog.Logger
	// maxStep, if positive, caps the time one step may spend in the
	// runner (below the step's own Timeout): a stuck RPC then fails the
	// step and the planner decides afresh.
	maxStep time.Duration
	ctx     context.Context
	cancel  context.CancelFunc
	// stepDone gets a value (without blocking) whenever an operator's
	// steps stop (done or failed) or a learner is promoted (its store's
	// snapshot slot frees), so that the driver's loop plans again before
	// its next tick.
	stepDone chan struct{}

	mu struct {
		sync.Mutex
		ops     map[kvpb.RangeID]*tracked
		running int
		idle    *sync.Cond
		// gen counts local advances (a step done by its runner call).
		gen uint64
	}
	// Counters of finished operators, by outcome.
	stats struct {
		sync.Mutex
		done, abandoned, timedOut, failed int
	}
}

type tracked struct {
	op      *placement.Operator
	issued  int   // index of the last step handed to the runner (-1: none)
	running bool  // a step is in the runner now
	err     error // the last step's failure
	// advanced is the generation of the operator's last local advance
	// (0: none): snapshots marked before it may not show that step.
	advanced uint64
}

// NewExecutor returns an executor over runner.
func NewExecutor(runner StepRunner, log *slog.Logger) *Executor {
	if log == nil {
		log = slog.Default()
	}
	e := &Executor{runner: runner, log: log, stepDone: make(chan struct{}, 1)}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.mu.ops = map[kvpb.RangeID]*tracked{}
	e.mu.idle = sync.NewCond(&e.mu.Mutex)
	return e
}

// StepDone returns a channel that receives a value after an operator's
// steps stop or a learner is promoted (several may collapse into one
// value).
func (e *Executor) StepDone() <-chan struct{} { return e.stepDone }

// SetMaxStepTime caps the time one step may spend in the runner.
func (e *Executor) SetMaxStepTime(d time.Duration) { e.maxStep = d }

// Stop cancels running steps and waits for them.
func (e *Executor) Stop() {
	e.cancel()
	e.WaitIdle()
}

// WaitIdle waits until no step is in the runner.
func (e *Executor) WaitIdle() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.mu.running > 0 {
		e.mu.idle.Wait()
	}
}

// Outcomes returns how many operators finished done, abandoned, timed
// out and failed.
func (e *Executor) Outcomes() (done, abandoned, timedOut, failed int) {
	e.stats.Lock()
	defer e.stats.Unlock()
	return e.stats.done, e.stats.abandoned, e.stats.timedOut, e.stats.failed
}

// Mark returns a token to take before reading the cluster for a snapshot
// and to pass to CheckAt with that snapshot.
func (e *Executor) Mark() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mu.gen
}

// Check is CheckAt for a snapshot read after every step returned so far.
func (e *Executor) Check(s *placement.Snapshot) []*placement.Operator {
	return e.CheckAt(s, e.Mark())
}

// CheckAt advances every operator against s, drops the finished ones,
// starts the next step of those whose step the snapshot confirmed, and
// returns copies of the operators still in flight (for s.InFlight), by
// range ID. mark is Mark's value from before s was read: an operator that advanced
// on its own since is kept in flight unchecked (s may not show its
// progress yet).
func (e *Executor) CheckAt(s *placement.Snapshot, mark uint64) []*placement.Operator {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]kvpb.RangeID, 0, len(e.mu.ops))
	for id := range e.mu.ops {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []*placement.Operator
	for _, id := range ids {
		t := e.mu.ops[id]
		if t.err != nil && !t.running {
			e.finishLocked(t, "failed", fmt.Sprintf("step %q failed: %v", t.op.Steps[t.issued], t.err))
			continue
		}
		if t.advanced > mark {
			out = append(out, t.copyOp())
			continue
		}
		switch st := t.op.Check(s); st {
		case placement.OpDone:
			e.finishLocked(t, "done", "")
			continue
		case placement.OpAbandoned:
			e.finishLocked(t, "abandoned", fmt.Sprintf("the range changed under step %q", t.op.CurrentStep()))
			continue
		case placement.OpTimedOut:
			e.finishLocked(t, "timed out", fmt.Sprintf("step %q took longer than %s", t.op.CurrentStep(), t.op.CurrentStep().Timeout()))
			continue
		}
		e.maybeIssueLocked(s, t)
		out = append(out, t.copyOp())
	}
	return out
}

// copyOp returns a copy of t's operator for the planner: a running step
// goroutine advances the executor's own (Current, StepStarted) under e.mu,
// which the planner does not hold. Steps are never modified.
func (t *tracked) copyOp() *placement.Operator {
	cp := *t.op
	return &cp
}

// Start takes over new operators (one per range; an operator on a range
// that already has one is dropped) and starts their first steps.
func (e *Executor) Start(s *placement.Snapshot, ops []*placement.Operator) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, op := range ops {
		if _, busy := e.mu.ops[op.RangeID]; busy || len(op.Steps) == 0 {
			continue
		}
		t := &tracked{op: op, issued: -1}
		e.mu.ops[op.RangeID] = t
		e.log.Info("placement: starting operator", "range", op.RangeID, "kind", op.Kind, "steps", stepList(op), "reason", op.Reason)
		e.maybeIssueLocked(s, t)
	}
}

// InFlight returns the number of operators being run.
func (e *Executor) InFlight() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.mu.ops)
}

func (e *Executor) maybeIssueLocked(s *placement.Snapshot, t *tracked) {
	if t.running || t.issued >= t.op.Current || t.op.Current >= len(t.op.Steps) {
		return
	}
	t.running = true
	e.mu.running++
	go e.runSteps(s, t, time.Now())
}

// runSteps runs t's current step and, while its steps succeed and nothing
// else touched the operator, the ones after it. Called with t.running set
// and counted in e.mu.running. A step's start time is on s's clock:
// s.Now plus the time since began (when the first step was issued).
func (e *Executor) runSteps(s *placement.Snapshot, t *tracked, began time.Time) {
	e.mu.Lock()
	for {
		step := t.op.Steps[t.op.Current]
		t.issued = t.op.Current
		t.op.StepStarted = s.Now.Add(time.Since(began))
		e.mu.Unlock()
		limit := step.Timeout()
		if e.maxStep > 0 && (limit <= 0 || e.maxStep < limit) {
			limit = e.maxStep
		}
		ctx, cancel := context.WithTimeout(e.ctx, limit)
		err := e.runner.RunStep(ctx, s, step)
		cancel()
		e.mu.Lock()
		t.err = err
		// Go on only if the operator is still ours and no snapshot moved
		// it past (or away from) the step just run.
		if err != nil || e.ctx.Err() != nil || e.mu.ops[t.op.RangeID] != t || t.op.Current != t.issued {
			break
		}
		if tl, ok := step.(placement.TransferLease); ok {
			// The lease moved: later steps must go to the new
			// leaseholder, not the one s names (for a replica move
			// that is the replica being removed, which refuses).
			s = withLeaseholder(s, tl.Range(), tl.Target)
		}
		e.mu.gen++
		t.advanced = e.mu.gen
		t.op.Current++
		if t.op.Current >= len(t.op.Steps) {
			break
		}
		if _, ok := step.(placement.PromoteLearner); ok {
			e.signalLocked() // a store's snapshot slot is free: plan again
		}
	}
	t.running = false
	e.mu.running--
	e.mu.idle.Broadcast()
	e.signalLocked()
	e.mu.Unlock()
}

// withLeaseholder returns a copy of s in which range id's leaseholder is
// store (s itself is shared with the planner and other operators and is
// not modified). The copy shares s's stores and lookup maps; only its
// ranges slice is its own.
func withLeaseholder(s *placement.Snapshot, id kvpb.RangeID, store kvpb.StoreID) *placement.Snapshot {
	if r := s.Range(id); r == nil || r.Leaseholder == store {
		return s // Range indexes s, so the copy shares built maps
	}
	cp := *s
	cp.Ranges = append([]placement.Range(nil), s.Ranges...)
	cp.Range(id).Leaseholder = store
	return &cp
}

// signalLocked tells the driver's loop (without blocking) that it may
// plan again.
func (e *Executor) signalLocked() {
	select {
	case e.stepDone <- struct{}{}:
	default:
	}
}

func (e *Executor) finishLocked(t *tracked, outcome, why string) {
	delete(e.mu.ops, t.op.RangeID)
	e.stats.Lock()
	switch outcome {
	case "done":
		e.stats.done++
	case "abandoned":
		e.stats.abandoned++
	case "timed out":
		e.stats.timedOut++
	default:
		e.stats.failed++
	}
	e.stats.Unlock()
	if outcome == "done" {
		e.log.Info("placement: operator done", "range", t.op.RangeID, "kind", t.op.Kind, "reason", t.op.Reason)
		return
	}
	e.log.Warn("placement: operator "+outcome, "range", t.op.RangeID, "kind", t.op.Kind, "why", why, "reason", t.op.Reason)
}

func stepList(op *placement.Operator) string {
	s := ""
	for i, st := range op.Steps {
		if i > 0 {
			s += "; "
		}
		s += st.String()
	}
	return s
}
