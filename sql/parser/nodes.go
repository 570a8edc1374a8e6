package parser

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// ExtStmt is one of our own statement nodes, for statements the MySQL
// grammar lacks or would read with MySQL meaning.
type ExtStmt interface {
	// StatementTag is PostgreSQL's command tag, e.g. "BEGIN", "SHOW".
	StatementTag() string
}

// TxnModes are transaction characteristics; empty fields were not given.
type TxnModes struct {
	Isolation  string // "serializable", "repeatable read", "read committed", "read uncommitted"
	ReadOnly   *bool
	Deferrable *bool
	// AsOf is AS OF SYSTEM TIME expr: a historical read-only transaction.
	AsOf ast.ExprNode `json:"-"`
}

// BeginStmt is BEGIN / START TRANSACTION [modes].
type BeginStmt struct {
	Modes TxnModes
	Start bool `json:",omitempty"` // START TRANSACTION (its own command tag)
}

// SetTransactionStmt is SET TRANSACTION modes, or SET SESSION
// CHARACTERISTICS AS TRANSACTION modes when Session is set.
type SetTransactionStmt struct {
	Modes   TxnModes
	Session bool
}

// CommitStmt is COMMIT / END.
type CommitStmt struct {
	// Chain: AND CHAIN, a new transaction with the same characteristics
	// begins at once.
	Chain bool `json:",omitempty"`
}

// RollbackStmt is ROLLBACK / ABORT, or ROLLBACK TO [SAVEPOINT] Savepoint.
type RollbackStmt struct {
	Savepoint string
	Chain     bool `json:",omitempty"` // AND CHAIN, as CommitStmt's
}

// SavepointStmt is SAVEPOINT name.
type SavepointStmt struct{ Name string }

// ReleaseStmt is RELEASE [SAVEPOINT] name.
type ReleaseStmt struct{ Name string }

// SetVarStmt is SET [SESSION|LOCAL] name {=|TO} value[, ...] | DEFAULT, and
// SET TIME ZONE value (Name "timezone"). Values are the values' text
// (strings unquoted, identifiers folded, numbers as written).
type SetVarStmt struct {
	Name    string
	Values  []string
	Default bool
	Local   bool
}

// ResetStmt is RESET name | RESET ALL.
type ResetStmt struct {
	Name string
	All  bool
}

// ShowStmt is SHOW name | SHOW ALL (TIME ZONE is "timezone",
// TRANSACTION ISOLATION LEVEL is "transaction_isolation").
type ShowStmt struct {
	Name string
	All  bool
}

// DiscardStmt is DISCARD ALL|PLANS|SEQUENCES|TEMP.
type DiscardStmt struct{ What string }

// DeallocateStmt is DEALLOCATE [PREPARE] name | ALL.
type DeallocateStmt struct {
	Name string
	All  bool
}

// CloseStmt is CLOSE name | ALL (a cursor).
type CloseStmt struct {
	Name string
	All  bool
}

// FetchStmt is FETCH or MOVE [direction] [FROM | IN] cursor.
type FetchStmt struct {
	Cursor string
	Move   bool
}

// PrepareStmt is PREPARE name [(types)] AS statement.
type PrepareStmt struct {
	Name       string
	ParamTypes []PGType
	Stmt       *Statement
}

// ExecuteStmt is EXECUTE name [(args)].
type ExecuteStmt struct {
	Name string
	Args []ast.ExprNode
}

// CopyStmt is COPY table [(cols)] FROM STDIN | TO STDOUT [options].
type CopyStmt struct {
	Schema, Table string
	Columns       []string
	// Query is COPY (query) TO STDOUT's query (QuerySQL its text); Table
	// is "" then.
	Query     *Statement `json:"-"`
	QuerySQL  string     `json:",omitempty"`
	From      bool       // FROM STDIN; otherwise TO STDOUT
	Format    string     // "text" (default), "csv" or "binary"
	Header    bool
	Delimiter *string
	Null      *string
	Quote     *string
	Escape    *string
}

// CommentStmt is COMMENT ON kind name IS 'text' | NULL. Kind is "table",
// "view", "sequence", "column" (Name is [schema.]table.column) or "type";
// other kinds are accepted as a no-op (Kind ""). Text nil is NULL.
type CommentStmt struct {
	Kind string
	Name []string
	Text *string
}

// StatementTag implements ExtStmt.
func (*CommentStmt) StatementTag() string { return "COMMENT" }

// VacuumStmt is VACUUM [options] [tables]: accepted, a no-op.
type VacuumStmt struct{ Tables []string }

// AnalyzeStmt is ANALYZE [tables]: refresh planner statistics.
type AnalyzeStmt struct{ Tables []string }

