package sem

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tesseradb/tessera/sql/types"
)

// str returns a string datum's text (CHAR values arrive already converted
// to TEXT by Coerce when an overload takes TEXT).
func str(d types.Datum) string { return string(d.(types.DString)) }

// likeMatch reports whether s matches the LIKE pattern p with escape
// character '\' (PostgreSQL's default). Matching is by characters.
func likeMatch(s, p string, fold bool) (bool, error) {
	if fold {
		s, p = strings.ToLower(s), strings.ToLower(p)
	}
	// Validate: the pattern must not end with the escape character.
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' {
			if i == len(p)-1 {
				return false, errorf(CodeInvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			i++
		}
	}
	return likeRec(s, p, 0), nil
}

// likeRec matches with memoisation-free backtracking bounded by the
// pattern's % count (each % tries every suffix once per call chain, with
// consecutive %s collapsed), adequate for SQL patterns.
func likeRec(s, p string, depth int) bool {
	for len(p) > 0 {
		c := p[0]
		switch c {
		case '%':
			for len(p) > 0 && p[0] == '%' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			// Fast path: next literal byte must appear.
			for i := 0; i <= len(s); {
				if likeRec(s[i:], p, depth+1) {
					return true
				}
				if i == len(s) {
					break
				}
				_, sz := utf8.DecodeRuneInString(s[i:])
				i += sz
			}
			return false
		case '_':
			if len(s) == 0 {
				return false
			}
			_, sz := utf8.DecodeRuneInString(s)
			s, p = s[sz:], p[1:]
		case '\\':
			p = p[1:]
			fallthrough
		default:
			_, psz := utf8.DecodeRuneInString(p)
			if len(s) < psz || s[:psz] != p[:psz] {
				return false
			}
			s, p = s[psz:], p[psz:]
		}
	}
	return len(s) == 0
}

// likeEscape rewrites a LIKE pattern with escape character esc ("" for
// none) into one with the default escape '\' (PostgreSQL's like_escape).
func likeEscape(p, esc string) (string, error) {
	if utf8.RuneCountInString(esc) > 1 {
		return "", errorf("22019", "invalid escape string")
	}
	if esc == `\` {
		return p, nil
	}
	var b strings.Builder
	if esc == "" {
		for _, r := range p {
			if r == '\\' {
				b.WriteString(`\\`)
			} else {
				b.WriteRune(r)
			}
		}
		return b.String(), nil
	}
	e, _ := utf8.DecodeRuneInString(esc)
	afterEsc := false
	for _, r := range p {
		switch {
		case afterEsc:
			if r == '\\' {
				b.WriteString(`\\`)
			} else {
				b.WriteRune('\\')
				b.WriteRune(r)
			}
			afterEsc = false
		case r == e:
			afterEsc = true
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteRune(r)
		}
	}
	if afterEsc {
		return "", errorf(CodeInvalidEscapeSequence, "LIKE pattern must not end with escape character")
	}
	return b.String(), nil
}

// regexCache keeps compiled patterns (most are constants of a statement).
var regexCache = struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}{m: map[string]*regexp.Regexp{}}

// compileRegex compiles a PostgreSQL regular expression (ARE, with Go's
// RE2 subset); '.' matches newlines as in PostgreSQL's default mode.
func compileRegex(p string, fold bool) (*regexp.Regexp, error) {
	return compileRegexFlags(p, "s", fold)
}

// compileRegexFlags compiles p with Go's flags (a subset of "ms") and i
// for fold, through a cache of compiled patterns.
func compileRegexFlags(p, goFlags string, fold bool) (*regexp.Regexp, error) {
	if fold {
		goFlags += "i"
	}
	flags := ""
	if goFlags != "" {
		flags = "(?" + goFlags + ")"
	}
	key := flags + "\x00" + p
	regexCache.Lock()
	re, ok := regexCache.m[key]
	regexCache.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(flags + p)
	if err != nil {
		msg := err.Error()
		if e, ok := err.(*syntax.Error); ok {
			msg = string(e.Code)
		}
		return nil, errorf(CodeInvalidRegex, "invalid regular expression: %s", msg)
	}
	regexCache.Lock()
	if len(regexCache.m) > 1000 {
		regexCache.m = map[string]*regexp.Regexp{}
	}
	regexCache.m[key] = re
	regexCache.Unlock()
	return re, nil
}

func init() {
	T := types.String
	b := func(op BinaryOp, l, r, ret *types.T, fn BinaryFn) {
		addBinary(&BinaryOverload{Op: op, Left: l, Right: r, Return: ret, Fn: fn})
	}
	b(OpConcat, T, T, T, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return types.DString(str(l) + str(r)), nil
	})
	addBinary(&BinaryOverload{Op: OpConcat, Left: anyNonArray, Right: T, Return: T, Volatility: Stable,
		bind: func(o *BinaryOverload) { o.Fn = concatAnyFn(o.Left, true) }})
	addBinary(&BinaryOverload{Op: OpConcat, Left: T, Right: anyNonArray, Return: T, Volatility: Stable,
		bind: func(o *BinaryOverload) { o.Fn = concatAnyFn(o.Right, false) }})
	b(OpConcat, types.Bytes, types.Bytes, types.Bytes, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return l.(types.DBytes) + r.(types.DBytes), nil
	})
	for _, op := range []BinaryOp{OpLike, OpNotLike, OpILike, OpNotILike} {
		neg := op == OpNotLike || op == OpNotILike
		fold := op == OpILike || op == OpNotILike
		fn := func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			m, err := likeMatch(str(l), str(r), fold)
			if err != nil {
				return nil, err
			}
			return types.DBool(m != neg), nil
		}
		b(op, T, T, types.Bool, fn)
		b(op, types.BPChar, T, types.Bool, fn)
		if !fold {
			b(op, types.Bytes, types.Bytes, types.Bool, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
				m, err := likeMatch(string(l.(types.DBytes)), string(r.(types.DBytes)), false)
				if err != nil {
					return nil, err
				}
				return types.DBool(m != neg), nil
			})
		}
	}
	for _, op := range []BinaryOp{OpRegMatch, OpNotRegMatch, OpRegIMatch, OpNotRegIMatch} {
		neg := op == OpNotRegMatch || op == OpNotRegIMatch
		fold := op == OpRegIMatch || op == OpNotRegIMatch
		fn := func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			re, err := compileRegex(str(r), fold)
			if err != nil {
				return nil, err
			}
			return types.DBool(re.MatchString(str(l)) != neg), nil
		}
		b(op, T, T, types.Bool, fn)
		b(op, types.BPChar, T, types.Bool, fn)
	}
}

// concatAnyFn returns the || implementation for a non-text operand of
// type t on the left (or right): the operand cast to text.
func concatAnyFn(t *types.T, left bool) BinaryFn {
	return func(ctx *EvalContext, l, r types.Datum) (types.Datum, error) {
		// anytextcat / textanycat: $1::text || $2.
		if left {
			s, err := types.Cast(l, t, types.String, ctx.Loc())
			if err != nil {
				return nil, err
			}
			return types.DString(str(s) + str(r)), nil
		}
		s, err := types.Cast(r, t, types.String, ctx.Loc())
		if err != nil {
			return nil, err
		}
		return types.DString(str(l) + str(s)), nil
	}
}
