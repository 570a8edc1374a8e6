//go:build !unix

package servertest_test

import "time"

// processCPU is not measured here (the benchmark reports 0 ms/MiB).
func processCPU() time.Duration { return 0 }
