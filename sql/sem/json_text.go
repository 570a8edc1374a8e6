package sem

import (
	"math"
	"strconv"
	"strings"

	"github.com/tesseradb/tessera/sql/jsonpath"
	"github.com/tesseradb/tessera/sql/types"
)

// The json type keeps its input text: its functions and operators read
// the text (rawJSON keeps each value's own span of it) and return spans of
// it, as PostgreSQL's json functions do. Values built by json_build_object,
// json_agg, to_json ... are written as PostgreSQL's datum_to_json writes
// them (toJSONText).

// rawJSON is one parsed json value with the text it was read from.
type rawJSON struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 't' true, 'f' false, 'z' null
	raw  string
	keys []string  // object keys in text order (duplicates kept)
	vals []rawJSON // object values or array elements
	str  string    // a string's unescaped value
}

func jsonSyntax(s string) error {
	return errorf(CodeInvalidTextRep, "invalid input syntax for type json")
}

// parseRawJSON parses json text.
func parseRawJSON(s string) (rawJSON, error) {
	p := &rawParser{s: s}
	p.ws()
	v, err := p.value()
	if err != nil {
		return rawJSON{}, err
	}
	p.ws()
	if p.i != len(s) {
		return rawJSON{}, jsonSyntax(s)
	}
	return v, nil
}

type rawParser struct {
	s string
	i int
}

func (p *rawParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *rawParser) value() (rawJSON, error) {
	if p.i >= len(p.s) {
		return rawJSON{}, jsonSyntax(p.s)
	}
	start := p.i
	switch c := p.s[p.i]; {
	case c == '{':
		v := rawJSON{kind: 'o'}
		p.i++
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			v.raw = p.s[start:p.i]
			return v, nil
		}
		for {
			p.ws()
			k, err := p.value()
			if err != nil {
				return v, err
			}
			if k.kind != 's' {
				return v, jsonSyntax(p.s)
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return v, jsonSyntax(p.s)
			}
			p.i++
			p.ws()
			e, err := p.value()
			if err != nil {
				return v, err
			}
			v.keys, v.vals = append(v.keys, k.str), append(v.vals, e)
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				v.raw = p.s[start:p.i]
				return v, nil
			}
			return v, jsonSyntax(p.s)
		}
	case c == '[':
		v := rawJSON{kind: 'a'}
		p.i++
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			v.raw = p.s[start:p.i]
			return v, nil
		}
		for {
			p.ws()
			e, err := p.value()
			if err != nil {
				return v, err
			}
			v.vals = append(v.vals, e)
			p.ws()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				v.raw = p.s[start:p.i]
				return v, nil
			}
			return v, jsonSyntax(p.s)
		}
	case c == '"':
		p.i++
		var b strings.Builder
		for {
			if p.i >= len(p.s) {
				return rawJSON{}, jsonSyntax(p.s)
			}
			ch := p.s[p.i]
			if ch == '"' {
				p.i++
				break
			}
			if ch == '\\' && p.i+1 < len(p.s) {
				p.i++
				switch e := p.s[p.i]; e {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				case 'b':
					b.WriteByte('\b')
				case 'f':
					b.WriteByte('\f')
				case 'u':
					if p.i+4 >= len(p.s) {
						return rawJSON{}, jsonSyntax(p.s)
					}
					n, err := strconv.ParseUint(p.s[p.i+1:p.i+5], 16, 32)
					if err != nil {
						return rawJSON{}, jsonSyntax(p.s)
					}
					p.i += 4
					r := rune(n)
					if r >= 0xD800 && r < 0xDC00 && p.i+6 < len(p.s) && p.s[p.i+1] == '\\' && p.s[p.i+2] == 'u' {
						if lo, err := strconv.ParseUint(p.s[p.i+3:p.i+7], 16, 32); err == nil && lo >= 0xDC00 && lo < 0xE000 {
							r = (r-0xD800)<<10 + rune(lo-0xDC00) + 0x10000
							p.i += 6
						}
					}
					b.WriteRune(r)
				default:
					b.WriteByte(e)
				}
				p.i++
				continue
			}
			b.WriteByte(ch)
			p.i++
		}
		return rawJSON{kind: 's', raw: p.s[start:p.i], str: b.String()}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		p.i++
		for p.i < len(p.s) && strings.IndexByte("0123456789.eE+-", p.s[p.i]) >= 0 {
			p.i++
		}
		return rawJSON{kind: 'n', raw: p.s[start:p.i]}, nil
	default:
		for _, w := range []string{"true", "false", "null"} {
			if strings.HasPrefix(p.s[p.i:], w) {
				p.i += len(w)
				k := w[0]
				if k == 'n' {
					k = 'z'
				}
				return rawJSON{kind: k, raw: w}, nil
			}
		}
	}
	return rawJSON{}, jsonSyntax(p.s)
}

