package sem

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tesseradb/tessera/sql/types"
)

type fnImpl = func(ctx *EvalContext, args []types.Datum) (types.Datum, error)

// def registers a Normal, immutable, strict function and returns it for
// adjustments.
func def(name string, ret *types.T, fn fnImpl, args ...*types.T) *FuncOverload {
	o := &FuncOverload{Name: name, Class: Normal, Args: args, Return: ret, Fn: fn}
	addFunc(o)
	return o
}

func (o *FuncOverload) stable() *FuncOverload   { o.Volatility = Stable; return o }
func (o *FuncOverload) volatile() *FuncOverload { o.Volatility = Volatile; return o }
func (o *FuncOverload) onNull() *FuncOverload   { o.CalledOnNull = true; return o }
func (o *FuncOverload) variadic() *FuncOverload { o.Variadic = true; return o }

func dstr(s string) types.Datum { return types.DString(s) }
func dint(v int64) types.Datum  { return types.DInt(v) }

// asciiLower/Upper map only ASCII letters, as PostgreSQL does under the C
// locale (LC_CTYPE=C).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func isASCIIAlnum(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

// substrRunes is PostgreSQL's substring(s, start, count) by characters;
// count < 0 means to the end.
func substrRunes(s string, start, count int64, haveCount bool) (string, error) {
	if haveCount && count < 0 {
		return "", errorf(CodeSubstringError, "negative substring length not allowed")
	}
	rs := []rune(s)
	n := int64(len(rs))
	from := start - 1
	var to int64
	if haveCount {
		to = from + count
		if count > 0 && to < from { // overflow
			to = n
		}
	} else {
		to = n
	}
	from = max(from, 0)
	to = min(to, n)
	if from >= to {
		return "", nil
	}
	return string(rs[from:to]), nil
}

func strposRunes(s, sub string) int64 {
	i := strings.Index(s, sub)
	if i < 0 {
		return 0
	}
	return int64(utf8.RuneCountInString(s[:i])) + 1
}

func trimChars(s, chars string, left, right bool) string {
	set := chars
	if left {
		s = strings.TrimLeft(s, set)
	}
	if right {
		s = strings.TrimRight(s, set)
	}
	return s
}

func pad(s string, n int64, fill string, left bool) string {
	if n <= 0 {
		return ""
	}
	rs := []rune(s)
	if int64(len(rs)) >= n {
		return string(rs[:n])
	}
	fr := []rune(fill)
	if len(fr) == 0 {
		return s
	}
	need := n - int64(len(rs))
	p := make([]rune, 0, need)
	for i := int64(0); i < need; i++ {
		p = append(p, fr[i%int64(len(fr))])
	}
	if left {
		return string(p) + s
	}
	return s + string(p)
}

// textOf is the text form of an argument of any type (concat, format).
func textOf(ctx *EvalContext, t *types.T, d types.Datum) string {
	if s, ok := d.(types.DString); ok && t.Family == types.StringFamily {
		return string(s)
	}
	return types.FormatText(t, d, ctx.Loc())
}

