package plan

import (
	"fmt"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/valuedriver"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// SeqFunc is nextval/currval/setval on a sequence.
type SeqFunc struct {
	Op   string // "nextval", "currval", "setval", "currval_raw"
	Seq  *catalog.Descriptor
	Arg  Expr // setval's value
	Name Expr // sequence named by a runtime value (nil when Seq is set)
	// Called is setval's is_called (nil: true): false makes the next
	// nextval return the value itself.
	Called Expr
}

// Type is BIGINT.
func (e *SeqFunc) Type() *types.T { return types.Int8 }

func (b *Binder) bindSeqFunc(name string, n *ast.FuncCallExpr, sc *scope) (Expr, error) {
	if name == "lastval" || len(n.Args) == 0 {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "%s() is not supported", name)
	}
	v, ok := n.Args[0].(*valuedriver.Value)
	if !ok || v.Kind != valuedriver.KindString {
		if fc, ok2 := n.Args[0].(*ast.FuncCastExpr); ok2 {
			v, ok = fc.Expr.(*valuedriver.Value)
		}
	}
	var seqName string
	if ok && v.Kind == valuedriver.KindString {
		seqName = v.Str
	} else if nm, found, err := b.serialSequenceName(n.Args[0]); err != nil {
		return nil, err
	} else if found {
		seqName = nm // setval(pg_get_serial_sequence('t', 'id'), ...), as Django resets sequences
	} else {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "%s needs a sequence name literal", name)
	}
	schema, seq := "", seqName
	if i := strings.IndexByte(seq, '.'); i >= 0 {
		schema, seq = seq[:i], seq[i+1:]
	}
	seq = strings.Trim(seq, `"`)
	d, err := b.ResolveTable(schema, seq)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", seq)
	}
	if d.Kind != catalog.KindSequence {
		return nil, pgerr.New(pgerr.WrongObjectType, "%q is not a sequence", seq)
	}
	f := &SeqFunc{Op: name, Seq: d}
	if name == "setval" {
		if len(n.Args) < 2 {
			return nil, pgerr.New(pgerr.UndefinedFunction, "function setval(regclass) does not exist")
		}
		a, err := b.bindExpr(n.Args[1], sc)
		if err != nil {
			return nil, err
		}
		if f.Arg, err = b.coerce(a, types.Int8); err != nil {
			return nil, err
		}
		if len(n.Args) > 2 {
			c, err := b.bindExpr(n.Args[2], sc)
			if err != nil {
				return nil, err
			}
			if f.Called, err = b.coerce(c, types.Bool); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// serialSequenceName resolves pg_get_serial_sequence('table', 'column')
// with literal arguments at bind time (found: e is such a call and the
// column owns a sequence).
func (b *Binder) serialSequenceName(e ast.ExprNode) (string, bool, error) {
	fc, ok := e.(*ast.FuncCallExpr)
	if !ok || !strings.EqualFold(strings.TrimPrefix(fc.FnName.L, "pg_catalog."), "pg_get_serial_sequence") || len(fc.Args) != 2 {
		return "", false, nil
	}
	var args []types.Datum
	for _, a := range fc.Args {
		v, ok := a.(*valuedriver.Value)
		if !ok || v.Kind != valuedriver.KindString {
			return "", false, nil
		}
		args = append(args, types.DString(v.Str))
	}
	s, err := b.snapshot()
	if err != nil {
		return "", false, err
	}
	r, err := catFuncs["pg_get_serial_sequence"].fn(s, args)
	if err != nil {
		return "", false, err
	}
	str, ok := r.(types.DString)
	return string(str), ok, nil
}

// bindGrouped handles expressions that are group keys, aggregates or
// window functions in a post-aggregation / windowed scope. ok is false
// when n is none of those (bind it normally).
func (b *Binder) bindGrouped(n ast.ExprNode, sc *scope) (Expr, bool, error) {
	if sc.win != nil {
		if w, ok := n.(*ast.WindowFuncExpr); ok {
			e, err := b.bindWindow(w, sc)
			return e, true, err
		}
	}
	ag := sc.agg
	if ag == nil {
		return nil, false, nil
	}
	if cn, ok := n.(*ast.ColumnNameExpr); ok {
		idx, err := ag.in.lookup(cn.Name.Table.O, cn.Name.Name.O)
		if err != nil {
			return nil, true, err
		}
		if idx >= 0 {
			for i, g := range ag.groups {
				if cr, ok := g.(*ColRef); ok && cr.Idx == idx {
					return &ColRef{Idx: i, T: g.Type()}, true, nil
				}
			}
		}
	}
	key := b.exprKey(n)
	if _, isVal := n.(*valuedriver.Value); !isVal {
		for i, k := range ag.groupKeys {
			if k != "" && k == key {
				return &ColRef{Idx: i, T: ag.groups[i].Type()}, true, nil
			}
		}
	}
	var name string
	var args []ast.ExprNode
	distinct := false
	star := false
	switch a := n.(type) {
	case *ast.AggregateFuncExpr:
		name, args, distinct = strings.ToLower(a.F), a.Args, a.Distinct
		if name == "count" && len(args) == 1 {
			if v, ok := args[0].(*valuedriver.Value); ok && v.Kind == valuedriver.KindInt && !distinct && isCountStar(key) {
				star = true
			}
		}
	case *ast.FuncCallExpr:
		cls, ok := sem.FuncExists(a.FnName.L)
		if !ok || cls != sem.Aggregate {
			return nil, false, nil
		}
		name, args, distinct = a.FnName.L, a.Args, b.Stmt.AggDistinct[a]
	default:
		return nil, false, nil
	}
	// the ORDER BY inside the call and a DISTINCT kept beside the tree
	// are part of the aggregate's identity
	if distinct {
		key += " DISTINCT"
	}
	for _, o := range b.Stmt.AggOrderBy[n] {
		key += " ORDER BY " + b.exprKey(o.Expr)
		if o.Desc {
			key += " DESC"
		}
		if no, ok := b.Stmt.NullsOrder[o]; ok {
			key += fmt.Sprintf(" NULLS %d", no)
		}
	}
	for i, k := range ag.aggKeys {
		if k == key {
			return &ColRef{Idx: len(ag.groups) + i, T: ag.aggs[i].Ov.Return}, true, nil
		}
	}
	in := *ag.in
	in.noAgg = "aggregate function calls"
	in.agg, in.win = nil, nil
	// agg(...) FILTER (WHERE cond) of an aggregate that keeps NULLs: the
	// condition is a last __pg_aggfilter(cond) argument
	var filter Expr
	if k := len(args) - 1; k >= 0 {
		if fc, ok := args[k].(*ast.FuncCallExpr); ok && fc.FnName.L == pgdialect.FuncAggFilter && len(fc.Args) == 1 {
			args = args[:k]
			f, err := b.bindBool(fc.Args[0], &in, "FILTER")
			if err != nil {
				return nil, true, err
			}
			filter = f
		}
	}
	var es []Expr
	var ts []*types.T
	rec := false
	if (name == "json_agg" || name == "jsonb_agg") && len(args) == 1 {
		// json_agg(t) of whole rows
		e, ok, err := b.wholeRow(args[0], &in)
		if err != nil {
			return nil, true, err
		}
		if ok {
			rec = true
			if name == "json_agg" {
				name = "json_agg_record"
			} else {
				e = &Cast{E: e, From: types.JSON, To: types.JSONB, Explicit: true}
			}
			es, ts = []Expr{e}, []*types.T{e.Type()}
		}
	}
	if !star && !rec {
		var err error
		if es, ts, err = b.bindArgs(args, &in); err != nil {
			return nil, true, err
		}
	}
	if hasAggregate(args2nodes(args)...) {
		return nil, true, pgerr.New(pgerr.Grouping, "aggregate function calls cannot be nested")
	}
	ov, err := sem.ResolveFunc(name, ts)
	if err != nil {
		return nil, true, err
	}
	for i := range es {
		if i < len(ov.Args) {
			if es[i], err = b.coerce(es[i], ov.Args[i]); err != nil {
				return nil, true, err
			}
		}
	}
	call := AggCall{Ov: ov, Args: es, Distinct: distinct, Filter: filter}
	if ob, ok := b.Stmt.AggOrderBy[n]; ok {
		for _, o := range ob {
			e, err := b.bindExpr(o.Expr, &in)
			if err != nil {
				return nil, true, err
			}
			if distinct && !b.isAggArg(o.Expr, e, args, es) {
				return nil, true, pgerr.New(pgerr.InvalidColumnRef, "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list")
			}
			k := SortKeyExpr{E: e, Desc: o.Desc, NullsFirst: o.Desc}
			if no, ok := b.Stmt.NullsOrder[o]; ok {
				k.NullsFirst = no == parser.NullsFirst
			}
			call.OrderBy = append(call.OrderBy, k)
		}
	}
	if distinct && len(call.OrderBy) == 0 && len(es) > 0 {
		// PostgreSQL's DISTINCT aggregates sort their input: an
		// order-sensitive one (array_agg, string_agg) sees it sorted
		call.OrderBy = []SortKeyExpr{{E: es[0]}}
	}
	ag.aggKeys = append(ag.aggKeys, key)
	ag.aggs = append(ag.aggs, call)
	return &ColRef{Idx: len(ag.groups) + len(ag.aggs) - 1, T: ov.Return}, true, nil
}

// isAggArg reports whether ORDER BY item o (bound: e) of a DISTINCT
// aggregate is one of its arguments args (bound: es), as PostgreSQL
// demands: the same expression of the same type ('a' of unknown type is
// not the argument 'a' resolved to text).
func (b *Binder) isAggArg(o ast.ExprNode, e Expr, args []ast.ExprNode, es []Expr) bool {
	key := b.exprKey(o)
	for i, a := range args {
		if i < len(es) && b.exprKey(a) == key && es[i].Type().Equal(e.Type()) {
			return true
		}
	}
	return false
}

func isCountStar(key string) bool {
	return strings.Contains(key, "(1)") || strings.Contains(key, "(*)")
}

func args2nodes(args []ast.ExprNode) []ast.Node {
	out := make([]ast.Node, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

func (b *Binder) bindWindow(w *ast.WindowFuncExpr, sc *scope) (Expr, error) {
	key := b.exprKey(w)
	for i, k := range sc.win.keys {
		if k == key {
			return &ColRef{Idx: sc.win.base + i, T: sc.win.calls[i].Ov.Return}, nil
		}
	}
	in := *sc
	in.win = nil
	name := strings.ToLower(w.Name)
	var es []Expr
	var ts []*types.T
	var err error
	star := name == "count" && len(w.Args) == 1 && isCountStar(key)
	if !star {
		if es, ts, err = b.bindArgs(w.Args, &in); err != nil {
			return nil, err
		}
	}
	ov, err := sem.ResolveFunc(name, ts)
	if err != nil {
		return nil, err
	}
	if ov.Class != sem.Window && ov.Class != sem.Aggregate {
		return nil, pgerr.New(pgerr.WrongObjectType, "OVER specified, but %s is not a window function nor an aggregate function", name)
	}
	for i := range es {
		if i < len(ov.Args) {
			if es[i], err = b.coerce(es[i], ov.Args[i]); err != nil {
				return nil, err
			}
		}
	}
	call := WindowCall{Ov: ov, Args: es}
	spec, err := b.resolveWindow(&w.Spec, 0)
	if err != nil {
		return nil, err
	}
	if spec.PartitionBy != nil {
		for _, p := range spec.PartitionBy.Items {
			e, err := b.bindExpr(p.Expr, &in)
			if err != nil {
				return nil, err
			}
			call.PartitionBy = append(call.PartitionBy, e)
		}
	}
	if spec.OrderBy != nil {
		for _, o := range spec.OrderBy.Items {
			e, err := b.bindExpr(o.Expr, &in)
			if err != nil {
				return nil, err
			}
			k := SortKeyExpr{E: e, Desc: o.Desc, NullsFirst: o.Desc}
			if no, ok := b.Stmt.NullsOrder[o]; ok {
				k.NullsFirst = no == parser.NullsFirst
			}
			call.OrderBy = append(call.OrderBy, k)
		}
	}
	if spec.Frame != nil {
		f := &Frame{Rows: spec.Frame.Type == ast.Rows, Groups: spec.Frame.Type == ast.Groups}
		// offsetType is what an offset is coerced to: a row or group
		// count, or in RANGE mode a value of the ORDER BY key's type
		offsetType := func() (*types.T, error) {
			if f.Rows || f.Groups {
				return types.Int8, nil
			}
			if len(call.OrderBy) != 1 {
				return nil, pgerr.New(pgerr.WindowingError, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
			}
			kt := call.OrderBy[0].E.Type()
			if kt.Family != types.IntFamily && kt.Family != types.DecimalFamily {
				return nil, pgerr.New(pgerr.FeatureNotSupported, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s", kt.String())
			}
			return kt, nil
		}
		conv := func(fb ast.FrameBound, start bool) (int, Expr, error) {
			switch fb.Type {
			case ast.CurrentRow:
				return 2, nil, nil
			case ast.Preceding:
				if fb.UnBounded {
					return 0, nil, nil
				}
				e, err := b.bindExpr(fb.Expr, &in)
				if err != nil {
					return 0, nil, err
				}
				ot, err := offsetType()
				if err != nil {
					return 0, nil, err
				}
				e, err = b.coerce(e, ot)
				return 1, e, err
			case ast.Following:
				if fb.UnBounded {
					return 4, nil, nil
				}
				e, err := b.bindExpr(fb.Expr, &in)
				if err != nil {
					return 0, nil, err
				}
				ot, err := offsetType()
				if err != nil {
					return 0, nil, err
				}
				e, err = b.coerce(e, ot)
				return 3, e, err
			}
			return 2, nil, nil
		}
		if f.StartKind, f.StartOff, err = conv(spec.Frame.Extent.Start, true); err != nil {
			return nil, err
		}
		if f.EndKind, f.EndOff, err = conv(spec.Frame.Extent.End, false); err != nil {
			return nil, err
		}
		call.Frame = f
	}
	sc.win.keys = append(sc.win.keys, key)
	sc.win.calls = append(sc.win.calls, call)
	return &ColRef{Idx: sc.win.base + len(sc.win.calls) - 1, T: ov.Return}, nil
}

// resolveWindow folds named windows into spec: OVER w is w's definition;
// OVER (w ORDER BY …) and WINDOW w2 AS (w …) copy w's PARTITION BY (and
// its ORDER BY unless given) and add their own clauses, as PostgreSQL does.
func (b *Binder) resolveWindow(spec *ast.WindowSpec, depth int) (ast.WindowSpec, error) {
	if depth > len(b.windowDefs) {
		return ast.WindowSpec{}, pgerr.New(pgerr.WindowingError, "window definitions refer to each other in a cycle")
	}
	ref := spec.Ref
	if spec.OnlyAlias {
		ref = spec.Name
	}
	if ref.L == "" {
		return *spec, nil
	}
	def, ok := b.windowDefs[ref.L]
	if !ok {
		return ast.WindowSpec{}, pgerr.New(pgerr.UndefinedObject, "window %q does not exist", ref.O)
	}
	base, err := b.resolveWindow(def, depth+1)
	if err != nil {
		return ast.WindowSpec{}, err
	}
	if spec.OnlyAlias {
		return base, nil
	}
	if spec.PartitionBy != nil {
		return ast.WindowSpec{}, pgerr.New(pgerr.WindowingError, "cannot override PARTITION BY clause of window %q", ref.O)
	}
	if spec.OrderBy != nil && base.OrderBy != nil {
		return ast.WindowSpec{}, pgerr.New(pgerr.WindowingError, "cannot override ORDER BY clause of window %q", ref.O)
	}
	if base.Frame != nil {
		return ast.WindowSpec{}, pgerr.New(pgerr.WindowingError, "cannot copy window %q because it has a frame clause", ref.O)
	}
	out := base
	if spec.OrderBy != nil {
		out.OrderBy = spec.OrderBy
	}
	out.Frame = spec.Frame
	return out, nil
}
