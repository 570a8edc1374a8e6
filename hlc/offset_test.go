package hlc

import (
	"errors"
	"testing"
	"time"
)

func TestOffsetMonitor(t *testing.T) {
	const ms = int64(time.Millisecond)
	o := NewOffsetMonitor(500*time.Millisecond, 10*time.Second)
	if err := o.Check(0); err != nil {
		t.Fatalf("no peers: %v", err)
	}
	m := Measure(1000*ms, 1010*ms, 1005*ms+700*ms) // peer 700ms ahead, ±5ms
	if m.Offset != 700*time.Millisecond || m.Uncertainty != 5*time.Millisecond {
		t.Fatalf("measure: %+v", m)
	}
	o.Record("a", m)
	var oe *OffsetError
	if err := o.Check(1010 * ms); !errors.As(err, &oe) || oe.Far != 1 {
		t.Fatalf("one far peer of one: %v", err)
	}
	o.Record("b", Measure(1000*ms, 1010*ms, 1005*ms+100*ms))
	if err := o.Check(1010 * ms); err != nil {
		t.Fatalf("one far of two is not a majority: %v", err)
	}
	o.Record("c", Measure(1000*ms, 1010*ms, 1005*ms-800*ms))
	if err := o.Check(1010 * ms); !errors.As(err, &oe) || oe.Far != 2 || oe.Fresh != 3 {
		t.Fatalf("two far of three: %v", err)
	}
	// Within the uncertainty of the round trip: not certainly far.
	o.Record("c", Measure(1000*ms, 1400*ms, 1200*ms-600*ms))
	if err := o.Check(1400 * ms); err != nil {
		t.Fatalf("uncertain measurement counted as far: %v", err)
	}
	// Old measurements are ignored.
	if err := o.Check(1010*ms + int64(11*time.Second)); err != nil {
		t.Fatalf("stale measurements: %v", err)
	}
}
