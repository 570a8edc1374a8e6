package ranges

import (
	"math/rand"
	"sync"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// Load tracking for the placement driver: every batch a leaseholder
// serves counts as one query (a write if it is not read-only), and the
// start key of its first request is offered to a reservoir sample of
// request keys. Rates are measured over the current window and the
// previous one (each loadWindow long), so they react within seconds and
// do not drop to zero at a window boundary.
const (
	loadWindow      = 5 * time.Second
	loadSampleSize  = 32
	minLoadInterval = time.Second
)

type loadWindowStats struct {
	start   int64 // Unix nanos
	queries int64
	writes  int64
	samples [][]byte
}

// loadStats is one replica's load; mu is a leaf.
type loadStats struct {
	mu   sync.Mutex
	rng  *rand.Rand
	cur  loadWindowStats
	prev *loadWindowStats
}

func (l *loadStats) rotateLocked(now int64) {
	if l.cur.start == 0 {
		l.cur.start = now
		return
	}
	if now-l.cur.start < int64(loadWindow) {
		return
	}
	if now-l.cur.start >= 2*int64(loadWindow) {
		l.prev = nil // idle for a whole window: the old one says nothing now
	} else {
		p := l.cur
		l.prev = &p
	}
	l.cur = loadWindowStats{start: now}
}

// record counts one batch at now.
func (l *loadStats) record(ba *kvpb.BatchRequest, now int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rotateLocked(now)
	l.cur.queries++
	if !ba.IsReadOnly() {
		l.cur.writes++
	}
	reqs := ba.GetRequests()
	if len(reqs) == 0 {
		return
	}
	key, _ := reqs[0].RequestSpan()
	if len(l.cur.samples) < loadSampleSize {
		l.cur.samples = append(l.cur.samples, append([]byte(nil), key...))
		return
	}
	if l.rng == nil {
		l.rng = rand.New(rand.NewSource(now))
	}
	if i := l.rng.Int63n(l.cur.queries); i < loadSampleSize {
		l.cur.samples[i] = append([]byte(nil), key...) // a fresh slice: reports may still hold the old one
	}
}

// ReplicaLoad is what a replica measured about its range's load.
type ReplicaLoad struct {
	RangeID      kvpb.RangeID
	QPS          float64
	WritesPerSec float64
	// Samples are request start keys, a uniform sample of the requests of
	// the measured windows (each stands for the same share of them).
	Samples [][]byte
}

func (l *loadStats) snapshot(now int64) (qps, wps float64, samples [][]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rotateLocked(now)
	start, q, w := l.cur.start, l.cur.queries, l.cur.writes
	if l.prev != nil {
		start, q, w = l.prev.start, q+l.prev.queries, w+l.prev.writes
		samples = append(samples, l.prev.samples...)
	}
	samples = append(samples, l.cur.samples...)
	el := time.Duration(now - start)
	if el < minLoadInterval {
		el = minLoadInterval
	}
	return float64(q) / el.Seconds(), float64(w) / el.Seconds(), samples
}

// LoadInfo returns the load of every replica holding a valid lease (the
// only ones that serve requests).
func (s *Store) LoadInfo() []ReplicaLoad {
	now := s.cfg.Clock.Now()
	var out []ReplicaLoad
	s.forEachReplica(func(r *Replica) {
		info := r.info(now)
		if !info.GetLeaseValid() || info.GetLease().GetReplica().GetStoreId() != uint64(s.cfg.StoreID) {
			return
		}
		qps, wps, samples := r.load.snapshot(s.cfg.Clock.PhysicalNow())
		out = append(out, ReplicaLoad{RangeID: r.rangeID, QPS: qps, WritesPerSec: wps, Samples: samples})
	})
	return out
}
