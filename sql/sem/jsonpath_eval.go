package sem

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/jsonpath"
	"github.com/tesseradb/tessera/sql/types"
)

// SQLSTATEs of SQL/JSON path evaluation (PostgreSQL's 2203x family).
const (
	codeSQLJSONSubscript      = "22033" // invalid_sql_json_subscript
	codeNonNumericSQLJSONItem = "22036" // non_numeric_sql_json_item
	codeSingletonRequired     = "22038" // singleton_sql_json_item_required
	codeSQLJSONArrayNotFound  = "22039" // sql_json_array_not_found
	codeSQLJSONMemberNotFound = "2203A" // sql_json_member_not_found
	codeSQLJSONObjectNotFound = "2203C" // sql_json_object_not_found
)

// jpTruth is a predicate's three-valued result.
type jpTruth uint8

const (
	jpFalse jpTruth = iota
	jpTrue
	jpUnknown
)

// jpCtx evaluates one path against one document.
type jpCtx struct {
	root   any
	vars   *types.JSONObject
	strict bool
	// ignoreStruct suppresses structural errors (missing keys, wrong
	// container types, subscripts out of bounds): always in lax mode, and
	// below .** in strict mode.
	ignoreStruct bool
	cur          any                         // @
	ids          map[*types.JSONObject]int64 // keyvalue ids, computed on first use
	// generated numbers the pair objects .keyvalue() makes: from 2 with
	// a vars argument, else (the @? and @@ operators) from 1.
	generated int64
	// regexps caches the compiled like_regex patterns of this run
	regexps map[*jsonpath.Node]*regexp.Regexp
	last    int64 // the innermost subscripted array's last index
	inArray bool
	// tz: the session of a _tz function, whose time zone datetime
	// comparisons may use (nil: they may not).
	tz *EvalContext
}

// jpHard reports whether err is not one that silent mode and predicates
// swallow (a missing variable is always raised, as PostgreSQL does).
func jpHard(err error) bool {
	e, ok := err.(*types.Error)
	return !ok || e.Code == CodeUndefinedObject || e.Code == CodeInvalidParameterValue
}

// evalJSONPath runs path on target with vars (none when hasVars is
// false: the @? and @@ operators); it returns the items found.
func evalJSONPath(target any, path *jsonpath.Path, vars any, hasVars bool) ([]any, error) {
	return evalJSONPathTZ(nil, target, path, vars, hasVars)
}

// evalJSONPathTZ is evalJSONPath for the _tz functions (tz non-nil: the
// session whose time zone datetime comparisons use).
func evalJSONPathTZ(tz *EvalContext, target any, path *jsonpath.Path, vars any, hasVars bool) ([]any, error) {
	c := &jpCtx{root: target, strict: path.Strict, ignoreStruct: !path.Strict, cur: target, generated: 1, tz: tz}
	if hasVars {
		v, ok := vars.(*types.JSONObject)
		if !ok {
			return nil, errorf(CodeInvalidParameterValue, "\"vars\" argument is not an object")
		}
		c.vars, c.generated = v, 2
	}
	var out []any
	err := c.item(path.Expr, target, &out)
	jpDatetimeOut(out)
	return out, err
}

// structural returns the structural error, or nil when it is ignored.
func (c *jpCtx) structural(code, format string, args ...any) error {
	if c.ignoreStruct {
		return nil
	}
	return errorf(code, format, args...)
}

// item applies n and its accessor chain to v, appending the results.
func (c *jpCtx) item(n *jsonpath.Node, v any, out *[]any) error {
	return c.itemOpt(n, v, out, !c.strict)
}

