package sem

import (
	"crypto/rand"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

// DefaultServerVersion is version()'s answer when EvalContext has none.
const DefaultServerVersion = "PostgreSQL 15.0 (Tessera) on x86_64-pc-linux-gnu"

func notDistinct(t *types.T, a, b types.Datum) bool {
	an, bn := types.IsNull(a), types.IsNull(b)
	if an || bn {
		return an && bn
	}
	c, err := types.CompareTyped(t, a, b)
	return err == nil && c == 0
}

// polyFunc registers a polymorphic function whose implementation needs
// the bound types.
func polyFunc(name string, args []*types.T, ret *types.T, onNull bool, mk func(o *FuncOverload) fnImpl) {
	addFunc(&FuncOverload{Name: name, Class: Normal, Args: args, Return: ret, CalledOnNull: onNull,
		bind: func(o *FuncOverload) { o.Fn = mk(o) }})
}

func init() {
	// __pg_array_set(a, i, [j, ...,] v): UPDATE's SET a[i][j] = v
	for n := 1; n <= 6; n++ {
		args := []*types.T{anyArray}
		for k := 0; k < n; k++ {
			args = append(args, types.Int4)
		}
		args = append(args, anyElement)
		polyFunc("__pg_array_set", args, anyArray, true, func(o *FuncOverload) fnImpl {
			et := o.Args[len(o.Args)-1]
			return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
				idx := a[1 : len(a)-1]
				for _, x := range idx {
					if types.IsNull(x) {
						return nil, errorf("22004", "array subscript in assignment must not be null")
					}
				}
				v := a[len(a)-1]
				if types.IsNull(a[0]) {
					if len(idx) == 1 && in(idx[0]) == 1 {
						return &types.DArray{Elem: et, Elems: []types.Datum{v}}, nil
					}
					return nil, errorf(CodeFeatureNotSupported, "assigning to an element of a NULL array other than [1] is not supported")
				}
				src := arr(a[0])
				dims := src.DimLens()
				out := &types.DArray{Elem: src.Elem, Elems: append([]types.Datum(nil), src.Elems...), Dims: append([]int(nil), src.Dims...)}
				if len(idx) == 1 && len(dims) <= 1 {
					i := in(idx[0])
					if i < 1 {
						return nil, errorf(CodeFeatureNotSupported, "array subscripts below 1 are not supported")
					}
					for int64(len(out.Elems)) < i {
						out.Elems = append(out.Elems, types.Null) // extended with NULLs, as PostgreSQL does
					}
					out.Elems[i-1] = v
					return out, nil
				}
				if len(idx) != len(dims) {
					return nil, errorf("2202E", "wrong number of array subscripts")
				}
				off := 0
				for k, x := range idx {
					i := int(in(x))
					if i < 1 || i > dims[k] {
						return nil, errorf("2202E", "array subscript out of range")
					}
					off = off*dims[k] + i - 1
				}
				out.Elems[off] = v
				return out, nil
			}
		})
	}
}

// sliceArray is the slice of src over bounds los[i]:his[i] of its first
// dimensions (the others whole), each clamped to the dimension: an empty
// array when one is empty or there are more bounds than dimensions.
func sliceArray(src *types.DArray, los, his []int64) *types.DArray {
	dims := src.DimLens()
	empty := &types.DArray{Elem: src.Elem, Elems: []types.Datum{}}
	if len(los) > len(dims) || len(dims) == 0 {
		return empty
	}
	lo, hi := make([]int, len(dims)), make([]int, len(dims))
	for i, d := range dims {
		lo[i], hi[i] = 1, d
		if i < len(los) {
			lo[i], hi[i] = int(max(los[i], 1)), int(min(his[i], int64(d)))
		}
		if lo[i] > hi[i] {
			return empty
		}
	}
	out := &types.DArray{Elem: src.Elem}
	var walk func(k, off int)
	walk = func(k, off int) {
		if k == len(dims) {
			out.Elems = append(out.Elems, src.Elems[off])
			return
		}
		stride := 1
		for _, d := range dims[k+1:] {
			stride *= d
		}
		for i := lo[k]; i <= hi[k]; i++ {
			walk(k+1, off+(i-1)*stride)
		}
	}
	walk(0, 0)
	if len(dims) > 1 {
		for i := range dims {
			out.Dims = append(out.Dims, hi[i]-lo[i]+1)
		}
	}
	return out
}

