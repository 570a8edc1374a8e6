package plan

import (
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// Plan-time evaluation of constant conditions and removal of the
// aggregates nothing reads, as PostgreSQL's eval_const_expressions and
// its planner do: a CASE arm whose WHEN folds to FALSE or NULL is dropped
// unevaluated, and an aggregate that only such an arm used is then not
// computed at all (so it raises no error either).

// foldCtx evaluates immutable operators at plan time: they read nothing
// of the session.
var foldCtx = &sem.EvalContext{}

// constValue evaluates e when it is built of constants and immutable
// operators only. ok is false when e is not such an expression or its
// evaluation fails: an error is left to execution, which raises it only
// when the expression is reached.
func constValue(e Expr) (d types.Datum, ok bool) {
	switch x := e.(type) {
	case *Const:
		return x.D, true
	case *Binary:
		if x.Ov == nil || x.Ov.Fn == nil || x.Ov.Volatility != sem.Immutable ||
			!plainType(x.Ov.Left) || !plainType(x.Ov.Right) || !plainType(x.Ov.Return) {
			return nil, false
		}
		l, ok := constValue(x.L)
		if !ok {
			return nil, false
		}
		r, ok := constValue(x.R)
		if !ok {
			return nil, false
		}
		if !x.Ov.CalledOnNull && (types.IsNull(l) || types.IsNull(r)) {
			return types.Null, true
		}
		v, err := x.Ov.Fn(foldCtx, l, r)
		return v, err == nil && v != nil
	case *Unary:
		if x.Ov == nil || x.Ov.Fn == nil || x.Ov.Volatility != sem.Immutable ||
			!plainType(x.Ov.Operand) || !plainType(x.Ov.Return) {
			return nil, false
		}
		v, ok := constValue(x.E)
		if !ok {
			return nil, false
		}
		if types.IsNull(v) {
			return types.Null, true
		}
		v, err := x.Ov.Fn(foldCtx, v)
		return v, err == nil && v != nil
	case *Cast:
		// to a number or boolean (text output could depend on settings)
		if !plainType(x.From) || !plainType(x.To) || x.To.Family == types.StringFamily {
			return nil, false
		}
		v, ok := constValue(x.E)
		if !ok {
			return nil, false
		}
		if types.IsNull(v) {
			return types.Null, true
		}
		var err error
		if x.Explicit {
			v, err = sem.ExplicitCast(foldCtx, v, x.From, x.To)
		} else {
			v, err = sem.Coerce(foldCtx, v, x.From, x.To)
		}
		return v, err == nil && v != nil
	}
	return nil, false
}

// plainType: values of t never depend on the session (no time zone, no
// output settings), so an immutable operator over them folds with
// foldCtx whatever a particular overload's marking.
func plainType(t *types.T) bool {
	if t == nil {
		return false
	}
	switch t.Family {
	case types.BoolFamily, types.IntFamily, types.FloatFamily, types.DecimalFamily, types.StringFamily:
		return true
	}
	return false
}

// foldConst replaces an immutable operator applied to constants by its
// value (e is a Binary or Unary whose operands are simplified); e stays
// when it cannot be evaluated now, so that an error is raised only if
// execution reaches it.
func foldConst(e Expr) Expr {
	switch x := e.(type) {
	case *Binary:
		if _, ok := x.L.(*Const); !ok {
			return e
		}
		if _, ok := x.R.(*Const); !ok {
			return e
		}
	case *Unary:
		if _, ok := x.E.(*Const); !ok {
			return e
		}
	case *Cast:
		if _, ok := x.E.(*Const); !ok {
			return e
		}
	default:
		return e
	}
	v, ok := constValue(e)
	if !ok {
		return e
	}
	return &Const{D: v, T: e.Type()}
}

// foldCond is a CASE condition folded to a boolean constant when it is
// constant (NULL counts as false: the arm is not taken); cond otherwise.
func foldCond(cond Expr) Expr {
	if _, ok := cond.(*Const); ok {
		return cond
	}
	v, ok := constValue(cond)
	if !ok {
		return cond
	}
	if types.IsNull(v) {
		return &Const{D: types.Null, T: types.Bool}
	}
	if b, isBool := v.(types.DBool); isBool {
		return &Const{D: b, T: types.Bool}
	}
	return cond
}

// pruneAggs removes from the Agg under p (through filters, sorts and
// limits) the aggregates that no expression above reads any more, once
// simplification dropped the parts that used them. Nothing changes when
// an expression above may read the row in a way refs does not see (a
// subquery's OuterRef).
func pruneAggs(p *Project) {
	var filters []*Filter
	var sorts []*Sort
	n := p.In
	var agg *Agg
	for agg == nil {
		switch x := n.(type) {
		case *Filter:
			filters = append(filters, x)
			n = x.In
		case *Sort:
			sorts = append(sorts, x)
			n = x.In
		case *Limit:
			n = x.In
		case *Agg:
			agg = x
		default:
			return
		}
	}
	ng := len(agg.Groups)
	w := ng + len(agg.Aggs)
	if len(agg.Cols) != w || len(agg.Aggs) == 0 {
		return
	}
	used := make([]bool, w)
	for _, e := range p.Exprs {
		if !refs(e, used) {
			return
		}
	}
	for _, f := range filters {
		if !refs(f.Cond, used) {
			return
		}
	}
	for _, s := range sorts {
		for _, k := range s.Keys {
			if k.Idx < 0 || k.Idx >= w {
				return
			}
			used[k.Idx] = true
		}
	}
	newIdx := make([]int, w)
	var aggs []AggCall
	cols := append([]Col(nil), agg.Cols[:ng]...)
	for i := 0; i < ng; i++ {
		newIdx[i] = i
	}
	for i, a := range agg.Aggs {
		if used[ng+i] {
			newIdx[ng+i] = ng + len(aggs)
			aggs = append(aggs, a)
			cols = append(cols, agg.Cols[ng+i])
		} else {
			newIdx[ng+i] = -1
		}
	}
	if len(aggs) == len(agg.Aggs) {
		return
	}
	m := func(i int) int { return newIdx[i] }
	agg.Aggs, agg.Cols = aggs, cols
	for i, e := range p.Exprs {
		p.Exprs[i] = MapCols(e, m)
	}
	for _, f := range filters {
		f.Cond = MapCols(f.Cond, m)
	}
	for _, s := range sorts {
		for i := range s.Keys {
			s.Keys[i].Idx = newIdx[s.Keys[i].Idx]
		}
	}
}
