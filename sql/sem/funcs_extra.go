package sem

import (
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

// similarToRegex converts a SQL SIMILAR TO pattern to a POSIX regular
// expression anchored at both ends (PostgreSQL's similar_to_escape):
// % is .*, _ is ., the escape character (default \) quotes the next one,
// and . ^ $ are literal; | * + ? {m,n} ( ) [ ] keep their meaning.
func similarToRegex(pat string, esc string, haveEsc bool) (string, error) {
	e := '\\'
	noEsc := false
	if haveEsc {
		switch n := len([]rune(esc)); {
		case n == 0:
			noEsc = true
		case n > 1:
			return "", errorf("22019", "invalid escape string")
		default:
			e = []rune(esc)[0]
		}
	}
	var b strings.Builder
	b.WriteString("^(?:")
	afterEsc, inBracket := false, false
	for _, r := range pat {
		switch {
		case afterEsc:
			if r == '"' {
				b.WriteString(`\"`)
			} else {
				b.WriteRune('\\')
				b.WriteRune(r)
			}
			afterEsc = false
		case !noEsc && r == e:
			afterEsc = true
		case inBracket:
			if r == ']' {
				inBracket = false
			}
			b.WriteRune(r)
		case r == '[':
			inBracket = true
			b.WriteRune(r)
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteByte('.')
		case r == '.' || r == '^' || r == '$':
			b.WriteRune('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	if afterEsc {
		return "", errorf(CodeInvalidEscapeSequence, "invalid escape string")
	}
	b.WriteString(")$")
	return b.String(), nil
}

func init() {
	T, BY, J, B, I4 := types.String, types.Bytes, types.JSONB, types.Bool, types.Int4
	def("similar_to_escape", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		s, err := similarToRegex(str(a[0]), "", false)
		return dstr(s), err
	}, T)
	def("similar_to_escape", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		s, err := similarToRegex(str(a[0]), str(a[1]), true)
		return dstr(s), err
	}, T, T)
	for name, h := range map[string]func([]byte) []byte{
		"sha224": func(b []byte) []byte { s := sha256.Sum224(b); return s[:] },
		"sha256": func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
		"sha384": func(b []byte) []byte { s := sha512.Sum384(b); return s[:] },
		"sha512": func(b []byte) []byte { s := sha512.Sum512(b); return s[:] },
	} {
		h := h
		def(name, BY, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return types.DBytes(h([]byte(a[0].(types.DBytes)))), nil
		}, BY)
	}
	for _, v := range []struct {
		name        string
		left, right bool
	}{{"btrim", true, true}, {"ltrim", true, false}, {"rtrim", false, true}} {
		v := v
		def(v.name, BY, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return types.DBytes(trimChars(string(a[0].(types.DBytes)), string(a[1].(types.DBytes)), v.left, v.right)), nil
		}, BY, BY)
	}
	// octet_length(character) counts the padding.
	def("octet_length", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return dint(int64(len(str(a[0])))), nil
	}, types.BPChar)
	for _, lcm := range []bool{false, true} {
		name := "gcd"
		if lcm {
			name = "lcm"
		}
		lcm := lcm
		def(name, types.Numeric, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return numGCD(decOf(a[0]), decOf(a[1]), lcm)
		}, types.Numeric, types.Numeric)
	}
	def("get_byte", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		b, n := a[0].(types.DBytes), in(a[1])
		if n < 0 || n >= int64(len(b)) {
			return nil, errorf(CodeArraySubscriptError, "index %d out of valid range, 0..%d", n, len(b)-1)
		}
		return dint(int64(b[n])), nil
	}, BY, I4)
	// Set-returning text splitters.
	textGen := func(name string, nargs int, f func(a []types.Datum) ([]types.Datum, error)) {
		args := make([]*types.T, nargs)
		for i := range args {
			args[i] = T
		}
		addFunc(&FuncOverload{Name: name, Class: Generator, Args: args, Return: T,
			Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) {
				vals, err := f(a)
				if err != nil {
					return nil, err
				}
				return &sliceIter{vals: vals}, nil
			}})
	}
	splitTable := func(a []types.Datum) ([]types.Datum, error) {
		d, err := stringToArray(a, len(a) > 2)
		if err != nil || types.IsNull(d) {
			return nil, err
		}
		return d.(*types.DArray).Elems, nil
	}
	addFunc(&FuncOverload{Name: "string_to_table", Class: Generator, Args: []*types.T{T, T}, Return: T, CalledOnNull: true,
		Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) {
			v, err := splitTable(a)
			return &sliceIter{vals: v}, err
		}})
	addFunc(&FuncOverload{Name: "string_to_table", Class: Generator, Args: []*types.T{T, T, T}, Return: T, CalledOnNull: true,
		Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) {
			v, err := splitTable(a)
			return &sliceIter{vals: v}, err
		}})
	for _, n := range []int{2, 3} {
		textGen("regexp_split_to_table", n, func(a []types.Datum) ([]types.Datum, error) {
			d, err := regexpSplit("regexp_split_to_table", a)
			if err != nil {
				return nil, err
			}
			return d.Elems, nil
		})
	}
	matches := func(a []types.Datum) (SetIter, error) {
		flags := ""
		if len(a) > 2 {
			flags = str(a[2])
		}
		o, err := parseRegexOpts(flags)
		if err != nil {
			return nil, err
		}
		re, err := o.compile(str(a[1]))
		if err != nil {
			return nil, err
		}
		s := str(a[0])
		n := 1
		if o.global {
			n = -1
		}
		var out []types.Datum
		for _, m := range re.FindAllStringSubmatchIndex(s, n) {
			arr := &types.DArray{Elem: T}
			if len(m) == 2 {
				arr.Elems = append(arr.Elems, dstr(s[m[0]:m[1]]))
			}
			for g := 1; g < len(m)/2; g++ {
				if m[2*g] < 0 {
					arr.Elems = append(arr.Elems, types.Null)
				} else {
					arr.Elems = append(arr.Elems, dstr(s[m[2*g]:m[2*g+1]]))
				}
			}
			out = append(out, arr)
		}
		return &sliceIter{vals: out}, nil
	}
	addFunc(&FuncOverload{Name: "regexp_matches", Class: Generator, Args: []*types.T{T, T}, Return: textArrayT,
		Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) { return matches(a) }})
	addFunc(&FuncOverload{Name: "regexp_matches", Class: Generator, Args: []*types.T{T, T, T}, Return: textArrayT,
		Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) { return matches(a) }})
	jsonbSet := func(a []types.Datum) (types.Datum, error) {
		create := true
		if len(a) > 3 {
			create = bool(a[3].(types.DBool))
		}
		path := arr(a[1])
		for _, e := range path.Elems {
			if types.IsNull(e) {
				return nil, errorf(CodeNullValueNotAllowed, "path element at position 1 is null")
			}
		}
		if isJSONScalar(jv(a[0])) {
			return nil, errorf(CodeInvalidParameterValue, "cannot set path in scalar")
		}
		if len(path.Elems) == 0 {
			return a[0], nil
		}
		v, err := jsonSetPath(jv(a[0]), path.Elems, jv(a[2]), create)
		if err != nil {
			return nil, err
		}
		return jsonb(v), nil
	}
	def("jsonb_set", J, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return jsonbSet(a) }, J, textArrayT, J)
	def("jsonb_set", J, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return jsonbSet(a) }, J, textArrayT, J, B)
	// jsonb_set_lax(target, path, value [, create [, null_value_treatment]]):
	// jsonb_set, with a SQL NULL value treated as the last argument says.
	jsonbSetLax := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		if types.IsNull(a[0]) || types.IsNull(a[1]) || (len(a) > 3 && types.IsNull(a[3])) {
			return types.Null, nil
		}
		treatment := "use_json_null"
		if len(a) > 4 {
			if types.IsNull(a[4]) {
				return nil, errorf(CodeNullValueNotAllowed, "null_value_treatment must be \"delete_key\", \"return_target\", \"use_json_null\", or \"raise_exception\"")
			}
			treatment = str(a[4])
		}
		if !types.IsNull(a[2]) {
			return jsonbSet(a[:min(len(a), 4)])
		}
		switch treatment {
		case "raise_exception":
			return nil, errorf(CodeNullValueNotAllowed, "JSON value must not be null")
		case "use_json_null":
			b := append([]types.Datum{a[0], a[1], jsonb(nil)}, a[3:min(len(a), 4)]...)
			return jsonbSet(b)
		case "delete_key":
			return jsonbDeletePath(a[0], a[1])
		case "return_target":
			return a[0], nil
		}
		return nil, errorf(CodeInvalidParameterValue, "null_value_treatment must be \"delete_key\", \"return_target\", \"use_json_null\", or \"raise_exception\"")
	}
	def("jsonb_set_lax", J, jsonbSetLax, J, textArrayT, J).onNull()
	def("jsonb_set_lax", J, jsonbSetLax, J, textArrayT, J, B).onNull()
	def("jsonb_set_lax", J, jsonbSetLax, J, textArrayT, J, B, T).onNull()
	addBinary(&BinaryOverload{Op: OpJSONDelPath, Left: J, Right: textArrayT, Return: J,
		Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return jsonbDeletePath(l, r) }})
}

