// Package workload drives load against a running cluster for `tessera
// workload` and measures it: a fixed-precision latency histogram of our own
// (Histogram), a Recorder that keeps a cumulative and a per-interval
// histogram, and Run, which starts N workers calling an operation until a
// deadline and reports progress once per interval. SQLSetup, SQLWorker
// and SQLStatements are the `tessera workload sql` benchmark (issue 8):
// the same schema and prepared statements against Tessera or PostgreSQL.
//
// Invariants:
//   - Histogram percentiles are within 1/64 (≈1.6%) relative error of the
//     true order statistic, never below the smallest nor above the largest
//     recorded value.
//   - The summary line (Summary.String) is exactly one line that starts with
//     "ops/s=" and has the fields ops/s, p50_ms, p95_ms, p99_ms, errors in
//     that order; other tools parse it.
//
// Lock order: Recorder.mu is a leaf (held only to add to or swap
// histograms, never across an operation).
package workload
