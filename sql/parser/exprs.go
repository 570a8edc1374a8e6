package parser

import (
	"io"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
)

// Our own expression nodes for PostgreSQL constructs the MySQL grammar
// lacks. They implement ast.ExprNode so they sit in the TiDB tree.
//
// IS [NOT] DISTINCT FROM is represented with TiDB's null-safe equality:
// `a IS NOT DISTINCT FROM b` is BinaryOperationExpr{Op: opcode.NullEQ} and
// `a IS DISTINCT FROM b` is NOT (that).

// ArrayExpr is ARRAY[e1, e2, ...], or ARRAY(subquery) when Query is set.
type ArrayExpr struct {
	ast.TexprNode
	Elems []ast.ExprNode
	Query *ast.SubqueryExpr
}

// SubscriptExpr is Expr[Index] (PostgreSQL arrays are 1-based), or the
// slice Expr[Index:Upper] when Slice is set (an omitted bound is nil).
type SubscriptExpr struct {
	ast.TexprNode
	Expr, Index ast.ExprNode
	Upper       ast.ExprNode
	Slice       bool
}

// FieldSelectExpr is (Expr).Field, a field of a composite value.
type FieldSelectExpr struct {
	ast.TexprNode
	Expr  ast.ExprNode
	Field string
}

// QuantifiedExpr is `Left Op ANY (Right)` (or ALL when All is set) where
// Right is an array-valued expression, e.g. `x = ANY($1)`. Comparisons
// with a subquery stay ast.CompareSubqueryExpr.
type QuantifiedExpr struct {
	ast.TexprNode
	Op          opcode.Op
	Left, Right ast.ExprNode
	All         bool
	// Like is "like", "ilike", "not like" or "not ilike" for x [NOT]
	// [I]LIKE ANY|ALL (array) (Op is then unused).
	Like string
}

// Restore implements ast.Node.
func (n *ArrayExpr) Restore(ctx *format.RestoreCtx) error {
	ctx.WriteKeyWord("ARRAY")
	if n.Query != nil {
		return n.Query.Restore(ctx)
	}
	ctx.WritePlain("[")
	for i, e := range n.Elems {
		if i > 0 {
			ctx.WritePlain(",")
		}
		if err := e.Restore(ctx); err != nil {
			return err
		}
	}
	ctx.WritePlain("]")
	return nil
}

// Format implements ast.ExprNode.
func (n *ArrayExpr) Format(w io.Writer) { formatNode(w, n) }

// Accept implements ast.Node.
func (n *ArrayExpr) Accept(v ast.Visitor) (ast.Node, bool) {
	nn, skip := v.Enter(n)
	if skip {
		return v.Leave(nn)
	}
	n = nn.(*ArrayExpr)
	if n.Query != nil {
		q, ok := n.Query.Accept(v)
		if !ok {
			return n, false
		}
		n.Query = q.(*ast.SubqueryExpr)
	}
	for i, e := range n.Elems {
		x, ok := e.Accept(v)
		if !ok {
			return n, false
		}
		n.Elems[i] = x.(ast.ExprNode)
	}
	return v.Leave(n)
}

// Restore implements ast.Node.
func (n *QuantifiedExpr) Restore(ctx *format.RestoreCtx) error {
	if err := n.Left.Restore(ctx); err != nil {
		return err
	}
	ctx.WritePlain(" ")
	if err := n.Op.Restore(ctx); err != nil {
		return err
	}
	if n.All {
		ctx.WriteKeyWord(" ALL")
	} else {
		ctx.WriteKeyWord(" ANY")
	}
	ctx.WritePlain("(")
	if err := n.Right.Restore(ctx); err != nil {
		return err
	}
	ctx.WritePlain(")")
	return nil
}

// Format implements ast.ExprNode.
func (n *QuantifiedExpr) Format(w io.Writer) { formatNode(w, n) }

// Accept implements ast.Node.
func (n *QuantifiedExpr) Accept(v ast.Visitor) (ast.Node, bool) {
	nn, skip := v.Enter(n)
	if skip {
		return v.Leave(nn)
	}
	n = nn.(*QuantifiedExpr)
	if !acceptOperands(v, &n.Left, &n.Right) {
		return n, false
	}
	return v.Leave(n)
}

// acceptOperands walks v over each operand in turn, replacing it with what
// the walk returns; false if the walk stopped.
func acceptOperands(v ast.Visitor, operands ...*ast.ExprNode) bool {
	for _, o := range operands {
		x, ok := (*o).Accept(v)
		if !ok {
			return false
		}
		*o = x.(ast.ExprNode)
	}
	return true
}

func formatNode(w io.Writer, n ast.Node) {
	var b strings.Builder
	_ = n.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b))
	_, _ = io.WriteString(w, b.String())
}

