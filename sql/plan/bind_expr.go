package plan

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cockroachdb/apd/v3"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/valuedriver"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

var binOps = map[opcode.Op]sem.BinaryOp{
	opcode.Plus: sem.OpPlus, opcode.Minus: sem.OpMinus, opcode.Mul: sem.OpMult, opcode.Div: sem.OpDiv,
	opcode.Mod: sem.OpMod, opcode.EQ: sem.OpEQ, opcode.NE: sem.OpNE, opcode.LT: sem.OpLT, opcode.LE: sem.OpLE,
	opcode.GT: sem.OpGT, opcode.GE: sem.OpGE, opcode.And: sem.OpBitAnd, opcode.Or: sem.OpBitOr,
	opcode.Xor: sem.OpBitXor, opcode.LeftShift: sem.OpLShift, opcode.RightShift: sem.OpRShift,
	opcode.NullEQ: sem.OpIsNotDistinct,
}

func isUnknown(t *types.T) bool { return t.Family == types.UnknownFamily }

// noteClockLiteral sets ReadsClock when the literal d, read as type t,
// is 'now', 'today', 'tomorrow' or 'yesterday'.
func (b *Binder) noteClockLiteral(d types.Datum, t *types.T) {
	if s, ok := d.(types.DString); ok && types.IsRelativeTime(t, string(s)) {
		b.ReadsClock = true
	}
}

// coerce converts e to type t (implicit/assignment cast), folding untyped
// literals and typing untyped parameters.
func (b *Binder) coerce(e Expr, t *types.T) (Expr, error) {
	if t == nil || isUnknown(t) {
		return e, nil
	}
	from := e.Type()
	if from.Equal(t) {
		return e, nil
	}
	switch x := e.(type) {
	case *Const:
		if types.IsNull(x.D) {
			return &Const{D: types.Null, T: t}, nil
		}
		if isUnknown(from) {
			b.noteClockLiteral(x.D, t)
			d, err := sem.Coerce(b.Eval, x.D, from, t)
			if err != nil {
				return nil, err
			}
			return &Const{D: d, T: t}, nil
		}
	case *Param:
		if isUnknown(from) {
			b.setParam(x.N, t)
			return &Param{N: x.N, T: t}, nil
		}
	}
	if isUnknown(from) {
		return &Cast{E: e, From: from, To: t}, nil
	}
	return &Cast{E: e, From: from, To: t}, nil
}

func (b *Binder) setParam(n int, t *types.T) {
	for len(b.Params) < n {
		b.Params = append(b.Params, nil)
	}
	if b.Params[n-1] == nil || isUnknown(b.Params[n-1]) {
		b.Params[n-1] = t
	}
}

// pgOps maps the operators of parser.OperatorExpr to sql/sem's.
var pgOps = map[string]sem.BinaryOp{
	"^": sem.OpPow, "->": sem.OpJSONGet, "->>": sem.OpJSONGetText, "#>": sem.OpJSONPath,
	"#>>": sem.OpJSONPathText, "@>": sem.OpContains, "<@": sem.OpContainedBy,
	"?": sem.OpJSONExists, "?|": sem.OpJSONExistsAny, "?&": sem.OpJSONExistsAll, "&&": sem.OpOverlap, "#-": sem.OpJSONDelPath,
	"@?": sem.OpPathExists, "@@": sem.OpPathMatch,
}

// bindBinary binds both operands and then the operator.
func (b *Binder) bindBinary(op sem.BinaryOp, left, right ast.ExprNode, sc *scope) (Expr, error) {
	l, err := b.bindExpr(left, sc)
	if err != nil {
		return nil, err
	}
	r, err := b.bindExpr(right, sc)
	if err != nil {
		return nil, err
	}
	return b.binary(op, l, r)
}

func (b *Binder) binary(op sem.BinaryOp, l, r Expr) (Expr, error) {
	lt, rt := l.Type(), r.Type()
	ov, err := sem.ResolveBinary(op, lt, rt)
	if err != nil {
		return nil, err
	}
	if l, err = b.coerce(l, ov.Left); err != nil {
		return nil, err
	}
	if r, err = b.coerce(r, ov.Right); err != nil {
		return nil, err
	}
	return &Binary{Ov: ov, L: l, R: r}, nil
}

func (b *Binder) boolExpr(e Expr, what string) (Expr, error) {
	if err := sem.CheckBool(what, e.Type()); err != nil {
		return nil, err
	}
	return b.coerce(e, types.Bool)
}

func (b *Binder) bindBool(n ast.ExprNode, sc *scope, what string) (Expr, error) {
	e, err := b.bindExpr(n, sc)
	if err != nil {
		return nil, err
	}
	return b.boolExpr(e, what)
}

func literal(v *valuedriver.Value) *Const {
	switch v.Kind {
	case valuedriver.KindNull:
		return &Const{D: types.Null, T: sem.Unknown}
	case valuedriver.KindBool:
		return &Const{D: types.DBool(v.Bool), T: types.Bool}
	case valuedriver.KindInt:
		if v.Int >= math.MinInt32 && v.Int <= math.MaxInt32 {
			return &Const{D: types.DInt(v.Int), T: types.Int4}
		}
		return &Const{D: types.DInt(v.Int), T: types.Int8}
	case valuedriver.KindUint:
		if v.Uint <= math.MaxInt64 {
			return &Const{D: types.DInt(int64(v.Uint)), T: types.Int8}
		}
		d := new(apd.Decimal)
		d.SetString(v.GetString())
		return &Const{D: types.NewDecimal(d), T: types.Numeric}
	case valuedriver.KindFloat:
		// A literal with an exponent (1.2e-5) is numeric in PostgreSQL,
		// as every literal with a point or an exponent is; the parser
		// hands it over as a float64, whose shortest form is its digits.
		if !math.IsInf(v.Float, 0) && !math.IsNaN(v.Float) {
			d := new(apd.Decimal)
			if _, _, err := d.SetString(strconv.FormatFloat(v.Float, 'g', -1, 64)); err == nil {
				return &Const{D: types.NewDecimal(d), T: types.Numeric}
			}
		}
		return &Const{D: types.DFloat(v.Float), T: types.Float8}
	case valuedriver.KindDecimal:
		return &Const{D: types.NewDecimal(v.Decimal), T: types.Numeric}
	case valuedriver.KindString:
		return &Const{D: types.DString(v.Str), T: sem.Unknown}
	case valuedriver.KindBytes:
		return &Const{D: types.DBytes(v.Str), T: types.Bytes}
	}
	return &Const{D: types.Null, T: sem.Unknown}
}

