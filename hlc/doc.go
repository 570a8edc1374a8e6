// Package hlc implements hybrid logical clocks and the Timestamp type that
// orders every MVCC version and transaction in Tessera.
//
// Invariants:
//   - Timestamps are totally ordered by (WallTime, Logical); the zero value
//     means "no timestamp".
//   - The binary encoding (AppendEncoded) sorts bytewise in timestamp order.
//   - hlc imports nothing from the rest of Tessera.
package hlc
