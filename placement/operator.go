package placement

import (
	"fmt"
	"strings"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// OpKind names what an operator is for.
type OpKind string

const (
	OpSplitSize        OpKind = "split-size"
	OpSplitLoad        OpKind = "split-load"
	OpMerge            OpKind = "merge"
	OpRelocateForMerge OpKind = "relocate-for-merge"
	OpReplace          OpKind = "replace-replica"
	OpAddReplica       OpKind = "add-replica"
	OpRemoveReplica    OpKind = "remove-replica"
	OpRebalance        OpKind = "rebalance-replica"
	OpLeaseBalance     OpKind = "balance-lease"
	OpLoadBalance      OpKind = "balance-load"
	OpDrainLease       OpKind = "drain-lease"
)

// IsRebalance reports whether the kind is optional balancing (rate
// limited, subject to cool-down) rather than repair or split/merge.
func (k OpKind) IsRebalance() bool {
	return k == OpRebalance || k == OpLeaseBalance || k == OpLoadBalance
}

// OpStatus is an operator's state after Check.
type OpStatus int

const (
	OpRunning OpStatus = iota
	OpDone
	OpAbandoned
	OpTimedOut
)

func (s OpStatus) String() string {
	switch s {
	case OpDone:
		return "done"
	case OpAbandoned:
		return "abandoned"
	case OpTimedOut:
		return "timed out"
	}
	return "running"
}

// Operator is a decision: a list of steps for one range, carried out in
// order, with the reason in plain words. The decision functions build
// operators; the execution loop owns them afterwards and tracks progress
// in Current and StepStarted (an Operator is not safe for concurrent use).
type Operator struct {
	RangeID kvpb.RangeID
	Kind    OpKind
	Reason  string
	Steps   []Step
	Created time.Time

	// Current is the index of the step in progress; len(Steps) when done.
	Current int
	// StepStarted is when the current step was started.
	StepStarted time.Time
}

// Check advances the operator over the steps the snapshot shows done and
// reports where it stands. A running step older than its timeout makes
// the operator time out; a step whose range changed under it abandons it.
func (o *Operator) Check(s *Snapshot) OpStatus {
	for o.Current < len(o.Steps) {
		st := o.Steps[o.Current]
		switch st.Check(s) {
		case StepDone:
			o.Current++
			o.StepStarted = s.Now
			continue
		case StepAbandon:
			return OpAbandoned
		}
		if st.Timeout() > 0 && s.Now.Sub(o.StepStarted) > st.Timeout() {
			return OpTimedOut
		}
		return OpRunning
	}
	return OpDone
}

// CurrentStep returns the step in progress, or nil when done.
func (o *Operator) CurrentStep() Step {
	if o.Current < len(o.Steps) {
		return o.Steps[o.Current]
	}
	return nil
}

// pending returns the stores the remaining steps add a replica to and
// remove one from.
func (o *Operator) pending() (adds, removes []kvpb.StoreID, lease kvpb.StoreID) {
	for _, st := range o.Steps[min(o.Current, len(o.Steps)):] {
		switch st := st.(type) {
		case AddLearner:
			adds = append(adds, st.Store)
		case RemoveReplica:
			removes = append(removes, st.Store)
		case TransferLease:
			lease = st.Target
		}
	}
	return adds, removes, lease
}

// promotions returns the stores whose learners the remaining steps promote.
func (o *Operator) promotions() []kvpb.StoreID {
	var out []kvpb.StoreID
	for _, st := range o.Steps[min(o.Current, len(o.Steps)):] {
		if p, ok := st.(PromoteLearner); ok {
			out = append(out, p.Store)
		}
	}
	return out
}

func (o *Operator) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:", o.RangeID, o.Kind)
	for i, st := range o.Steps {
		if i > 0 {
			b.WriteString(";")
		}
		b.WriteString(" ")
		b.WriteString(st.String())
	}
	fmt.Fprintf(&b, " (%s)", o.Reason)
	return b.String()
}

// opBuilder builds the steps of one operator on one range.
type opBuilder struct {
	op   *Operator
	base stepBase
	size int64
}

// Timeouts: metadata steps get a fixed timeout; a learner's snapshot gets
// time for its bytes at a conservative 4 MiB/s on top.
const (
	metaStepTimeout      = time.Minute
	snapshotBytesPerSec  = 4 << 20
	minSnapshotStepLimit = 2 * time.Minute
)

func newOp(s *Snapshot, r *Range, kind OpKind, reason string) *opBuilder {
	return &opBuilder{
		op:   &Operator{RangeID: r.ID, Kind: kind, Reason: reason, Created: s.Now, StepStarted: s.Now},
		base: stepBase{RangeID: r.ID, StartKey: r.StartKey, Wait: metaStepTimeout},
		size: r.SizeBytes,
	}
}

func (b *opBuilder) addLearner(st kvpb.StoreID) *opBuilder {
	base := b.base
	base.Wait = minSnapshotStepLimit + time.Duration(b.size/snapshotBytesPerSec)*time.Second
	b.op.Steps = append(b.op.Steps, AddLearner{stepBase: base, Store: st})
	return b
}
func (b *opBuilder) promote(st kvpb.StoreID) *opBuilder {
	b.op.Steps = append(b.op.Steps, PromoteLearner{stepBase: b.base, Store: st})
	return b
}
func (b *opBuilder) addVoter(st kvpb.StoreID) *opBuilder { return b.addLearner(st).promote(st) }
func (b *opBuilder) transferLease(st kvpb.StoreID) *opBuilder {
	b.op.Steps = append(b.op.Steps, TransferLease{stepBase: b.base, Target: st})
	return b
}
func (b *opBuilder) remove(st kvpb.StoreID) *opBuilder {
	b.op.Steps = append(b.op.Steps, RemoveReplica{stepBase: b.base, Store: st})
	return b
}
func (b *opBuilder) split(key []byte) *opBuilder {
	b.op.Steps = append(b.op.Steps, Split{stepBase: b.base, Key: key})
	return b
}
func (b *opBuilder) merge(right *Range) *opBuilder {
	b.op.Steps = append(b.op.Steps, Merge{stepBase: b.base, Right: right.ID, RightEnd: right.EndKey})
	return b
}
