// Package kvclient is the non-transactional kv client used by the CLI, the
// workload and (later) SQL: Get, Put, CPut, Inc, Delete, Scan and
// DeleteRange, each sent as a kvpb.BatchRequest over gRPC to a node.
//
// The client keeps one gRPC connection per node address and remembers the
// last node that served it (the leaseholder, while there is one range). It
// follows NotLeaseholder hints, and retries with jittered exponential
// backoff on errors that mean "not here / not now" (connection refused or
// reset, node not yet initialized, range unavailable) until the caller's
// context is done; then it returns ErrUnavailable wrapping the last error.
// Writes that are not idempotent (CPut, Inc) are not retried once they may
// have reached a node: their unknown outcome is ErrAmbiguousResult.
//
// Invariants: kvclient never imports ranges/ (it reaches them over gRPC
// only); every RPC carries the client's HLC reading when a clock is given
// (ClockDialOptions), so servers ratchet their clocks.
//
// Lock order: Client.mu and connPool.mu are leaves; no RPC is made under
// either.
package kvclient
