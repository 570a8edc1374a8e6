// Package pgerr builds the SQL layer's errors: *types.Error values with a
// PostgreSQL SQLSTATE, and the codes the catalog, planner, executor and
// session use. It holds no state.
package pgerr

import (
	"errors"
	"fmt"

	"github.com/tesseradb/tessera/sql/types"
)

// SQLSTATE codes.
const (
	Syntax                  = "42601"
	InvalidName             = "42602"
	UndefinedTable          = "42P01"
	UndefinedColumn         = "42703"
	UndefinedObject         = "42704"
	UndefinedFunction       = "42883"
	DuplicateTable          = "42P07"
	DuplicateObject         = "42710"
	DuplicateColumn         = "42701"
	DuplicateDatabase       = "42P04"
	DuplicateSchema         = "42P06"
	InvalidCatalogName      = "3D000"
	InvalidSchemaName       = "3F000"
	AmbiguousColumn         = "42702"
	AmbiguousAlias          = "42712" // duplicate_alias: FROM t, t
	AmbiguousTableRef       = "42P09" // ambiguous_alias: t.c with two tables t in FROM
	Grouping                = "42803"
	DatatypeMismatch        = "42804"
	WrongObjectType         = "42809"
	InvalidColumnRef        = "42P10"
	UniqueViolation         = "23505"
	NotNullViolation        = "23502"
	CardinalityViolation    = "21000"
	WindowingError          = "42P20"
	CheckViolation          = "23514"
	ForeignKeyViolation     = "23503"
	RestrictViolation       = "23001"
	InvalidForeignKey       = "42830"
	GeneratedAlways         = "428C9"
	InvalidObjectDefinition = "42P17"
	FeatureNotSupported     = "0A000"
	// LockNotAvailable: SELECT ... NOWAIT met a row locked by another
	// transaction.
	LockNotAvailable      = "55P03"
	SerializationFailure  = "40001"
	InFailedTxn           = "25P02"
	ActiveTxn             = "25001"
	NoActiveTxn           = "25P01"
	ReadOnlyTxn           = "25006"
	OutOfMemory           = "53200"
	QueryCanceled         = "57014"
	Internal              = "XX000"
	InvalidParameter      = "22023"
	DependentObjects      = "2BP01"
	UndefinedParameter    = "42P02"
	InvalidSavepoint      = "3B001"
	InvalidCursorName     = "34000"
	InvalidStatementName  = "26000"
	ProgramLimit          = "54000"
	InvalidFunctionDef    = "42P13"
	DuplicateFunction     = "42723"
	AmbiguousFunction     = "42725"
	InvalidRowCount       = "2201W"
	InvalidOffset         = "2201X"
	SequenceLimit         = "2200H"
	ObjectInUse           = "55006"
	InvalidTableDef       = "42P16"
	ReservedName          = "42939"
	InvalidGrantOperation = "0LP01"
	NumericOutOfRange     = "22003"
	InvalidText           = "22P02"
	// SnapshotTooOld (class 72, snapshot failure; PostgreSQL raises it when
	// old_snapshot_threshold let a snapshot's data be vacuumed): a read at a
	// timestamp whose history MVCC GC already removed (AS OF SYSTEM TIME
	// below the GC threshold). Not retryable: the same timestamp fails again.
	SnapshotTooOld = "72000"
	// StatementCompletionUnknown: the commit was sent but its outcome is
	// unknown (it may have committed); the client must check.
	StatementCompletionUnknown = "40003"
)

// New returns an error with code and a formatted message.
func New(code, format string, args ...any) *types.Error {
	return &types.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Code returns err's SQLSTATE, or "" if it has none.
func Code(err error) string {
	var s interface{ SQLState() string }
	if errors.As(err, &s) {
		return s.SQLState()
	}
	return ""
}

// Positioned is an error that points into the query text (1-based
// character position), e.g. a syntax error.
type Positioned struct {
	Code, Message string
	Pos           int
}

func (e *Positioned) Error() string { return e.Message }

// SQLState returns the SQLSTATE.
func (e *Positioned) SQLState() string { return e.Code }

// Position is the 1-based character position in the query.
func (e *Positioned) Position() int { return e.Pos }