// bindExpr binds a scalar expression in scope sc.
func (b *Binder) bindExpr(n ast.ExprNode, sc *scope) (Expr, error) {
	if sc.parent != nil && isAggCall(n) {
		if e, ok, err := b.outerAggregate(n, sc); ok || err != nil {
			return e, err
		}
	}
	if sc.agg != nil || sc.win != nil {
		if e, ok, err := b.bindGrouped(n, sc); ok || err != nil {
			return e, err
		}
	}
	if len(b.indexExprs) > 0 {
		if e, ok := b.matchIndexExpr(n, sc); ok {
			return e, nil
		}
	}
	switch n := n.(type) {
	case *valuedriver.ParamMarker:
		var t *types.T = sem.Unknown
		if n.Number <= len(b.Params) && b.Params[n.Number-1] != nil {
			t = b.Params[n.Number-1]
		}
		if n.Number > b.NumParams {
			b.NumParams = n.Number
		}
		return &Param{N: n.Number, T: t}, nil
	case *valuedriver.Value:
		return literal(n), nil
	case *ast.ParenthesesExpr:
		return b.bindExpr(n.Expr, sc)
	case *ast.ColumnNameExpr:
		return b.bindColumn(n.Name, sc)
	case *ast.BinaryOperationExpr:
		if lr, ok := n.L.(*ast.RowExpr); ok {
			if sq, ok := unparen(n.R).(*ast.SubqueryExpr); ok {
				op, ok := binOps[n.Op]
				if !ok {
					return nil, pgerr.New(pgerr.FeatureNotSupported, "operator %s is not supported for row comparison", n.Op)
				}
				return b.bindRowSubquery(lr, sq, sc, SubScalar, op)
			}
			if rr, ok := n.R.(*ast.RowExpr); ok {
				e, err := rowCompare(n.Op, lr.Values, rr.Values)
				if err != nil {
					return nil, err
				}
				return b.bindExpr(e, sc)
			}
		}
		switch n.Op {
		case opcode.LogicAnd, opcode.LogicOr:
			what := "AND"
			op := And
			if n.Op == opcode.LogicOr {
				what, op = "OR", Or
			}
			l, err := b.bindBool(n.L, sc, "argument of "+what)
			if err != nil {
				return nil, err
			}
			r, err := b.bindBool(n.R, sc, "argument of "+what)
			if err != nil {
				return nil, err
			}
			return &Logic{Op: op, L: l, R: r}, nil
		}
		op, ok := binOps[n.Op]
		if !ok {
			return nil, pgerr.New(pgerr.FeatureNotSupported, "operator %s is not supported", n.Op)
		}
		return b.bindBinary(op, n.L, n.R, sc)
	case *ast.UnaryOperationExpr:
		if n.Op == opcode.Not || n.Op == opcode.Not2 {
			e, err := b.bindBool(n.V, sc, "argument of NOT")
			if err != nil {
				return nil, err
			}
			return &Not{E: e}, nil
		}
		if n.Op == opcode.Minus {
			if v, ok := n.V.(*valuedriver.Value); ok {
				c := literal(v)
				switch d := c.D.(type) {
				case types.DInt:
					if -d >= math.MinInt32 && -d <= math.MaxInt32 {
						return &Const{D: -d, T: types.Int4}, nil
					}
					return &Const{D: -d, T: types.Int8}, nil
				case types.DFloat:
					return &Const{D: -d, T: c.T}, nil
				case *types.DDecimal:
					nd := new(apd.Decimal)
					nd.Neg(&d.Decimal)
					return &Const{D: types.NewDecimal(nd), T: c.T}, nil
				}
			}
		}
		e, err := b.bindExpr(n.V, sc)
		if err != nil {
			return nil, err
		}
		var op sem.UnaryOp
		switch n.Op {
		case opcode.Minus:
			op = sem.OpUnaryMinus
		case opcode.Plus:
			op = sem.OpUnaryPlus
		case opcode.BitNeg:
			op = sem.OpBitNot
		default:
			return nil, pgerr.New(pgerr.FeatureNotSupported, "operator %s is not supported", n.Op)
		}
		ov, err := sem.ResolveUnary(op, e.Type())
		if err != nil {
			return nil, err
		}
		if e, err = b.coerce(e, ov.Operand); err != nil {
			return nil, err
		}
		return &Unary{Ov: ov, E: e}, nil
	case *ast.IsNullExpr:
		if row, ok := n.Expr.(*ast.RowExpr); ok {
			// ROW(...) IS NULL: every field is NULL; IS NOT NULL: none is
			var out Expr
			for _, v := range row.Values {
				e, err := b.bindExpr(v, sc)
				if err != nil {
					return nil, err
				}
				var c Expr = &IsNull{E: e, Not: n.Not}
				if out != nil {
					c = &Logic{Op: And, L: out, R: c}
				}
				out = c
			}
			return out, nil
		}
		e, err := b.bindExpr(n.Expr, sc)
		if err != nil {
			return nil, err
		}
		return &IsNull{E: e, Not: n.Not}, nil
	case *ast.IsTruthExpr:
		e, err := b.bindBool(n.Expr, sc, "IS TRUE")
		if err != nil {
			return nil, err
		}
		return &IsBool{E: e, Val: n.True != 0, Not: n.Not}, nil
	case *ast.BetweenExpr:
		e, err := b.bindExpr(n.Expr, sc)
		if err != nil {
			return nil, err
		}
		lo, err := b.bindExpr(n.Left, sc)
		if err != nil {
			return nil, err
		}
		hi, err := b.bindExpr(n.Right, sc)
		if err != nil {
			return nil, err
		}
		ge, err := b.binary(sem.OpGE, e, lo)
		if err != nil {
			return nil, err
		}
		le, err := b.binary(sem.OpLE, e, hi)
		if err != nil {
			return nil, err
		}
		var out Expr = &Logic{Op: And, L: ge, R: le}
		if n.Not {
			out = &Not{E: out}
		}
		return out, nil
	case *ast.PatternInExpr:
		if lr, ok := n.Expr.(*ast.RowExpr); ok && n.Sel == nil {
			// (a, b) [NOT] IN ((1, 2), (3, 4)): OR of row equalities
			var or ast.ExprNode
			for _, item := range n.List {
				rr, ok := item.(*ast.RowExpr)
				if !ok {
					return nil, pgerr.New(pgerr.DatatypeMismatch, "IN list items must be rows of the same length as the left side")
				}
				eq, err := rowCompare(opcode.EQ, lr.Values, rr.Values)
				if err != nil {
					return nil, err
				}
				if or == nil {
					or = eq
				} else {
					or = &ast.BinaryOperationExpr{Op: opcode.LogicOr, L: or, R: eq}
				}
			}
			if n.Not {
				or = &ast.UnaryOperationExpr{Op: opcode.Not, V: &ast.ParenthesesExpr{Expr: or}}
			}
			return b.bindExpr(or, sc)
		}
		return b.bindIn(n, sc)
	case *ast.PatternRegexpExpr:
		// x ~ p is REGEXP in the tree (~* has prefixed the pattern with (?i)).
		e, err := b.bindExpr(n.Expr, sc)
		if err != nil {
			return nil, err
		}
		p, err := b.bindExpr(n.Pattern, sc)
		if err != nil {
			return nil, err
		}
		if n.Not {
			return b.binary(sem.OpNotRegMatch, e, p)
		}
		return b.binary(sem.OpRegMatch, e, p)
	case *ast.PatternLikeOrIlikeExpr:
		e, err := b.bindExpr(n.Expr, sc)
		if err != nil {
			return nil, err
		}
		p, err := b.bindExpr(n.Pattern, sc)
		if err != nil {
			return nil, err
		}
		op := sem.OpLike
		switch {
		case n.IsLike && n.Not:
			op = sem.OpNotLike
		case !n.IsLike && !n.Not:
			op = sem.OpILike
		case !n.IsLike && n.Not:
			op = sem.OpNotILike
		}
		if n.EscapeExplicit && n.Escape != '\\' {
			esc := &Const{D: types.DString(string([]byte{n.Escape})), T: types.String}
			if n.Escape == 0 {
				esc.D = types.DString("")
			}
			if p, err = b.callFunc("like_escape", []Expr{p, esc}); err != nil {
				return nil, err
			}
		}
		return b.binary(op, e, p)
	case *ast.CaseExpr:
		return b.bindCase(n, sc)
	case *ast.SubqueryExpr:
		return b.bindSubquery(n, sc, SubScalar, nil, nil, false)
	case *ast.ExistsSubqueryExpr:
		sq, ok := n.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, pgerr.New(pgerr.Syntax, "EXISTS needs a subquery")
		}
		e, err := b.bindSubquery(sq, sc, SubExists, nil, nil, false)
		if err != nil {
			return nil, err
		}
		if n.Not {
			return &Not{E: e}, nil
		}
		return e, nil
	case *ast.CompareSubqueryExpr:
		op, ok := binOps[n.Op]
		if !ok {
			return nil, pgerr.New(pgerr.FeatureNotSupported, "operator %s is not supported with a subquery", n.Op)
		}
		sq, ok := n.R.(*ast.SubqueryExpr)
		if !ok {
			return nil, pgerr.New(pgerr.Syntax, "ANY/ALL needs a subquery")
		}
		mode := SubAny
		if n.All {
			mode = SubAll
		}
		if lr, ok := n.L.(*ast.RowExpr); ok {
			return b.bindRowSubquery(lr, sq, sc, mode, op)
		}
		l, err := b.bindExpr(n.L, sc)
		if err != nil {
			return nil, err
		}
		return b.bindSubquery(sq, sc, mode, l, &op, false)
	case *ast.FuncCastExpr:
		pt, ok := b.Stmt.CastTypes[n]
		if !ok {
			return nil, pgerr.New(pgerr.FeatureNotSupported, "unsupported cast")
		}
		if !pt.Array && isRegType(pt.Name) {
			{
				inner, err := b.bindExpr(n.Expr, sc)
				if err != nil {
					return nil, err
				}
				if e, ok, err := b.regCast(pt.Name, inner); ok || err != nil {
					return e, err
				}
			}
		}
		t, dom, err := b.ResolveTypeDomain(pt)
		if err != nil {
			return nil, err
		}
		e, err := b.bindExpr(n.Expr, sc)
		if err != nil {
			return nil, err
		}
		if t.Family == types.StringFamily && b.isRegClassCast(n.Expr) {
			// 't'::regclass::text: the relation's name
			if e, err = b.regClassName(e); err != nil {
				return nil, err
			}
		}
		if e, err = b.explicitCast(e, t); err != nil || dom == nil {
			return e, err
		}
		return b.domainCheck(e, dom)
	case *ast.FuncCallExpr:
		if r, ok := b.srfRefs[n]; ok {
			if r.sc != sc {
				return nil, pgerr.New(pgerr.FeatureNotSupported, "set-returning function %s is not supported here", n.FnName.O)
			}
			return &ColRef{Idx: r.col, T: sc.cols[r.col].T}, nil
		}
		return b.bindFuncCall(n, sc)
	case *ast.AggregateFuncExpr:
		if sc.noAgg != "" {
			return nil, pgerr.New(pgerr.Grouping, "aggregate functions are not allowed in %s", sc.noAgg)
		}
		return nil, pgerr.New(pgerr.Grouping, "aggregate function calls cannot be nested")
	case *ast.WindowFuncExpr:
		return nil, pgerr.New(pgerr.Grouping, "window functions are not allowed here")
	case *parser.OperatorExpr:
		op, ok := pgOps[n.Op]
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s", n.Op)
		}
		return b.bindBinary(op, n.L, n.R, sc)
	case *parser.QuantifiedExpr:
		op, ok := binOps[n.Op]
		if n.Like != "" {
			op, ok = map[string]sem.BinaryOp{"like": sem.OpLike, "ilike": sem.OpILike, "not like": sem.OpNotLike, "not ilike": sem.OpNotILike}[n.Like]
		}
		if !ok {
			return nil, pgerr.New(pgerr.FeatureNotSupported, "operator %s is not supported with ANY/ALL", n.Op)
		}
		l, err := b.bindExpr(n.Left, sc)
		if err != nil {
			return nil, err
		}
		r, err := b.bindExpr(n.Right, sc)
		if err != nil {
			return nil, err
		}
		rt := r.Type()
		if rt.Family != types.ArrayFamily {
			if isUnknown(rt) {
				if isUnknown(l.Type()) {
					// 'a' = ANY ('{a,b}'): both unknown resolve as text
					if l, err = b.coerce(l, types.String); err != nil {
						return nil, err
					}
				}
				at, _ := types.MakeArray(l.Type())
				if r, err = b.coerce(r, at); err != nil {
					return nil, err
				}
				rt = at
			} else {
				return nil, pgerr.New(pgerr.DatatypeMismatch, "op ANY/ALL (array) requires array on right side")
			}
		}
		ov, err := sem.ResolveBinary(op, l.Type(), rt.Elem)
		if err != nil {
			return nil, err
		}
		if l, err = b.coerce(l, ov.Left); err != nil {
			return nil, err
		}
		at, _ := types.MakeArray(ov.Right)
		if r, err = b.coerce(r, at); err != nil {
			return nil, err
		}
		return &AnyArray{L: l, R: r, Cmp: ov, All: n.All}, nil
	case *parser.ArrayExpr:
		if n.Query != nil {
			return b.bindSubquery(n.Query, sc, SubArray, nil, nil, false)
		}
		var es []Expr
		var ts []*types.T
		for _, x := range n.Elems {
			e, err := b.bindExpr(x, sc)
			if err != nil {
				return nil, err
			}
			es = append(es, e)
			ts = append(ts, e.Type())
		}
		et, err := sem.CommonType("ARRAY", ts)
		if err != nil {
			return nil, err
		}
		for i := range es {
			if es[i], err = b.coerce(es[i], et); err != nil {
				return nil, err
			}
		}
		if et.Family == types.ArrayFamily {
			// ARRAY[[1,2],[3,4]], ARRAY[ARRAY[1],ARRAY[2]]: one more
			// dimension
			return &ArrayCtor{Elems: es, T: et, Nested: true}, nil
		}
		at, err := types.MakeArray(et)
		if err != nil {
			return nil, err
		}
		return &ArrayCtor{Elems: es, T: at}, nil
	case *parser.FieldSelectExpr:
		// (t).col of a table t in FROM is t.col (a whole-row reference's
		// field); other composite values are not supported
		inner := n.Expr
		for {
			p, ok := inner.(*ast.ParenthesesExpr)
			if !ok {
				break
			}
			inner = p.Expr
		}
		if cn, ok := inner.(*ast.ColumnNameExpr); ok && cn.Name.Table.L == "" && cn.Name.Schema.L == "" {
			for s := sc; s != nil; s = s.parent {
				if s.hasTable(cn.Name.Name.O) {
					return b.bindExpr(&ast.ColumnNameExpr{Name: &ast.ColumnName{Table: cn.Name.Name, Name: ast.NewCIStr(n.Field)}}, sc)
				}
			}
		}
		if row, ok := inner.(*ast.RowExpr); ok {
			// ROW(a, b, ...) is an anonymous record: its fields are f1, f2, ...
			if k, err := strconv.Atoi(strings.TrimPrefix(n.Field, "f")); err == nil && strings.HasPrefix(n.Field, "f") && k >= 1 && k <= len(row.Values) {
				return b.bindExpr(row.Values[k-1], sc)
			}
			return nil, pgerr.New(pgerr.UndefinedColumn, "could not identify column %q in record data type", n.Field)
		}
		// (expr).field of a composite type's value
		e, err := b.bindExpr(inner, sc)
		if err != nil {
			return nil, err
		}
		if t := e.Type(); t.Family == types.RecordFamily && t.Composite != nil {
			k := t.FieldIndex(n.Field)
			if k < 0 {
				return nil, pgerr.New(pgerr.UndefinedColumn, "column %q not found in data type %s", n.Field, t.Composite.Name)
			}
			return &FieldSelect{E: e, Idx: k, T: t.Composite.Types[k]}, nil
		}
		return nil, pgerr.New(pgerr.FeatureNotSupported, "field selection from a composite value is not supported")
	case *parser.SubscriptExpr:
		if e, ok, err := b.jsonbSubscript(n, sc); ok || err != nil {
			return e, err
		}
		if chain, base := subscriptChain(n); len(chain) > 1 && slices.ContainsFunc(chain, func(se *parser.SubscriptExpr) bool { return se.Slice }) {
			// a[1:2][1:1], a[1:2][2]: every subscript a slice (i is 1:i)
			e, err := b.bindExpr(base, sc)
			if err != nil {
				return nil, err
			}
			if e.Type().Family != types.ArrayFamily {
				return nil, pgerr.New(pgerr.DatatypeMismatch, "cannot subscript type %s because it is not an array", e.Type().SQLName())
			}
			los, his := &ArrayCtor{T: types.MakeArrayOf(types.Int4)}, &ArrayCtor{T: types.MakeArrayOf(types.Int4)}
			for _, se := range chain {
				bound := func(x ast.ExprNode, omitted int64) (Expr, error) {
					if x == nil {
						return &Const{D: types.DInt(omitted), T: types.Int4}, nil
					}
					be, err := b.bindExpr(x, sc)
					if err != nil {
						return nil, err
					}
					return b.coerce(be, types.Int4)
				}
				lo, hi := Expr(&Const{D: types.DInt(1), T: types.Int4}), Expr(nil)
				if se.Slice {
					if lo, err = bound(se.Index, 1); err != nil {
						return nil, err
					}
					if hi, err = bound(se.Upper, math.MaxInt32); err != nil {
						return nil, err
					}
				} else if hi, err = bound(se.Index, 1); err != nil {
					return nil, err
				}
				los.Elems, his.Elems = append(los.Elems, lo), append(his.Elems, hi)
			}
			return b.callFunc("array_slice_md", []Expr{e, los, his})
		}
		if !n.Slice {
			// a[i][j]...: one subscript per dimension of the base array
			var idx []ast.ExprNode
			base := ast.ExprNode(n)
			for {
				se, ok := base.(*parser.SubscriptExpr)
				if !ok || se.Slice {
					break
				}
				idx = append([]ast.ExprNode{se.Index}, idx...)
				base = se.Expr
			}
			if len(idx) > 1 {
				e, err := b.bindExpr(base, sc)
				if err != nil {
					return nil, err
				}
				if e.Type().Family != types.ArrayFamily {
					return nil, pgerr.New(pgerr.DatatypeMismatch, "cannot subscript type %s because it is not an array", e.Type().SQLName())
				}
				var is []Expr
				for _, x := range idx {
					i, err := b.bindExpr(x, sc)
					if err != nil {
						return nil, err
					}
					if i, err = b.coerce(i, types.Int4); err != nil {
						return nil, err
					}
					is = append(is, i)
				}
				return &Subscript{E: e, Idx: is[0], More: is[1:], T: e.Type().Elem}, nil
			}
		}
		e, err := b.bindExpr(n.Expr, sc)
		if err != nil {
			return nil, err
		}
		if e.Type().Family != types.ArrayFamily {
			return nil, pgerr.New(pgerr.DatatypeMismatch, "cannot subscript type %s because it is not an array", e.Type().SQLName())
		}
		if n.Slice {
			bound := func(x ast.ExprNode, omitted int64) (Expr, error) {
				if x == nil {
					return &Const{D: types.DInt(omitted), T: types.Int4}, nil
				}
				be, err := b.bindExpr(x, sc)
				if err != nil {
					return nil, err
				}
				return b.coerce(be, types.Int4)
			}
			lo, err := bound(n.Index, 1)
			if err != nil {
				return nil, err
			}
			hi, err := bound(n.Upper, math.MaxInt32)
			if err != nil {
				return nil, err
			}
			return b.callFunc("array_slice", []Expr{e, lo, hi})
		}
		i, err := b.bindExpr(n.Index, sc)
		if err != nil {
			return nil, err
		}
		if i, err = b.coerce(i, types.Int4); err != nil {
			return nil, err
		}
		return &Subscript{E: e, Idx: i, T: e.Type().Elem}, nil
	case *ast.TimeUnitExpr:
		return &Const{D: types.DString(strings.ToLower(n.Unit.String())), T: sem.Unknown}, nil
	case *ast.DefaultExpr:
		return nil, pgerr.New(pgerr.Syntax, "DEFAULT is not allowed in this context")
	case *ast.RowExpr:
		// ROW(a, b) as a value: a record (comparisons of rows are
		// expanded before they get here)
		r := &RowCtor{}
		for _, v := range n.Values {
			e, err := b.bindExpr(v, sc)
			if err != nil {
				return nil, err
			}
			if isUnknown(e.Type()) {
				if e, err = b.coerce(e, types.String); err != nil {
					return nil, err
				}
			}
			r.Elems = append(r.Elems, e)
		}
		return r, nil
	}
	return nil, pgerr.New(pgerr.FeatureNotSupported, "unsupported expression %T", n)
}

