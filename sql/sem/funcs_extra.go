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
	textGen("regexp_split_to_table", 2, func(a []types.Datum) ([]types.Datum, error) {
		re, err := compileRegex(str(a[1]), false)
		if err != nil {
			return nil, err
		}
		return textArray(re.Split(str(a[0]), -1), nil).Elems, nil
	})
	matches := func(a []types.Datum) (SetIter, error) {
		flags := ""
		if len(a) > 2 {
			flags = str(a[2])
		}
		global, fold, err := regexFlags(flags)
		if err != nil {
			return nil, err
		}
		re, err := compileRegex(str(a[1]), fold)
		if err != nil {
			return nil, err
		}
		s := str(a[0])
		n := 1
		if global {
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
	def("regexp_count", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		re, err := compileRegex(str(a[1]), false)
		if err != nil {
			return nil, err
		}
		return dint(int64(len(re.FindAllStringIndex(str(a[0]), -1)))), nil
	}, T, T)
	def("regexp_like", B, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		re, err := compileRegex(str(a[1]), false)
		if err != nil {
			return nil, err
		}
		return types.DBool(re.MatchString(str(a[0]))), nil
	}, T, T)
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
	return nil, errorf(CodeInvalidParameterValue, "cannot set path in scalar")
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
