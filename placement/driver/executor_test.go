package driver

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement"
	pb "github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/placement/settings"
)

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// snapshotOf builds a snapshot of the fake cluster at now with every
// up node live.
func snapshotOf(c *fakeCluster, now time.Time) *placement.Snapshot {
	var recs []*pb.LivenessRecord
	c.mu.Lock()
	for n, up := range c.nodes {
		if up {
			recs = append(recs, &pb.LivenessRecord{NodeId: uint64(n), Epoch: 1, ExpirationNanos: now.Add(time.Minute).UnixNano()})
		}
	}
	c.mu.Unlock()
	return BuildSnapshot(now, settings.Defaults(), recs, c.statuses(context.TODO()), nil)
}

// replaceOp is an operator moving r's replica from s3 to s4.
func replaceOp(t *testing.T, c *fakeCluster, now time.Time, id kvpb.RangeID) *placement.Operator {
	s := snapshotOf(c, now)
	s.Settings.RebalanceThreshold = 0.01
	for _, op := range (&placement.Planner{}).Scatter(s, nil, nil, nil) {
		if op.RangeID == id {
			return op
		}
	}
	t.Fatalf("no scatter operator for %s", id)
	return nil
}

func TestExecutorRunsStepsInOrder(t *testing.T) {
	c := newFakeCluster(4, 2)
	now := time.Unix(1000, 0)
	op := replaceOp(t, c, now, 2)
	ex := NewExecutor(c, quietLogger())
	defer ex.Stop()
	ex.Start(snapshotOf(c, now), []*placement.Operator{op})
	for i := 0; i < 10 && ex.InFlight() > 0; i++ {
		ex.WaitIdle()
		now = now.Add(time.Second)
		ex.Check(snapshotOf(c, now))
	}
	require.Zero(t, ex.InFlight())
	done, abandoned, timedOut, failed := ex.Outcomes()
	require.Equal(t, []int{1, 0, 0, 0}, []int{done, abandoned, timedOut, failed})
	require.Len(t, c.calls, len(op.Steps), "one call per step: %v", c.calls)
	for i, st := range op.Steps {
		require.Equal(t, "r2 "+st.String(), c.calls[i])
	}
	require.NoError(t, c.allReplicated(nil))
}

func TestExecutorStepFailure(t *testing.T) {
	c := newFakeCluster(4, 2)
	c.fail = func(placement.Step) error { return errors.New("injected") }
	now := time.Unix(1000, 0)
	ex := NewExecutor(c, quietLogger())
	defer ex.Stop()
	ex.Start(snapshotOf(c, now), []*placement.Operator{replaceOp(t, c, now, 2)})
	ex.WaitIdle()
	require.Empty(t, ex.Check(snapshotOf(c, now.Add(time.Second))))
	_, _, _, failed := ex.Outcomes()
	require.Equal(t, 1, failed)
}

// TestExecutorAbandonsChangedRange: the range's replicas change under the
// operator (another actor moved them): the operator is abandoned.
func TestExecutorAbandonsChangedRange(t *testing.T) {
	c := newFakeCluster(4, 2)
	c.hold = make(chan struct{})
	now := time.Unix(1000, 0)
	op := replaceOp(t, c, now, 2)
	ex := NewExecutor(c, quietLogger())
	defer ex.Stop()
	ex.Start(snapshotOf(c, now), []*placement.Operator{op})
	add := op.Steps[0].(placement.AddLearner)
	// Someone else splits the range (its start key moves: a merge into
	// the left neighbour would look the same).
	c.mu.Lock()
	c.ranges[2].StartKey = []byte("k0002x")
	c.mu.Unlock()
	require.Empty(t, ex.Check(snapshotOf(c, now.Add(time.Second))))
	close(c.hold)
	ex.WaitIdle()
	_, abandoned, _, _ := ex.Outcomes()
	require.Equal(t, 1, abandoned, "operator adding a learner on %s", add.Store)
}

// TestExecutorTimesOut: a step that the snapshots never confirm times out.
func TestExecutorTimesOut(t *testing.T) {
	c := newFakeCluster(4, 2)
	c.hold = make(chan struct{})
	defer close(c.hold)
	now := time.Unix(1000, 0)
	op := replaceOp(t, c, now, 2)
	ex := NewExecutor(c, quietLogger())
	defer ex.Stop()
	ex.Start(snapshotOf(c, now), []*placement.Operator{op})
	require.Len(t, ex.Check(snapshotOf(c, now.Add(op.Steps[0].Timeout()))), 1, "still within the timeout")
	require.Empty(t, ex.Check(snapshotOf(c, now.Add(op.Steps[0].Timeout()+time.Second))))
	_, _, timedOut, _ := ex.Outcomes()
	require.Equal(t, 1, timedOut)
	// A second operator on a range already run is refused while the first
	// runs; here the first is gone, so it is accepted.
	ex.Start(snapshotOf(c, now), []*placement.Operator{replaceOp(t, c, now, 2), replaceOp(t, c, now, 2)})
	require.Equal(t, 1, ex.InFlight())
}

