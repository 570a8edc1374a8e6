package sem

import (
	"math"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

func addAgg(name string, args []*types.T, ret *types.T, mk func(o *FuncOverload) func() AggFunc) {
	addFunc(&FuncOverload{Name: name, Class: Aggregate, Args: args, Return: ret, CalledOnNull: true,
		bind: func(o *FuncOverload) { o.NewAgg = mk(o) }})
}

// countAgg is count(*) (star) or count(x).
type countAgg struct {
	n    int64
	star bool
}

func (a *countAgg) Add(_ *EvalContext, args []types.Datum) error {
	if a.star || !types.IsNull(args[0]) {
		a.n++
	}
	return nil
}

func (a *countAgg) Result(*EvalContext) (types.Datum, error) { return types.DInt(a.n), nil }

// intSumAgg is sum(int2/int4) → int8.
type intSumAgg struct {
	sum  int64
	seen bool
}

func (a *intSumAgg) Add(_ *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) {
		return nil
	}
	v := in(args[0])
	s := a.sum + v
	if ((s ^ a.sum) & (s ^ v)) < 0 {
		return intOutOfRange(64)
	}
	a.sum, a.seen = s, true
	return nil
}

func (a *intSumAgg) Result(*EvalContext) (types.Datum, error) {
	if !a.seen {
		return types.Null, nil
	}
	return types.DInt(a.sum), nil
}

// numAcc accumulates numerics exactly: count, sum, sum of squares, and
// PostgreSQL's NaN / ±Infinity counts.
type numAcc struct {
	n          int64
	sum, sumSq apd.Decimal
	nan        bool
	pinf, ninf int64
	squares    bool
	maxScale   int
}

func (a *numAcc) add(d *apd.Decimal) error {
	a.n++
	switch {
	case isNaN(d):
		a.nan = true
		return nil
	case d.Form == apd.Infinite:
		if d.Negative {
			a.ninf++
		} else {
			a.pinf++
		}
		return nil
	}
	if _, err := exactCtx.Add(&a.sum, &a.sum, d); err != nil {
		return numericOverflow()
	}
	a.maxScale = max(a.maxScale, dscale(d))
	if a.squares {
		var sq apd.Decimal
		if _, err := exactCtx.Mul(&sq, d, d); err != nil {
			return numericOverflow()
		}
		if _, err := exactCtx.Add(&a.sumSq, &a.sumSq, &sq); err != nil {
			return numericOverflow()
		}
	}
	return nil
}

func (a *numAcc) special() (types.Datum, bool) {
	switch {
	case a.nan || (a.pinf > 0 && a.ninf > 0):
		return decNaN(), true
	case a.pinf > 0:
		return decInf(false), true
	case a.ninf > 0:
		return decInf(true), true
	}
	return nil, false
}

func (a *numAcc) total() types.Datum {
	if d, ok := a.special(); ok {
		return d
	}
	r := roundScale(&a.sum, a.maxScale)
	return newDec(r)
}

func (a *numAcc) avg() (types.Datum, error) {
	if d, ok := a.special(); ok {
		return d, nil
	}
	s := roundScale(&a.sum, a.maxScale)
	return numDiv(s, apd.New(a.n, 0))
}

// variance is numeric_stddev_internal.
func (a *numAcc) variance(sample, stddev bool) (types.Datum, error) {
	if a.n == 0 || (sample && a.n == 1) {
		return types.Null, nil
	}
	if a.nan || a.pinf > 0 || a.ninf > 0 {
		return decNaN(), nil
	}
	n := apd.New(a.n, 0)
	sumX := roundScale(&a.sum, a.maxScale)
	var sumX2 apd.Decimal
	_, _ = exactCtx.Mul(&sumX2, sumX, sumX)
	var nSumSq apd.Decimal
	_, _ = exactCtx.Mul(&nSumSq, n, &a.sumSq)
	var num apd.Decimal
	_, _ = exactCtx.Sub(&num, &nSumSq, &sumX2)
	if num.Sign() <= 0 {
		return newDec(apd.New(0, 0)), nil
	}
	den := new(apd.Decimal)
	if sample {
		_, _ = exactCtx.Mul(den, n, apd.New(a.n-1, 0))
	} else {
		_, _ = exactCtx.Mul(den, n, n)
	}
	s := divScale(&num, den)
	v := divRound(&num, den, s, false)
	if !stddev {
		return newDec(v), nil
	}
	r := new(apd.Decimal)
	if _, err := apdAt(int(v.NumDigits())+int(v.Exponent), s).Sqrt(r, v); err != nil {
		return nil, numericOverflow()
	}
	return newDec(roundScale(r, s)), nil
}

