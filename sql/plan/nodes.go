package plan

import (
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// Col is an output column of a node.
type Col struct {
	Name  string
	T     *types.T
	Table string // the FROM alias that qualifies it, "" if none
	// Schema is the schema of an unaliased relation in FROM, which a
	// schema-qualified column reference (s.t.c) names; "" otherwise.
	Schema string
	Hidden bool // not expanded by *
	// TableOID / Attr identify a base table column (RowDescription).
	TableOID uint32
	Attr     int16
	// RegProc: a catalog's regproc column (an OID), printed as the
	// function's name by a statement's output.
	RegProc bool
}

// Node is a relational plan node.
type Node interface{ Columns() []Col }

// Span is a key span constraint on an index: equality values for a
// prefix of the index columns, then optionally bounds on the next one.
type Span struct {
	Eq       []Expr
	Lo, Hi   Expr // nil = unbounded
	LoI, HiI bool
	// LoRest and HiRest continue Lo and Hi over the index columns after
	// the bounded one: a row bound such as (a, b) > (1, 2) is the key
	// bound (1, 2) on an index over (a, b). LoI and HiI then say whether
	// the whole row bound is inclusive.
	LoRest, HiRest []Expr
}

// Scan reads a table through one index.
type Scan struct {
	Table *catalog.Descriptor
	Codec *catalog.RowCodec
	// Index is nil for the primary index.
	Index *catalog.Index
	// Spans: nil = the whole index; otherwise the union of the spans
	// (points of an IN list are several spans).
	Spans []Span
	// Reverse scans backwards (ORDER BY DESC on the index order).
	Reverse bool
	// Limit: the scan returns at most this many rows (0 = all).
	Limit int64
	// BatchHint: about this many rows are needed (a limit above a
	// filter); it sizes the first KV batch, never stops the scan.
	BatchHint int64
	// Locking is SELECT ... FOR UPDATE / FOR SHARE.
	Locking bool
	// Shared (with Locking): FOR SHARE / FOR KEY SHARE, a shared lock.
	Shared bool
	// Wait (with Locking): what the scan does on a row another
	// transaction holds locked: wait (FOR UPDATE / SHARE), fail at once
	// with 55P03 (NOWAIT), or leave the row out (SKIP LOCKED).
	Wait LockWait
	Cols []Col
	// Needed (parallel to Table.Columns; nil = all) marks the columns the
	// plan above reads: the scan may leave the others NULL.
	Needed []bool
	// Partial are the table's public partial indexes with their bound
	// predicates (chooseIndex reads one when the filter implies its
	// predicate).
	Partial []PartialIndex
}

// Values produces literal rows.
type Values struct {
	Rows [][]Expr
	Cols []Col
}

// Filter keeps rows where Cond is true.
type Filter struct {
	In   Node
	Cond Expr
}

// Project computes expressions.
type Project struct {
	In    Node
	Exprs []Expr
	Cols  []Col
}

// JoinKind is the kind of join.
type JoinKind uint8

// Join kinds.
const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	SemiJoin
	AntiJoin
)

// Join joins L and R; On is over the concatenated row (it keeps the key
// equalities too). LeftKeys / RightKeys are equality columns (same key
// encoding) for a hash join. Merge, if set, says both inputs come ordered
// on it, so the join merges them instead of hashing R.
type Join struct {
	Kind                JoinKind
	L, R                Node
	On                  Expr
	LeftKeys, RightKeys []int
	Merge               *MergeSpec
	// NullAware (an AntiJoin on one key, x NOT IN (subquery)): no left
	// row passes when a right key is NULL, and a left row with a NULL key
	// passes only when R is empty.
	NullAware bool
}

// MergeSpec is a merge join's ordering: L is ordered on LeftCols and R on
// RightCols (parallel, equal-compatible types), each column ascending or
// descending as Desc says (the same on both sides). NULL keys may appear
// anywhere; they never match.
type MergeSpec struct {
	LeftCols, RightCols []int
	Desc                []bool
}

// Apply runs R once per row of L with that row pushed as the outer row
// (LATERAL); R's OuterRef Level 1 refers to L's row.
type Apply struct {
	Kind JoinKind // InnerJoin or LeftJoin
	L, R Node
	// On filters the pairs (over the concatenated row); nil = all.
	On Expr
}

// AggCall is one aggregate of an Agg node.
type AggCall struct {
	Ov       *sem.FuncOverload
	Args     []Expr
	Distinct bool
	// OrderBy sorts the group's input rows first (array_agg(x ORDER BY y)).
	OrderBy []SortKeyExpr
	// Filter, when set, admits only the rows where it is true (FILTER
	// (WHERE ...)).
	Filter Expr
}

// SortKeyExpr is an ORDER BY expression inside an aggregate.
type SortKeyExpr struct {
	E          Expr
	Desc       bool
	NullsFirst bool
}

// Agg groups by Groups and computes Aggs; its rows are the group values
// followed by the aggregate results. With no Groups it yields exactly one
// row.
type Agg struct {
	In     Node
	Groups []Expr
	Aggs   []AggCall
	Cols   []Col
	// Total: the groups are all constant (the grouping set ()), so the
	// result is one row even for no input, as without GROUP BY.
	Total bool
}

// SortKey is one ORDER BY column.
type SortKey struct {
	Idx        int
	Desc       bool
	NullsFirst bool
}

// Sort orders rows.
type Sort struct {
	In   Node
	Keys []SortKey
}

// Limit applies LIMIT/OFFSET (nil = none).
type Limit struct {
	In            Node
	Count, Offset Expr
}

// Distinct removes duplicate rows, comparing the columns On (nil = all):
// DISTINCT ON keeps the first row of each group.
type Distinct struct {
	In Node
	On []int
}

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind uint8

