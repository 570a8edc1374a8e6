// Package rangecache is the kv client's cache of range descriptors: which
// range holds a key, its replicas, and the last leaseholder we heard of.
// DistSender consults it before every request and repairs it from the
// errors it gets back (range key mismatch, not leaseholder).
//
// The cache holds non-overlapping descriptors sorted by end key, the same
// order as the meta index (\x02meta/<end key>), so that a forward lookup is
// "the first range whose end is past the key" and a reverse lookup (for the
// key just before an exclusive end) is "the first range whose end is at or
// past the key".
//
// Staleness. A descriptor's generation increases on every split, merge and
// replica change, and a split or merge gives the resulting descriptors a
// generation above every descriptor they replace (split: both halves get
// the old generation + 1; merge: max of the two + 1). So of two overlapping
// descriptors the one with the higher generation is the newer; on a tie the
// one inserted last wins. Inserting a descriptor evicts every overlapping
// older entry and is ignored if an overlapping entry is newer. A stale
// cache therefore always converges: the sender evicts what an error proved
// wrong and inserts what the range (or meta) told it.
//
// Misses call the LookupFunc (a meta scan in production). Concurrent misses
// for the same key share one lookup.
//
// Invariants:
//   - entries never overlap, and are sorted by end key;
//   - Evict removes an entry only if it is not newer than the descriptor
//     the caller saw fail, so a fresher entry inserted meanwhile survives;
//   - no lock is held while the LookupFunc runs. Cache.mu is a leaf lock.
package rangecache