type numSumAgg struct {
	acc  numAcc
	kind string // sum, avg, var_samp, var_pop, stddev_samp, stddev_pop
}

func toDec(d types.Datum) *apd.Decimal {
	switch v := d.(type) {
	case types.DInt:
		return apd.New(int64(v), 0)
	case *types.DDecimal:
		return &v.Decimal
	}
	return nil
}

func (a *numSumAgg) Add(_ *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) {
		return nil
	}
	return a.acc.add(toDec(args[0]))
}

func (a *numSumAgg) Result(*EvalContext) (types.Datum, error) {
	if a.acc.n == 0 {
		return types.Null, nil
	}
	switch a.kind {
	case "sum":
		return a.acc.total(), nil
	case "avg":
		return a.acc.avg()
	case "var_samp":
		return a.acc.variance(true, false)
	case "var_pop":
		return a.acc.variance(false, false)
	case "stddev_samp":
		return a.acc.variance(true, true)
	}
	return a.acc.variance(false, true)
}

// floatAgg is sum/avg/variance over floats (Youngs-Cramer, as float8_accum).
type floatAgg struct {
	n, sx, sxx float64
	kind       string
	width      int
}

func (a *floatAgg) Add(_ *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) {
		return nil
	}
	x := fl(args[0])
	n := a.n + 1
	sx := a.sx + x
	if a.kind == "sum" && a.width == 32 {
		sx = float64(float32(a.sx) + float32(x))
	}
	if math.IsInf(sx, 0) && !math.IsInf(a.sx, 0) && !math.IsInf(x, 0) {
		return errorf(CodeNumericOutOfRange, "value out of range: overflow")
	}
	if a.n > 0 {
		tmp := x*n - sx
		sxx := a.sxx + tmp*tmp/(n*a.n)
		if math.IsInf(sx, 0) || math.IsInf(sxx, 0) {
			if !math.IsInf(sx, 0) && !math.IsInf(x, 0) && !math.IsInf(a.sx, 0) {
				return errorf(CodeNumericOutOfRange, "value out of range: overflow")
			}
			sxx = math.NaN()
		}
		a.sxx = sxx
	} else if math.IsNaN(x) || math.IsInf(x, 0) {
		a.sxx = math.NaN()
	}
	a.n, a.sx = n, sx
	return nil
}

func (a *floatAgg) Result(*EvalContext) (types.Datum, error) {
	if a.n == 0 {
		return types.Null, nil
	}
	switch a.kind {
	case "sum":
		return types.DFloat(a.sx), nil
	case "avg":
		return types.DFloat(a.sx / a.n), nil
	case "var_pop":
		return types.DFloat(a.sxx / a.n), nil
	case "stddev_pop":
		return types.DFloat(math.Sqrt(a.sxx / a.n)), nil
	}
	if a.n == 1 {
		return types.Null, nil
	}
	if a.kind == "var_samp" {
		return types.DFloat(a.sxx / (a.n - 1)), nil
	}
	return types.DFloat(math.Sqrt(a.sxx / (a.n - 1))), nil
}

// regrAgg is the two-argument statistics of (Y, X) pairs where neither
// is NULL: corr, covar_pop/samp and regr_*, accumulated as PostgreSQL's
// float8_regr_accum does (Youngs-Cramer) so that results match its digits.
type regrAgg struct {
	n, sx, sxx, sy, syy, sxy float64
	kind                     string
}