// itemOpt is item; unwrap says whether n itself unwraps an array v (lax
// mode, except on the elements of an array already unwrapped once).
func (c *jpCtx) itemOpt(n *jsonpath.Node, v any, out *[]any, unwrap bool) error {
	emit := func(x any) error {
		if n.Next == nil {
			*out = append(*out, x)
			return nil
		}
		return c.item(n.Next, x, out)
	}
	switch n.Kind {
	case jsonpath.Root:
		return emit(c.root)
	case jsonpath.Current:
		return emit(c.cur)
	case jsonpath.Last:
		if !c.inArray {
			return errorf(CodeInvalidParameterValue, "evaluating jsonpath LAST outside of array subscript")
		}
		return emit(apd.New(c.last, 0))
	case jsonpath.Var:
		if c.vars != nil {
			if x, ok := objGet(c.vars, n.Str); ok {
				return emit(x)
			}
		}
		return errorf(CodeUndefinedObject, "could not find jsonpath variable \"%s\"", n.Str)
	case jsonpath.Null:
		return emit(nil)
	case jsonpath.Bool:
		return emit(n.B)
	case jsonpath.Num:
		return emit(n.Num)
	case jsonpath.Str:
		return emit(n.Str)
	case jsonpath.Key:
		switch x := v.(type) {
		case *types.JSONObject:
			if e, ok := objGet(x, n.Str); ok {
				return emit(e)
			}
			return c.structural(codeSQLJSONMemberNotFound, "JSON object does not contain key \"%s\"", n.Str)
		case []any:
			if unwrap {
				return c.unwrap(n, x, out)
			}
		}
		return c.structural(codeSQLJSONMemberNotFound, "jsonpath member accessor can only be applied to an object")
	case jsonpath.AnyKey:
		switch x := v.(type) {
		case *types.JSONObject:
			for _, e := range x.Values {
				if err := emit(e); err != nil {
					return err
				}
			}
			return nil
		case []any:
			if unwrap {
				return c.unwrap(n, x, out)
			}
		}
		return c.structural(codeSQLJSONObjectNotFound, "jsonpath wildcard member accessor can only be applied to an object")
	case jsonpath.AnyArray:
		if x, ok := v.([]any); ok {
			for _, e := range x {
				if err := emit(e); err != nil {
					return err
				}
			}
			return nil
		}
		if !c.strict {
			return emit(v)
		}
		return c.structural(codeSQLJSONArrayNotFound, "jsonpath wildcard array accessor can only be applied to an array")
	case jsonpath.Index:
		return c.index(n, v, emit)
	case jsonpath.Any:
		return c.anyLevels(n, v, out)
	case jsonpath.Filter:
		if x, ok := v.([]any); ok && unwrap {
			return c.unwrap(n, x, out)
		}
		saved := c.cur
		c.cur = v
		t, err := c.pred(n.L, v)
		c.cur = saved
		if err != nil {
			return err
		}
		if t == jpTrue {
			return emit(v)
		}
		return nil
	case jsonpath.Method:
		return c.method(n, v, unwrap, emit)
	case jsonpath.Add, jsonpath.Sub, jsonpath.Mul, jsonpath.Div, jsonpath.Mod:
		l, err := c.single(n.L, v, "left", n.Kind)
		if err != nil {
			return err
		}
		r, err := c.single(n.R, v, "right", n.Kind)
		if err != nil {
			return err
		}
		var d types.Datum
		switch n.Kind {
		case jsonpath.Add:
			d, err = numAdd(l, r, false)
		case jsonpath.Sub:
			d, err = numAdd(l, r, true)
		case jsonpath.Mul:
			d, err = numMul(l, r)
		case jsonpath.Div:
			d, err = numDiv(l, r)
		default:
			d, err = numMod(l, r)
		}
		if err != nil {
			return err
		}
		return emit(decOf(d))
	case jsonpath.Neg, jsonpath.Pos:
		xs, err := c.operands(n.L, v)
		if err != nil {
			return err
		}
		for _, x := range xs {
			d, ok := x.(*apd.Decimal)
			if !ok {
				op := "-"
				if n.Kind == jsonpath.Pos {
					op = "+"
				}
				return errorf(codeNonNumericSQLJSONItem, "operand of unary jsonpath operator %s is not a numeric value", op)
			}
			if n.Kind == jsonpath.Neg {
				d = new(apd.Decimal).Neg(d)
			}
			if err := emit(d); err != nil {
				return err
			}
		}
		return nil
	}
	// a predicate used as an expression yields true, false or null
	t, err := c.pred(n, v)
	if err != nil {
		return err
	}
	switch t {
	case jpTrue:
		return emit(true)
	case jpFalse:
		return emit(false)
	}
	return emit(nil)
}

