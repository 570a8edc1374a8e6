package sem

import (
	"math/rand/v2"
	"time"

	"github.com/tesseradb/tessera/sql/types"
)

// EvalContext is what evaluation may read from the session and statement.
// One per session (or statement); not safe for concurrent use.
type EvalContext struct {
	// TxnTimestamp is now() / CURRENT_TIMESTAMP (transaction start);
	// StmtTimestamp is statement_timestamp(). Zero values mean time.Now()
	// at the call.
	TxnTimestamp, StmtTimestamp time.Time
	// Location is the session TimeZone (nil: UTC).
	Location *time.Location
	// Database, Schema and User answer current_database(),
	// current_schema() and current_user / session_user.
	Database, Schema, User string
	// ServerVersion is what version() returns (empty: a default).
	ServerVersion string
	// Rand is random()'s source (nil: a process-wide source). setseed is
	// not supported.
	Rand *rand.Rand
	// Setting answers current_setting(name): the session variable's value
	// (nil: none known).
	Setting func(name string) (string, bool)
	// SetSetting is set_config(name, value, is_local): SET [LOCAL] name
	// TO value in the session (nil: not available).
	SetSetting func(name, value string, local bool) error
	// Backend is the session's process, transaction and advisory locks
	// (funcs_backend.go; nil: not available).
	Backend Backend
}

// Now is the transaction's start time (now()), the clock's when unset:
// what the date/time inputs 'now' and 'today' stand for.
func (c *EvalContext) Now() time.Time { return c.txnTime() }