// Set operations.
const (
	Union SetOpKind = iota
	Intersect
	Except
)

// SetOp combines two inputs of the same column types.
type SetOp struct {
	Op   SetOpKind
	All  bool
	L, R Node
	Cols []Col
}

// WindowCall is one window function.
type WindowCall struct {
	Ov          *sem.FuncOverload
	Args        []Expr
	PartitionBy []Expr
	OrderBy     []SortKeyExpr
	// Frame: rows mode or range mode, bounds as offsets (nil = unbounded
	// in that direction); default frame is RANGE UNBOUNDED PRECEDING to
	// CURRENT ROW with ORDER BY, the whole partition without.
	Frame *Frame
}

// Frame is a window frame.
type Frame struct {
	Rows bool
	// Groups: GROUPS mode (offsets count peer groups). Neither Rows nor
	// Groups: RANGE mode, whose offsets are values of the one ORDER BY
	// key's type (int or numeric) added to or taken from the row's key.
	Groups bool
	// StartKind/EndKind: 0 unbounded preceding, 1 offset preceding, 2 current
	// row, 3 offset following, 4 unbounded following.
	StartKind, EndKind int
	StartOff, EndOff   Expr
}

// Window appends the window function results to each input row.
type Window struct {
	In    Node
	Calls []WindowCall
	Cols  []Col
}

// Generate is a set-returning function in FROM.
type Generate struct {
	Ov         *sem.FuncOverload
	Args       []Expr
	Ordinality bool
	Cols       []Col
}

// Zip runs several set-returning functions in lockstep (those of one
// select list, as PostgreSQL 10+): row i holds each function's i-th value,
// NULL for a function already exhausted, until all are.
type Zip struct {
	Gens []*Generate
	Cols []Col
}

// CTERef reads a WITH query's materialised rows.
type CTERef struct {
	CTE  *CTE
	Cols []Col
}

// CTE is a WITH query, materialised once per statement.
type CTE struct {
	Name string
	Plan Node
	// Recursive: Plan is the non-recursive term, Rec the recursive one
	// (reading the working table through CTERef with Working set).
	Rec      Node
	UnionAll bool
	ID       int
}

// WorkingRef reads the working table of a recursive CTE.
type WorkingRef struct {
	CTE  *CTE
	Cols []Col
}

// Insert writes rows of Input into Table: Input column i goes to table
// column Targets[i]; the other columns take their defaults (Defaults,
// indexed by column ordinal, nil = NULL).
type Insert struct {
	Table      *catalog.Descriptor
	Codec      *catalog.RowCodec
	Input      Node
	Targets    []int
	Defaults   []Expr
	OnConflict *OnConflict
	Returning  []Expr // over the table row
	RetCols    []Col
	FKOut      []*FKOut // foreign keys the written rows must satisfy
	// ReturnsXmax: RETURNING reads the system column xmax, one more
	// column after the table row (0 inserted, the txid if updated).
	ReturnsXmax bool
}

// OnConflict is INSERT ... ON CONFLICT.
type OnConflict struct {
	// Index is the unique index whose conflict is handled (nil: any).
	Index     *catalog.Index
	DoNothing bool
	// Set assigns table column ordinals from expressions over the
	// existing row followed by the excluded row.
	Set   map[int]Expr
	Where Expr
}

// Update changes rows produced by Input (its first len(Columns) columns
// are the table row, then any FROM columns); Set maps column ordinals to
// new values over Input's row.
type Update struct {
	Table     *catalog.Descriptor
	Codec     *catalog.RowCodec
	Input     Node
	Set       map[int]Expr
	Returning []Expr // over the new table row followed by the extra columns
	RetCols   []Col
	FKOut     []*FKOut // foreign keys of the table
	FKIn      []*FKIn  // foreign keys referencing it
}

// Delete removes rows produced by Input (table row first).
type Delete struct {
	Table     *catalog.Descriptor
	Codec     *catalog.RowCodec
	Input     Node
	Returning []Expr
	RetCols   []Col
	FKIn      []*FKIn // foreign keys referencing the table
}

// Columns implementations.
func (n *Scan) Columns() []Col       { return n.Cols }
func (n *Values) Columns() []Col     { return n.Cols }
func (n *Filter) Columns() []Col     { return n.In.Columns() }
func (n *Project) Columns() []Col    { return n.Cols }
func (n *Agg) Columns() []Col        { return n.Cols }
func (n *Sort) Columns() []Col       { return n.In.Columns() }
func (n *Limit) Columns() []Col      { return n.In.Columns() }
func (n *Distinct) Columns() []Col   { return n.In.Columns() }
func (n *SetOp) Columns() []Col      { return n.Cols }
func (n *Window) Columns() []Col     { return n.Cols }
func (n *Generate) Columns() []Col   { return n.Cols }
func (n *Zip) Columns() []Col        { return n.Cols }
func (n *CTERef) Columns() []Col     { return n.Cols }
func (n *WorkingRef) Columns() []Col { return n.Cols }
func (n *Insert) Columns() []Col     { return n.RetCols }
func (n *Update) Columns() []Col     { return n.RetCols }
func (n *Delete) Columns() []Col     { return n.RetCols }

// Columns of a join: both sides (semi/anti: the left only).
func (n *Join) Columns() []Col {
	if n.Kind == SemiJoin || n.Kind == AntiJoin {
		return n.L.Columns()
	}
	return append(append([]Col{}, n.L.Columns()...), n.R.Columns()...)
}

// Columns of an apply: both sides.
func (n *Apply) Columns() []Col {
	return append(append([]Col{}, n.L.Columns()...), n.R.Columns()...)
}
