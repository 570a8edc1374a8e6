package rangetest

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// testSeed returns the seed of a randomized test: RANGETEST_SEED replays
// a logged one.
func testSeed(t *testing.T) int64 {
	seed := time.Now().UnixNano()
	if s := os.Getenv("RANGETEST_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("bad RANGETEST_SEED %q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with RANGETEST_SEED=%d)", seed, seed)
	return seed
}
