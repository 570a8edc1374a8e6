// Package proccpu reads the CPU time this process has used, for
// benchmarks that report CPU per unit of work (e.g. ms of CPU per MiB
// moved by snapshots). It owns nothing else.
//
// Invariant: Used is monotonic within a process; on platforms without
// getrusage it returns 0 (benchmarks then report no CPU figure).
package proccpu
