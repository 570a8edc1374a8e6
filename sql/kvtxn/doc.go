// Package kvtxn is the key-value interface the SQL layer consumes: the
// transaction method set of contract A (kv/kvclient), so that
// *kvclient.Txn satisfies Txn, and DB, the runner that starts
// transactions. Everything in sql/ reads and writes data only through
// these interfaces; tests use the in-memory double in sql/internal/memkv,
// production wires kv/kvclient (see FromKVClient once it lands).
//
// BufferWrites wraps a Txn so that writes wait for the next read that may
// see them (a Get of a buffered key, any scan) or the commit (sent with
// EndTxn in one batch through BatchWriter: one phase for a single-range
// statement); ReadBatch/ReadMany send several reads in one
// batch (ReadBatcher). A buffered CPut that fails surfaces as
// ErrDeferredConditionFailed, never as a ConditionFailedError.
// GuardedCommitter (BufferWrites over kv/kvclient) sends a guard read with
// the commit's batch: the commit fails with a ConditionFailedError on the
// guard's key (ConditionFailedOn) unless it holds the expected value. A
// Read with Lock set is a locking read (so a statement's first locking
// read can carry other reads in its batch).
//
// Invariants: a Txn is used by one goroutine at a time; after Commit or
// Rollback returns it is not used again. IsRetryable classifies the
// errors after which the whole transaction may be re-run (SQLSTATE 40001).
package kvtxn
