package plan

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
)

// Outer aggregates. An aggregate call belongs to the innermost query
// level of the columns it references, as in the SQL standard and
// PostgreSQL: in SELECT (SELECT sum(t.a) FROM u) FROM t the sum is t's
// aggregate (t becomes a grouped query, the subquery reads the sum as an
// outer reference), and in WHERE of t it is an error. A call with no
// column references is its own level's.
//
// Whether a query is grouped is decided before its expressions are
// bound, and the level of a call in a subquery is known only once the
// subquery's names are in scope. So the binder records the owner of such
// a call (aggOwner) when it first meets it and binds the owning SELECT
// again (aggRetry): the second time the owner is grouped and the
// subquery is not grouped by that call.

// aggRetry asks bindSelect of sel to bind sel again: an aggregate in one
// of its subqueries turned out to be sel's.
type aggRetry struct{ sel *ast.SelectStmt }

func (r *aggRetry) Error() string { return "internal: aggregate owner changed, bind again" }

// isAggCall reports whether n is a plain (not windowed) aggregate call.
func isAggCall(n ast.ExprNode) bool {
	switch n := n.(type) {
	case *ast.AggregateFuncExpr:
		return true
	case *ast.FuncCallExpr:
		cls, ok := sem.FuncExists(n.FnName.L)
		return ok && cls == sem.Aggregate
	}
	return false
}

// outerAggregate binds aggregate call n met in scope sc when it belongs
// to an enclosing query level (ok false: it is sc's own).
func (b *Binder) outerAggregate(n ast.ExprNode, sc *scope) (Expr, bool, error) {
	if sc.parent == nil {
		return nil, false, nil
	}
	level := b.aggCallLevel(n, sc)
	if level == 0 {
		return nil, false, nil
	}
	s := sc
	for i := 0; i < level; i++ {
		s = s.parent
	}
	if s.noAgg != "" {
		return nil, true, pgerr.New(pgerr.Grouping, "aggregate functions are not allowed in %s", s.noAgg)
	}
	if s.sel == nil {
		return nil, true, pgerr.New(pgerr.Grouping, "aggregate functions are not allowed here")
	}
	if b.aggOwner[n] != s.sel {
		if b.aggOwner == nil {
			b.aggOwner = map[ast.Node]*ast.SelectStmt{}
			b.aggOwnerGen = map[*ast.SelectStmt]int{}
		}
		b.aggOwner[n] = s.sel
		b.aggOwnerGen[s.sel]++
		return nil, true, &aggRetry{sel: s.sel}
	}
	if s.agg == nil {
		// the owner was not grouped by it: the call is in a clause
		// its grouping does not look at (a window definition, say)
		return nil, true, pgerr.New(pgerr.Grouping, "aggregate functions are not allowed here")
	}
	e, ok, err := b.bindGrouped(n, s)
	if err != nil {
		return nil, true, err
	}
	cr, isCol := e.(*ColRef)
	if !ok || !isCol {
		return nil, true, pgerr.New(pgerr.Internal, "outer aggregate did not bind to a column")
	}
	for t := sc; t != s; t = t.parent {
		t.correlated = true
	}
	b.outerRefs++
	return &OuterRef{Level: level, Idx: cr.Idx, T: cr.T}, true, nil
}

// aggCallLevel is the query level (0: sc's, 1: the enclosing one …) of
// aggregate call n: the innermost level of the columns referenced in its
// arguments, FILTER and ORDER BY, outside nested subqueries.
func (b *Binder) aggCallLevel(n ast.ExprNode, sc *scope) int {
	f := &colRefFinder{}
	n.Accept(f)
	for _, o := range b.Stmt.AggOrderBy[n] {
		o.Expr.Accept(f)
	}
	if len(f.cols) == 0 {
		return 0
	}
	min := -1
	for _, cn := range f.cols {
		l := columnLevel(cn, sc)
		if l < 0 {
			// not found: binding it reports the error, at this level
			return 0
		}
		if min < 0 || l < min {
			min = l
		}
		if min == 0 {
			return 0
		}
	}
	return min
}

