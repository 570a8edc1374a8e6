package plan

import (
	"sort"

	"github.com/tesseradb/tessera/sql/types"
)

// Simplify folds what PostgreSQL's planner folds without evaluating
// anything (eval_const_expressions' NULL rules): a strict operator, cast
// or function with a NULL constant operand is NULL; AND/OR/NOT, IS [NOT]
// NULL and IS [NOT] TRUE/FALSE of constants are constants; AND with a
// FALSE operand is FALSE and OR with a TRUE one TRUE; x IN (...) with a
// NULL constant x is NULL; CASE drops branches whose condition is a FALSE
// or NULL constant and COALESCE its NULL constants. The result has e's
// type. Folding changes no result, only which operands are evaluated: as
// in PostgreSQL, NULL > 1/0 is NULL, not a division-by-zero error.
func Simplify(e Expr) Expr {
	switch x := e.(type) {
	case *Binary:
		l, r := Simplify(x.L), Simplify(x.R)
		if !x.Ov.CalledOnNull && (isNullConst(l) || isNullConst(r)) {
			return nullOf(x)
		}
		if l == x.L && r == x.R {
			return foldConst(x)
		}
		return foldConst(&Binary{Ov: x.Ov, L: l, R: r})
	case *Unary:
		in := Simplify(x.E)
		if isNullConst(in) {
			return nullOf(x)
		}
		if in == x.E {
			return foldConst(x)
		}
		return foldConst(&Unary{Ov: x.Ov, E: in})
	case *Cast:
		in := Simplify(x.E)
		if isNullConst(in) {
			return nullOf(x)
		}
		if in == x.E {
			return foldConst(x)
		}
		c := *x
		c.E = in
		return foldConst(&c)
	case *Func:
		args, changed := simplifyList(x.Args)
		if !x.Ov.CalledOnNull && x.Ov.Fn != nil {
			for _, a := range args {
				if isNullConst(a) {
					return nullOf(x)
				}
			}
		}
		if !changed {
			return x
		}
		return &Func{Ov: x.Ov, Args: args}
	case *Logic:
		l, r := Simplify(x.L), Simplify(x.R)
		lb, lok := boolConst(l)
		rb, rok := boolConst(r)
		// the dominant value: FALSE for AND, TRUE for OR
		dom := x.Op == Or
		switch {
		case lok && lb == dom && !isNullConst(l), rok && rb == dom && !isNullConst(r):
			return &Const{D: types.DBool(dom), T: types.Bool}
		case lok && !isNullConst(l):
			return r // the neutral value
		case rok && !isNullConst(r):
			return l
		case isNullConst(l) && isNullConst(r):
			return nullOf(x)
		}
		if l == x.L && r == x.R {
			return x
		}
		return &Logic{Op: x.Op, L: l, R: r}
	case *Not:
		// PostgreSQL pushes NOT down (negate_clause): De Morgan through
		// AND/OR, into IS [NOT] NULL/TRUE/FALSE and [NOT] IN, and NOT NOT
		// x is x; a NULL constant uncovered this way then folds the AND/OR
		switch y := x.E.(type) {
		case *Logic:
			op := And
			if y.Op == And {
				op = Or
			}
			return Simplify(&Logic{Op: op, L: &Not{E: y.L}, R: &Not{E: y.R}})
		case *Not:
			return Simplify(y.E)
		case *IsNull:
			return Simplify(&IsNull{E: y.E, Not: !y.Not})
		case *IsBool:
			return Simplify(&IsBool{E: y.E, Val: y.Val, Not: !y.Not})
		case *InList:
			return Simplify(&InList{E: y.E, List: y.List, Cmp: y.Cmp, Not: !y.Not})
		}
		in := Simplify(x.E)
		if isNullConst(in) {
			return nullOf(x)
		}
		if b, ok := boolConst(in); ok {
			return &Const{D: types.DBool(!b), T: types.Bool}
		}
		if in == x.E {
			return x
		}
		return &Not{E: in}
	case *IsNull:
		in := Simplify(x.E)
		if c, ok := in.(*Const); ok {
			return &Const{D: types.DBool(types.IsNull(c.D) != x.Not), T: types.Bool}
		}
		if in == x.E {
			return x
		}
		return &IsNull{E: in, Not: x.Not}
	case *IsBool:
		in := Simplify(x.E)
		if c, ok := in.(*Const); ok {
			b, isBool := c.D.(types.DBool)
			r := isBool && bool(b) == x.Val
			if types.IsNull(c.D) || isBool {
				return &Const{D: types.DBool(r != x.Not), T: types.Bool}
			}
		}
		if in == x.E {
			return x
		}
		return &IsBool{E: in, Val: x.Val, Not: x.Not}
	case *InList:
		l := Simplify(x.E)
		list, changed := simplifyList(x.List)
		if isNullConst(l) && !x.Cmp.CalledOnNull {
			return nullOf(x)
		}
		if l == x.E && !changed {
			return x
		}
		return &InList{E: l, List: list, Cmp: x.Cmp, Not: x.Not}
	case *Case:
		c := &Case{T: x.T}
		changed := false
		for _, w := range x.Whens {
			cond := foldCond(Simplify(w.Cond))
			if b, ok := boolConst(cond); ok && !b {
				// never taken: its result is dropped unsimplified, as
				// PostgreSQL does (no error from folding it)
				changed = true
				continue
			}
			val := Simplify(w.Val)
			changed = changed || cond != w.Cond || val != w.Val
			if b, ok := boolConst(cond); ok || isNullConst(cond) {
				if !b || isNullConst(cond) {
					changed = true
					continue // never taken
				}
				// always taken: the later branches never are
				c.Else, changed = val, true
				goto done
			}
			c.Whens = append(c.Whens, When{Cond: cond, Val: val})
		}
		if x.Else != nil {
			c.Else = Simplify(x.Else)
			changed = changed || c.Else != x.Else
		}
	done:
		if !changed {
			return x
		}
		if len(c.Whens) == 0 {
			if c.Else == nil {
				return &Const{D: types.Null, T: x.T}
			}
			if c.Else.Type().Equal(x.T) {
				return c.Else
			}
		}
		return c
	case *NullIf:
		l, r := Simplify(x.L), Simplify(x.R)
		if isNullConst(r) || isNullConst(l) {
			return l // NULLIF(x, NULL) is x; NULLIF(NULL, y) is NULL
		}
		if l == x.L && r == x.R {
			return x
		}
		return &NullIf{L: l, R: r, Eq: x.Eq}
	case *Greatest:
		args, changed := simplifyList(x.Args)
		if !changed {
			return x
		}
		return &Greatest{Args: args, T: x.T, Least: x.Least}
	case *Coalesce:
		var args []Expr
		changed := false
		for _, a := range x.Args {
			s := Simplify(a)
			changed = changed || s != a
			if isNullConst(s) {
				changed = true
				continue
			}
			args = append(args, s)
			if _, ok := s.(*Const); ok {
				break // a non-NULL constant: the rest are never evaluated
			}
		}
		if !changed && len(args) == len(x.Args) {
			return x
		}
		switch len(args) {
		case 0:
			return &Const{D: types.Null, T: x.T}
		case 1:
			if args[0].Type().Equal(x.T) {
				return args[0]
			}
		}
		return &Coalesce{Args: args, T: x.T}
	}
	return e
}

