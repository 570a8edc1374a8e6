// Package conn is the connection-level API of the SQL layer: what the wire
// protocol (pgwire/) calls and the SQL engine (sql/…) implements. It holds
// only interfaces and plain types, so pgwire and the engine can be built and
// tested separately.
//
// Invariants:
//   - Values cross this boundary as sql/types Datums with their *types.T;
//     encoding to the wire's text or binary format is pgwire's job.
//   - Every error an Engine, Session or Portal returns that the client
//     should see implements SQLState() string (a *types.Error or an error
//     of the engine); anything else is reported as XX000 internal_error.
//   - A statement's error never ends the session: after an error the
//     session is usable (in state 'E' inside a transaction block).
package conn
