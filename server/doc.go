// Package server wires one Tessera node together: it opens the store's
// Pebble engine (kv/storage), runs the node's HLC clock, the ranges.Store
// with its Raft transport, and one gRPC server carrying the Internal
// (batches, raft) and Admin (init, join, status, replica changes) services.
//
// # Life of a node
//
//   - A store that has an ident (cluster ID, node ID, store ID; the file
//     TESSERA-IDENT in the store directory, written once, atomically)
//     starts its ranges.Store at once and recovers every replica it had.
//   - A new store serves RPC but no data. It asks each --join address to
//     let it join (Admin.Join) until one that belongs to a cluster answers
//     with a node ID, or until `tessera init` reaches it (Admin.Bootstrap),
//     which bootstraps a new cluster here: node 1, store 1, and range 1
//     covering the whole key space with this store as its only voter. A
//     second init, on any node of a cluster, fails with "already
//     initialized" (see Init below).
//   - Join is served by an initialized node: it allocates the node ID with
//     an Increment on a system key and records the new node's address in
//     the node registry (system keys), through the kv client, so both are
//     replicated; it answers with the cluster ID, the IDs and every known
//     node's address.
//   - Placement: every running node heartbeats its liveness record and
//     runs the placement driver (placement/driver; one leader at a time
//     by the placement lease), which replicates, repairs, rebalances,
//     splits, merges and decommissions; the node serves the Placement RPC
//     service (placementpb: store status, liveness, settings, drain,
//     membership, explain, scatter). With Knobs.DisablePlacementDriver the
//     node instead up-replicates the ranges it holds the lease of.
//
// # Init
//
// Before it bootstraps, a node asks each of its --join peers for an init
// promise (Admin.InitPromise, initpromise.go) and votes itself. A peer
// refuses if it belongs to a cluster (the init fails with AlreadyExists,
// "cluster already initialized at <addr>"), if an init runs on it, or if
// it promised another initiator that is still bootstrapping, a member of
// a cluster, or unreachable (it asks that node's Admin.InitState; only
// "neither" voids the promise). Otherwise it grants, records the promise
// in TESSERA-INIT-PROMISE and keeps it until it joins a cluster or the
// initiator releases it. The node bootstraps only with the votes of a
// majority of its --join list counting itself, else it releases what it
// got and fails with Unavailable (the CLI retries until its --timeout).
//
// Guarantee: among nodes started with the same --join list, at most one
// init ever bootstraps, concurrent or not, because two majorities share
// a node and a node promises one initiator at a time, durably, until it
// is in that initiator's cluster. The price: init needs a majority of the
// --join nodes up, and a node whose promise is held by an initiator that
// is unreachable refuses other inits until that node answers (or the
// promise file is removed by hand). A node's own join attempts and its
// Bootstrap exclude each other (Server.joinMu).
//
// # Forwarding
//
// A batch that reaches a node whose replica is not the leaseholder is
// forwarded once, by that node, to the leaseholder named in the
// NotLeaseholder error (marked with the "tessera-forwarded" metadata so it
// is never forwarded twice). Clients that can reach only some nodes (the
// host in front of a compose network) are served through any node; clients
// that reach every node follow the hint themselves. A forwarded write that
// broke in flight answers AmbiguousResultError.
//
// # Range admin and meta
//
// AdminSplit, AdminMerge, AdminRelocate, TransferLease and ChangeReplicas
// run on the range's leaseholder: the receiving node finds it (its own
// replica's lease, else its peers' RangeInfo) and forwards the RPC once;
// routing errors are retried until the deadline. After a split, merge or
// replica change the node writes the meta records (conditional, never
// lowering a record's generation), and every maintenance round each node
// repairs the records of the ranges it leases (repairMeta). RangesList
// joins meta with every node's RangeInfo. New range IDs come from
// \x03range-idgen. See docs/design/splits.md.
//
// The SQL engine reaches these paths in-process through sqlAdmin
// (sql_admin.go, the session.ClusterAdmin contract): SPLIT AT is
// AdminSplit (a key already a boundary is no error), SHOW RANGES is
// RangesList, SCATTER the placement service's Scatter, and cluster
// settings the same store as `tessera settings`.
//
// # Addresses
//
// The address book maps node IDs to RPC addresses. It is filled from the
// Join answer, from the node registry (re-read periodically), and from
// probing the --join addresses (which answer with their node ID); it is
// kept in TESSERA-NODES next to the ident so that a full-cluster restart can
// reach its peers before any range has a quorum.
//
// # Clocks
//
// Every RPC a node sends carries its HLC reading in gRPC metadata
// (kvclient.ClockMetadataKey) and every RPC it serves ratchets its clock
// with the sender's reading (and answers with its own), refusing a sender
// more than the max offset ahead.
//
// # Locks
//
// Server.mu guards the node's state machine (waiting → bootstrapping/joining
// → running) and the running Store pointer; addressBook.mu guards the map.
// Both are leaves: no RPC, Raft proposal or fsync happens under either.
// Server.joinMu (a join attempt or a Bootstrap, across their RPCs) and
// Server.promise.mu (the init promise, across its file write and one
// InitState call) are taken before Server.mu, never under it.
package server