// unwrap applies n to each element of the array (lax mode's automatic
// unwrapping; the elements are not unwrapped again).
func (c *jpCtx) unwrap(n *jsonpath.Node, arr []any, out *[]any) error {
	for _, e := range arr {
		if err := c.itemOpt(n, e, out, false); err != nil {
			return err
		}
	}
	return nil
}

// operands evaluates an operand, unwrapping arrays in lax mode.
func (c *jpCtx) operands(n *jsonpath.Node, v any) ([]any, error) {
	var xs []any
	if err := c.item(n, v, &xs); err != nil {
		return nil, err
	}
	if c.strict {
		return xs, nil
	}
	var flat []any
	for _, x := range xs {
		if a, ok := x.([]any); ok {
			flat = append(flat, a...)
		} else {
			flat = append(flat, x)
		}
	}
	return flat, nil
}

// single evaluates an arithmetic operand: exactly one number.
func (c *jpCtx) single(n *jsonpath.Node, v any, side string, op jsonpath.Kind) (*apd.Decimal, error) {
	xs, err := c.operands(n, v)
	if err != nil {
		return nil, err
	}
	if len(xs) == 1 {
		if d, ok := xs[0].(*apd.Decimal); ok {
			return d, nil
		}
	}
	return nil, errorf(codeSingletonRequired, "%s operand of jsonpath operator %s is not a single numeric value", side, jsonpath.OpName(op))
}

