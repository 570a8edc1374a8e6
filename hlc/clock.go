package hlc

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// DefaultMaxOffset is the largest clock offset between two nodes that the
// cluster tolerates unless configured otherwise.
const DefaultMaxOffset = 500 * time.Millisecond

// PhysicalClock reads a physical wall time in nanoseconds since the Unix
// epoch. It may jump forwards or backwards; the Clock never does.
type PhysicalClock func() int64

// UnixNano is the system wall clock.
func UnixNano() int64 { return time.Now().UnixNano() }

// ClockOffsetError is returned by Clock.Update when a remote timestamp is
// further ahead of the local physical clock than the maximum offset. The
// clock is left unchanged.
type ClockOffsetError struct {
	Remote    Timestamp
	LocalWall int64
	MaxOffset time.Duration
}

// Offset is how far the remote wall time is ahead of the local one.
func (e *ClockOffsetError) Offset() time.Duration {
	return time.Duration(e.Remote.WallTime - e.LocalWall)
}

func (e *ClockOffsetError) Error() string {
	return fmt.Sprintf("hlc: remote timestamp %s is %s ahead of the local clock, more than the max offset %s",
		e.Remote, e.Offset(), e.MaxOffset)
}

// Clock is a hybrid logical clock. Now returns strictly increasing
// timestamps whose wall time tracks the physical clock but never goes
// backwards; Update ratchets the clock past timestamps received from other
// nodes. A Clock is safe for concurrent use.
type Clock struct {
	phys      PhysicalClock
	maxOffset time.Duration

	mu struct {
		sync.Mutex
		last Timestamp // the highest timestamp handed out or observed
	}
}

// NewClock returns a clock reading phys, that rejects remote timestamps more
// than maxOffset ahead of it. A maxOffset of zero disables the check.
func NewClock(phys PhysicalClock, maxOffset time.Duration) *Clock {
	if maxOffset < 0 {
		maxOffset = 0
	}
	return &Clock{phys: phys, maxOffset: maxOffset}
}

// NewWallClock returns a clock reading the system wall clock.
func NewWallClock(maxOffset time.Duration) *Clock { return NewClock(UnixNano, maxOffset) }

// MaxOffset returns the configured maximum offset.
func (c *Clock) MaxOffset() time.Duration { return c.maxOffset }

// PhysicalNow returns the physical clock's reading, without touching the
// hybrid clock.
func (c *Clock) PhysicalNow() int64 { return c.phys() }

// Now returns a timestamp greater than every timestamp it returned before
// and every timestamp passed to Update. Its wall time is the physical time
// when the physical clock is ahead; otherwise the previous wall time with
// the logical counter bumped. Should the logical counter overflow, the wall
// time moves one nanosecond forward instead.
func (c *Clock) Now() Timestamp {
	phys := c.phys()
	c.mu.Lock()
	defer c.mu.Unlock()
	if phys > c.mu.last.WallTime {
		c.mu.last = Timestamp{WallTime: phys}
	} else {
		c.mu.last = c.mu.last.nextLogical()
	}
	return c.mu.last
}

// Update ratchets the clock forward to remote, so that every later Now is
// above it. A remote timestamp whose wall time is more than the max offset
// ahead of the local physical clock is rejected with a *ClockOffsetError
// and leaves the clock unchanged.
func (c *Clock) Update(remote Timestamp) error {
	phys := c.phys()
	if c.maxOffset > 0 && remote.WallTime-phys > int64(c.maxOffset) {
		return &ClockOffsetError{Remote: remote, LocalWall: phys, MaxOffset: c.maxOffset}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.last.Less(remote) {
		c.mu.last = remote
	}
	return nil
}

// Last returns the highest timestamp handed out or observed so far, without
// advancing the clock.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.last
}

// nextLogical bumps the logical counter, carrying into the wall time when it
// would overflow.
func (t Timestamp) nextLogical() Timestamp {
	if t.Logical == math.MaxInt32 {
		return Timestamp{WallTime: t.WallTime + 1}
	}
	return Timestamp{WallTime: t.WallTime, Logical: t.Logical + 1}
}

// ManualClock is a physical clock for tests that moves only when told to.
// It is safe for concurrent use; pass its Now method to NewClock.
type ManualClock struct {
	mu   sync.Mutex
	nano int64
}

// NewManualClock returns a manual clock reading nanos.
func NewManualClock(nanos int64) *ManualClock { return &ManualClock{nano: nanos} }

// Now returns the current manual time in nanoseconds.
func (m *ManualClock) Now() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nano
}

// Increment moves the manual time by nanos, which may be negative (a wall
// clock jumping backwards).
func (m *ManualClock) Increment(nanos int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nano += nanos
}

// Set sets the manual time to nanos.
func (m *ManualClock) Set(nanos int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nano = nanos
}
