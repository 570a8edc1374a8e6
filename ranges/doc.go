// Package ranges owns replicated ranges: a Store holds the Replicas of one
// Pebble engine; each Replica is a member of its range's Raft group
// (go.etcd.io/raft/v3 RawNode) and, when it holds the range lease, serves
// requests. It also owns the Raft transport (raw framed TCP connections on
// the RPC port for messages, gRPC for snapshots, in-memory for tests) and
// the kvpb.Internal gRPC service of a store (DESIGN.md §3).
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
//	NewTCPTransport(TCPTransportConfig{NodeID, Resolver, Snapshots})  raft messages on raw framed connections
//	NewRaftListener(lis, serve) / ServeRaftConn(ctx, conn, store)        the RPC port shared with gRPC
//	NewGRPCTransport(GRPCTransportConfig{NodeID, Resolver})             snapshots (and raft messages in tests)
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
// a proposer (Replica.submit → Store.runInline) or the syncer when no
// cycle is running, which saves a goroutine handoff; it runs one cycle and
// leaves later work to runScheduler. Raft message handlers only queue.
// Cycles are serialised by scheduler.cycleMu wherever they run. Raft runs
// with AsyncStorageWrites. A cycle ticks (when the tick timer fired) or
// takes the replicas with queued messages/proposals, steps them, takes
// their Readys, sends their messages to peers at once (a leader's appends
// go out before its own fsync, Raft thesis §10.2.1), ingests snapshots,
// writes all MsgStorageAppends (log entries and HardStates) into ONE
// batch committed with CommitNoSyncWait (in the WAL, not yet synced),
// applies the MsgStorageApplys (committed entries), and hands the batch
// to the syncer goroutine (store_sync.go), which waits for its fsync and
// only then sends the responses that vouch for durability (a follower's
// MsgAppResp, votes) and queues the self-directed ones (a leader's own
// MsgAppResp, counted by raft towards the quorum only then) — in the
// order the cycles committed, all grouped into one RaftMessageBatch per
// destination node. So a cycle never blocks in an fsync: the followers'
// acks arriving during the leader's fsync are stepped at once, and a
// write acknowledged by both followers commits before the leader's own
// fsync ends. A proposal that finds other proposals of its range in
// flight while a batch is being synced is not run inline: the cycle the
// syncer runs after that fsync takes it with the others (one append, one
// MsgApp per follower), as the fsync-long cycles used to gather them; a
// lone write is never held back. A leader's empty MsgApps that only
// announce the commit of plain writes to an up-to-date follower are not
// sent (dropCommitOnlyAppends): the follower learns the index with the
// next append or heartbeat.
//
// # Durability (applying before the local fsync)
//
// Raft (AsyncStorageWrites) applies an entry only once it is committed
// and reported stable by a MsgStorageAppendResp. For an append of plain
// write commands only (Replica.earlyStable: no lease, truncation, split,
// merge, subsume, GC threshold, conf change or empty entry, no snapshot,
// and no earlier append of the replica still waiting to be reported) the
// cycle steps that response right after CommitNoSyncWait, before the
// fsync; every other append is reported by the syncer after its fsync.
// The acks that count towards commitment (the leader's own MsgAppResp,
// the followers') are always sent only after the fsync. This is safe:
//
//   - An entry applies only once committed, i.e. durable on a quorum
//     (every ack counted follows an fsync), so a client acknowledged after
//     the local apply never loses its write, whatever this node loses.
//   - The apply batch of an entry is committed after the append batch
//     holding it returned from CommitNoSyncWait (a later cycle, or later
//     in the same one), and Pebble writes WAL records in commit order and
//     recovers a prefix of the WAL: a crash that keeps the apply batch
//     keeps the append (and the HardState whose commit index covers the
//     entry, staged in the same or an earlier cycle's append batch,
//     before any apply of the cycle). So the engine never holds an applied
//     index above its durable log or commit index (raft refuses to start
//     with applied > committed), and a crash that loses the append loses
//     the application too; the replica then catches up from its peers
//     like any follower that lost an unsynced tail.
//   - Plain commands' application only writes the engine through that
//     batch (and wakes in-memory waiters). The other commands may ingest
//     sstables or create and remove replicas (split, merge, replica GC),
//     effects outside the WAL's order: they apply only after their
//     append's fsync, as before.
//   - Raft treats a MsgStorageAppendResp as covering every earlier
//     append, so an early one must not overtake a late one still waiting
//     for its fsync (Replica.lateAppends); responses of stale terms are
//     ignored by raft.
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
// newProposalID) → leaves (scheduler.mu, syncer.mu, a TCPTransport
// peer's mu, spanlatch, tscache, hlc). cycleMu is held for a whole cycle
// (which waits for no fsync: the syncer does) and only taken by cycles
// (runInline only tries it, with no other lock held) and by the stopping
// syncer; no other mutex is held across an fsync, an RPC or a wait for a
// proposal. A TCPTransport peer's mu is held across one non-blocking
// socket write.
package ranges
