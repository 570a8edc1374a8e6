package sim

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement"
	"github.com/tesseradb/tessera/placement/settings"
)

// Config parameterizes a simulation.
type Config struct {
	Seed     int64
	Settings settings.Values
	// Tick is the simulated time between decision cycles (default 5s).
	Tick time.Duration
	// SnapshotBandwidth is bytes/s one store can receive (default 64 MiB/s).
	SnapshotBandwidth int64
	// StepLatency is how long a metadata step takes (default 100ms).
	StepLatency time.Duration
	// SuspectAfter: a store silent this long is reported suspect (default 10s).
	SuspectAfter time.Duration
	// DiskBytes is each store's disk size (default 1 TiB).
	DiskBytes int64
}

// Stats counts what a run did.
type Stats struct {
	OpsStarted     int
	OpsDone        int
	OpsAbandoned   int
	OpsTimedOut    int
	ReplicasAdded  int
	BytesMoved     int64
	LeaseTransfers int
	Splits         int
	Merges         int
	// MaxReturns is the largest number of times one range came back to a
	// store it had left (replicas) or to a leaseholder it had left (leases).
	MaxReplicaReturns int
	MaxLeaseReturns   int
	ByKind            map[placement.OpKind]int
}

type simStore struct {
	id        kvpb.StoreID
	node      kvpb.NodeID
	alive     bool
	lastHB    time.Time
	liveness  placement.Liveness
	used      int64 // other data on the disk
	busyUntil time.Time
}

type simRange struct {
	id          kvpb.RangeID
	lo, hi      int64 // key space [lo, hi)
	last        bool  // hi is the end of the key space
	replicas    []placement.Replica
	lease       kvpb.StoreID
	size        int64
	qps         float64
	history     []placement.QPSSample
	lastChanged time.Time
	// left: stores the range's replica has left; leaseLeft likewise for
	// its lease. Used to count returns (thrashing).
	left, leaseLeft map[kvpb.StoreID]bool
	returns         int
	leaseReturns    int
	// cached renderings, reset by invalidate when bounds or load change
	cSamples     []placement.KeySample
	cStart, cEnd []byte
	cached       bool
}

func (r *simRange) invalidate() { r.cached = false }

func (r *simRange) fill() {
	if r.cached {
		return
	}
	r.cSamples, r.cStart, r.cEnd = r.samples(), Key(r.lo), nil
	if !r.last {
		r.cEnd = Key(r.hi)
	}
	r.cached = true
}

type flight struct {
	op      *placement.Operator
	doneAt  time.Time // when the current step's effect lands
	applied int       // index of the last step whose effect was applied + 1
}

// Sim is a simulated cluster.
type Sim struct {
	cfg     Config
	rng     *rand.Rand
	now     time.Time
	Planner placement.Planner
	stores  []*simStore
	ranges  []*simRange // sorted by lo
	flights []*flight
	nextRID kvpb.RangeID
	nextRep kvpb.ReplicaID
	Stats   Stats
	// Log, if set, receives one line per operator started and finished.
	Log func(string)
}

// Epoch is the simulated clock's start.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// KeySpace is the simulated key space size; keys are "k%012d".
const KeySpace = int64(1e12)

// Key renders a simulated key.
func Key(n int64) []byte { return []byte(fmt.Sprintf("k%012d", n)) }

func parseKey(k []byte) (int64, bool) {
	s, ok := strings.CutPrefix(string(k), "k")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// New returns an empty cluster.
func New(cfg Config) *Sim {
	if cfg.Tick == 0 {
		cfg.Tick = 5 * time.Second
	}
	if cfg.SnapshotBandwidth == 0 {
		cfg.SnapshotBandwidth = 64 << 20
	}
	if cfg.StepLatency == 0 {
		cfg.StepLatency = 100 * time.Millisecond
	}
	if cfg.SuspectAfter == 0 {
		cfg.SuspectAfter = 10 * time.Second
	}
	if cfg.DiskBytes == 0 {
		cfg.DiskBytes = 1 << 40
	}
	if cfg.Settings.RangeMaxBytes == 0 {
		cfg.Settings = settings.Defaults()
	}
	return &Sim{cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed)), now: Epoch, nextRID: 2, nextRep: 1,
		Stats: Stats{ByKind: map[placement.OpKind]int{}}}
}

