package leaktest

import (
	"runtime"
	"strings"
	"testing"
)

func parkForLeaktest(stop chan struct{}) { <-stop }

func TestLeaked(t *testing.T) {
	stop := make(chan struct{})
	go parkForLeaktest(stop)
	waitFor := func(cond func() bool) {
		for i := 0; i < 1000 && !cond(); i++ {
			runtime.Gosched()
		}
	}
	waitFor(func() bool { return strings.Contains(Leaked("parkForLeaktest"), "parkForLeaktest") })
	require := strings.Contains(Leaked("parkForLeaktest"), "parkForLeaktest")
	if !require {
		t.Fatal("a parked goroutine was not reported")
	}
	close(stop)
	if got := waitNoLeaks(5e9, []string{"parkForLeaktest"}); got != "" {
		t.Fatalf("reported after it ended: %s", got)
	}
	if got := Leaked("no-such-function-anywhere"); got != "" {
		t.Fatalf("unexpected: %s", got)
	}
}
