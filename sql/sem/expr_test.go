package sem

// A miniature PostgreSQL expression binder/evaluator over this package,
// for tests only: it parses the text of a `SELECT expr` (literals, casts,
// operators with PostgreSQL's precedence, function calls, CASE,
// COALESCE/NULLIF/GREATEST/LEAST, IN, BETWEEN, IS [NOT] ..., ARRAY[...],
// EXTRACT/POSITION/SUBSTRING/TRIM forms), binds it with ResolveBinary /
// ResolveFunc / CommonType and evaluates it eagerly. The differential test
// runs the same text on PostgreSQL.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
	"github.com/tesseradb/tessera/sql/types"
)

// val is a bound, evaluated expression: its type and value (or the error
// its evaluation raised), or the rows of a set-returning call.
type val struct {
	t    *types.T
	d    types.Datum
	rows []types.Datum // set-returning top level
	srf  bool
}

type miniParser struct {
	src  string
	toks []pgdialect.Token
	i    int
	ctx  *EvalContext
	vars map[string]val
}

// evalSQL parses and evaluates expr; it returns the type and value or
// rows.
func evalSQL(ctx *EvalContext, expr string) (val, error) {
	v, err := evalSQLVars(ctx, expr, nil)
	if err == nil && v.t.Family == types.UnknownFamily {
		v.t = types.String
	}
	return v, err
}

// evalSQLVars is evalSQL with column variables.
func evalSQLVars(ctx *EvalContext, expr string, vars map[string]val) (val, error) {
	toks, err := pgdialect.Lex(expr)
	if err != nil {
		return val{}, err
	}
	p := &miniParser{src: expr, toks: toks, ctx: ctx, vars: vars}
	v, err := p.expr()
	if err != nil {
		return val{}, err
	}
	if p.peek().Kind != pgdialect.EOF {
		return val{}, fmt.Errorf("mini parser: trailing input at %q", p.src[p.peek().Pos:])
	}
	return v, nil
}

func (p *miniParser) peek() pgdialect.Token       { return p.toks[p.i] }
func (p *miniParser) peekN(n int) pgdialect.Token { return p.toks[min(p.i+n, len(p.toks)-1)] }
func (p *miniParser) next() pgdialect.Token       { t := p.toks[p.i]; p.i++; return t }
func (p *miniParser) acceptKW(kw string) bool {
	if p.peek().Is(kw) {
		p.i++
		return true
	}
	return false
}
func (p *miniParser) acceptP(s string) bool {
	if p.peek().IsP(s) {
		p.i++
		return true
	}
	return false
}
func (p *miniParser) expectP(s string) error {
	if !p.acceptP(s) {
		return fmt.Errorf("mini parser: expected %q at %q", s, p.rest())
	}
	return nil
}
func (p *miniParser) expectKW(s string) error {
	if !p.acceptKW(s) {
		return fmt.Errorf("mini parser: expected %s at %q", s, p.rest())
	}
	return nil
}
func (p *miniParser) rest() string { return p.src[min(p.peek().Pos, len(p.src)):] }

func (p *miniParser) expr() (val, error) { return p.orExpr() }

func (p *miniParser) orExpr() (val, error) {
	l, err := p.andExpr()
	for err == nil && p.acceptKW("or") {
		var r val
		if r, err = p.andExpr(); err == nil {
			l, err = p.boolOp(l, r, Or)
		}
	}
	return l, err
}

func (p *miniParser) andExpr() (val, error) {
	l, err := p.notExpr()
	for err == nil && p.acceptKW("and") {
		var r val
		if r, err = p.notExpr(); err == nil {
			l, err = p.boolOp(l, r, And)
		}
	}
	return l, err
}

func (p *miniParser) toBool(v val, what string) (types.Datum, error) {
	if err := CheckBool(what, v.t); err != nil {
		return nil, err
	}
	return Coerce(p.ctx, v.d, v.t, types.Bool)
}

func (p *miniParser) boolOp(l, r val, f func(a, b types.Datum) types.Datum) (val, error) {
	a, err := p.toBool(l, "AND")
	if err != nil {
		return val{}, err
	}
	b, err := p.toBool(r, "AND")
	if err != nil {
		return val{}, err
	}
	return val{t: types.Bool, d: f(a, b)}, nil
}

