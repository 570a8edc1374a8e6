package placement

import (
	"bytes"
	"fmt"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// StepStatus is what a snapshot says about a step.
type StepStatus int

const (
	// StepInProgress: not done yet; keep waiting (until the step's timeout).
	StepInProgress StepStatus = iota
	// StepDone: the snapshot shows the step's effect.
	StepDone
	// StepAbandon: the range changed under the step (split, merged, removed,
	// or replicas changed so that the step no longer makes sense).
	StepAbandon
)

func (s StepStatus) String() string {
	switch s {
	case StepDone:
		return "done"
	case StepAbandon:
		return "abandon"
	}
	return "in progress"
}

// Step is one change to one range that the execution loop carries out
// (ranges' AdminChangeReplicas, AdminTransferLease, AdminSplit,
// AdminMerge) and then confirms by checking later snapshots.
type Step interface {
	// Range is the range the step changes.
	Range() kvpb.RangeID
	// Check reports, from a snapshot, whether the step is done.
	Check(s *Snapshot) StepStatus
	// Timeout is how long the step may stay in progress.
	Timeout() time.Duration
	String() string
}

// stepBase identifies the range as it was when the operator was built; a
// step is abandoned when the range is gone or starts at another key.
type stepBase struct {
	RangeID  kvpb.RangeID
	StartKey []byte
	Wait     time.Duration
}

func (b stepBase) Range() kvpb.RangeID    { return b.RangeID }
func (b stepBase) Timeout() time.Duration { return b.Wait }

func (b stepBase) lookup(s *Snapshot) *Range {
	r := s.Range(b.RangeID)
	if r == nil || !bytes.Equal(r.StartKey, b.StartKey) {
		return nil
	}
	return r
}

// AddLearner adds a learner replica on Store and sends it a snapshot.
type AddLearner struct {
	stepBase
	Store kvpb.StoreID
}

func (a AddLearner) Check(s *Snapshot) StepStatus {
	r := a.lookup(s)
	if r == nil {
		return StepAbandon
	}
	if _, ok := r.Replica(a.Store); ok {
		return StepDone
	}
	if lv := s.LivenessOf(a.Store); lv != Live {
		return StepAbandon // the target stopped being a valid target
	}
	return StepInProgress
}
func (a AddLearner) String() string { return "add learner on " + a.Store.String() }

// PromoteLearner promotes the learner on Store to a voter (a joint
// configuration change when it also demotes a voter; here it only adds).
type PromoteLearner struct {
	stepBase
	Store kvpb.StoreID
}

func (p PromoteLearner) Check(s *Snapshot) StepStatus {
	r := p.lookup(s)
	if r == nil {
		return StepAbandon
	}
	rep, ok := r.Replica(p.Store)
	switch {
	case !ok:
		return StepAbandon
	case rep.Type == Voter:
		return StepDone
	}
	if lv := s.LivenessOf(p.Store); lv != Live && lv != Suspect {
		return StepAbandon // promoting a replica on a dead or draining store is pointless
	}
	return StepInProgress
}
func (p PromoteLearner) String() string { return "promote learner on " + p.Store.String() }

// TransferLease moves the range's lease to Target.
type TransferLease struct {
	stepBase
	Target kvpb.StoreID
}

func (t TransferLease) Check(s *Snapshot) StepStatus {
	r := t.lookup(s)
	if r == nil {
		return StepAbandon
	}
	if r.Leaseholder == t.Target {
		return StepDone
	}
	if rep, ok := r.Replica(t.Target); !ok || rep.Type != Voter || s.LivenessOf(t.Target) != Live {
		return StepAbandon
	}
	return StepInProgress
}
func (t TransferLease) String() string { return "transfer lease to " + t.Target.String() }

// RemoveReplica removes the replica on Store (voter or learner).
type RemoveReplica struct {
	stepBase
	Store kvpb.StoreID
}

func (rm RemoveReplica) Check(s *Snapshot) StepStatus {
	r := rm.lookup(s)
	if r == nil {
		return StepAbandon
	}
	if _, ok := r.Replica(rm.Store); !ok {
		return StepDone
	}
	if r.Leaseholder == rm.Store && s.LivenessOf(rm.Store) == Live {
		return StepAbandon // never remove a live leaseholder; the lease came back
	}
	return StepInProgress
}
func (rm RemoveReplica) String() string { return "remove replica on " + rm.Store.String() }

// Split splits the range at Key; the left half keeps the range ID.
type Split struct {
	stepBase
	Key []byte
}

func (sp Split) Check(s *Snapshot) StepStatus {
	r := sp.lookup(s)
	if r == nil {
		return StepAbandon
	}
	if bytes.Equal(r.EndKey, sp.Key) {
		return StepDone
	}
	if bytes.Compare(sp.Key, r.StartKey) <= 0 || (r.EndKey != nil && bytes.Compare(sp.Key, r.EndKey) >= 0) {
		return StepAbandon
	}
	return StepInProgress
}
func (sp Split) String() string { return fmt.Sprintf("split at %q", sp.Key) }

// Merge merges the right neighbour Right (spanning [our end, RightEnd))
// into the range; the left range keeps its ID.
type Merge struct {
	stepBase
	Right    kvpb.RangeID
	RightEnd []byte // nil: end of the key space
}

func (m Merge) Check(s *Snapshot) StepStatus {
	r := m.lookup(s)
	if r == nil {
		return StepAbandon
	}
	if bytes.Equal(r.EndKey, m.RightEnd) && s.Range(m.Right) == nil {
		return StepDone
	}
	right := s.RightNeighbour(r)
	if right == nil || right.ID != m.Right || !bytes.Equal(right.EndKey, m.RightEnd) {
		return StepAbandon
	}
	return StepInProgress
}
func (m Merge) String() string { return "merge with right neighbour " + m.Right.String() }
