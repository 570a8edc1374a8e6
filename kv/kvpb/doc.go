// Package kvpb defines the vocabulary shared by the kv client and the kv
// server half: typed IDs (RangeID, NodeID, StoreID, ReplicaID), range
// descriptors, BatchRequest/BatchResponse and their commands, and the
// structured errors that cross gRPC (not leaseholder, range key mismatch,
// transaction retry …). Protobuf definitions live here and the generated
// code is committed (`make proto`):
//
//	data.proto     Timestamp, Span, KeyValue, ReplicaDescriptor, RangeDescriptor,
//	               Lease, NodeDescriptor, StoreIdent
//	api.proto      RequestUnion/ResponseUnion (Get, Scan, ReverseScan, Put,
//	               ConditionalPut, Increment, Delete, DeleteRange), Header,
//	               BatchRequest/BatchResponse (with the HLC `now` both ways)
//	errors.proto   Error {message, index, oneof detail}
//	raft.proto     RaftMessageRequest/Batch/Response, SnapshotHeader/Chunk/Response
//	admin.proto    Bootstrap, Join, InitPromise, InitState, NodeStatus,
//	               ChangeReplicas, TransferLease, RangeInfo
//	service.proto  services Internal {Batch, RaftMessages, RaftSnapshot} and Admin
//
// On the wire IDs are uint64 (protobuf has no Go types); typed accessors
// (RangeDescriptor.ID, ReplicaDescriptor.NodeID/StoreID/ID, Header.RangeID)
// convert. TS / (*Timestamp).HLC convert timestamps (nil = zero).
//
// Errors: every detail message implements error, so code uses errors.As on
// *NotLeaseholderError etc.; NewError(err) builds the wire Error from any
// error chain and (*Error).GoError() turns it back. Never match strings.
//
// Invariants: kvpb imports only hlc and libraries; it never imports
// ranges/, sql/, placement/ or kv/storage.
package kvpb