func simplifyList(l []Expr) ([]Expr, bool) {
	var out []Expr
	for i, a := range l {
		s := Simplify(a)
		if s != a && out == nil {
			out = append(make([]Expr, 0, len(l)), l[:i]...)
		}
		if out != nil {
			out = append(out, s)
		}
	}
	if out == nil {
		return l, false
	}
	return out, true
}

func isNullConst(e Expr) bool {
	c, ok := e.(*Const)
	return ok && types.IsNull(c.D)
}

// boolConst reports a boolean constant's value; a NULL constant reports
// (false, true) too, callers that care test isNullConst first.
func boolConst(e Expr) (bool, bool) {
	c, ok := e.(*Const)
	if !ok {
		return false, false
	}
	if types.IsNull(c.D) {
		return false, true
	}
	b, ok := c.D.(types.DBool)
	return bool(b), ok
}

func nullOf(e Expr) Expr { return &Const{D: types.Null, T: e.Type()} }

// neverTrue reports whether a filter condition is a FALSE or NULL
// constant: the filter passes no row, so its input need not run.
func neverTrue(e Expr) bool {
	b, ok := boolConst(e)
	return ok && !b
}

// orderConjuncts orders a filter's conjuncts as PostgreSQL evaluates
// them, which decides which conjuncts run for a row (AND stops at the
// first FALSE) and so which errors happen: conjuncts that refer to no
// column of the row first (PostgreSQL's one-time gating filter), then the
// rest by ascending estimated cost (order_qual_clauses), stable.
func orderConjuncts(cs []Expr) {
	if len(cs) < 2 {
		return
	}
	cost := make(map[Expr]float64, len(cs))
	for _, c := range cs {
		if pseudoConstant(c) {
			cost[c] = -1
		} else {
			cost[c] = qualCost(c)
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cost[cs[i]] < cost[cs[j]] })
}