func quoteIdent(s string) string {
	safe := s != ""
	for i, r := range s {
		if !((r >= 'a' && r <= 'z') || r == '_' || (i > 0 && r >= '0' && r <= '9')) {
			safe = false
			break
		}
	}
	if safe && !reservedWords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedWords are the keywords quote_ident must quote (PostgreSQL's
// reserved and type/function-name keywords most often met).
var reservedWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric authorization binary both case cast
		check collate collation column concurrently constraint create cross current_catalog current_date current_role
		current_schema current_time current_timestamp current_user default deferrable desc distinct do else end except
		false fetch for foreign freeze from full grant group having ilike in initially inner intersect into is isnull join
		lateral leading left like limit localtime localtimestamp natural not notnull null offset on only or order outer
		overlaps placing primary references returning right select session_user similar some symmetric table tablesample
		then to trailing true union unique user using variadic verbose when where window with between bigint bit boolean
		char character coalesce dec decimal exists extract float greatest grouping inout int integer interval least
		national nchar none normalize nullif numeric out overlay position precision real row setof smallint substring
		time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces
		xmlparse xmlpi xmlroot xmlserialize xmltable`) {
		reservedWords[w] = true
	}
}

func quoteLiteral(s string) string {
	if strings.Contains(s, `\`) {
		return "E'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// format implements format(fmt, args...): %s, %I, %L, %% with optional
// n$ positions, - flag and width (also *).
func format(ctx *EvalContext, argTypes []*types.T, f string, args []types.Datum) (types.Datum, error) {
	var b strings.Builder
	next := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(f) {
			return nil, errorf(CodeInvalidParameterValue, "unterminated format() type specifier")
		}
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		// [n$][flags][width]type
		argPos := -1
		j := i
		for j < len(f) && f[j] >= '0' && f[j] <= '9' {
			j++
		}
		if j < len(f) && f[j] == '$' && j > i {
			n, _ := strconv.Atoi(f[i:j])
			if n == 0 {
				return nil, errorf(CodeInvalidParameterValue, "format specifies argument 0, but arguments are numbered from 1")
			}
			argPos = n - 1
			i = j + 1
		}
		leftAlign := false
		for i < len(f) && f[i] == '-' {
			leftAlign = true
			i++
		}
		width := 0
		if i < len(f) && f[i] == '*' {
			i++
			if next >= len(args) {
				return nil, errorf(CodeInvalidParameterValue, "too few arguments for format()")
			}
			if w, ok := args[next].(types.DInt); ok {
				width = int(w)
				if width < 0 {
					leftAlign, width = true, -width
				}
			}
			next++
		} else {
			j = i
			for j < len(f) && f[j] >= '0' && f[j] <= '9' {
				j++
			}
			if j > i {
				width, _ = strconv.Atoi(f[i:j])
				i = j
			}
		}
		if i >= len(f) {
			return nil, errorf(CodeInvalidParameterValue, "unterminated format() type specifier")
		}
		typ := f[i]
		if argPos < 0 {
			argPos = next
		}
		next = argPos + 1
		if typ != 's' && typ != 'I' && typ != 'L' {
			return nil, errorf(CodeInvalidParameterValue, "unrecognized format() type specifier \"%c\"", typ)
		}
		if argPos >= len(args) {
			return nil, errorf(CodeInvalidParameterValue, "too few arguments for format()")
		}
		d := args[argPos]
		var s string
		switch typ {
		case 's':
			if !types.IsNull(d) {
				s = textOf(ctx, argTypes[argPos], d)
			}
		case 'I':
			if types.IsNull(d) {
				return nil, errorf(CodeNullValueNotAllowed, "null values cannot be formatted as an SQL identifier")
			}
			s = quoteIdent(textOf(ctx, argTypes[argPos], d))
		case 'L':
			if types.IsNull(d) {
				s = "NULL"
			} else {
				s = quoteLiteral(textOf(ctx, argTypes[argPos], d))
			}
		}
		if n := utf8.RuneCountInString(s); n < width {
			if leftAlign {
				s += strings.Repeat(" ", width-n)
			} else {
				s = strings.Repeat(" ", width-n) + s
			}
		}
		b.WriteString(s)
	}
	return types.DString(b.String()), nil
}

// pgReplacement converts a PostgreSQL regexp_replace replacement (\1..\9,
// \& for the whole match, \\ for a backslash) into Go's template syntax.
func pgReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(r):
			n := r[i+1]
			switch {
			case n >= '1' && n <= '9':
				b.WriteString("${" + string(n) + "}")
				i++
			case n == '&':
				b.WriteString("${0}")
				i++
			case n == '\\':
				b.WriteByte('\\')
				i++
			default:
				b.WriteByte('\\')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func regexpReplace(s, pat, repl, flags string) (types.Datum, error) {
	o, err := parseRegexOpts(flags)
	if err != nil {
		return nil, err
	}
	n := int64(1)
	if o.global {
		n = 0
	}
	return regexpReplaceFrom(s, pat, repl, o, 1, n)
}

// regexpSplit is regexp_split_to_array(s, pattern [, flags]).
func regexpSplit(fn string, a []types.Datum) (*types.DArray, error) {
	flags := ""
	if len(a) > 2 {
		flags = str(a[2])
	}
	o, err := regexOptsNoGlobal(fn, flags)
	if err != nil {
		return nil, err
	}
	re, err := o.compile(str(a[1]))
	if err != nil {
		return nil, err
	}
	return textArray(re.Split(str(a[0]), -1), nil), nil
}

func textArray(ss []string, nullIf func(string) bool) *types.DArray {
	a := &types.DArray{Elem: types.String, Elems: make([]types.Datum, len(ss))}
	for i, s := range ss {
		if nullIf != nil && nullIf(s) {
			a.Elems[i] = types.Null
		} else {
			a.Elems[i] = types.DString(s)
		}
	}
	return a
}

var textArrayT, _ = types.MakeArray(types.String)

func init() {
	T, I4, I8, B, BY := types.String, types.Int4, types.Int8, types.Bool, types.Bytes
	s0 := func(a []types.Datum) string { return str(a[0]) }
	for _, n := range []string{"length", "char_length", "character_length"} {
		def(n, I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return dint(int64(utf8.RuneCountInString(s0(a)))), nil
		}, T)
	}
	def("length", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return dint(int64(len(a[0].(types.DBytes)))), nil
	}, BY)
	def("octet_length", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return dint(int64(len(s0(a)))), nil }, T)
	def("octet_length", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return dint(int64(len(a[0].(types.DBytes)))), nil
	}, BY)
	def("bit_length", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return dint(int64(8 * len(s0(a)))), nil }, T)
	// lower/upper/initcap map case per character with Unicode's simple
	// case mapping, as PostgreSQL does in a UTF-8 ctype locale (C.UTF-8,
	// en_US.UTF-8: towlower/towupper, iswalnum for initcap's words).
	def("lower", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return dstr(strings.ToLower(s0(a))), nil }, T)
	def("upper", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return dstr(strings.ToUpper(s0(a))), nil }, T)
	def("initcap", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		var b strings.Builder
		inWord := false
		for _, r := range s0(a) {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				if inWord {
					b.WriteRune(unicode.ToLower(r))
				} else {
					b.WriteRune(unicode.ToUpper(r))
				}
				inWord = true
			} else {
				b.WriteRune(r)
				inWord = false
			}
		}
		return dstr(b.String()), nil
	}, T)
	for _, n := range []string{"substr", "substring"} {
		def(n, T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			s, err := substrRunes(s0(a), in(a[1]), 0, false)
			return dstr(s), err
		}, T, I4)
		def(n, T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			s, err := substrRunes(s0(a), in(a[1]), in(a[2]), true)
			return dstr(s), err
		}, T, I4, I4)
		def(n, BY, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			b := string(a[0].(types.DBytes))
			from := max(in(a[1])-1, 0)
			if from >= int64(len(b)) {
				return types.DBytes(""), nil
			}
			return types.DBytes(b[from:]), nil
		}, BY, I4)
		def(n, BY, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			b := string(a[0].(types.DBytes))
			if in(a[2]) < 0 {
				return nil, errorf(CodeSubstringError, "negative substring length not allowed")
			}
			from, to := in(a[1])-1, in(a[1])-1+in(a[2])
			from, to = max(from, 0), min(to, int64(len(b)))
			if from >= to {
				return types.DBytes(""), nil
			}
			return types.DBytes(b[from:to]), nil
		}, BY, I4, I4)
	}
	// substring(text FROM pattern): the first match, or its first group.
	def("substring", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		re, err := compileRegex(str(a[1]), false)
		if err != nil {
			return nil, err
		}
		m := re.FindStringSubmatchIndex(s0(a))
		if m == nil {
			return types.Null, nil
		}
		if len(m) > 2 {
			if m[2] < 0 {
				return types.Null, nil
			}
			return dstr(s0(a)[m[2]:m[3]]), nil
		}
		return dstr(s0(a)[m[0]:m[1]]), nil
	}, T, T)
	// substring(text SIMILAR pattern ESCAPE e), also substring(s, pattern,
	// e): the text the part of the pattern between the two escape-double-
	// quote separators matches (the part before them as short as
	// possible), or the whole match without separators.
	def("substring", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return similarSubstring(s0(a), str(a[1]), str(a[2]))
	}, T, T, T)
	for _, n := range []string{"position", "strpos"} {
		def(n, I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return dint(strposRunes(s0(a), str(a[1]))), nil
		}, T, T)
	}
	def("position", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		i := strings.Index(string(a[0].(types.DBytes)), string(a[1].(types.DBytes)))
		return dint(int64(i + 1)), nil
	}, BY, BY)
	for _, v := range []struct {
		name        string
		left, right bool
	}{{"btrim", true, true}, {"ltrim", true, false}, {"rtrim", false, true}} {
		v := v
		def(v.name, T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return dstr(trimChars(s0(a), " ", v.left, v.right)), nil
		}, T)
		def(v.name, T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return dstr(trimChars(s0(a), str(a[1]), v.left, v.right)), nil
		}, T, T)
	}
	for _, left := range []bool{true, false} {
		name := "rpad"
		if left {
			name = "lpad"
		}
		left := left
		def(name, T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return dstr(pad(s0(a), in(a[1]), " ", left)), nil
		}, T, I4)
		def(name, T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return dstr(pad(s0(a), in(a[1]), str(a[2]), left)), nil
		}, T, I4, T)
	}
	def("replace", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		if str(a[1]) == "" {
			return a[0], nil
		}
		return dstr(strings.ReplaceAll(s0(a), str(a[1]), str(a[2]))), nil
	}, T, T, T)
	def("translate", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		from, to := []rune(str(a[1])), []rune(str(a[2]))
		var b strings.Builder
		for _, r := range s0(a) {
			idx := -1
			for i, f := range from {
				if f == r {
					idx = i
					break
				}
			}
			switch {
			case idx < 0:
				b.WriteRune(r)
			case idx < len(to):
				b.WriteRune(to[idx])
			}
		}
		return dstr(b.String()), nil
	}, T, T, T)
	def("split_part", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		s, d, n := s0(a), str(a[1]), in(a[2])
		if n == 0 {
			return nil, errorf(CodeInvalidParameterValue, "field position must not be zero")
		}
		var parts []string
		if d == "" {
			parts = []string{s}
			if s == "" {
				parts = nil
			}
		} else {
			parts = strings.Split(s, d)
		}
		if n < 0 {
			n = int64(len(parts)) + n + 1
			if n < 1 {
				return dstr(""), nil
			}
		}
		if n > int64(len(parts)) {
			return dstr(""), nil
		}
		return dstr(parts[n-1]), nil
	}, T, T, I4)
	concat := &FuncOverload{Name: "concat", Class: Normal, Args: []*types.T{anyType}, Return: T, Variadic: true,
		CalledOnNull: true, Volatility: Stable}
	concat.bind = func(o *FuncOverload) {
		ts := o.Args
		o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			var b strings.Builder
			for i, d := range a {
				if !types.IsNull(d) {
					b.WriteString(textOf(ctx, ts[i], d))
				}
			}
			return dstr(b.String()), nil
		}
	}
	addFunc(concat)
	concatWS := &FuncOverload{Name: "concat_ws", Class: Normal, Args: []*types.T{T, anyType}, Return: T, Variadic: true,
		CalledOnNull: true, Volatility: Stable}
	concatWS.bind = func(o *FuncOverload) {
		ts := o.Args
		o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			if types.IsNull(a[0]) {
				return types.Null, nil
			}
			var parts []string
			for i, d := range a[1:] {
				if !types.IsNull(d) {
					parts = append(parts, textOf(ctx, ts[i+1], d))
				}
			}
			return dstr(strings.Join(parts, str(a[0]))), nil
		}
	}
	addFunc(concatWS)
	formatFn := &FuncOverload{Name: "format", Class: Normal, Args: []*types.T{T, anyType}, Return: T, Variadic: true,
		CalledOnNull: true, Volatility: Stable}
	formatFn.bind = func(o *FuncOverload) {
		ts := o.Args
		o.Fn = func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			if types.IsNull(a[0]) {
				return types.Null, nil
			}
			return format(ctx, ts[1:], str(a[0]), a[1:])
		}
	}
	addFunc(formatFn)
	def("format", T, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		return format(ctx, nil, s0(a), nil)
	}, T)
	def("left", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		rs, n := []rune(s0(a)), in(a[1])
		if n < 0 {
			n = max(int64(len(rs))+n, 0)
		}
		return dstr(string(rs[:min(n, int64(len(rs)))])), nil
	}, T, I4)
	def("right", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		rs, n := []rune(s0(a)), in(a[1])
		if n < 0 {
			n = max(int64(len(rs))+n, 0)
		}
		n = min(n, int64(len(rs)))
		return dstr(string(rs[int64(len(rs))-n:])), nil
	}, T, I4)
	def("repeat", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		n := in(a[1])
		if n <= 0 {
			return dstr(""), nil
		}
		if int64(len(s0(a)))*n > 1<<30 {
			return nil, errorf(CodeProgramLimitExceeded, "requested length too large")
		}
		return dstr(strings.Repeat(s0(a), int(n))), nil
	}, T, I4)
	def("reverse", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		rs := []rune(s0(a))
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
		return dstr(string(rs)), nil
	}, T)
	def("md5", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		h := md5.Sum([]byte(s0(a)))
		return dstr(hex.EncodeToString(h[:])), nil
	}, T)
	def("md5", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		h := md5.Sum([]byte(a[0].(types.DBytes)))
		return dstr(hex.EncodeToString(h[:])), nil
	}, BY)
	def("to_hex", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return dstr(strconv.FormatUint(uint64(uint32(in(a[0]))), 16)), nil
	}, I4)
	def("to_hex", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return dstr(strconv.FormatUint(uint64(in(a[0])), 16)), nil
	}, I8)
	def("ascii", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		r, _ := utf8.DecodeRuneInString(s0(a))
		if s0(a) == "" {
			r = 0
		}
		return dint(int64(r)), nil
	}, T)
	def("chr", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		c := in(a[0])
		switch {
		case c == 0:
			return nil, errorf(CodeProgramLimitExceeded, "null character not permitted")
		case c < 0:
			return nil, errorf(CodeProgramLimitExceeded, "character number must be positive")
		case c > utf8.MaxRune || (c >= 0xD800 && c <= 0xDFFF):
			return nil, errorf(CodeProgramLimitExceeded, "requested character too large for encoding: %d", c)
		}
		return dstr(string(rune(c))), nil
	}, I4)
	def("starts_with", B, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return types.DBool(strings.HasPrefix(s0(a), str(a[1]))), nil
	}, T, T)
	def("like_escape", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		s, err := likeEscape(s0(a), str(a[1]))
		return dstr(s), err
	}, T, T)
	def("regexp_replace", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return regexpReplace(s0(a), str(a[1]), str(a[2]), "")
	}, T, T, T)
	def("regexp_replace", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return regexpReplace(s0(a), str(a[1]), str(a[2]), str(a[3]))
	}, T, T, T, T)
	regexpMatch := func(s, pat, flags string) (types.Datum, error) {
		o, err := regexOptsNoGlobal("regexp_match", flags)
		if err != nil {
			return nil, err
		}
		re, err := o.compile(pat)
		if err != nil {
			return nil, err
		}
		m := re.FindStringSubmatchIndex(s)
		if m == nil {
			return types.Null, nil
		}
		if len(m) == 2 {
			return textArray([]string{s[m[0]:m[1]]}, nil), nil
		}
		out := &types.DArray{Elem: types.String}
		for g := 1; g < len(m)/2; g++ {
			if m[2*g] < 0 {
				out.Elems = append(out.Elems, types.Null)
			} else {
				out.Elems = append(out.Elems, dstr(s[m[2*g]:m[2*g+1]]))
			}
		}
		return out, nil
	}
	def("regexp_match", textArrayT, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return regexpMatch(s0(a), str(a[1]), "")
	}, T, T)
	def("regexp_match", textArrayT, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return regexpMatch(s0(a), str(a[1]), str(a[2]))
	}, T, T, T)
	splitArray := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		d, err := regexpSplit("regexp_split_to_array", a)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	def("regexp_split_to_array", textArrayT, splitArray, T, T)
	def("regexp_split_to_array", textArrayT, splitArray, T, T, T)
	def("quote_ident", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return dstr(quoteIdent(s0(a))), nil }, T)
	def("quote_literal", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return dstr(quoteLiteral(s0(a))), nil }, T)
	// quote_literal(anyelement), quote_nullable(anyelement): the value's
	// text, quoted.
	for _, name := range []string{"quote_literal", "quote_nullable"} {
		polyFunc(name, []*types.T{anyElement}, T, name == "quote_nullable", func(o *FuncOverload) fnImpl {
			t := o.Args[0]
			return func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
				if types.IsNull(a[0]) {
					return dstr("NULL"), nil
				}
				s, err := types.Cast(a[0], t, types.String, ctx.Loc())
				if err != nil {
					return nil, err
				}
				return dstr(quoteLiteral(str(s))), nil
			}
		})
	}
	def("quote_nullable", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		if types.IsNull(a[0]) {
			return dstr("NULL"), nil
		}
		return dstr(quoteLiteral(s0(a))), nil
	}, T).onNull()
	def("string_to_array", textArrayT, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return stringToArray(a, false)
	}, T, T).onNull()
	def("string_to_array", textArrayT, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return stringToArray(a, true)
	}, T, T, T).onNull()
	def("encode", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		b := []byte(a[0].(types.DBytes))
		switch asciiLower(str(a[1])) {
		case "hex":
			return dstr(hex.EncodeToString(b)), nil
		case "base64":
			return dstr(wrap76(base64.StdEncoding.EncodeToString(b))), nil
		case "escape":
			var sb strings.Builder
			for _, c := range b {
				switch {
				case c == '\\':
					sb.WriteString(`\\`)
				case c == 0 || c >= 0x80:
					sb.WriteString(`\` + strconv.FormatInt(int64(c)|0o1000, 8)[1:])
				default:
					sb.WriteByte(c)
				}
			}
			return dstr(sb.String()), nil
		}
		return nil, errorf(CodeInvalidParameterValue, "unrecognized encoding: \"%s\"", str(a[1]))
	}, BY, T)
	def("decode", BY, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		s := s0(a)
		switch asciiLower(str(a[1])) {
		case "hex":
			b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
			if err != nil {
				return nil, errorf(CodeInvalidParameterValue, "invalid hexadecimal data")
			}
			return types.DBytes(b), nil
		case "base64":
			b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
			if err != nil {
				return nil, errorf(CodeInvalidParameterValue, "invalid base64 end sequence")
			}
			return types.DBytes(b), nil
		case "escape":
			d, err := types.ParseText(types.Bytes, s, nil)
			if err != nil {
				return nil, err
			}
			return d, nil
		}
		return nil, errorf(CodeInvalidParameterValue, "unrecognized encoding: \"%s\"", str(a[1]))
	}, T, T)
}

func wrap76(s string) string {
	if len(s) <= 76 {
		return s
	}
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteByte('\n')
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

func stringToArray(a []types.Datum, haveNull bool) (types.Datum, error) {
	if types.IsNull(a[0]) {
		return types.Null, nil
	}
	s := str(a[0])
	var nullIf func(string) bool
	if haveNull && !types.IsNull(a[2]) {
		ns := str(a[2])
		nullIf = func(x string) bool { return x == ns }
	}
	if s == "" {
		return &types.DArray{Elem: types.String}, nil
	}
	if types.IsNull(a[1]) {
		var parts []string
		for _, r := range s {
			parts = append(parts, string(r))
		}
		return textArray(parts, nullIf), nil
	}
	d := str(a[1])
	if d == "" {
		return textArray([]string{s}, nullIf), nil
	}
	return textArray(strings.Split(s, d), nullIf), nil
}

func similarSubstring(s, pat, esc string) (types.Datum, error) {
	parts := []string{pat}
	if esc != "" {
		parts = strings.Split(pat, esc+`"`)
	}
	if len(parts) > 3 {
		return nil, errorf("2200C", "SQL regular expression may not contain more than two escape-double-quote separators")
	}
	var res []*regexp.Regexp
	var srcs []string // the parts as expressions, unanchored
	for _, p := range parts {
		r, err := similarToRegex(p, esc, true)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, strings.TrimSuffix(strings.TrimPrefix(r, "^"), "$"))
		c, err := compileRegex(r, false)
		if err != nil {
			return nil, err
		}
		res = append(res, c)
	}
	if len(res) == 1 {
		if res[0].MatchString(s) {
			return dstr(s), nil
		}
		return types.Null, nil
	}
	if len(res) == 2 {
		res, srcs = append(res, regexp.MustCompile(`^$`)), append(srcs, "")
	}
	// The first part as short as possible, then the middle as long as
	// possible, the rest matching the third (cut at character boundaries).
	var cuts []int
	for i := range s {
		cuts = append(cuts, i)
	}
	cuts = append(cuts, len(s))
	if len(cuts) > 1000 {
		// too long to try every cut: one expression, the first part
		// lazy at its top level only
		c, err := compileRegex("^(?:"+srcs[0]+"){1,1}?("+srcs[1]+"){1,1}(?:"+srcs[2]+")$", false)
		if err != nil {
			return nil, err
		}
		if m := c.FindStringSubmatchIndex(s); m != nil && m[2] >= 0 {
			return dstr(s[m[2]:m[3]]), nil
		}
		return types.Null, nil
	}
	for a, l := range cuts {
		if !res[0].MatchString(s[:l]) {
			continue
		}
		for b := len(cuts) - 1; b >= a; b-- {
			m := cuts[b]
			if res[1].MatchString(s[l:m]) && res[2].MatchString(s[m:]) {
				return dstr(s[l:m]), nil
			}
		}
	}
	return types.Null, nil
}
