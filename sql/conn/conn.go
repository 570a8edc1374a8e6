package conn

import (
	"context"

	"github.com/tesseradb/tessera/sql/types"
)

// Engine is the SQL layer of one node as the wire protocol sees it. It is
// safe for concurrent use; each client connection gets its own Session.
type Engine interface {
	// NewSession starts a session for an authenticated client. It fails
	// with a *types.Error (SQLSTATE 3D000) when the database does not exist.
	NewSession(ctx context.Context, args SessionArgs) (Session, error)
}

// SessionArgs are the startup parameters of a connection.
type SessionArgs struct {
	User     string
	Database string
	// Options holds the remaining startup parameters (application_name,
	// DateStyle, TimeZone, options …), to be applied as session variables.
	Options map[string]string
	// Statements, when set, holds the protocol-level prepared statements
	// (Parse): they share SQL DEALLOCATE's name space, as in PostgreSQL.
	Statements ProtocolStatements
}

// ProtocolStatements is the front end's table of named prepared
// statements, called on the connection's goroutine.
type ProtocolStatements interface {
	// Drop removes the named statement, reporting whether it existed.
	Drop(name string) bool
	// DropAll removes them all.
	DropAll()
}

// Column describes one result column (RowDescription).
type Column struct {
	Name string
	Type *types.T
	// TableOID and ColumnAttr identify the source column when the result
	// column is a plain column reference (0 otherwise).
	TableOID   uint32
	ColumnAttr int16
}

// Notice is a NoticeResponse to send to the client before the result.
type Notice struct {
	Severity string // "NOTICE", "WARNING"
	Code     string // SQLSTATE
	Message  string
}

// ResultWriter receives the results of one statement. The engine calls
// Columns at most once before any Row (never for statements without rows),
// then Row per row. Row must not retain the slice.
type ResultWriter interface {
	Columns(cols []Column) error
	Row(row []types.Datum) error
	Notice(n Notice) error
}

// Session is one client connection's state: session variables, prepared
// statements, and the open transaction. Methods are called from one
// goroutine at a time, except Cancel, which may be called concurrently.
type Session interface {
	// ExecSimple runs a simple-protocol query string, which may hold several
	// statements separated by semicolons. For each statement it calls
	// begin, writes that statement's results to the writer begin returned,
	// and then calls end with the command tag ("SELECT 3", "INSERT 0 1",
	// "CREATE TABLE" …). It stops at the first error and returns it; an
	// empty query string calls nothing and returns ErrEmptyQuery.
	ExecSimple(ctx context.Context, query string,
		begin func() ResultWriter, end func(tag string) error) error

	// Prepare parses and plans one statement. paramTypes are the OIDs the
	// client specified (0 or missing = infer from context).
	Prepare(ctx context.Context, query string, paramTypes []types.OID) (Prepared, error)

	// Execute runs a prepared statement with bound parameters (already
	// decoded to the types Prepared.ParamTypes reported; NULL is
	// types.Null). maxRows > 0 limits the number of rows written; the
	// returned Portal is non-nil when rows remain, and Resume continues it.
	Execute(ctx context.Context, p Prepared, params []types.Datum, w ResultWriter, maxRows int) (tag string, rest Portal, err error)

	// TxnStatus is the ReadyForQuery status: 'I' idle, 'T' in a
	// transaction block, 'E' in a failed transaction block.
	TxnStatus() byte

	// Var returns a session variable as SHOW prints it (for
	// ParameterStatus: server_version, DateStyle, TimeZone, …).
	Var(name string) (string, bool)

	// Cancel interrupts the statement running now, if any; it fails with
	// SQLSTATE 57014.
	Cancel()

	// Close rolls back an open transaction and frees the session.
	Close()
}

// Prepared is a parsed and planned statement.
type Prepared interface {
	// ParamTypes are the parameter types, inferred where the client left
	// them unspecified (TEXT when nothing constrains them).
	ParamTypes() []*types.T
	// Columns are the result columns; nil for statements without rows.
	Columns() []Column
}

// Portal is a partially executed statement (Execute with a row limit).
type Portal interface {
	// Resume writes up to maxRows more rows (0 = all); rest is nil when the
	// portal is exhausted, and tag is then the final command tag.
	Resume(ctx context.Context, w ResultWriter, maxRows int) (tag string, rest Portal, err error)
	// Close releases the portal.
	Close()
}

// ErrEmptyQuery is returned by ExecSimple for a query with no statements
// (the wire protocol answers EmptyQueryResponse).
var ErrEmptyQuery = emptyQueryError{}

type emptyQueryError struct{}

func (emptyQueryError) Error() string { return "empty query" }
