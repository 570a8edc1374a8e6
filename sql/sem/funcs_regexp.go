package sem

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tesseradb/tessera/sql/types"
)

// regexOpts are the flags of PostgreSQL's regular expression functions
// (table 9.24): g all matches; i/c case; n and its synonym m newline-
// sensitive, p partial, w inverse partial, s (the default) not; q the
// pattern is a literal string; x expanded syntax (white space and #
// comments ignored).
type regexOpts struct {
	global, fold, quote, expanded bool
	// dotNL: '.' and [^...] match a newline; multiLine: ^ and $ match at
	// newlines.
	dotNL, multiLine bool
}

func parseRegexOpts(flags string) (regexOpts, error) {
	o := regexOpts{dotNL: true}
	for _, f := range flags {
		switch f {
		case 'g':
			o.global = true
		case 'i':
			o.fold = true
		case 'c':
			o.fold = false
		case 'n', 'm':
			o.dotNL, o.multiLine = false, true
		case 'p':
			o.dotNL, o.multiLine = false, false
		case 'w':
			o.dotNL, o.multiLine = true, true
		case 's':
			o.dotNL, o.multiLine = true, false
		case 'q':
			o.quote = true
		case 'x':
			o.expanded = true
		case 't', 'e', 'b':
			// tight syntax (the default); ERE and BRE are read as ARE
		default:
			return o, errorf(CodeInvalidParameterValue, "invalid regular expression option: \"%c\"", f)
		}
	}
	return o, nil
}

// regexOptsNoGlobal parses the flags of a function that refuses 'g'.
func regexOptsNoGlobal(fn, flags string) (regexOpts, error) {
	o, err := parseRegexOpts(flags)
	if err == nil && o.global {
		err = errorf(CodeInvalidParameterValue, "%s() does not support the \"global\" option", fn)
	}
	return o, err
}

// compile compiles pattern p under the options (the cache is compileRegex's).
func (o regexOpts) compile(p string) (*regexp.Regexp, error) {
	switch {
	case o.quote:
		p = regexp.QuoteMeta(p)
	case o.expanded:
		p = stripExpanded(p)
	}
	prefix := ""
	if o.multiLine {
		prefix += "m"
	}
	if !o.dotNL {
		// Go's '.' stops at a newline without s; a negated class still
		// matches one, as in PostgreSQL's partial modes only approximately.
		return compileRegexFlags(p, prefix, o.fold)
	}
	return compileRegexFlags(p, prefix+"s", o.fold)
}