// TestExecutorChainsSteps: each successful runner call is the step done,
// so the whole operator runs without a snapshot confirming each step; a
// snapshot marked before those steps returned neither advances nor
// abandons it, and the next fresh one finishes it.
func TestExecutorChainsSteps(t *testing.T) {
	c := newFakeCluster(4, 2)
	now := time.Unix(1000, 0)
	op := replaceOp(t, c, now, 2)
	ex := NewExecutor(c, quietLogger())
	defer ex.Stop()
	stale := snapshotOf(c, now) // read before any step ran
	mark := ex.Mark()
	ex.Start(stale, []*placement.Operator{op})
	ex.WaitIdle()
	require.Len(t, c.calls, len(op.Steps), "every step ran without a Check: %v", c.calls)
	require.Equal(t, len(op.Steps), op.Current)
	// The stale snapshot shows none of it (the learner step would look
	// in progress, the promotion abandoned): the operator stays in flight.
	require.Len(t, ex.CheckAt(stale, mark), 1)
	require.Len(t, ex.Check(snapshotOf(c, now.Add(time.Second))), 0)
	done, abandoned, timedOut, failed := ex.Outcomes()
	require.Equal(t, []int{1, 0, 0, 0}, []int{done, abandoned, timedOut, failed})
	require.NoError(t, c.allReplicated(nil))
}

// TestExecutorChainStopsAtFailure: a failing step ends the chain; the
// operator fails at the next check and no later step ran.
func TestExecutorChainStopsAtFailure(t *testing.T) {
	c := newFakeCluster(4, 2)
	c.fail = func(st placement.Step) error {
		if _, ok := st.(placement.PromoteLearner); ok {
			return errors.New("injected")
		}
		return nil
	}
	now := time.Unix(1000, 0)
	op := replaceOp(t, c, now, 2)
	ex := NewExecutor(c, quietLogger())
	defer ex.Stop()
	ex.Start(snapshotOf(c, now), []*placement.Operator{op})
	ex.WaitIdle()
	require.Len(t, c.calls, 2, "add learner, then the failed promotion: %v", c.calls)
	require.Empty(t, ex.Check(snapshotOf(c, now.Add(time.Second))))
	_, _, _, failed := ex.Outcomes()
	require.Equal(t, 1, failed)
}

// leaseRoutingRunner runs steps on the fake cluster but, like
// AdminRunner, routes each step by the snapshot it is given: a change
// sent to the replica it removes is refused.
type leaseRoutingRunner struct {
	c      *fakeCluster
	routed []kvpb.StoreID // the snapshot's leaseholder, per step
}

func (l *leaseRoutingRunner) RunStep(ctx context.Context, s *placement.Snapshot, step placement.Step) error {
	lh := s.Range(step.Range()).Leaseholder
	l.routed = append(l.routed, lh)
	if rm, ok := step.(placement.RemoveReplica); ok && rm.Store == lh {
		return errors.New("sent to the replica being removed: a leaseholder refuses to remove itself")
	}
	return l.c.RunStep(ctx, s, step)
}

// TestExecutorRoutesAfterLeaseTransfer: the steps after an operator's
// TransferLease go to the new leaseholder, not to the one in the
// snapshot the operator started from.
func TestExecutorRoutesAfterLeaseTransfer(t *testing.T) {
	c := newFakeCluster(4, 2)
	now := time.Unix(1000, 0)
	op := replaceOp(t, c, now, 2)
	var transfer placement.TransferLease
	var removed kvpb.StoreID
	for _, st := range op.Steps {
		if tl, ok := st.(placement.TransferLease); ok {
			transfer = tl
		}
		if rm, ok := st.(placement.RemoveReplica); ok {
			removed = rm.Store
		}
	}
	require.True(t, removed != 0 && transfer.Target != 0 && transfer.Target != removed, "the operator must transfer the lease, then remove: %v", op.Steps)
	c.lease[2] = removed // the operator moves the leaseholder's replica
	r := &leaseRoutingRunner{c: c}
	ex := NewExecutor(r, quietLogger())
	defer ex.Stop()
	ex.Start(snapshotOf(c, now), []*placement.Operator{op})
	ex.WaitIdle()
	require.Empty(t, ex.Check(snapshotOf(c, now.Add(time.Second))))
	done, abandoned, timedOut, failed := ex.Outcomes()
	require.Equal(t, []int{1, 0, 0, 0}, []int{done, abandoned, timedOut, failed}, "routed: %v", r.routed)
	require.Equal(t, transfer.Target, r.routed[len(r.routed)-1], "the remove goes to the new leaseholder")
	require.NoError(t, c.allReplicated(nil))
}
