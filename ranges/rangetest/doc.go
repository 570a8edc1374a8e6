// Package rangetest runs an in-process cluster of N nodes for tests: each
// node is a real ranges.Store on a real Pebble engine in a temp directory,
// connected either by real gRPC on 127.0.0.1 or by a ranges.MemNetwork
// with fault injection. Nodes can be stopped and restarted on the same
// directory, crashed (Config.CrashableFS: stores live on a crashable
// in-memory filesystem and a crash keeps only what was synced),
// partitioned, and have a fraction of their messages dropped, or chosen
// Raft messages dropped or captured (SetMessageFilter).
// The cluster's client routes batches to the leaseholder, following
// NotLeaseholder hints, as the kv client does.
//
// Invariants: every goroutine a Cluster starts is stopped by Close (the
// tests check for leaks); the cluster only listens on 127.0.0.1.
package rangetest