func (a *regrAgg) Add(_ *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) || types.IsNull(args[1]) {
		return nil
	}
	y, x := fl(args[0]), fl(args[1])
	n := a.n + 1
	sx, sy := a.sx+x, a.sy+y
	if a.n > 0 {
		tx, ty := x*n-sx, y*n-sy
		scale := 1.0 / (n * a.n)
		sxx, syy, sxy := a.sxx+tx*tx*scale, a.syy+ty*ty*scale, a.sxy+tx*ty*scale
		inf := func(v float64) bool { return math.IsInf(v, 0) }
		if inf(sx) || inf(sxx) || inf(sy) || inf(syy) || inf(sxy) {
			if (inf(sx) || inf(sxx)) && !inf(a.sx) && !inf(x) || (inf(sy) || inf(syy)) && !inf(a.sy) && !inf(y) ||
				inf(sxy) && !inf(a.sx) && !inf(x) && !inf(a.sy) && !inf(y) {
				return errorf(CodeNumericOutOfRange, "value out of range: overflow")
			}
			if inf(sxx) {
				sxx = math.NaN()
			}
			if inf(syy) {
				syy = math.NaN()
			}
			if inf(sxy) {
				sxy = math.NaN()
			}
		}
		a.sxx, a.syy, a.sxy = sxx, syy, sxy
	} else {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			a.sxx, a.sxy = math.NaN(), math.NaN()
		}
		if math.IsNaN(y) || math.IsInf(y, 0) {
			a.syy, a.sxy = math.NaN(), math.NaN()
		}
	}
	a.n, a.sx, a.sy = n, sx, sy
	return nil
}

func (a *regrAgg) Result(*EvalContext) (types.Datum, error) {
	if a.kind == "regr_count" {
		return types.DInt(a.n), nil
	}
	if a.n < 1 || a.kind == "covar_samp" && a.n < 2 {
		return types.Null, nil
	}
	f := func(v float64) (types.Datum, error) { return types.DFloat(v), nil }
	switch a.kind {
	case "covar_pop":
		return f(a.sxy / a.n)
	case "covar_samp":
		return f(a.sxy / (a.n - 1))
	case "regr_sxx":
		return f(a.sxx)
	case "regr_syy":
		return f(a.syy)
	case "regr_sxy":
		return f(a.sxy)
	case "regr_avgx":
		return f(a.sx / a.n)
	case "regr_avgy":
		return f(a.sy / a.n)
	case "corr":
		if a.sxx == 0 || a.syy == 0 {
			return types.Null, nil
		}
		return f(a.sxy / math.Sqrt(a.sxx*a.syy))
	case "regr_r2":
		if a.sxx == 0 {
			return types.Null, nil
		}
		if a.syy == 0 {
			return f(1)
		}
		return f(a.sxy * a.sxy / (a.sxx * a.syy))
	case "regr_slope":
		if a.sxx == 0 {
			return types.Null, nil
		}
		return f(a.sxy / a.sxx)
	case "regr_intercept":
		if a.sxx == 0 {
			return types.Null, nil
		}
		return f((a.sy - a.sx*a.sxy/a.sxx) / a.n)
	}
	return nil, errorf("XX000", "unknown aggregate %s", a.kind)
}

type intervalAgg struct {
	sum types.DInterval
	n   int64
	avg bool
}

func (a *intervalAgg) Add(_ *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) {
		return nil
	}
	s, err := intervalAdd(a.sum, args[0].(types.DInterval), false)
	if err != nil {
		return err
	}
	a.sum, a.n = s.(types.DInterval), a.n+1
	return nil
}

func (a *intervalAgg) Result(*EvalContext) (types.Datum, error) {
	if a.n == 0 {
		return types.Null, nil
	}
	if a.avg {
		return intervalDiv(a.sum, float64(a.n))
	}
	return a.sum, nil
}

type minMaxAgg struct {
	t    *types.T
	best types.Datum
	max  bool
}