func (c *jpCtx) index(n *jsonpath.Node, v any, emit func(any) error) error {
	arr, isArr := v.([]any)
	if !isArr {
		if c.strict {
			return c.structural(codeSQLJSONArrayNotFound, "jsonpath array accessor can only be applied to an array")
		}
		arr = []any{v}
	}
	savedLast, savedIn := c.last, c.inArray
	c.last, c.inArray = int64(len(arr))-1, true
	defer func() { c.last, c.inArray = savedLast, savedIn }()
	size := int64(len(arr))
	for _, s := range n.Subs {
		from, err := c.subscript(s.From, v)
		if err != nil {
			return err
		}
		to := from
		if s.To != nil {
			if to, err = c.subscript(s.To, v); err != nil {
				return err
			}
		}
		if from < 0 || from > to || to >= size {
			if !c.ignoreStruct {
				return errorf(codeSQLJSONSubscript, "jsonpath array subscript is out of bounds")
			}
		}
		from = max(from, 0)
		to = min(to, size-1)
		for i := from; i <= to; i++ {
			if err := emit(arr[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *jpCtx) subscript(n *jsonpath.Node, v any) (int64, error) {
	var xs []any
	if err := c.item(n, v, &xs); err != nil {
		return 0, err
	}
	if len(xs) == 1 {
		if d, ok := xs[0].(*apd.Decimal); ok {
			i, err := truncDecimal(d)
			if err != nil || i < math.MinInt32 || i > math.MaxInt32 {
				return 0, errorf(codeSQLJSONSubscript, "jsonpath array subscript is out of integer range")
			}
			return i, nil
		}
	}
	return 0, errorf(codeSQLJSONSubscript, "jsonpath array subscript is not a single numeric value")
}

// truncDecimal is d truncated toward zero as an int64.
func truncDecimal(d *apd.Decimal) (int64, error) {
	var t apd.Decimal
	ctx := apd.BaseContext.WithPrecision(1000)
	ctx.Rounding = apd.RoundDown
	if _, err := ctx.Quantize(&t, d, 0); err != nil {
		return 0, err
	}
	return t.Int64()
}

// anyLevels is .**{First to LastLevel}: the item itself at level 0, its
// members and elements at level 1, and so on, in document order.
func (c *jpCtx) anyLevels(n *jsonpath.Node, v any, out *[]any) error {
	first, last := uint64(n.First), uint64(n.LastLevel)
	if n.First < 0 {
		first = math.MaxUint64
	}
	if n.LastLevel < 0 {
		last = math.MaxUint64
	}
	saved := c.ignoreStruct
	c.ignoreStruct = true
	defer func() { c.ignoreStruct = saved }()
	visit := func(x any) error {
		if n.Next == nil {
			*out = append(*out, x)
			return nil
		}
		return c.item(n.Next, x, out)
	}
	var walk func(x any, level uint64) error
	walk = func(x any, level uint64) error {
		var kids []any
		switch y := x.(type) {
		case []any:
			kids = y
		case *types.JSONObject:
			kids = y.Values
		default:
			return nil
		}
		for _, k := range kids {
			_, isArr := k.([]any)
			_, isObj := k.(*types.JSONObject)
			leafOnly := first == math.MaxUint64 && last == math.MaxUint64
			if (level >= first || (leafOnly && !isArr && !isObj)) && level <= last {
				if err := visit(k); err != nil {
					return err
				}
			}
			if level < last && (isArr || isObj) {
				if err := walk(k, level+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if first == 0 {
		if err := visit(v); err != nil {
			return err
		}
	}
	return walk(v, 1)
}

func (c *jpCtx) method(n *jsonpath.Node, v any, unwrap bool, emit func(any) error) error {
	name := n.Str
	if arr, ok := v.([]any); ok && unwrap && name != "type" && name != "size" {
		for _, e := range arr {
			if err := c.method1(n, e, emit); err != nil {
				return err
			}
		}
		return nil
	}
	return c.method1(n, v, emit)
}

func (c *jpCtx) method1(n *jsonpath.Node, v any, emit func(any) error) error {
	name := n.Str
	switch name {
	case "type":
		return emit(jsonTypeName(v))
	case "size":
		if a, ok := v.([]any); ok {
			return emit(apd.New(int64(len(a)), 0))
		}
		if !c.strict {
			return emit(apd.New(1, 0))
		}
		return c.structural(codeSQLJSONArrayNotFound, "jsonpath item method .size() can only be applied to an array")
	case "abs", "floor", "ceiling":
		d, ok := v.(*apd.Decimal)
		if !ok {
			return errorf(codeNonNumericSQLJSONItem, "jsonpath item method .%s() can only be applied to a numeric value", name)
		}
		r := new(apd.Decimal)
		ctx := apd.BaseContext.WithPrecision(1000)
		switch name {
		case "abs":
			r.Abs(d)
		case "floor":
			ctx.Floor(r, d)
		default:
			ctx.Ceil(r, d)
		}
		if r.IsZero() {
			r.Negative = false
		}
		return emit(r)
	case "double":
		// a number is only checked to fit a double precision and kept; a
		// string is read as one and written with DBL_DIG digits
		// (PostgreSQL's float8_numeric)
		switch x := v.(type) {
		case *apd.Decimal:
			if f, err := x.Float64(); err != nil || math.IsInf(f, 0) {
				return errorf(codeNonNumericSQLJSONItem, "numeric argument of jsonpath item method .double() is out of range for type double precision")
			}
			return emit(x)
		case string:
			t := strings.TrimSpace(x)
			f, err := strconv.ParseFloat(t, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || strings.ContainsAny(t, "xX_") {
				return errorf(codeNonNumericSQLJSONItem, "string argument of jsonpath item method .double() is not a valid representation of a double precision number")
			}
			d, _, err := apd.NewFromString(strconv.FormatFloat(f, 'g', 15, 64))
			if err != nil {
				return err
			}
			if d.Exponent > 0 {
				_, _ = apd.BaseContext.WithPrecision(1000).Quantize(d, d, 0)
			}
			if d.IsZero() {
				d.Negative = false
			}
			return emit(d)
		}
		return errorf(codeNonNumericSQLJSONItem, "jsonpath item method .double() can only be applied to a string or numeric value")
	case "datetime":
		return c.datetime(n, v, emit)
	case "keyvalue":
		o, ok := v.(*types.JSONObject)
		if !ok {
			return errorf(codeSQLJSONObjectNotFound, "jsonpath item method .keyvalue() can only be applied to an object")
		}
		if c.ids == nil {
			c.ids = jsonbObjectIDs(c.root, 0)
			if c.vars != nil {
				for o, id := range jsonbObjectIDs(c.vars, 10000000000) {
					c.ids[o] = id
				}
			}
		}
		id := c.ids[o]
		for i, k := range o.Keys {
			kv := &types.JSONObject{Keys: []string{"id", "key", "value"}, Values: []any{apd.New(id, 0), k, o.Values[i]}}
			// the path after .keyvalue() sees each pair as a document of
			// its own, numbered from the generated-object counter
			saved := c.ids
			c.ids = jsonbObjectIDs(kv, c.generated*10000000000)
			c.generated++
			err := emit(kv)
			c.ids = saved
			if err != nil {
				return err
			}
		}
		return nil
	}
	return errorf(CodeFeatureNotSupported, "jsonpath item method .%s() is not supported", name)
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case *apd.Decimal:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case *jpDatetime:
		return jpDTTypeNames[v.(*jpDatetime).kind]
	}
	return "object"
}

// pred evaluates a predicate on the current item v.
func (c *jpCtx) pred(n *jsonpath.Node, v any) (jpTruth, error) {
	switch n.Kind {
	case jsonpath.And:
		l, err := c.pred(n.L, v)
		if err != nil || l == jpFalse {
			return jpFalse, err
		}
		r, err := c.pred(n.R, v)
		if err != nil {
			return 0, err
		}
		if r == jpTrue {
			return l, nil
		}
		return r, nil
	case jsonpath.Or:
		l, err := c.pred(n.L, v)
		if err != nil || l == jpTrue {
			return jpTrue, err
		}
		r, err := c.pred(n.R, v)
		if err != nil {
			return 0, err
		}
		if r == jpFalse {
			return l, nil
		}
		return r, nil
	case jsonpath.Not:
		t, err := c.pred(n.L, v)
		switch t {
		case jpTrue:
			return jpFalse, err
		case jpFalse:
			return jpTrue, err
		}
		return jpUnknown, err
	case jsonpath.IsUnknown:
		t, err := c.pred(n.L, v)
		return boolTruth(t == jpUnknown), err
	case jsonpath.Exists:
		var xs []any
		err := c.item(n.L, v, &xs)
		if err != nil {
			if jpHard(err) {
				return 0, err
			}
			return jpUnknown, nil
		}
		return boolTruth(len(xs) > 0), nil
	case jsonpath.Eq, jsonpath.Ne, jsonpath.Lt, jsonpath.Le, jsonpath.Gt, jsonpath.Ge, jsonpath.StartsWith, jsonpath.LikeRegex:
		return c.compare(n, v)
	}
	// not a predicate (the parser does not produce this)
	return jpUnknown, nil
}

func boolTruth(b bool) jpTruth {
	if b {
		return jpTrue
	}
	return jpFalse
}

// compare evaluates a comparison (and starts with / like_regex) over all
// pairs of the operands' items: true if any pair is (lax mode stops at
// the first), unknown if a pair errs and none is true.
func (c *jpCtx) compare(n *jsonpath.Node, v any) (jpTruth, error) {
	ls, err := c.operands(n.L, v)
	if err != nil {
		if jpHard(err) {
			return 0, err
		}
		return jpUnknown, nil
	}
	var rs []any
	var re *regexp.Regexp
	switch n.Kind {
	case jsonpath.LikeRegex:
		// PostgreSQL's like_regex flags: s lets . match a newline, m
		// makes ^ and $ match at line breaks, i ignores case, q quotes
		// the pattern.
		pat := n.Str
		pre := ""
		for _, f := range "ims" {
			if strings.ContainsRune(n.Flags, f) {
				pre += string(f)
			}
		}
		if strings.Contains(n.Flags, "q") {
			pat = regexp.QuoteMeta(pat)
		}
		if strings.Contains(n.Flags, "x") {
			return 0, errorf(CodeFeatureNotSupported, "like_regex flag \"x\" is not supported")
		}
		if pre != "" {
			pat = "(?" + pre + ")" + pat
		}
		if re = c.regexps[n]; re == nil {
			if re, err = regexp.Compile(pat); err != nil {
				return 0, errorf(CodeInvalidRegex, "invalid regular expression: %v", err)
			}
			if c.regexps == nil {
				c.regexps = map[*jsonpath.Node]*regexp.Regexp{}
			}
			c.regexps[n] = re
		}
	default:
		if rs, err = c.operands(n.R, v); err != nil {
			if jpHard(err) {
				return 0, err
			}
			return jpUnknown, nil
		}
	}
	found, unknown := false, false
	for _, l := range ls {
		if n.Kind == jsonpath.LikeRegex {
			s, ok := l.(string)
			switch {
			case !ok:
				unknown = true
			case re.MatchString(s):
				found = true
			}
		} else {
			for _, r := range rs {
				t, err := c.compareItems(n.Kind, l, r)
				if err != nil {
					return 0, err
				}
				switch t {
				case jpTrue:
					found = true
				case jpUnknown:
					unknown = true
				}
				if found && !c.strict {
					return jpTrue, nil
				}
			}
		}
		if found && !c.strict {
			return jpTrue, nil
		}
	}
	if found && !(c.strict && unknown) {
		return jpTrue, nil
	}
	if unknown {
		return jpUnknown, nil
	}
	return jpFalse, nil
}

// compareItems is jpCompareItems with the datetime items.
func (c *jpCtx) compareItems(op jsonpath.Kind, a, b any) (jpTruth, error) {
	x, ok1 := a.(*jpDatetime)
	y, ok2 := b.(*jpDatetime)
	if !ok1 && !ok2 {
		return jpCompareItems(op, a, b), nil
	}
	if !ok1 || !ok2 {
		if op != jsonpath.StartsWith && (a == nil || b == nil) {
			return boolTruth(op == jsonpath.Ne), nil
		}
		return jpUnknown, nil
	}
	if op == jsonpath.StartsWith {
		return jpUnknown, nil
	}
	cmp, ok, err := c.compareDatetime(x, y)
	if err != nil || !ok {
		return jpUnknown, err
	}
	return cmpTruth(op, cmp), nil
}

func jpCompareItems(op jsonpath.Kind, a, b any) jpTruth {
	if op == jsonpath.StartsWith {
		s, ok1 := a.(string)
		p, ok2 := b.(string)
		if !ok1 || !ok2 {
			return jpUnknown
		}
		return boolTruth(strings.HasPrefix(s, p))
	}
	var cmp int
	switch x := a.(type) {
	case nil:
		if b != nil {
			return boolTruth(op == jsonpath.Ne)
		}
	case bool:
		y, ok := b.(bool)
		if !ok {
			return jpMismatch(op, b)
		}
		switch {
		case x == y:
		case !x:
			cmp = -1
		default:
			cmp = 1
		}
	case *apd.Decimal:
		y, ok := b.(*apd.Decimal)
		if !ok {
			return jpMismatch(op, b)
		}
		cmp = x.Cmp(y)
	case string:
		y, ok := b.(string)
		if !ok {
			return jpMismatch(op, b)
		}
		cmp = strings.Compare(x, y)
	default:
		// arrays and objects are not comparable
		return jpUnknown
	}
	return cmpTruth(op, cmp)
}

// cmpTruth is comparison op's result for an ordering cmp.
func cmpTruth(op jsonpath.Kind, cmp int) jpTruth {
	switch op {
	case jsonpath.Eq:
		return boolTruth(cmp == 0)
	case jsonpath.Ne:
		return boolTruth(cmp != 0)
	case jsonpath.Lt:
		return boolTruth(cmp < 0)
	case jsonpath.Le:
		return boolTruth(cmp <= 0)
	case jsonpath.Gt:
		return boolTruth(cmp > 0)
	}
	return boolTruth(cmp >= 0)
}

// jpMismatch compares items of different types: against null only
// equality is decided (false), else unknown.
func jpMismatch(op jsonpath.Kind, b any) jpTruth {
	if b == nil {
		return boolTruth(op == jsonpath.Ne)
	}
	return jpUnknown
}