func (p *miniParser) notExpr() (val, error) {
	if p.acceptKW("not") {
		v, err := p.notExpr()
		if err != nil {
			return v, err
		}
		b, err := p.toBool(v, "NOT")
		if err != nil {
			return val{}, err
		}
		return val{t: types.Bool, d: Not(b)}, nil
	}
	return p.isExpr()
}

func (p *miniParser) isExpr() (val, error) {
	l, err := p.cmpExpr()
	if err != nil {
		return l, err
	}
	for p.acceptKW("is") {
		neg := p.acceptKW("not")
		switch {
		case p.acceptKW("null"):
			l = val{t: types.Bool, d: types.DBool(types.IsNull(l.d) != neg)}
		case p.peek().Is("true") || p.peek().Is("false"):
			want := p.next().Val == "true"
			b, err := p.toBool(l, "IS TRUE")
			if err != nil {
				return val{}, err
			}
			l = val{t: types.Bool, d: types.DBool((b == types.DBool(want)) != neg)}
		case p.acceptKW("distinct"):
			if err := p.expectKW("from"); err != nil {
				return val{}, err
			}
			r, err := p.cmpExpr()
			if err != nil {
				return val{}, err
			}
			op := OpIsDistinct
			if neg {
				op = OpIsNotDistinct
			}
			if l, err = p.binary(op, l, r); err != nil {
				return val{}, err
			}
		default:
			return val{}, fmt.Errorf("mini parser: IS what at %q", p.rest())
		}
	}
	return l, nil
}

func (p *miniParser) cmpExpr() (val, error) {
	l, err := p.likeExpr()
	if err != nil {
		return l, err
	}
	for {
		t := p.peek()
		if t.Kind != pgdialect.Op {
			return l, nil
		}
		op, ok := map[string]BinaryOp{"=": OpEQ, "<>": OpNE, "!=": OpNE, "<": OpLT, "<=": OpLE, ">": OpGT, ">=": OpGE}[t.Val]
		if !ok {
			return l, nil
		}
		p.i++
		if (p.peek().Is("any") || p.peek().Is("some") || p.peek().Is("all")) && p.peekN(1).IsP("(") {
			all := p.next().Val == "all"
			p.i++
			a, err := p.expr()
			if err != nil {
				return a, err
			}
			if err := p.expectP(")"); err != nil {
				return val{}, err
			}
			if l, err = p.anyAll(op, l, a, all); err != nil {
				return l, err
			}
			continue
		}
		r, err := p.likeExpr()
		if err != nil {
			return r, err
		}
		if l, err = p.binary(op, l, r); err != nil {
			return l, err
		}
	}
}

func (p *miniParser) anyAll(op BinaryOp, l, a val, all bool) (val, error) {
	if a.t.Family == types.UnknownFamily {
		// An untyped literal on the right of = ANY is read as an array of
		// the left side's type.
		at, err := types.MakeArray(l.t)
		if err != nil {
			return val{}, err
		}
		d, err := Coerce(p.ctx, a.d, a.t, at)
		if err != nil {
			return val{}, err
		}
		a = val{t: at, d: d}
	}
	if a.t.Family != types.ArrayFamily {
		return val{}, errorf(CodeWrongObjectType, "op ANY/ALL (array) requires array on right side")
	}
	cmp, err := ResolveBinary(op, l.t, a.t.Elem)
	if err != nil {
		return val{}, err
	}
	x, err := Coerce(p.ctx, l.d, l.t, cmp.Left)
	if err != nil {
		return val{}, err
	}
	if types.IsNull(a.d) {
		return val{t: types.Bool, d: types.Null}, nil
	}
	elems := make([]types.Datum, len(a.d.(*types.DArray).Elems))
	for i, e := range a.d.(*types.DArray).Elems {
		if elems[i], err = Coerce(p.ctx, e, a.t.Elem, cmp.Right); err != nil {
			return val{}, err
		}
	}
	r, err := AnyAll(p.ctx, cmp, x, elems, all)
	return val{t: types.Bool, d: r}, err
}

