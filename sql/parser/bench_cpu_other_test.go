//go:build !linux

package parser

import "testing"

// cpuLoop runs f b.N times (thread CPU time is measured on Linux only).
func cpuLoop(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}
