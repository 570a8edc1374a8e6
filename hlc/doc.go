// Package hlc implements hybrid logical clocks and the Timestamp type that
// orders every MVCC version and transaction in Tessera.
//
// A Clock combines an injected physical clock (PhysicalClock; the system
// wall clock in production, a ManualClock in tests) with a logical counter.
// Every RPC carries the sender's Clock.Now and the receiver calls Update, so
// causally related events get increasing timestamps across nodes.
//
// Invariants:
//   - Timestamps are totally ordered by (WallTime, Logical); the zero value
//     means "no timestamp".
//   - The binary encoding (AppendEncoded) sorts bytewise in timestamp order.
//   - Clock.Now is strictly increasing, even when the physical clock jumps
//     backwards, and above every timestamp passed to a successful Update.
//     A logical counter at its maximum carries into the wall time.
//   - Update refuses (with *ClockOffsetError, clock unchanged) a remote
//     timestamp more than MaxOffset ahead of the local physical clock.
//   - Clock and ManualClock are safe for concurrent use; Clock.mu is a leaf
//     lock (nothing is called while holding it except the arithmetic).
//   - hlc imports nothing from the rest of Tessera.
package hlc