// SplitAtStmt is Tessera's ALTER TABLE t SPLIT AT VALUES (...)[, (...)],
// or ALTER INDEX [t@]i SPLIT AT ... when Index is set.
type SplitAtStmt struct {
	Schema, Table string
	Index         string
	Rows          [][]ast.ExprNode
}

// ShowRangesStmt is Tessera's SHOW RANGES FROM TABLE t, or SHOW RANGES
// FROM INDEX [t@]i when Index is set (Table may then be empty: the index
// is looked up by name in the schema).
type ShowRangesStmt struct{ Schema, Table, Index string }

// ScatterStmt is Tessera's ALTER TABLE t SCATTER (or ALTER INDEX [t@]i
// SCATTER): spread the table's ranges' replicas and leases over the nodes.
type ScatterStmt struct{ Schema, Table, Index string }

// SetClusterSettingStmt is SET CLUSTER SETTING name {=|TO} value|DEFAULT.
// Value is the value's text (strings unquoted, numbers as written).
type SetClusterSettingStmt struct {
	Name    string
	Value   string
	Default bool
}

// ShowClusterSettingStmt is SHOW CLUSTER SETTING name, or SHOW [ALL]
// CLUSTER SETTINGS when All is set.
type ShowClusterSettingStmt struct {
	Name string
	All  bool
}

// StatementTag implementations.
func (s *BeginStmt) StatementTag() string {
	if s.Start {
		return "START TRANSACTION"
	}
	return "BEGIN"
}
func (*SetTransactionStmt) StatementTag() string { return "SET" }
func (*CommitStmt) StatementTag() string         { return "COMMIT" }
func (*RollbackStmt) StatementTag() string       { return "ROLLBACK" }
func (*SavepointStmt) StatementTag() string      { return "SAVEPOINT" }
func (*ReleaseStmt) StatementTag() string        { return "RELEASE" }
func (*SetVarStmt) StatementTag() string         { return "SET" }
func (*ResetStmt) StatementTag() string          { return "RESET" }
func (*ShowStmt) StatementTag() string           { return "SHOW" }
func (s *DiscardStmt) StatementTag() string {
	if s.What == "all" {
		return "DISCARD ALL" // PostgreSQL's tag names the form
	}
	if s.What == "temporary" {
		return "DISCARD TEMP"
	}
	return "DISCARD " + strings.ToUpper(s.What)
}
func (s *DeallocateStmt) StatementTag() string {
	if s.All {
		return "DEALLOCATE ALL"
	}
	return "DEALLOCATE"
}
func (*PrepareStmt) StatementTag() string { return "PREPARE" }
func (s *CloseStmt) StatementTag() string {
	if s.All {
		return "CLOSE CURSOR ALL"
	}
	return "CLOSE CURSOR"
}
func (s *FetchStmt) StatementTag() string {
	if s.Move {
		return "MOVE"
	}
	return "FETCH"
}
func (*ExecuteStmt) StatementTag() string    { return "EXECUTE" }
func (*CopyStmt) StatementTag() string       { return "COPY" }
func (*VacuumStmt) StatementTag() string     { return "VACUUM" }
func (*AnalyzeStmt) StatementTag() string    { return "ANALYZE" }
func (*SplitAtStmt) StatementTag() string    { return "SPLIT" }
func (*ShowRangesStmt) StatementTag() string { return "SHOW" }
func (*ScatterStmt) StatementTag() string    { return "SCATTER" }
func (*SetClusterSettingStmt) StatementTag() string {
	return "SET CLUSTER SETTING"
}
func (*ShowClusterSettingStmt) StatementTag() string { return "SHOW" }

// DropIndexStmt is DROP INDEX [CONCURRENTLY] [IF EXISTS] [schema.]name[, ...]
// [CASCADE|RESTRICT] (PostgreSQL names indexes per schema, not per table).
type DropIndexStmt struct {
	Names        [][2]string // {schema, name}
	Concurrently bool
	IfExists     bool
	Cascade      bool
}

// StatementTag implements ExtStmt.
func (*DropIndexStmt) StatementTag() string { return "DROP INDEX" }

// ValidateConstraintStmt is ALTER TABLE [IF EXISTS] t VALIDATE CONSTRAINT name.
type ValidateConstraintStmt struct {
	Schema, Table, Name string
}

// StatementTag implements ExtStmt.
func (*ValidateConstraintStmt) StatementTag() string { return "ALTER TABLE" }

// CreateTypeStmt is CREATE TYPE name AS ENUM (labels).
type CreateTypeStmt struct {
	Schema, Name string
	Labels       []string
	// Fields are a composite type's (CREATE TYPE name AS (f type, ...)).
	Fields []FuncParam
}

