// Package driver is the placement driver's thin production shell around
// the pure decision functions of package placement: it runs on every
// node, and the node holding the placement lease (kv/keys.PlacementLeaseKey,
// renewed by conditional put; Lease) builds a Snapshot from node liveness
// (placement/liveness) and the stores' reports (placementpb.StoreStatus,
// gathered by the node over the Placement RPC service), runs the Planner,
// and executes its operators step by step (Executor) through a
// StepRunner — in production AdminRunner, which sends kvpb.Admin
// ChangeReplicas and TransferLease to the range's leaseholder node, and
// AdminSplit/AdminMerge through a SplitMerger. The package never imports
// ranges/: it reaches replicas only through those RPCs.
//
// Every cycle, on every node, also reloads the cluster settings stored
// under kv/keys.SettingsPrefix into the node's settings.Registry
// (LoadSettings); StoreSetting validates and writes one.
//
// Execution: each step gets a context bounded by its Timeout; an operator
// is dropped when Operator.Check on a later snapshot says done, abandoned
// (its range changed: split, merged, replicas moved, a target died) or
// timed out, or when its step failed. Every start and every outcome is
// logged with the operator's reason. An operator whose lease holder lost
// the lease is abandoned when the new leader plans afresh (the new leader
// does not know it; its half-done changes — a learner left behind — are
// repaired by the checkers).
//
// Locks: Driver.mu (history, rng, last snapshot) and Executor.mu (the
// operator table) are leaves; no lock is held across a KV call, an RPC or
// a step. Exclusivity of the lease: see Lease.
package driver
