package servertest_test

import (
	"log/slog"
	"os"
	"time"

	"github.com/tesseradb/tessera/server"
)

// fastPlacementKnobs run the placement driver and liveness fast enough
// for tests that wait for balancing and for a node to die.
func fastPlacementKnobs() server.Knobs {
	return server.Knobs{PlacementInterval: 300 * time.Millisecond, LivenessDuration: 1500 * time.Millisecond,
		PlacementLeaseDuration: 4 * time.Second, PeerTimeout: 500 * time.Millisecond,
		PlacementMaxStepTime: 5 * time.Second}
}

// logLevel is Info with TESSERA_TEST_LOG=info (every placement decision
// is logged at Info), else the cluster's default (Warn).
func logLevel() slog.Level {
	if os.Getenv("TESSERA_TEST_LOG") == "info" {
		return slog.LevelInfo - 1 // 0 would mean the default
	}
	return 0
}