func rawOf(d types.Datum) (rawJSON, error) { return parseRawJSON(string(d.(types.DJSON))) }

// field is json -> 'k': the value of the last key k, as PostgreSQL.
func (v rawJSON) field(k string) (rawJSON, bool) {
	if v.kind != 'o' {
		return rawJSON{}, false
	}
	found, at := false, 0
	for i, key := range v.keys {
		if key == k {
			found, at = true, i
		}
	}
	if !found {
		return rawJSON{}, false
	}
	return v.vals[at], true
}

func (v rawJSON) index(i int64) (rawJSON, bool) {
	if v.kind != 'a' {
		return rawJSON{}, false
	}
	if i < 0 {
		i += int64(len(v.vals))
	}
	if i < 0 || i >= int64(len(v.vals)) {
		return rawJSON{}, false
	}
	return v.vals[i], true
}

func (v rawJSON) path(p []types.Datum) (rawJSON, bool) {
	cur := v
	for _, e := range p {
		if types.IsNull(e) {
			return rawJSON{}, false
		}
		k := str(e)
		var ok bool
		switch cur.kind {
		case 'o':
			cur, ok = cur.field(k)
		case 'a':
			n, err := strconv.ParseInt(strings.TrimSpace(k), 10, 64)
			if err != nil {
				return rawJSON{}, false
			}
			cur, ok = cur.index(n)
		}
		if !ok {
			return rawJSON{}, false
		}
	}
	return cur, true
}

// text is ->>'s result: a string's value, NULL for null, else the span.
func (v rawJSON) text() types.Datum {
	switch v.kind {
	case 's':
		return types.DString(v.str)
	case 'z':
		return types.Null
	}
	return types.DString(v.raw)
}

func (v rawJSON) typeName() string {
	switch v.kind {
	case 'o':
		return "object"
	case 'a':
		return "array"
	case 's':
		return "string"
	case 'n':
		return "number"
	case 't', 'f':
		return "boolean"
	}
	return "null"
}

