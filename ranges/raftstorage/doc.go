// Package raftstorage implements go.etcd.io/raft/v3's Storage interface on
// a kv/storage Engine: the Raft log, HardState and truncated state of one
// replica, kept as raw range-local keys (ranges/rangekeys). The applied
// state (applied index and term, conf state) is read from the replicated
// state that application writes.
//
// Writes go into a caller-supplied storage.Batch (Append, SetHardState,
// Truncate, ApplySnapshot) so that the store can put the log appends of
// many replicas into one synced batch. The in-memory view (first/last
// index, last term) is updated when the write is staged: the caller must
// commit the batch before it hands the Ready back to raft (Advance), and a
// failed commit is fatal for the store.
//
// Concurrency: a Storage is not safe for concurrent use; the replica's
// raft cycle (the store scheduler's, holding the replica's raftMu) is its
// only user. Term and Entries serve the most recent entries (at most
// 128 entries / 1 MiB per replica) from an in-memory cache filled by
// Append, so they may return entries staged in a batch not yet committed
// (the caller commits before raft can ask for them); older entries are
// read from the engine.
package raftstorage
