// Package batcheval evaluates the commands of a BatchRequest against MVCC
// (kv/storage), one command per file (cmd_<name>.go). Each command declares
// the spans it latches (read or write) apart from its evaluation.
//
// Evaluation is proposer-side: the leaseholder evaluates writes into a
// storage.Batch whose representation is then replicated through Raft; a
// command never performs I/O other than through the ReadWriter it is given,
// and never keeps state, so evaluation is a pure function of (engine state,
// timestamp, request).
//
// Transactions (txn.go): with Args.Txn set, reads happen at the txn's read
// timestamp with its uncertainty limit (narrowed by the node's observed
// timestamp) and see its own intents (by sequence, minus savepoint
// rollbacks); writes lay intents at its write timestamp, and a blind write
// meeting a newer committed value moves the txn's write timestamp above it
// (write_too_old). Txn records are raw keys kv/keys.TxnRecordKey(anchor,
// id) holding an encoded kvpb.Transaction, written by HeartbeatTxn,
// PushTxn and EndTxn (cmd_*_txn.go; EndTxn's one-phase commit writes
// none). A one-phase commit batch (EndTxn(commit) without lock spans,
// point writes inside the range, read = write timestamp, no record) is
// evaluated directly: its writes go in as committed values at the commit
// timestamp, no intents to resolve (EvaluateBatch's directCommit); if one
// meets a newer value, EvaluateBatch returns ErrDirectCommitFallback and
// the caller evaluates again, into a fresh batch, with
// Args.NoDirectCommit. The "no record" condition costs a read of the
// record unless Args.NoTxnRecord (Header.no_txn_record: the coordinator
// sends the txn's first batch that writes or locks, so nobody knows the
// txn yet) vouches for it. An asserting Get (GetRequest.assert) fails its
// batch with ConditionFailed unless it finds the expected value. Commands
// report what the caller must do after the batch applies
// in Args.Result (locks resolved, records changed, remote intents left,
// a raised GC threshold). GC (cmd_gc.go) removes MVCC garbage of listed
// keys at a threshold and finalized txn records; the replica persists the
// threshold with the command.
//
// Errors are translated to the structured kvpb errors that cross gRPC:
// conflicts (ConditionFailed, WriteTooOld) and bad input
// (InvalidRequestError) are deterministic rejections. Storage corruption is
// returned wrapped and is fatal for the caller. batcheval imports kvpb,
// storage, hlc and spanlatch; never ranges/.
package batcheval
