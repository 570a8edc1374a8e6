// Package kvpb defines the vocabulary shared by the kv client and the kv
// server half: typed IDs (RangeID, NodeID, StoreID, ReplicaID), range
// descriptors, BatchRequest/BatchResponse and their commands, and the
// structured errors that cross gRPC (not leaseholder, range key mismatch,
// transaction retry …). Protobuf definitions live here and the generated
// code is committed (`make proto`).
//
// Invariants: kvpb imports only hlc and kv/storage-independent libraries; it
// never imports ranges/, sql/ or placement/.
package kvpb
