package txntest

import (
	"testing"

	"github.com/tesseradb/tessera/internal/leaktest"
)

func TestMain(m *testing.M) {
	leaktest.Main(m, "tessera/server.", "tessera/ranges", "tessera/kv/", "google.golang.org/grpc")
}
