// Package pgwire is Tessera's PostgreSQL wire protocol server (protocol
// 3.0, through github.com/jackc/pgx/v5/pgproto3's Backend). It owns the
// connection: startup (SSLRequest answered 'N' or TLS, GSSEncRequest 'N',
// NegotiateProtocolVersion for 3.2 and _pq_ options), authentication
// (trust without a UserStore, SCRAM-SHA-256 with one), BackendKeyData and
// CancelRequest, ParameterStatus, the simple and extended query
// protocols, COPY FROM STDIN's wire side, and the text and binary formats
// of values (through sql/types). SQL itself is the conn.Engine's job
// (sql/conn); pgwire never parses SQL.
//
// Invariants:
//   - One goroutine per connection reads and writes it; only Cancel
//     reaches a session from another goroutine (a CancelRequest on a new
//     connection, matched by process ID and a random 32-bit secret compared
//     in constant time).
//   - A received pgproto3 message is valid only until the next Receive:
//     whatever outlives it (statement text, parameters, format codes) is
//     copied or decoded first.
//   - A malformed, unexpected or oversized (Config.MaxMessageSize, 64 MiB
//     by default) message ends that connection with a FATAL 08P01
//     ErrorResponse; nothing a client sends panics the server or affects
//     another connection.
//   - After an error in the extended protocol every message up to Sync is
//     discarded; Sync always answers ReadyForQuery with the session's
//     status (I, T or E). Portals are closed at Sync when no transaction
//     is open (they do not outlive their transaction, as in PostgreSQL).
//   - Named statements (Parse) share SQL DEALLOCATE's name space: the
//     session drops them through conn.SessionArgs.Statements, on the
//     connection's goroutine.
//   - Results are buffered and written at ReadyForQuery, Flush, the end
//     of a COPY request, or every 64 KiB of rows.
//   - Errors reach the client with their SQLSTATE (SQLState()), detail and
//     hint (conn.ErrorDetail) and position (conn.ErrorPosition); an error
//     without SQLSTATE is XX000.
//
// Locks: Server.mu guards the listener set and the process-ID table;
// serverConn.mu guards the session pointer Cancel reads. Neither is held
// while calling the engine or another lock.
package pgwire
