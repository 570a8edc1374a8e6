package pgdialect

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind classifies a token.
type Kind uint8

// Token kinds.
const (
	EOF    Kind = iota
	Ident       // unquoted identifier or keyword; Val is folded to lower case
	QIdent      // "quoted identifier"; Val is the identifier
	String      // any string literal ('', E'', $$, U&''); Val is the decoded value
	BitStr      // B'0101' or X'ff'; Val is the raw text inside the quotes, Raw keeps the prefix
	Int         // integer literal; Val is the digits
	Num         // decimal or float literal; Val is the text
	Param       // $n; Num holds n
	Op          // operator (possibly multi-char)
	Punct       // ( ) [ ] , ; . :
)

// Token is one lexical token of PostgreSQL text.
type Token struct {
	Kind Kind
	Val  string
	// Pos and End are byte offsets of the token in the original text.
	Pos, End int
	N        int // parameter number for Param
}

// Raw returns the token's original text.
func (t Token) Raw(src string) string { return src[t.Pos:t.End] }

// Is reports whether t is the unquoted keyword kw (lower case).
func (t Token) Is(kw string) bool { return t.Kind == Ident && t.Val == kw }

// IsP reports whether t is the punctuation or operator p.
func (t Token) IsP(p string) bool { return (t.Kind == Punct || t.Kind == Op) && t.Val == p }

// LexError is a lexical error at byte offset Pos of the original text.
type LexError struct {
	Pos  int
	Msg  string
	Near string // the text the error is "at or near"; empty for end of input
	Code string // SQLSTATE
}

func (e *LexError) Error() string { return e.Msg }

