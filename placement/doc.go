// Package placement owns the placement driver's decision logic: pure,
// deterministic functions from a read-only cluster Snapshot to Operators.
//
// Model (after tikv/pd): checkers (repair: replica count, dead,
// decommissioning and same-node replicas, leftover learners, leases on
// stores that may not hold them; split by size and by load; merge) and
// balancers (replica count, lease count, QPS) look at a Snapshot and emit
// Operators. An Operator is a list of Steps on one range — AddLearner,
// PromoteLearner, TransferLease, RemoveReplica, Split, Merge — with a
// plain-words Reason. A thin execution loop (not in this package) performs
// the current step through the ranges' admin commands, then feeds later
// snapshots to Operator.Check, which advances over steps the snapshot
// shows done, abandons the operator when its range changed under it
// (split, merged, gone, a target died) and times out a step that takes
// longer than its Timeout. Operators in flight are passed back in
// Snapshot.InFlight: their ranges are left alone and their pending moves
// count as done when balancing.
//
// Determinism invariants:
//   - Planner.Plan and Planner.Explain read only their arguments: the
//     snapshot (including its injected Now and settings.Values) and the
//     *rand.Rand, which only breaks ties and orders candidate ranges. Same
//     snapshot + same seed = same operators, in the same order.
//   - Maps are never iterated to make a decision; stores are visited in ID
//     order and ranges in key order.
//   - At most one operator per range per cycle; ranges in flight get none.
//
// Safety invariants of the operators produced:
//   - replicas are added (learner, then promoted) before one is removed,
//     except when both are on the same node; never two replicas of a range
//     on one node; never a target that is not Live or is above
//     max_disk_fullness; a live leaseholder's lease is moved before its
//     replica is removed; a range without a live quorum is left alone.
//   - balancing moves need a strict improvement with a margin (source keeps
//     at least what the target gets), so they cannot oscillate on a steady
//     cluster; a per-range cool-down and per-cycle and per-store rate
//     limits pace them; merges need both ranges cool (below half of
//     load_split_qps) and a merge threshold of at most a quarter of
//     range_max_bytes, so split and merge cannot undo each other.
//   - the meta range (r1) is never split or merged.
//
// Settings live in placement/settings; the simulator that exercises these
// functions for simulated hours lives in placement/sim. The package has no
// locks and starts no goroutines; a Snapshot must not be mutated while a
// decision function reads it.
package placement
