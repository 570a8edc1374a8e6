package exec

import (
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
	"slices"
)

// Eval evaluates a scalar expression against row.
func (env *Env) Eval(e plan.Expr, row Row) (types.Datum, error) {
	switch e := e.(type) {
	case *plan.Const:
		return e.D, nil
	case *plan.ColRef:
		return row[e.Idx], nil
	case *plan.OuterRef:
		i := len(env.outer) - e.Level
		if i < 0 || i >= len(env.outer) || e.Idx >= len(env.outer[i]) {
			return nil, pgerr.New(pgerr.Internal, "outer reference out of scope")
		}
		if len(env.traces) > 0 {
			env.noteOuter(i, e.Idx, e.T)
		}
		return env.outer[i][e.Idx], nil
	case *plan.Param:
		if e.N < 1 || e.N > len(env.Params) {
			return nil, pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", e.N)
		}
		d := env.Params[e.N-1]
		return d, nil
	case *plan.Binary:
		l, err := env.Eval(e.L, row)
		if err != nil {
			return nil, err
		}
		r, err := env.Eval(e.R, row)
		if err != nil {
			return nil, err
		}
		if !e.Ov.CalledOnNull && (types.IsNull(l) || types.IsNull(r)) {
			return types.Null, nil
		}
		return e.Ov.Fn(env.EvalCtx, l, r)
	case *plan.Unary:
		v, err := env.Eval(e.E, row)
		if err != nil || types.IsNull(v) {
			return v, err
		}
		return e.Ov.Fn(env.EvalCtx, v)
	case *plan.Logic:
		l, err := env.Eval(e.L, row)
		if err != nil {
			return nil, err
		}
		if e.Op == plan.And && l == types.DBool(false) {
			return l, nil
		}
		if e.Op == plan.Or && l == types.DBool(true) {
			return l, nil
		}
		r, err := env.Eval(e.R, row)
		if err != nil {
			return nil, err
		}
		if e.Op == plan.And {
			return sem.And(l, r), nil
		}
		return sem.Or(l, r), nil
	case *plan.Not:
		v, err := env.Eval(e.E, row)
		if err != nil {
			return nil, err
		}
		return sem.Not(v), nil
	case *plan.IsNull:
		v, err := env.Eval(e.E, row)
		if err != nil {
			return nil, err
		}
		isNull := types.IsNull(v)
		if a, ok := v.(*types.DArray); ok && false {
			_ = a
		}
		return types.DBool(isNull != e.Not), nil
	case *plan.IsBool:
		v, err := env.Eval(e.E, row)
		if err != nil {
			return nil, err
		}
		res := !types.IsNull(v) && v == types.DBool(e.Val)
		return types.DBool(res != e.Not), nil
	case *plan.Cast:
		v, err := env.Eval(e.E, row)
		if err != nil || types.IsNull(v) {
			return v, err
		}
		if e.Explicit {
			return sem.ExplicitCast(env.EvalCtx, v, e.From, e.To)
		}
		return sem.Coerce(env.EvalCtx, v, e.From, e.To)
	case *plan.Case:
		for _, w := range e.Whens {
			c, err := env.Eval(w.Cond, row)
			if err != nil {
				return nil, err
			}
			if c == types.DBool(true) {
				return env.Eval(w.Val, row)
			}
		}
		if e.Else == nil {
			return types.Null, nil
		}
		return env.Eval(e.Else, row)
	case *plan.Coalesce:
		for _, a := range e.Args {
			v, err := env.Eval(a, row)
			if err != nil {
				return nil, err
			}
			if !types.IsNull(v) {
				return v, nil
			}
		}
		return types.Null, nil
	case *plan.NullIf:
		l, err := env.Eval(e.L, row)
		if err != nil {
			return nil, err
		}
		r, err := env.Eval(e.R, row)
		if err != nil {
			return nil, err
		}
		if types.IsNull(l) || types.IsNull(r) {
			return l, nil
		}
		eq, err := e.Eq.Fn(env.EvalCtx, l, r)
		if err != nil {
			return nil, err
		}
		if eq == types.DBool(true) {
			return types.Null, nil
		}
		return l, nil
	case *plan.Greatest:
		vals := make([]types.Datum, len(e.Args))
		for i, a := range e.Args {
			v, err := env.Eval(a, row)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		return sem.Greatest(e.T, vals, e.Least)
	case *plan.Func:
		args := make([]types.Datum, len(e.Args))
		for i, a := range e.Args {
			v, err := env.Eval(a, row)
			if err != nil {
				return nil, err
			}
			if types.IsNull(v) && !e.Ov.CalledOnNull {
				return types.Null, nil
			}
			args[i] = v
		}
		if e.Ov.Fn == nil {
			return nil, pgerr.New(pgerr.FeatureNotSupported, "function %s cannot be called here", e.Ov.Name)
		}
		if len(env.traces) > 0 && volatileCall(e.Ov) {
			env.noteVolatile()
		}
		return e.Ov.Fn(env.EvalCtx, args)
	case *plan.InList:
		l, err := env.Eval(e.E, row)
		if err != nil {
			return nil, err
		}
		res, err := env.evalIn(e, l, row)
		if err != nil {
			return nil, err
		}
		if e.Not {
			return sem.Not(res), nil
		}
		return res, nil
	case *plan.Subquery:
		return env.evalSubquery(e, row)
	case *plan.FieldSelect:
		v, err := env.Eval(e.E, row)
		if err != nil {
			return nil, err
		}
		r, ok := v.(*types.DRecord)
		if !ok || e.Idx >= len(r.Vals) {
			return types.Null, nil
		}
		return r.Vals[e.Idx], nil
	case *plan.RowCtor:
		r := &types.DRecord{Types: make([]*types.T, len(e.Elems)), Vals: make([]types.Datum, len(e.Elems))}
		for i, x := range e.Elems {
			v, err := env.Eval(x, row)
			if err != nil {
				return nil, err
			}
			r.Types[i], r.Vals[i] = x.Type(), v
		}
		return r, nil
	case *plan.ArrayCtor:
		a := &types.DArray{Elem: e.T.Elem}
		var sub []int
		for k, x := range e.Elems {
			v, err := env.Eval(x, row)
			if err != nil {
				return nil, err
			}
			if !e.Nested {
				a.Elems = append(a.Elems, v)
				continue
			}
			if types.IsNull(v) {
				return nil, pgerr.New("2202E", "multidimensional arrays must have array expressions with matching dimensions")
			}
			sa := v.(*types.DArray)
			d := sa.DimLens()
			if k == 0 {
				sub = d
			} else if !slices.Equal(sub, d) {
				return nil, pgerr.New("2202E", "multidimensional arrays must have array expressions with matching dimensions")
			}
			a.Elems = append(a.Elems, sa.Elems...)
		}
		if e.Nested && len(sub) > 0 {
			if len(sub)+1 > 6 {
				return nil, pgerr.New(pgerr.ProgramLimit, "number of array dimensions (%d) exceeds the maximum allowed (6)", len(sub)+1)
			}
			a.Dims = append([]int{len(e.Elems)}, sub...)
		}
		return a, nil
	case *plan.AnyArray:
		l, err := env.Eval(e.L, row)
		if err != nil {
			return nil, err
		}
		r, err := env.Eval(e.R, row)
		if err != nil || types.IsNull(r) {
			return r, err
		}
		return sem.AnyAll(env.EvalCtx, e.Cmp, l, r.(*types.DArray).Elems, e.All)
	case *plan.Subscript:
		a, err := env.Eval(e.E, row)
		if err != nil || types.IsNull(a) {
			return a, err
		}
		i, err := env.Eval(e.Idx, row)
		if err != nil || types.IsNull(i) {
			return types.Null, err
		}
		arr := a.(*types.DArray)
		dims := arr.DimLens()
		if len(dims) != 1+len(e.More) {
			return types.Null, nil // PostgreSQL: the wrong number of subscripts is NULL
		}
		off := 0
		base := 0 // an int2vector's subscripts start at 0
		if e.E.Type().Vector {
			base = 1
		}
		for k := 0; k < len(dims); k++ {
			if k > 0 {
				if i, err = env.Eval(e.More[k-1], row); err != nil || types.IsNull(i) {
					return types.Null, err
				}
			}
			n := int(i.(types.DInt)) + base
			if n < 1 || n > dims[k] {
				return types.Null, nil
			}
			off = off*dims[k] + n - 1
		}
		return arr.Elems[off], nil
	case *plan.SeqFunc:
		env.noteVolatile()
		return env.evalSeq(e, row)
	case *plan.UserFunc:
		args := make(Row, 0, 2*len(e.Args))
		for _, a := range e.Args {
			v, err := env.Eval(a, row)
			if err != nil {
				return nil, err
			}
			if e.Strict && types.IsNull(v) {
				return types.Null, nil
			}
			args = append(args, v)
		}
		args = append(args, args...) // by position, then by name
		return env.Eval(e.Body, args)
	case *plan.DomainCheck:
		v, err := env.Eval(e.E, row)
		if err != nil {
			return nil, err
		}
		if types.IsNull(v) {
			if e.NotNull {
				return nil, pgerr.New(pgerr.NotNullViolation, "domain %s does not allow null values", e.Domain)
			}
			return v, nil
		}
		for i, c := range e.Checks {
			ok, err := env.Eval(c, Row{v})
			if err != nil {
				return nil, err
			}
			if b, isBool := ok.(types.DBool); isBool && !bool(b) {
				return nil, pgerr.New(pgerr.CheckViolation, "value for domain %s violates check constraint %q", e.Domain, e.Names[i])
			}
		}
		return v, nil
	}
	return nil, pgerr.New(pgerr.Internal, "cannot evaluate %T", e)
}

// EvalBool evaluates a condition: true only for TRUE.
func (env *Env) EvalBool(e plan.Expr, row Row) (bool, error) {
	if l, ok := e.(*plan.Logic); ok && l.Op == plan.And {
		// a qualification's conjuncts stop at the first that is not
		// TRUE, NULL included, as PostgreSQL's ExecQual does
		if ok, err := env.EvalBool(l.L, row); err != nil || !ok {
			return false, err
		}
		return env.EvalBool(l.R, row)
	}
	v, err := env.Eval(e, row)
	if err != nil {
		return false, err
	}
	return v == types.DBool(true), nil
}

func (env *Env) runSub(p plan.Node, row Row) ([]Row, error) {
	env.outer = append(env.outer, row)
	defer func() { env.outer = env.outer[:len(env.outer)-1] }()
	return env.collectAccounted(p)
}

// memMark is the usage at a point; sinceMark is what was charged since,
// less what became pinned for the whole statement.
type memMark struct{ used, pinned int64 }

func (env *Env) mark() memMark { return memMark{env.used, env.pinned} }

func (env *Env) sinceMark(m memMark) int64 { return (env.used - m.used) - (env.pinned - m.pinned) }

// evalSubquery evaluates a subquery expression. A correlated subquery's
// rows are dropped once its value is known, so what its evaluation
// charged to the budget is given back; an uncorrelated one's rows are
// cached (and charged) for the whole statement.
func (env *Env) evalSubquery(e *plan.Subquery, row Row) (types.Datum, error) {
	m := env.mark()
	if e.Correlated {
		defer func() { env.release(env.sinceMark(m)) }()
	}
	var rows []Row
	var err error
	if !e.Correlated {
		if env.subq == nil {
			env.subq = map[int][]Row{}
		}
		var ok bool
		if rows, ok = env.subq[e.ID]; !ok {
			if rows, err = env.runSub(e.Plan, row); err != nil {
				return nil, err
			}
			env.subq[e.ID] = rows
			env.pinned += env.sinceMark(m)
		}
	} else if e.Mode == plan.SubExists {
		_, exists, err := env.memoRun(e, row, func() ([]Row, bool, error) {
			env.outer = append(env.outer, row)
			it, err := Build(env, e.Plan)
			var first Row
			if err == nil {
				first, err = it.Next()
			}
			env.outer = env.outer[:len(env.outer)-1]
			return nil, first != nil, err
		})
		if err != nil {
			return nil, err
		}
		return types.DBool(exists), nil
	} else if rows, _, err = env.memoRun(e, row, func() ([]Row, bool, error) {
		rows, err := env.runSub(e.Plan, row)
		return rows, false, err
	}); err != nil {
		return nil, err
	}
	if e.LRow != nil {
		return env.rowSubquery(e, row, rows)
	}
	switch e.Mode {
	case plan.SubExists:
		return types.DBool(len(rows) > 0), nil
	case plan.SubScalar:
		if len(rows) == 0 {
			return types.Null, nil
		}
		if len(rows) > 1 {
			return nil, pgerr.New(pgerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
		}
		return rows[0][0], nil
	case plan.SubArray:
		a := &types.DArray{Elem: e.T.Elem}
		for _, r := range rows {
			a.Elems = append(a.Elems, r[0])
		}
		return a, nil
	case plan.SubAny, plan.SubAll:
		l, err := env.Eval(e.L, row)
		if err != nil {
			return nil, err
		}
		vals := make([]types.Datum, len(rows))
		for i, r := range rows {
			vals[i] = r[0]
		}
		res, err := sem.AnyAll(env.EvalCtx, e.Cmp, l, vals, e.Mode == plan.SubAll)
		if err != nil {
			return nil, err
		}
		if e.Not {
			return sem.Not(res), nil
		}
		return res, nil
	}
	return nil, pgerr.New(pgerr.Internal, "bad subquery mode")
}

// rowSubquery compares the row e.LRow with the subquery's rows: the one
// row of a scalar subquery (NULL for none), or each row for ANY/ALL.
func (env *Env) rowSubquery(e *plan.Subquery, row Row, rows []Row) (types.Datum, error) {
	l := make([]types.Datum, len(e.LRow))
	for i, x := range e.LRow {
		v, err := env.Eval(x, row)
		if err != nil {
			return nil, err
		}
		l[i] = v
	}
	if e.Mode == plan.SubScalar {
		if len(rows) == 0 {
			return types.Null, nil
		}
		if len(rows) > 1 {
			return nil, pgerr.New(pgerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
		}
		return env.rowCompare(e, l, rows[0])
	}
	all := e.Mode == plan.SubAll
	sawNull := false
	for _, r := range rows {
		v, err := env.rowCompare(e, l, r)
		if err != nil {
			return nil, err
		}
		if done, res := sem.QuantStep(v, all, &sawNull); done {
			return res, nil
		}
	}
	return sem.QuantResult(all, sawNull), nil
}

// rowCompare is PostgreSQL's row comparison l op r: = and <> over all
// columns (NULL when no pair differs and one is NULL); <, <=, >, >= decided
// by the first pair that is not equal (NULL when that pair has a NULL).
func (env *Env) rowCompare(e *plan.Subquery, l []types.Datum, r Row) (types.Datum, error) {
	cmp := func(ov *sem.BinaryOverload, a, b types.Datum) (types.Datum, error) {
		if types.IsNull(a) || types.IsNull(b) {
			return types.Null, nil
		}
		return ov.Fn(env.EvalCtx, a, b)
	}
	switch e.RowOp {
	case sem.OpEQ, sem.OpNE:
		sawNull := false
		for i := range l {
			v, err := cmp(e.Eqs[i], l[i], r[i])
			if err != nil {
				return nil, err
			}
			if v == types.DBool(false) {
				return types.DBool(e.RowOp == sem.OpNE), nil
			}
			if v != types.DBool(true) {
				sawNull = true
			}
		}
		if sawNull {
			return types.Null, nil
		}
		return types.DBool(e.RowOp == sem.OpEQ), nil
	}
	for i := range l {
		v, err := cmp(e.Eqs[i], l[i], r[i])
		if err != nil || v != types.DBool(true) && v != types.DBool(false) {
			return types.Null, err
		}
		if v == types.DBool(true) {
			continue
		}
		return cmp(e.Ords[i], l[i], r[i])
	}
	return types.DBool(e.RowOp == sem.OpLE || e.RowOp == sem.OpGE), nil
}

func (env *Env) evalSeq(e *plan.SeqFunc, row Row) (types.Datum, error) {
	key := catalog.SequenceKey(e.Seq.ID)
	opts := e.Seq.Seq
	if opts == nil {
		opts = &catalog.SequenceOpts{Start: 1, Increment: 1, Min: 1, Max: 1<<63 - 1}
	}
	switch e.Op {
	case "nextval":
		v, err := env.DB.Inc(env.Ctx, key, opts.Increment)
		if err != nil {
			return nil, err
		}
		val := opts.Start - opts.Increment + v
		if (opts.Increment > 0 && val > opts.Max) || (opts.Increment < 0 && val < opts.Min) {
			return nil, pgerr.New(pgerr.SequenceLimit, "nextval: reached maximum value of sequence %q (%d)", e.Seq.Name, opts.Max)
		}
		return types.DInt(val), nil
	case "currval", "currval_raw":
		v, err := env.DB.Inc(env.Ctx, key, 0)
		if err != nil {
			return nil, err
		}
		if v == 0 && e.Op == "currval" {
			return nil, pgerr.New("55000", "currval of sequence %q is not yet defined in this session", e.Seq.Name)
		}
		return types.DInt(opts.Start - opts.Increment + v), nil
	case "setval":
		a, err := env.Eval(e.Arg, row)
		if err != nil || types.IsNull(a) {
			return types.Null, err
		}
		target := int64(a.(types.DInt))
		cur, err := env.DB.Inc(env.Ctx, key, 0)
		if err != nil {
			return nil, err
		}
		want := target - opts.Start + opts.Increment
		if e.Called != nil {
			c, err := env.Eval(e.Called, row)
			if err != nil {
				return nil, err
			}
			if b, ok := c.(types.DBool); ok && !bool(b) {
				want = target - opts.Start // the next nextval returns target
			}
		}
		if _, err := env.DB.Inc(env.Ctx, key, want-cur); err != nil {
			return nil, err
		}
		return a, nil
	}
	return nil, pgerr.New(pgerr.FeatureNotSupported, "%s is not supported", e.Op)
}

// evalIn is l IN (e.List...) evaluated in PostgreSQL's order, which
// decides which elements run (and so which errors happen): the parser
// makes elements that refer to the row's columns separate comparisons
// OR-ed after one array comparison of all the other elements (when there
// are at least two of those, else every element is its own comparison),
// and the OR stops at the first TRUE. NOT IN is the negation (an AND of
// <> stopping at the first FALSE, the same elements).
func (env *Env) evalIn(e *plan.InList, l types.Datum, row Row) (types.Datum, error) {
	isVar := make([]bool, len(e.List))
	nonVars := 0
	for i, a := range e.List {
		isVar[i] = refsRow(a)
		if !isVar[i] {
			nonVars++
		}
	}
	vals := make([]types.Datum, 0, len(e.List))
	if nonVars == len(e.List) || nonVars >= 2 {
		for i, a := range e.List {
			if isVar[i] {
				continue
			}
			v, err := env.Eval(a, row)
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
		}
		if nonVars == len(e.List) {
			return sem.AnyAll(env.EvalCtx, e.Cmp, l, vals, false)
		}
	} else {
		for i := range isVar {
			isVar[i] = true // one comparison each, in order
		}
	}
	var res types.Datum = types.DBool(false)
	if len(vals) > 0 {
		r, err := sem.AnyAll(env.EvalCtx, e.Cmp, l, vals, false)
		if err != nil || r == types.DBool(true) {
			return r, err
		}
		res = r
	}
	for i, a := range e.List {
		if !isVar[i] {
			continue
		}
		v, err := env.Eval(a, row)
		if err != nil {
			return nil, err
		}
		r, err := sem.AnyAll(env.EvalCtx, e.Cmp, l, []types.Datum{v}, false)
		if err != nil || r == types.DBool(true) {
			return r, err
		}
		if types.IsNull(r) {
			res = r
		}
	}
	return res, nil
}

// refsRow reports whether e refers to a column of the current row (a
// PostgreSQL Var of the query level), directly or through a correlated
// subquery.
func refsRow(e plan.Expr) bool {
	found := false
	plan.Walk(e, func(x plan.Expr) bool {
		switch x := x.(type) {
		case *plan.ColRef:
			found = true
		case *plan.Subquery:
			if x.Correlated {
				found = true
			}
		}
		return !found
	})
	return found
}