// Now is the simulated time.
func (s *Sim) Now() time.Time { return s.now }

// SetSettings changes the settings at runtime.
func (s *Sim) SetSettings(v settings.Values) { s.cfg.Settings = v }

// AddStore adds a live store on its own node (node ID = store ID).
func (s *Sim) AddStore() kvpb.StoreID {
	id := kvpb.StoreID(len(s.stores) + 1)
	s.stores = append(s.stores, &simStore{id: id, node: kvpb.NodeID(id), alive: true, lastHB: s.now})
	return id
}

func (s *Sim) store(id kvpb.StoreID) *simStore {
	if id == 0 || int(id) > len(s.stores) {
		return nil
	}
	return s.stores[id-1]
}

// Kill stops a store's heartbeats; it becomes suspect, then dead.
func (s *Sim) Kill(id kvpb.StoreID) { s.store(id).alive = false }

// Decommission starts draining a store.
func (s *Sim) Decommission(id kvpb.StoreID) { s.store(id).liveness = placement.Decommissioning }

// AddRanges splits the key space into n ranges of the given size and QPS,
// with replicas on the given stores (round-robin windows of rf stores
// taken from stores) and the lease on the first.
func (s *Sim) AddRanges(n int, size int64, qps float64, stores []kvpb.StoreID, rf int) {
	step := KeySpace / int64(n)
	for i := 0; i < n; i++ {
		r := &simRange{id: s.nextRID, lo: int64(i) * step, hi: int64(i+1) * step, last: i == n-1, size: size, qps: qps,
			left: map[kvpb.StoreID]bool{}, leaseLeft: map[kvpb.StoreID]bool{}}
		s.nextRID++
		for j := 0; j < rf && j < len(stores); j++ {
			st := stores[(i+j)%len(stores)]
			r.replicas = append(r.replicas, placement.Replica{Store: st, ID: s.nextRep, Type: placement.Voter})
			s.nextRep++
		}
		r.lease = r.replicas[0].Store
		s.ranges = append(s.ranges, r)
	}
}

// SetRangeLoad sets the i-th range's (in key order) QPS and size.
func (s *Sim) SetRangeLoad(i int, qps float64, size int64) {
	s.ranges[i].qps, s.ranges[i].size = qps, size
	s.ranges[i].invalidate()
}

// samples are evenly spread request keys carrying the range's load.
func (r *simRange) samples() []placement.KeySample {
	const n = 8
	var out []placement.KeySample
	width := r.hi - r.lo
	if width < 2*n {
		return nil
	}
	for i := int64(0); i < n; i++ {
		out = append(out, placement.KeySample{Key: Key(r.lo + (2*i+1)*width/(2*n)), Count: int64(r.qps/n) + 1})
	}
	return out
}

func (s *Sim) liveness(st *simStore) placement.Liveness {
	switch st.liveness {
	case placement.Decommissioning, placement.Decommissioned:
		return st.liveness
	}
	if !st.alive && s.now.Sub(st.lastHB) >= s.cfg.SuspectAfter {
		return placement.Suspect // the planner turns it Dead after time_until_store_dead
	}
	return placement.Live
}

