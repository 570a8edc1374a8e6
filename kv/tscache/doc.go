// Package tscache is the timestamp cache of a leaseholder: for every key
// span it remembers (an upper bound of) the highest timestamp at which it
// was read, so that a later write to the span is pushed above it and can
// never invalidate a read already served.
//
// This is the simple implementation: exact entries for point reads (a
// map) and spans (an interval treap, spantree.go, so that a point write's
// lookup visits only the spans that may hold its key), bounded in number;
// reads of the same key or the same span share one entry with the highest
// timestamp (and its txn, or none if several txns read at it). When the
// bound is reached the cache forgets its entries and raises its low-water
// mark to the highest timestamp it held, which is conservative (writes
// are pushed more often, never less). The tests check it against a model
// that keeps every entry in a list.
//
// Invariants: Get(span) >= every Add(s, ts) with s overlapping span since
// New, and >= the low-water mark; the low-water mark never decreases. A
// new leaseholder creates its cache with the lease start as low water.
// Cache.mu is a leaf lock.
package tscache
