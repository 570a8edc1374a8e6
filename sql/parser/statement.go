package parser

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
)

// PGType is a PostgreSQL type name as written (canonical name, modifiers,
// array flag), e.g. {Name: "numeric", Mods: [10 2]} for NUMERIC(10,2).
type PGType = pgdialect.Type

// Statement is one parsed statement.
type Statement struct {
	// AST is the TiDB tree after our rewrites, or nil when Ext is set.
	AST ast.StmtNode
	// Ext is one of our own statement nodes (see nodes.go) for statements
	// the MySQL grammar lacks; nil when AST is set. Exactly one is non-nil.
	Ext ExtStmt
	// SQL is the original text of this statement (without the ';').
	SQL string
	// NumParams is the highest $n used (PostgreSQL's parameter count).
	NumParams int
	// Params lists each $n occurrence in text order.
	Params []ParamRef
	// Returning is the RETURNING list of INSERT/UPDATE/DELETE, nil if none.
	Returning []*ast.SelectField
	// DMLFrom is UPDATE's FROM list or DELETE's USING list (the tables
	// joined to the target), nil if none.
	DMLFrom *ast.Join
	// OnConflict is INSERT's ON CONFLICT clause, nil if none.
	OnConflict *OnConflict
	// CastTypes gives the PostgreSQL type of every cast in AST (x::t,
	// CAST(x AS t), typed literals such as INTERVAL '1 day').
	CastTypes map[*ast.FuncCastExpr]PGType
	// ColumnTypes gives the PostgreSQL type of every column definition.
	ColumnTypes map[*ast.ColumnDef]PGType
	// NullsOrder gives NULLS FIRST/LAST of the ORDER BY items that had one.
	NullsOrder map[*ast.ByItem]NullsOrder
	// FrameExclude gives the EXCLUDE option of the window frames that had
	// one other than NO OTHERS. FrameExcludeLost is set when a frame's
	// option could not be matched to its clause (the planner refuses it).
	FrameExclude     map[*ast.FrameClause]FrameExclusion
	FrameExcludeLost bool
	// AggOrderBy gives the ORDER BY items written inside an aggregate call,
	// e.g. array_agg(x ORDER BY y DESC), keyed by the call node
	// (*ast.AggregateFuncExpr or *ast.FuncCallExpr).
	AggOrderBy map[ast.ExprNode][]*ast.ByItem
	// AggDistinct marks the calls agg(DISTINCT ...) of aggregates that are
	// plain function calls in the tree (array_agg, string_agg, ...).
	AggDistinct map[*ast.FuncCallExpr]bool
	// ColumnFKNames are the names of the column REFERENCES constraints of
	// CREATE/ALTER TABLE, in text order ("" when unnamed): the grammar
	// keeps no name for a column constraint.
	ColumnFKNames []string
	// DropConstraintIfExists names the constraints of ALTER TABLE ... DROP
	// CONSTRAINT IF EXISTS name (the grammar lacks IF EXISTS there).
	DropConstraintIfExists []string
	// LikeOptions are the options of CREATE TABLE t (LIKE s ...) in text
	// order, lower case: "including defaults", "excluding indexes", ...
	LikeOptions []string
	// Overriding is INSERT ... OVERRIDING SYSTEM VALUE ("system": values
	// for GENERATED ALWAYS identity columns are taken) or USER VALUE
	// ("user": values given for identity columns are replaced by their
	// defaults); "" otherwise.
	Overriding string
	// GroupingSets are the grouping sets of a GROUP BY written with
	// ROLLUP, CUBE or GROUPING SETS: indices into its Items (the
	// deduplicated expressions), one list per set.
	GroupingSets map[*ast.GroupByClause][][]int
	// DistinctOn is SELECT DISTINCT ON (exprs) of the outermost SELECT;
	// DistinctOnOf has that of every SELECT (subqueries included).
	DistinctOn   []ast.ExprNode
	DistinctOnOf map[*ast.SelectStmt][]ast.ExprNode
	// Index holds what CREATE INDEX says beyond the tree (CONCURRENTLY,
	// USING method, INCLUDE, a name chosen by PostgreSQL's rule); nil for
	// other statements.
	Index *IndexExtras
	// Temp marks CREATE TEMP/TEMPORARY TABLE; OnCommit is its ON COMMIT
	// action ("preserve", "delete" or "drop"; "" when none was given).
	Temp     bool
	OnCommit string
	// NotValid marks ALTER TABLE ... ADD CONSTRAINT ... NOT VALID (the
	// words are cut).
	NotValid bool
	// Identity marks the GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY columns
	// ("always" or "by default"); their tree carries AUTO_INCREMENT.
	Identity map[*ast.ColumnDef]string
	// AsOf is the AS OF SYSTEM TIME expression of a query (written after
	// its FROM clause, CockroachDB's syntax), nil if none. The clause is
	// cut out of the tree.
	AsOf ast.ExprNode
	// Notices are messages for the client (clauses accepted and ignored).
	Notices []string
	// DataCTEs are the data-modifying WITH queries (WITH x AS (INSERT |
	// UPDATE | DELETE ... RETURNING ...)), parsed apart and cut from AST,
	// in text order.
	DataCTEs []DataCTE
	// DMLWith is the WITH list of WITH ... INSERT | UPDATE | DELETE,
	// parsed apart as the query WITH ... SELECT 1 (its AST a
	// *ast.SelectStmt whose With the DML's binder pushes); nil otherwise.
	DMLWith *Statement
}

// DataCTE is one data-modifying WITH query: Stmt (whose AST is an INSERT,
// UPDATE or DELETE) runs exactly once, and the statement reads its
// RETURNING rows as the table Name, with columns Cols if given.
type DataCTE struct {
	Name string
	Cols []string
	Stmt *Statement
}

// ParamRef is one occurrence of $Number at 1-based character Position of
// the original statement text.
type ParamRef struct {
	Number   int
	Position int
}

// OnConflict is INSERT ... ON CONFLICT.
type OnConflict struct {
	// Columns is the conflict target (cols); empty when Constraint is set
	// or no target was given.
	Columns []string
	// IndexWhere is the target's WHERE (the predicate of the partial
	// unique index to infer), nil if none.
	IndexWhere ast.ExprNode
	// Constraint is ON CONSTRAINT name.
	Constraint string
	// DoNothing is DO NOTHING; otherwise DO UPDATE with Set and Where.
	DoNothing bool
	// Set are the assignments of DO UPDATE SET; EXCLUDED.col refers to the
	// row proposed for insertion.
	Set []*ast.Assignment
	// Where is DO UPDATE ... WHERE, nil if none.
	Where ast.ExprNode
}

// FrameExclusion is a window frame's EXCLUDE option.
type FrameExclusion uint8

// The EXCLUDE options other than NO OTHERS.
const (
	ExcludeCurrentRow FrameExclusion = FrameExclusion(pgdialect.FrameExcludeCurrentRow)
	ExcludeGroup      FrameExclusion = FrameExclusion(pgdialect.FrameExcludeGroup)
	ExcludeTies       FrameExclusion = FrameExclusion(pgdialect.FrameExcludeTies)
)

// NullsOrder is an explicit NULLS FIRST or NULLS LAST.
type NullsOrder uint8

// NULLS FIRST / NULLS LAST.
const (
	NullsFirst NullsOrder = 1
	NullsLast  NullsOrder = 2
)
