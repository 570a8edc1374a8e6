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
// Errors are translated to the structured kvpb errors that cross gRPC:
// conflicts (ConditionFailed, WriteTooOld) and bad input
// (InvalidRequestError) are deterministic rejections. Storage corruption is
// returned wrapped and is fatal for the caller. batcheval imports kvpb,
// storage, hlc and spanlatch; never ranges/.
package batcheval
