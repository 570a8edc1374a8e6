package plan

import (
	"regexp"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// IndexExprType binds text, an index key expression or (predicate) a
// partial index's WHERE, over d's columns and returns its type. As in
// PostgreSQL the expression may not use subqueries, aggregates or
// functions that are not IMMUTABLE, and a predicate must be boolean.
func IndexExprType(d *catalog.Descriptor, text string, predicate bool, ev *sem.EvalContext) (*types.T, error) {
	what := "index expression"
	if predicate {
		what = "index predicate"
	}
	st, expr, err := parseStoredExpr(text, what)
	if err != nil {
		return nil, err
	}
	b := &Binder{Eval: ev, Stmt: st}
	sc := &scope{cols: tableCols(d, d.Name), noAgg: what + "s"}
	var e Expr
	if predicate {
		e, err = b.bindBool(expr, sc, "WHERE")
	} else {
		e, err = b.bindExpr(expr, sc)
	}
	if err != nil {
		return nil, err
	}
	immutable := true
	Walk(e, func(x Expr) bool {
		if f, ok := x.(*Func); ok && f.Ov.Volatility != sem.Immutable {
			immutable = false
		}
		if _, ok := x.(*UserFunc); ok {
			immutable = false // (the stored text would outlive DROP FUNCTION)
		}
		return immutable
	})
	if !immutable {
		return nil, pgerr.New(pgerr.InvalidObjectDefinition, "functions in %s must be marked IMMUTABLE", what)
	}
	t := e.Type()
	if t.Family == types.UnknownFamily {
		t = types.String
	}
	return t, nil
}

var quotedSimpleIdent = regexp.MustCompile(`"([a-z_][a-z0-9_]*)"`)

// storedExprText is a stored expression (index key or predicate) as the
// catalogs print it: identifiers that need no quotes without them.
func storedExprText(text string) string {
	return quotedSimpleIdent.ReplaceAllString(text, "$1")
}

// indexExpr is an expression index key of a table in FROM: its hidden
// generated column, under the table's alias.
type indexExpr struct {
	alias, text, col string
	// nullable: the table is on the nullable side of an outer join bound
	// since, whose NULL-extended rows store no value: there the hidden
	// column is NULL where the expression need not be (d IS NULL is
	// true, COALESCE(d, 0) is 0), so it no longer stands for it.
	nullable bool
}

// outerJoined marks the expression index keys of the tables of cols (the
// nullable side of an outer join whose ON is bound) as no longer
// matching their expressions.
func (b *Binder) outerJoined(cols []Col) {
	tables := map[string]bool{}
	for _, c := range cols {
		tables[c.Table] = true
	}
	for i := range b.indexExprs {
		if tables[b.indexExprs[i].alias] {
			b.indexExprs[i].nullable = true
		}
	}
}

// noteIndexExprsOf notes the expression index keys of d, the target of
// an UPDATE or DELETE (its WHERE and SET read the old row, whose stored
// values are the expressions' values).
func (b *Binder) noteIndexExprsOf(d *catalog.Descriptor, alias string) {
	for _, c := range d.Columns {
		if c.Hidden && c.Generated != "" {
			b.noteIndexExpr(alias, c)
		}
	}
}

func (b *Binder) noteIndexExpr(alias string, c catalog.Column) {
	_, expr, err := parseStoredExpr(c.Generated, "index expression")
	if err != nil {
		return
	}
	text, err := RestoreExpr(expr)
	if err != nil {
		return
	}
	b.indexExprs = append(b.indexExprs, indexExpr{alias: alias, text: text, col: c.Name})
}

// matchIndexExpr binds n to the hidden column of an expression index of
// a table in scope when n is that index's expression (as stored: the
// same text once restored, column names qualified by the table's alias or
// not), so that the planner can use the index and reads return the
// stored value, which is the expression's value for the row.
func (b *Binder) matchIndexExpr(n ast.ExprNode, sc *scope) (Expr, bool) {
	switch n.(type) {
	case *ast.ColumnNameExpr, ast.ValueExpr, ast.ParamMarkerExpr, *ast.ParenthesesExpr, *ast.SubqueryExpr:
		return nil, false // (a parenthesised expression is matched inside)
	}
	text, err := RestoreExpr(n)
	if err != nil {
		return nil, false
	}
	for _, ie := range b.indexExprs {
		if ie.nullable {
			continue
		}
		t := text
		if ie.alias != "" {
			t = strings.ReplaceAll(t, QuoteIdentAlways(ie.alias)+".", "")
		}
		if t != ie.text {
			continue
		}
		e, err := b.bindColumn(&ast.ColumnName{Table: ast.NewCIStr(ie.alias), Name: ast.NewCIStr(ie.col)}, sc)
		if err == nil {
			return e, true
		}
	}
	return nil, false
}

// RestoreExpr is the text a DDL statement stores for an expression
// (defaults, checks, generated columns, index keys): the TiDB tree
// restored with single-quoted strings, upper-case keywords and
// double-quoted names, without outer parentheses.
func RestoreExpr(e ast.ExprNode) (string, error) {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	var sb strings.Builder
	flags := format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase | format.RestoreNameDoubleQuotes
	if err := e.Restore(format.NewRestoreCtx(flags, &sb)); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// QuoteIdentAlways double-quotes a name as RestoreExpr writes it.
func QuoteIdentAlways(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
