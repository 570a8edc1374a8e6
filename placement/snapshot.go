package placement

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// Liveness is a store's (its node's) liveness state as reported by node
// liveness.
type Liveness int

const (
	// Live: heartbeating; may receive replicas and leases.
	Live Liveness = iota
	// Suspect: a heartbeat was missed recently; keeps its replicas but
	// receives nothing new.
	Suspect
	// Dead: no heartbeat for time_until_store_dead; its replicas are replaced.
	Dead
	// Decommissioning: being drained to zero replicas on request.
	Decommissioning
	// Decommissioned: drained and removed from the cluster.
	Decommissioned
)

func (l Liveness) String() string {
	switch l {
	case Live:
		return "live"
	case Suspect:
		return "suspect"
	case Dead:
		return "dead"
	case Decommissioning:
		return "decommissioning"
	case Decommissioned:
		return "decommissioned"
	}
	return fmt.Sprintf("liveness(%d)", int(l))
}

// Capacity is a store's disk use in bytes.
type Capacity struct {
	Total     int64
	Available int64
	Used      int64 // by our data
}

// Fullness is the fraction of the disk in use (0 when Total is unknown).
func (c Capacity) Fullness() float64 {
	if c.Total <= 0 {
		return 0
	}
	return 1 - float64(c.Available)/float64(c.Total)
}

// Store is one store's reported state.
type Store struct {
	ID       kvpb.StoreID
	Node     kvpb.NodeID
	Liveness Liveness
	// LastHeartbeat, when set, lets the decision functions apply
	// time_until_store_dead themselves: a Live or Suspect store whose last
	// heartbeat is at least that old counts as Dead.
	LastHeartbeat time.Time
	Capacity      Capacity
	// The counts and rates below are what the store reports, for display
	// (`tessera node status`, Explain). The decision functions recount
	// replicas, leases and leaseholder QPS from Snapshot.Ranges so that
	// the two views can never disagree within a cycle.
	RangeCount   int
	LeaseCount   int
	LogicalBytes int64
	QPS          float64
	WritesPerSec float64
}

// ReplicaType is a replica's role in its range's Raft configuration.
type ReplicaType int

const (
	Voter ReplicaType = iota
	Learner
)

func (t ReplicaType) String() string {
	if t == Learner {
		return "learner"
	}
	return "voter"
}

// Replica is one replica of a range.
type Replica struct {
	Store kvpb.StoreID
	ID    kvpb.ReplicaID
	Type  ReplicaType
}

// KeySample is a sampled request key and how many requests hit it.
type KeySample struct {
	Key   []byte
	Count int64
}

// QPSSample is a range's QPS measured at a time.
type QPSSample struct {
	At  time.Time
	QPS float64
}

// Range is one range's reported state.
type Range struct {
	ID       kvpb.RangeID
	StartKey []byte
	EndKey   []byte // exclusive; nil means the end of the key space
	Replicas []Replica
	// Leaseholder is the store holding the lease, 0 if none.
	Leaseholder kvpb.StoreID
	SizeBytes   int64
	QPS         float64
	// QPSHistory is recent QPS measurements, oldest first; load splits
	// need them to cover load_split_window.
	QPSHistory []QPSSample
	// Samples are sampled request keys with counts.
	Samples []KeySample
	// LastChanged is when the range's replicas, lease or bounds last changed.
	LastChanged time.Time
	// StickyUntil is set when the split at StartKey was a user's manual
	// split (RangeDescriptor.sticky_bit): the merge checker leaves the
	// boundary alone until then. Zero: an ordinary boundary.
	StickyUntil time.Time
}

// System reports whether r holds system keys (meta records, node
// liveness, the placement lease, settings): it starts below the table
// data.
func (r *Range) System() bool { return bytes.Compare(r.StartKey, keys.TablePrefix) < 0 }

