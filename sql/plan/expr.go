package plan

import (
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// Expr is a bound scalar expression.
type Expr interface{ Type() *types.T }

// Const is a constant.
type Const struct {
	D types.Datum
	T *types.T
}

// ColRef is column Idx of the input row.
type ColRef struct {
	Idx int
	T   *types.T
}

// OuterRef is column Idx of the row of the Level-th enclosing query.
type OuterRef struct {
	Level, Idx int
	T          *types.T
}

// Param is $N (1-based).
type Param struct {
	N int
	T *types.T
}

// Binary applies a binary operator overload.
type Binary struct {
	Ov   *sem.BinaryOverload
	L, R Expr
}

// Unary applies a prefix operator overload.
type Unary struct {
	Ov *sem.UnaryOverload
	E  Expr
}

// LogicOp is AND or OR.
type LogicOp uint8

// Logic operators.
const (
	And LogicOp = iota
	Or
)

// Logic is three-valued AND/OR.
type Logic struct {
	Op   LogicOp
	L, R Expr
}

// Not is three-valued NOT.
type Not struct{ E Expr }

// IsNull is E IS [NOT] NULL.
type IsNull struct {
	E   Expr
	Not bool
}

// IsBool is E IS [NOT] TRUE/FALSE.
type IsBool struct {
	E        Expr
	Val, Not bool
}

// Cast converts From to To (implicit, assignment or explicit).
type Cast struct {
	E        Expr
	From, To *types.T
	Explicit bool
}

// When is one CASE branch.
type When struct{ Cond, Val Expr }

// Case is a searched CASE (simple CASE is lowered to equalities).
type Case struct {
	Whens []When
	Else  Expr
	T     *types.T
}

// Coalesce returns its first non-NULL argument.
type Coalesce struct {
	Args []Expr
	T    *types.T
}

// NullIf is NULLIF(L, R).
type NullIf struct {
	L, R Expr
	Eq   *sem.BinaryOverload
}

// Greatest is GREATEST/LEAST.
type Greatest struct {
	Args  []Expr
	T     *types.T
	Least bool
}

// Func calls a scalar function.
type Func struct {
	Ov   *sem.FuncOverload
	Args []Expr
}

// InList is E [NOT] IN (List...), each compared with Cmp.
type InList struct {
	E    Expr
	List []Expr
	Cmp  *sem.BinaryOverload
	Not  bool
}

// SubqueryMode says how a subquery's rows become a value.
type SubqueryMode uint8

// Subquery modes.
const (
	SubScalar SubqueryMode = iota
	SubExists
	SubAny // L cmp ANY (subquery); IN is = ANY
	SubAll
	SubArray // ARRAY(subquery)
)

// Subquery is a query used as a value.
type Subquery struct {
	Plan Node
	Mode SubqueryMode
	L    Expr
	Cmp  *sem.BinaryOverload
	Not  bool
	// Correlated subqueries refer to enclosing rows and are re-run per row.
	Correlated bool
	T          *types.T
	// ID numbers the subquery within its statement (for caching).
	ID int
	// LRow (instead of L) is a row compared with each subquery row
	// column by column, as in (a, b) IN (SELECT x, y ...) or (a, b) =
	// (SELECT x, y) (SubScalar): RowOp is the comparison, Eqs the = of
	// each column pair and Ords its < (RowOp < or <=) or > (> or >=).
	LRow  []Expr
	RowOp sem.BinaryOp
	Eqs   []*sem.BinaryOverload
	Ords  []*sem.BinaryOverload
}

// ArrayCtor is ARRAY[...].
type ArrayCtor struct {
	Elems []Expr
	T     *types.T
	// Nested: the elements are arrays of equal dimensions, stacked into
	// one more dimension (ARRAY[[1,2],[3,4]]); T is their type then.
	Nested bool
}

// RowCtor is ROW(a, b, ...) (or (a, b, ...)) as a value: a record.
type RowCtor struct {
	Elems []Expr
}

// FieldSelect is (E).field of a composite value: field Idx.
type FieldSelect struct {
	E   Expr
	Idx int
	T   *types.T
}

// AnyArray is L cmp ANY/ALL(array expression).
type AnyArray struct {
	L, R Expr
	Cmp  *sem.BinaryOverload
	All  bool
}

// Subscript is E[Idx].
type Subscript struct {
	E, Idx Expr
	// More are the further subscripts of E[Idx][i2]... (one per
	// dimension of a multi-dimensional array).
	More []Expr
	T    *types.T
}

// DomainCheck is a value cast to a domain: E (of the domain's base
// type), checked against the domain's NOT NULL and CHECK constraints
// (Checks are over a one-column row: the value, VALUE in their text;
// Names are their names).
type DomainCheck struct {
	E       Expr
	Domain  string
	NotNull bool
	Checks  []Expr
	Names   []string
}

// Type implementations.
func (e *Const) Type() *types.T       { return e.T }
func (e *ColRef) Type() *types.T      { return e.T }
func (e *OuterRef) Type() *types.T    { return e.T }
func (e *Param) Type() *types.T       { return e.T }
func (e *Binary) Type() *types.T      { return e.Ov.Return }
func (e *Unary) Type() *types.T       { return e.Ov.Return }
func (e *Logic) Type() *types.T       { return types.Bool }
func (e *Not) Type() *types.T         { return types.Bool }
func (e *IsNull) Type() *types.T      { return types.Bool }
func (e *IsBool) Type() *types.T      { return types.Bool }
func (e *Cast) Type() *types.T        { return e.To }
func (e *Case) Type() *types.T        { return e.T }
func (e *Coalesce) Type() *types.T    { return e.T }
func (e *NullIf) Type() *types.T      { return e.L.Type() }
func (e *Greatest) Type() *types.T    { return e.T }
func (e *Func) Type() *types.T        { return e.Ov.Return }
func (e *InList) Type() *types.T      { return types.Bool }
func (e *Subquery) Type() *types.T    { return e.T }
func (e *ArrayCtor) Type() *types.T   { return e.T }
func (e *RowCtor) Type() *types.T     { return types.Record }
func (e *FieldSelect) Type() *types.T { return e.T }
func (e *AnyArray) Type() *types.T    { return types.Bool }
func (e *Subscript) Type() *types.T   { return e.T }
func (e *DomainCheck) Type() *types.T { return e.E.Type() }

// Walk calls f on e and its children (not into subquery plans) until f
// returns false.
func Walk(e Expr, f func(Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	switch e := e.(type) {
	case *Binary:
		Walk(e.L, f)
		Walk(e.R, f)
	case *Unary:
		Walk(e.E, f)
	case *Logic:
		Walk(e.L, f)
		Walk(e.R, f)
	case *Not:
		Walk(e.E, f)
	case *IsNull:
		Walk(e.E, f)
	case *IsBool:
		Walk(e.E, f)
	case *Cast:
		Walk(e.E, f)
	case *Case:
		for _, w := range e.Whens {
			Walk(w.Cond, f)
			Walk(w.Val, f)
		}
		Walk(e.Else, f)
	case *Coalesce:
		for _, a := range e.Args {
			Walk(a, f)
		}
	case *NullIf:
		Walk(e.L, f)
		Walk(e.R, f)
	case *Greatest:
		for _, a := range e.Args {
			Walk(a, f)
		}
	case *Func:
		for _, a := range e.Args {
			Walk(a, f)
		}
	case *InList:
		Walk(e.E, f)
		for _, a := range e.List {
			Walk(a, f)
		}
	case *Subquery:
		Walk(e.L, f)
		for _, a := range e.LRow {
			Walk(a, f)
		}
	case *ArrayCtor:
		for _, a := range e.Elems {
			Walk(a, f)
		}
	case *RowCtor:
		for _, a := range e.Elems {
			Walk(a, f)
		}
	case *FieldSelect:
		Walk(e.E, f)
	case *AnyArray:
		Walk(e.L, f)
		Walk(e.R, f)
	case *Subscript:
		Walk(e.E, f)
		Walk(e.Idx, f)
		for _, x := range e.More {
			Walk(x, f)
		}
	case *DomainCheck:
		Walk(e.E, f) // (the checks read the value, not the input row)
	case *UserFunc:
		for _, a := range e.Args {
			Walk(a, f) // (the body reads the arguments, not the input row)
		}
	}
}

// Reusable reports whether a bound query plan may be executed again with
// new parameter values: a tree of Project, Filter and Scan (no locking)
// whose expressions are only constants, column references, parameters,
// operators, casts and IN lists. Such a plan holds no per-execution state
// and nothing evaluated at bind time except literal casts (which depend on
// the session time zone, part of the caller's cache key); functions (now(),
// random(), nextval()), subqueries, joins and aggregations are not
// considered.
func Reusable(n Node) bool { return reusableTree(n, false) }

// ReusableWrite is Reusable for a prepared single-table write: an INSERT
// of VALUES rows (no ON CONFLICT) or an UPDATE over a reusable tree (its
// scan locks: the lock is taken when it runs), whose values, defaults and
// assignments are reusable expressions, without RETURNING and without
// foreign keys either way.
func ReusableWrite(n Node) bool {
	switch n := n.(type) {
	case *Insert:
		v, ok := n.Input.(*Values)
		if !ok || n.OnConflict != nil || len(n.Returning) > 0 || len(n.FKOut) > 0 || n.Table == nil || n.Codec == nil {
			return false
		}
		for _, row := range v.Rows {
			for _, e := range row {
				if !reusableExpr(e) {
					return false
				}
			}
		}
		for _, e := range n.Defaults {
			if e != nil && !reusableExpr(e) {
				return false
			}
		}
		return true
	case *Update:
		if len(n.Returning) > 0 || len(n.FKOut) > 0 || len(n.FKIn) > 0 || n.Table == nil || n.Codec == nil {
			return false
		}
		for _, e := range n.Set {
			if !reusableExpr(e) {
				return false
			}
		}
		return reusableTree(n.Input, true)
	}
	return false
}

func reusableTree(n Node, locking bool) bool {
	switch n := n.(type) {
	case *Project:
		for _, e := range n.Exprs {
			if !reusableExpr(e) {
				return false
			}
		}
		return reusableTree(n.In, locking)
	case *Filter:
		return reusableExpr(n.Cond) && reusableTree(n.In, locking)
	case *Scan:
		if (n.Locking && !locking) || n.Table == nil || n.Codec == nil {
			return false
		}
		for _, sp := range n.Spans {
			for _, e := range sp.Eq {
				if !reusableExpr(e) {
					return false
				}
			}
			if (sp.Lo != nil && !reusableExpr(sp.Lo)) || (sp.Hi != nil && !reusableExpr(sp.Hi)) {
				return false
			}
			for _, e := range append(append([]Expr{}, sp.LoRest...), sp.HiRest...) {
				if !reusableExpr(e) {
					return false
				}
			}
		}
		return true
	}
	return false
}

func reusableExpr(e Expr) bool {
	ok := true
	Walk(e, func(x Expr) bool {
		switch x.(type) {
		case *Const, *ColRef, *Param, *Binary, *Unary, *Logic, *Not, *IsNull, *IsBool, *Cast, *InList:
			return true
		}
		ok = false
		return false
	})
	return ok
}

// RefsOnly reports whether e uses no input column outside [lo, hi) and
// nothing volatile; subqueries count as not pure.
func RefsOnly(e Expr, lo, hi int) bool {
	ok := true
	Walk(e, func(x Expr) bool {
		switch x := x.(type) {
		case *ColRef:
			if x.Idx < lo || x.Idx >= hi {
				ok = false
			}
		case *Subquery:
			ok = false
		case *Func:
			if x.Ov.Volatility == sem.Volatile {
				ok = false
			}
		case *UserFunc:
			if x.Volatile {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// ShiftCols returns e with ColRef indexes moved by delta (a copy).
func ShiftCols(e Expr, delta int) Expr {
	return MapCols(e, func(i int) int { return i + delta })
}

// MapCols returns a copy of e with ColRef indexes mapped.
func MapCols(e Expr, m func(int) int) Expr {
	switch x := e.(type) {
	case nil:
		return nil
	case *ColRef:
		return &ColRef{Idx: m(x.Idx), T: x.T}
	case *Binary:
		return &Binary{Ov: x.Ov, L: MapCols(x.L, m), R: MapCols(x.R, m)}
	case *Unary:
		return &Unary{Ov: x.Ov, E: MapCols(x.E, m)}
	case *Logic:
		return &Logic{Op: x.Op, L: MapCols(x.L, m), R: MapCols(x.R, m)}
	case *Not:
		return &Not{E: MapCols(x.E, m)}
	case *IsNull:
		return &IsNull{E: MapCols(x.E, m), Not: x.Not}
	case *IsBool:
		return &IsBool{E: MapCols(x.E, m), Val: x.Val, Not: x.Not}
	case *Cast:
		c := *x
		c.E = MapCols(x.E, m)
		return &c
	case *Case:
		c := &Case{T: x.T, Else: MapCols(x.Else, m)}
		for _, w := range x.Whens {
			c.Whens = append(c.Whens, When{MapCols(w.Cond, m), MapCols(w.Val, m)})
		}
		return c
	case *Coalesce:
		return &Coalesce{Args: mapList(x.Args, m), T: x.T}
	case *NullIf:
		return &NullIf{L: MapCols(x.L, m), R: MapCols(x.R, m), Eq: x.Eq}
	case *Greatest:
		return &Greatest{Args: mapList(x.Args, m), T: x.T, Least: x.Least}
	case *Func:
		return &Func{Ov: x.Ov, Args: mapList(x.Args, m)}
	case *InList:
		return &InList{E: MapCols(x.E, m), List: mapList(x.List, m), Cmp: x.Cmp, Not: x.Not}
	case *Subquery:
		c := *x
		c.L = MapCols(x.L, m)
		if x.LRow != nil {
			c.LRow = mapList(x.LRow, m)
		}
		return &c
	case *ArrayCtor:
		return &ArrayCtor{Elems: mapList(x.Elems, m), T: x.T, Nested: x.Nested}
	case *RowCtor:
		return &RowCtor{Elems: mapList(x.Elems, m)}
	case *FieldSelect:
		return &FieldSelect{E: MapCols(x.E, m), Idx: x.Idx, T: x.T}
	case *AnyArray:
		return &AnyArray{L: MapCols(x.L, m), R: MapCols(x.R, m), Cmp: x.Cmp, All: x.All}
	case *Subscript:
		return &Subscript{E: MapCols(x.E, m), Idx: MapCols(x.Idx, m), More: mapList(x.More, m), T: x.T}
	case *DomainCheck:
		c := *x
		c.E = MapCols(x.E, m)
		return &c
	case *UserFunc:
		c := *x
		c.Args = mapList(x.Args, m)
		return &c
	}
	return e
}

func mapList(l []Expr, m func(int) int) []Expr {
	out := make([]Expr, len(l))
	for i, e := range l {
		out[i] = MapCols(e, m)
	}
	return out
}

// Conjuncts splits an AND tree.
func Conjuncts(e Expr, out []Expr) []Expr {
	if l, ok := e.(*Logic); ok && l.Op == And {
		return Conjuncts(l.R, Conjuncts(l.L, out))
	}
	if e == nil {
		return out
	}
	return append(out, e)
}

// AndAll joins conjuncts (nil for none).
func AndAll(es []Expr) Expr {
	var out Expr
	for _, e := range es {
		if out == nil {
			out = e
		} else {
			out = &Logic{Op: And, L: out, R: e}
		}
	}
	return out
}