// subscriptsFrom is generate_subscripts for arrays whose subscripts
// start at lo.
func subscriptsFrom(lo int) func(*EvalContext, []types.Datum) (SetIter, error) {
	return func(_ *EvalContext, a []types.Datum) (SetIter, error) {
		n := 0
		if dims := arr(a[0]).DimLens(); in(a[1]) >= 1 && in(a[1]) <= int64(len(dims)) {
			n = dims[in(a[1])-1]
		}
		rev := len(a) > 2 && bool(a[2].(types.DBool))
		vals := make([]types.Datum, 0, n)
		for i := 0; i < n; i++ {
			v := i
			if rev {
				v = n - 1 - i
			}
			vals = append(vals, dint(int64(lo+v)))
		}
		return &sliceIter{vals: vals}, nil
	}
}

func init() {
	A, I4, T, B := anyArray, types.Int4, types.String, types.Bool
	CA, CE := anyCompatArray, anyCompat
	// dimLen is the length of dimension d (1-based) of an array, 0 when
	// it has no such dimension
	dimLen := func(x types.Datum, d int64) int {
		dims := arr(x).DimLens()
		if d < 1 || d > int64(len(dims)) {
			return 0
		}
		return dims[d-1]
	}
	polyFunc("array_length", []*types.T{A, I4}, I4, false, func(*FuncOverload) fnImpl {
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			if n := dimLen(a[0], in(a[1])); n > 0 {
				return dint(int64(n)), nil
			}
			return types.Null, nil
		}
	})
	polyFunc("array_upper", []*types.T{A, I4}, I4, false, func(*FuncOverload) fnImpl {
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			if n := dimLen(a[0], in(a[1])); n > 0 {
				return dint(int64(n)), nil
			}
			return types.Null, nil
		}
	})
	polyFunc("array_lower", []*types.T{A, I4}, I4, false, func(*FuncOverload) fnImpl {
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			if dimLen(a[0], in(a[1])) > 0 {
				return dint(1), nil
			}
			return types.Null, nil
		}
	})
	// generate_subscripts(anyarray, dim [, reverse]) → setof int: the
	// subscripts of dimension dim (lower bounds are always 1 here, 0 for
	// an int2vector: ResolveFunc)
	addFunc(&FuncOverload{Name: "generate_subscripts", Class: Generator, Args: []*types.T{A, I4}, Return: I4, Gen: subscriptsFrom(1)})
	addFunc(&FuncOverload{Name: "generate_subscripts", Class: Generator, Args: []*types.T{A, I4, B}, Return: I4, Gen: subscriptsFrom(1)})
	polyFunc("array_ndims", []*types.T{A}, I4, false, func(*FuncOverload) fnImpl {
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			if n := len(arr(a[0]).DimLens()); n > 0 {
				return dint(int64(n)), nil
			}
			return types.Null, nil
		}
	})
	polyFunc("array_dims", []*types.T{A}, T, false, func(*FuncOverload) fnImpl {
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			dims := arr(a[0]).DimLens()
			if len(dims) == 0 {
				return types.Null, nil
			}
			var sb strings.Builder
			for _, d := range dims {
				sb.WriteString("[1:" + strconv.Itoa(d) + "]")
			}
			return dstr(sb.String()), nil
		}
	})
	polyFunc("cardinality", []*types.T{A}, I4, false, func(*FuncOverload) fnImpl {
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return dint(int64(len(arr(a[0]).Elems))), nil
		}
	})
	polyFunc("array_append", []*types.T{CA, CE}, CA, true, func(o *FuncOverload) fnImpl {
		et := o.Return.Elem
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			var out []types.Datum
			if !types.IsNull(a[0]) {
				out = append(out, arr(a[0]).Elems...)
			}
			return newArray(et, append(out, a[1])), nil
		}
	})
	polyFunc("array_prepend", []*types.T{CE, CA}, CA, true, func(o *FuncOverload) fnImpl {
		et := o.Return.Elem
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			out := []types.Datum{a[0]}
			if !types.IsNull(a[1]) {
				out = append(out, arr(a[1]).Elems...)
			}
			return newArray(et, out), nil
		}
	})
	polyFunc("array_cat", []*types.T{CA, CA}, CA, true, func(o *FuncOverload) fnImpl {
		et := o.Return.Elem
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			if types.IsNull(a[0]) && types.IsNull(a[1]) {
				return types.Null, nil
			}
			if types.IsNull(a[0]) || types.IsNull(a[1]) {
				for _, x := range a {
					if !types.IsNull(x) && len(arr(x).DimLens()) > 1 {
						return x, nil // the other array, as it is
					}
				}
			}
			if !types.IsNull(a[0]) && !types.IsNull(a[1]) {
				// multi-dimensional: along the first dimension, or one
				// array one dimension lower appended / prepended
				x, y := arr(a[0]), arr(a[1])
				dx, dy := x.DimLens(), y.DimLens()
				if len(dx) > 1 || len(dy) > 1 {
					if len(dx) == 0 {
						return y, nil
					}
					if len(dy) == 0 {
						return x, nil
					}
					var dims []int
					switch {
					case len(dx) == len(dy) && slices.Equal(dx[1:], dy[1:]):
						dims = append([]int{dx[0] + dy[0]}, dx[1:]...)
					case len(dx) == len(dy)+1 && slices.Equal(dx[1:], dy):
						dims = append([]int{dx[0] + 1}, dx[1:]...)
					case len(dy) == len(dx)+1 && slices.Equal(dy[1:], dx):
						dims = append([]int{dy[0] + 1}, dy[1:]...)
					default:
						return nil, errorf("2202E", "cannot concatenate incompatible arrays")
					}
					out := append(append([]types.Datum(nil), x.Elems...), y.Elems...)
					return &types.DArray{Elem: et, Elems: out, Dims: dims}, nil
				}
			}
			var out []types.Datum
			for _, x := range a {
				if !types.IsNull(x) {
					out = append(out, arr(x).Elems...)
				}
			}
			return newArray(et, out), nil
		}
	})
	polyFunc("array_position", []*types.T{CA, CE}, I4, true, func(o *FuncOverload) fnImpl {
		et := o.Args[1]
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			if types.IsNull(a[0]) {
				return types.Null, nil
			}
			for i, e := range arr(a[0]).Elems {
				if notDistinct(et, e, a[1]) {
					return dint(int64(i + 1)), nil
				}
			}
			return types.Null, nil
		}
	})
	i4Array, _ := types.MakeArray(I4)
	polyFunc("array_positions", []*types.T{CA, CE}, i4Array, true, func(o *FuncOverload) fnImpl {
		et := o.Args[1]
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			if types.IsNull(a[0]) {
				return types.Null, nil
			}
			out := &types.DArray{Elem: I4, Elems: []types.Datum{}}
			for i, e := range arr(a[0]).Elems {
				if notDistinct(et, e, a[1]) {
					out.Elems = append(out.Elems, dint(int64(i+1)))
				}
			}
			return out, nil
		}
	})
	// a[lo:hi] (the binder's spelling of a slice; an omitted bound is 1 or
	// the largest int4): the elements from max(lo, 1) to min(hi, len),
	// numbered from 1
	// a[lo1:hi1][lo2:hi2]...: array_slice_md(a, los, his), one bound pair
	// per dimension (a plain subscript i of the chain is 1:i)
	polyFunc("array_slice_md", []*types.T{A, types.MakeArrayOf(I4), types.MakeArrayOf(I4)}, A, false, func(o *FuncOverload) fnImpl {
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			var los, his []int64
			for i, e := range arr(a[1]).Elems {
				if types.IsNull(e) || types.IsNull(arr(a[2]).Elems[i]) {
					return types.Null, nil
				}
				los, his = append(los, in(e)), append(his, in(arr(a[2]).Elems[i]))
			}
			return sliceArray(arr(a[0]), los, his), nil
		}
	})
	polyFunc("array_slice", []*types.T{A, I4, I4}, A, false, func(o *FuncOverload) fnImpl {
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			src := arr(a[0])
			if len(src.DimLens()) > 1 {
				return sliceArray(src, []int64{in(a[1])}, []int64{in(a[2])}), nil
			}
			lo, hi := in(a[1]), in(a[2])
			if lo < 1 {
				lo = 1
			}
			if hi > int64(len(src.Elems)) {
				hi = int64(len(src.Elems))
			}
			out := []types.Datum{}
			if lo <= hi {
				out = append(out, src.Elems[lo-1:hi]...)
			}
			return &types.DArray{Elem: src.Elem, Elems: out}, nil
		}
	})
	polyFunc("array_remove", []*types.T{CA, CE}, CA, true, func(o *FuncOverload) fnImpl {
		et := o.Args[1]
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			if types.IsNull(a[0]) {
				return types.Null, nil
			}
			out := []types.Datum{}
			for _, e := range arr(a[0]).Elems {
				if !notDistinct(et, e, a[1]) {
					out = append(out, e)
				}
			}
			return newArray(et, out), nil
		}
	})
	polyFunc("array_replace", []*types.T{CA, CE, CE}, CA, true, func(o *FuncOverload) fnImpl {
		et := o.Args[1]
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			if types.IsNull(a[0]) {
				return types.Null, nil
			}
			out := make([]types.Datum, len(arr(a[0]).Elems))
			for i, e := range arr(a[0]).Elems {
				if notDistinct(et, e, a[1]) {
					e = a[2]
				}
				out[i] = e
			}
			return newArray(et, out), nil
		}
	})
	arrayToString := func(o *FuncOverload) fnImpl {
		et := o.Args[0].Elem
		return func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			var parts []string
			for _, e := range arr(a[0]).Elems {
				if types.IsNull(e) {
					if len(a) > 2 && !types.IsNull(a[2]) {
						parts = append(parts, str(a[2]))
					}
					continue
				}
				parts = append(parts, textOf(ctx, et, e))
			}
			return dstr(strings.Join(parts, str(a[1]))), nil
		}
	}
	polyFunc("array_to_string", []*types.T{A, T}, T, false, arrayToString)
	addFunc(&FuncOverload{Name: "array_to_string", Class: Normal, Args: []*types.T{A, T, T}, Return: T,
		CalledOnNull: true, bind: func(o *FuncOverload) {
			f := arrayToString(o)
			o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
				if types.IsNull(a[0]) || types.IsNull(a[1]) {
					return types.Null, nil
				}
				return f(ctx, a)
			}
		}})
	// unnest(anyarray) → setof anyelement
	addFunc(&FuncOverload{Name: "unnest", Class: Generator, Args: []*types.T{A}, Return: anyElement,
		Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) {
			return &sliceIter{vals: arr(a[0]).Elems}, nil
		}})

	// System information.
	def("set_config", T, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		if ctx.SetSetting == nil {
			return nil, errorf(CodeFeatureNotSupported, "set_config is not available here")
		}
		name, val := string(a[0].(types.DString)), string(a[1].(types.DString))
		if err := ctx.SetSetting(name, val, bool(a[2].(types.DBool))); err != nil {
			return nil, err
		}
		if ctx.Setting != nil {
			if v, ok := ctx.Setting(strings.ToLower(name)); ok {
				return dstr(v), nil
			}
		}
		return dstr(val), nil
	}, T, T, B).volatile()
	def("pg_is_in_recovery", B, func(*EvalContext, []types.Datum) (types.Datum, error) {
		return types.DBool(false), nil // every node serves reads and writes
	})
	def("version", T, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		if ctx != nil && ctx.ServerVersion != "" {
			return dstr(ctx.ServerVersion), nil
		}
		return dstr(DefaultServerVersion), nil
	}).stable()
	setting := func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		name := str(a[0])
		if ctx != nil && ctx.Setting != nil {
			if v, ok := ctx.Setting(name); ok {
				return dstr(v), nil
			}
		}
		if len(a) > 1 && bool(a[1].(types.DBool)) {
			return types.Null, nil
		}
		return nil, errorf("42704", "unrecognized configuration parameter \"%s\"", name)
	}
	def("current_setting", T, setting, T).stable()
	def("current_setting", T, setting, T, types.Bool).stable()
	def("current_database", T, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		return dstr(ctx.Database), nil
	}).stable()
	def("current_catalog", T, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		return dstr(ctx.Database), nil
	}).stable()
	def("current_schema", T, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		if ctx.Schema == "" {
			return types.Null, nil
		}
		return dstr(ctx.Schema), nil
	}).stable()
	for _, n := range []string{"current_user", "session_user", "user", "current_role"} {
		def(n, T, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) { return dstr(ctx.User), nil }).stable()
	}
	def("gen_random_uuid", types.UUID, randomUUID).volatile()
	typeOf := &FuncOverload{Name: "pg_typeof", Class: Normal, Args: []*types.T{anyType}, Return: T, CalledOnNull: true, Volatility: Stable}
	typeOf.bind = func(o *FuncOverload) {
		// regtype output: format_type without the typmod.
		at := StripModifiers(o.Args[0])
		name := at.String()
		if at.Family == types.StringFamily && at.Variant == types.Char {
			name = "character"
		}
		o.Fn = func(*EvalContext, []types.Datum) (types.Datum, error) { return dstr(name), nil }
	}
	addFunc(typeOf)
	for _, nn := range []bool{true, false} {
		name := "num_nonnulls"
		if nn {
			name = "num_nulls"
		}
		nn := nn
		addFunc(&FuncOverload{Name: name, Class: Normal, Args: []*types.T{anyType}, Return: I4, Variadic: true, CalledOnNull: true,
			Fn: func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
				n := 0
				for _, d := range a {
					if types.IsNull(d) == nn {
						n++
					}
				}
				return dint(int64(n)), nil
			}})
	}
	_ = B
	registerSeries()
}

