package driver

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement"
)

// ErrNoSplitMerge is returned for Split and Merge steps when the runner
// has no SplitMerger.
var ErrNoSplitMerge = errors.New("driver: splits and merges are not available on this cluster")

// SplitMerger performs admin splits and merges (the ranges' AdminSplit and
// AdminMerge, reached through kvpb RPCs).
type SplitMerger interface {
	Split(ctx context.Context, rangeID kvpb.RangeID, key []byte) error
	Merge(ctx context.Context, left kvpb.RangeID) error
}

// AdminRunner runs steps through the kvpb.Admin service of the range's
// leaseholder node (ChangeReplicas, TransferLease), which is where
// ranges/ requires them to run.
type AdminRunner struct {
	// Dial returns an Admin client of node.
	Dial func(ctx context.Context, node kvpb.NodeID) (kvpb.AdminClient, error)
	// SplitMerger, if set, performs Split and Merge steps.
	SplitMerger SplitMerger

	// mu guards moved: for each range whose lease a TransferLease step
	// of this runner moved, the new leaseholder and the snapshot the step
	// started from. An operator's steps all start from one snapshot, which
	// still names the old leaseholder after the transfer; the steps after
	// it go to the new one (the old one is often the replica the operator
	// removes next, and a change sent there waited out its deadline). A
	// step from a later snapshot uses that snapshot's leaseholder.
	mu    sync.Mutex
	moved map[kvpb.RangeID]leaseMove
}

type leaseMove struct {
	snap  *placement.Snapshot
	store kvpb.StoreID
}

// movedLease returns the store this runner moved r's lease to during
// steps started from s, if any.
func (a *AdminRunner) movedLease(s *placement.Snapshot, r kvpb.RangeID) (kvpb.StoreID, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m, ok := a.moved[r]
	if !ok {
		return 0, false
	}
	if m.snap != s {
		delete(a.moved, r) // a later snapshot knows where the lease is
		return 0, false
	}
	return m.store, true
}

func (a *AdminRunner) leaseMoved(s *placement.Snapshot, r kvpb.RangeID, to kvpb.StoreID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.moved == nil {
		a.moved = map[kvpb.RangeID]leaseMove{}
	}
	a.moved[r] = leaseMove{snap: s, store: to}
}

// RunStep implements StepRunner.
func (a *AdminRunner) RunStep(ctx context.Context, s *placement.Snapshot, step placement.Step) error {
	r := s.Range(step.Range())
	if r == nil {
		return fmt.Errorf("driver: %s not in the snapshot", step.Range())
	}
	target := func(st kvpb.StoreID) (*kvpb.ReplicaTarget, error) {
		store := s.Store(st)
		if store == nil {
			return nil, fmt.Errorf("driver: store %s unknown", st)
		}
		return &kvpb.ReplicaTarget{NodeId: uint64(store.Node), StoreId: uint64(st)}, nil
	}
	change := func(typ kvpb.ReplicaChangeType, st kvpb.StoreID) error {
		t, err := target(st)
		if err != nil {
			return err
		}
		// Never send a change to the replica it changes: without a valid
		// lease, the replica that gets the request acquires one, and a
		// leaseholder refuses to remove itself.
		c, err := a.leaseholder(ctx, s, r, st)
		if err != nil {
			return err
		}
		_, err = c.ChangeReplicas(ctx, &kvpb.ChangeReplicasRequest{RangeId: uint64(r.ID), Changes: []*kvpb.ReplicaChange{{Type: typ, Target: t}}})
		return err
	}
	switch st := step.(type) {
	case placement.AddLearner:
		return change(kvpb.ReplicaChangeType_ADD_LEARNER, st.Store)
	case placement.PromoteLearner:
		return change(kvpb.ReplicaChangeType_PROMOTE_LEARNER, st.Store)
	case placement.RemoveReplica:
		typ := kvpb.ReplicaChangeType_REMOVE_VOTER
		if rep, ok := r.Replica(st.Store); ok && rep.Type == placement.Learner {
			typ = kvpb.ReplicaChangeType_REMOVE_LEARNER
		}
		return change(typ, st.Store)
	case placement.TransferLease:
		t, err := target(st.Target)
		if err != nil {
			return err
		}
		c, err := a.leaseholder(ctx, s, r, 0)
		if err != nil {
			return err
		}
		if _, err = c.TransferLease(ctx, &kvpb.TransferLeaseRequest{RangeId: uint64(r.ID), Target: t}); err != nil {
			return err
		}
		a.leaseMoved(s, r.ID, st.Target)
		return nil
	case placement.Split:
		if a.SplitMerger == nil {
			return ErrNoSplitMerge
		}
		return a.SplitMerger.Split(ctx, r.ID, st.Key)
	case placement.Merge:
		if a.SplitMerger == nil {
			return ErrNoSplitMerge
		}
		return a.SplitMerger.Merge(ctx, r.ID)
	}
	return fmt.Errorf("driver: unknown step %T", step)
}

// leaseholder returns an Admin client of the range's leaseholder node (as
// s shows it, or where this runner moved the lease since), or
// of its first voter on a live store other than avoid when no lease is
// valid (the replica acquires one on the request).
func (a *AdminRunner) leaseholder(ctx context.Context, s *placement.Snapshot, r *placement.Range, avoid kvpb.StoreID) (kvpb.AdminClient, error) {
	st := r.Leaseholder
	if m, ok := a.movedLease(s, r.ID); ok {
		st = m
	}
	if st == 0 {
		for _, v := range r.Voters() {
			if v.Store != avoid && s.LivenessOf(v.Store) == placement.Live {
				st = v.Store
				break
			}
		}
	}
	store := s.Store(st)
	if store == nil {
		return nil, fmt.Errorf("driver: %s has no leaseholder and no live voter", r.ID)
	}
	return a.Dial(ctx, store.Node)
}