// stripExpanded removes the white space and #-to-end-of-line comments of
// an expanded-syntax pattern, except inside brackets or after a backslash.
func stripExpanded(p string) string {
	var b strings.Builder
	inBracket := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			i++
			b.WriteByte(p[i])
		case inBracket:
			if c == ']' {
				inBracket = false
			}
			b.WriteByte(c)
		case c == '[':
			inBracket = true
			b.WriteByte(c)
			if i+1 < len(p) && p[i+1] == ']' {
				i++
				b.WriteByte(p[i])
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case c == '#':
			for i < len(p) && p[i] != '\n' {
				i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// runeOffset is the byte offset of the 1-based character position pos in
// s (len(s) past its end).
func runeOffset(s string, pos int64) int {
	off := 0
	for n := int64(1); n < pos && off < len(s); n++ {
		_, w := utf8.DecodeRuneInString(s[off:])
		off += w
	}
	return off
}

func charPos(s string, byteOff int) int64 { return int64(utf8.RuneCountInString(s[:byteOff])) + 1 }

func checkParam(name string, v int64, ok bool) error {
	if !ok {
		return errorf(CodeInvalidParameterValue, "invalid value for parameter \"%s\": %d", name, v)
	}
	return nil
}

// regexSearch returns the submatch offsets (in s) of the matches at or
// after character position start, at most n of them (n < 0: all).
func regexSearch(re *regexp.Regexp, s string, start int64, n int) [][]int {
	off := runeOffset(s, start)
	ms := re.FindAllStringSubmatchIndex(s[off:], n)
	for _, m := range ms {
		for k := range m {
			if m[k] >= 0 {
				m[k] += off
			}
		}
	}
	return ms
}

// regexpCall reads the optional arguments of regexp_count, regexp_instr,
// regexp_substr: start, then n (from index ni), endoption (ei), flags (fi),
// subexpr (si); an index beyond a's length takes the default.
type regexpArgs struct {
	start, n, endopt, subexpr int64
	opts                      regexOpts
}

func readRegexpArgs(fn string, a []types.Datum, ni, ei, fi, si int) (regexpArgs, error) {
	r := regexpArgs{start: 1, n: 1}
	if len(a) > 2 {
		r.start = in(a[2])
		if err := checkParam("start", r.start, r.start > 0); err != nil {
			return r, err
		}
	}
	if ni > 0 && len(a) > ni {
		r.n = in(a[ni])
		if err := checkParam("n", r.n, r.n > 0); err != nil {
			return r, err
		}
	}
	if ei > 0 && len(a) > ei {
		r.endopt = in(a[ei])
		if err := checkParam("endoption", r.endopt, r.endopt == 0 || r.endopt == 1); err != nil {
			return r, err
		}
	}
	flags := ""
	if fi > 0 && len(a) > fi {
		flags = str(a[fi])
	}
	var err error
	if r.opts, err = regexOptsNoGlobal(fn, flags); err != nil {
		return r, err
	}
	if si > 0 && len(a) > si {
		r.subexpr = in(a[si])
		if err := checkParam("subexpr", r.subexpr, r.subexpr >= 0); err != nil {
			return r, err
		}
	}
	return r, nil
}

// nthRegexpMatch reads the arguments of regexp_instr or regexp_substr
// (string a[0], pattern a[1], the rest at the indexes readRegexpArgs
// takes) and finds the match they ask for in the string.
func nthRegexpMatch(fn string, a []types.Datum, ni, ei, fi, si int) (r regexpArgs, s string, from, to int, ok bool, err error) {
	if r, err = readRegexpArgs(fn, a, ni, ei, fi, si); err != nil {
		return r, "", 0, 0, false, err
	}
	re, err := r.opts.compile(str(a[1]))
	if err != nil {
		return r, "", 0, 0, false, err
	}
	s = str(a[0])
	from, to, ok = r.nthMatch(re, s)
	return r, s, from, to, ok, nil
}

// nthMatch is the offsets of the n-th match (group g of it: -1, -1 when
// the group did not take part or does not exist), ok=false if there are
// fewer matches.
func (r regexpArgs) nthMatch(re *regexp.Regexp, s string) (from, to int, ok bool) {
	ms := regexSearch(re, s, r.start, int(r.n))
	if int64(len(ms)) < r.n {
		return 0, 0, false
	}
	m := ms[r.n-1]
	g := int(r.subexpr)
	if 2*g+1 >= len(m) {
		return -1, -1, true
	}
	return m[2*g], m[2*g+1], true
}

func init() {
	T, I4, B := types.String, types.Int4, types.Bool
	regexpCount := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		r, err := readRegexpArgs("regexp_count", a, 0, 0, 3, 0)
		if err != nil {
			return nil, err
		}
		re, err := r.opts.compile(str(a[1]))
		if err != nil {
			return nil, err
		}
		return dint(int64(len(regexSearch(re, str(a[0]), r.start, -1)))), nil
	}
	def("regexp_count", I4, regexpCount, T, T)
	def("regexp_count", I4, regexpCount, T, T, I4)
	def("regexp_count", I4, regexpCount, T, T, I4, T)
	regexpInstr := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		r, s, from, to, ok, err := nthRegexpMatch("regexp_instr", a, 3, 4, 5, 6)
		if err != nil {
			return nil, err
		}
		if !ok || from < 0 {
			return dint(0), nil
		}
		if r.endopt == 1 {
			return dint(charPos(s, to)), nil
		}
		return dint(charPos(s, from)), nil
	}
	instrArgs := []*types.T{T, T, I4, I4, I4, T, I4}
	for n := 2; n <= len(instrArgs); n++ {
		def("regexp_instr", I4, regexpInstr, instrArgs[:n]...)
	}
	regexpSubstr := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		_, s, from, to, ok, err := nthRegexpMatch("regexp_substr", a, 3, 0, 4, 5)
		if err != nil {
			return nil, err
		}
		if !ok || from < 0 {
			return types.Null, nil
		}
		return dstr(s[from:to]), nil
	}
	substrArgs := []*types.T{T, T, I4, I4, T, I4}
	for n := 2; n <= len(substrArgs); n++ {
		def("regexp_substr", T, regexpSubstr, substrArgs[:n]...)
	}
	regexpLike := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		flags := ""
		if len(a) > 2 {
			flags = str(a[2])
		}
		o, err := regexOptsNoGlobal("regexp_like", flags)
		if err != nil {
			return nil, err
		}
		re, err := o.compile(str(a[1]))
		if err != nil {
			return nil, err
		}
		return types.DBool(re.MatchString(str(a[0]))), nil
	}
	def("regexp_like", B, regexpLike, T, T)
	def("regexp_like", B, regexpLike, T, T, T)
	// regexp_replace(s, pattern, replacement, start [, n [, flags]]): the
	// n-th match at or after start, every one for n = 0.
	regexpReplaceN := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		start, n, flags := in(a[3]), int64(1), ""
		if err := checkParam("start", start, start > 0); err != nil {
			return nil, err
		}
		if len(a) > 4 {
			n = in(a[4])
			if err := checkParam("n", n, n >= 0); err != nil {
				return nil, err
			}
		}
		if len(a) > 5 {
			flags = str(a[5])
		}
		o, err := parseRegexOpts(flags)
		if err != nil {
			return nil, err
		}
		// flags come only with n, and n > 0 replaces the n-th match
		// even under flag g (PostgreSQL 15)
		return regexpReplaceFrom(str(a[0]), str(a[1]), str(a[2]), o, start, n)
	}
	def("regexp_replace", T, regexpReplaceN, T, T, T, I4)
	def("regexp_replace", T, regexpReplaceN, T, T, T, I4, I4)
	def("regexp_replace", T, regexpReplaceN, T, T, T, I4, I4, T)
}

// regexpReplaceFrom replaces the n-th match (every match for n = 0) at or
// after character position start.
func regexpReplaceFrom(s, pat, repl string, o regexOpts, start, n int64) (types.Datum, error) {
	re, err := o.compile(pat)
	if err != nil {
		return nil, err
	}
	tmpl := pgReplacement(repl)
	limit := -1
	if n > 0 {
		limit = int(n)
	}
	ms := regexSearch(re, s, start, limit)
	if n > 0 {
		if int64(len(ms)) < n {
			return types.DString(s), nil
		}
		ms = ms[n-1:]
	}
	var b []byte
	last := 0
	for _, m := range ms {
		b = append(b, s[last:m[0]]...)
		b = re.ExpandString(b, tmpl, s, m)
		last = m[1]
	}
	b = append(b, s[last:]...)
	return types.DString(b), nil
}