// seriesIter yields start, start+step, ... while within stop.
type seriesIter struct {
	next    func() (types.Datum, bool, error)
	stopped bool
}

func (s *seriesIter) Next(*EvalContext) (types.Datum, bool, error) {
	if s.stopped {
		return nil, false, nil
	}
	d, ok, err := s.next()
	if !ok || err != nil {
		s.stopped = true
	}
	return d, ok, err
}

func registerSeries() {
	for _, t := range []*types.T{types.Int4, types.Int8} {
		t := t
		mk := func(_ *EvalContext, a []types.Datum) (SetIter, error) {
			start, stop, step := in(a[0]), in(a[1]), int64(1)
			if len(a) > 2 {
				step = in(a[2])
			}
			if step == 0 {
				return nil, errorf(CodeInvalidParameterValue, "step size cannot equal zero")
			}
			cur, done := start, false
			return &seriesIter{next: func() (types.Datum, bool, error) {
				if done || (step > 0 && cur > stop) || (step < 0 && cur < stop) {
					return nil, false, nil
				}
				v := cur
				n := cur + step
				if (step > 0 && n < cur) || (step < 0 && n > cur) || !intFits(n, t.Width) {
					done = true
				}
				cur = n
				return types.DInt(v), true, nil
			}}, nil
		}
		addFunc(&FuncOverload{Name: "generate_series", Class: Generator, Args: []*types.T{t, t}, Return: t, Gen: mk})
		addFunc(&FuncOverload{Name: "generate_series", Class: Generator, Args: []*types.T{t, t, t}, Return: t, Gen: mk})
	}
	N := types.Numeric
	mkNum := func(_ *EvalContext, a []types.Datum) (SetIter, error) {
		start, stop := decOf(a[0]), decOf(a[1])
		step := apd.New(1, 0)
		if len(a) > 2 {
			step = decOf(a[2])
		}
		for i, d := range []*apd.Decimal{start, stop, step} {
			if isNaN(d) {
				return nil, errorf(CodeInvalidParameterValue, "%s value cannot be NaN", [...]string{"start", "stop", "step size"}[i])
			}
			if d.Form == apd.Infinite {
				return nil, errorf(CodeInvalidParameterValue, "%s value cannot be infinity", [...]string{"start", "stop", "step size"}[i])
			}
		}
		if step.IsZero() {
			return nil, errorf(CodeInvalidParameterValue, "step size cannot equal zero")
		}
		cur := new(apd.Decimal).Set(start)
		return &seriesIter{next: func() (types.Datum, bool, error) {
			c := cur.Cmp(stop)
			if (!step.Negative && c > 0) || (step.Negative && c < 0) {
				return nil, false, nil
			}
			v := cur
			n := new(apd.Decimal)
			if _, err := exactCtx.Add(n, cur, step); err != nil {
				return nil, false, numericOverflow()
			}
			cur = n
			return newDec(v), true, nil
		}}, nil
	}
	// pg_partition_ancestors(rel): no table is partitioned, so no rows (psql's
	// \d "Referenced by:" query adds the table itself with UNION ALL)
	addFunc(&FuncOverload{Name: "pg_partition_ancestors", Class: Generator, Args: []*types.T{types.Int8}, Return: types.Int8,
		Gen: func(*EvalContext, []types.Datum) (SetIter, error) {
			return &seriesIter{next: func() (types.Datum, bool, error) { return nil, false, nil }}, nil
		}})
	addFunc(&FuncOverload{Name: "generate_series", Class: Generator, Args: []*types.T{N, N}, Return: N, Gen: mkNum})
	addFunc(&FuncOverload{Name: "generate_series", Class: Generator, Args: []*types.T{N, N, N}, Return: N, Gen: mkNum})
	addFunc(&FuncOverload{Name: "generate_series", Class: Generator, Args: []*types.T{types.Timestamp, types.Timestamp, types.Interval},
		Return: types.Timestamp, Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) {
			return tsSeries(int64(a[0].(types.DTimestamp)), int64(a[1].(types.DTimestamp)), a[2].(types.DInterval),
				func(ts int64, iv types.DInterval) (types.Datum, error) { return timestampPlusInterval(ts, iv, false) },
				func(v int64) types.Datum { return types.DTimestamp(v) })
		}})
	addFunc(&FuncOverload{Name: "generate_series", Class: Generator, Args: []*types.T{types.TimestampTZ, types.TimestampTZ, types.Interval},
		Return: types.TimestampTZ, Volatility: Stable, Gen: func(ctx *EvalContext, a []types.Datum) (SetIter, error) {
			return tsSeries(int64(a[0].(types.DTimestampTZ)), int64(a[1].(types.DTimestampTZ)), a[2].(types.DInterval),
				func(ts int64, iv types.DInterval) (types.Datum, error) {
					return timestampTZPlusInterval(ctx, ts, iv, false)
				},
				func(v int64) types.Datum { return types.DTimestampTZ(v) })
		}})
}

