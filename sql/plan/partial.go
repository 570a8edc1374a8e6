package plan

import (
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/types"
)

// PartialIndex is a public partial index of a scanned table with its
// predicate bound over the table's columns, split into conjuncts: the
// planner may read the index only for a query whose conjuncts imply
// every one of them (the index has entries only for those rows).
type PartialIndex struct {
	Index *catalog.Index
	Pred  []Expr
	// Where is the ordinal of the index's hidden predicate column: a
	// query that names the predicate itself reads that column (the
	// binder matches stored expressions to their columns).
	Where int
}

// impliedBy reports whether conj, all true for a row, imply the index's
// predicate.
func (p *PartialIndex) impliedBy(conj []Expr) bool {
	for _, q := range conj {
		if c, ok := q.(*ColRef); ok && c.Idx == p.Where {
			return true
		}
	}
	return impliesAll(conj, p.Pred)
}

// bindPartialIndexes binds the predicates of d's public partial indexes
// over d's columns (the order a Scan of d produces them in). An index
// whose predicate does not bind (it should, it bound at CREATE INDEX) is
// left out: it is then never read, which is always correct.
func (b *Binder) bindPartialIndexes(d *catalog.Descriptor) []PartialIndex {
	var out []PartialIndex
	for i := range d.Indexes {
		ix := &d.Indexes[i]
		if !ix.Public() || !ix.Partial() || ix.Predicate == "" {
			continue
		}
		st, expr, err := parseStoredExpr(ix.Predicate, "index predicate")
		if err != nil {
			continue
		}
		sub := &Binder{Ctx: b.Ctx, Coll: b.Coll, DB: b.DB, Schema: b.Schema, TempSchema: b.TempSchema,
			SearchPath: b.SearchPath, Eval: b.Eval, Stmt: st}
		e, err := sub.bindBool(expr, &scope{cols: tableCols(d, d.Name)}, "WHERE")
		if err != nil {
			continue
		}
		out = append(out, PartialIndex{Index: ix, Pred: Conjuncts(Simplify(e), nil), Where: d.ColumnOrdinal(ix.Where)})
	}
	return out
}

// impliesAll reports whether the conjuncts conj, all true for a row,
// make every conjunct of pred true: each is one of conj (the same bound
// expression), or is c IS NOT NULL for a column c that a conjunct
// compares with a strict operator (a NULL c would make it NULL, not
// true) or tests with IS NOT NULL.
func impliesAll(conj, pred []Expr) bool {
	for _, p := range pred {
		if !implied(conj, p) {
			return false
		}
	}
	return true
}

func implied(conj []Expr, p Expr) bool {
	for _, q := range conj {
		if sameExpr(q, p) {
			return true
		}
	}
	nn, ok := p.(*IsNull)
	if !ok || !nn.Not {
		return false
	}
	col, ok := nn.E.(*ColRef)
	if !ok {
		return false
	}
	for _, q := range conj {
		if strictOn(q, col.Idx) {
			return true
		}
	}
	return false
}

// strictOn: q is not true when column idx is NULL.
func strictOn(q Expr, idx int) bool {
	isCol := func(e Expr) bool {
		c, ok := e.(*ColRef)
		return ok && c.Idx == idx
	}
	switch x := q.(type) {
	case *ColRef:
		return x.Idx == idx // a boolean column used as the condition
	case *Binary:
		return !x.Ov.CalledOnNull && (isCol(x.L) || isCol(x.R))
	case *InList:
		return isCol(x.E)
	case *IsNull:
		return x.Not && isCol(x.E)
	case *IsBool:
		return !x.Not && isCol(x.E)
	case *AnyArray:
		return isCol(x.L)
	case *Logic:
		if x.Op == And {
			return strictOn(x.L, idx) || strictOn(x.R, idx)
		}
		return strictOn(x.L, idx) && strictOn(x.R, idx)
	}
	return false
}

// sameExpr reports whether two bound expressions are the same
// computation: same shape, operators, columns and constants. It
// answers false for anything it does not know (subqueries, parameters),
// which only costs a plan that could have used an index.
func sameExpr(a, b Expr) bool {
	switch x := a.(type) {
	case *Const:
		y, ok := b.(*Const)
		if !ok || !x.T.Equal(y.T) || types.IsNull(x.D) != types.IsNull(y.D) {
			return false
		}
		if types.IsNull(x.D) {
			return true
		}
		c, err := types.CompareTyped(x.T, x.D, y.D)
		return err == nil && c == 0
	case *ColRef:
		y, ok := b.(*ColRef)
		return ok && x.Idx == y.Idx
	case *Binary:
		y, ok := b.(*Binary)
		if !ok || x.Ov != y.Ov {
			return false
		}
		if sameExpr(x.L, y.L) && sameExpr(x.R, y.R) {
			return true
		}
		// a = b is b = a (the same overload both ways round)
		if op, ok := x.Ov.Op.Commute(); ok && op == x.Ov.Op && x.Ov.Left.Equal(x.Ov.Right) {
			return sameExpr(x.L, y.R) && sameExpr(x.R, y.L)
		}
		return false
	case *Unary:
		y, ok := b.(*Unary)
		return ok && x.Ov == y.Ov && sameExpr(x.E, y.E)
	case *Logic:
		y, ok := b.(*Logic)
		return ok && x.Op == y.Op && sameExpr(x.L, y.L) && sameExpr(x.R, y.R)
	case *Not:
		y, ok := b.(*Not)
		return ok && sameExpr(x.E, y.E)
	case *IsNull:
		y, ok := b.(*IsNull)
		return ok && x.Not == y.Not && sameExpr(x.E, y.E)
	case *IsBool:
		y, ok := b.(*IsBool)
		return ok && x.Not == y.Not && x.Val == y.Val && sameExpr(x.E, y.E)
	case *Cast:
		y, ok := b.(*Cast)
		return ok && x.From.Equal(y.From) && x.To.Equal(y.To) && sameExpr(x.E, y.E)
	case *Func:
		y, ok := b.(*Func)
		return ok && x.Ov == y.Ov && sameExprs(x.Args, y.Args)
	case *InList:
		y, ok := b.(*InList)
		return ok && x.Not == y.Not && x.Cmp == y.Cmp && sameExpr(x.E, y.E) && sameExprs(x.List, y.List)
	}
	return false
}

func sameExprs(a, b []Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameExpr(a[i], b[i]) {
			return false
		}
	}
	return true
}
