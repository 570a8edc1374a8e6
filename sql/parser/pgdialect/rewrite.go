package pgdialect

import (
	"strconv"
	"strings"
)

// CastMarkerBase is the length used to tag rewritten casts and column
// types: `x::int8` becomes `CAST(x AS CHAR(CastMarkerBase+k))` where k
// indexes Rewritten.Types. sql/parser replaces the tagged types after
// parsing; nothing outside sql/parser sees a marker.
const CastMarkerBase = 1 << 24

// Out is one chunk of rewritten text and where it came from.
type Out struct {
	Text string
	Orig int // byte offset in the original text of the token it stands for
}

// Rewritten is MySQL-grammar text produced from PostgreSQL tokens.
type Rewritten struct {
	Outs []Out
	// Params are the $n numbers of the placeholders, in order of the
	// `?` markers in the rewritten text, with their original offsets.
	Params   []int
	ParamPos []int
	Types    []Type // indexed by marker k
	Notices  []string
	text     string
	starts   []int
}

// Text returns the rewritten text (tokens joined by single spaces).
func (r *Rewritten) Text() string {
	if r.text != "" || len(r.Outs) == 0 {
		return r.text
	}
	var b strings.Builder
	r.starts = make([]int, len(r.Outs))
	for i, o := range r.Outs {
		if i > 0 {
			b.WriteByte(' ')
		}
		r.starts[i] = b.Len()
		b.WriteString(o.Text)
	}
	r.text = b.String()
	return r.text
}

// OrigAt maps a byte offset of the rewritten text to the offset in the
// original text of the token that produced it; ok=false means end of input.
func (r *Rewritten) OrigAt(off int) (int, bool) {
	r.Text()
	best := -1
	for i, s := range r.starts {
		if s <= off {
			best = i
		} else {
			break
		}
	}
	if best < 0 || off >= len(r.text) {
		return 0, false
	}
	return r.Outs[best].Orig, true
}

// Starts returns the start offsets of the output chunks in Text().
func (r *Rewritten) Starts() []int { r.Text(); return r.starts }

// Rewriter turns PostgreSQL tokens into text the MySQL grammar reads.
type Rewriter struct {
	Src  string
	Toks []Token // ends with EOF
	R    Rewritten
	// ColumnTypes marks that identifiers followed by a type at the start of
	// a parenthesised element are column definitions (CREATE TABLE).
	ColumnTypes bool
	err         error
}

func (w *Rewriter) emit(text string, orig int) { w.R.Outs = append(w.R.Outs, Out{text, orig}) }

func (w *Rewriter) fail(t Token, code, msg string) {
	if w.err == nil {
		near := t.Raw(w.Src)
		w.err = &LexError{Pos: t.Pos, Msg: msg, Near: near, Code: code}
	}
}

// addType records a PostgreSQL type and returns its marker text.
func (w *Rewriter) addType(t Type) string {
	w.R.Types = append(w.R.Types, t)
	return "CHAR(" + strconv.Itoa(CastMarkerBase+len(w.R.Types)-1) + ")"
}

// QuoteIdent quotes an identifier for the ANSI_QUOTES grammar.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteStr(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// primaryStart returns the index in w.R.Outs where the primary expression
// ending at the last output chunk begins.
func (w *Rewriter) primaryStart() int {
	o := w.R.Outs
	i := len(o) - 1
	for i >= 0 {
		if o[i].Text == ")" || o[i].Text == "]" {
			open := "("
			if o[i].Text == "]" {
				open = "["
			}
			depth := 0
			for i >= 0 {
				if o[i].Text == ")" || o[i].Text == "]" {
					depth++
				} else if o[i].Text == "(" || o[i].Text == "[" {
					depth--
					if depth == 0 {
						break
					}
				}
				i--
			}
			_ = open
			if i < 0 {
				return 0
			}
			// function name before "("
			if i > 0 && isWordOut(o[i-1].Text) {
				i--
			}
		}
		// dotted chain a.b.c
		if i > 1 && o[i-1].Text == "." {
			i -= 2
			continue
		}
		return max(i, 0)
	}
	return 0
}

func isWordOut(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if c == '"' {
		return true
	}
	if !isIdentStart(c) {
		return false
	}
	switch s {
	case "and", "or", "not", "in", "exists", "any", "all", "some", "as", "select", "where", "when", "then", "else", "on", "using", "values", "from", "by", "is", "like", "between", "case", "return", "having", "set":
		return false
	}
	return true
}