// pseudoConstant: no column of the row, no subquery, nothing volatile.
func pseudoConstant(e Expr) bool { return RefsOnly(e, 0, 0) }

// qualCost approximates PostgreSQL's cost_qual_eval: one unit per
// operator, function or cast call, half a comparison per IN list element,
// subqueries dear; column references, constants, AND/OR/NOT, IS NULL and
// CASE itself free.
func qualCost(e Expr) float64 {
	var c float64
	Walk(e, func(x Expr) bool {
		switch x := x.(type) {
		case *Binary, *Unary, *Func, *Cast, *NullIf:
			c++
		case *InList:
			if len(x.List) == 1 {
				c++ // a plain comparison
			} else {
				c += float64(len(x.List)) * 0.5
			}
		case *AnyArray:
			c += 5
		case *Subquery:
			c += 1000
		}
		return true
	})
	return c
}

// splitNotIn expands a conjunct x NOT IN (...) whose elements refer to
// the row as PostgreSQL's parser does: x NOT IN (the other elements, when
// at least two) AND x <> e for each remaining element, as separate
// conjuncts (ordered by cost later, each stopping the row when not TRUE).
// x must be free of subqueries and volatile functions (it is repeated).
func splitNotIn(c Expr, out []Expr) []Expr {
	in, ok := c.(*InList)
	if !ok || !in.Not || len(in.List) < 2 || !RefsOnly(in.E, 0, 1<<30) {
		return append(out, c)
	}
	var vars, nonVars []Expr
	for _, e := range in.List {
		if refsCols(e) {
			vars = append(vars, e)
		} else {
			nonVars = append(nonVars, e)
		}
	}
	if len(vars) == 0 {
		return append(out, c)
	}
	rest := in.List
	if len(nonVars) >= 2 {
		out = append(out, &InList{E: in.E, List: nonVars, Cmp: in.Cmp, Not: true})
		rest = vars
	}
	for _, e := range rest {
		out = append(out, &InList{E: in.E, List: []Expr{e}, Cmp: in.Cmp, Not: true})
	}
	return out
}

// refsCols reports whether e refers to a column of the row (directly or
// through a correlated subquery).
func refsCols(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		switch x := x.(type) {
		case *ColRef:
			found = true
		case *Subquery:
			found = found || x.Correlated
		}
		return !found
	})
	return found
}