// Loc is the session time zone, UTC when unset.
func (c *EvalContext) Loc() *time.Location {
	if c == nil || c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// Unknown is the type of an untyped string literal ('abc' with no cast)
// and of a bare NULL, as PostgreSQL's "unknown" pseudo-type. Pass it as an
// argument type to ResolveBinary/ResolveUnary/ResolveFunc/CommonType; the
// value of such an argument is a types.DString holding the literal's text
// (or types.Null), and Coerce turns it into the resolved type with the
// type's input function.
var Unknown = &types.T{Family: types.UnknownFamily}

// Volatility is PostgreSQL's provolatile.
type Volatility uint8

// Volatilities.
const (
	Immutable Volatility = iota // same inputs, same result, always
	Stable                      // fixed within a statement (now(), session settings)
	Volatile                    // random(), gen_random_uuid()
)

// BinaryOp is a binary operator.
type BinaryOp uint8

// Binary operators. Comparison operators return BOOL.
const (
	OpPlus          BinaryOp = iota // +
	OpMinus                         // -
	OpMult                          // *
	OpDiv                           // /
	OpMod                           // %
	OpPow                           // ^
	OpConcat                        // ||
	OpEQ                            // =
	OpNE                            // <> and !=
	OpLT                            // <
	OpLE                            // <=
	OpGT                            // >
	OpGE                            // >=
	OpIsDistinct                    // IS DISTINCT FROM (CalledOnNull)
	OpIsNotDistinct                 // IS NOT DISTINCT FROM (CalledOnNull)
	OpLike                          // LIKE, ~~
	OpNotLike                       // NOT LIKE, !~~
	OpILike                         // ILIKE, ~~*
	OpNotILike                      // NOT ILIKE, !~~*
	OpRegMatch                      // ~
	OpNotRegMatch                   // !~
	OpRegIMatch                     // ~*
	OpNotRegIMatch                  // !~*
	OpBitAnd                        // &
	OpBitOr                         // |
	OpBitXor                        // #
	OpLShift                        // <<
	OpRShift                        // >>
	OpJSONGet                       // ->  (jsonb -> text key / int index)
	OpJSONGetText                   // ->> (as text)
	OpJSONPath                      // #>  (jsonb #> text[])
	OpJSONPathText                  // #>> (as text)
	OpContains                      // @>  (jsonb, arrays)
	OpContainedBy                   // <@
	OpJSONExists                    // ?   (jsonb ? text)
	OpJSONExistsAny                 // ?|  (jsonb ?| text[])
	OpJSONExistsAll                 // ?&  (jsonb ?& text[])
	OpOverlap                       // &&  (arrays)
	OpJSONDelPath                   // #-  (jsonb #- text[])
	OpPathExists                    // @?  (jsonb @? jsonpath)
	OpPathMatch                     // @@  (jsonb @@ jsonpath)
	numBinaryOps
)

var binaryOpNames = [numBinaryOps]string{
	"+", "-", "*", "/", "%", "^", "||", "=", "<>", "<", "<=", ">", ">=",
	"IS DISTINCT FROM", "IS NOT DISTINCT FROM", "~~", "!~~", "~~*", "!~~*",
	"~", "!~", "~*", "!~*", "&", "|", "#", "<<", ">>",
	"->", "->>", "#>", "#>>", "@>", "<@", "?", "?|", "?&", "&&", "#-", "@?", "@@",
}

// String is the operator's PostgreSQL spelling.
func (o BinaryOp) String() string {
	if o < numBinaryOps {
		return binaryOpNames[o]
	}
	return "?op?"
}

// BinaryOpFromString maps an operator's spelling (also LIKE, NOT LIKE,
// ILIKE, NOT ILIKE, != and the IS [NOT] DISTINCT FROM words) to the
// operator.
func BinaryOpFromString(s string) (BinaryOp, bool) {
	switch s {
	case "!=":
		return OpNE, true
	case "LIKE", "like":
		return OpLike, true
	case "NOT LIKE", "not like":
		return OpNotLike, true
	case "ILIKE", "ilike":
		return OpILike, true
	case "NOT ILIKE", "not ilike":
		return OpNotILike, true
	}
	for i, n := range binaryOpNames {
		if n == s {
			return BinaryOp(i), true
		}
	}
	return 0, false
}

// IsComparison reports =, <>, <, <=, >, >=.
func (o BinaryOp) IsComparison() bool { return o >= OpEQ && o <= OpGE }

// Commute returns the operator with its operands swapped (a < b is
// b > a), for the comparisons; ok is false for other operators.
func (o BinaryOp) Commute() (BinaryOp, bool) {
	switch o {
	case OpEQ, OpNE:
		return o, true
	case OpLT:
		return OpGT, true
	case OpLE:
		return OpGE, true
	case OpGT:
		return OpLT, true
	case OpGE:
		return OpLE, true
	}
	return o, false
}

// Negate returns the comparison's negation (a < b is NOT a >= b), for
// comparisons only.
func (o BinaryOp) Negate() (BinaryOp, bool) {
	switch o {
	case OpEQ:
		return OpNE, true
	case OpNE:
		return OpEQ, true
	case OpLT:
		return OpGE, true
	case OpLE:
		return OpGT, true
	case OpGT:
		return OpLE, true
	case OpGE:
		return OpLT, true
	}
	return o, false
}

// BinaryFn evaluates a binary operator on arguments of its declared types.
type BinaryFn func(ctx *EvalContext, l, r types.Datum) (types.Datum, error)

// BinaryOverload is one resolved binary operator: coerce the operands to
// Left and Right, then call Fn (unless strict and an operand is NULL).
type BinaryOverload struct {
	Op                  BinaryOp
	Left, Right, Return *types.T
	Fn                  BinaryFn
	// CalledOnNull: Fn handles NULL operands itself (IS DISTINCT FROM).
	// Otherwise the result is NULL when either operand is.
	CalledOnNull bool
	Volatility   Volatility

	// bind completes a polymorphic overload once Left/Right/Return are
	// concrete (sets Fn).
	bind func(o *BinaryOverload)
}

// UnaryOp is a prefix operator.
type UnaryOp uint8

// Unary operators (NOT is And/Or/Not's).
const (
	OpUnaryMinus UnaryOp = iota // -
	OpUnaryPlus                 // +
	OpBitNot                    // ~
	OpAbs                       // @
	numUnaryOps
)

var unaryOpNames = [numUnaryOps]string{"-", "+", "~", "@"}

// String is the operator's spelling.
func (o UnaryOp) String() string {
	if o < numUnaryOps {
		return unaryOpNames[o]
	}
	return "?op?"
}

// UnaryOverload is one resolved prefix operator (strict).
type UnaryOverload struct {
	Op              UnaryOp
	Operand, Return *types.T
	Fn              func(ctx *EvalContext, d types.Datum) (types.Datum, error)
	Volatility      Volatility
}

// FuncClass says how a function is evaluated.
type FuncClass uint8

// Function classes.
const (
	Normal    FuncClass = iota // scalar: Fn
	Aggregate                  // NewAgg; also usable as a window aggregate (WindowAggregate)
	Window                     // NewWindow; only with OVER
	Generator                  // set-returning: Gen
)

// FuncOverload is one resolved function. Args are the concrete argument
// types (one per argument in the call, VARIADIC expanded); coerce each
// argument to them. Exactly one of Fn, NewAgg, NewWindow, Gen is set,
// according to Class.
type FuncOverload struct {
	Name   string
	Class  FuncClass
	Args   []*types.T
	Return *types.T
	// Variadic: the last declared parameter was VARIADIC (informational;
	// Args is already expanded).
	Variadic   bool
	Volatility Volatility
	// OrderedSet marks an ordered-set aggregate (percentile_cont,
	// percentile_disc, mode: f(direct args) WITHIN GROUP (ORDER BY x)):
	// Args are the direct arguments followed by the ORDER BY expression's
	// type; the caller feeds the rows sorted by x, calling Add(direct...,
	// x) for each.
	OrderedSet bool
	// CalledOnNull: Fn (or Gen) handles NULL arguments (concat,
	// concat_ws, format, ...). Otherwise a NULL argument makes the result
	// NULL (for Gen: no rows) without calling it.
	CalledOnNull bool

	Fn        func(ctx *EvalContext, args []types.Datum) (types.Datum, error)
	NewAgg    func() AggFunc
	NewWindow func() WindowFunc
	Gen       func(ctx *EvalContext, args []types.Datum) (SetIter, error)
	// OutCols, when set, are a generator's output columns (its SetIter is
	// then a RowSetIter; Return is the last column's type); a generator
	// without them returns one column of type Return.
	OutCols []OutCol

	// bind completes an overload once Args/Return are concrete (sets the
	// evaluation hook for the bound types).
	bind func(o *FuncOverload)
}

// AggFunc accumulates one group. Add is called once per input row with
// the aggregate's arguments (none for count(*)), NULLs included: the
// aggregate skips them as PostgreSQL does. Result returns the aggregate
// of the rows added so far without consuming the state; it may be called
// more than once and interleaved with Add. Add must not keep the args
// slice (the caller reuses it); it may keep the Datums.
type AggFunc interface {
	Add(ctx *EvalContext, args []types.Datum) error
	Result(ctx *EvalContext) (types.Datum, error)
}

// WindowPartition is the executor's view of one sorted partition, given
// to window functions. Rows are numbered 0..NumRows()-1 in the window's
// ORDER BY order.
type WindowPartition interface {
	NumRows() int
	// Arg returns argument i of the window function evaluated on row.
	Arg(row, i int) (types.Datum, error)
	// Peers returns [start, end): the rows that are ORDER BY peers of row
	// (the whole partition without ORDER BY).
	Peers(row int) (start, end int)
	// Frame returns [start, end): row's window frame (end <= start means
	// an empty frame).
	Frame(row int) (start, end int)
}

// WindowFunc computes a window function over one partition. Eval is
// called for rows 0, 1, ..., NumRows()-1 in order, once each; a new
// WindowFunc (NewWindow) is used for every partition.
type WindowFunc interface {
	Eval(ctx *EvalContext, p WindowPartition, row int) (types.Datum, error)
}

// SetIter yields the rows of a set-returning function (class
// Generator): one value per row, the single output column of type
// FuncOverload.Return.
type SetIter interface {
	// Next returns the next value, or ok=false when exhausted.
	Next(ctx *EvalContext) (d types.Datum, ok bool, err error)
}

// RowSetIter is the SetIter of a generator with OutCols: NextRow returns
// one value per output column.
type RowSetIter interface {
	SetIter
	NextRow(ctx *EvalContext) (row []types.Datum, ok bool, err error)
}

// OutCol is one output column of a generator that returns rows of several
// columns (jsonb_each: key, value).
type OutCol struct {
	Name string
	T    *types.T
}

// CastContext is PostgreSQL's castcontext: where a cast may be applied
// without being written.
type CastContext uint8

// Cast contexts, each allowing the ones before it.
const (
	CastImplicit   CastContext = iota // in expressions (int4 → int8, text → varchar, date → timestamp)
	CastAssignment                    // storing into a column (int8 → int4, numeric → int, anything → text)
	CastExplicit                      // only with CAST / :: (text → int, int ↔ bool)
)