// Snapshot builds the planner's view of the cluster.
func (s *Sim) Snapshot() *placement.Snapshot {
	snap := &placement.Snapshot{Now: s.now, Settings: s.cfg.Settings}
	used := map[kvpb.StoreID]int64{}
	for _, r := range s.ranges {
		for _, rep := range r.replicas {
			used[rep.Store] += r.size
		}
	}
	for _, st := range s.stores {
		u := st.used + used[st.id]
		snap.Stores = append(snap.Stores, placement.Store{ID: st.id, Node: st.node, Liveness: s.liveness(st), LastHeartbeat: st.lastHB,
			Capacity: placement.Capacity{Total: s.cfg.DiskBytes, Available: s.cfg.DiskBytes - u, Used: used[st.id]}})
	}
	for _, r := range s.ranges {
		r.fill()
		pr := placement.Range{ID: r.id, StartKey: r.cStart, EndKey: r.cEnd, Replicas: append([]placement.Replica(nil), r.replicas...),
			Leaseholder: r.lease, SizeBytes: r.size, QPS: r.qps, QPSHistory: r.history, Samples: r.cSamples, LastChanged: r.lastChanged}
		snap.Ranges = append(snap.Ranges, pr)
	}
	for _, f := range s.flights {
		snap.InFlight = append(snap.InFlight, f.op)
	}
	snap.Index()
	return snap
}

func (s *Sim) rangeByID(id kvpb.RangeID) (int, *simRange) {
	for i, r := range s.ranges {
		if r.id == id {
			return i, r
		}
	}
	return -1, nil
}

// Step advances the simulation by one tick: heartbeats, lease expiry,
// in-flight steps, then one decision cycle.
func (s *Sim) Step() {
	s.now = s.now.Add(s.cfg.Tick)
	for _, st := range s.stores {
		if st.alive {
			st.lastHB = s.now
		}
	}
	for _, r := range s.ranges {
		r.history = append(r.history, placement.QPSSample{At: s.now, QPS: r.qps})
		if keep := int(s.cfg.Settings.LoadSplitWindow/s.cfg.Tick) + 2; len(r.history) > keep {
			r.history = r.history[len(r.history)-keep:]
		}
		if st := s.store(r.lease); st == nil || !st.alive {
			s.expireLease(r)
		}
	}
	for _, st := range s.stores {
		if st.liveness == placement.Decommissioning && s.replicaCount(st.id) == 0 {
			st.liveness = placement.Decommissioned
		}
	}
	// Land the steps that are due, then let Check advance the operators.
	for _, f := range s.flights {
		if f.applied == f.op.Current+1 || s.now.Before(f.doneAt) {
			continue
		}
		s.apply(f.op.CurrentStep())
		f.applied = f.op.Current + 1
	}
	snap := s.Snapshot()
	kept := s.flights[:0]
	for _, f := range s.flights {
		before := f.op.Current
		st := f.op.Check(snap)
		switch st {
		case placement.OpRunning:
			if f.op.Current != before {
				s.schedule(f)
			}
			kept = append(kept, f)
			continue
		case placement.OpDone:
			s.Stats.OpsDone++
		case placement.OpAbandoned:
			s.Stats.OpsAbandoned++
		case placement.OpTimedOut:
			s.Stats.OpsTimedOut++
		}
		s.logf("%s %s", st, f.op)
	}
	s.flights = kept
	snap = s.Snapshot()
	for _, op := range s.Planner.Plan(snap, s.rng) {
		s.Stats.OpsStarted++
		s.Stats.ByKind[op.Kind]++
		s.logf("start %s", op)
		f := &flight{op: op}
		s.schedule(f)
		s.flights = append(s.flights, f)
	}
}

func (s *Sim) logf(format string, args ...any) {
	if s.Log != nil {
		s.Log(s.now.Sub(Epoch).String() + " " + fmt.Sprintf(format, args...))
	}
}

// schedule sets when the flight's current step lands.
func (s *Sim) schedule(f *flight) {
	f.applied = f.op.Current
	f.doneAt = s.now.Add(s.cfg.StepLatency)
	if a, ok := f.op.CurrentStep().(placement.AddLearner); ok {
		_, r := s.rangeByID(a.Range())
		st := s.store(a.Store)
		if r != nil && st != nil {
			start := s.now
			if st.busyUntil.After(start) {
				start = st.busyUntil
			}
			f.doneAt = start.Add(time.Duration(float64(r.size) / float64(s.cfg.SnapshotBandwidth) * float64(time.Second)))
			st.busyUntil = f.doneAt
		}
	}
}

