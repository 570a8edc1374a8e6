package hlc

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestClockNow(t *testing.T) {
	m := NewManualClock(100)
	c := NewClock(m.Now, 10*time.Nanosecond)
	steps := []struct {
		name    string
		advance int64 // applied to the manual clock before Now
		want    Timestamp
	}{
		{"physical time first", 0, Timestamp{WallTime: 100}},
		{"same physical time bumps logical", 0, Timestamp{WallTime: 100, Logical: 1}},
		{"again", 0, Timestamp{WallTime: 100, Logical: 2}},
		{"physical moves on, logical resets", 5, Timestamp{WallTime: 105}},
		{"wall clock jumps back: never backwards", -50, Timestamp{WallTime: 105, Logical: 1}},
		{"still behind", 20, Timestamp{WallTime: 105, Logical: 2}},
		{"caught up past last", 31, Timestamp{WallTime: 106}},
	}
	for _, s := range steps {
		m.Increment(s.advance)
		require.Equal(t, s.want, c.Now(), s.name)
	}
	require.Equal(t, Timestamp{WallTime: 106}, c.Last())
	require.Equal(t, int64(106), c.PhysicalNow())
}

func TestClockUpdate(t *testing.T) {
	tests := []struct {
		name     string
		phys     int64
		last     Timestamp // established with Update before the case
		remote   Timestamp
		wantErr  bool
		wantNext Timestamp // c.Now() after the update
	}{
		{"remote behind: no change", 1000, Timestamp{}, Timestamp{WallTime: 500, Logical: 7}, false, Timestamp{WallTime: 1000}},
		{"remote ahead within offset", 1000, Timestamp{}, Timestamp{WallTime: 1080, Logical: 3}, false, Timestamp{WallTime: 1080, Logical: 4}},
		{"remote exactly at max offset", 1000, Timestamp{}, Timestamp{WallTime: 1100}, false, Timestamp{WallTime: 1100, Logical: 1}},
		{"remote beyond max offset rejected", 1000, Timestamp{}, Timestamp{WallTime: 1101}, true, Timestamp{WallTime: 1000}},
		{"remote equal wall, higher logical", 1000, Timestamp{WallTime: 1050, Logical: 2}, Timestamp{WallTime: 1050, Logical: 9}, false, Timestamp{WallTime: 1050, Logical: 10}},
		{"remote lower than last: keep last", 1000, Timestamp{WallTime: 1050, Logical: 2}, Timestamp{WallTime: 1050, Logical: 1}, false, Timestamp{WallTime: 1050, Logical: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewManualClock(tc.phys)
			c := NewClock(m.Now, 100*time.Nanosecond)
			if !tc.last.IsEmpty() {
				require.NoError(t, c.Update(tc.last))
			}
			err := c.Update(tc.remote)
			if tc.wantErr {
				var off *ClockOffsetError
				require.True(t, errors.As(err, &off), "got %v", err)
				require.Equal(t, tc.remote, off.Remote)
				require.Equal(t, time.Duration(tc.remote.WallTime-tc.phys), off.Offset())
				require.Contains(t, err.Error(), "max offset")
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.wantNext, c.Now())
		})
	}
}

func TestClockZeroMaxOffsetAcceptsAll(t *testing.T) {
	m := NewManualClock(10)
	c := NewClock(m.Now, 0)
	require.NoError(t, c.Update(Timestamp{WallTime: 1 << 40}))
	require.Equal(t, Timestamp{WallTime: 1 << 40, Logical: 1}, c.Now())
	require.Equal(t, time.Duration(0), c.MaxOffset())
	require.Equal(t, DefaultMaxOffset, NewWallClock(DefaultMaxOffset).MaxOffset())
}

func TestClockLogicalOverflow(t *testing.T) {
	m := NewManualClock(100)
	c := NewClock(m.Now, time.Second)
	require.NoError(t, c.Update(Timestamp{WallTime: 100, Logical: math.MaxInt32 - 1}))
	require.Equal(t, Timestamp{WallTime: 100, Logical: math.MaxInt32}, c.Now())
	// The counter cannot grow: the wall time moves one nanosecond instead.
	require.Equal(t, Timestamp{WallTime: 101}, c.Now())
	require.Equal(t, Timestamp{WallTime: 101, Logical: 1}, c.Now())
}

func TestWallClockMonotonic(t *testing.T) {
	c := NewWallClock(DefaultMaxOffset)
	prev := c.Now()
	for i := 0; i < 10000; i++ {
		next := c.Now()
		require.True(t, prev.Less(next), "%s then %s", prev, next)
		prev = next
	}
}

// TestClockConcurrent runs Now and Update from many goroutines, with the
// physical clock moving both ways, and checks that each goroutine sees
// strictly increasing timestamps, all timestamps are distinct, and every
// timestamp handed out is above every update that happened before it.
func TestClockConcurrent(t *testing.T) {
	m := NewManualClock(1_000_000)
	c := NewClock(m.Now, time.Hour)
	const workers, perWorker = 8, 2000
	results := make([][]Timestamp, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			out := make([]Timestamp, 0, perWorker)
			for i := 0; i < perWorker; i++ {
				switch i % 7 {
				case 0:
					m.Increment(int64(w+1) * 3)
				case 3:
					m.Increment(-int64(w + 1))
				case 5:
					remote := Timestamp{WallTime: m.Now() + 50, Logical: int32(i)}
					if err := c.Update(remote); err != nil {
						t.Errorf("update: %v", err)
						return
					}
					ts := c.Now()
					if !remote.Less(ts) {
						t.Errorf("Now %s not above a completed Update %s", ts, remote)
						return
					}
					out = append(out, ts)
					continue
				}
				out = append(out, c.Now())
			}
			results[w] = out
		}(w)
	}
	wg.Wait()
	seen := make(map[Timestamp]bool, workers*perWorker)
	for w, out := range results {
		for i, ts := range out {
			if i > 0 {
				require.True(t, out[i-1].Less(ts), "worker %d went backwards: %s then %s", w, out[i-1], ts)
			}
			require.False(t, seen[ts], "timestamp %s handed out twice", ts)
			seen[ts] = true
		}
	}
	require.Len(t, seen, workers*perWorker)
}