// StatementTag implements ExtStmt.
func (*CreateTypeStmt) StatementTag() string { return "CREATE TYPE" }

// DropTypeStmt is DROP TYPE [IF EXISTS] names [CASCADE | RESTRICT], or
// DROP DOMAIN (Domain).
type DropTypeStmt struct {
	Names    [][2]string // {schema, name}
	IfExists bool
	Cascade  bool
	Domain   bool
}

// StatementTag implements ExtStmt.
func (s *DropTypeStmt) StatementTag() string {
	if s.Domain {
		return "DROP DOMAIN"
	}
	return "DROP TYPE"
}

// CreateDomainStmt is CREATE DOMAIN name AS type [DEFAULT expr] [NOT
// NULL] [CHECK (expr)] ...; the expressions are kept as text (VALUE
// names the value in a CHECK).
type CreateDomainStmt struct {
	Schema, Name string
	Type         PGType
	Default      string
	NotNull      bool
	Checks       []DomainCheck
}

// DomainCheck is one CHECK of a domain: its name ("" if unnamed) and
// expression text.
type DomainCheck struct {
	Name, Expr string
}

// StatementTag implements ExtStmt.
func (*CreateDomainStmt) StatementTag() string { return "CREATE DOMAIN" }

// CreateFunctionStmt is CREATE [OR REPLACE] FUNCTION name (args) RETURNS
// type [LANGUAGE l] [IMMUTABLE | STABLE | VOLATILE] [STRICT ...] AS 'body'
// | RETURN expr (Return: the expression's text).
type CreateFunctionStmt struct {
	Schema, Name string
	OrReplace    bool
	Args         []FuncParam
	Returns      PGType
	Language     string
	Volatility   string
	Strict       bool
	Body, Return string
	// SetOf is RETURNS SETOF type or RETURNS TABLE (Table the columns).
	SetOf bool
	Table []FuncParam
}

// FuncParam is a function parameter ("" Name: positional only); Mode is
// "" (IN), "out", "inout" or "variadic"; Default is the text of its
// DEFAULT expression ("" when it has none).
type FuncParam struct {
	Name    string
	Type    PGType
	Mode    string
	Default string
}

// StatementTag implements ExtStmt.
func (*CreateFunctionStmt) StatementTag() string { return "CREATE FUNCTION" }

// DropFunctionStmt is DROP FUNCTION [IF EXISTS] name [(types)], ...
type DropFunctionStmt struct {
	Funcs    []FuncRef
	IfExists bool
	Cascade  bool
}

// FuncRef names a function, with its argument types when HasArgs.
type FuncRef struct {
	Schema, Name string
	Args         []PGType
	HasArgs      bool
}

// StatementTag implements ExtStmt.
func (*DropFunctionStmt) StatementTag() string { return "DROP FUNCTION" }

// AlterTypeStmt is ALTER TYPE name ADD VALUE [IF NOT EXISTS] Label
// [{BEFORE | AFTER} Neighbor], or, with Rename set, ALTER TYPE name RENAME
// VALUE Rename TO Label.
type AlterTypeStmt struct {
	Schema, Name string
	Label        string
	IfNotExists  bool
	Neighbor     string
	Before       bool
	Rename       string
}

// StatementTag implements ExtStmt.
func (*AlterTypeStmt) StatementTag() string { return "ALTER TYPE" }

// TruncateStmt is TRUNCATE [TABLE] names [RESTART IDENTITY] [CASCADE].
type TruncateStmt struct {
	Tables          [][2]string // {schema, name}
	RestartIdentity bool
	Cascade         bool
}

// StatementTag implements ExtStmt.
func (*TruncateStmt) StatementTag() string { return "TRUNCATE TABLE" }

// AlterColumnStmt is ALTER TABLE [IF EXISTS] t made only of column type and
// nullability changes, which the MySQL grammar cannot express.
type AlterColumnStmt struct {
	Schema, Table string
	IfExists      bool
	Actions       []AlterColumnAction
}

// AlterColumnAction is one ALTER COLUMN action: exactly one of Type (with
// an optional USING conversion), SetNotNull, DropNotNull, SetDefault or
// DropDefault.
type AlterColumnAction struct {
	Column      string
	Type        *PGType
	Using       ast.ExprNode
	SetNotNull  bool
	DropNotNull bool
	// SetDefault is SET DEFAULT expr; DropDefault is DROP DEFAULT.
	SetDefault  ast.ExprNode
	DropDefault bool
}

// StatementTag implements ExtStmt.
func (*AlterColumnStmt) StatementTag() string { return "ALTER TABLE" }