// stripNulls writes v without object fields whose value is null
// (json_strip_nulls), compactly.
func (v rawJSON) stripNulls(b *strings.Builder) {
	switch v.kind {
	case 'o':
		b.WriteByte('{')
		n := 0
		for i, k := range v.keys {
			if v.vals[i].kind == 'z' {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			escapeJSON(b, k)
			b.WriteByte(':')
			v.vals[i].stripNulls(b)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, e := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			e.stripNulls(b)
		}
		b.WriteByte(']')
	default:
		b.WriteString(v.raw)
	}
}

// escapeJSON writes s as a JSON string literal (PostgreSQL's escape_json).
func escapeJSON(b *strings.Builder, s string) { jsonpath.WriteJSONString(b, s) }

// JSONRecord is a row given to the json functions (row_to_json(t),
// to_json(t), json_agg(t) ...): field names and types, values by the
// caller.
type JSONRecord struct {
	Names []string
	Types []*types.T
}

// toJSONText writes a SQL value as json text as PostgreSQL's
// datum_to_json does (compact arrays and records, json verbatim, jsonb in
// its output form, dates and timestamps in ISO 8601 with T).
func toJSONText(ctx *EvalContext, b *strings.Builder, t *types.T, d types.Datum) {
	if types.IsNull(d) {
		b.WriteString("null")
		return
	}
	switch v := d.(type) {
	case types.DBool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
		return
	case types.DInt:
		b.WriteString(strconv.FormatInt(int64(v), 10))
		return
	case types.DFloat:
		s := types.FormatText(t, d, ctx.Loc())
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			escapeJSON(b, s)
		} else {
			b.WriteString(s)
		}
		return
	case *types.DDecimal:
		s := types.FormatText(t, d, ctx.Loc())
		if s == "NaN" || strings.Contains(s, "Infinity") {
			escapeJSON(b, s)
		} else {
			b.WriteString(s)
		}
		return
	case types.DJSON:
		b.WriteString(string(v))
		return
	case *types.DJSONB:
		b.WriteString(types.FormatText(types.JSONB, v, ctx.Loc()))
		return
	case *types.DArray:
		var write func(elems []types.Datum, dims []int)
		write = func(elems []types.Datum, dims []int) {
			b.WriteByte('[')
			step := 1
			if len(dims) > 1 {
				step = len(elems) / dims[0]
			}
			for i := 0; i*step < len(elems); i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				if len(dims) > 1 {
					write(elems[i*step:(i+1)*step], dims[1:])
				} else {
					toJSONText(ctx, b, t.Elem, elems[i])
				}
			}
			b.WriteByte(']')
		}
		write(v.Elems, v.DimLens())
		return
	case types.DTimestamp, types.DTimestampTZ, types.DDate:
		if s, ok := ToJSON(ctx, t, d).(string); ok {
			escapeJSON(b, s)
			return
		}
	}
	escapeJSON(b, types.FormatText(t, d, ctx.Loc()))
}

func jsonTextOf(ctx *EvalContext, t *types.T, d types.Datum) string {
	var b strings.Builder
	toJSONText(ctx, &b, t, d)
	return b.String()
}

// recordJSON writes a record as row_to_json does: {"f":v,...}.
func recordJSON(ctx *EvalContext, b *strings.Builder, names []string, ts []*types.T, vals []types.Datum) {
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		escapeJSON(b, n)
		b.WriteByte(':')
		toJSONText(ctx, b, ts[i], vals[i])
	}
	b.WriteByte('}')
}

// jsonTextAgg is json_agg: "[a, b]", with ", \n " before records and
// arrays after the first.
type jsonTextAgg struct {
	t    *types.T
	b    strings.Builder
	n    int
	recs bool
}

func (a *jsonTextAgg) Add(ctx *EvalContext, args []types.Datum) error {
	if a.n == 0 {
		a.b.WriteByte('[')
	} else {
		a.b.WriteString(", ")
		if (a.recs || a.t.Family == types.ArrayFamily) && !types.IsNull(args[0]) {
			a.b.WriteString("\n ")
		}
	}
	a.n++
	toJSONText(ctx, &a.b, a.t, args[0])
	return nil
}

func (a *jsonTextAgg) Result(*EvalContext) (types.Datum, error) {
	if a.n == 0 {
		return types.Null, nil
	}
	return types.DJSON(a.b.String() + "]"), nil
}

// jsonTextObjAgg is json_object_agg: { "k" : v, "k2" : v2 }.
type jsonTextObjAgg struct {
	kt, vt *types.T
	b      strings.Builder
	n      int
}

func (a *jsonTextObjAgg) Add(ctx *EvalContext, args []types.Datum) error {
	if types.IsNull(args[0]) {
		return errorf(CodeNullValueNotAllowed, "field name must not be null")
	}
	if a.n == 0 {
		a.b.WriteString("{ ")
	} else {
		a.b.WriteString(", ")
	}
	a.n++
	escapeJSON(&a.b, textOf(ctx, a.kt, args[0]))
	a.b.WriteString(" : ")
	toJSONText(ctx, &a.b, a.vt, args[1])
	return nil
}

