// Package placementpb holds the placement driver's wire and storage
// formats: the liveness record and placement lease kept in system keys
// (kv/keys), and the Placement gRPC service every node serves (store
// statistics, liveness, settings, drain, decommission, explain, scatter).
// Generated code; `make proto` regenerates it from placement.proto.
package placementpb
