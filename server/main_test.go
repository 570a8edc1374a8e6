package server

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the package when goroutines of a node (ours, ranges',
// the kv client's or gRPC's) outlive the tests: Stop must end them all.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(10 * time.Second)
		for {
			leaked := leaked()
			if leaked == "" {
				break
			}
			if time.Now().After(deadline) {
				fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
				code = 1
				break
			}
			time.Sleep(20 * time.Millisecond) // polling the runtime, not synchronising test logic
		}
	}
	os.Exit(code)
}

func leaked() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "server.leaked") || strings.Contains(g, "testing.(*M)") {
			continue
		}
		for _, pkg := range []string{"tessera/server.", "tessera/ranges", "tessera/kv/", "google.golang.org/grpc"} {
			if strings.Contains(g, pkg) {
				out = append(out, g)
				break
			}
		}
	}
	return strings.Join(out, "\n\n")
}