func (a *jsonTextObjAgg) Result(*EvalContext) (types.Datum, error) {
	if a.n == 0 {
		return types.Null, nil
	}
	return types.DJSON(a.b.String() + " }"), nil
}

// rowIter yields rows of several columns (a generator with OutCols).
type rowIter struct {
	rows [][]types.Datum
	i    int
}

func (s *rowIter) Next(*EvalContext) (types.Datum, bool, error) {
	if s.i >= len(s.rows) {
		return nil, false, nil
	}
	s.i++
	return s.rows[s.i-1][0], true, nil
}

func (s *rowIter) NextRow(*EvalContext) ([]types.Datum, bool, error) {
	if s.i >= len(s.rows) {
		return nil, false, nil
	}
	s.i++
	return s.rows[s.i-1], true, nil
}

func init() {
	J, JB, T, I4, B := types.JSON, types.JSONB, types.String, types.Int4, types.Bool
	b := func(op BinaryOp, l, r, ret *types.T, fn BinaryFn) {
		addBinary(&BinaryOverload{Op: op, Left: l, Right: r, Return: ret, Fn: fn})
	}
	get := func(text bool, f func(v rawJSON, r types.Datum) (rawJSON, bool)) BinaryFn {
		return func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			v, err := rawOf(l)
			if err != nil {
				return nil, err
			}
			x, ok := f(v, r)
			if !ok {
				return types.Null, nil
			}
			if text {
				return x.text(), nil
			}
			return types.DJSON(x.raw), nil
		}
	}
	byKey := func(v rawJSON, r types.Datum) (rawJSON, bool) { return v.field(str(r)) }
	byIndex := func(v rawJSON, r types.Datum) (rawJSON, bool) { return v.index(in(r)) }
	byPath := func(v rawJSON, r types.Datum) (rawJSON, bool) { return v.path(arr(r).Elems) }
	b(OpJSONGet, J, T, J, get(false, byKey))
	b(OpJSONGet, J, I4, J, get(false, byIndex))
	b(OpJSONGetText, J, T, T, get(true, byKey))
	b(OpJSONGetText, J, I4, T, get(true, byIndex))
	b(OpJSONPath, J, textArrayT, J, get(false, byPath))
	b(OpJSONPathText, J, textArrayT, T, get(true, byPath))

	raw1 := func(name string, ret *types.T, f func(v rawJSON) (types.Datum, error)) {
		def(name, ret, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			v, err := rawOf(a[0])
			if err != nil {
				return nil, err
			}
			return f(v)
		}, J)
	}
	raw1("json_typeof", T, func(v rawJSON) (types.Datum, error) { return dstr(v.typeName()), nil })
	raw1("json_array_length", I4, func(v rawJSON) (types.Datum, error) {
		switch v.kind {
		case 'a':
			return dint(int64(len(v.vals))), nil
		case 'o':
			return nil, errorf(CodeInvalidParameterValue, "cannot get array length of a non-array")
		}
		return nil, errorf(CodeInvalidParameterValue, "cannot get array length of a scalar")
	})
	raw1("json_strip_nulls", J, func(v rawJSON) (types.Datum, error) {
		var sb strings.Builder
		v.stripNulls(&sb)
		return types.DJSON(sb.String()), nil
	})
	for _, text := range []bool{false, true} {
		name, ret := "json_extract_path", J
		if text {
			name, ret = "json_extract_path_text", T
		}
		text := text
		def(name, ret, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			v, err := rawOf(a[0])
			if err != nil {
				return nil, err
			}
			x, ok := v.path(a[1:])
			if !ok {
				return types.Null, nil
			}
			if text {
				return x.text(), nil
			}
			return types.DJSON(x.raw), nil
		}, J, T).variadic()
	}
	jgen := func(name string, ret *types.T, f func(v rawJSON) ([]types.Datum, error)) {
		addFunc(&FuncOverload{Name: name, Class: Generator, Args: []*types.T{J}, Return: ret,
			Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) {
				v, err := rawOf(a[0])
				if err != nil {
					return nil, err
				}
				vals, err := f(v)
				if err != nil {
					return nil, err
				}
				return &sliceIter{vals: vals}, nil
			}})
	}
	elems := func(text bool) func(v rawJSON) ([]types.Datum, error) {
		return func(v rawJSON) ([]types.Datum, error) {
			switch v.kind {
			case 'a':
			case 'o':
				return nil, errorf(CodeInvalidParameterValue, "cannot extract elements from an object")
			default:
				return nil, errorf(CodeInvalidParameterValue, "cannot extract elements from a scalar")
			}
			out := make([]types.Datum, len(v.vals))
			for i, e := range v.vals {
				if text {
					out[i] = e.text()
				} else {
					out[i] = types.DJSON(e.raw)
				}
			}
			return out, nil
		}
	}
	jgen("json_array_elements", J, elems(false))
	jgen("json_array_elements_text", T, elems(true))
	jgen("json_object_keys", T, func(v rawJSON) ([]types.Datum, error) {
		if v.kind != 'o' {
			what := "a scalar"
			if v.kind == 'a' {
				what = "an array"
			}
			return nil, errorf(CodeInvalidParameterValue, "cannot call json_object_keys on %s", what)
		}
		out := make([]types.Datum, len(v.keys))
		for i, k := range v.keys {
			out[i] = dstr(k)
		}
		return out, nil
	})
	// json_each / jsonb_each [_text]: rows (key, value)
	eachGen := func(name string, argT, valT *types.T, rows func(d types.Datum) ([][]types.Datum, error)) {
		addFunc(&FuncOverload{Name: name, Class: Generator, Args: []*types.T{argT}, Return: valT,
			OutCols: []OutCol{{Name: "key", T: T}, {Name: "value", T: valT}},
			Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) {
				rs, err := rows(a[0])
				if err != nil {
					return nil, err
				}
				return &rowIter{rows: rs}, nil
			}})
	}
	for _, text := range []bool{false, true} {
		text := text
		suffix, vt := "", J
		if text {
			suffix, vt = "_text", T
		}
		eachGen("json_each"+suffix, J, vt, func(d types.Datum) ([][]types.Datum, error) {
			v, err := rawOf(d)
			if err != nil {
				return nil, err
			}
			if v.kind != 'o' {
				return nil, errorf(CodeInvalidParameterValue, "cannot call json_each%s on a non-object", suffix)
			}
			out := make([][]types.Datum, len(v.keys))
			for i, k := range v.keys {
				if text {
					out[i] = []types.Datum{dstr(k), v.vals[i].text()}
				} else {
					out[i] = []types.Datum{dstr(k), types.DJSON(v.vals[i].raw)}
				}
			}
			return out, nil
		})
		jvt := JB
		if text {
			jvt = T
		}
		eachGen("jsonb_each"+suffix, JB, jvt, func(d types.Datum) ([][]types.Datum, error) {
			o, ok := jv(d).(*types.JSONObject)
			if !ok {
				return nil, errorf(CodeInvalidParameterValue, "cannot call jsonb_each%s on a non-object", suffix)
			}
			out := make([][]types.Datum, len(o.Keys))
			for i, k := range o.Keys {
				if text {
					out[i] = []types.Datum{dstr(k), jsonText(o.Values[i])}
				} else {
					out[i] = []types.Datum{dstr(k), jsonb(o.Values[i])}
				}
			}
			return out, nil
		})
	}

	toJSON := &FuncOverload{Name: "to_json", Class: Normal, Args: []*types.T{anyElement}, Return: J, Volatility: Stable}
	toJSON.bind = func(o *FuncOverload) {
		t := o.Args[0]
		o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			return types.DJSON(jsonTextOf(ctx, t, a[0])), nil
		}
	}
	addFunc(toJSON)
	arrToJSON := &FuncOverload{Name: "array_to_json", Class: Normal, Args: []*types.T{anyArray}, Return: J, Volatility: Stable}
	arrToJSON.bind = func(o *FuncOverload) {
		t := o.Args[0]
		o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			return types.DJSON(jsonTextOf(ctx, t, a[0])), nil
		}
	}
	addFunc(arrToJSON)
	buildObj := &FuncOverload{Name: "json_build_object", Class: Normal, Args: []*types.T{anyType}, Return: J,
		Variadic: true, CalledOnNull: true, Volatility: Stable}
	buildObj.bind = func(o *FuncOverload) {
		ts := o.Args
		o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			if len(a)%2 != 0 {
				return nil, errorf(CodeInvalidParameterValue, "argument list must have even number of elements")
			}
			var sb strings.Builder
			sb.WriteByte('{')
			for i := 0; i < len(a); i += 2 {
				if types.IsNull(a[i]) {
					return nil, errorf(CodeNullValueNotAllowed, "argument %d cannot be null", i+1)
				}
				if i > 0 {
					sb.WriteString(", ")
				}
				escapeJSON(&sb, textOf(ctx, ts[i], a[i]))
				sb.WriteString(" : ")
				toJSONText(ctx, &sb, ts[i+1], a[i+1])
			}
			sb.WriteByte('}')
			return types.DJSON(sb.String()), nil
		}
	}
	addFunc(buildObj)
	def("json_build_object", J, func(_ *EvalContext, _ []types.Datum) (types.Datum, error) { return types.DJSON("{}"), nil })
	buildArr := &FuncOverload{Name: "json_build_array", Class: Normal, Args: []*types.T{anyType}, Return: J,
		Variadic: true, CalledOnNull: true, Volatility: Stable}
	buildArr.bind = func(o *FuncOverload) {
		ts := o.Args
		o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			var sb strings.Builder
			sb.WriteByte('[')
			for i, d := range a {
				if i > 0 {
					sb.WriteString(", ")
				}
				toJSONText(ctx, &sb, ts[i], d)
			}
			sb.WriteByte(']')
			return types.DJSON(sb.String()), nil
		}
	}
	addFunc(buildArr)
	def("json_build_array", J, func(_ *EvalContext, _ []types.Datum) (types.Datum, error) { return types.DJSON("[]"), nil })
	addAgg("json_agg", []*types.T{anyElement}, J, func(o *FuncOverload) func() AggFunc {
		t := o.Args[0]
		return func() AggFunc { return &jsonTextAgg{t: t} }
	})
	addFunc(&FuncOverload{Name: "json_object_agg", Class: Aggregate, Args: []*types.T{anyType, anyType}, Return: J,
		CalledOnNull: true, bind: func(o *FuncOverload) {
			kt, vt := o.Args[0], o.Args[1]
			o.NewAgg = func() AggFunc { return &jsonTextObjAgg{kt: kt, vt: vt} }
		}})
	def("jsonb_pretty", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		var sb strings.Builder
		prettyJSONB(&sb, jv(a[0]), 0)
		return dstr(sb.String()), nil
	}, JB)
	def("jsonb_insert", JB, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return jsonbInsert(a, false) }, JB, textArrayT, JB)
	def("jsonb_insert", JB, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return jsonbInsert(a, bool(a[3].(types.DBool)))
	}, JB, textArrayT, JB, B)
}

