package hlc

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// OffsetMonitor tracks the measured clock offsets of a node's peers and
// decides whether the node's own clock is trustworthy: a node whose clock
// is more than the max offset away from a majority of its recently
// measured peers must stop serving (DESIGN.md §4), since its timestamps
// could then violate the uncertainty bound. Safe for concurrent use.
//
// A measurement is an RPC's round trip: offset = remote physical time -
// midpoint of the local send and receive times, uncertainty = half the
// round trip. A peer is "far" when |offset| - uncertainty > max offset
// (it is certainly beyond the bound).
type OffsetMonitor struct {
	maxOffset time.Duration
	// ttl: measurements older than this are ignored.
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]OffsetMeasurement
}

// OffsetMeasurement is one peer's last measured offset.
type OffsetMeasurement struct {
	Offset, Uncertainty time.Duration
	// At is the local physical time of the measurement (ns).
	At int64
}

// NewOffsetMonitor returns a monitor; measurements expire after ttl.
func NewOffsetMonitor(maxOffset, ttl time.Duration) *OffsetMonitor {
	return &OffsetMonitor{maxOffset: maxOffset, ttl: ttl, m: map[string]OffsetMeasurement{}}
}

// Record stores a measurement of peer.
func (o *OffsetMonitor) Record(peer string, m OffsetMeasurement) {
	o.mu.Lock()
	o.m[peer] = m
	o.mu.Unlock()
}

// Measure computes a measurement from an RPC sent at local time sent,
// answered at local time received, carrying the remote physical time.
func Measure(sent, received, remote int64) OffsetMeasurement {
	mid := sent + (received-sent)/2
	return OffsetMeasurement{Offset: time.Duration(remote - mid), Uncertainty: time.Duration(received-sent) / 2, At: received}
}

// OffsetError says the local clock is beyond the max offset from a
// majority of the peers.
type OffsetError struct {
	Far, Fresh int
	MaxOffset  time.Duration
	// Offsets of the far peers, by peer.
	Offsets map[string]time.Duration
}

func (e *OffsetError) Error() string {
	peers := make([]string, 0, len(e.Offsets))
	for p := range e.Offsets {
		peers = append(peers, p)
	}
	sort.Strings(peers)
	s := fmt.Sprintf("clock offset: %d of %d peers are more than the max offset %s away:", e.Far, e.Fresh, e.MaxOffset)
	for _, p := range peers {
		s += fmt.Sprintf(" %s=%s", p, e.Offsets[p])
	}
	return s
}

// Check returns an *OffsetError if more than half of the peers measured
// within the ttl before now are far, nil otherwise (also with no fresh
// measurement: a lone node has nobody to disagree with).
func (o *OffsetMonitor) Check(now int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	fresh, far := 0, map[string]time.Duration{}
	for p, m := range o.m {
		if now-m.At > int64(o.ttl) {
			continue
		}
		fresh++
		off := m.Offset
		if off < 0 {
			off = -off
		}
		if off-m.Uncertainty > o.maxOffset {
			far[p] = m.Offset
		}
	}
	if fresh > 0 && 2*len(far) > fresh {
		return &OffsetError{Far: len(far), Fresh: fresh, MaxOffset: o.maxOffset, Offsets: far}
	}
	return nil
}