func tsSeries(start, stop int64, step types.DInterval, add func(int64, types.DInterval) (types.Datum, error),
	wrap func(int64) types.Datum) (SetIter, error) {
	sign := step.Span().Sign()
	if sign == 0 {
		return nil, errorf(CodeInvalidParameterValue, "step size cannot equal zero")
	}
	cur := start
	return &seriesIter{next: func() (types.Datum, bool, error) {
		if (sign > 0 && cur > stop) || (sign < 0 && cur < stop) {
			return nil, false, nil
		}
		v := cur
		n, err := add(cur, step)
		if err != nil {
			return nil, false, err
		}
		switch x := n.(type) {
		case types.DTimestamp:
			cur = int64(x)
		case types.DTimestampTZ:
			cur = int64(x)
		}
		return wrap(v), true, nil
	}}, nil
}

func init() {
	// to_number(text, format): the digits, decimal point and sign of the
	// text, read as a numeric (group separators, currency symbols and
	// other format decoration skipped; a trailing or leading '-' or
	// parentheses with PR negate)
	def("to_number", types.Numeric, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		s, f := str(a[0]), strings.ToUpper(str(a[1]))
		if strings.Contains(f, "RN") {
			// PostgreSQL 15 reads no Roman numerals
			return nil, errorf(CodeFeatureNotSupported, "\"RN\" not supported for input")
		}
		var b strings.Builder
		neg, dot, digits := false, false, 0
		for _, r := range s {
			switch {
			case r >= '0' && r <= '9':
				b.WriteRune(r)
				digits++
			case r == '.' && !dot && (strings.ContainsAny(f, ".D")):
				dot = true
				b.WriteRune(r)
			case r == '-' || (r == '<' && strings.Contains(f, "PR")):
				neg = true
			}
		}
		if digits == 0 {
			return nil, errorf(CodeInvalidTextRep, "invalid input syntax for type numeric: \" \"")
		}
		txt := b.String()
		if neg {
			txt = "-" + txt
		}
		d := &types.DDecimal{}
		if _, _, err := d.SetString(txt); err != nil {
			return nil, errorf(CodeInvalidTextRep, "invalid input syntax for type numeric: %q", txt)
		}
		return d, nil
	}, types.String, types.String)
}

// randomUUID returns a version 4 (random) UUID: gen_random_uuid and
// uuid-ossp's uuid_generate_v4.
func randomUUID(_ *EvalContext, _ []types.Datum) (types.Datum, error) {
	var u types.DUUID
	if _, err := rand.Read(u[:]); err != nil {
		return nil, errorf("58000", "could not generate random values: %v", err)
	}
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return u, nil
}