func (p *miniParser) likeExpr() (val, error) {
	l, err := p.otherExpr()
	if err != nil {
		return l, err
	}
	neg := false
	if p.peek().Is("not") && (p.peekN(1).Is("like") || p.peekN(1).Is("ilike") || p.peekN(1).Is("in") || p.peekN(1).Is("between")) {
		p.i++
		neg = true
	}
	switch {
	case p.peek().Is("like") || p.peek().Is("ilike"):
		fold := p.next().Val == "ilike"
		r, err := p.otherExpr()
		if err != nil {
			return r, err
		}
		if p.acceptKW("escape") {
			e, err := p.otherExpr()
			if err != nil {
				return e, err
			}
			if r, err = p.call("like_escape", []val{r, e}); err != nil {
				return r, err
			}
		}
		op := map[[2]bool]BinaryOp{{false, false}: OpLike, {true, false}: OpNotLike, {false, true}: OpILike, {true, true}: OpNotILike}[[2]bool{neg, fold}]
		return p.binary(op, l, r)
	case p.acceptKW("in"):
		if err := p.expectP("("); err != nil {
			return val{}, err
		}
		list := []val{l}
		for {
			v, err := p.expr()
			if err != nil {
				return v, err
			}
			list = append(list, v)
			if !p.acceptP(",") {
				break
			}
		}
		if err := p.expectP(")"); err != nil {
			return val{}, err
		}
		ts := make([]*types.T, len(list))
		for i, v := range list {
			ts[i] = v.t
		}
		ct, err := CommonType("IN", ts)
		if err != nil {
			return val{}, err
		}
		cmp, err := ResolveBinary(OpEQ, ct, ct)
		if err != nil {
			return val{}, err
		}
		ds := make([]types.Datum, len(list))
		for i, v := range list {
			if ds[i], err = Coerce(p.ctx, v.d, v.t, ct); err != nil {
				return val{}, err
			}
		}
		r, err := AnyAll(p.ctx, cmp, ds[0], ds[1:], false)
		if err != nil {
			return val{}, err
		}
		if neg {
			r = Not(r)
		}
		return val{t: types.Bool, d: r}, nil
	case p.acceptKW("between"):
		lo, err := p.otherExpr()
		if err != nil {
			return lo, err
		}
		if err := p.expectKW("and"); err != nil {
			return val{}, err
		}
		hi, err := p.otherExpr()
		if err != nil {
			return hi, err
		}
		a, err := p.binary(OpGE, l, lo)
		if err != nil {
			return a, err
		}
		b, err := p.binary(OpLE, l, hi)
		if err != nil {
			return b, err
		}
		r := And(a.d, b.d)
		if neg {
			r = Not(r)
		}
		return val{t: types.Bool, d: r}, nil
	}
	return l, nil
}

var otherOps = map[string]BinaryOp{"||": OpConcat, "~": OpRegMatch, "!~": OpNotRegMatch, "~*": OpRegIMatch,
	"!~*": OpNotRegIMatch, "~~": OpLike, "!~~": OpNotLike, "~~*": OpILike, "!~~*": OpNotILike,
	"&": OpBitAnd, "|": OpBitOr, "#": OpBitXor, "<<": OpLShift, ">>": OpRShift,
	"->": OpJSONGet, "->>": OpJSONGetText, "#>": OpJSONPath, "#>>": OpJSONPathText,
	"@>": OpContains, "<@": OpContainedBy, "?": OpJSONExists, "?|": OpJSONExistsAny, "?&": OpJSONExistsAll, "&&": OpOverlap}

func (p *miniParser) otherExpr() (val, error) {
	l, err := p.addExpr()
	if err != nil {
		return l, err
	}
	for {
		t := p.peek()
		op, ok := otherOps[t.Val]
		if t.Kind != pgdialect.Op || !ok {
			return l, nil
		}
		p.i++
		r, err := p.addExpr()
		if err != nil {
			return r, err
		}
		if l, err = p.binary(op, l, r); err != nil {
			return l, err
		}
	}
}

