// Package leaktest fails a test binary whose goroutines outlive its tests.
// Packages that start goroutines (stores, servers, transports) call Main
// from their TestMain. It imports nothing of ours, so any layer may use it
// in tests.
//
// Invariant: Main only reports goroutines whose stacks mention one of the
// given patterns, and waits (polling the runtime, bounded) for goroutines
// that are still winding down before calling them leaked.
package leaktest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs the tests and then fails the binary (exit 1) if, within 10 s,
// goroutines whose stacks contain any of patterns are still running.
func Main(m *testing.M, patterns ...string) {
	code := m.Run()
	if code == 0 {
		if leaked := waitNoLeaks(10*time.Second, patterns); leaked != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func waitNoLeaks(d time.Duration, patterns []string) string {
	deadline := time.Now().Add(d)
	for {
		leaked := Leaked(patterns...)
		if leaked == "" || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(20 * time.Millisecond) // polling the runtime, not synchronising test logic
	}
}

// Leaked returns the stacks of running goroutines (other than the test
// runner's and this one) that mention any of patterns, "" if none.
func Leaked(patterns ...string) string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "leaktest.Leaked") || strings.Contains(g, "testing.(*M)") {
			continue
		}
		for _, p := range patterns {
			if strings.Contains(g, p) {
				out = append(out, g)
				break
			}
		}
	}
	return strings.Join(out, "\n\n")
}
