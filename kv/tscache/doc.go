// Package tscache is the timestamp cache of a leaseholder: for every key
// span it remembers (an upper bound of) the highest timestamp at which it
// was read, so that a later write to the span is pushed above it and can
// never invalidate a read already served.
//
// This is the simple implementation: exact entries for point reads and
// spans, bounded in number; when the bound is reached the cache forgets
// its entries and raises its low-water mark to the highest timestamp it
// held, which is conservative (writes are pushed more often, never less).
//
// Invariants: Get(span) >= every Add(s, ts) with s overlapping span since
// New, and >= the low-water mark; the low-water mark never decreases. A
// new leaseholder creates its cache with the lease start as low water.
// Cache.mu is a leaf lock.
package tscache