func isJSONScalar(v any) bool {
	switch v.(type) {
	case *types.JSONObject, []any:
		return false
	}
	return true
}

// jsonbDeletePath is jsonb #- text[] (jsonb_delete_path): the value at
// path removed; a path that leads nowhere leaves the value as it is.
func jsonbDeletePath(l, r types.Datum) (types.Datum, error) {
	v := jv(l)
	if isJSONScalar(v) {
		return nil, errorf(CodeInvalidParameterValue, "cannot delete path in scalar")
	}
	path := arr(r).Elems
	for i, e := range path {
		if types.IsNull(e) {
			return nil, errorf(CodeNullValueNotAllowed, "path element at position %d is null", i+1)
		}
	}
	if len(path) == 0 {
		return l, nil
	}
	out, err := jsonDeletePath(v, path, 1)
	if err != nil {
		return nil, err
	}
	return jsonb(out), nil
}

func jsonDeletePath(v any, path []types.Datum, pos int) (any, error) {
	k := str(path[0])
	last := len(path) == 1
	switch x := v.(type) {
	case *types.JSONObject:
		for i, key := range x.Keys {
			if key != k {
				continue
			}
			keys := append([]string(nil), x.Keys...)
			vals := append([]any(nil), x.Values...)
			if last {
				return makeObject(append(keys[:i], keys[i+1:]...), append(vals[:i], vals[i+1:]...)), nil
			}
			r, err := jsonDeletePath(vals[i], path[1:], pos+1)
			if err != nil {
				return nil, err
			}
			vals[i] = r
			return makeObject(keys, vals), nil
		}
		return x, nil
	case []any:
		i, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, errorf(CodeInvalidTextRep, "path element at position %d is not an integer: \"%s\"", pos, k)
		}
		if i < 0 {
			i += int64(len(x))
		}
		if i < 0 || i >= int64(len(x)) {
			return x, nil
		}
		out := append([]any(nil), x...)
		if last {
			return append(out[:i], out[i+1:]...), nil
		}
		r, err := jsonDeletePath(out[i], path[1:], pos+1)
		if err != nil {
			return nil, err
		}
		out[i] = r
		return out, nil
	}
	return v, nil
}

