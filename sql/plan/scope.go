package plan

import (
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
)

// scope is the name environment of one query level.
type scope struct {
	cols   []Col
	parent *scope
	// correlated is set when a name resolved in an enclosing scope.
	correlated bool
	agg        *aggScope
	win        *winScope
	// noAgg names the clause where aggregates are not allowed ("" = allowed).
	noAgg string
	// lateral: the columns left of a LATERAL item, as its subquery sees
	// them. lateralOnly: the FROM items left of a comma, seen from the join
	// right of it only through a lateral scope (FROM a, b JOIN LATERAL
	// (… a …)), not by its ON conditions or plain subqueries; it still
	// counts as a level, its row being the outer row there.
	lateral, lateralOnly bool
	// sel is the SELECT whose FROM or post-aggregation scope this is
	// (nil for other scopes): the owner of an outer aggregate.
	sel *ast.SelectStmt
}

// aggScope binds expressions after GROUP BY: group expressions and
// aggregates become columns of the Agg node's output.
type aggScope struct {
	in        *scope // the FROM scope
	groupKeys []string
	groups    []Expr
	// nulled are the group items outside the grouping set being bound
	// (ROLLUP, CUBE, GROUPING SETS), by index: their bound expression,
	// whose group is the NULL constant.
	nulled  map[int]Expr
	aggKeys []string
	aggs    []AggCall
}

// winScope collects window functions of the select list and ORDER BY.
type winScope struct {
	base  int
	keys  []string
	calls []WindowCall
}

// lookup resolves a (possibly qualified) column name in sc alone.
func (sc *scope) lookup(table, name string) (int, error) {
	return sc.lookupIn("", table, name)
}

// lookupIn is lookup of a column reference schema.table.name (schema and
// table may be "").
func (sc *scope) lookupIn(schema, table, name string) (int, error) {
	found := -1
	for i, c := range sc.cols {
		if c.Name != name {
			continue
		}
		if table != "" && c.Table != table {
			continue
		}
		if schema != "" && c.Schema != schema {
			continue
		}
		if found >= 0 && table != "" && schema == "" && c.Schema != sc.cols[found].Schema {
			return -1, pgerr.New(pgerr.AmbiguousTableRef, "table reference %q is ambiguous", table)
		}
		if table == "" && c.UsingRight {
			continue // the merged USING column is the left copy
		}
		if table == "" && c.Hidden && c.Table == "" {
			// hidden helper columns (ORDER BY extras) are not names.
			continue
		}
		if found >= 0 {
			if table == "" {
				return -1, pgerr.New(pgerr.AmbiguousColumn, "column reference %q is ambiguous", name)
			}
			return -1, pgerr.New(pgerr.AmbiguousColumn, "column reference \"%s.%s\" is ambiguous", table, name)
		}
		found = i
	}
	return found, nil
}

func (sc *scope) hasTable(table string) bool {
	for _, c := range sc.cols {
		if c.Table == table {
			return true
		}
	}
	return false
}

// exprKey is the canonical text of an AST expression, used to match
// expressions with GROUP BY items and select-list items.
func exprKey(e ast.Node) string {
	var sb strings.Builder
	ctx := format.NewRestoreCtx(format.DefaultRestoreFlags, &sb)
	if err := e.Restore(ctx); err != nil {
		// The grammar cannot print it (a GROUPS frame, say): the node is
		// equal only to itself, never to another unprintable one.
		return fmt.Sprintf("\x00unprintable %p", e)
	}
	return sb.String()
}

// exprKey is exprKey(e) with the PostgreSQL types of the casts in e (and
// the EXCLUDE options of its window frames), in walk order: the restored text spells x::int4 and x::int8 alike, and
// sum(x::int4) and sum(x::int8) are different aggregates.
func (b *Binder) exprKey(e ast.Node) string {
	key := exprKey(e)
	if key == "" || b.Stmt == nil || (len(b.Stmt.CastTypes) == 0 && len(b.Stmt.FrameExclude) == 0) {
		return key
	}
	cv := castCollector{casts: b.Stmt.CastTypes, excl: b.Stmt.FrameExclude}
	e.Accept(&cv)
	if cv.sb.Len() == 0 {
		return key
	}
	return key + " /*" + cv.sb.String() + "*/"
}

type castCollector struct {
	casts map[*ast.FuncCastExpr]parser.PGType
	// excl: window frames' EXCLUDE options, which the text lacks too
	excl map[*ast.FrameClause]parser.FrameExclusion
	sb   strings.Builder
}

func (c *castCollector) Enter(n ast.Node) (ast.Node, bool) {
	if fc, ok := n.(*ast.FrameClause); ok {
		if x, ok := c.excl[fc]; ok {
			fmt.Fprintf(&c.sb, "exclude%d;", x)
		}
	}
	if fc, ok := n.(*ast.FuncCastExpr); ok {
		if t, ok := c.casts[fc]; ok {
			c.sb.WriteString(t.String())
		}
		c.sb.WriteByte(';')
	}
	return n, false
}

func (c *castCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }
