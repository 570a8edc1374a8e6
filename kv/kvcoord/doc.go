// Package kvcoord is the client half of the kv layer that knows about
// ranges: DistSender splits a batch by range, finds each range through the
// range descriptor cache (kv/rangecache) filled from the meta records in
// range 1 (kv/keys), sends each part to the range's leaseholder, and
// repairs the cache from what the ranges answer. It never imports
// ranges/: it reaches replicas only through a Transport (gRPC
// Internal.Batch in production).
//
// TxnCoordSender coordinates one transaction (docs/design/transactions.md)
// as a stack of interceptors, one concern per file, top first:
//   - txnHeartbeater: anchors the txn at its first write (or read), and
//     heartbeats the record once there may be intents outside a 1PC;
//     an ABORTED record fails the next batch;
//   - txnSeqNumAllocator: a sequence number per writing batch; savepoints
//     and RollbackToSavepoint (ignored sequence ranges);
//   - txnLockTracker: every span written, handed to EndTxn as lock spans;
//   - txnCommitter: elides a read-only commit (Commit of a txn that wrote
//     and locked nothing skips the stack altogether: commitReadOnly), sends writes + commit in
//     one batch (1PC on one range) or, when the DistSender says they span
//     ranges (ErrEndTxnSpansRanges, nothing sent), writes first and the
//     EndTxn alone; a commit batch that is the txn's first to write or
//     lock carries Header.no_txn_record (no record can exist yet);
//   - txnSpanRefresher: remembers read spans; moves the read timestamp up
//     (Refresh/RefreshRange over (read ts, new ts]) before a pushed commit
//     and after RETRY_SERIALIZABLE, WriteTooOld and uncertainty errors,
//     resending the batch when no write can apply twice;
//   - txnLockGatekeeper: releases TxnCoordSender.mu around the RPC and
//     folds the txn the servers report back in (MergeTxn).
//
// Retryable errors leave the coordinator in a retry state until
// PrepareForRetry (new epoch) or, after an abort, NewTxnAfterAbort.
//
// Ambiguity: a batch with CPut, Increment or EndTxn that may have reached
// a replica but got no answer is an AmbiguousResultError (never resent);
// other batches are resent.
//
// Retries, per part:
//   - NotLeaseholderError: follow the hint if it names a replica of the
//     cached descriptor (and remember it); otherwise the descriptor is
//     stale and is evicted.
//   - RangeKeyMismatchError: evict the descriptor, insert the ones the
//     range returned, and divide that part again (only that part is
//     resent, so no request is applied twice).
//   - RangeNotFound / StoreNotFound / transport errors: try the next
//     replica; after a round with no answer, evict, back off
//     (exponentially, bounded) and look the range up again.
//   - UnavailableError: back off and retry the round; so is an
//     AmbiguousResultError of an idempotent batch (see idempotent).
//   - A transport error after the batch may have been sent, or an
//     AmbiguousResultError, of a non-idempotent batch (CPut, Increment)
//     is returned as AmbiguousResultError: resending could apply it twice.
//   - anything else (condition failed, invalid request, ambiguous result…)
//     goes back to the caller unchanged.
//
// Every Send is bounded: without a context deadline it gets
// Config.RequestTimeout, and when it expires the caller gets an
// UnavailableError naming the range and the last error seen.
//
// Ordering: without limits the parts run in parallel and partial results
// of a ranged request are combined in key order (descending for reverse
// scans). With key or byte limits the answer is that of visiting the
// ranges one at a time in scan order (the sequential walk): a request
// stops at its limit and its response carries the resume span relative to
// the original request. A read-only limited batch (Get, Scan, ReverseScan;
// never DeleteRange, writes or locking reads) reads up to
// Config.LimitedScanFanOut ranges ahead in parallel, sized by the rows per
// range seen so far, then applies the answers in order, trimmed to the
// limits left; an answer is used only if it is exactly what the
// sequential walk would have asked that range, so rows, resume spans and
// the spans a transaction records for refresh are unchanged
// (dist_sender_ordered.go). A batch whose spans all lie in one cached
// range (limited only if it is read-only) is sent to it whole, without
// the division into parts: the range applies each request's limits and
// resume span itself, which is what the walk answers for one range; on a
// range mismatch it is divided as usual (DistSender.singleRange).
//
// Shared RPCs: the parts of a read-only batch (Get, Scan, ReverseScan)
// whose cached leaseholders are on one node go to it in one
// Internal.BatchParts RPC, which answers each part as Batch would; a
// part refused there is repaired in the cache and, where the caller needs
// it, sent again alone with the per-part retries above. For limited
// batches the node evaluates its parts in scan order carrying the limits
// from one to the next and skips those it knows are not needed, and the
// walk puts into one window the run of following cached ranges on the
// same node, so that a run of small ranges on one node costs one RPC
// (dist_sender_parts.go).
//
// Invariants: no lock is held across a Send to a replica (the gatekeeper
// unlocks TxnCoordSender.mu around it); the first-range descriptor and the
// cache are the DistSender's only shared state. Lock order:
// TxnCoordSender.mu before the cache's and the transport's leaf locks; a
// TxnCoordSender runs one batch at a time (ErrConcurrentTxnUse otherwise);
// its heartbeat goroutine takes mu only between RPCs.
package kvcoord
