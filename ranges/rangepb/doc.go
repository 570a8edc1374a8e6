// Package rangepb holds the protobuf messages private to ranges/: the Raft
// command format (a proposer-evaluated write batch with the lease sequence
// and max lease index it may apply under) and the replicated and
// unreplicated per-range state records. Generated code is committed;
// `make proto` regenerates it from rangepb.proto.
//
// Invariant: these messages are written to Raft logs and engines, so field
// numbers are never reused.
package rangepb