const opChars = "+-*/<>=~!@#%^&|`?"

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentCont(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') || c == '$' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// EOFPad is the number of EOF tokens that end every token slice of Lex.
const EOFPad = 16

// Lex splits src into tokens following PostgreSQL's lexical rules. It never
// panics; malformed input yields a *LexError. The slice ends with EOFPad
// EOF tokens, so that callers may look ahead a fixed number of tokens
// without bounds checks.
func Lex(src string) ([]Token, error) {
	return LexInto(nil, src)
}

// LexInto is Lex appending to dst[:0], so that callers can reuse a slice.
func LexInto(dst []Token, src string) ([]Token, error) {
	toks := dst[:0]
	if want := len(src)/3 + 4 + EOFPad; cap(toks) < want {
		toks = make([]Token, 0, want)
	}
	i := 0
	n := len(src)
	for {
		// skip whitespace and comments
		for i < n {
			c := src[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
				i++
				continue
			}
			if c == '-' && i+1 < n && src[i+1] == '-' {
				for i < n && src[i] != '\n' {
					i++
				}
				continue
			}
			if c == '/' && i+1 < n && src[i+1] == '*' {
				start := i
				depth := 0
				for i < n {
					if src[i] == '/' && i+1 < n && src[i+1] == '*' {
						depth++
						i += 2
						continue
					}
					if src[i] == '*' && i+1 < n && src[i+1] == '/' {
						depth--
						i += 2
						if depth == 0 {
							break
						}
						continue
					}
					i++
				}
				if depth != 0 {
					return nil, &LexError{Pos: start, Msg: "unterminated /* comment", Near: src[start:min(n, start+2)], Code: "42601"}
				}
				continue
			}
			break
		}
		if i >= n {
			// EOFPad EOF tokens: lookahead of up to EOFPad tokens past
			// any token never runs off the slice.
			for k := 0; k < EOFPad; k++ {
				toks = push(toks, EOF, "", n, n, 0)
			}
			return toks, nil
		}
		start := i
		c := src[i]
		switch {
		case (c == 'e' || c == 'E') && i+1 < n && src[i+1] == '\'':
			val, end, err := lexEString(src, i+1)
			if err != nil {
				return nil, err
			}
			toks = push(toks, String, val, start, end, 0)
			i = end
		case (c == 'b' || c == 'B' || c == 'x' || c == 'X') && i+1 < n && src[i+1] == '\'':
			val, end, err := lexStdString(src, i+1)
			if err != nil {
				return nil, err
			}
			toks = push(toks, BitStr, val, start, end, 0)
			i = end
		case (c == 'n' || c == 'N') && i+1 < n && src[i+1] == '\'':
			val, end, err := lexStdString(src, i+1)
			if err != nil {
				return nil, err
			}
			toks = push(toks, String, val, start, end, 0)
			i = end
		case (c == 'u' || c == 'U') && i+2 < n && src[i+1] == '&' && (src[i+2] == '\'' || src[i+2] == '"'):
			return nil, &LexError{Pos: start, Msg: "Unicode escape strings (U&) are not supported", Near: src[start : i+2], Code: "0A000"}
		case isIdentStart(c):
			for i < n && isIdentCont(src[i]) {
				i++
			}
			toks = push(toks, Ident, foldIdent(src[start:i]), start, i, 0)
		case c == '"':
			var b strings.Builder
			i++
			closed := false
			for i < n {
				if src[i] == '"' {
					if i+1 < n && src[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				return nil, &LexError{Pos: start, Msg: "unterminated quoted identifier", Near: src[start:min(n, start+1)], Code: "42601"}
			}
			if b.Len() == 0 {
				return nil, &LexError{Pos: start, Msg: "zero-length delimited identifier", Near: `""`, Code: "42601"}
			}
			toks = push(toks, QIdent, b.String(), start, i, 0)
		case c == '\'':
			val, end, err := lexStdString(src, i)
			if err != nil {
				return nil, err
			}
			toks = push(toks, String, val, start, end, 0)
			i = end
		case c == '$':
			if i+1 < n && isDigit(src[i+1]) {
				j := i + 1
				for j < n && isDigit(src[j]) {
					j++
				}
				if j < n && isIdentCont(src[j]) {
					return nil, &LexError{Pos: start, Msg: "trailing junk after parameter", Near: src[start : j+1], Code: "42601"}
				}
				num, err := strconv.Atoi(src[i+1 : j])
				if err != nil || num <= 0 || num > 65535 {
					return nil, &LexError{Pos: start, Msg: "there is no parameter " + src[start:j], Near: src[start:j], Code: "42P02"}
				}
				toks = push(toks, Param, src[start:j], start, j, num)
				i = j
				continue
			}
			// dollar quote $tag$...$tag$
			j := i + 1
			for j < n && src[j] != '$' && isIdentCont(src[j]) && src[j] != '$' {
				j++
			}
			if j >= n || src[j] != '$' || (j > i+1 && isDigit(src[i+1])) {
				return nil, &LexError{Pos: start, Msg: "syntax error", Near: "$", Code: "42601"}
			}
			tag := src[i : j+1]
			k := strings.Index(src[j+1:], tag)
			if k < 0 {
				return nil, &LexError{Pos: start, Msg: "unterminated dollar-quoted string", Near: tag, Code: "42601"}
			}
			val := src[j+1 : j+1+k]
			i = j + 1 + k + len(tag)
			toks = push(toks, String, val, start, i, 0)
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(src[i+1])):
			tok, err := lexNumber(src, i)
			if err != nil {
				return nil, err
			}
			toks = push(toks, tok.Kind, tok.Val, tok.Pos, tok.End, tok.N)
			i = tok.End
		case c == ':' && i+1 < n && src[i+1] == ':':
			toks = push(toks, Op, "::", start, i+2, 0)
			i += 2
		case c == ':' && i+1 < n && src[i+1] == '=':
			toks = push(toks, Op, ":=", start, i+2, 0)
			i += 2
		case strings.IndexByte("()[],;.:", c) >= 0:
			toks = push(toks, Punct, src[i:i+1], start, i+1, 0)
			i++
		case c == '`':
			return nil, &LexError{Pos: start, Msg: "syntax error", Near: "`", Code: "42601"}
		case strings.IndexByte(opChars, c) >= 0:
			j := i
			for j < n && strings.IndexByte(opChars, src[j]) >= 0 {
				// a comment start ends the operator
				if j+1 < n && ((src[j] == '-' && src[j+1] == '-') || (src[j] == '/' && src[j+1] == '*')) {
					break
				}
				j++
			}
			op := src[i:j]
			// PostgreSQL: a multi-char operator cannot end in + or - unless it
			// contains one of ~ ! @ # % ^ & | ` ?
			if len(op) > 1 && (op[len(op)-1] == '+' || op[len(op)-1] == '-') && !strings.ContainsAny(op, "~!@#%^&|`?") {
				for len(op) > 1 && (op[len(op)-1] == '+' || op[len(op)-1] == '-') {
					op = op[:len(op)-1]
				}
				j = i + len(op)
			}
			if op == "!=" {
				op = "<>"
			}
			toks = push(toks, Op, op, start, j, 0)
			i = j
		default:
			_, size := utf8.DecodeRuneInString(src[i:])
			return nil, &LexError{Pos: start, Msg: "syntax error", Near: src[i : i+size], Code: "42601"}
		}
	}
}

// push appends a token field by field: storing a whole Token into a
// reused slice copies it with a bulk write barrier while the garbage
// collector runs, which costs more than the lexing itself.
func push(toks []Token, kind Kind, val string, pos, end, n int) []Token {
	if len(toks) == cap(toks) {
		toks = append(toks, Token{})[:len(toks)]
	}
	toks = toks[:len(toks)+1]
	t := &toks[len(toks)-1]
	t.Kind, t.Val, t.Pos, t.End, t.N = kind, val, pos, end, n
	return toks
}

func foldIdent(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			if k, ok := upperKeywords[s]; ok {
				return k
			}
			return strings.ToLower(s)
		}
	}
	return s
}

// upperKeywords interns the upper-case spellings of common keywords, so
// that folding them does not allocate.
var upperKeywords = func() map[string]string {
	m := map[string]string{}
	for _, k := range strings.Fields(`select from where and or not in is null as on join left right inner outer
		insert into values update set delete returning order by group having limit offset asc desc
		distinct case when then else end exists between like ilike union all any true false default
		create table index primary key references unique begin commit rollback with cast interval
		timestamp date text int integer bigint varchar numeric boolean now current_timestamp count sum
		for share nowait conflict do nothing excluded fetch first next rows only`) {
		m[strings.ToUpper(k)] = k
	}
	return m
}()

