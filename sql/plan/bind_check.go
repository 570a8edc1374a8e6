package plan

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
)

// Check is a bound CHECK constraint: a boolean expression over the table
// row (column ordinals of the descriptor).
type Check struct {
	Name string
	E    Expr
}

// BindChecks binds d's CHECK constraints. A check may use the row's
// columns, constants and functions, not subqueries or aggregates.
func BindChecks(d *catalog.Descriptor, ev *sem.EvalContext) ([]Check, error) {
	return BindChecksIn(nil, d, ev)
}

// BindChecksIn is BindChecks resolving user-defined functions as the
// statement binder in does (nil: built-in functions only).
func BindChecksIn(in *Binder, d *catalog.Descriptor, ev *sem.EvalContext) ([]Check, error) {
	if len(d.Checks) == 0 {
		return nil, nil
	}
	b := &Binder{Eval: ev}
	if in != nil {
		b.Ctx, b.Coll, b.DB, b.Schema, b.TempSchema, b.SearchPath = in.Ctx, in.Coll, in.DB, in.Schema, in.TempSchema, in.SearchPath
	}
	out := make([]Check, 0, len(d.Checks))
	for _, c := range d.Checks {
		st, expr, err := parseStoredExpr(c.Expr, "check constraint")
		if err != nil {
			return nil, err
		}
		b.Stmt = st
		e, err := b.bindBool(expr, &scope{cols: tableCols(d, d.Name), noAgg: "check constraints"}, "CHECK")
		if err != nil {
			return nil, err
		}
		out = append(out, Check{Name: c.Name, E: e})
	}
	return out, nil
}

// parseStoredExpr parses an expression stored in a descriptor (a CHECK
// constraint, a generation expression; what names it in errors), which
// may not contain a subquery.
func parseStoredExpr(text, what string) (*parser.Statement, ast.ExprNode, error) {
	st, err := parser.ParseOne("SELECT " + text)
	if err != nil {
		return nil, nil, err
	}
	sel, ok := st.AST.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		return nil, nil, pgerr.New(pgerr.Internal, "bad %s %q", what, text)
	}
	expr := sel.Fields.Fields[0].Expr
	var sq hasSubquery
	expr.Accept(&sq)
	if sq.found {
		return nil, nil, pgerr.New(pgerr.FeatureNotSupported, "cannot use subquery in %s", what)
	}
	return &st, expr, nil
}

// BindGenerated binds d's generated columns: out[i] is column i's
// expression over the table row, nil for an ordinary column (out is nil
// when d has none). The expression may use the row's other ordinary
// columns, constants and immutable functions.
func BindGenerated(d *catalog.Descriptor, ev *sem.EvalContext) ([]Expr, error) {
	var out []Expr
	b := &Binder{Eval: ev}
	for i := range d.Columns {
		c := &d.Columns[i]
		if c.Generated == "" {
			continue
		}
		st, expr, err := parseStoredExpr(c.Generated, "column generation expression")
		if err != nil {
			return nil, err
		}
		var names columnNames
		expr.Accept(&names)
		for _, nm := range names {
			if _, gc := d.ColumnByName(nm); gc != nil && gc.Generated != "" {
				return nil, pgerr.New(pgerr.InvalidObjectDefinition, "cannot use generated column %q in column generation expression", nm)
			}
		}
		b.Stmt = st
		e, err := b.bindExpr(expr, &scope{cols: tableCols(d, d.Name), noAgg: "column generation expressions"})
		if err != nil {
			return nil, err
		}
		if e, err = b.assignCast(e, c.Type); err != nil {
			return nil, err
		}
		if out == nil {
			out = make([]Expr, len(d.Columns))
		}
		out[i] = e
	}
	return out, nil
}

// columnNames collects the column names an expression uses.
type columnNames []string

func (c *columnNames) Enter(n ast.Node) (ast.Node, bool) {
	if cn, ok := n.(*ast.ColumnNameExpr); ok {
		*c = append(*c, cn.Name.Name.O)
	}
	return n, false
}

func (c *columnNames) Leave(n ast.Node) (ast.Node, bool) { return n, true }

type hasSubquery struct{ found bool }

func (h *hasSubquery) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr:
		h.found = true
	}
	return n, h.found
}

func (h *hasSubquery) Leave(n ast.Node) (ast.Node, bool) { return n, true }