func (p *miniParser) addExpr() (val, error) {
	l, err := p.mulExpr()
	for err == nil && (p.peek().IsP("+") || p.peek().IsP("-")) {
		op := OpPlus
		if p.next().Val == "-" {
			op = OpMinus
		}
		var r val
		if r, err = p.mulExpr(); err == nil {
			l, err = p.binary(op, l, r)
		}
	}
	return l, err
}

func (p *miniParser) mulExpr() (val, error) {
	l, err := p.powExpr()
	for err == nil && (p.peek().IsP("*") || p.peek().IsP("/") || p.peek().IsP("%")) {
		op := map[string]BinaryOp{"*": OpMult, "/": OpDiv, "%": OpMod}[p.next().Val]
		var r val
		if r, err = p.powExpr(); err == nil {
			l, err = p.binary(op, l, r)
		}
	}
	return l, err
}

func (p *miniParser) powExpr() (val, error) {
	l, err := p.unary()
	for err == nil && p.acceptP("^") {
		var r val
		if r, err = p.unary(); err == nil {
			l, err = p.binary(OpPow, l, r)
		}
	}
	return l, err
}

func (p *miniParser) unary() (val, error) {
	if p.peek().IsP("-") || p.peek().IsP("+") || p.peek().IsP("~") || p.peek().IsP("@") {
		opTok := p.next().Val
		// A minus directly before a numeric literal is part of it.
		if opTok == "-" && (p.peek().Kind == pgdialect.Int || p.peek().Kind == pgdialect.Num) && !p.peekN(1).IsP("::") {
			t := p.next()
			return p.postfix(numLiteral("-"+t.Val, t.Kind == pgdialect.Int))
		}
		v, err := p.unary()
		if err != nil {
			return v, err
		}
		op := map[string]UnaryOp{"-": OpUnaryMinus, "+": OpUnaryPlus, "~": OpBitNot, "@": OpAbs}[opTok]
		ov, err := ResolveUnary(op, v.t)
		if err != nil {
			return val{}, err
		}
		d, err := Coerce(p.ctx, v.d, v.t, ov.Operand)
		if err != nil || types.IsNull(d) {
			return val{t: ov.Return, d: types.Null}, err
		}
		r, err := ov.Fn(p.ctx, d)
		return val{t: ov.Return, d: r}, err
	}
	v, err := p.primary()
	if err != nil {
		return v, err
	}
	return p.postfix(v)
}

func numLiteral(s string, isInt bool) val {
	if isInt {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			if n >= -1<<31 && n < 1<<31 {
				return val{t: types.Int4, d: types.DInt(n)}
			}
			return val{t: types.Int8, d: types.DInt(n)}
		}
	}
	d, _, err := apd.NewFromString(s)
	if err != nil {
		return val{t: types.Numeric, d: types.Null}
	}
	return val{t: types.Numeric, d: types.NewDecimal(d)}
}

func (p *miniParser) parseType() (*types.T, error) {
	pt, next, ok := pgdialect.ParseType(p.toks, p.i, false)
	if !ok {
		return nil, fmt.Errorf("mini parser: type expected at %q", p.rest())
	}
	p.i = next
	return types.FromPG(pt)
}

func (p *miniParser) cast(v val, t *types.T) (val, error) {
	d, err := ExplicitCast(p.ctx, v.d, v.t, t)
	return val{t: t, d: d}, err
}

func (p *miniParser) postfix(v val) (val, error) {
	for {
		switch {
		case p.acceptP("::"):
			t, err := p.parseType()
			if err != nil {
				return val{}, err
			}
			if v, err = p.cast(v, t); err != nil {
				return val{}, err
			}
		case p.peek().IsP("["):
			p.i++
			idx, err := p.expr()
			if err != nil {
				return idx, err
			}
			if err := p.expectP("]"); err != nil {
				return val{}, err
			}
			if v.t.Family != types.ArrayFamily {
				return val{}, errorf(CodeDatatypeMismatch, "cannot subscript type %s because it does not support subscripting", v.t.SQLName())
			}
			i, err := Coerce(p.ctx, idx.d, idx.t, types.Int4)
			if err != nil {
				return val{}, err
			}
			v = val{t: v.t.Elem, d: ArraySubscript(v.d, i)}
		default:
			return v, nil
		}
	}
}

