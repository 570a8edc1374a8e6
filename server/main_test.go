package server

import (
	"testing"

	"github.com/tesseradb/tessera/internal/leaktest"
)

// TestMain fails the package if goroutines of ours (or gRPC's) outlive the
// tests: everything a test starts must be stopped.
func TestMain(m *testing.M) {
	leaktest.Main(m, "tessera/server.", "tessera/ranges", "tessera/kv/", "google.golang.org/grpc")
}
