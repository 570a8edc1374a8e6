package sem

import (
	"math"
	"strconv"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

func jv(d types.Datum) any { return d.(*types.DJSONB).V }

func jsonb(v any) *types.DJSONB { return &types.DJSONB{V: v} }

// makeObject builds a jsonb object from keys and values (later
// duplicates win), in storage order.
func makeObject(keys []string, vals []any) *types.JSONObject {
	m := make(map[string]any, len(keys))
	var uniq []string
	for i, k := range keys {
		if _, ok := m[k]; !ok {
			uniq = append(uniq, k)
		}
		m[k] = vals[i]
	}
	types.SortJSONKeys(uniq)
	o := &types.JSONObject{Keys: uniq, Values: make([]any, len(uniq))}
	for i, k := range uniq {
		o.Values[i] = m[k]
	}
	return o
}

func objGet(o *types.JSONObject, k string) (any, bool) {
	for i, key := range o.Keys {
		if key == k {
			return o.Values[i], true
		}
	}
	return nil, false
}

// jsonText is ->>'s text of a value: strings unquoted, null is NULL.
func jsonText(v any) types.Datum {
	switch x := v.(type) {
	case nil:
		return types.Null
	case string:
		return types.DString(x)
	}
	return types.DString(types.FormatText(types.JSONB, jsonb(v), nil))
}

func jsonGetKey(v any, k string) (any, bool) {
	if o, ok := v.(*types.JSONObject); ok {
		return objGet(o, k)
	}
	return nil, false
}

func jsonGetIndex(v any, i int64) (any, bool) {
	a, ok := v.([]any)
	if !ok {
		return nil, false
	}
	if i < 0 {
		i += int64(len(a))
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, false
	}
	return a[i], true
}

// jsonbGetIndex is jsonb -> int: a scalar is, as PostgreSQL stores it, a
// one-element array (its element 0 and -1 is itself).
func jsonbGetIndex(v any, i int64) (any, bool) {
	switch v.(type) {
	case []any, *types.JSONObject:
		return jsonGetIndex(v, i)
	}
	if i == 0 || i == -1 {
		return v, true
	}
	return nil, false
}

func jsonPath(v any, path *types.DArray) (any, bool) {
	cur := v
	for _, e := range path.Elems {
		if types.IsNull(e) {
			return nil, false
		}
		k := string(e.(types.DString))
		switch c := cur.(type) {
		case *types.JSONObject:
			x, ok := objGet(c, k)
			if !ok {
				return nil, false
			}
			cur = x
		case []any:
			i, err := strconv.ParseInt(k, 10, 64)
			if err != nil {
				return nil, false
			}
			x, ok := jsonGetIndex(c, i)
			if !ok {
				return nil, false
			}
			cur = x
		default:
			return nil, false
		}
	}
	return cur, true
}

// jsonContains is jsonb @>: PostgreSQL's containment.
func jsonContains(a, b any, top bool) bool {
	switch y := b.(type) {
	case *types.JSONObject:
		x, ok := a.(*types.JSONObject)
		if !ok {
			return false
		}
		for i, k := range y.Keys {
			xv, ok := objGet(x, k)
			if !ok || !jsonContains(xv, y.Values[i], false) {
				return false
			}
		}
		return true
	case []any:
		x, ok := a.([]any)
		if !ok {
			return false
		}
		for _, ye := range y {
			found := false
			for _, xe := range x {
				if _, isArr := ye.([]any); isArr {
					if _, xArr := xe.([]any); !xArr {
						continue
					}
				}
				if jsonContains(xe, ye, false) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	// b is a scalar.
	if x, ok := a.([]any); ok && top {
		for _, xe := range x {
			if types.JSONKind(xe) == types.JSONKind(b) && types.CompareJSON(xe, b) == 0 {
				return true
			}
		}
		return false
	}
	if types.JSONKind(a) != types.JSONKind(b) {
		return false
	}
	return types.CompareJSON(a, b) == 0
}

func jsonExists(v any, k string) bool {
	switch x := v.(type) {
	case *types.JSONObject:
		_, ok := objGet(x, k)
		return ok
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && s == k {
				return true
			}
		}
	case string:
		return x == k
	}
	return false
}

func jsonConcat(a, b any) any {
	ao, aok := a.(*types.JSONObject)
	bo, bok := b.(*types.JSONObject)
	if aok && bok {
		keys := append(append([]string(nil), ao.Keys...), bo.Keys...)
		vals := append(append([]any(nil), ao.Values...), bo.Values...)
		return makeObject(keys, vals)
	}
	toArr := func(v any) []any {
		if x, ok := v.([]any); ok {
			return x
		}
		return []any{v}
	}
	return append(append([]any(nil), toArr(a)...), toArr(b)...)
}

// ToJSON converts a SQL value of type t to a jsonb value (to_jsonb).
func ToJSON(ctx *EvalContext, t *types.T, d types.Datum) any {
	if types.IsNull(d) {
		return nil
	}
	switch v := d.(type) {
	case types.DBool:
		return bool(v)
	case types.DInt:
		return apd.New(int64(v), 0)
	case types.DFloat:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return types.FormatText(t, d, ctx.Loc())
		}
		var dec apd.Decimal
		if _, _, err := dec.SetString(types.FormatText(t, d, ctx.Loc())); err != nil {
			return types.FormatText(t, d, ctx.Loc())
		}
		return &dec
	case *types.DDecimal:
		if v.Form != apd.Finite {
			return types.FormatText(t, d, ctx.Loc())
		}
		var dec apd.Decimal
		dec.Set(&v.Decimal)
		return &dec
	case types.DString:
		if t.Variant == types.Char {
			return string(v)
		}
		return string(v)
	case *types.DJSONB:
		return v.V
	case types.DJSON:
		j, err := types.ParseText(types.JSONB, string(v), nil)
		if err != nil {
			return string(v)
		}
		return j.(*types.DJSONB).V
	case *types.DArray:
		out := make([]any, len(v.Elems))
		for i, e := range v.Elems {
			out[i] = ToJSON(ctx, t.Elem, e)
		}
		// a multi-dimensional array nests, innermost dimension first
		dims := v.DimLens()
		for k := len(dims) - 1; k >= 1; k-- {
			n := dims[k]
			nested := make([]any, 0, len(out)/n)
			for i := 0; i < len(out); i += n {
				nested = append(nested, out[i:i+n])
			}
			out = nested
		}
		return out
	case types.DTimestamp, types.DTimestampTZ, types.DDate:
		s := types.FormatText(t, d, ctx.Loc())
		if len(s) > 10 && s[10] == ' ' {
			s = s[:10] + "T" + s[11:]
		}
		if t.Family == types.TimestampTZFamily && len(s) > 3 && (s[len(s)-3] == '+' || s[len(s)-3] == '-') {
			s += ":00"
		}
		return s
	}
	return types.FormatText(t, d, ctx.Loc())
}

var jsonTypeNames = []string{"null", "string", "number", "boolean", "array", "object"}

type sliceIter struct {
	vals []types.Datum
	i    int
}

func (s *sliceIter) Next(*EvalContext) (types.Datum, bool, error) {
	if s.i >= len(s.vals) {
		return nil, false, nil
	}
	s.i++
	return s.vals[s.i-1], true, nil
}

func init() {
	J, T, I4, B := types.JSONB, types.String, types.Int4, types.Bool
	b := func(op BinaryOp, l, r, ret *types.T, fn BinaryFn) {
		addBinary(&BinaryOverload{Op: op, Left: l, Right: r, Return: ret, Fn: fn})
	}
	b(OpJSONGet, J, T, J, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		if v, ok := jsonGetKey(jv(l), str(r)); ok {
			return jsonb(v), nil
		}
		return types.Null, nil
	})
	b(OpJSONGet, J, I4, J, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		if v, ok := jsonbGetIndex(jv(l), in(r)); ok {
			return jsonb(v), nil
		}
		return types.Null, nil
	})
	b(OpJSONGetText, J, T, T, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		if v, ok := jsonGetKey(jv(l), str(r)); ok {
			return jsonText(v), nil
		}
		return types.Null, nil
	})
	b(OpJSONGetText, J, I4, T, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		if v, ok := jsonbGetIndex(jv(l), in(r)); ok {
			return jsonText(v), nil
		}
		return types.Null, nil
	})
	b(OpJSONPath, J, textArrayT, J, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		if v, ok := jsonPath(jv(l), arr(r)); ok {
			return jsonb(v), nil
		}
		return types.Null, nil
	})
	b(OpJSONPathText, J, textArrayT, T, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		if v, ok := jsonPath(jv(l), arr(r)); ok {
			return jsonText(v), nil
		}
		return types.Null, nil
	})
	b(OpContains, J, J, B, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return types.DBool(jsonContains(jv(l), jv(r), true)), nil
	})
	b(OpContainedBy, J, J, B, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return types.DBool(jsonContains(jv(r), jv(l), true)), nil
	})
	b(OpJSONExists, J, T, B, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return types.DBool(jsonExists(jv(l), str(r))), nil
	})
	for _, all := range []bool{false, true} {
		op := OpJSONExistsAny
		if all {
			op = OpJSONExistsAll
		}
		all := all
		b(op, J, textArrayT, B, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			for _, e := range arr(r).Elems {
				if types.IsNull(e) {
					continue
				}
				ex := jsonExists(jv(l), str(e))
				if ex && !all {
					return types.DBool(true), nil
				}
				if !ex && all {
					return types.DBool(false), nil
				}
			}
			return types.DBool(all), nil
		})
	}
	b(OpConcat, J, J, J, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return jsonb(jsonConcat(jv(l), jv(r))), nil
	})
	b(OpMinus, J, T, J, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		switch x := jv(l).(type) {
		case *types.JSONObject:
			var ks []string
			var vs []any
			for i, k := range x.Keys {
				if k != str(r) {
					ks, vs = append(ks, k), append(vs, x.Values[i])
				}
			}
			return jsonb(&types.JSONObject{Keys: ks, Values: vs}), nil
		case []any:
			out := []any{}
			for _, e := range x {
				if s, ok := e.(string); !ok || s != str(r) {
					out = append(out, e)
				}
			}
			return jsonb(out), nil
		}
		return nil, errorf(CodeInvalidParameterValue, "cannot delete from scalar")
	})
	b(OpMinus, J, textArrayT, J, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		drop := map[string]bool{}
		for _, e := range arr(r).Elems {
			if !types.IsNull(e) {
				drop[str(e)] = true
			}
		}
		switch x := jv(l).(type) {
		case *types.JSONObject:
			var ks []string
			var vs []any
			for i, k := range x.Keys {
				if !drop[k] {
					ks, vs = append(ks, k), append(vs, x.Values[i])
				}
			}
			return jsonb(&types.JSONObject{Keys: ks, Values: vs}), nil
		case []any:
			out := []any{}
			for _, e := range x {
				if s, ok := e.(string); !ok || !drop[s] {
					out = append(out, e)
				}
			}
			return jsonb(out), nil
		}
		return nil, errorf(CodeInvalidParameterValue, "cannot delete from scalar")
	})
	b(OpMinus, J, I4, J, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		x, ok := jv(l).([]any)
		if !ok {
			if _, isObj := jv(l).(*types.JSONObject); isObj {
				return nil, errorf(CodeInvalidParameterValue, "cannot delete from object using integer index")
			}
			return nil, errorf(CodeInvalidParameterValue, "cannot delete from scalar")
		}
		i := in(r)
		if i < 0 {
			i += int64(len(x))
		}
		if i < 0 || i >= int64(len(x)) {
			return l, nil
		}
		out := append(append([]any{}, x[:i]...), x[i+1:]...)
		return jsonb(out), nil
	})

	// The functions behind the jsonb operators, callable by name:
	// jsonb_contains (@>), jsonb_contained (<@), jsonb_exists (?),
	// jsonb_exists_any (?|), jsonb_exists_all (?&), jsonb_delete (-).
	opFuncs := []struct {
		name   string
		op     BinaryOp
		r, ret *types.T
	}{
		{"jsonb_contains", OpContains, J, B}, {"jsonb_contained", OpContainedBy, J, B},
		{"jsonb_exists", OpJSONExists, T, B}, {"jsonb_exists_any", OpJSONExistsAny, textArrayT, B},
		{"jsonb_exists_all", OpJSONExistsAll, textArrayT, B},
		{"jsonb_delete", OpMinus, T, J}, {"jsonb_delete", OpMinus, I4, J},
	}
	for _, f := range opFuncs {
		f := f
		def(f.name, f.ret, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			ov, err := ResolveBinary(f.op, J, f.r)
			if err != nil {
				return nil, err
			}
			return ov.Fn(ctx, a[0], a[1])
		}, J, f.r)
	}
	def("jsonb_typeof", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return dstr(jsonTypeNames[types.JSONKind(jv(a[0]))]), nil
	}, J)
	def("jsonb_array_length", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		switch x := jv(a[0]).(type) {
		case []any:
			return dint(int64(len(x))), nil
		case *types.JSONObject:
			return nil, errorf(CodeInvalidParameterValue, "cannot get array length of a non-array")
		}
		return nil, errorf(CodeInvalidParameterValue, "cannot get array length of a scalar")
	}, J)
	toJSONB := &FuncOverload{Name: "to_jsonb", Class: Normal, Args: []*types.T{anyElement}, Return: J, Volatility: Stable}
	toJSONB.bind = func(o *FuncOverload) {
		t := o.Args[0]
		o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) { return jsonb(ToJSON(ctx, t, a[0])), nil }
	}
	addFunc(toJSONB)
	buildObj := &FuncOverload{Name: "jsonb_build_object", Class: Normal, Args: []*types.T{anyType}, Return: J,
		Variadic: true, CalledOnNull: true, Volatility: Stable}
	buildObj.bind = func(o *FuncOverload) {
		ts := o.Args
		o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			if len(a)%2 != 0 {
				return nil, errorf(CodeInvalidParameterValue, "argument list must have even number of elements")
			}
			var ks []string
			var vs []any
			for i := 0; i < len(a); i += 2 {
				if types.IsNull(a[i]) {
					return nil, errorf(CodeNullValueNotAllowed, "argument %d: key must not be null", i+1)
				}
				ks = append(ks, textOf(ctx, ts[i], a[i]))
				vs = append(vs, ToJSON(ctx, ts[i+1], a[i+1]))
			}
			return jsonb(makeObject(ks, vs)), nil
		}
	}
	addFunc(buildObj)
	def("jsonb_build_object", J, func(_ *EvalContext, _ []types.Datum) (types.Datum, error) {
		return jsonb(&types.JSONObject{}), nil
	})
	buildArr := &FuncOverload{Name: "jsonb_build_array", Class: Normal, Args: []*types.T{anyType}, Return: J,
		Variadic: true, CalledOnNull: true, Volatility: Stable}
	buildArr.bind = func(o *FuncOverload) {
		ts := o.Args
		o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			out := make([]any, len(a))
			for i, d := range a {
				out[i] = ToJSON(ctx, ts[i], d)
			}
			return jsonb(out), nil
		}
	}
	addFunc(buildArr)
	def("jsonb_build_array", J, func(_ *EvalContext, _ []types.Datum) (types.Datum, error) { return jsonb([]any{}), nil })
	def("jsonb_extract_path", J, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		if v, ok := jsonPath(jv(a[0]), &types.DArray{Elem: T, Elems: a[1:]}); ok {
			return jsonb(v), nil
		}
		return types.Null, nil
	}, J, T).variadic()
	def("jsonb_extract_path_text", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		if v, ok := jsonPath(jv(a[0]), &types.DArray{Elem: T, Elems: a[1:]}); ok {
			return jsonText(v), nil
		}
		return types.Null, nil
	}, J, T).variadic()
	def("jsonb_strip_nulls", J, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return jsonb(stripNulls(jv(a[0]))), nil
	}, J)
	gen := func(name string, ret *types.T, f func(v any) ([]types.Datum, error)) {
		addFunc(&FuncOverload{Name: name, Class: Generator, Args: []*types.T{J}, Return: ret,
			Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) {
				vals, err := f(jv(a[0]))
				if err != nil {
					return nil, err
				}
				return &sliceIter{vals: vals}, nil
			}})
	}
	gen("jsonb_array_elements", J, func(v any) ([]types.Datum, error) {
		x, ok := v.([]any)
		if !ok {
			return nil, errorf(CodeInvalidParameterValue, "cannot extract elements from a scalar")
		}
		out := make([]types.Datum, len(x))
		for i, e := range x {
			out[i] = jsonb(e)
		}
		return out, nil
	})
	gen("jsonb_array_elements_text", T, func(v any) ([]types.Datum, error) {
		x, ok := v.([]any)
		if !ok {
			return nil, errorf(CodeInvalidParameterValue, "cannot extract elements from a scalar")
		}
		out := make([]types.Datum, len(x))
		for i, e := range x {
			out[i] = jsonText(e)
		}
		return out, nil
	})
	gen("jsonb_object_keys", T, func(v any) ([]types.Datum, error) {
		x, ok := v.(*types.JSONObject)
		if !ok {
			return nil, errorf(CodeInvalidParameterValue, "cannot call jsonb_object_keys on a non-object")
		}
		out := make([]types.Datum, len(x.Keys))
		for i, k := range x.Keys {
			out[i] = dstr(k)
		}
		return out, nil
	})
}

func stripNulls(v any) any {
	switch x := v.(type) {
	case *types.JSONObject:
		o := &types.JSONObject{}
		for i, k := range x.Keys {
			if x.Values[i] == nil {
				continue
			}
			o.Keys = append(o.Keys, k)
			o.Values = append(o.Values, stripNulls(x.Values[i]))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripNulls(e)
		}
		return out
	}
	return v
}
