package ranges

import (
	"fmt"
	"github.com/tesseradb/tessera/kv/concurrency"
	"math"
	"sync"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/tscache"
	"github.com/tesseradb/tessera/ranges/raftstorage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// Replica is one replica of a range on a Store: a Raft group member, its
// state machine (the range's data on the engine) and, when it holds the
// lease, the request pipeline.
//
// Lock order: raftMu before mu; Store.mu is never acquired under either
// (except Store.newProposalID, a leaf). Neither is held across an fsync,
// an RPC or a wait on a proposal.
type Replica struct {
	store   *Store
	rangeID kvpb.RangeID
	latches *spanlatch.Manager
	tsCache *tscache.Cache
	// conc sequences requests: latches, lock table, txn wait queue.
	conc *concurrency.Manager
	// adminSem serialises replica changes of the range (a slot, not a
	// mutex: it is held while waiting for Raft, and waits honour ctx).
	adminSem chan struct{}
	// load counts the batches served under the lease (replica_load.go).
	load loadStats

	// raftMu guards the RawNode and its Storage; the scheduler goroutine
	// holds it while stepping, ticking, proposing and taking a Ready, and
	// RangeInfo takes it to read the Raft status.
	raftMu struct {
		sync.Mutex
		rn *raft.RawNode
		rs *raftstorage.Storage
		// snapshots received and waiting for their MsgSnap to be stepped.
		pendingSnaps map[uint64]*incomingSnapshot
		// outgoing snapshots in flight, by peer replica ID.
		sendingSnap map[uint64]bool
		ticks       int
	}

	mu struct {
		sync.RWMutex
		replicaID kvpb.ReplicaID
		desc      *kvpb.RangeDescriptor // nil: uninitialized
		lease     *kvpb.Lease
		applied   *rangepb.AppliedState
		// stats are the MVCC stats of the range's user data as applied.
		stats *kvpb.MVCCStats
		// frozenIndex, when non-zero, is the raft index at which a merge
		// subsumed the range: it serves nothing any more.
		frozenIndex uint64
		// gcThreshold: history at or below it may be garbage-collected;
		// requests at or below it are refused (replicated, GCThresholdKey).
		gcThreshold hlc.Timestamp
		leaderID    kvpb.ReplicaID
		term        uint64
		// stateChanged is closed (and replaced) whenever lease, leader or
		// descriptor change, waking requests waiting for them.
		stateChanged chan struct{}

		proposals map[uint64]*proposal // by command ID, until applied
		toPropose []*proposal          // queued for the scheduler
		// confQueue: conf changes not yet handed to raft.
		confQueue []*confChangeProposal
		// pendingConf is the conf change last handed to raft, while its
		// proposer waits for it: reproposed until the descriptor moves
		// on from the one it was built from (onTickLocked).
		pendingConf *confChangeProposal
		incoming    []*raftpb.Message
		snapDone    []snapshotReport
		nextMAI     uint64
		// pendingLease is the in-flight lease request, if any.
		pendingLease *proposal
		destroyed    bool
		campaign     bool
		gcRequested  bool
		// transferTarget is set while a lease transfer away is in flight:
		// requests are redirected to it.
		transferTarget *kvpb.ReplicaDescriptor
		// transferLeader asks the scheduler to hand Raft leadership over.
		transferLeader uint64
		// peers caches descriptors of replicas we heard from, to reply
		// before our descriptor knows them (an uninitialized replica).
		peers map[kvpb.ReplicaID]*kvpb.ReplicaDescriptor
	}
}

type snapshotReport struct {
	to     uint64
	failed bool
}

func newReplica(s *Store, rangeID kvpb.RangeID, replicaID kvpb.ReplicaID) (*Replica, error) {
	r := &Replica{store: s, rangeID: rangeID, latches: spanlatch.New(), tsCache: tscache.New(hlc.Timestamp{}), adminSem: make(chan struct{}, 1)}
	r.conc = s.newConcurrencyManager(r.latches)
	r.mu.replicaID = replicaID
	r.mu.proposals = map[uint64]*proposal{}
	r.mu.peers = map[kvpb.ReplicaID]*kvpb.ReplicaDescriptor{}
	r.mu.stateChanged = make(chan struct{})
	r.raftMu.pendingSnaps = map[uint64]*incomingSnapshot{}
	r.raftMu.sendingSnap = map[uint64]bool{}
	if err := r.loadStateLocked(); err != nil {
		return nil, err
	}
	rs, err := raftstorage.Load(s.eng, uint64(rangeID))
	if err != nil {
		return nil, err
	}
	r.raftMu.rs = rs
	cfg := &raft.Config{
		ID:                        uint64(replicaID),
		ElectionTick:              s.cfg.ElectionTicks,
		HeartbeatTick:             s.cfg.HeartbeatTicks,
		Storage:                   rs,
		Applied:                   r.mu.applied.GetRaftAppliedIndex(),
		MaxSizePerMsg:             1 << 20,
		MaxCommittedSizePerReady:  64 << 20,
		MaxInflightMsgs:           256,
		MaxUncommittedEntriesSize: 64 << 20,
		CheckQuorum:               true,
		PreVote:                   true,
		StepDownOnRemoval:         true,
		Logger:                    raftLogger{s.log.With("range", rangeID)},
	}
	rn, err := raft.NewRawNode(cfg)
	if err != nil {
		return nil, fmt.Errorf("ranges: raft for r%d: %w", rangeID, err)
	}
	r.raftMu.rn = rn
	if d := r.mu.desc; d != nil && len(d.Voters()) == 1 && d.Voters()[0].ID() == replicaID {
		r.mu.campaign = true
	}
	return r, nil
}

// loadStateLocked reads descriptor, lease and applied state from the
// engine (mu held or the replica not yet shared).
func (r *Replica) loadStateLocked() error {
	eng := r.store.eng
	id := uint64(r.rangeID)
	desc := &kvpb.RangeDescriptor{}
	ok, err := getProto(eng, rangekeys.DescriptorKey(id), desc)
	if err != nil {
		return err
	}
	if ok {
		r.mu.desc = desc
	} else {
		r.mu.desc = nil
	}
	lease := &kvpb.Lease{}
	if _, err := getProto(eng, rangekeys.LeaseKey(id), lease); err != nil {
		return err
	}
	r.mu.lease = lease
	as, err := raftstorage.ReadAppliedState(eng, id)
	if err != nil {
		return err
	}
	r.mu.applied = as
	stats := &kvpb.MVCCStats{}
	if _, err := getProto(eng, rangekeys.StatsKey(id), stats); err != nil {
		return err
	}
	r.mu.stats = stats
	r.mu.frozenIndex = 0
	if v, ok, err := eng.GetRaw(rangekeys.FrozenKey(id)); err != nil {
		return err
	} else if ok {
		r.mu.frozenIndex = decodeUint64(v)
	}
	gcth := &kvpb.Timestamp{}
	if _, err := getProto(eng, rangekeys.GCThresholdKey(id), gcth); err != nil {
		return err
	}
	r.mu.gcThreshold = gcth.HLC()
	r.mu.nextMAI = as.GetLeaseAppliedIndex()
	// Reads may have been served (by us before a restart, or by the holder
	// whose state a snapshot brings) up to now: no write goes below.
	r.tsCache.SetLowWater(r.store.cfg.Clock.Now())
	return nil
}

// ReplicaID returns the replica's ID.
func (r *Replica) ReplicaID() kvpb.ReplicaID {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.replicaID
}

// Desc returns the replica's descriptor (nil while uninitialized). The
// result must not be modified.
func (r *Replica) Desc() *kvpb.RangeDescriptor {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.desc
}

// Lease returns the lease the replica knows.
func (r *Replica) Lease() *kvpb.Lease {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.mu.lease
}

func (r *Replica) notifyStateChangedLocked() {
	close(r.mu.stateChanged)
	r.mu.stateChanged = make(chan struct{})
}

// replicaDescLocked returns this replica's descriptor entry.
func (r *Replica) replicaDescLocked() *kvpb.ReplicaDescriptor {
	if r.mu.desc != nil {
		if d, ok := r.mu.desc.ReplicaByID(r.mu.replicaID); ok {
			return d
		}
	}
	return &kvpb.ReplicaDescriptor{NodeId: uint64(r.store.cfg.NodeID), StoreId: uint64(r.store.cfg.StoreID), ReplicaId: uint64(r.mu.replicaID)}
}

func (r *Replica) info(now hlc.Timestamp) *kvpb.RangeInfo {
	r.raftMu.Lock()
	st := r.raftMu.rn.BasicStatus() // no Progress map: this runs for every replica on every stats poll
	truncated, _ := r.raftMu.rs.TruncatedState()
	r.raftMu.Unlock()
	r.mu.RLock()
	defer r.mu.RUnlock()
	info := &kvpb.RangeInfo{
		Desc:                r.mu.desc,
		Lease:               r.mu.lease,
		StoreId:             uint64(r.store.cfg.StoreID),
		ReplicaId:           uint64(r.mu.replicaID),
		RaftLeaderReplicaId: st.Lead,
		Term:                st.GetTerm(),
		AppliedIndex:        r.mu.applied.GetRaftAppliedIndex(),
		CommitIndex:         st.GetCommit(),
		TruncatedIndex:      truncated,
		Stats:               proto.Clone(r.mu.stats).(*kvpb.MVCCStats),
		KeyCount:            r.mu.stats.GetLiveCount(),
		LiveBytes:           r.mu.stats.GetLiveBytes(),
		Frozen:              r.mu.frozenIndex != 0,
		LeaseValid: r.leaseValidLocked(r.mu.lease, now) &&
			(!r.holdsLeaseLocked(r.mu.lease) || r.ownsLeaseLocked(r.mu.lease)),
	}
	return info
}

// leaseValidLocked: the lease covers now with a safety margin of the max
// clock offset (a clock that lags by up to that much must not let us serve
// past the expiration another node's clock observes).
func (r *Replica) leaseValidLocked(l *kvpb.Lease, now hlc.Timestamp) bool {
	if l == nil || l.GetReplica() == nil {
		return false
	}
	stasis := l.GetExpiration().HLC().AddDuration(-int64(r.store.cfg.Clock.MaxOffset()))
	return l.GetStart().HLC().LessEq(now) && now.Less(stasis)
}

func (r *Replica) ownsLeaseLocked(l *kvpb.Lease) bool {
	// A lease acquired by a previous incarnation of this replica (before a
	// restart) is not used: until we re-acquire, we may not have applied
	// everything the old incarnation acknowledged.
	return r.holdsLeaseLocked(l) && !l.GetProposedTs().HLC().Less(r.store.startTS)
}

// holdsLeaseLocked: the lease names this replica (any incarnation).
func (r *Replica) holdsLeaseLocked(l *kvpb.Lease) bool {
	return l.GetReplica() != nil && kvpb.ReplicaID(l.GetReplica().GetReplicaId()) == r.mu.replicaID &&
		kvpb.StoreID(l.GetReplica().GetStoreId()) == r.store.cfg.StoreID
}

func cloneDesc(d *kvpb.RangeDescriptor) *kvpb.RangeDescriptor {
	return proto.Clone(d).(*kvpb.RangeDescriptor)
}

var _ = math.MaxInt64

// Locks returns the replica's lock table (tests and metrics).
func (r *Replica) Locks() *concurrency.LockTable { return r.conc.Locks() }

// WaitingPushes returns the number of pushes waiting in this replica's txn
// wait queue.
func (r *Replica) WaitingPushes() int { return r.conc.TxnWait.Len() }
