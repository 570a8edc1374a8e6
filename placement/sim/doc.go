// Package sim is a seeded, discrete-time simulator of a cluster for the
// placement driver: stores, ranges and load are plain numbers, there is no
// Raft and no I/O. Each tick it builds a placement.Snapshot, runs the real
// decision functions (placement.Planner.Plan), and executes the operators'
// steps the way the production loop will: a step takes simulated time (a
// learner snapshot costs its bytes over the receiving store's bandwidth,
// metadata steps a fixed latency), its effect is applied to the simulated
// cluster, and operators advance only through Operator.Check on later
// snapshots, so abandonment and timeouts are exercised too.
//
// Determinism: all randomness comes from one *rand.Rand seeded by
// Config.Seed, time from the simulated clock; the same config and events
// give the same run. The simulator is single-threaded and not safe for
// concurrent use.
//
// It records what a run did (replica moves, bytes moved, lease transfers,
// splits, merges, abandoned operators) and how often a range came back to
// a store it had left (thrashing).
package sim