// Replica returns the replica on store s, if any.
func (r *Range) Replica(s kvpb.StoreID) (Replica, bool) {
	for _, rep := range r.Replicas {
		if rep.Store == s {
			return rep, true
		}
	}
	return Replica{}, false
}

// Voters returns the voting replicas (a new slice).
func (r *Range) Voters() []Replica {
	return r.appendVoters(make([]Replica, 0, len(r.Replicas)))
}

// appendVoters appends the voting replicas to dst (the decision cycle
// passes a stack buffer, so a cycle over many ranges does not allocate
// per range).
func (r *Range) appendVoters(dst []Replica) []Replica {
	for _, rep := range r.Replicas {
		if rep.Type == Voter {
			dst = append(dst, rep)
		}
	}
	return dst
}

// Snapshot is a read-only view of the cluster that decision functions
// take as input. Builders must not mutate it after handing it over.
type Snapshot struct {
	Now      time.Time
	Settings settings.Values
	Stores   []Store // sorted by ID (Index sorts)
	Ranges   []Range // sorted by StartKey (Index sorts)
	// InFlight are operators the execution loop is still running; the
	// decision functions leave their ranges alone and count their pending
	// replica moves as done.
	InFlight []*Operator

	storeIdx map[kvpb.StoreID]int
	rangeIdx map[kvpb.RangeID]int
}

// Index sorts stores and ranges and builds the lookup maps. Call it once
// after filling the snapshot and before sharing it between goroutines (the
// decision functions call it if it was not called, which writes to the
// snapshot).
func (s *Snapshot) Index() {
	sort.Slice(s.Stores, func(i, j int) bool { return s.Stores[i].ID < s.Stores[j].ID })
	sort.Slice(s.Ranges, func(i, j int) bool { return bytes.Compare(s.Ranges[i].StartKey, s.Ranges[j].StartKey) < 0 })
	s.storeIdx = make(map[kvpb.StoreID]int, len(s.Stores))
	for i := range s.Stores {
		s.storeIdx[s.Stores[i].ID] = i
	}
	s.rangeIdx = make(map[kvpb.RangeID]int, len(s.Ranges))
	for i := range s.Ranges {
		s.rangeIdx[s.Ranges[i].ID] = i
	}
}

func (s *Snapshot) indexed() {
	if s.storeIdx == nil || s.rangeIdx == nil || len(s.storeIdx) != len(s.Stores) || len(s.rangeIdx) != len(s.Ranges) {
		s.Index()
	}
}

// Store returns the store with the given ID, or nil.
func (s *Snapshot) Store(id kvpb.StoreID) *Store {
	s.indexed()
	i, ok := s.storeIdx[id]
	if !ok {
		return nil
	}
	return &s.Stores[i]
}

// Range returns the range with the given ID, or nil.
func (s *Snapshot) Range(id kvpb.RangeID) *Range {
	s.indexed()
	i, ok := s.rangeIdx[id]
	if !ok {
		return nil
	}
	return &s.Ranges[i]
}

// RightNeighbour returns the range starting where r ends, or nil.
func (s *Snapshot) RightNeighbour(r *Range) *Range {
	s.indexed()
	if r.EndKey == nil {
		return nil
	}
	i := s.rangeIdx[r.ID] + 1
	if i < len(s.Ranges) && bytes.Equal(s.Ranges[i].StartKey, r.EndKey) {
		return &s.Ranges[i]
	}
	return nil
}

// LivenessOf returns the store's effective liveness: its reported state,
// or Dead when its last heartbeat is older than time_until_store_dead.
// Unknown stores are Dead.
func (s *Snapshot) LivenessOf(id kvpb.StoreID) Liveness {
	st := s.Store(id)
	if st == nil {
		return Dead
	}
	if (st.Liveness == Live || st.Liveness == Suspect) && !st.LastHeartbeat.IsZero() &&
		s.Now.Sub(st.LastHeartbeat) >= s.Settings.TimeUntilStoreDead {
		return Dead
	}
	return st.Liveness
}
