package conn

import (
	"context"
	"io"
)

// Optional interfaces: an engine's errors and pgwire's writers may implement
// these; callers test for them with errors.As or a type assertion.

// ErrorDetail is implemented by errors that carry more than a SQLSTATE and
// a message for the ErrorResponse.
type ErrorDetail interface {
	// Detail is the DETAIL line ("" for none).
	Detail() string
	// Hint is the HINT line ("" for none).
	Hint() string
}

// ErrorPosition is implemented by errors that point into the query text.
type ErrorPosition interface {
	// Position is the 1-based character (not byte) offset into the query
	// string of the statement that failed; 0 for none.
	Position() int
}

// CopyInWriter is implemented by the ResultWriter pgwire passes to
// ExecSimple (through begin) and Execute. An engine running
// COPY … FROM STDIN calls CopyIn once, before any other method of the
// writer, to start the data transfer.
type CopyInWriter interface {
	// CopyIn sends CopyInResponse announcing columns columns in text
	// (binary=false) or binary format and returns a reader of the client's
	// data stream: the payloads of its CopyData messages in order, io.EOF
	// after CopyDone, and an error with SQLSTATE 57014 after CopyFail. The
	// reader is valid until the statement's end. If the engine returns an
	// error before reading to io.EOF, pgwire discards the rest of the
	// client's stream. Engines finish with the tag "COPY n".
	CopyIn(columns int, binary bool) (io.Reader, error)
}

// ImplicitBatches is implemented by sessions that run several
// extended-protocol Executes as one implicit transaction, as PostgreSQL
// does for the messages before a Sync. pgwire calls BeginImplicit before
// an Execute that is not the last of its batch and EndImplicit at Sync
// (ok is false when a message of the batch failed); a batch of one
// Execute runs as an ordinary single-statement transaction.
type ImplicitBatches interface {
	// BeginImplicit opens an implicit transaction unless a transaction
	// block is open; later statements run in it until EndImplicit.
	BeginImplicit()
	// EndImplicit commits the implicit transaction (rolls it back when
	// !ok or one of its statements failed) and returns the commit's error.
	// Without one open it does nothing.
	EndImplicit(ctx context.Context, ok bool) error
}

// CopyOutWriter is implemented by the ResultWriter pgwire passes to
// ExecSimple. An engine running COPY … TO STDOUT calls CopyOut once,
// before any other method of the writer, then CopyData for each piece of
// the data stream (a row, a header or the binary trailer), and finishes
// with the tag "COPY n"; pgwire ends the stream with CopyDone.
type CopyOutWriter interface {
	// CopyOut sends CopyOutResponse announcing columns columns in text
	// (binary=false) or binary format.
	CopyOut(columns int, binary bool) error
	// CopyData sends one CopyData message; data may be reused afterwards.
	CopyData(data []byte) error
}

// BackendKeyed is implemented by sessions that answer pg_backend_pid,
// pg_cancel_backend and pg_terminate_backend: the front end gives the
// session its process ID (the one BackendKeyData sent) and a function
// that closes the connection, once, right after the session starts.
type BackendKeyed interface {
	SetBackend(pid int32, terminate func())
}