// columnLevel is the number of scopes from sc to the one that resolves
// cn, as bindColumn walks them (-1: none).
func columnLevel(cn *ast.ColumnName, sc *scope) int {
	table, name := cn.Table.O, cn.Name.O
	level := 0
	throughLateral := false
	for s := sc; s != nil; s = s.parent {
		if s.lateral {
			throughLateral = true
		}
		if s.lateralOnly && !throughLateral {
			level++
			continue
		}
		if i, err := s.lookupIn(cn.Schema.O, table, name); i >= 0 || err != nil {
			return level
		}
		if s.agg != nil {
			if i, err := s.agg.in.lookupIn(cn.Schema.O, table, name); i >= 0 || err != nil {
				return level
			}
		}
		if table == "" && (s.hasTable(name) || (s.agg != nil && s.agg.in.hasTable(name))) {
			return level // a whole row
		}
		level++
	}
	return -1
}

// colRefFinder collects the column references of an expression outside
// its subqueries.
type colRefFinder struct {
	cols []*ast.ColumnName
}

func (f *colRefFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n := n.(type) {
	case *ast.SubqueryExpr:
		return n, true
	case *ast.ColumnNameExpr:
		f.cols = append(f.cols, n.Name)
	}
	return n, false
}

func (f *colRefFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// binderState is what one attempt at binding a SELECT changes in the
// Binder beyond its result, for bindSelect to undo before a retry.
type binderState struct {
	nextSub, outerRefs, nextCTE                             int
	regclassOut, regprocOut, writeCTEs, indexExprs, numCTEs int
}

func (b *Binder) saveState() binderState {
	return binderState{b.nextSub, b.outerRefs, b.nextCTE,
		len(b.regclassOut), len(b.regprocOut), len(b.WriteCTEs), len(b.indexExprs), len(b.ctes)}
}

func (b *Binder) restoreState(s binderState) {
	b.nextSub, b.outerRefs, b.nextCTE = s.nextSub, s.outerRefs, s.nextCTE
	b.regclassOut = b.regclassOut[:s.regclassOut]
	b.regprocOut = b.regprocOut[:s.regprocOut]
	b.WriteCTEs = b.WriteCTEs[:s.writeCTEs]
	b.indexExprs = b.indexExprs[:s.indexExprs]
	b.ctes = b.ctes[:s.numCTEs]
}

// ownAggregates reports whether nodes (a SELECT's select list, HAVING
// and ORDER BY) hold an aggregate call of sel: one outside subqueries
// not known to be an enclosing query's, or one in a subquery known to be
// sel's.
func (b *Binder) ownAggregates(sel *ast.SelectStmt, nodes ...ast.Node) bool {
	v := &ownAggFinder{b: b, sel: sel}
	for _, n := range nodes {
		if n != nil && !isNilNode(n) {
			n.Accept(v)
		}
	}
	return v.found
}

type ownAggFinder struct {
	b     *Binder
	sel   *ast.SelectStmt
	depth int
	found bool
}

func (v *ownAggFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n := n.(type) {
	case *ast.SubqueryExpr:
		if len(v.b.aggOwner) == 0 {
			return n, true
		}
		v.depth++
	case *ast.WindowFuncExpr:
		// its arguments may hold aggregates; the call itself is not one
	case ast.ExprNode:
		if isAggCall(n) {
			owner, known := v.b.aggOwner[n]
			if v.depth == 0 && (!known || owner == v.sel) || v.depth > 0 && known && owner == v.sel {
				v.found = true
			}
		}
	}
	return n, false
}

func (v *ownAggFinder) Leave(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.SubqueryExpr); ok && len(v.b.aggOwner) > 0 {
		v.depth--
	}
	return n, true
}