func (b *Binder) explicitCast(e Expr, t *types.T) (Expr, error) {
	if c, ok := e.(*Const); ok {
		if types.IsNull(c.D) {
			return &Const{D: types.Null, T: t}, nil
		}
		if isUnknown(c.T) {
			var d types.Datum
			var err error
			if t.Family == types.StringFamily {
				// an explicit cast truncates: 'abc'::char(2) is 'ab'
				d, err = types.Cast(c.D, types.String, t, b.Eval.Loc())
			} else {
				b.noteClockLiteral(c.D, t)
				d, err = types.ParseTextAt(t, string(c.D.(types.DString)), b.Eval.Loc(), b.Eval.Now())
			}
			if err != nil {
				return nil, err
			}
			return &Const{D: d, T: t}, nil
		}
	}
	if p, ok := e.(*Param); ok && isUnknown(p.T) {
		b.setParam(p.N, t)
		return &Param{N: p.N, T: t}, nil
	}
	if e.Type().Equal(t) {
		return e, nil
	}
	return &Cast{E: e, From: e.Type(), To: t, Explicit: true}, nil
}

func (b *Binder) bindColumn(cn *ast.ColumnName, sc *scope) (Expr, error) {
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
		if level > 0 && s.agg != nil {
			// a subquery's reference to a grouping column of the grouped
			// query around it (x.g = t.g in SELECT g, (SELECT ...) FROM t
			// GROUP BY g): that query's group key, in its output row
			if i, _ := s.agg.in.lookupIn(cn.Schema.O, table, name); i >= 0 {
				for gi, g := range s.agg.groups {
					if cr, ok := s.agg.nulled[gi].(*ColRef); ok && cr.Idx == i {
						// a grouping column outside this grouping set: NULL
						return &Const{D: types.Null, T: g.Type()}, nil
					}
					if cr, ok := g.(*ColRef); ok && cr.Idx == i {
						for t := sc; t != s; t = t.parent {
							t.correlated = true
						}
						b.outerRefs++
						return &OuterRef{Level: level, Idx: gi, T: g.Type()}, nil
					}
				}
				if idx, _ := s.lookupIn(cn.Schema.O, table, name); idx < 0 {
					return nil, pgerr.New(pgerr.Grouping, "subquery uses ungrouped column %q from outer query", qualified(table, name))
				}
			}
		}
		idx, err := s.lookupIn(cn.Schema.O, table, name)
		if err != nil {
			return nil, err
		}
		if idx >= 0 {
			if level == 0 {
				if sc.agg != nil {
					return nil, pgerr.New(pgerr.Grouping, "column %q must appear in the GROUP BY clause or be used in an aggregate function", qualified(table, name))
				}
				return &ColRef{Idx: idx, T: s.cols[idx].T}, nil
			}
			for t := sc; t != s; t = t.parent {
				t.correlated = true
			}
			if s.agg != nil {
				return nil, pgerr.New(pgerr.Grouping, "column %q must appear in the GROUP BY clause or be used in an aggregate function", qualified(table, name))
			}
			b.outerRefs++
			return &OuterRef{Level: level, Idx: idx, T: s.cols[idx].T}, nil
		}
		if sc.agg != nil && s == sc {
			// Post-aggregation scope: look in the FROM scope for a better error.
			if i, _ := sc.agg.in.lookup(table, name); i >= 0 {
				return nil, pgerr.New(pgerr.Grouping, "column %q must appear in the GROUP BY clause or be used in an aggregate function", qualified(table, name))
			}
		}
		level++
	}
	if table != "" {
		found, hidden := false, false
		throughLateral = false
		for s := sc; s != nil; s = s.parent {
			throughLateral = throughLateral || s.lateral
			if s.lateralOnly && !throughLateral {
				hidden = hidden || s.hasTable(table)
				continue
			}
			if s.hasTable(table) || (s.agg != nil && s.agg.in.hasTable(table)) {
				found = true
			}
		}
		if !found && hidden {
			return nil, pgerr.New(pgerr.UndefinedTable, "invalid reference to FROM-clause entry for table %q", table)
		}
		if !found {
			return nil, pgerr.New(pgerr.UndefinedTable, "missing FROM-clause entry for table %q", table)
		}
	}
	if table == "" {
		// a FROM item's name as a value: its row, a record of its columns
		for s := sc; s != nil; s = s.parent {
			if !s.hasTable(name) {
				continue
			}
			r := &RowCtor{}
			for _, c := range s.cols {
				if c.Table != name || (c.Hidden && !c.UsingRight) {
					continue
				}
				e, err := b.bindColumn(&ast.ColumnName{Table: ast.NewCIStr(name), Name: ast.NewCIStr(c.Name)}, sc)
				if err != nil {
					return nil, err
				}
				r.Elems = append(r.Elems, e)
			}
			if len(r.Elems) > 0 {
				return r, nil
			}
			break
		}
	}
	return nil, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", qualified(table, name))
}

