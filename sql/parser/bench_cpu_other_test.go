//go:build !linux

package parser

import (
	"testing"
	"time"
)

// cpuLoop runs f b.N times (thread CPU time is measured on Linux only).
func cpuLoop(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}

// opClock is the clock BenchmarkParseInterleaved measures with: wall time
// where thread CPU time is not available.
func opClock() int64 { return time.Now().UnixNano() }