// Restore implements ast.Node.
func (n *SubscriptExpr) Restore(ctx *format.RestoreCtx) error {
	if err := n.Expr.Restore(ctx); err != nil {
		return err
	}
	ctx.WritePlain("[")
	if n.Index != nil {
		if err := n.Index.Restore(ctx); err != nil {
			return err
		}
	}
	if n.Slice {
		ctx.WritePlain(":")
		if n.Upper != nil {
			if err := n.Upper.Restore(ctx); err != nil {
				return err
			}
		}
	}
	ctx.WritePlain("]")
	return nil
}

// Format implements ast.ExprNode.
func (n *SubscriptExpr) Format(w io.Writer) { formatNode(w, n) }

// Accept implements ast.Node.
func (n *SubscriptExpr) Accept(v ast.Visitor) (ast.Node, bool) {
	nn, skip := v.Enter(n)
	if skip {
		return v.Leave(nn)
	}
	n = nn.(*SubscriptExpr)
	e, ok := n.Expr.Accept(v)
	if !ok {
		return n, false
	}
	n.Expr = e.(ast.ExprNode)
	if n.Index != nil {
		i, ok := n.Index.Accept(v)
		if !ok {
			return n, false
		}
		n.Index = i.(ast.ExprNode)
	}
	if n.Upper != nil {
		u, ok := n.Upper.Accept(v)
		if !ok {
			return n, false
		}
		n.Upper = u.(ast.ExprNode)
	}
	return v.Leave(n)
}

// Restore implements ast.Node.
func (n *FieldSelectExpr) Restore(ctx *format.RestoreCtx) error {
	ctx.WritePlain("(")
	if err := n.Expr.Restore(ctx); err != nil {
		return err
	}
	ctx.WritePlain(").")
	ctx.WriteName(n.Field)
	return nil
}

// Format implements ast.ExprNode.
func (n *FieldSelectExpr) Format(w io.Writer) { formatNode(w, n) }

// Accept implements ast.Node.
func (n *FieldSelectExpr) Accept(v ast.Visitor) (ast.Node, bool) {
	nn, skip := v.Enter(n)
	if skip {
		return v.Leave(nn)
	}
	n = nn.(*FieldSelectExpr)
	e, ok := n.Expr.Accept(v)
	if !ok {
		return n, false
	}
	n.Expr = e.(ast.ExprNode)
	return v.Leave(n)
}

// OperatorExpr is `L Op R` for a PostgreSQL binary operator the MySQL
// grammar lacks: ^ and the jsonb operators -> ->> #> #>> @> <@ ? ?| ?&.
type OperatorExpr struct {
	ast.TexprNode
	Op   string
	L, R ast.ExprNode
}

// Restore implements ast.Node.
func (n *OperatorExpr) Restore(ctx *format.RestoreCtx) error {
	ctx.WritePlain("(")
	if err := n.L.Restore(ctx); err != nil {
		return err
	}
	ctx.WritePlain(" " + n.Op + " ")
	if err := n.R.Restore(ctx); err != nil {
		return err
	}
	ctx.WritePlain(")")
	return nil
}

// Format implements ast.ExprNode.
func (n *OperatorExpr) Format(w io.Writer) { formatNode(w, n) }

// Accept implements ast.Node.
func (n *OperatorExpr) Accept(v ast.Visitor) (ast.Node, bool) {
	nn, skip := v.Enter(n)
	if skip {
		return v.Leave(nn)
	}
	n = nn.(*OperatorExpr)
	if !acceptOperands(v, &n.L, &n.R) {
		return n, false
	}
	return v.Leave(n)
}

// SpelledStddev and SpelledVariance are the aggregate names (of
// ast.AggregateFuncExpr.F, ast.WindowFuncExpr.Name) that calls spelled
// stddev( and variance( carry: the sample forms stddev_samp and var_samp,
// in upper case so that the planner can name the column as PostgreSQL does.
const (
	SpelledStddev   = pgdialect.SpelledStddev
	SpelledVariance = pgdialect.SpelledVariance
)

// FuncIntervalQualify is the function INTERVAL 'v' field [TO field] calls.
const FuncIntervalQualify = pgdialect.FuncIntervalQualify

// FuncVariadic wraps a call's last argument written VARIADIC arr.
const FuncVariadic = pgdialect.FuncVariadic

// FuncArraySet(col, i, [j, ...,] v) is UPDATE's SET col[i][j]... = v.
const FuncArraySet = pgdialect.FuncArraySet

// FuncNamed wraps a call's argument written name => value: FuncNamed('name', value).
const FuncNamed = pgdialect.FuncNamed
