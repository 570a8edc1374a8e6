// Package concurrency is the per-range concurrency manager: it sequences
// requests so that conflicting ones do not evaluate together, and it
// resolves transactional conflicts.
//
//   - Latches (spanlatch): held only while a request evaluates; they
//     exclude overlapping conflicting requests (read/write, write/write).
//   - Lock table (lock_table.go): the intents this range knows about
//     (discovered when an evaluation met one: storage is the truth, the
//     table only remembers what was seen). A request whose spans hit a
//     lock of another txn does not evaluate: it releases its latches,
//     waits its turn, and pushes the holder. It also holds unreplicated
//     locks: a locking read (SELECT ... FOR UPDATE) takes one on each key
//     it returned, under its write latches. They live only in the
//     leaseholder's table: a cooperative lease transfer carries them
//     (LockTable.UnreplicatedLocks on the outgoing holder once it has
//     stopped serving, Install on the incoming one before it serves); a
//     split hands the right half's to the new range (MoveUnreplicated);
//     a non-cooperative lease change (the holder died or its lease
//     expired) loses them, and a replica that loses the lease drops its
//     table (Clear). Storage's write-too-old and refresh checks keep
//     serializability when they are lost. An unreplicated lock is
//     exclusive (KEY_LOCKING_EXCLUSIVE: FOR UPDATE / NO KEY UPDATE) or
//     shared (KEY_LOCKING_SHARED: FOR SHARE / KEY SHARE; the request's
//     Shared spans): a key may have several shared holders, one entry
//     each, besides at most one exclusive entry (an intent and/or an
//     exclusive lock); shared locks conflict with exclusive locks,
//     intents and writes, not with each other, and a txn's exclusive lock
//     replaces its shared one. A writer or exclusive locker meets the
//     holders one at a time (the exclusive entry first) and pushes each.
//     Unreplicated locks block writers and locking reads but not
//     plain reads, survive a push of the holder (a PENDING resolve), and
//     go when the holder's intents in their span are resolved finalized
//     (EndTxn lock spans, or a pusher that aborted it). A NoWait
//     request (a locking read with wait policy ERROR, SELECT ... NOWAIT)
//     neither waits nor pushes: the first blocking lock of a live holder
//     fails it with kvpb.LockNotAvailableError; a holder that has already
//     committed or aborted (QueryTxn, which never waits) has its lock
//     resolved and the request tries again. A SKIP LOCKED
//     request (wait policy SKIP_LOCKED) is sequenced on latches only:
//     its evaluation leaves out keys with another txn's intent (storage)
//     or conflicting unreplicated lock (LockTable.UnreplicatedByOther: a
//     shared read skips only exclusive locks).
//   - Pushing (manager.go): readers push the holder's timestamp above
//     their read (always succeeds for a PENDING holder: it only has to
//     refresh), writers push to abort (succeeds when the holder expired or
//     has a lower priority; otherwise the push waits in the holder's txn
//     wait queue). Once the push returns, the waiter resolves the intent
//     and retries.
//   - Txn wait queue (txnwait.go): at the range of a txn record, pushes
//     that cannot succeed wait until the record changes, the pushee
//     expires, the pusher is aborted, or a deadlock is found. Deadlock
//     detection: every waiting push periodically queries its pusher's
//     record (QueryTxn), whose range answers with the txns waiting on the
//     pusher (transitively, from their own queries); when the pushee is
//     among them the pushes form a cycle, and a push whose pushee is the
//     lower (priority, then ID: batcheval.TxnLess) may be forced: that
//     pushee is aborted. Every cycle has such an edge, so every cycle is
//     broken. To abort one txn per cycle, only the edge into the lowest ID
//     it knows of forces at once; the other such edges wait a few more
//     queries and force only if the cycle is still there. Only the
//     leaseholder's queue is queried, so a push waits only while its
//     replica holds the lease and the record's key (the range's
//     readRecord check): otherwise it returns to be retried there.
//   - Intent resolution (intent_resolver.go): pushes, resolves and the
//     asynchronous resolution of a finished txn's remote intents go
//     through a key-routed Sender (the node's DistSender, or a local
//     router in tests).
//
// Time comes from an injected hlc.Clock; the query interval is
// configurable. Lock order: Manager.mu and Queue.mu are leaves; no RPC,
// latch wait or channel wait happens under them.
package concurrency