func (a *minMaxAgg) Add(_ *EvalContext, args []types.Datum) error {
	d := args[0]
	if types.IsNull(d) {
		return nil
	}
	if a.best == nil {
		a.best = d
		return nil
	}
	c, err := types.CompareTyped(a.t, d, a.best)
	if err != nil {
		return err
	}
	if (a.max && c > 0) || (!a.max && c < 0) {
		a.best = d
	}
	return nil
}

func (a *minMaxAgg) Result(*EvalContext) (types.Datum, error) {
	if a.best == nil {
		return types.Null, nil
	}
	return a.best, nil
}

type boolAgg struct {
	v   types.Datum
	and bool
}

func (a *boolAgg) Add(_ *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) {
		return nil
	}
	if a.v == nil {
		a.v = args[0]
	} else if a.and {
		a.v = And(a.v, args[0])
	} else {
		a.v = Or(a.v, args[0])
	}
	return nil
}

func (a *boolAgg) Result(*EvalContext) (types.Datum, error) {
	if a.v == nil {
		return types.Null, nil
	}
	return a.v, nil
}

type stringAgg struct {
	b     strings.Builder
	seen  bool
	bytes bool
}

func (a *stringAgg) Add(_ *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) {
		return nil
	}
	if a.seen && !types.IsNull(args[1]) {
		if a.bytes {
			a.b.WriteString(string(args[1].(types.DBytes)))
		} else {
			a.b.WriteString(str(args[1]))
		}
	}
	if a.bytes {
		a.b.WriteString(string(args[0].(types.DBytes)))
	} else {
		a.b.WriteString(str(args[0]))
	}
	a.seen = true
	return nil
}

func (a *stringAgg) Result(*EvalContext) (types.Datum, error) {
	if !a.seen {
		return types.Null, nil
	}
	if a.bytes {
		return types.DBytes(a.b.String()), nil
	}
	return types.DString(a.b.String()), nil
}

type arrayAgg struct {
	et    *types.T
	elems []types.Datum
	seen  bool
}

func (a *arrayAgg) Add(_ *EvalContext, args []types.Datum) error {
	a.elems = append(a.elems, args[0])
	a.seen = true
	return nil
}

func (a *arrayAgg) Result(*EvalContext) (types.Datum, error) {
	if !a.seen {
		return types.Null, nil
	}
	return &types.DArray{Elem: a.et, Elems: append([]types.Datum(nil), a.elems...)}, nil
}

// arrayOfArraysAgg is array_agg(anyarray): the inputs, all of the same
// dimensions, stacked into one more dimension.
type arrayOfArraysAgg struct {
	et    *types.T
	elems []types.Datum
	dims  []int
	n     int
}

func (a *arrayOfArraysAgg) Add(_ *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) {
		return errorf("22004", "cannot accumulate null arrays")
	}
	arr := args[0].(*types.DArray)
	d := arr.DimLens()
	if len(d) == 0 {
		return errorf("2202E", "cannot accumulate empty arrays")
	}
	if a.n > 0 && !slices.Equal(d, a.dims) {
		return errorf("2202E", "cannot accumulate arrays of different dimensionality")
	}
	a.dims, a.et = d, arr.Elem
	a.elems = append(a.elems, arr.Elems...)
	a.n++
	return nil
}

func (a *arrayOfArraysAgg) Result(*EvalContext) (types.Datum, error) {
	if a.n == 0 {
		return types.Null, nil
	}
	return &types.DArray{Elem: a.et, Elems: append([]types.Datum(nil), a.elems...), Dims: append([]int{a.n}, a.dims...)}, nil
}

type jsonAgg struct {
	t    *types.T
	vals []any
	seen bool
}

func (a *jsonAgg) Add(ctx *EvalContext, args []types.Datum) error {
	a.vals = append(a.vals, ToJSON(ctx, a.t, args[0]))
	a.seen = true
	return nil
}

