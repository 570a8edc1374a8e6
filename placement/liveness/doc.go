// Package liveness owns node liveness: every node heartbeats a record
// (epoch, expiration, membership, draining) under kv/keys.LivenessKey with
// conditional puts, and anyone can judge a record's state at a time.
//
// States (State): a decommissioned or decommissioning node is that,
// whatever its heartbeats; otherwise a node is live until its record's
// expiration, suspect after it (it missed a heartbeat: it keeps its
// replicas but receives nothing new), and dead once time_until_store_dead
// has passed since the expiration (its replicas are replaced).
//
// Invariants:
//   - Records change only by conditional put against the bytes read, so a
//     heartbeat never overwrites a membership change made concurrently
//     (decommission from another node), and vice versa: the loser re-reads.
//   - A node's epoch increases when it heartbeats after its record expired,
//     so "the same epoch" means "continuously live".
//   - Time comes from an injected clock (Unix nanoseconds); this package
//     starts no goroutines except in Run, which is a thin loop around
//     Heartbeat. No lock is held across a KV call.
package liveness
