//go:build !unix

package rangetest

import "time"

// processCPU is not measured here (BenchmarkSnapshot reports 0 ms/MiB).
func processCPU() time.Duration { return 0 }
