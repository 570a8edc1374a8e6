package ranges

import (
	"errors"
	"fmt"

	"go.etcd.io/raft/v3"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// proposal is a command proposed by this replica and awaiting
// application.
type proposal struct {
	id             uint64
	cmd            *rangepb.RaftCommand
	data           []byte
	br             *kvpb.BatchResponse
	done           chan error // buffered(1); receives the outcome once
	proposedAtTick int
	finished       bool
	// guard holds the write's latches until the outcome is known.
	guard *spanlatch.Guard
	// dropped: raft refused the last proposal of it (no leader); guarded
	// by raftMu.
	dropped bool
}

var (
	// errLeaseRejected: a lease request lost to another one.
	errLeaseRejected = errors.New("ranges: lease request rejected")
	// errIllegalLeaseIndex: internal; the command must be reproposed.
	errIllegalLeaseIndex = errors.New("ranges: command applied out of order")
	errReplicaReplaced   = errors.New("ranges: replica being replaced by a newer replica ID")
)

func newProposal(id uint64, cmd *rangepb.RaftCommand) *proposal {
	cmd.Id = id
	return &proposal{id: id, cmd: cmd, done: make(chan error, 1)}
}

func (p *proposal) encode() error {
	data, err := proto.Marshal(p.cmd)
	if err != nil {
		return err
	}
	p.data = data
	return nil
}

// submit registers p and queues it for raft. Write commands get their max
// lease index here.
func (r *Replica) submit(p *proposal) error {
	r.mu.Lock()
	if r.mu.destroyed {
		r.mu.Unlock()
		return &kvpb.RangeNotFoundError{RangeId: uint64(r.rangeID), StoreId: uint64(r.store.cfg.StoreID)}
	}
	if p.cmd.GetNewLease() == nil && p.cmd.GetTruncate() == nil {
		r.assignMAILocked(p)
	}
	if err := p.encode(); err != nil {
		r.mu.Unlock()
		return err
	}
	r.mu.proposals[p.id] = p
	r.mu.toPropose = append(r.mu.toPropose, p)
	r.mu.Unlock()
	// Propose (and send the appends) on this goroutine when the
	// scheduler is idle; it only waits for the outcome afterwards.
	r.store.sched.add(r.rangeID)
	r.store.runInline()
	return nil
}

func (r *Replica) assignMAILocked(p *proposal) {
	r.mu.nextMAI = max(r.mu.nextMAI, r.mu.applied.GetLeaseAppliedIndex()) + 1
	p.cmd.MaxLeaseIndex = r.mu.nextMAI
}

// finishLocked delivers a proposal's outcome (mu held).
func (r *Replica) finishLocked(p *proposal, err error) {
	delete(r.mu.proposals, p.id)
	if r.mu.pendingLease == p {
		r.mu.pendingLease = nil
	}
	if p.guard != nil {
		r.latches.Release(p.guard)
		p.guard = nil
	}
	if p.finished {
		return
	}
	p.finished = true
	p.done <- err
}

func (r *Replica) failAllProposals(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.mu.proposals {
		r.finishLocked(p, err)
	}
	// Conf change proposers watch the descriptor and see destroyed.
	r.mu.confQueue, r.mu.pendingConf = nil, nil
	r.notifyStateChangedLocked()
}

// onTickLocked runs periodic leader duties (raftMu held): reproposing
// commands and the conf change that have not applied after an election
// timeout, keeping the lease with the leader, and truncating the log.
func (r *Replica) onTickLocked() {
	ticks := r.raftMu.ticks
	every := r.store.cfg.ElectionTicks
	bs := r.raftMu.rn.BasicStatus()
	isLeader := bs.RaftState == raft.StateLeader
	now := r.store.cfg.Clock.Now()

	var repropose []*proposal
	var leaseProp *proposal
	r.mu.Lock()
	reconf := r.confToReproposeLocked(ticks, every, bs.Lead != 0)
	if ticks%every == 0 {
		for _, p := range r.mu.proposals {
			if p.cmd.GetNewLease() == nil && p.cmd.GetProposerLeaseSequence() < r.mu.lease.GetSequence() {
				// Proposed under a lease that has since been replaced:
				// it can never apply (sequences only grow).
				r.finishLocked(p, r.notLeaseholderErrLocked())
				continue
			}
			if ticks-p.proposedAtTick >= every {
				repropose = append(repropose, p)
			}
		}
		if p := r.mu.pendingLease; p != nil && ticks-p.proposedAtTick >= 3*every {
			r.finishLocked(p, fmt.Errorf("%w: timed out", errLeaseRejected))
		}
	} else if r.raftMu.rn.BasicStatus().Lead != 0 {
		// Proposals raft dropped (no leader yet, e.g. on a range a split
		// just created) go again as soon as there is one, not an election
		// timeout later.
		for _, p := range r.mu.proposals {
			if p.dropped {
				repropose = append(repropose, p)
			}
		}
	}
	if isLeader && r.mu.pendingLease == nil && r.mu.desc != nil {
		l := r.mu.lease
		owns := r.ownsLeaseLocked(l)
		remaining := l.GetExpiration().HLC().WallTime - now.WallTime
		switch {
		case owns && remaining < int64(r.store.cfg.LeaseDuration)/2:
			leaseProp = r.newLeaseRequestLocked(now)
		case !owns && (r.holdsLeaseLocked(l) || l.GetReplica() == nil || !now.Less(l.GetExpiration().HLC())):
			leaseProp = r.newLeaseRequestLocked(now)
		}
		if leaseProp != nil {
			if err := leaseProp.encode(); err != nil {
				leaseProp = nil
			} else {
				r.mu.proposals[leaseProp.id] = leaseProp
				r.mu.pendingLease = leaseProp
			}
		}
	}
	r.mu.Unlock()
	for _, p := range repropose {
		r.proposeLocked(p)
	}
	if reconf != nil {
		r.store.counters.confChangesReproposed.Add(1)
		r.store.log.Info("ranges: conf change not applied; proposing it again", "range", r.rangeID,
			"generation", reconf.baseGen, "dropped", reconf.dropped)
		r.proposeConfLocked(reconf)
	}
	if leaseProp != nil {
		r.proposeLocked(leaseProp)
	}
	if isLeader && ticks%every == 0 {
		r.maybeTruncateLogLocked()
	}
}

// newLeaseRequestLocked builds a lease request for this replica (mu
// held), or nil when the current holder's lease has not expired yet.
func (r *Replica) newLeaseRequestLocked(now hlc.Timestamp) *proposal {
	prev := r.mu.lease
	nl := &kvpb.Lease{Replica: r.replicaDescLocked(), ProposedTs: kvpb.TS(now),
		Expiration: kvpb.TS(now.AddDuration(int64(r.store.cfg.LeaseDuration)))}
	switch {
	case r.ownsLeaseLocked(prev) && now.Less(prev.GetExpiration().HLC()):
		nl.Start, nl.Sequence = prev.GetStart(), prev.GetSequence()
	case r.holdsLeaseLocked(prev):
		// Our expired lease, or one of a previous incarnation: a new
		// sequence (commands of the old one no longer apply).
		nl.Start, nl.Sequence = kvpb.TS(now), prev.GetSequence()+1
	case prev.GetReplica() != nil && now.Less(prev.GetExpiration().HLC()):
		return nil
	default:
		nl.Start, nl.Sequence = kvpb.TS(now), prev.GetSequence()+1
	}
	return newProposal(r.store.newProposalID(), &rangepb.RaftCommand{NewLease: nl, PrevLeaseSequence: prev.GetSequence()})
}

// maybeTruncateLogLocked proposes a log truncation (raftMu held, leader):
// up to the lowest index every recently active follower has, and beyond
// it when the log exceeds RaftLogMaxEntries (followers behind then catch
// up by snapshot).
func (r *Replica) maybeTruncateLogLocked() {
	rs := r.raftMu.rs
	first, _ := rs.FirstIndex()
	last, _ := rs.LastIndex()
	r.mu.RLock()
	applied := r.mu.applied.GetRaftAppliedIndex()
	r.mu.RUnlock()
	if last < first {
		return
	}
	maxEntries := r.store.cfg.RaftLogMaxEntries
	n := last - first + 1
	st := r.raftMu.rn.Status()
	idx := applied
	for id, pr := range st.Progress {
		if id == st.ID || !pr.RecentActive {
			continue
		}
		idx = min(idx, pr.Match)
	}
	if n > maxEntries && last > maxEntries/2 {
		idx = max(idx, last-maxEntries/2)
	}
	idx = min(idx, applied)
	if idx < first || idx-(first-1) < max(1, maxEntries/8) {
		return
	}
	term, err := rs.Term(idx)
	if err != nil {
		return
	}
	p := newProposal(r.store.newProposalID(), &rangepb.RaftCommand{Truncate: &rangepb.TruncatedState{Index: idx, Term: term}})
	if err := p.encode(); err != nil {
		return
	}
	_ = r.raftMu.rn.Propose(p.data)
}

// hasProposals reports whether a proposal of this replica awaits its
// application (someone here waits for committed entries to apply).
func (r *Replica) hasProposals() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.mu.proposals) > 0
}
