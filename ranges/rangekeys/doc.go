// Package rangekeys owns the layout of range-local keys: the raw
// (unversioned) keys in the \x01 space that hold a replica's state on its
// store (DESIGN.md §2).
//
// Layout (all raw keys of kv/storage):
//
//	\x01s ident                           store ident (cluster, node, store IDs)
//	\x01i <rangeID:8> <suffix>            replicated per-range state, part of
//	                                      every snapshot: "appl" applied state,
//	                                      "desc" descriptor, "leas" lease
//	\x01u <rangeID:8> <suffix>            unreplicated per-range state (this
//	                                      replica only): "hard" HardState,
//	                                      "trnc" truncated state, "rpid"
//	                                      replica ID, "tomb" tombstone,
//	                                      "log-" <index:8> raft entries
//
// Invariants: range IDs and indexes are big-endian so that the keys of one
// range are contiguous and log entries sort by index. The prefixes \x01i,
// \x01u, \x01s never collide with the lock table (\x01z, kv/storage). User
// keys never start with \x01 (requests with such keys are refused), so the
// user span of range 1 skips this space. Package rangekeys imports nothing
// of ours.
package rangekeys