func (s *Sim) replicaCount(id kvpb.StoreID) int {
	n := 0
	for _, r := range s.ranges {
		if _, ok := replicaOn(r, id); ok {
			n++
		}
	}
	return n
}

func replicaOn(r *simRange, id kvpb.StoreID) (int, bool) {
	for i, rep := range r.replicas {
		if rep.Store == id {
			return i, true
		}
	}
	return -1, false
}

func (s *Sim) setLease(r *simRange, to kvpb.StoreID) {
	if r.lease == to {
		return
	}
	if r.leaseLeft[to] {
		r.leaseReturns++
		s.Stats.MaxLeaseReturns = max(s.Stats.MaxLeaseReturns, r.leaseReturns)
	}
	if r.lease != 0 {
		r.leaseLeft[r.lease] = true
	}
	r.lease = to
	r.lastChanged = s.now
}

// expireLease gives the lease of a range whose leaseholder stopped to the
// first live voter (what a lease acquisition after expiry would do).
func (s *Sim) expireLease(r *simRange) {
	for _, rep := range r.replicas {
		if st := s.store(rep.Store); rep.Type == placement.Voter && st != nil && st.alive {
			s.setLease(r, rep.Store)
			return
		}
	}
}

// apply performs a step's effect on the simulated cluster, if it is still
// possible (as the real admin command would check).
func (s *Sim) apply(step placement.Step) {
	i, r := s.rangeByID(step.Range())
	if r == nil {
		return
	}
	switch st := step.(type) {
	case placement.AddLearner:
		if t := s.store(st.Store); t == nil || !t.alive {
			return
		}
		if _, ok := replicaOn(r, st.Store); ok {
			return
		}
		r.replicas = append(r.replicas, placement.Replica{Store: st.Store, ID: s.nextRep, Type: placement.Learner})
		s.nextRep++
		s.Stats.ReplicasAdded++
		s.Stats.BytesMoved += r.size
		if r.left[st.Store] {
			r.returns++
			s.Stats.MaxReplicaReturns = max(s.Stats.MaxReplicaReturns, r.returns)
		}
		r.lastChanged = s.now
	case placement.PromoteLearner:
		if j, ok := replicaOn(r, st.Store); ok {
			r.replicas[j].Type = placement.Voter
			r.lastChanged = s.now
		}
	case placement.TransferLease:
		if j, ok := replicaOn(r, st.Target); ok && r.replicas[j].Type == placement.Voter && s.store(st.Target).alive {
			if s.store(r.lease) != nil && s.store(r.lease).alive || r.lease == 0 {
				s.setLease(r, st.Target)
				s.Stats.LeaseTransfers++
			}
		}
	case placement.RemoveReplica:
		j, ok := replicaOn(r, st.Store)
		if !ok || (r.lease == st.Store && s.store(st.Store).alive) {
			return
		}
		r.replicas = append(r.replicas[:j:j], r.replicas[j+1:]...)
		r.left[st.Store] = true
		r.lastChanged = s.now
	case placement.Split:
		k, ok := parseKey(st.Key)
		if !ok || k <= r.lo || (!r.last && k >= r.hi) {
			return
		}
		frac := float64(k-r.lo) / float64(r.hi-r.lo)
		right := &simRange{id: s.nextRID, lo: k, hi: r.hi, last: r.last, lease: r.lease,
			size: int64(float64(r.size) * (1 - frac)), qps: r.qps * (1 - frac), lastChanged: s.now,
			left: map[kvpb.StoreID]bool{}, leaseLeft: map[kvpb.StoreID]bool{}}
		s.nextRID++
		for _, rep := range r.replicas {
			right.replicas = append(right.replicas, placement.Replica{Store: rep.Store, ID: s.nextRep, Type: rep.Type})
			s.nextRep++
		}
		r.hi, r.last = k, false
		r.size -= right.size
		r.qps -= right.qps
		r.history, r.lastChanged = nil, s.now
		r.invalidate()
		s.ranges = append(s.ranges[:i+1], append([]*simRange{right}, s.ranges[i+1:]...)...)
		s.Stats.Splits++
	case placement.Merge:
		if i+1 >= len(s.ranges) || s.ranges[i+1].id != st.Right {
			return
		}
		right := s.ranges[i+1]
		r.hi, r.last = right.hi, right.last
		r.size += right.size
		r.qps += right.qps
		r.history, r.lastChanged = nil, s.now
		r.invalidate()
		s.ranges = append(s.ranges[:i+1], s.ranges[i+2:]...)
		s.Stats.Merges++
	}
}