// prettyJSONB is jsonb_pretty: four spaces per level, one member per line.
func prettyJSONB(b *strings.Builder, v any, depth int) {
	ind := func(d int) {
		b.WriteByte('\n')
		for i := 0; i < d; i++ {
			b.WriteString("    ")
		}
	}
	switch x := v.(type) {
	case *types.JSONObject:
		if len(x.Keys) == 0 {
			b.WriteString("{\n")
			for i := 0; i < depth; i++ {
				b.WriteString("    ")
			}
			b.WriteString("}")
			return
		}
		b.WriteByte('{')
		for i, k := range x.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			ind(depth + 1)
			escapeJSON(b, k)
			b.WriteString(": ")
			prettyJSONB(b, x.Values[i], depth+1)
		}
		ind(depth)
		b.WriteByte('}')
	case []any:
		if len(x) == 0 {
			b.WriteString("[\n")
			for i := 0; i < depth; i++ {
				b.WriteString("    ")
			}
			b.WriteString("]")
			return
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			ind(depth + 1)
			prettyJSONB(b, e, depth+1)
		}
		ind(depth)
		b.WriteByte(']')
	default:
		b.WriteString(types.FormatText(types.JSONB, jsonb(v), nil))
	}
}

// jsonbInsert is jsonb_insert(target, path, new [, insert_after]): a new
// array element before (after) the one at path, or a new object key (an
// existing key is an error).
func jsonbInsert(a []types.Datum, after bool) (types.Datum, error) {
	path := arr(a[1]).Elems
	if len(path) == 0 {
		return a[0], nil
	}
	nv := jv(a[2])
	var ins func(v any, p []types.Datum) (any, error)
	ins = func(v any, p []types.Datum) (any, error) {
		if types.IsNull(p[0]) {
			return nil, errorf(CodeNullValueNotAllowed, "path element at position 1 is null")
		}
		k := str(p[0])
		last := len(p) == 1
		switch x := v.(type) {
		case *types.JSONObject:
			for i, key := range x.Keys {
				if key == k {
					if last {
						return nil, errorf(CodeInvalidParameterValue, "cannot replace existing key")
					}
					r, err := ins(x.Values[i], p[1:])
					if err != nil {
						return nil, err
					}
					vals := append([]any(nil), x.Values...)
					vals[i] = r
					return makeObject(append([]string(nil), x.Keys...), vals), nil
				}
			}
			if last {
				return makeObject(append(append([]string(nil), x.Keys...), k), append(append([]any(nil), x.Values...), nv)), nil
			}
			return x, nil
		case []any:
			n, err := strconv.ParseInt(k, 10, 64)
			if err != nil {
				return nil, errorf(CodeInvalidTextRep, "path element at position 1 is not an integer: \"%s\"", k)
			}
			if n < 0 {
				n += int64(len(x))
			}
			if !last {
				if n < 0 || n >= int64(len(x)) {
					return x, nil
				}
				r, err := ins(x[n], p[1:])
				if err != nil {
					return nil, err
				}
				out := append([]any(nil), x...)
				out[n] = r
				return out, nil
			}
			if after {
				n++
			}
			if n < 0 {
				n = 0
			}
			if n > int64(len(x)) {
				n = int64(len(x))
			}
			out := append(append(append([]any(nil), x[:n]...), nv), x[n:]...)
			return out, nil
		}
		return nil, errorf(CodeInvalidParameterValue, "cannot set path in scalar")
	}
	r, err := ins(jv(a[0]), path)
	if err != nil {
		return nil, err
	}
	return jsonb(r), nil
}

func init() {
	// json_agg of whole rows (the binder turns json_agg(t) into this over
	// row_to_json(t)): records after the first are set on a new line
	addFunc(&FuncOverload{Name: "json_agg_record", Class: Aggregate, Args: []*types.T{types.JSON}, Return: types.JSON,
		CalledOnNull: true, NewAgg: func() AggFunc { return &jsonTextAgg{t: types.JSON, recs: true} }})
}

// RecordToJSON is row_to_json over a record of the given field names and
// types, its fields passed as the arguments (the binder expands
// row_to_json(t), to_json(t) and ROW(...) into it).
func RecordToJSON(names []string, ts []*types.T) *FuncOverload {
	return &FuncOverload{Name: "row_to_json", Class: Normal, Args: ts, Return: types.JSON, CalledOnNull: true, Volatility: Stable,
		Fn: func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			var sb strings.Builder
			recordJSON(ctx, &sb, names, ts, a)
			return types.DJSON(sb.String()), nil
		}}
}