func qualified(table, name string) string {
	if table == "" {
		return name
	}
	return table + "." + name
}

func (b *Binder) bindIn(n *ast.PatternInExpr, sc *scope) (Expr, error) {
	if lr, ok := n.Expr.(*ast.RowExpr); ok && n.Sel != nil {
		sq, ok := n.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, pgerr.New(pgerr.Syntax, "IN needs a list or a subquery")
		}
		e, err := b.bindRowSubquery(lr, sq, sc, SubAny, sem.OpEQ)
		if err != nil {
			return nil, err
		}
		if n.Not {
			return &Not{E: e}, nil
		}
		return e, nil
	}
	l, err := b.bindExpr(n.Expr, sc)
	if err != nil {
		return nil, err
	}
	if n.Sel != nil {
		sq, ok := n.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, pgerr.New(pgerr.Syntax, "IN needs a list or a subquery")
		}
		op := sem.OpEQ
		e, err := b.bindSubquery(sq, sc, SubAny, l, &op, false)
		if err != nil {
			return nil, err
		}
		if n.Not {
			return &Not{E: e}, nil
		}
		return e, nil
	}
	list := make([]Expr, len(n.List))
	ts := []*types.T{l.Type()}
	for i, x := range n.List {
		if list[i], err = b.bindExpr(x, sc); err != nil {
			return nil, err
		}
		ts = append(ts, list[i].Type())
	}
	t, err := sem.CommonType("IN", ts)
	if err != nil {
		// Fall back to a chain of = comparisons resolved one by one.
		var out Expr
		for _, e := range list {
			eq, err := b.binary(sem.OpEQ, l, e)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = eq
			} else {
				out = &Logic{Op: Or, L: out, R: eq}
			}
		}
		if n.Not {
			out = &Not{E: out}
		}
		return out, nil
	}
	ov, err := sem.ResolveBinary(sem.OpEQ, t, t)
	if err != nil {
		return nil, err
	}
	if l, err = b.coerce(l, ov.Left); err != nil {
		return nil, err
	}
	for i := range list {
		if list[i], err = b.coerce(list[i], ov.Right); err != nil {
			return nil, err
		}
	}
	return &InList{E: l, List: list, Cmp: ov, Not: n.Not}, nil
}