// lexStdString reads a standard-conforming '...' string starting at the
// quote at src[i], including adjacent strings separated by a newline.
func lexStdString(src string, i int) (string, int, error) {
	start := i
	var b strings.Builder
	n := len(src)
	i++
	for {
		if i >= n {
			return "", 0, &LexError{Pos: start, Msg: "unterminated quoted string", Near: src[start:min(n, start+1)], Code: "42601"}
		}
		if src[i] == '\'' {
			if i+1 < n && src[i+1] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			i++
			if j, ok := continuation(src, i); ok {
				i = j + 1
				continue
			}
			return b.String(), i, nil
		}
		b.WriteByte(src[i])
		i++
	}
}

// continuation reports whether a string literal ending at i continues
// with whitespace containing a newline and another quote (SQL standard).
func continuation(src string, i int) (int, bool) {
	nl := false
	for i < len(src) {
		switch src[i] {
		case ' ', '\t', '\r', '\f':
		case '\n':
			nl = true
		case '\'':
			return i, nl
		default:
			return 0, false
		}
		i++
	}
	return 0, false
}

func lexEString(src string, i int) (string, int, error) {
	start := i - 1
	var b strings.Builder
	n := len(src)
	i++
	for {
		if i >= n {
			return "", 0, &LexError{Pos: start, Msg: "unterminated quoted string", Near: src[start:min(n, start+2)], Code: "42601"}
		}
		c := src[i]
		switch {
		case c == '\'':
			if i+1 < n && src[i+1] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			i++
			if j, ok := continuation(src, i); ok {
				i = j + 1
				continue
			}
			return b.String(), i, nil
		case c == '\\' && i+1 < n:
			i++
			e := src[i]
			switch e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'x':
				j := i + 1
				for j < n && j < i+3 && isHex(src[j]) {
					j++
				}
				if j == i+1 {
					b.WriteByte('x')
					i++
					continue
				}
				v, _ := strconv.ParseUint(src[i+1:j], 16, 8)
				b.WriteByte(byte(v))
				i = j
				continue
			case 'u', 'U':
				w := 4
				if e == 'U' {
					w = 8
				}
				if i+w >= n {
					return "", 0, &LexError{Pos: i - 1, Msg: "invalid Unicode escape", Near: src[i-1:], Code: "22025"}
				}
				v, err := strconv.ParseUint(src[i+1:i+1+w], 16, 32)
				if err != nil || !utf8.ValidRune(rune(v)) || v == 0 {
					return "", 0, &LexError{Pos: i - 1, Msg: "invalid Unicode escape value", Near: src[i-1 : i+1+w], Code: "22025"}
				}
				b.WriteRune(rune(v))
				i += 1 + w
				continue
			default:
				if e >= '0' && e <= '7' {
					j := i
					for j < n && j < i+3 && src[j] >= '0' && src[j] <= '7' {
						j++
					}
					v, _ := strconv.ParseUint(src[i:j], 8, 16)
					b.WriteByte(byte(v))
					i = j
					continue
				}
				b.WriteByte(e)
			}
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func lexNumber(src string, i int) (Token, error) {
	start := i
	n := len(src)
	if src[i] == '0' && i+1 < n && (src[i+1] == 'x' || src[i+1] == 'X' || src[i+1] == 'o' || src[i+1] == 'O' || src[i+1] == 'b' || src[i+1] == 'B') {
		// PostgreSQL 15 rejects 0x.. as trailing junk after a numeric literal.
		j := i + 2
		for j < n && isIdentCont(src[j]) {
			j++
		}
		return Token{}, &LexError{Pos: start, Msg: "trailing junk after numeric literal at or near \"" + src[start:j] + "\"", Near: src[start:j], Code: "42601"}
	}
	isFloat := false
	for i < n && (isDigit(src[i]) || (src[i] == '_' && i+1 < n && isDigit(src[i+1]) && i > start && isDigit(src[i-1]))) {
		i++
	}
	if i < n && src[i] == '.' && !(i+1 < n && src[i+1] == '.') {
		isFloat = true
		i++
		for i < n && isDigit(src[i]) {
			i++
		}
	}
	if i < n && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < n && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < n && isDigit(src[j]) {
			isFloat = true
			for j < n && isDigit(src[j]) {
				j++
			}
			i = j
		} else {
			return Token{}, &LexError{Pos: start, Msg: "trailing junk after numeric literal", Near: src[start:j], Code: "42601"}
		}
	}
	if i < n && isIdentStart(src[i]) {
		j := i
		for j < n && isIdentCont(src[j]) {
			j++
		}
		return Token{}, &LexError{Pos: start, Msg: "trailing junk after numeric literal", Near: src[start:j], Code: "42601"}
	}
	text := strings.ReplaceAll(src[start:i], "_", "")
	k := Int
	if isFloat {
		k = Num
	}
	return Token{Kind: k, Val: text, Pos: start, End: i}, nil
}