func (a *jsonAgg) Result(*EvalContext) (types.Datum, error) {
	if !a.seen {
		return types.Null, nil
	}
	return jsonb(append([]any(nil), a.vals...)), nil
}

type jsonObjAgg struct {
	kt, vt *types.T
	keys   []string
	vals   []any
	seen   bool
}

func (a *jsonObjAgg) Add(ctx *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) {
		return errorf(CodeNullValueNotAllowed, "field name must not be null")
	}
	a.keys = append(a.keys, textOf(ctx, a.kt, args[0]))
	a.vals = append(a.vals, ToJSON(ctx, a.vt, args[1]))
	a.seen = true
	return nil
}

func (a *jsonObjAgg) Result(*EvalContext) (types.Datum, error) {
	if !a.seen {
		return types.Null, nil
	}
	return jsonb(makeObject(a.keys, a.vals)), nil
}

type bitAgg struct {
	v    int64
	seen bool
	op   byte
}

func (a *bitAgg) Add(_ *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) {
		return nil
	}
	v := in(args[0])
	switch {
	case !a.seen:
		a.v = v
	case a.op == '&':
		a.v &= v
	case a.op == '|':
		a.v |= v
	default:
		a.v ^= v
	}
	a.seen = true
	return nil
}

func (a *bitAgg) Result(*EvalContext) (types.Datum, error) {
	if !a.seen {
		return types.Null, nil
	}
	return types.DInt(a.v), nil
}