func (p *miniParser) primary() (val, error) {
	t := p.peek()
	switch t.Kind {
	case pgdialect.Int, pgdialect.Num:
		p.i++
		return numLiteral(t.Val, t.Kind == pgdialect.Int), nil
	case pgdialect.String:
		p.i++
		return val{t: Unknown, d: types.DString(t.Val)}, nil
	case pgdialect.Punct:
		if p.acceptP("(") {
			v, err := p.expr()
			if err != nil {
				return v, err
			}
			return v, p.expectP(")")
		}
	case pgdialect.Ident:
		return p.identExpr()
	}
	return val{}, fmt.Errorf("mini parser: unexpected %q", p.rest())
}

func (p *miniParser) args() ([]val, error) {
	if err := p.expectP("("); err != nil {
		return nil, err
	}
	var vs []val
	if p.acceptP(")") {
		return nil, nil
	}
	for {
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
		if !p.acceptP(",") {
			break
		}
	}
	return vs, p.expectP(")")
}

func (p *miniParser) identExpr() (val, error) {
	t := p.next()
	if v, ok := p.vars[t.Val]; ok && !p.peek().IsP("(") {
		return v, nil
	}
	switch t.Val {
	case "null":
		return val{t: Unknown, d: types.Null}, nil
	case "true", "false":
		return val{t: types.Bool, d: types.DBool(t.Val == "true")}, nil
	case "current_date", "current_timestamp", "localtimestamp", "current_time", "localtime",
		"current_user", "session_user", "user", "current_schema", "current_catalog":
		if !p.peek().IsP("(") {
			return p.call(t.Val, nil)
		}
	case "cast":
		if err := p.expectP("("); err != nil {
			return val{}, err
		}
		v, err := p.expr()
		if err != nil {
			return v, err
		}
		if err := p.expectKW("as"); err != nil {
			return val{}, err
		}
		ty, err := p.parseType()
		if err != nil {
			return val{}, err
		}
		if err := p.expectP(")"); err != nil {
			return val{}, err
		}
		return p.cast(v, ty)
	case "array":
		if err := p.expectP("["); err != nil {
			return val{}, err
		}
		var vs []val
		if !p.acceptP("]") {
			for {
				v, err := p.expr()
				if err != nil {
					return v, err
				}
				vs = append(vs, v)
				if !p.acceptP(",") {
					break
				}
			}
			if err := p.expectP("]"); err != nil {
				return val{}, err
			}
		}
		ts := make([]*types.T, len(vs))
		for i, v := range vs {
			ts[i] = v.t
		}
		et, err := CommonType("ARRAY", ts)
		if err != nil {
			return val{}, err
		}
		at, err := types.MakeArray(et)
		if err != nil {
			return val{}, err
		}
		arr := &types.DArray{Elem: et}
		for _, v := range vs {
			d, err := Coerce(p.ctx, v.d, v.t, et)
			if err != nil {
				return val{}, err
			}
			arr.Elems = append(arr.Elems, d)
		}
		return val{t: at, d: arr}, nil
	case "case":
		return p.caseExpr()
	case "extract":
		if err := p.expectP("("); err != nil {
			return val{}, err
		}
		f := p.next()
		if err := p.expectKW("from"); err != nil {
			return val{}, err
		}
		v, err := p.expr()
		if err != nil {
			return v, err
		}
		if err := p.expectP(")"); err != nil {
			return val{}, err
		}
		return p.call("extract", []val{{t: Unknown, d: types.DString(f.Val)}, v})
	case "position":
		if err := p.expectP("("); err != nil {
			return val{}, err
		}
		a, err := p.otherExpr()
		if err != nil {
			return a, err
		}
		if err := p.expectKW("in"); err != nil {
			return val{}, err
		}
		b, err := p.otherExpr()
		if err != nil {
			return b, err
		}
		if err := p.expectP(")"); err != nil {
			return val{}, err
		}
		return p.call("position", []val{b, a})
	case "substring":
		if p.peekN(1).Kind != pgdialect.EOF && p.hasKeywordArg("from", "for") {
			p.i++ // (
			s, err := p.expr()
			if err != nil {
				return s, err
			}
			args := []val{s}
			if p.acceptKW("from") {
				a, err := p.expr()
				if err != nil {
					return a, err
				}
				args = append(args, a)
			} else {
				args = append(args, val{t: types.Int4, d: types.DInt(1)})
			}
			if p.acceptKW("for") {
				b, err := p.expr()
				if err != nil {
					return b, err
				}
				args = append(args, b)
			}
			if err := p.expectP(")"); err != nil {
				return val{}, err
			}
			return p.call("substring", args)
		}
	case "trim":
		if err := p.expectP("("); err != nil {
			return val{}, err
		}
		fn := "btrim"
		switch {
		case p.acceptKW("both"):
		case p.acceptKW("leading"):
			fn = "ltrim"
		case p.acceptKW("trailing"):
			fn = "rtrim"
		}
		var chars *val
		if !p.peek().Is("from") {
			c, err := p.expr()
			if err != nil {
				return c, err
			}
			chars = &c
		}
		if p.acceptKW("from") {
			s, err := p.expr()
			if err != nil {
				return s, err
			}
			if err := p.expectP(")"); err != nil {
				return val{}, err
			}
			if chars == nil {
				return p.call(fn, []val{s})
			}
			return p.call(fn, []val{s, *chars})
		}
		if err := p.expectP(")"); err != nil {
			return val{}, err
		}
		return p.call(fn, []val{*chars})
	case "coalesce", "greatest", "least", "nullif":
		vs, err := p.args()
		if err != nil {
			return val{}, err
		}
		return p.special(t.Val, vs)
	}
	if p.peek().IsP("(") {
		vs, err := p.args()
		if err != nil {
			return val{}, err
		}
		return p.call(t.Val, vs)
	}
	return val{}, fmt.Errorf("mini parser: unknown word %q", t.Val)
}