// Run steps for d of simulated time.
func (s *Sim) Run(d time.Duration) {
	end := s.now.Add(d)
	for s.now.Before(end) {
		s.Step()
	}
}

// RunUntil steps until cond holds (checked after each tick) or d passes;
// it reports whether cond held.
func (s *Sim) RunUntil(d time.Duration, cond func() bool) bool {
	end := s.now.Add(d)
	for s.now.Before(end) {
		s.Step()
		if cond() {
			return true
		}
	}
	return false
}

// Idle reports whether no operator is in flight.
func (s *Sim) Idle() bool { return len(s.flights) == 0 }

// Counts returns replicas and leases per store.
func (s *Sim) Counts() (replicas, leases map[kvpb.StoreID]int) {
	replicas, leases = map[kvpb.StoreID]int{}, map[kvpb.StoreID]int{}
	for _, r := range s.ranges {
		for _, rep := range r.replicas {
			replicas[rep.Store]++
		}
		leases[r.lease]++
	}
	return replicas, leases
}

// NumRanges is the number of ranges.
func (s *Sim) NumRanges() int { return len(s.ranges) }

// Healthy reports whether every range has exactly rf voters, all on
// distinct live stores that are not decommissioning, and a live leaseholder.
func (s *Sim) Healthy() bool {
	rf := s.cfg.Settings.ReplicationFactor
	for _, r := range s.ranges {
		if len(r.replicas) != rf {
			return false
		}
		nodes := map[kvpb.NodeID]bool{}
		for _, rep := range r.replicas {
			st := s.store(rep.Store)
			if rep.Type != placement.Voter || !st.alive || st.liveness != placement.Live || nodes[st.node] {
				return false
			}
			nodes[st.node] = true
		}
		if st := s.store(r.lease); st == nil || !st.alive {
			return false
		}
	}
	return true
}

// Balanced reports whether every store in ids holds a replica count and a
// lease count within frac of the mean over ids.
func (s *Sim) Balanced(ids []kvpb.StoreID, frac float64) bool {
	reps, leases := s.Counts()
	return within(reps, ids, frac) && within(leases, ids, frac)
}

func within(m map[kvpb.StoreID]int, ids []kvpb.StoreID, frac float64) bool {
	var sum float64
	for _, id := range ids {
		sum += float64(m[id])
	}
	mean := sum / float64(len(ids))
	for _, id := range ids {
		if d := float64(m[id]) - mean; d > frac*mean || -d > frac*mean {
			return false
		}
	}
	return true
}

// Describe renders per-store counts, for logs.
func (s *Sim) Describe() string {
	reps, leases := s.Counts()
	var ids []int
	for _, st := range s.stores {
		ids = append(ids, int(st.id))
	}
	sort.Ints(ids)
	var b strings.Builder
	for _, id := range ids {
		st := s.store(kvpb.StoreID(id))
		fmt.Fprintf(&b, "%s(%s): %d replicas, %d leases; ", st.id, s.liveness(st), reps[st.id], leases[st.id])
	}
	return b.String()
}