// jsonSetPath replaces (or, with create, adds) the value at path.
func jsonSetPath(v any, path []types.Datum, nv any, create bool) (any, error) {
	k := str(path[0])
	last := len(path) == 1
	switch x := v.(type) {
	case *types.JSONObject:
		keys := append([]string(nil), x.Keys...)
		vals := append([]any(nil), x.Values...)
		for i, key := range keys {
			if key == k {
				if last {
					vals[i] = nv
				} else {
					r, err := jsonSetPath(vals[i], path[1:], nv, create)
					if err != nil {
						return nil, err
					}
					vals[i] = r
				}
				return makeObject(keys, vals), nil
			}
		}
		if last && create {
			return makeObject(append(keys, k), append(vals, nv)), nil
		}
		return x, nil
	case []any:
		i, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, errorf(CodeInvalidTextRep, "path element at position 1 is not an integer: \"%s\"", k)
		}
		out := append([]any(nil), x...)
		if i < 0 {
			i += int64(len(out))
		}
		if i < 0 || i >= int64(len(out)) {
			if last && create {
				if i < 0 {
					return append([]any{nv}, out...), nil
				}
				return append(out, nv), nil
			}
			return x, nil
		}
		if last {
			out[i] = nv
			return out, nil
		}
		r, err := jsonSetPath(out[i], path[1:], nv, create)
		if err != nil {
			return nil, err
		}
		out[i] = r
		return out, nil
	}
	// a scalar inside the value: the path leads nowhere
	return v, nil
}

// numGCD is gcd/lcm over numerics: both scaled to the larger scale,
// computed on the integers, scaled back.
func numGCD(x, y *apd.Decimal, lcm bool) (types.Datum, error) {
	if isNaN(x) || isNaN(y) {
		return decNaN(), nil
	}
	if x.Form == apd.Infinite || y.Form == apd.Infinite {
		return nil, errorf(CodeInvalidParameterValue, "cannot compute gcd of infinity")
	}
	s := max(dscale(x), dscale(y))
	xi, yi := roundScale(x, s), roundScale(y, s)
	a := new(big.Int).Abs(xi.Coeff.MathBigInt())
	b := new(big.Int).Abs(yi.Coeff.MathBigInt())
	// Coefficients are at exponent -s when s > 0; align exponents >= 0.
	if s == 0 {
		a.Mul(a, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(xi.Exponent, 0))), nil))
		b.Mul(b, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(yi.Exponent, 0))), nil))
	}
	var r big.Int
	if lcm {
		if a.Sign() == 0 || b.Sign() == 0 {
			r.SetInt64(0)
		} else {
			g := new(big.Int).GCD(nil, nil, a, b)
			r.Mul(new(big.Int).Quo(a, g), b)
		}
	} else {
		r.GCD(nil, nil, a, b)
	}
	d := new(apd.Decimal)
	d.Coeff.SetMathBigInt(&r)
	d.Exponent = int32(-s)
	return newDec(d), nil
}