// hasKeywordArg reports whether the parenthesised call starting at the
// current token uses FROM/FOR keywords at depth 1.
func (p *miniParser) hasKeywordArg(kws ...string) bool {
	depth := 0
	for i := p.i; i < len(p.toks) && p.toks[i].Kind != pgdialect.EOF; i++ {
		t := p.toks[i]
		switch {
		case t.IsP("("):
			depth++
		case t.IsP(")"):
			depth--
			if depth == 0 {
				return false
			}
		case depth == 1:
			for _, k := range kws {
				if t.Is(k) {
					return true
				}
			}
		}
	}
	return false
}

func (p *miniParser) special(name string, vs []val) (val, error) {
	ts := make([]*types.T, len(vs))
	for i, v := range vs {
		ts[i] = v.t
	}
	what := strings.ToUpper(name)
	if name == "nullif" {
		if len(vs) != 2 {
			return val{}, fmt.Errorf("nullif takes 2 arguments")
		}
		eq, err := p.binary(OpEQ, vs[0], vs[1])
		if err != nil {
			return val{}, err
		}
		if eq.d == types.DBool(true) {
			return val{t: vs[0].t, d: types.Null}, nil
		}
		if vs[0].t.Family == types.UnknownFamily {
			d, err := Coerce(p.ctx, vs[0].d, Unknown, types.String)
			return val{t: types.String, d: d}, err
		}
		return vs[0], nil
	}
	ct, err := CommonType(what, ts)
	if err != nil {
		return val{}, err
	}
	ds := make([]types.Datum, len(vs))
	for i, v := range vs {
		if ds[i], err = Coerce(p.ctx, v.d, v.t, ct); err != nil {
			return val{}, err
		}
	}
	if name == "coalesce" {
		for _, d := range ds {
			if !types.IsNull(d) {
				return val{t: ct, d: d}, nil
			}
		}
		return val{t: ct, d: types.Null}, nil
	}
	if _, err := ResolveBinary(OpLT, ct, ct); err != nil {
		return val{}, err
	}
	d, err := Greatest(ct, ds, name == "least")
	return val{t: ct, d: d}, err
}