// Run rewrites toks[from:to] (to excludes EOF / ';').
func (w *Rewriter) Run(from, to int) error {
	toks := w.Toks
	type paren struct{ cast bool }
	var stack []paren
	for i := from; i < to && w.err == nil; i++ {
		t := toks[i]
		switch t.Kind {
		case Ident, QIdent:
			if w.ColumnTypes && w.columnStart(len(stack)) {
				if typ, next, ok := ParseType(toks, i+1, true); ok && !isConstraintWord(t) && next > i+1 && !toks[next].IsP(".") {
					if t.Kind == QIdent {
						w.emit(QuoteIdent(t.Val), t.Pos)
					} else {
						w.emit(t.Val, t.Pos)
					}
					w.emit(w.addType(typ), toks[i+1].Pos)
					i = next - 1
					continue
				}
			}
			if t.Kind == QIdent {
				w.emit(QuoteIdent(t.Val), t.Pos)
				continue
			}
			// CAST( ... AS type )
			if t.Val == "cast" && toks[i+1].IsP("(") {
				w.emit("CAST", t.Pos)
				w.emit("(", toks[i+1].Pos)
				stack = append(stack, paren{cast: true})
				i++
				continue
			}
			if t.Val == "as" && len(stack) > 0 && stack[len(stack)-1].cast {
				typ, next, ok := ParseType(toks, i+1, true)
				if !ok {
					w.fail(toks[i+1], "42601", "syntax error")
					continue
				}
				w.emit("AS", t.Pos)
				w.emit(w.addType(typ), toks[i+1].Pos)
				i = next - 1
				continue
			}
			// typed literals: INTERVAL '1 day', TIMESTAMP '...', DATE '...'
			if toks[i+1].Kind == String && IsTypeStart(t.Val) && !(i > from && toks[i-1].Is("at")) {
				typ, next, ok := ParseType(toks, i, false)
				if ok && next < len(toks) && toks[next].Kind == String {
					if typ.Name == "interval" && next+1 < len(toks) && toks[next+1].Kind == Ident && isIntervalField(toks[next+1].Val) {
						w.fail(toks[next+1], "0A000", "interval field qualifiers are not supported")
						continue
					}
					w.emit("CAST", t.Pos)
					w.emit("(", t.Pos)
					w.emit(quoteStr(toks[next].Val), toks[next].Pos)
					w.emit("AS", t.Pos)
					w.emit(w.addType(typ)+")", t.Pos)
					i = next
					continue
				}
			}
			w.emit(t.Val, t.Pos)
		case String:
			w.emit(quoteStr(t.Val), t.Pos)
		case BitStr:
			raw := t.Raw(w.Src)
			w.emit(strings.ToLower(raw[:1])+quoteStr(t.Val), t.Pos)
		case Int, Num:
			w.emit(t.Val, t.Pos)
		case Param:
			w.R.Params = append(w.R.Params, t.N)
			w.R.ParamPos = append(w.R.ParamPos, t.Pos)
			w.emit("?", t.Pos)
		case Punct:
			switch t.Val {
			case "(":
				stack = append(stack, paren{})
			case ")":
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			case "[", "]":
				w.fail(t, "0A000", "array subscripts are not supported")
				continue
			case ":":
				w.fail(t, "42601", "syntax error")
				continue
			}
			w.emit(t.Val, t.Pos)
		case Op:
			switch t.Val {
			case "::":
				typ, next, ok := ParseType(toks, i+1, true)
				if !ok || len(w.R.Outs) == 0 {
					w.fail(toks[i+1], "42601", "syntax error")
					continue
				}
				s := w.primaryStart()
				w.R.Outs = append(w.R.Outs[:s], append([]Out{{"CAST", w.R.Outs[s].Orig}, {"(", w.R.Outs[s].Orig}}, w.R.Outs[s:]...)...)
				w.emit("AS", t.Pos)
				w.emit(w.addType(typ)+")", t.Pos)
				i = next - 1
			case "~":
				if w.binaryContext() {
					w.emit("REGEXP", t.Pos)
				} else {
					w.emit("~", t.Pos)
				}
			case "!~":
				w.emit("NOT REGEXP", t.Pos)
			case "~*", "!~*":
				if t.Val == "!~*" {
					w.emit("NOT", t.Pos)
				}
				w.emit("REGEXP", t.Pos)
				nt := toks[i+1]
				switch nt.Kind {
				case String:
					w.emit(quoteStr("(?i)"+nt.Val), nt.Pos)
					i++
				default:
					w.fail(t, "0A000", "case-insensitive regular expression match needs a string literal pattern")
				}
			case "#":
				w.emit("^", t.Pos)
			case "^", "&&", "!", "!!", "@", "@>", "<@", "->", "->>", "#>", "#>>", "?", "?|", "?&", "<<=", ">>=", "~~", "!~~", ":=":
				w.fail(t, "42883", "operator does not exist: "+t.Val)
			case "=", "<>", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "||", "|", "&", "<<", ">>":
				w.emit(t.Val, t.Pos)
			default:
				w.fail(t, "42601", "syntax error")
			}
		}
	}
	return w.err
}

// binaryContext reports whether the last output chunk ends an operand.
func (w *Rewriter) binaryContext() bool {
	if len(w.R.Outs) == 0 {
		return false
	}
	last := w.R.Outs[len(w.R.Outs)-1].Text
	switch last {
	case "(", ",", "=", "<>", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "||", "|", "&", "~", "REGEXP", "AS":
		return false
	}
	return isWordOut(last) || last == ")" || last == "?" || strings.HasPrefix(last, "'") || (last[0] >= '0' && last[0] <= '9')
}

func isIntervalField(s string) bool {
	switch s {
	case "year", "month", "day", "hour", "minute", "second":
		return true
	}
	return false
}

// columnStart reports whether the next token begins a column definition:
// directly inside the first parenthesis of CREATE TABLE, after "(" or ",",
// or after ALTER TABLE ... ADD [COLUMN] [IF NOT EXISTS].
func (w *Rewriter) columnStart(depth int) bool {
	o := w.R.Outs
	if len(o) == 0 {
		return false
	}
	last := o[len(o)-1].Text
	if depth == 1 && (last == "(" || last == ",") {
		// the first "(" of the statement must be the element list
		for _, x := range o {
			if x.Text == "(" {
				return w.R.Outs[len(o)-1].Text == "," || &x == &x && countOpen(o) == 1
			}
		}
	}
	if depth == 0 && (last == "add" || last == "column" || last == "exists") {
		return true
	}
	return false
}

func countOpen(o []Out) int {
	n := 0
	for _, x := range o {
		if x.Text == "(" {
			n++
		}
	}
	return n
}

func isConstraintWord(t Token) bool {
	if t.Kind != Ident {
		return false
	}
	switch t.Val {
	case "constraint", "primary", "unique", "check", "foreign", "like", "exclude", "key", "index":
		return true
	}
	return false
}
