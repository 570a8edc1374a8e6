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
	if len(d.Checks) == 0 {
		return nil, nil
	}
	b := &Binder{Eval: ev}
	out := make([]Check, 0, len(d.Checks))
	for _, c := range d.Checks {
		st, err := parser.ParseOne("SELECT " + c.Expr)
		if err != nil {
			return nil, err
		}
		sel, ok := st.AST.(*ast.SelectStmt)
		if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
			return nil, pgerr.New(pgerr.Internal, "bad check constraint %q", c.Name)
		}
		expr := sel.Fields.Fields[0].Expr
		var sq hasSubquery
		expr.Accept(&sq)
		if sq.found {
			return nil, pgerr.New(pgerr.FeatureNotSupported, "cannot use subquery in check constraint")
		}
		b.Stmt = &st
		e, err := b.bindBool(expr, &scope{cols: tableCols(d, d.Name), noAgg: "check constraints"}, "CHECK")
		if err != nil {
			return nil, err
		}
		out = append(out, Check{Name: c.Name, E: e})
	}
	return out, nil
}

type hasSubquery struct{ found bool }

func (h *hasSubquery) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr:
		h.found = true
	}
	return n, h.found
}

func (h *hasSubquery) Leave(n ast.Node) (ast.Node, bool) { return n, true }