func init() {
	I8, N, F8, IV, B, T := types.Int8, types.Numeric, types.Float8, types.Interval, types.Bool, types.String
	addFunc(&FuncOverload{Name: "count", Class: Aggregate, Return: I8, CalledOnNull: true,
		NewAgg: func() AggFunc { return &countAgg{star: true} }})
	addFunc(&FuncOverload{Name: "count", Class: Aggregate, Args: []*types.T{anyType}, Return: I8, CalledOnNull: true,
		NewAgg: func() AggFunc { return &countAgg{} }})
	for _, t := range []*types.T{types.Int2, types.Int4} {
		addFunc(&FuncOverload{Name: "sum", Class: Aggregate, Args: []*types.T{t}, Return: I8, CalledOnNull: true,
			NewAgg: func() AggFunc { return &intSumAgg{} }})
	}
	addFunc(&FuncOverload{Name: "sum", Class: Aggregate, Args: []*types.T{I8}, Return: N, CalledOnNull: true,
		NewAgg: func() AggFunc { return &numSumAgg{kind: "sum"} }})
	addFunc(&FuncOverload{Name: "sum", Class: Aggregate, Args: []*types.T{N}, Return: N, CalledOnNull: true,
		NewAgg: func() AggFunc { return &numSumAgg{kind: "sum"} }})
	for _, t := range []*types.T{types.Float4, F8} {
		w := t.Width
		addFunc(&FuncOverload{Name: "sum", Class: Aggregate, Args: []*types.T{t}, Return: t, CalledOnNull: true,
			NewAgg: func() AggFunc { return &floatAgg{kind: "sum", width: w} }})
	}
	addFunc(&FuncOverload{Name: "sum", Class: Aggregate, Args: []*types.T{IV}, Return: IV, CalledOnNull: true,
		NewAgg: func() AggFunc { return &intervalAgg{} }})
	addFunc(&FuncOverload{Name: "avg", Class: Aggregate, Args: []*types.T{IV}, Return: IV, CalledOnNull: true,
		NewAgg: func() AggFunc { return &intervalAgg{avg: true} }})
	statNames := map[string]string{"avg": "avg", "variance": "var_samp", "var_samp": "var_samp", "var_pop": "var_pop",
		"stddev": "stddev_samp", "stddev_samp": "stddev_samp", "stddev_pop": "stddev_pop"}
	for name, kind := range statNames {
		kind := kind
		for _, t := range []*types.T{types.Int2, types.Int4, I8, N} {
			addFunc(&FuncOverload{Name: name, Class: Aggregate, Args: []*types.T{t}, Return: N, CalledOnNull: true,
				NewAgg: func() AggFunc { return &numSumAgg{kind: kind, acc: numAcc{squares: kind != "avg"}} }})
		}
		for _, t := range []*types.T{types.Float4, F8} {
			addFunc(&FuncOverload{Name: name, Class: Aggregate, Args: []*types.T{t}, Return: F8, CalledOnNull: true,
				NewAgg: func() AggFunc { return &floatAgg{kind: kind} }})
		}
	}
	for _, name := range []string{"corr", "covar_pop", "covar_samp", "regr_avgx", "regr_avgy", "regr_count",
		"regr_intercept", "regr_r2", "regr_slope", "regr_sxx", "regr_syy", "regr_sxy"} {
		kind, ret := name, F8
		if name == "regr_count" {
			ret = I8
		}
		addFunc(&FuncOverload{Name: name, Class: Aggregate, Args: []*types.T{F8, F8}, Return: ret, CalledOnNull: true,
			NewAgg: func() AggFunc { return &regrAgg{kind: kind} }})
	}
	for _, name := range []string{"min", "max"} {
		isMax := name == "max"
		for _, t := range comparableTypes {
			if t.Family == types.BoolFamily || t.Family == types.JSONBFamily || t == types.UUID || t == types.Bytes {
				continue
			}
			addAgg(name, []*types.T{t}, t, func(o *FuncOverload) func() AggFunc {
				at := o.Args[0]
				return func() AggFunc { return &minMaxAgg{t: at, max: isMax} }
			})
		}
	}
	for _, name := range []string{"bool_and", "every"} {
		addFunc(&FuncOverload{Name: name, Class: Aggregate, Args: []*types.T{B}, Return: B, CalledOnNull: true,
			NewAgg: func() AggFunc { return &boolAgg{and: true} }})
	}
	addFunc(&FuncOverload{Name: "bool_or", Class: Aggregate, Args: []*types.T{B}, Return: B, CalledOnNull: true,
		NewAgg: func() AggFunc { return &boolAgg{} }})
	addFunc(&FuncOverload{Name: "string_agg", Class: Aggregate, Args: []*types.T{T, T}, Return: T, CalledOnNull: true,
		NewAgg: func() AggFunc { return &stringAgg{} }})
	addFunc(&FuncOverload{Name: "string_agg", Class: Aggregate, Args: []*types.T{types.Bytes, types.Bytes}, Return: types.Bytes,
		CalledOnNull: true, NewAgg: func() AggFunc { return &stringAgg{bytes: true} }})
	addAgg("array_agg", []*types.T{anyNonArray}, anyArray, func(o *FuncOverload) func() AggFunc {
		et := o.Args[0]
		return func() AggFunc { return &arrayAgg{et: et} }
	})
	addAgg("array_agg", []*types.T{anyArray}, anyArray, func(o *FuncOverload) func() AggFunc {
		return func() AggFunc { return &arrayOfArraysAgg{} }
	})
	addAgg("jsonb_agg", []*types.T{anyElement}, types.JSONB, func(o *FuncOverload) func() AggFunc {
		t := o.Args[0]
		return func() AggFunc { return &jsonAgg{t: t} }
	})
	addFunc(&FuncOverload{Name: "jsonb_object_agg", Class: Aggregate, Args: []*types.T{anyType, anyType}, Return: types.JSONB,
		CalledOnNull: true, bind: func(o *FuncOverload) {
			kt, vt := o.Args[0], o.Args[1]
			o.NewAgg = func() AggFunc { return &jsonObjAgg{kt: kt, vt: vt} }
		}})
	for _, t := range intTypes {
		for _, op := range []struct {
			name string
			c    byte
		}{{"bit_and", '&'}, {"bit_or", '|'}, {"bit_xor", '#'}} {
			c := op.c
			addFunc(&FuncOverload{Name: op.name, Class: Aggregate, Args: []*types.T{t}, Return: t, CalledOnNull: true,
				NewAgg: func() AggFunc { return &bitAgg{op: c} }})
		}
	}
}
