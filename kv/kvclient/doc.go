// Package kvclient is the kv client API that the CLI, the workloads, the
// node itself and SQL use: a DB over one kv/kvcoord.DistSender, with
// non-transactional operations (Get, Put, CPut, Inc, Del, DelRange, Scan,
// ReverseScan, Batch) and transactions (see txn.go). Batch.AssertValue is
// a guard read: the batch fails with *kvpb.ConditionFailedError, nothing
// written, unless the key holds the expected value.
//
// Finding the cluster. NewDB takes any node addresses. The DistSender's
// transport (kvcoord.GRPCTransport, the only connection pool) resolves
// node IDs through Admin.NodeStatus asked of those nodes, and finds range
// 1 through Admin.RangeInfo; every other range is found in meta. Requests
// are routed, split by range, retried and paginated by the DistSender
// (kvcoord's doc lists the retry rules).
//
// Errors. No node serving before the deadline is ErrUnavailable (wrapping
// the *kvpb.UnavailableError and the context's error); a non-idempotent
// write (CPut, Inc) whose outcome is unknown is ErrAmbiguousResult, never
// resent; structured refusals (*kvpb.ConditionFailedError, …) come back as
// they are (errors.As). A non-transactional write that meets a newer
// version (WriteTooOld: nothing written) is resent a few times at once.
//
// Invariants: kvclient never imports ranges/ (it reaches them over gRPC
// only); every RPC carries the DB's HLC reading (ClockDialOptions), so
// servers ratchet their clocks and refuse a client beyond the max offset.
//
// Lock order: directory.mu is a leaf; no lock is held across an RPC.
package kvclient