func (b *Binder) bindCase(n *ast.CaseExpr, sc *scope) (Expr, error) {
	var operand Expr
	var err error
	if n.Value != nil {
		if operand, err = b.bindExpr(n.Value, sc); err != nil {
			return nil, err
		}
	}
	c := &Case{}
	var vals []Expr
	var ts []*types.T
	for _, w := range n.WhenClauses {
		var cond Expr
		if operand != nil {
			v, err := b.bindExpr(w.Expr, sc)
			if err != nil {
				return nil, err
			}
			if cond, err = b.binary(sem.OpEQ, operand, v); err != nil {
				return nil, err
			}
		} else if cond, err = b.bindBool(w.Expr, sc, "CASE/WHEN"); err != nil {
			return nil, err
		}
		v, err := b.bindExpr(w.Result, sc)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, When{Cond: cond})
		vals = append(vals, v)
		ts = append(ts, v.Type())
	}
	if n.ElseClause != nil {
		e, err := b.bindExpr(n.ElseClause, sc)
		if err != nil {
			return nil, err
		}
		c.Else = e
		ts = append(ts, e.Type())
	}
	t, err := sem.CommonType("CASE", ts)
	if err != nil {
		return nil, err
	}
	c.T = t
	for i := range vals {
		if c.Whens[i].Val, err = b.coerce(vals[i], t); err != nil {
			return nil, err
		}
	}
	if c.Else != nil {
		if c.Else, err = b.coerce(c.Else, t); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (b *Binder) bindArgs(args []ast.ExprNode, sc *scope) ([]Expr, []*types.T, error) {
	es := make([]Expr, len(args))
	ts := make([]*types.T, len(args))
	for i, a := range args {
		e, err := b.bindExpr(a, sc)
		if err != nil {
			return nil, nil, err
		}
		es[i], ts[i] = e, e.Type()
	}
	return es, ts, nil
}

func (b *Binder) commonArgs(what string, es []Expr, ts []*types.T) (*types.T, error) {
	t, err := sem.CommonType(what, ts)
	if err != nil {
		return nil, err
	}
	for i := range es {
		if es[i], err = b.coerce(es[i], t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (b *Binder) callFunc(name string, es []Expr) (Expr, error) {
	ts := make([]*types.T, len(es))
	for i, e := range es {
		ts[i] = e.Type()
	}
	ov, err := sem.ResolveFunc(name, ts)
	if err != nil {
		return nil, err
	}
	if ov.Class != sem.Normal {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "function %s is not a scalar function here", name)
	}
	for i := range es {
		if i < len(ov.Args) {
			if es[i], err = b.coerce(es[i], ov.Args[i]); err != nil {
				return nil, err
			}
		}
	}
	return &Func{Ov: ov, Args: es}, nil
}

func (b *Binder) bindFuncCall(n *ast.FuncCallExpr, sc *scope) (Expr, error) {
	name := strings.ToLower(n.FnName.L)
	if name == parser.FuncVariadic {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "VARIADIC arguments are supported only in calls of user-defined SQL functions")
	}
	if name == parser.FuncNamed {
		return nil, pgerr.New(pgerr.UndefinedFunction, "named argument %s does not belong to a function that accepts it", namedSig([]ast.ExprNode{n}))
	}
	if n.Schema.L != "" && n.Schema.L != "pg_catalog" {
		if n.Schema.L != "public" && !isVirtualSchema(n.Schema.L) {
			id, err := b.Coll.LookupID(b.Ctx, b.DB, 0, n.Schema.O)
			if err != nil {
				return nil, err
			}
			if id == 0 {
				return nil, pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", n.Schema.O)
			}
		}
		if !isVirtualSchema(n.Schema.L) {
			if e, ok, err := b.bindUserFunc(n, sc); ok || err != nil {
				return e, err
			}
		}
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s.%s does not exist", n.Schema.O, name)
	}
	if e, ok, err := b.bindCatalogFunc(name, n, sc); ok || err != nil {
		return e, err
	}
	switch name {
	case "coalesce", "greatest", "least":
		es, ts, err := b.bindArgs(n.Args, sc)
		if err != nil {
			return nil, err
		}
		t, err := b.commonArgs(strings.ToUpper(name), es, ts)
		if err != nil {
			return nil, err
		}
		if name == "coalesce" {
			return &Coalesce{Args: es, T: t}, nil
		}
		return &Greatest{Args: es, T: t, Least: name == "least"}, nil
	case "nullif":
		if len(n.Args) != 2 {
			return nil, pgerr.New(pgerr.UndefinedFunction, "function nullif requires 2 arguments")
		}
		es, _, err := b.bindArgs(n.Args, sc)
		if err != nil {
			return nil, err
		}
		eq, err := b.binary(sem.OpEQ, es[0], es[1])
		if err != nil {
			return nil, err
		}
		be := eq.(*Binary)
		return &NullIf{L: be.L, R: be.R, Eq: be.Ov}, nil
	case "nextval", "currval", "setval", "lastval":
		return b.bindSeqFunc(name, n, sc)
	case "grouping":
		return b.groupingCall(n.Args)
	case "concat":
		if len(n.Args) == 2 && n.FnName.O == "concat" {
			// a || b (PIPES_AS_CONCAT) — the parser spells it concat.
			es, _, err := b.bindArgs(n.Args, sc)
			if err != nil {
				return nil, err
			}
			return b.binary(sem.OpConcat, es[0], es[1])
		}
	}
	if cls, ok := sem.FuncExists(name); ok && cls == sem.Aggregate {
		if sc.noAgg != "" {
			return nil, pgerr.New(pgerr.Grouping, "aggregate functions are not allowed in %s", sc.noAgg)
		}
		return nil, pgerr.New(pgerr.Grouping, "aggregate function calls cannot be nested")
	}
	switch name {
	case "row_to_json", "to_json", "to_jsonb":
		if len(n.Args) >= 1 {
			rec, ok, err := b.wholeRow(n.Args[0], sc)
			if err != nil {
				return nil, err
			}
			if ok && (len(n.Args) == 1 || name == "row_to_json") {
				if name == "to_jsonb" {
					return &Cast{E: rec, From: types.JSON, To: types.JSONB, Explicit: true}, nil
				}
				return rec, nil
			}
		}
	}
	if _, builtin := sem.FuncExists(name); !builtin {
		// a user-defined SQL function (the built-ins are pg_catalog's,
		// which the search path reads first)
		if e, ok, err := b.bindUserFunc(n, sc); ok || err != nil {
			return e, err
		}
	}
	if name == parser.FuncArraySet && len(n.Args) >= 3 {
		if e, ok, err := b.jsonbSubscriptSet(n.Args, sc); ok || err != nil {
			return e, err
		}
	}
	if k := len(n.Args) - 1; k >= 0 {
		if fc, ok := n.Args[k].(*ast.FuncCallExpr); ok && fc.FnName.L == parser.FuncVariadic && len(fc.Args) == 1 {
			return b.variadicBuiltin(name, n.Args[:k], fc.Args[0], sc)
		}
	}
	if hasNamed(n.Args) {
		var err error
		if n, err = namedBuiltin(name, n); err != nil {
			return nil, err
		}
	}
	es, _, err := b.bindArgs(n.Args, sc)
	if err != nil {
		return nil, err
	}
	return b.callFunc(name, es)
}

// variadicBuiltin binds f(fixed..., VARIADIC arr) for a built-in with a
// VARIADIC parameter (concat, concat_ws, format, json_build_array,
// json_build_object, num_nulls ...): the array's elements are its
// variadic arguments, the overload resolved for their count when the
// call is evaluated. A NULL array passes no arguments to format and
// makes every other such function NULL, as in PostgreSQL.
func (b *Binder) variadicBuiltin(name string, fixed []ast.ExprNode, arrNode ast.ExprNode, sc *scope) (Expr, error) {
	es, ts, err := b.bindArgs(append(append([]ast.ExprNode{}, fixed...), arrNode), sc)
	if err != nil {
		return nil, err
	}
	k := len(es) - 1
	at := ts[k]
	if isUnknown(at) {
		if at, err = types.MakeArray(types.String); err != nil {
			return nil, err
		}
		if es[k], err = b.coerce(es[k], at); err != nil {
			return nil, err
		}
	}
	if at.Family != types.ArrayFamily {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "VARIADIC argument must be an array")
	}
	probe := append(append([]*types.T{}, ts[:k]...), at.Elem)
	ov, err := sem.ResolveFunc(name, probe)
	if err != nil {
		return nil, err
	}
	if ov.Class != sem.Normal || !ov.Variadic {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s with a VARIADIC array argument does not exist", name)
	}
	for i := 0; i < k; i++ {
		if es[i], err = b.coerce(es[i], ov.Args[i]); err != nil {
			return nil, err
		}
	}
	fixedTypes := make([]*types.T, k)
	for i := range fixedTypes {
		fixedTypes[i] = es[i].Type()
	}
	elem := at.Elem
	var mu sync.Mutex // the overloads by argument count, for a plan run concurrently
	byCount := map[int]*sem.FuncOverload{}
	wrapper := &sem.FuncOverload{Name: name, Class: sem.Normal, Args: append(append([]*types.T{}, fixedTypes...), at),
		Return: ov.Return, CalledOnNull: true, Volatility: ov.Volatility,
		Fn: func(ctx *sem.EvalContext, a []types.Datum) (types.Datum, error) {
			args := append([]types.Datum{}, a[:k]...)
			if last := a[k]; types.IsNull(last) {
				if name != "format" {
					return types.Null, nil
				}
			} else {
				args = append(args, last.(*types.DArray).Elems...)
			}
			mu.Lock()
			inner, ok := byCount[len(args)]
			mu.Unlock()
			if !ok {
				ats := append([]*types.T{}, fixedTypes...)
				for len(ats) < len(args) {
					ats = append(ats, elem)
				}
				var err error
				if inner, err = sem.ResolveFunc(name, ats); err != nil {
					if len(args) != k {
						return nil, err
					}
					// an empty array: the overload for one element, called
					// with none (concat(VARIADIC '{}') is '')
					inner = ov
				}
				mu.Lock()
				byCount[len(args)] = inner
				mu.Unlock()
			}
			if !inner.CalledOnNull {
				for _, d := range args {
					if types.IsNull(d) {
						return types.Null, nil
					}
				}
			}
			return inner.Fn(ctx, args)
		}}
	return &Func{Ov: wrapper, Args: es}, nil
}

// wholeRow binds a record argument of the json functions: a name that is
// a FROM item and not a column (row_to_json(t): t's visible columns, named
// by them) or ROW(a, b) (fields f1, f2 ...). It returns the record as json
// text (row_to_json of it); ok is false for any other argument.
func (b *Binder) wholeRow(n ast.ExprNode, sc *scope) (Expr, bool, error) {
	var names []string
	var es []Expr
	switch x := n.(type) {
	case *ast.ColumnNameExpr:
		if x.Name.Table.O != "" || x.Name.Schema.O != "" {
			return nil, false, nil
		}
		rel := x.Name.Name.O
		var from *scope
		for s := sc; s != nil && from == nil; s = s.parent {
			in := s
			if s.agg != nil {
				in = s.agg.in
			}
			if idx, _ := in.lookup("", rel); idx >= 0 {
				return nil, false, nil // a column of that name wins
			}
			if in.hasTable(rel) {
				from = in
			}
		}
		if from == nil {
			return nil, false, nil
		}
		for _, c := range from.cols {
			if c.Table == rel && (!c.Hidden || c.UsingRight) {
				e, err := b.bindColumn(&ast.ColumnName{Table: ast.NewCIStr(rel), Name: ast.NewCIStr(c.Name)}, sc)
				if err != nil {
					return nil, true, err
				}
				names, es = append(names, c.Name), append(es, e)
			}
		}
	case *ast.RowExpr:
		for i, v := range x.Values {
			e, err := b.bindExpr(v, sc)
			if err != nil {
				return nil, true, err
			}
			if isUnknown(e.Type()) {
				if e, err = b.coerce(e, types.String); err != nil {
					return nil, true, err
				}
			}
			names, es = append(names, fmt.Sprintf("f%d", i+1)), append(es, e)
		}
	default:
		return nil, false, nil
	}
	ts := make([]*types.T, len(es))
	for i, e := range es {
		ts[i] = e.Type()
	}
	return &Func{Ov: sem.RecordToJSON(names, ts), Args: es}, true, nil
}

// rowCompare expands a comparison of two row constructors as PostgreSQL
// defines it: = is the AND of the pairwise equalities, <> its negation,
// and < <= > >= compare left to right, the first unequal (or NULL) pair
// deciding: (a1, a2) < (b1, b2) is a1 < b1 OR (a1 = b1 AND a2 < b2).
// subscriptChain is the subscripts of a[i][j:k]... in order, and a.
// jsonbSubscript binds j['key'][0]... on a jsonb value: a text subscript
// is an object key, an integer one an array element (negative from the
// end), each as the -> operator reads it (NULL where there is none).
// Slices and subscripts of other types are 42804. ok=false when the base
// is not jsonb.
func (b *Binder) jsonbSubscript(n *parser.SubscriptExpr, sc *scope) (Expr, bool, error) {
	chain, base := subscriptChain(n)
	e, err := b.bindExpr(base, sc)
	if err != nil || e.Type().Family != types.JSONBFamily {
		return nil, false, nil // bound (and any error reported) again by the caller
	}
	for _, se := range chain {
		if se.Slice {
			return nil, true, pgerr.New(pgerr.DatatypeMismatch, "jsonb subscript does not support slices")
		}
		i, err := b.bindExpr(se.Index, sc)
		if err != nil {
			return nil, true, err
		}
		switch t := i.Type(); {
		case isUnknown(t) || t.Family == types.StringFamily:
			if i, err = b.coerce(i, types.String); err != nil {
				return nil, true, err
			}
			if e, err = b.jsonbTextSubscript(e, i); err != nil {
				return nil, true, err
			}
			continue
		case t.Family == types.IntFamily:
			i, err = b.coerce(i, types.Int4)
		default:
			return nil, true, pgerr.New(pgerr.DatatypeMismatch, "subscript type %s is not supported", t.SQLName())
		}
		if err != nil {
			return nil, true, err
		}
		if e, err = b.binary(sem.OpJSONGet, e, i); err != nil {
			return nil, true, err
		}
	}
	return e, true, nil
}

// jsonbSubscriptSet binds UPDATE's SET j[s1][s2]... = v on a jsonb
// column (the parser's __pg_array_set(j, s1, s2, ..., v)): integer
// subscripts stay integers, others are text, v is jsonb
// (sem.JSONBSubscriptSet). ok=false when the column is not jsonb.
func (b *Binder) jsonbSubscriptSet(args []ast.ExprNode, sc *scope) (Expr, bool, error) {
	es, ts, err := b.bindArgs(args, sc)
	if err != nil || ts[0].Family != types.JSONBFamily {
		return nil, false, nil // bound (and any error reported) again by the caller
	}
	k := len(es) - 1
	isInt := make([]bool, k-1)
	argTypes := []*types.T{types.JSONB}
	for i := 1; i < k; i++ {
		switch t := ts[i]; {
		case t.Family == types.IntFamily:
			if es[i], err = b.coerce(es[i], types.Int8); err != nil {
				return nil, true, err
			}
			isInt[i-1] = true
		case isUnknown(t) || t.Family == types.StringFamily:
			if es[i], err = b.coerce(es[i], types.String); err != nil {
				return nil, true, err
			}
		default:
			return nil, true, pgerr.New(pgerr.DatatypeMismatch, "subscript type %s is not supported", t.SQLName())
		}
		argTypes = append(argTypes, es[i].Type())
	}
	if es[k], err = b.coerce(es[k], types.JSONB); err != nil {
		return nil, true, err
	}
	argTypes = append(argTypes, types.JSONB)
	ov := &sem.FuncOverload{Name: "jsonb_subscript_set", Class: sem.Normal, Args: argTypes, Return: types.JSONB,
		CalledOnNull: true, Volatility: sem.Immutable,
		Fn: func(_ *sem.EvalContext, a []types.Datum) (types.Datum, error) {
			return sem.JSONBSubscriptSet(a[0], a[1:len(a)-1], isInt, a[len(a)-1])
		}}
	return &Func{Ov: ov, Args: es}, true, nil
}

// jsonbTextSubscript is j[text]: an object's key, or, when j is an
// array, the element the text reads as an integer (NULL if it does not).
func (b *Binder) jsonbTextSubscript(e, i Expr) (Expr, error) {
	byKey, err := sem.ResolveBinary(sem.OpJSONGet, types.JSONB, types.String)
	if err != nil {
		return nil, err
	}
	byIdx, err := sem.ResolveBinary(sem.OpJSONGet, types.JSONB, types.Int4)
	if err != nil {
		return nil, err
	}
	ov := &sem.FuncOverload{Name: "jsonb_subscript", Class: sem.Normal, Args: []*types.T{types.JSONB, types.String},
		Return: byKey.Return, Volatility: sem.Immutable,
		Fn: func(ctx *sem.EvalContext, a []types.Datum) (types.Datum, error) {
			if j, ok := a[0].(*types.DJSONB); ok {
				if _, isArr := j.V.([]any); isArr {
					n, err := strconv.ParseInt(strings.TrimSpace(string(a[1].(types.DString))), 10, 32)
					if err != nil {
						return types.Null, nil
					}
					return byIdx.Fn(ctx, a[0], types.DInt(n))
				}
			}
			return byKey.Fn(ctx, a[0], a[1])
		}}
	return &Func{Ov: ov, Args: []Expr{e, i}}, nil
}

func subscriptChain(n *parser.SubscriptExpr) ([]*parser.SubscriptExpr, ast.ExprNode) {
	var chain []*parser.SubscriptExpr
	var base ast.ExprNode = n
	for {
		se, ok := base.(*parser.SubscriptExpr)
		if !ok {
			break
		}
		chain = append([]*parser.SubscriptExpr{se}, chain...)
		base = se.Expr
	}
	return chain, base
}

func unparen(e ast.ExprNode) ast.ExprNode {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// bindRowSubquery binds a row compared with a subquery's rows: (a, b) op
// (SELECT x, y) (mode SubScalar), (a, b) op ANY/ALL (SELECT ...) and
// (a, b) IN (SELECT ...) (SubAny with =).
func (b *Binder) bindRowSubquery(lr *ast.RowExpr, sq *ast.SubqueryExpr, sc *scope, mode SubqueryMode, op sem.BinaryOp) (Expr, error) {
	var strict sem.BinaryOp
	switch op {
	case sem.OpEQ, sem.OpNE:
	case sem.OpLT, sem.OpLE:
		strict = sem.OpLT
	case sem.OpGT, sem.OpGE:
		strict = sem.OpGT
	default:
		return nil, pgerr.New(pgerr.FeatureNotSupported, "row comparison operator %s is not supported", op)
	}
	ls := make([]Expr, len(lr.Values))
	for i, v := range lr.Values {
		e, err := b.bindExpr(v, sc)
		if err != nil {
			return nil, err
		}
		ls[i] = e
	}
	before := b.outerRefs
	node, err := b.bindQuery(sq.Query, sc)
	if err != nil {
		return nil, err
	}
	node = visibleOnly(node)
	cols := node.Columns()
	if len(cols) < len(ls) {
		return nil, pgerr.New(pgerr.Syntax, "subquery has too few columns")
	}
	if len(cols) > len(ls) {
		return nil, pgerr.New(pgerr.Syntax, "subquery has too many columns")
	}
	s := &Subquery{Mode: mode, ID: b.nextSub, Correlated: b.outerRefs != before, T: types.Bool, RowOp: op}
	b.nextSub++
	proj := &Project{In: node}
	recast := false
	for i, l := range ls {
		eq, err := sem.ResolveBinary(sem.OpEQ, l.Type(), cols[i].T)
		if err != nil {
			return nil, err
		}
		if ls[i], err = b.coerce(l, eq.Left); err != nil {
			return nil, err
		}
		var r Expr = &ColRef{Idx: i, T: cols[i].T}
		if !cols[i].T.Equal(eq.Right) {
			if r, err = b.coerce(r, eq.Right); err != nil {
				return nil, err
			}
			recast = true
		}
		proj.Exprs = append(proj.Exprs, r)
		proj.Cols = append(proj.Cols, Col{Name: cols[i].Name, T: eq.Right})
		s.Eqs = append(s.Eqs, eq)
		if strict != 0 {
			ord, err := sem.ResolveBinary(strict, eq.Left, eq.Right)
			if err != nil {
				return nil, err
			}
			s.Ords = append(s.Ords, ord)
		}
	}
	if recast {
		node = proj
	}
	s.LRow = ls
	s.Plan = Optimize(node)
	return s, nil
}

func rowCompare(op opcode.Op, l, r []ast.ExprNode) (ast.ExprNode, error) {
	if len(l) != len(r) {
		return nil, pgerr.New(pgerr.Syntax, "unequal number of entries in row expressions")
	}
	if len(l) == 0 {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "cannot compare rows of zero length")
	}
	bin := func(op opcode.Op, a, b ast.ExprNode) ast.ExprNode {
		return &ast.BinaryOperationExpr{Op: op, L: a, R: b}
	}
	switch op {
	case opcode.EQ, opcode.NE, opcode.NullEQ:
		inner := op
		if op == opcode.NE {
			inner = opcode.EQ
		}
		var e ast.ExprNode
		for i := range l {
			c := bin(inner, l[i], r[i])
			if e == nil {
				e = c
			} else {
				e = bin(opcode.LogicAnd, e, c)
			}
		}
		e = &ast.ParenthesesExpr{Expr: e}
		if op == opcode.NE {
			return &ast.UnaryOperationExpr{Op: opcode.Not, V: e}, nil
		}
		return e, nil
	case opcode.LT, opcode.LE, opcode.GT, opcode.GE:
		strict := opcode.LT
		if op == opcode.GT || op == opcode.GE {
			strict = opcode.GT
		}
		n := len(l) - 1
		e := bin(op, l[n], r[n])
		for i := n - 1; i >= 0; i-- {
			e = bin(opcode.LogicOr, bin(strict, l[i], r[i]), &ast.ParenthesesExpr{Expr: bin(opcode.LogicAnd, bin(opcode.EQ, l[i], r[i]), &ast.ParenthesesExpr{Expr: e})})
		}
		return &ast.ParenthesesExpr{Expr: e}, nil
	}
	return nil, pgerr.New(pgerr.FeatureNotSupported, "row comparison with operator %s is not supported", op)
}
