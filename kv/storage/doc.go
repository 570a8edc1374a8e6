// Package storage owns the on-disk state of a store: MVCC on Pebble
// (github.com/cockroachdb/pebble/v2), plus unversioned ("raw") keys for
// range-local state such as the Raft log, hard state and applied index.
// It sits below kv/kvpb and ranges/ and imports nothing of ours but hlc.
//
// # Stable API
//
// These signatures are stable; other packages build on them, and they are
// only ever extended (new options, new functions), not changed:
//
//	Open(dir, ...Option) (Engine, error); options InMemory(), WithFS(vfs.FS), CacheSize(n);
//	          flushes and compactions write 32 KiB data blocks (engineBlockSize), Snappy
//	Engine:   Reader, Writer, NewBatch, NewSnapshot, ApplyBatchRepr(repr, sync), Flush, Close,
//	          NewSSTWriter(prefix), IngestSSTs(paths), IngestSSTsExcising(paths, start, end)
//	          (the ingestion also removes [start, end) by excising: overlapping tables
//	          become virtual, no compaction; a Snapshot taken before it does not keep
//	          the excised keys for iterators opened after it)
//	SSTWriter: Writer (points in key order, ClearRange spans sorted), Finish, Abort, Path,
//	          DataBytes; RemoveSST(eng, path). Tables live in <dir>/auxiliary/sst until
//	          ingested (Open clears that directory); an ingestion of several tables is
//	          atomic and durable, and a table's ClearRange does not delete its own points.
//	          Tables are uncompressed with 32 KiB blocks (the LSM recompresses them
//	          when it compacts), written with O_DIRECT in 1 MiB writes on a real
//	          Linux filesystem (sst_direct_linux.go), else through the vfs.FS and
//	          written back every MiB as they grow.
//	Reader:   GetRaw, NewRawIterator (RawIterator: SeekGE/SeekLT/First/Last/Next/Prev/
//	          Valid/Key/Value/Error/Close)
//	Writer:   PutRaw, DeleteRaw, ClearRange
//	Batch:    Reader, Writer, Commit(sync), Repr, ApplyBatchRepr(repr), Empty, Count, Close
//	Snapshot: Reader, Close
//	MVCCGet, MVCCPut, MVCCDelete, MVCCConditionalPut, MVCCIncrement, MVCCScan,
//	MVCCDeleteRange, MVCCResolveIntent, MVCCResolveIntentRange,
//	MVCCGarbageCollect, MVCCFindGarbage, ComputeStats, ClearMVCCRange,
//	NewEngineIterator / PutEngineKey (copy a span byte for byte: snapshots)
//	MVCCStats (Add, Subtract), TxnID, TxnMeta, LockUpdate, TxnStatus, SeqRange,
//	Span, KeyValue, MVCCValue, MVCCReadOptions, MVCCWriteOptions, MVCCScanOptions
//	EncodeMVCCKey, EncodeRawKey, DecodeEngineKey, LockTableKey, EngineComparer,
//	ComparerName, MaxKeySize, MaxValueSize, EncodeInt, DecodeInt
//	errors in errors.go (sentinels for errors.Is, structs for errors.As)
//
// # Keys
//
// Engine key = user key ‖ 0x00 ‖ [wall time (8 B) ‖ logical (4 B) ‖ 0x0d].
// An unversioned key is user key ‖ 0x00; a version adds the 12-byte
// timestamp (hlc.Timestamp.AppendEncoded, sorts bytewise) and a final
// length byte 13. The final byte is the length of what follows the 0x00
// sentinel (0 for a raw key, where the sentinel is also the length byte),
// so keys are split from their end and user keys may contain 0x00. The
// Pebble comparer (EngineComparer, named "tessera.mvcc.v1"; the name is
// written into every store and must never change) orders by prefix
// (user key ‖ 0x00) bytewise, then the raw key first, then versions newest
// first. Split returns the prefix, so bloom filters and SeekPrefixGE work
// per user key. Appending 0x00 preserves user-key order, so the engine
// order of prefixes is the user-key order.
//
// Version values are 0x01 ‖ bytes; the empty engine value is a tombstone
// (so an empty user value is still a value). MVCCIncrement values are
// 8-byte big-endian int64s (EncodeInt).
//
// Intents live in the lock-table space: raw key \x01z<user key> → encoded
// txn meta (ID, epoch, sequence, write timestamp) plus the intent history
// (the txn's earlier values on the key in that epoch, by sequence, so that
// reads at an older sequence and savepoint rollbacks see them). The
// provisional value is an ordinary version at the intent's write
// timestamp. MVCC operations refuse user keys beginning with \x01z; other
// \x01 keys are free for range-local raw state.
//
// # Semantics in brief
//
//   - Reads at ts see the newest version at or below ts. With an
//     uncertainty limit L > ts, a committed version in (ts, L] is a
//     *ReadWithinUncertaintyIntervalError, and another txn's intent at or
//     below max(ts, L) is a *LockConflictError (scans collect all of them).
//   - A txn sees its own intent of its epoch (at or below its sequence,
//     using the history); intents of its older epochs are ignored.
//   - A write at ts on a key with a committed version at >= ts is a
//     *WriteTooOldError (retry at ActualTimestamp); nothing is written.
//     A txn rewriting its own intent writes at max(its ts, the intent's ts),
//     keeping history (same epoch) or replacing it (newer epoch).
//   - Resolve: Committed moves the provisional value up to the commit
//     timestamp if needed and drops the meta (an intent of an older epoch
//     is removed instead); Aborted removes both; Pending pushes the
//     intent's timestamp. IgnoredSeqNums roll back savepoints.
//   - GC at threshold T removes every version older than the newest
//     version at or below T, and that one too if it is a tombstone; it never
//     touches intents. Reads at or above T are unchanged by it; the caller
//     (the range) must refuse reads and writes below its GC threshold.
//   - A failing multi-key write (MVCCDeleteRange, MVCCResolveIntentRange)
//     may have written part of its keys into the batch: discard the batch.
//
// # Invariants
//
//   - An intent has exactly one provisional version, at its write
//     timestamp, and it is the newest version of its key. Hence a key with
//     no versions has no intent: writes skip the lock-table lookup then.
//     Clear data and lock table together (ClearMVCCRange) to keep this.
//   - No committed version is ever written above an intent.
//   - Stats passed to the write functions change by exactly the write's
//     effect, so accumulated stats equal ComputeStats over the span (the
//     randomized test checks this after every run). Raw keys are not in
//     MVCCStats.
//   - Nothing panics on bad input: empty, oversized (key > MaxKeySize =
//     32 KiB, value > MaxValueSize = 64 MiB) or lock-space keys, zero
//     timestamps, malformed transactions, unknown intents and malformed
//     batch representations (validated record by record before Pebble
//     sees them) return typed errors.
//   - Errors are classified: MVCC conflicts (WriteTooOld, Uncertainty,
//     LockConflict, ConditionFailed) and bad input are deterministic
//     rejections; ErrCorruptKey / ErrCorruptValue mean the store is damaged
//     (fatal); ErrClosed is a use-after-close.
//
// # Concurrency
//
// An Engine and Snapshots are safe for concurrent use; a Batch is not (it
// keeps one reusable iterator and a key buffer). Callers serialise
// conflicting MVCC operations on the same keys (latches, above this
// package). The only lock is the Engine's iterator-pool mutex (a leaf:
// nothing else is acquired under it, and no I/O happens under it). Point
// reads and scans on an Engine reuse pooled iterators while a generation
// counter, bumped after every write applied through the Engine (writer
// calls, Batch.Commit, ApplyBatchRepr, IngestSSTs), is unchanged, so a
// read never misses a write that completed before it started (a Pebble
// iterator is a point-in-time view; a scan only moves a pooled
// iterator's bounds, and hands it back unbounded). Close must not race with other
// calls on the same Engine.
package storage
