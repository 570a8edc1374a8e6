// Package keys owns the layout of Tessera's logical key space (DESIGN.md
// §2): which prefix belongs to whom, and how meta (range addressing) keys
// are formed. It imports nothing of ours.
//
//	\x01...            range-local keys (per-range state; never addressed
//	                   by clients; layout in ranges/rangekeys)
//	\x01k<anchor>\x00txn-<id>  transaction records (txn.go), on the range
//	                   holding <anchor>
//	\x02meta/<end key> range addressing: the descriptor of the range that
//	                   ends at <end key>; all live in range 1
//	\x03...            system keys (liveness, descriptors, settings)
//	\x04...            table data
//
// Invariants: KeyMin < every addressable key < KeyMax; meta keys sort in
// the order of the end keys they name, so "the first meta key after
// MetaKey(k)" names the range holding k.
package keys
