// Package storage owns the on-disk state of a store: MVCC on Pebble, plus
// unversioned ("raw") keys for range-local state such as the Raft log, hard
// state and applied index.
//
// # Stable API
//
// These signatures are stable; other packages may build on them:
//
//	Open(dir, ...Option) (Engine, error); InMemory(); WithFS(vfs.FS); CacheSize(n)
//	Engine: Reader, Writer, NewBatch, NewSnapshot, ApplyBatchRepr, Flush, Close
//	Reader: GetRaw, NewRawIterator (RawIterator: SeekGE/SeekLT/First/Last/
//	        Next/Prev/Valid/Key/Value/Error/Close)
//	Writer: PutRaw, DeleteRaw, ClearRange
//	Batch:  Reader, Writer, Commit(sync), Repr, Empty, Count, Close
//	Snapshot: Reader, Close
//	MVCCGet, MVCCPut, MVCCDelete, MVCCConditionalPut, MVCCIncrement,
//	MVCCScan, MVCCDeleteRange, MVCCResolveIntent, MVCCResolveIntentRange,
//	MVCCGarbageCollect, ComputeStats, MVCCStats (Add, Subtract)
//	EncodeMVCCKey, EncodeRawKey, DecodeEngineKey, LockTableKey, EngineComparer
//
// # Keys
//
// Engine key = user key ‖ 0x00 ‖ [wall time (8 B) ‖ logical (4 B) ‖ 0x0d].
// An unversioned key is user key ‖ 0x00; a version adds the 12-byte
// timestamp (hlc.Timestamp.AppendEncoded) and a final length byte 13. The
// final byte is the length of what follows the 0x00 sentinel, so a key is
// split from its end and user keys may contain 0x00. The Pebble comparer
// (EngineComparer, name "tessera.mvcc.v1", never to change) orders by
// prefix (user key ‖ 0x00) bytewise, then: the raw key first, then versions
// newest first. Split returns the prefix, so bloom filters and
// SeekPrefixGE work per user key.
//
// Values of versions are 0x01 ‖ bytes; the empty engine value is a
// tombstone (so an empty user value is still a value).
//
// Intents live in the lock-table space: raw key \x01z<user key> → encoded
// txn meta (ID, epoch, sequence, write timestamp) plus the intent history
// (earlier values of the same epoch by sequence). The provisional value is
// an ordinary version at the intent's write timestamp. MVCC operations
// refuse user keys beginning with \x01z; other \x01 keys are free for
// range-local raw state.
//
// # Invariants
//
//   - An intent has exactly one provisional version, at its write
//     timestamp, and it is the newest version of its key.
//   - No committed version is written above an intent.
//   - Stats passed to the write functions change by exactly the write's
//     effect, so accumulated stats equal ComputeStats over the span.
//   - Nothing panics on bad input: empty, oversized (key > MaxKeySize =
//     32 KiB, value > MaxValueSize = 64 MiB) or lock-space keys, zero
//     timestamps, malformed transactions and unknown intents return typed
//     errors (see errors.go; match with errors.Is / errors.As).
//
// # Concurrency
//
// An Engine and Snapshots are safe for concurrent use; a Batch is not.
// MVCC writes should go through a Batch (one MVCC operation may write
// several engine keys). Callers serialise conflicting MVCC operations on
// the same keys (latches, above this package); storage keeps no locks.
package storage
