//go:build unix

package proccpu

import "testing"

func TestUsedGrowsWithWork(t *testing.T) {
	before := Used()
	x := 0
	for i := 0; Used() == before && i < 1<<32; i++ {
		x += i
	}
	if Used() <= before {
		t.Fatalf("CPU time did not grow: %v then %v (x=%d)", before, Used(), x)
	}
}
