// Package kvcoord is the client half of the kv layer that knows about
// ranges: DistSender splits a batch by range, finds each range through the
// range descriptor cache (kv/rangecache) filled from the meta records in
// range 1 (kv/keys), sends each part to the range's leaseholder, and
// repairs the cache from what the ranges answer. (The transaction
// coordinator will live here too.) It never imports ranges/: it reaches
// replicas only through a Transport (gRPC Internal.Batch in production).
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
// scans). With key or byte limits the ranges are visited one at a time in
// scan order; a request stops at its limit and its response carries the
// resume span relative to the original request.
//
// Invariants: no lock is held across a Send to a replica; the first-range
// descriptor and the cache are the only shared state.
package kvcoord
