// Package ranges owns replicated ranges: a Store holds the Replicas of one
// Pebble engine; each Replica is a member of its range's Raft group
// (go.etcd.io/raft/v3 RawNode) and, when it holds the range lease, serves
// requests. It also owns the Raft transport (gRPC and in-memory) and the
// kvpb.Internal gRPC service of a store (DESIGN.md §3).
//
// # API used by server/ (the node)
//
//	ReadStoreIdent(eng) / WriteStoreIdent(eng, ident)     once per store
//	BootstrapFirstRange(eng, ident)                       `tessera init`: range 1 = [KeyMin, KeyMax)
//	NewStore(StoreConfig{NodeID, StoreID, Engine, Clock, Transport, …})
//	(*Store).Start(ctx) / Stop()
//	(*Store).Send(ctx, *kvpb.BatchRequest) (*kvpb.BatchResponse, error)
//	(*Store).HandleRaftBatch / HandleSnapshot             inbound transport
//	(*Store).ChangeReplicas(ctx, rangeID, changes, expectedGeneration)
//	(*Store).TransferLease(ctx, rangeID, target)          lease, then raft leadership
//	(*Store).RangeInfo(rangeID) / Metrics()               admin and node status (counters; write-path times: sync, proposal, apply, transport queue)
//	(*Store).AdminSplit(ctx, key, newRangeID)             split trigger (docs/design/splits.md)
//	(*Store).Subsume / CommitMerge / Unfreeze             the three steps of a merge
//	(*Store).ReplicaContaining(key), CheckSplitKey,
//	CheckMergeable, StatsFromProto                        helpers for server/
//	(*Store).LoadInfo()                                   QPS, writes/s, sampled request keys of leased ranges
//	(*Store).RunGC(ctx), (*Replica).GCThreshold()         one MVCC GC pass now; a range's GC threshold
//	NewInternalServer(store)                              kvpb.RegisterInternalServer(grpcServer, …)
//	NewGRPCTransport(GRPCTransportConfig{NodeID, Resolver})
//	GRPCServerOptions()                                   for the server the transport dials (non-zeroing buffer pool, static flow-control windows, 256 KiB socket buffers)
//	NewMemNetwork(seed).Transport(nodeID), Register(nodeID, store)   tests
//
// Send returns kvpb detail errors (they implement error; kvpb.NewError
// puts them on the wire): NotLeaseholderError (with the holder or the raft
// leader as hint), RangeKeyMismatchError, RangeNotFoundError,
// UnavailableError (no lease obtainable before the deadline: no quorum),
// AmbiguousResultError (a write was proposed but not seen applied before
// the deadline), ConditionFailedError, WriteTooOldError,
// InvalidRequestError, ClockOffsetError.
//
// # Pipeline (proposer-evaluated)
//
// Send validates the batch, checks the keys against the descriptor,
// ensures the lease (acquiring it when this replica is the raft leader),
// lets PushTxn requests wait in the txn wait queue, sequences the batch
// through the range's concurrency manager (kv/concurrency: latches, then
// the lock table of known intents, waiting for and pushing their holders),
// picks the timestamps (non-txn: the header's or the clock's; txn: its
// read and write timestamps; writes go above the lease start and the
// timestamp cache), and evaluates the batch with kv/batcheval. A batch
// that meets intents hands them to the lock table and is sequenced again.
// Requests on user data at or below the range's GC threshold are refused
// (replica_gc.go). Reads return at once, without Raft, and record
// themselves in the timestamp cache. The
// response carries the txn as evaluated, with this node's observed
// timestamp. After a write applies, its side effects reach the lock table
// (resolved intents), the txn wait queue (updated records) and the intent
// resolver (remote intents of a finished txn, resolved asynchronously); a
// commit above the clock is acknowledged only once the clock passes it. Writes become a RaftCommand {write batch, proposer lease sequence,
// max lease index} proposed through Raft; the response is sent once the
// command applied locally.
//
// Application (replica_apply.go) is deterministic: a command applies only
// if the range's lease still has the proposer's sequence and its max lease
// index is above the lease applied index (so a reproposed command applies
// at most once); its write batch, the new lease applied index and the raft
// applied index go into one engine batch. Lease requests apply only if the
// lease has not changed since they were made and a new holder's lease does
// not start before the previous one expires. A conf change
// (ChangeReplicas: a ConfChangeV2 carrying the descriptor it produces)
// applies only if it was built from the current descriptor (its
// generation is exactly one above) and raft's configuration admits it;
// otherwise every replica rejects it without calling ApplyConfChange, so
// raft's configuration and the descriptor stay in step. That makes conf
// changes safe to repropose like commands: the proposer proposes its
// pending one again after an election timeout (or once a leader appears
// after raft dropped it) while the descriptor is still the one it was
// built from, since raft can lose a conf change without a word (a
// forwarded MsgProp dropped, an overwritten log tail, an entry emptied
// because another conf change was pending on the leader).
//
// # Scheduler
//
// One goroutine per store (runScheduler) drives every RawNode, and so may
// a proposer (Replica.submit → Store.runInline) when no cycle is running,
// which saves a goroutine handoff between proposal and append; it runs
// one cycle and leaves later work to runScheduler. Raft message handlers
// only queue: one blocked in a cycle's fsync would read no further batch
// from its stream and defeat the follower's group commit. Cycles are
// serialised by scheduler.cycleMu wherever they run. A cycle
// ticks (when the tick timer fired) or takes the replicas with queued
// messages/proposals, steps them, takes their Readys, sends the leaders'
// appends and heartbeats (Raft thesis §10.2.1: a leader may persist in
// parallel with its followers; their acks are stepped only in a later
// cycle), applies snapshots, writes all log entries and HardStates into ONE
// synced batch, sends the remaining messages (votes, append responses) once
// durable — all grouped into one RaftMessageBatch per destination node —
// applies committed entries, and advances. A leader's empty MsgApps that
// only announce the commit of plain writes to an up-to-date follower are
// not sent (dropCommitOnlyAppends): the follower learns the index with the
// next append or heartbeat.
//
// Replica GC: a replica applying its own removal destroys itself (data,
// state, a tombstone, in one ingestion: see Keys and state with the next replica ID so stale messages cannot
// recreate it)); a removed replica that never learned it is told by its
// peers (RaftMessageResponse.replica_too_old) or replaced when a message
// for a newer replica ID of the range arrives. The transport and clients only queue
// work (Replica.mu) and wake the scheduler or run its cycle (above).
//
// # Leases
//
// Expiration-based, replicated through Raft, kept with the raft leader:
// the leader acquires the lease once the previous one expired and extends
// it when half of it is left; a replica that is not the leader never
// extends. A lease is used only while now < expiration - max clock
// offset. A new holder's timestamp cache starts at the lease start. A
// lease of a previous incarnation of the same replica (before a restart)
// is re-acquired before use. TransferLease: the holder redirects new
// requests, drains in-flight ones with a range-wide write latch, proposes
// the target's lease starting now (allowed before expiry only for such a
// transfer by the holder), then hands Raft leadership to the target. The
// transfer command carries the holder's timestamp-cache high-water and
// its unreplicated locks (snapshotted under the range-wide latch, after
// the last locking read it served); the target installs them in its lock
// table as the lease applies, before it serves, and the old holder drops
// its table. A lease taken over after expiry (or a target that catches
// up by a raft snapshot instead of applying the transfer) starts with no
// unreplicated locks: the write-too-old and refresh checks keep
// serializability, the locks only avoid the retries.
//
// # Splits and merges
//
// A split is a command on the left range (SplitTrigger) applied
// atomically with the creation of the right range's state on every
// replica; a merge freezes the right range (SubsumeCommand), then a
// MergeTrigger on the left absorbs it in place. MVCC stats are kept per
// range (each write's delta travels in its command), divided exactly on
// split and added on merge. Snapshots overlapping another replica on the
// store are declined, and so is one whose replica object was replaced
// while it streamed in (a split trigger installing the right-hand side
// over an uninitialized replica): raft retries against the new object.
// Meta records are written by server/. Details:
// docs/design/splits.md.
//
// # MVCC GC
//
// Each range's GC threshold is replicated state (GCThresholdKey): raised
// only by GC commands, atomically with the removal of the history below
// it, inherited by both halves of a split, the max of both after a merge.
// Each store runs a GC queue (gc_queue.go, every StoreConfig.GCInterval;
// RunGC for tests) over the ranges it leads: GC requests of bounded key
// batches at now - GCTTL(), and removal of finalized txn records older
// than TxnRecordGCAge after their listed intents are resolved again.
// Details: docs/design/transactions.md.
//
// # Keys and state
//
// Range-local raw keys are laid out by ranges/rangekeys; the raft log,
// HardState and truncated state are served by ranges/raftstorage.
// Snapshots (replica_snapshot.go) carry the replicated range-local keys,
// the user data and its lock table from one engine snapshot, in chunks
// of length-prefixed key/value pairs with a CRC-32C (snapshot_data.go; a
// bad checksum, an overrunning pair or a stream without its final chunk
// is refused as InvalidRequestError and changes nothing). The raft and
// snapshot connections use their own gRPC codec (snapshot_codec.go:
// non-zeroing buffers; a received chunk's data aliases the transport's
// buffer until the next Recv). The receiver streams them into sstables
// (one per span it clears; written with O_DIRECT and synced as the data
// arrives, off the Raft loop), lets raft
// accept the MsgSnap, and then ingests them together with a small table
// holding the raft state (log reset, HardState, replica ID) in one atomic
// ingestion that also excises the user data span (old data there goes by
// turning the overlapping tables virtual, no compaction; the small spans
// are cleared by a ClearRange in their table): a crash leaves the old
// replica or the new one, and the Raft loop pays an ingestion, not a copy
// of the data. A removed replica goes the same way: one ingestion of a
// table clearing its range-local state and holding its tombstone,
// excising its user span. Excising is not isolated from engine Snapshots
// opened before it, so a snapshot sender opens its iterators under
// Store.exciseMu (shared) and excising ingestions hold it exclusively.
//
// # Lock order
//
// scheduler.cycleMu → Replica.raftMu → Replica.mu → Store.mu (only
// newProposalID) → leaves (scheduler.mu, spanlatch, tscache, hlc).
// cycleMu is held for a whole cycle, its fsync included, and only taken
// by cycles (runInline only tries it, with no other lock held); no other
// mutex is held across an fsync, an RPC or a wait for a proposal.
package ranges