func (p *miniParser) caseExpr() (val, error) {
	var operand *val
	if !p.peek().Is("when") {
		v, err := p.expr()
		if err != nil {
			return v, err
		}
		operand = &v
	}
	type arm struct{ cond, res val }
	var arms []arm
	for p.acceptKW("when") {
		c, err := p.expr()
		if err != nil {
			return c, err
		}
		if err := p.expectKW("then"); err != nil {
			return val{}, err
		}
		r, err := p.expr()
		if err != nil {
			return r, err
		}
		if operand != nil {
			if c, err = p.binary(OpEQ, *operand, c); err != nil {
				return val{}, err
			}
		}
		arms = append(arms, arm{c, r})
	}
	els := val{t: Unknown, d: types.Null}
	if p.acceptKW("else") {
		var err error
		if els, err = p.expr(); err != nil {
			return els, err
		}
	}
	if err := p.expectKW("end"); err != nil {
		return val{}, err
	}
	ts := []*types.T{}
	for _, a := range arms {
		ts = append(ts, a.res.t)
	}
	ts = append(ts, els.t)
	ct, err := CommonType("CASE", ts)
	if err != nil {
		return val{}, err
	}
	// Every branch is coerced when the expression is bound (a bad literal
	// fails even in a branch not taken), as PostgreSQL does.
	for i := range arms {
		d, err := Coerce(p.ctx, arms[i].res.d, arms[i].res.t, ct)
		if err != nil {
			return val{}, err
		}
		arms[i].res = val{t: ct, d: d}
	}
	if d, err := Coerce(p.ctx, els.d, els.t, ct); err != nil {
		return val{}, err
	} else {
		els = val{t: ct, d: d}
	}
	for _, a := range arms {
		b, err := p.toBool(a.cond, "CASE/WHEN")
		if err != nil {
			return val{}, err
		}
		if b == types.DBool(true) {
			d, err := Coerce(p.ctx, a.res.d, a.res.t, ct)
			return val{t: ct, d: d}, err
		}
	}
	d, err := Coerce(p.ctx, els.d, els.t, ct)
	return val{t: ct, d: d}, err
}

func (p *miniParser) binary(op BinaryOp, l, r val) (val, error) {
	ov, err := ResolveBinary(op, l.t, r.t)
	if err != nil {
		return val{}, err
	}
	a, err := Coerce(p.ctx, l.d, l.t, ov.Left)
	if err != nil {
		return val{}, err
	}
	b, err := Coerce(p.ctx, r.d, r.t, ov.Right)
	if err != nil {
		return val{}, err
	}
	if !ov.CalledOnNull && (types.IsNull(a) || types.IsNull(b)) {
		return val{t: ov.Return, d: types.Null}, nil
	}
	d, err := ov.Fn(p.ctx, a, b)
	return val{t: ov.Return, d: d}, err
}

func (p *miniParser) call(name string, vs []val) (val, error) {
	ts := make([]*types.T, len(vs))
	for i, v := range vs {
		ts[i] = v.t
	}
	fo, err := ResolveFunc(name, ts)
	if err != nil {
		return val{}, err
	}
	ds := make([]types.Datum, len(vs))
	anyNull := false
	for i, v := range vs {
		if ds[i], err = Coerce(p.ctx, v.d, v.t, fo.Args[i]); err != nil {
			return val{}, err
		}
		anyNull = anyNull || types.IsNull(ds[i])
	}
	switch fo.Class {
	case Normal:
		if anyNull && !fo.CalledOnNull {
			return val{t: fo.Return, d: types.Null}, nil
		}
		d, err := fo.Fn(p.ctx, ds)
		return val{t: fo.Return, d: d}, err
	case Generator:
		out := val{t: fo.Return, srf: true}
		if anyNull && !fo.CalledOnNull {
			return out, nil
		}
		it, err := fo.Gen(p.ctx, ds)
		if err != nil {
			return val{}, err
		}
		for n := 0; n < 100000; n++ {
			d, ok, err := it.Next(p.ctx)
			if err != nil {
				return val{}, err
			}
			if !ok {
				return out, nil
			}
			out.rows = append(out.rows, d)
		}
		return val{}, fmt.Errorf("generator too long")
	}
	return val{}, fmt.Errorf("mini evaluator: %s is an aggregate or window function", name)
}
