// Package blackbox runs real tessera processes for black-box tests: it
// builds (or takes, from $TESSERA_BIN) the tessera binary, starts nodes on
// 127.0.0.1 with free ports and stores in temp dirs, kills them with
// SIGKILL, restarts them on the same store, and runs CLI commands against
// them with deadlines. Each process's output goes to a log file in the
// test's temp dir; the logs are printed when the test fails.
//
// Nothing here sleeps to synchronise: readiness is a condition polled with
// a deadline (WaitFor).
//
// Lock order: Cluster.mu is a leaf, never held while running a command or
// waiting on a process.
package blackbox
