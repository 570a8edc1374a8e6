package pgdialect

import (
	"fmt"
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
	Text  string
	Orig  int // byte offset in the original text of the token it stands for
	Param int // n of $n when Text is "?"
}

// Rewritten is MySQL-grammar text produced from PostgreSQL tokens.
type Rewritten struct {
	Outs  []Out
	Types []Type // indexed by marker k
	// NullsOrder records, for each GROUP/ORDER/PARTITION BY item in text
	// order, whether NULLS FIRST (1), NULLS LAST (2) or nothing (0) was written.
	NullsOrder []uint8
	// DistinctFrom records, for each `<=>` in text order, whether it
	// stands for IS DISTINCT FROM (true) or IS NOT DISTINCT FROM (false).
	DistinctFrom []bool
	// BetweenSym records, for each BETWEEN in text order, whether it was
	// BETWEEN SYMMETRIC.
	BetweenSym []bool
	// GroupingSets records, for each GROUP BY in text order, its grouping
	// sets as indices into the emitted (deduplicated) GROUP BY list; nil
	// for a plain GROUP BY (ROLLUP, CUBE and GROUPING SETS are rewritten
	// to the list of their expressions).
	GroupingSets [][][]int
	Notices      []string
	// AggOrders are the token ranges of the ORDER BY items inside aggregate
	// calls, indexed by the __pg_aggorder(k) argument standing for them.
	AggOrders [][2]int
	// Identity records, for each GENERATED ... AS IDENTITY column (emitted
	// as AUTO_INCREMENT) in text order, "always" or "by default".
	Identity []string
	// FrameExclude records, for each window frame clause in text order,
	// its EXCLUDE option: 0 none (or NO OTHERS), FrameExcludeCurrentRow,
	// FrameExcludeGroup or FrameExcludeTies (the MySQL grammar has no
	// EXCLUDE: the option is cut out of the text).
	FrameExclude []uint8
	text         string
	starts       []int
}

// Text returns the rewritten text (tokens joined by single spaces).
func (r *Rewritten) Text() string {
	if r.text != "" || len(r.Outs) == 0 {
		return r.text
	}
	var b strings.Builder
	n := len(r.Outs)
	for _, o := range r.Outs {
		n += len(o.Text)
	}
	b.Grow(n)
	if cap(r.starts) < len(r.Outs) {
		r.starts = make([]int, len(r.Outs))
	}
	r.starts = r.starts[:len(r.Outs)]
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
	// FromList marks that the next Run starts inside a FROM clause (its
	// text is a FROM list whose FROM the caller emitted); Run clears it.
	FromList bool
	// Skip maps a token index to the index after a run of tokens to drop.
	Skip map[int]int
	// Insert maps a token index to text emitted before that token.
	Insert map[int]string
	// DistinctOn is the token range [from,to) of the outermost SELECT
	// DISTINCT ON (...) expressions, cut from the text; zero if none.
	DistinctOn [2]int
	// tuples maps the "(" of UPDATE ... SET (a, b) = (x, y) to the
	// assignment (set by Run for an UPDATE statement).
	tuples map[int]tupleSet
	err    error
}

// tupleSet is SET (cols) = (exprs): the column tokens and the expression
// token ranges, and the index after the closing ")".
type tupleSet struct {
	cols  []Token
	exprs [][2]int
	end   int
	// sub is the [start, end) token range of the query of
	// SET (a, b) = (SELECT ...); exprs is empty then
	sub [2]int
}

// Reset empties w for another run, keeping the capacity of its slices
// (the output chunks, chunk offsets and side tables) so that a pooled
// Rewriter allocates nothing for them. Nothing returned by a previous run
// may be used after Reset: callers copy what they keep.
func (w *Rewriter) Reset() {
	r := &w.R
	*w = Rewriter{R: Rewritten{
		Outs:         clearSlice(r.Outs),
		Types:        clearSlice(r.Types),
		NullsOrder:   r.NullsOrder[:0],
		DistinctFrom: r.DistinctFrom[:0],
		BetweenSym:   r.BetweenSym[:0],
		GroupingSets: r.GroupingSets[:0],
		AggOrders:    r.AggOrders[:0],
		Identity:     clearSlice(r.Identity),
		FrameExclude: r.FrameExclude[:0],
		starts:       r.starts[:0],
	}}
}

// Restart is Reset without zeroing the kept slices: cheaper, but a
// pooled Rewriter then keeps the previous run's strings alive until they
// are overwritten. Callers use it for short texts only.
// It resets field by field (a whole-struct store would copy with a bulk
// write barrier): keep it in step with the fields of Rewriter and Rewritten.
func (w *Rewriter) Restart() {
	r := &w.R
	r.Outs = r.Outs[:0]
	r.Types = r.Types[:0]
	r.NullsOrder = r.NullsOrder[:0]
	r.DistinctFrom = r.DistinctFrom[:0]
	r.BetweenSym = r.BetweenSym[:0]
	r.GroupingSets = r.GroupingSets[:0]
	r.Notices = nil
	r.AggOrders = r.AggOrders[:0]
	r.Identity = r.Identity[:0]
	r.FrameExclude = r.FrameExclude[:0]
	r.text = ""
	r.starts = r.starts[:0]
	w.Src, w.Toks = "", nil
	w.ColumnTypes, w.FromList = false, false
	w.Skip, w.Insert = nil, nil
	w.DistinctOn = [2]int{}
	w.tuples = nil
	w.err = nil
}

// clearSlice zeroes s (dropping references for the garbage collector) and
// returns it empty.
func clearSlice[T any](s []T) []T {
	clear(s)
	return s[:0]
}

// frame is the rewriter's state for one parenthesis level.
type frame struct {
	cast    bool // CAST( ... )
	bracket bool // ARRAY[ ... ] emitted as __array( ... )
	byList  bool // inside GROUP/ORDER/PARTITION BY items
	// byItem: the NullsOrder entry of the BY item being read (an item's
	// NULLS FIRST|LAST may follow a window call with BY items of its own)
	byItem int
	inFrom bool // inside a FROM clause
	// joins counts the JOINs of this FROM clause still waiting for their
	// ON or USING (PostgreSQL demands one unless CROSS or NATURAL; the
	// MySQL grammar reads a bare JOIN as a cross join).
	joins    int
	sawLimit bool
	// subscript: inside x[ ... ] emitted as __pg_subscript(x, ... )
	subscript bool
	slice     bool // a ':' seen in this subscript
	// closeExtra: emit one more ")" when the next inner frame closes
	// (ARRAY(subquery) emitted as __pg_arraysub((subquery)))
	closeExtra bool
	// call: the "(" of a function call (FROM inside it is TRIM/EXTRACT/
	// SUBSTRING syntax, not a FROM clause)
	call bool
}

// clauseEnd reports whether an unquoted keyword ends BY lists and FROM.
func clauseEnd(v string) bool {
	switch v {
	case "where", "group", "having", "order", "limit", "offset", "window", "union", "except", "intersect",
		"fetch", "for", "returning", "select", "rows", "range", "groups", "on", "using", "set", "values":
		return true
	}
	return false
}

// matchClose returns the index of the ")" matching the "(" at toks[i].
func matchClose(toks []Token, i, to int) int {
	depth := 0
	for j := i; j < to; j++ {
		if toks[j].IsP("(") || toks[j].IsP("[") {
			depth++
		} else if toks[j].IsP(")") || toks[j].IsP("]") {
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// sub rewrites toks[a:b] into a separate chunk list.
func (w *Rewriter) sub(a, b int) []Out {
	save := w.R.Outs
	w.R.Outs = nil
	_ = w.Run(a, b)
	out := w.R.Outs
	w.R.Outs = save
	return out
}

func (w *Rewriter) emit(text string, orig int) {
	w.R.Outs = append(w.R.Outs, Out{Text: text, Orig: orig})
}

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
// truthTestAt reports whether toks[i:] start [NOT] TRUE|FALSE|NULL|UNKNOWN
// (after an IS).
func truthTestAt(toks []Token, i int) bool {
	if i < len(toks) && toks[i].Is("not") {
		i++
	}
	return i < len(toks) && (toks[i].Is("true") || toks[i].Is("false") || toks[i].Is("null") || toks[i].Is("unknown"))
}

// truthTestTail returns the index of the IS of an IS [NOT]
// TRUE|FALSE|NULL|UNKNOWN ending o, or -1.
func truthTestTail(o []Out) int {
	n := len(o)
	if n < 3 {
		return -1
	}
	switch strings.ToLower(o[n-1].Text) {
	case "true", "false", "null", "unknown":
	default:
		return -1
	}
	p := n - 2
	if strings.EqualFold(o[p].Text, "not") {
		p--
	}
	if p < 1 || !strings.EqualFold(o[p].Text, "is") {
		return -1
	}
	return p
}

// isOperandStart returns where the left operand of the IS at o[p]
// starts: back over operands and operators binding tighter than IS, to
// an unmatched "(", a comma, AND/OR/NOT or a clause keyword.
func isOperandStart(o []Out, p int) int {
	i := p - 1
	for i >= 0 {
		t := strings.ToLower(o[i].Text)
		switch t {
		case ")", "]", "end":
			open := map[string]string{")": "(", "]": "[", "end": "case"}[t]
			depth := 0
			for ; i >= 0; i-- {
				u := strings.ToLower(o[i].Text)
				if u == t {
					depth++
				} else if u == open {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if i < 0 {
				return 0
			}
			i--
			continue
		case "(", "[", ",", "and", "or", "not", "xor", "select", "where", "having", "on", "when", "then",
			"else", "case", "set", "by", "returning", "distinct", "all", "using", "limit", "offset", "values",
			"from", "as", "return", "into", "check", "default", "is":
			return i + 1
		}
		i--
	}
	return 0
}

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
				// f(...) FILTER (...) OVER (...): the call before the clause
				if w := strings.ToLower(o[i].Text); (w == "over" || w == "filter") && i > 0 && o[i-1].Text == ")" {
					i--
					continue
				}
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

// namedArgs rewrites the named arguments of the call at toks[i]
// (name => value, or the older name := value) into FuncNamed('name',
// value), which sql/plan matches to the parameters of the function; a
// positional argument after a named one is 42601.
func (w *Rewriter) namedArgs(i, to int) {
	toks := w.Toks
	end := matchClose(toks, i+1, to)
	if end < 0 {
		return
	}
	named := false
	var seen map[string]bool
	start, depth := i+2, 0
	for j := i + 2; j <= end; j++ {
		tk := toks[j]
		if tk.IsP("(") || tk.IsP("[") {
			depth++
			continue
		}
		if (tk.IsP(")") || tk.IsP("]")) && j < end {
			depth--
			continue
		}
		if depth > 0 || !(tk.IsP(",") || j == end) {
			continue
		}
		if start+1 < j && (toks[start].Kind == Ident || toks[start].Kind == QIdent) && toks[start+1].Kind == Op && (toks[start+1].Val == "=>" || toks[start+1].Val == ":=") {
			if _, done := w.Skip[start]; done && !named {
				return // rewritten already (a call that is rewritten twice, as in FROM)
			}
			named = true
			if seen[toks[start].Val] {
				w.fail(toks[start], "42601", "argument name \""+toks[start].Val+"\" used more than once")
				return
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[toks[start].Val] = true
			if w.Insert == nil {
				w.Insert = map[int]string{}
			}
			w.Insert[start] = QuoteIdent(FuncNamed) + "(" + quoteStr(toks[start].Val) + ", "
			if prev, ok := w.Insert[j]; ok {
				w.Insert[j] = ")" + prev
			} else {
				w.Insert[j] = ")"
			}
			if w.Skip == nil {
				w.Skip = map[int]int{}
			}
			w.Skip[start] = start + 2
		} else if named && start < j {
			w.fail(toks[start], "42601", "positional argument cannot follow named argument")
			return
		}
		start = j + 1
	}
}

// DDLExprPrefix starts the string literal that stands for a DEFAULT or
// CHECK expression of a column or table definition: the rest of the
// literal is the expression's PostgreSQL text, which the MySQL grammar
// could not read (DEFAULT takes only literals there) or could not give
// back unchanged. The catalog stores that text and our parser binds it.
const DDLExprPrefix = "__tessera_pg_expr__:"

// ddlExprEnd are the words that end a DEFAULT expression in a column
// definition.
var ddlExprEnd = map[string]bool{
	"not": true, "null": true, "primary": true, "unique": true, "check": true, "references": true,
	"constraint": true, "collate": true, "generated": true, "default": true, "deferrable": true,
	"initially": true, "on": true,
}

// ddlExpr rewrites DEFAULT expr / CHECK (expr) at toks[i] in a CREATE or
// ALTER TABLE into DEFAULT '<prefix>expr' / CHECK ('<prefix>expr'). It
// returns the index after the expression.
func (w *Rewriter) ddlExpr(i, to int) (int, bool) {
	toks := w.Toks
	if !w.ColumnTypes || (i > 0 && toks[i-1].Is("drop")) {
		return 0, false
	}
	start, end := i+1, 0
	if toks[i].Is("check") {
		if !toks[start].IsP("(") {
			return 0, false
		}
		end = matchClose(toks, start, to)
		if end < 0 || end >= to {
			return 0, false
		}
		if end == start+1 {
			return 0, false
		}
		w.emit("CHECK", toks[i].Pos)
		w.emit("(", toks[start].Pos)
		w.emit(quoteStr(DDLExprPrefix+w.Src[toks[start+1].Pos:toks[end-1].End]), toks[start+1].Pos)
		w.emit(")", toks[end].Pos)
		return end + 1, true
	}
	depth := 0
	for end = start; end < to; end++ {
		tk := toks[end]
		if tk.IsP("(") || tk.IsP("[") {
			depth++
		} else if tk.IsP(")") || tk.IsP("]") {
			if depth == 0 {
				break
			}
			depth--
		} else if depth == 0 && (tk.IsP(",") || (end > start && tk.Kind == Ident && ddlExprEnd[tk.Val])) {
			break
		}
	}
	if end == start || depth != 0 {
		return 0, false
	}
	w.emit("DEFAULT", toks[i].Pos)
	w.emit(quoteStr(DDLExprPrefix+w.Src[toks[start].Pos:toks[end-1].End]), toks[start].Pos)
	return end, true
}

// Run rewrites toks[from:to] (to excludes EOF / ';').
func (w *Rewriter) Run(from, to int) error {
	toks := w.Toks
	stack := make([]frame, 1, 8)
	stack[0].inFrom, w.FromList = w.FromList, false
	if n := len(w.R.Outs); n > 0 && strings.HasSuffix(w.R.Outs[n-1].Text, " ORDER BY") {
		// a fragment after the caller's ORDER BY (an aggregate's ORDER BY)
		stack[0].byList = true
		w.R.NullsOrder = append(w.R.NullsOrder, 0)
		stack[0].byItem = len(w.R.NullsOrder) - 1
	}
	defer w.insertAt(to)
	if toks[from].Is("update") {
		w.scanTupleSets(from, to)
	}
	for i := from; i < to && w.err == nil; i++ {
		if len(w.Insert) > 0 {
			if ins, ok := w.Insert[i]; ok {
				w.emit(ins, toks[i].Pos)
				delete(w.Insert, i)
			}
		}
		if len(w.Skip) > 0 {
			if end, ok := w.Skip[i]; ok {
				i = end - 1
				continue
			}
		}
		t := toks[i]
		top := &stack[len(stack)-1]
		// (t.*).col is t.col
		if t.IsP("(") && i+6 < to && (toks[i+1].Kind == Ident || toks[i+1].Kind == QIdent) && toks[i+2].IsP(".") &&
			toks[i+3].Kind == Op && toks[i+3].Val == "*" && toks[i+4].IsP(")") && toks[i+5].IsP(".") &&
			(toks[i+6].Kind == Ident || toks[i+6].Kind == QIdent) {
			w.emit(QuoteIdent(toks[i+1].Val), toks[i+1].Pos)
			w.emit(".", toks[i+2].Pos)
			w.emit(QuoteIdent(toks[i+6].Val), toks[i+6].Pos)
			i += 6
			continue
		}
		if t.Kind == Ident {
			if t.Val == "using" && top.byList && i > from && toks[i+1].Kind == Op {
				// ORDER BY x USING op: the default btree operator class's
				// less-than sorts ascending, its greater-than descending;
				// any other operator is no ordering operator
				switch toks[i+1].Val {
				case "<":
					w.emit("ASC", t.Pos)
				case ">":
					w.emit("DESC", t.Pos)
				default:
					w.fail(toks[i+1], "42809", "operator "+toks[i+1].Val+" is not a valid ordering operator")
					continue
				}
				i++
				continue
			}
			if clauseEnd(t.Val) {
				top.byList = false
				if t.Val != "on" && t.Val != "using" {
					// (ROWS FROM, and range or groups naming a table)
					if top.inFrom && top.joins > 0 && t.Val != "rows" && t.Val != "range" && t.Val != "groups" {
						w.fail(t, "42601", "syntax error")
						continue
					}
					top.inFrom = false
				} else if top.inFrom && top.joins > 0 {
					top.joins--
				}
			}
			if top.inFrom && i > from && (toks[i-1].Is("from") || toks[i-1].IsP(",") || toks[i-1].Is("join") || toks[i-1].IsP("(")) {
				if end := tableColumnAliases(toks, i, to); end > 0 {
					// t [AS] x (a, b): a column alias list on a table,
					// which the MySQL grammar has only for LATERAL derived tables
					w.emit("LATERAL ( SELECT * FROM", t.Pos)
					w.Insert = withInsert(w.Insert, end, ")")
				}
			}
			if top.inFrom && t.Val == "join" && joinNeedsQual(toks, from, i) {
				top.joins++
			}
			if toks[i+1].IsP("(") && (i == from || !toks[i-1].IsP(".")) && grammarFunc[t.Val] {
				if w.grammarCall(i, to) {
					continue
				}
			}
			if toks[i+1].IsP("(") && (i == from || !toks[i-1].IsP(".")) && !grammarFunc[t.Val] && !mysqlAggregate[t.Val] {
				// agg(args) OVER (...) of an aggregate the MySQL grammar has
				// no window rule for (bool_and, string_agg, ...):
				// MAX(__pg_winagg() + agg(args)) OVER (...), which
				// sql/parser turns back into agg's window call
				if end := matchClose(toks, i+1, to); end > 0 && end+1 < len(toks) && toks[end+1].Is("over") {
					w.emit("MAX", t.Pos)
					w.emit("(", t.Pos)
					w.emit(FuncWinAgg, t.Pos)
					w.emit("(", t.Pos)
					w.emit(")", t.Pos)
					w.emit("+", t.Pos)
					stack = append(stack, frame{closeExtra: true})
				}
			}
			if t.Val == "variadic" && i > from && (toks[i-1].IsP("(") || toks[i-1].IsP(",")) && !toks[i+1].IsP(")") && !toks[i+1].IsP(",") {
				// f(..., VARIADIC arr): the argument is __pg_variadic(arr)
				end, depth := -1, 0
				for j := i + 1; j < to && end < 0; j++ {
					switch {
					case toks[j].IsP("(") || toks[j].IsP("["):
						depth++
					case toks[j].IsP(")") || toks[j].IsP("]"):
						if depth == 0 {
							end = j
						}
						depth--
					case toks[j].IsP(",") && depth == 0:
						end = j
					}
				}
				if end > 0 {
					w.emit(QuoteIdent(FuncVariadic), t.Pos)
					w.emit("(", t.Pos)
					if w.Insert == nil {
						w.Insert = map[int]string{}
					}
					if prev, ok := w.Insert[end]; ok {
						w.Insert[end] = ") " + prev
					} else {
						w.Insert[end] = ")"
					}
					continue
				}
			}
			if toks[i+1].IsP("(") {
				w.namedArgs(i, to)
			}
			if toks[i+1].IsP("(") && (i == from || !toks[i-1].IsP(".")) && specialCalls[t.Val] {
				if next, ok := w.specialCall(i, to); ok {
					i = next - 1
					continue
				}
			}
			if (t.Val == "rows" || t.Val == "range" || t.Val == "groups") && i > from && !toks[i-1].IsP(".") && frameStart(toks, i+1, to) {
				w.R.FrameExclude = append(w.R.FrameExclude, 0)
				w.frameOffsets(i+1, to)
				if toks[i-1].IsP("(") {
					// OVER (ROWS ...): the MySQL grammar would read ROWS as
					// the name of a window; one partition is the default
					w.emit("PARTITION BY NULL", t.Pos)
					w.R.NullsOrder = append(w.R.NullsOrder, 0)
				}
			}
			switch t.Val {
			case "order":
				// agg(args ORDER BY items): the items are cut out and the
				// call gets a last argument __pg_aggorder(k), k indexing
				// AggOrders; sql/parser moves them beside the call.
				if top.call && toks[i+1].Is("by") {
					end := i + 2
					depth := 0
					for end < to && (depth > 0 || !toks[end].IsP(")")) {
						if toks[end].IsP("(") {
							depth++
						} else if toks[end].IsP(")") {
							depth--
						}
						end++
					}
					if end >= to || end == i+2 {
						w.fail(t, "42601", "syntax error")
						continue
					}
					w.R.AggOrders = append(w.R.AggOrders, [2]int{i + 2, end})
					w.emit(",", t.Pos)
					w.emit(FuncAggOrder, t.Pos)
					w.emit("(", t.Pos)
					w.emit(strconv.Itoa(len(w.R.AggOrders)-1), t.Pos)
					w.emit(")", t.Pos)
					i = end - 1
					continue
				}
			case "by":
				if n := len(w.R.Outs); n > 0 {
					if p := w.R.Outs[n-1].Text; p == "order" || p == "group" || p == "partition" {
						if p == "group" {
							if next, ok := w.groupBy(i, to); ok {
								i = next - 1
								continue
							}
						}
						top.byList = true
						w.R.NullsOrder = append(w.R.NullsOrder, 0)
						top.byItem = len(w.R.NullsOrder) - 1
					}
				}
			case "from":
				if !top.call {
					top.inFrom = true
				}
			case "full":
				// FULL [OUTER] JOIN is emitted as STRAIGHT_JOIN, a join the
				// MySQL grammar reads with ON or USING and that PostgreSQL
				// text cannot otherwise produce (the word straight_join is
				// always quoted): the planner reads its flag as FULL.
				if top.inFrom && (toks[i+1].Is("join") || (toks[i+1].Is("outer") && toks[i+2].Is("join"))) {
					if n := len(w.R.Outs); n > 0 && w.R.Outs[n-1].Text == "natural" {
						// NATURAL FULL JOIN: STRAIGHT_JOIN without ON or
						// USING (which a plain FULL JOIN cannot be: it is
						// counted in joins below and must have one), so the
						// planner reads it as natural.
						w.R.Outs = w.R.Outs[:n-1]
					} else {
						top.joins++
					}
					w.emit("STRAIGHT_JOIN", t.Pos)
					if toks[i+1].Is("outer") {
						i++
					}
					i++
					continue
				}
			case "insert":
				// INSERT INTO: the MySQL grammar would take INSERT t
				if i == from && !toks[i+1].Is("into") {
					w.fail(toks[i+1], "42601", "syntax error")
					continue
				}
			case "values":
				if n := len(w.R.Outs); (n == 0 && i == from) || (n > 0 && isSetOpOut(w.R.Outs[n-1].Text)) {
					if next, ok := w.valuesAsSelects(i, to); ok {
						i = next - 1
						continue
					}
				}
			case "nulls":
				if toks[i+1].Is("first") || toks[i+1].Is("last") {
					if len(w.R.NullsOrder) == 0 || !top.byList {
						w.fail(t, "42601", "syntax error")
						continue
					}
					w.R.NullsOrder[top.byItem] = map[bool]uint8{true: 1, false: 2}[toks[i+1].Is("first")]
					i++
					continue
				}
			case "limit", "offset":
				if toks[i+1].IsP("-") && (toks[i+2].Kind == Int || toks[i+2].Kind == Num) {
					if t.Val == "limit" {
						w.fail(toks[i+1], "2201W", "LIMIT must not be negative")
					} else {
						w.fail(toks[i+1], "2201X", "OFFSET must not be negative")
					}
					continue
				}
			}
			if (t.Val == "limit" || t.Val == "offset") && toks[i+1].Kind == String && toks[i+2].Kind != Op && !toks[i+2].IsP("[") {
				// LIMIT '5': PostgreSQL casts the literal to bigint; the
				// MySQL grammar takes only a number
				v := strings.TrimSpace(toks[i+1].Val)
				n, err := strconv.ParseInt(v, 10, 64)
				switch {
				case err != nil:
					w.fail(toks[i+1], "22P02", "invalid input syntax for type bigint: "+strconv.Quote(toks[i+1].Val))
				case n < 0 && t.Val == "limit":
					w.fail(toks[i+1], "2201W", "LIMIT must not be negative")
				case n < 0:
					w.fail(toks[i+1], "2201X", "OFFSET must not be negative")
				}
				if err != nil || n < 0 {
					continue
				}
				w.Insert = withInsert(w.Insert, i+1, strconv.FormatInt(n, 10))
				w.Skip = withSkip(w.Skip, i+1, i+2)
			}
			switch t.Val {
			case "limit":
				top.sawLimit = true
				if toks[i+1].Is("all") || (toks[i+1].Is("null") && (i+2 >= to || toks[i+2].Is("offset") || toks[i+2].IsP(")") || toks[i+2].Is("for") || toks[i+2].Is("union") || toks[i+2].Is("except") || toks[i+2].Is("intersect"))) {
					i++
					if !toks[i+1].Is("offset") {
						continue
					}
					top.sawLimit = false
					continue
				}
			case "offset":
				if !top.sawLimit {
					if f, cnt, end := fetchAfter(toks, i+1, to); f > 0 {
						// OFFSET m FETCH FIRST n ROWS ONLY -> LIMIT n OFFSET m
						w.emit("LIMIT", toks[f].Pos)
						if cnt[0] == cnt[1] {
							w.emit("1", toks[f].Pos)
						} else {
							w.R.Outs = append(w.R.Outs, w.sub(cnt[0], cnt[1])...)
						}
						w.Skip = withSkip(w.Skip, f, end)
					} else {
						w.emit("LIMIT", t.Pos)
						w.emit(NoLimit, t.Pos)
					}
				}
				w.emit("OFFSET", t.Pos)
				// OFFSET n ROW[S]
				if j := i + 2; j < to && (toks[j].Is("rows") || toks[j].Is("row")) && (toks[i+1].Kind == Int || toks[i+1].Kind == Param) {
					w.Skip = withSkip(w.Skip, j, j+1)
				}
				continue
			case "for":
				// FOR NO KEY UPDATE / FOR KEY SHARE lock as FOR UPDATE /
				// FOR SHARE (the MySQL grammar has only those).
				if i+3 < to && toks[i+1].Is("no") && toks[i+2].Is("key") && toks[i+3].Is("update") {
					w.emit("FOR", t.Pos)
					w.emit("UPDATE", toks[i+3].Pos)
					i += 3
					continue
				}
				if i+2 < to && toks[i+1].Is("key") && toks[i+2].Is("share") {
					w.emit("FOR", t.Pos)
					w.emit("SHARE", toks[i+2].Pos)
					i += 2
					continue
				}
			case "distinct":
				if toks[i+1].Is("on") && toks[i+2].IsP("(") {
					end := matchClose(toks, i+2, to)
					if end < 0 || end == i+3 {
						w.fail(toks[i+1], "42601", "syntax error")
						continue
					}
					// SELECT DISTINCT __pg_distincton(exprs), fields...:
					// sql/parser takes the first field out again
					w.emit("DISTINCT", t.Pos)
					w.emit(FuncDistinctOn, t.Pos)
					w.emit("(", t.Pos)
					w.R.Outs = append(w.R.Outs, w.sub(i+3, end)...)
					w.emit(")", t.Pos)
					w.emit(",", t.Pos)
					i = end
					continue
				}
				// agg(DISTINCT x) of an aggregate the MySQL grammar does not
				// know (array_agg, string_agg, ...): agg(__pg_distinct(), x)
				if n := len(w.R.Outs); top.call && n >= 2 && w.R.Outs[n-1].Text == "(" && isWordOut(w.R.Outs[n-2].Text) && !mysqlAggregate[strings.ToLower(strings.Trim(w.R.Outs[n-2].Text, `"`))] {
					w.emit(FuncDistinct, t.Pos)
					w.emit("(", t.Pos)
					w.emit(")", t.Pos)
					w.emit(",", t.Pos)
					continue
				}
			case "is":
				// x IS NOT FALSE IS NULL: PostgreSQL chains IS tests left
				// to right, the MySQL grammar not at all: (x IS NOT FALSE) IS NULL
				if truthTestAt(toks, i+1) {
					if p := truthTestTail(w.R.Outs); p >= 0 {
						s := isOperandStart(w.R.Outs, p)
						w.R.Outs = append(w.R.Outs[:s], append([]Out{{Text: "(", Orig: w.R.Outs[s].Orig}}, w.R.Outs[s:]...)...)
						w.emit(")", t.Pos)
					}
				}
				if toks[i+1].Is("distinct") && toks[i+2].Is("from") {
					w.R.DistinctFrom = append(w.R.DistinctFrom, true)
					w.emit("<=>", t.Pos)
					i += 2
					continue
				}
				if toks[i+1].Is("not") && toks[i+2].Is("distinct") && toks[i+3].Is("from") {
					w.R.DistinctFrom = append(w.R.DistinctFrom, false)
					w.emit("<=>", t.Pos)
					i += 3
					continue
				}
			case "any", "some", "all":
				if toks[i+1].IsP("(") && !toks[i+2].Is("select") && !toks[i+2].Is("with") && !toks[i+2].Is("values") && !toks[i+2].IsP("(") && len(w.R.Outs) > 0 && isCmp(w.R.Outs[len(w.R.Outs)-1].Text) {
					if t.Val == "all" {
						w.emit(FuncAll, t.Pos)
					} else {
						w.emit(FuncAny, t.Pos)
					}
					continue
				}
			case "at":
				// x AT TIME ZONE z -> __pg_attz(x, z), sql/parser's
				// timezone(z, x); AT binds tighter than the arithmetic
				// operators, like the operators of w.operator.
				if toks[i+1].Is("time") && toks[i+2].Is("zone") && w.binaryContext() {
					w.wrapBinary(i, i+3, to, FuncAtTimeZone, "")
					i += 2
					continue
				}
			case "similar":
				// x [NOT] SIMILAR TO p [ESCAPE e] -> x [NOT] REGEXP
				// similar_to_escape(p [, e]) (anchored, so the search is a match)
				if toks[i+1].Is("to") && len(w.R.Outs) > 0 {
					end := similarEnd(toks, i+2, to)
					if end == i+2 {
						w.fail(toks[i+2], "42601", "syntax error")
						continue
					}
					w.emit("REGEXP", t.Pos)
					w.emit(QuoteIdent("similar_to_escape"), t.Pos)
					w.emit("(", t.Pos)
					closeAt := end
					if toks[end].Is("escape") {
						closeAt = operandEnd(toks, end+1, to)
						if closeAt < 0 {
							w.fail(toks[end], "42601", "syntax error")
							continue
						}
						w.Insert = withInsert(w.Insert, end, ",")
						w.Skip = withSkip(w.Skip, end, end+1)
					}
					if prev, ok := w.Insert[closeAt]; ok {
						w.Insert[closeAt] = ") " + prev
					} else {
						w.Insert = withInsert(w.Insert, closeAt, ")")
					}
					i++
					continue
				}
			case "exclude":
				// a window frame's exclusion, recorded for the frame last
				// opened (NO OTHERS is the default)
				if i > from && (toks[i-1].Is("row") || toks[i-1].Is("following") || toks[i-1].Is("preceding")) {
					n := len(w.R.FrameExclude)
					var mode uint8
					skip := 0
					switch {
					case toks[i+1].Is("no") && toks[i+2].Is("others"):
						skip = 2
					case toks[i+1].Is("current") && toks[i+2].Is("row"):
						mode, skip = FrameExcludeCurrentRow, 2
					case toks[i+1].Is("group"):
						mode, skip = FrameExcludeGroup, 1
					case toks[i+1].Is("ties"):
						mode, skip = FrameExcludeTies, 1
					}
					if skip > 0 {
						if n == 0 {
							w.fail(t, "42601", "syntax error at or near \"exclude\"")
							continue
						}
						w.R.FrameExclude[n-1] = mode
						i += skip
						continue
					}
				}
			case "between":
				sym := toks[i+1].Is("symmetric")
				if p := i - 1; p < from || !(toks[p].Is("rows") || toks[p].Is("range") || toks[p].Is("groups")) || (p > from && toks[p-1].IsP(".")) {
					// (a window frame's ROWS|RANGE|GROUPS BETWEEN is no
					// BetweenExpr: it has no entry)
					w.R.BetweenSym = append(w.R.BetweenSym, sym)
				}
				w.emit("BETWEEN", t.Pos)
				if sym || toks[i+1].Is("asymmetric") {
					i++
				}
				continue
			case "mode":
				// mode() WITHIN GROUP: a keyword of the MySQL grammar
				if toks[i+1].IsP("(") && (i == from || !toks[i-1].IsP(".")) {
					w.emit(QuoteIdent(t.Val), t.Pos)
					continue
				}
			case "stddev", "variance", "std":
				// The MySQL grammar reads STDDEV and VARIANCE as the
				// population forms; PostgreSQL's are the sample forms.
				// Upper case marks the spelling (the grammar keeps the
				// text of STDDEV_SAMP/VAR_SAMP as the aggregate's name):
				// sql/plan names the column stddev or variance. std is
				// MySQL's alone: a call of an unknown function.
				if toks[i+1].IsP("(") && (i == from || !toks[i-1].IsP(".")) {
					switch t.Val {
					case "stddev":
						w.emit(SpelledStddev, t.Pos)
					case "variance":
						w.emit(SpelledVariance, t.Pos)
					default:
						w.emit(QuoteIdent(t.Val), t.Pos)
					}
					continue
				}
			case "nextval", "currval", "setval", "lastval":
				// sequence functions take the sequence as a value, not as
				// the MySQL grammar's NEXTVAL(name) keyword syntax
				if toks[i+1].IsP("(") {
					w.emit(QuoteIdent(t.Val), t.Pos)
					continue
				}
			case "cascade", "restrict":
				// DROP SCHEMA|DATABASE name CASCADE|RESTRICT: the MySQL
				// grammar has no such word; the caller reads it from the text
				if i == to-1 && toks[from].Is("drop") && (toks[from+1].Is("schema") || toks[from+1].Is("database")) {
					continue
				}
			case "default", "check":
				if t.Val == "default" && toks[i+1].Is("values") && toks[from].Is("insert") {
					w.emit("( ) VALUES ( )", t.Pos)
					i++
					continue
				}
				if next, ok := w.ddlExpr(i, to); ok {
					i = next - 1
					continue
				}
			case "generated":
				// GENERATED ALWAYS AS (expr) STORED: the expression's text, as
				// for CHECK
				if w.ColumnTypes && i+4 < to && toks[i+1].Is("always") && toks[i+2].Is("as") && toks[i+3].IsP("(") {
					if end := matchClose(toks, i+3, to); end > i+4 && end < to {
						w.emit("GENERATED ALWAYS AS (", t.Pos)
						w.emit(quoteStr(DDLExprPrefix+w.Src[toks[i+4].Pos:toks[end-1].End]), toks[i+4].Pos)
						w.emit(")", toks[end].Pos)
						i = end
						continue
					}
				}
			case "operator":
				// OPERATOR(pg_catalog.op) is the operator op
				if toks[i+1].IsP("(") {
					j := i + 2
					if (toks[j].Kind == Ident || toks[j].Kind == QIdent) && toks[j+1].IsP(".") {
						if toks[j].Val != "pg_catalog" {
							w.fail(toks[j], "42883", "operator does not exist: "+toks[j].Val+"."+toks[j+2].Val)
							continue
						}
						j += 2
					}
					if toks[j].Kind == Op && toks[j+1].IsP(")") {
						w.Skip = withSkip(w.Skip, j+1, j+2)
						i = j - 1
						continue
					}
					w.fail(toks[i+1], "42601", "syntax error")
					continue
				}
			case "collate":
				// COLLATE name: the default, C and POSIX collations are
				// byte order, which is what Tessera compares by.
				j := i + 1
				if (toks[j].Kind == Ident || toks[j].Kind == QIdent) && toks[j+1].IsP(".") {
					j += 2
				}
				if toks[j].Kind == Ident || toks[j].Kind == QIdent {
					switch strings.ToLower(toks[j].Val) {
					case "default", "c", "posix", "ucs_basic":
						i = j
						continue
					}
					w.fail(toks[j], "0A000", "collation \""+toks[j].Val+"\" is not supported")
					continue
				}
			case "lateral":
				// LATERAL f(...): functions in FROM are emitted as LATERAL
				// derived tables anyway
				if toks[i+1].Kind == Ident && !toks[i+1].IsP("(") {
					continue
				}
			case "mod", "div":
				// mod(a, b) and div(a, b) are the functions (named so in
				// the select list), not the MySQL grammar's a % b and
				// a DIV b
				if toks[i+1].IsP("(") && t.Kind == Ident {
					w.emit(QuoteIdent(t.Val), t.Pos)
					continue
				}
			case "concat":
				// a call of concat() is spelled CONCAT: the grammar spells
				// a || b as concat(a, b) (PIPES_AS_CONCAT), and the binder
				// tells the two apart by that spelling
				if toks[i+1].IsP("(") && t.Kind == Ident {
					w.emit("CONCAT", t.Pos)
					continue
				}
			case "session_user", "current_role", "current_catalog":
				// SQL-standard niladic functions the MySQL grammar lacks
				if n := len(w.R.Outs); !toks[i+1].IsP("(") && !toks[i+1].IsP(".") && (n == 0 || (w.R.Outs[n-1].Text != "." && !strings.EqualFold(w.R.Outs[n-1].Text, "as"))) && t.Kind == Ident {
					w.emit(t.Val+" ( )", t.Pos)
					continue
				}
			case "array":
				if toks[i+1].IsP("(") && (toks[i+2].Is("select") || toks[i+2].Is("with") || toks[i+2].Is("values")) {
					w.emit(FuncArraySub, t.Pos)
					w.emit("(", toks[i+1].Pos)
					stack = append(stack, frame{closeExtra: true})
					continue
				}
				if toks[i+1].IsP("[") {
					w.emit(FuncArray, t.Pos)
					w.emit("(", toks[i+1].Pos)
					stack = append(stack, frame{bracket: true})
					i++
					continue
				}
			}
			// a function in FROM: f(args) [AS] alias [(col)] -> (SELECT f(args) AS col) AS alias
			if top.inFrom && len(w.R.Outs) > 0 && (toks[i+1].IsP("(") || (toks[i+1].IsP(".") && toks[i+2].Kind == Ident && toks[i+3].IsP("("))) && !notFromFunc[t.Val] {
				if p := w.R.Outs[len(w.R.Outs)-1].Text; p == "from" || p == "join" || p == "," || p == "STRAIGHT_JOIN" {
					if next, ok := w.fromFunction(i, to); ok {
						i = next - 1
						continue
					}
				}
			}
		}
		switch t.Kind {
		case Ident, QIdent:
			if w.ColumnTypes && w.columnStart(len(stack)-1) {
				if typ, next, ok := ParseType(toks, i+1, true); ok && !isConstraintWord(t) && next > i+1 && !toks[next].IsP(".") && !(t.Is("if") && toks[i+1].Is("not")) {
					// a column name, quoted whatever the MySQL grammar reserves
					w.emit(QuoteIdent(t.Val), t.Pos)
					w.emit(w.addType(typ), toks[i+1].Pos)
					i = next - 1
					continue
				}
			}
			if t.Kind == QIdent {
				w.emit(QuoteIdent(t.Val), t.Pos)
				continue
			}
			if w.mysqlReservedIdent(i) || w.aliasAfterAs(i) {
				w.emit(QuoteIdent(t.Val), t.Pos)
				continue
			}
			// CAST( ... AS type )
			if t.Val == "cast" && toks[i+1].IsP("(") {
				w.emit("CAST", t.Pos)
				w.emit("(", toks[i+1].Pos)
				stack = append(stack, frame{cast: true})
				i++
				continue
			}
			if t.Val == "as" && top.cast {
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
						// INTERVAL 'v' field [TO field]: interval_qualify(v, 'from to')
						q := toks[next+1].Val
						end := next + 2
						if toks[end].IsP("(") && toks[end+1].Kind == Int && toks[end+2].IsP(")") && q == "second" {
							end += 3
						}
						if toks[end].Is("to") && toks[end+1].Kind == Ident && isIntervalField(toks[end+1].Val) {
							q += " " + toks[end+1].Val
							end += 2
							if toks[end].IsP("(") && toks[end+1].Kind == Int && toks[end+2].IsP(")") {
								end += 3
							}
						}
						w.emit(QuoteIdent(FuncIntervalQualify), t.Pos)
						w.emit("(", t.Pos)
						w.emit(quoteStr(toks[next].Val), toks[next].Pos)
						w.emit(",", t.Pos)
						w.emit(quoteStr(q), toks[next+1].Pos)
						w.emit(")", t.Pos)
						i = end - 1
						continue
					}
					w.emit("CAST", t.Pos)
					w.emit("(", t.Pos)
					w.emit(quoteStr(toks[next].Val), toks[next].Pos)
					w.emit("AS", t.Pos)
					w.emit(w.addType(typ), t.Pos)
					w.emit(")", t.Pos)
					i = next
					continue
				}
			}
			w.emit(t.Val, t.Pos)
		case String:
			// PostgreSQL joins adjacent string literals only across a
			// newline ('a'<newline>'b' is 'ab'); the MySQL grammar would
			// join 'a' 'b' too.
			if i > from && toks[i-1].Kind == String && !strings.Contains(w.Src[toks[i-1].End:t.Pos], "\n") {
				w.fail(t, "42601", "syntax error")
				continue
			}
			w.emit(quoteStr(t.Val), t.Pos)
		case BitStr:
			raw := t.Raw(w.Src)
			w.emit(strings.ToLower(raw[:1])+quoteStr(t.Val), t.Pos)
		case Int, Num:
			if t.Kind == Num && strings.ContainsAny(t.Val, "eE") {
				if _, err := strconv.ParseFloat(t.Val, 64); err != nil {
					// beyond float64 (1e400): PostgreSQL reads a numeric,
					// which the MySQL grammar's float literal cannot hold
					w.emit("CAST", t.Pos)
					w.emit("(", t.Pos)
					w.emit(quoteStr(t.Val), t.Pos)
					w.emit("AS", t.Pos)
					w.emit(w.addType(Type{Name: "numeric"}), t.Pos)
					w.emit(")", t.Pos)
					continue
				}
			}
			w.emit(t.Val, t.Pos)
		case Param:
			w.R.Outs = append(w.R.Outs, Out{Text: "?", Orig: t.Pos, Param: t.N})
		case Punct:
			switch t.Val {
			case "(":
				if ts, ok := w.tuples[i]; ok && ts.sub[1] > 0 {
					// SET (a, b) = (SELECT x, y ...): a = (SELECT c1 FROM
					// (SELECT x, y ...) AS m(c1, c2)), b = (SELECT c2 ...)
					// (the query runs once per column)
					var names strings.Builder
					for k := range ts.cols {
						if k > 0 {
							names.WriteString(" , ")
						}
						fmt.Fprintf(&names, `"?multiexpr%d"`, k+1)
					}
					for k, c := range ts.cols {
						if k > 0 {
							w.emit(",", c.Pos)
						}
						w.emit(QuoteIdent(c.Val), c.Pos)
						w.emit("=", c.Pos)
						w.emit(fmt.Sprintf(`( SELECT "?multiexpr%d" FROM LATERAL (`, k+1), toks[ts.sub[0]].Pos)
						w.R.Outs = append(w.R.Outs, w.sub(ts.sub[0], ts.sub[1])...)
						w.emit(`) AS "?multiexpr" ( `+names.String()+" ) )", toks[ts.sub[1]].Pos)
					}
					i = ts.end - 1
					continue
				}
				if ts, ok := w.tuples[i]; ok {
					for k, c := range ts.cols {
						if k > 0 {
							w.emit(",", c.Pos)
						}
						w.emit(QuoteIdent(c.Val), c.Pos)
						w.emit("=", c.Pos)
						w.R.Outs = append(w.R.Outs, w.sub(ts.exprs[k][0], ts.exprs[k][1])...)
					}
					i = ts.end - 1
					continue
				}
				// (SELECT ...) [AS] alias (a, b) in FROM: the grammar takes a
				// column alias list only after LATERAL, which changes nothing
				// for a subquery that refers to no earlier FROM item
				if n := len(w.R.Outs); top.inFrom && n > 0 && (toks[i+1].Is("select") || toks[i+1].Is("with")) {
					if p := w.R.Outs[n-1].Text; p == "from" || p == "join" || p == "," || p == "STRAIGHT_JOIN" {
						if c := matchClose(toks, i, to); c > 0 && c+3 < len(toks) {
							a := c + 1
							if toks[a].Is("as") {
								a++
							}
							if (toks[a].Kind == Ident || toks[a].Kind == QIdent) && !clauseEnd(toks[a].Val) && !isJoinWord(toks[a].Val) && toks[a+1].IsP("(") {
								w.emit("LATERAL", t.Pos)
							}
						}
					}
				}
				call := false
				if n := len(w.R.Outs); n > 0 && isWordOut(w.R.Outs[n-1].Text) && !isSetOpOut(w.R.Outs[n-1].Text) && !notCallWord[w.R.Outs[n-1].Text] {
					call = true
				}
				stack = append(stack, frame{call: call})
			case ")":
				if top.inFrom && top.joins > 0 {
					w.fail(t, "42601", "syntax error")
					continue
				}
				// agg(args) WITHIN GROUP (ORDER BY x ...): agg(args, x ORDER BY x ...)
				if top.call && toks[i+1].Is("within") && toks[i+2].Is("group") && toks[i+3].IsP("(") && toks[i+4].Is("order") && toks[i+5].Is("by") {
					closeAt := matchClose(toks, i+3, to)
					if closeAt < 0 || closeAt == i+6 {
						w.fail(toks[i+1], "42601", "syntax error")
						continue
					}
					exprEnd, depth := i+6, 0
					for ; exprEnd < closeAt; exprEnd++ {
						x := toks[exprEnd]
						if x.IsP("(") || x.IsP("[") {
							depth++
						} else if x.IsP(")") || x.IsP("]") {
							depth--
						} else if depth == 0 && (x.IsP(",") || x.Is("asc") || x.Is("desc") || x.Is("nulls") || x.Is("using")) {
							break
						}
					}
					if n := len(w.R.Outs); n > 0 && w.R.Outs[n-1].Text != "(" {
						w.emit(",", t.Pos)
					}
					w.R.Outs = append(w.R.Outs, w.sub(i+6, exprEnd)...)
					w.R.AggOrders = append(w.R.AggOrders, [2]int{i + 6, closeAt})
					w.emit(",", t.Pos)
					w.emit(FuncAggOrder, t.Pos)
					w.emit("(", t.Pos)
					w.emit(strconv.Itoa(len(w.R.AggOrders)-1), t.Pos)
					w.emit(")", t.Pos)
					if len(stack) > 1 {
						stack = stack[:len(stack)-1]
					}
					w.emit(")", t.Pos)
					i = closeAt
					continue
				}
				if len(stack) > 1 {
					stack = stack[:len(stack)-1]
				}
				w.emit(")", t.Pos)
				if len(stack) > 1 && stack[len(stack)-1].closeExtra {
					stack = stack[:len(stack)-1]
					w.emit(")", t.Pos)
				}
				// (composite).field
				if toks[i+1].IsP(".") && (toks[i+2].Kind == Ident || toks[i+2].Kind == QIdent) {
					s := w.primaryStart()
					w.R.Outs = append(w.R.Outs[:s], append([]Out{{Text: FuncField, Orig: w.R.Outs[s].Orig}, {Text: "(", Orig: w.R.Outs[s].Orig}}, w.R.Outs[s:]...)...)
					w.emit(",", toks[i+1].Pos)
					w.emit(quoteStr(toks[i+2].Val), toks[i+2].Pos)
					w.emit(")", toks[i+2].Pos)
					i += 2
					continue
				}
				// agg(...) FILTER (WHERE cond)
				if toks[i+1].Is("filter") && toks[i+2].IsP("(") && toks[i+3].Is("where") {
					end := matchClose(toks, i+2, to)
					if end < 0 {
						w.fail(toks[i+1], "42601", "syntax error")
						continue
					}
					w.filter(i+4, end)
					i = end
				}
				continue
			case ",":
				if top.inFrom && top.joins > 0 {
					w.fail(t, "42601", "syntax error")
					continue
				}
				if top.byList {
					w.R.NullsOrder = append(w.R.NullsOrder, 0)
					top.byItem = len(w.R.NullsOrder) - 1
				}
			case "]":
				if (top.bracket || top.subscript) && len(stack) > 1 {
					stack = stack[:len(stack)-1]
					w.emit(")", t.Pos)
					continue
				}
				w.fail(t, "42601", "syntax error")
				continue
			case "[":
				// ARRAY[[1,2],[3,4]]: an inner [...] is an array too
				if n := len(w.R.Outs); top.bracket && n > 0 && (w.R.Outs[n-1].Text == "(" || w.R.Outs[n-1].Text == ",") {
					w.emit(FuncArray, t.Pos)
					w.emit("(", t.Pos)
					stack = append(stack, frame{bracket: true})
					continue
				}
				// x[i]: a subscript of the primary expression just emitted
				if w.binaryContext() {
					s := w.primaryStart()
					w.R.Outs = append(w.R.Outs[:s], append([]Out{{Text: FuncSubscript, Orig: w.R.Outs[s].Orig}, {Text: "(", Orig: w.R.Outs[s].Orig}}, w.R.Outs[s:]...)...)
					w.emit(",", t.Pos)
					stack = append(stack, frame{subscript: true})
					continue
				}
				w.fail(t, "42601", "syntax error")
				continue
			case ":":
				// x[lo:hi]: __subscript(x, lo, hi), an omitted bound
				// spelled NULL
				if top.subscript && !top.slice {
					top.slice = true
					if n := len(w.R.Outs); n > 0 && w.R.Outs[n-1].Text == "," {
						w.emit("NULL", t.Pos)
					}
					w.emit(",", t.Pos)
					if toks[i+1].IsP("]") {
						w.emit("NULL", t.Pos)
					}
					continue
				}
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
				w.R.Outs = append(w.R.Outs[:s], append([]Out{{Text: "CAST", Orig: w.R.Outs[s].Orig}, {Text: "(", Orig: w.R.Outs[s].Orig}}, w.R.Outs[s:]...)...)
				w.emit("AS", t.Pos)
				w.emit(w.addType(typ), t.Pos)
				w.emit(")", t.Pos)
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
			case "^", "@>", "<@", "->", "->>", "#>", "#>>", "#-", "?", "?|", "?&", "&&", "@?", "@@":
				w.operator(i, to)
			case "!", "!!", "@", "<<=", ">>=", "~~", "!~~", ":=":
				w.fail(t, "42883", "operator does not exist: "+t.Val)
			case "=", "<>", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "||", "|", "&", "<<", ">>":
				w.emit(t.Val, t.Pos)
			default:
				w.fail(t, "42601", "syntax error")
			}
		}
	}
	if top := &stack[len(stack)-1]; top.inFrom && top.joins > 0 {
		w.fail(toks[to], "42601", "syntax error")
	}
	return w.err
}

// operator rewrites the binary operator toks[i] the MySQL grammar lacks
// (^, the jsonb operators) into FuncOp('op', left, right). PostgreSQL
// binds unary minus and the postfix forms (::, [ ], .field) tighter than
// these operators and ^ tighter than * and /; the operands taken here are
// exactly that: the primary expression before (with a unary sign) and the
// one after. A jsonb operator's operand that is itself a sum or product
// must be parenthesised (PostgreSQL would read j -> 1 + 1 as j -> (1 + 1)).
func (w *Rewriter) operator(i, to int) {
	t := w.Toks[i]
	if !w.binaryContext() {
		// PostgreSQL looks for a prefix operator and finds none
		w.fail(t, "42883", "operator does not exist: "+t.Val)
		return
	}
	w.wrapBinary(i, i+1, to, FuncOp, quoteStr(t.Val))
}

// wrapBinary rewrites the binary operator at toks[i] whose right operand
// starts at toks[r] into fn([first, ]left, right): the left operand is the
// primary expression just emitted (with a unary sign), the right one runs
// to operandEnd.
func (w *Rewriter) wrapBinary(i, r, to int, fn, first string) {
	t := w.Toks[i]
	end := operandEnd(w.Toks, r, to)
	if end < 0 {
		w.fail(w.Toks[r], "42601", "syntax error")
		return
	}
	s := w.primaryStart()
	if s > 0 && (w.R.Outs[s-1].Text == "-" || w.R.Outs[s-1].Text == "+") && (s == 1 || !outEndsOperand(w.R.Outs[s-2].Text)) {
		s--
	}
	o := w.R.Outs[s].Orig
	pre := []Out{{Text: fn, Orig: o}, {Text: "(", Orig: o}}
	if first != "" {
		pre = append(pre, Out{Text: first, Orig: t.Pos}, Out{Text: ",", Orig: t.Pos})
	}
	w.R.Outs = append(w.R.Outs[:s], append(pre, w.R.Outs[s:]...)...)
	w.emit(",", t.Pos)
	if w.Insert == nil {
		w.Insert = map[int]string{}
	}
	if prev, ok := w.Insert[end]; ok {
		w.Insert[end] = ") " + prev
	} else {
		w.Insert[end] = ")"
	}
}

// outEndsOperand reports whether an output chunk ends an operand (so a
// following + or - is binary).
func outEndsOperand(s string) bool {
	if s == ")" || s == "]" || s == "?" {
		return true
	}
	if s == "" {
		return false
	}
	c := s[0]
	if c == '\'' || c == '"' || isDigit(c) {
		return true
	}
	return isWordOut(s) && !isCmp(s)
}

// operandEnd returns the index after the primary expression starting at
// toks[i] (signs, a literal, a name or call, a parenthesised expression,
// CASE ... END, ARRAY[...], then any ::type, [subscript] and .field), or
// -1 if none starts there.
func operandEnd(toks []Token, i, to int) int {
	j := i
	for j < to && (toks[j].IsP("-") || toks[j].IsP("+")) {
		j++
	}
	if j >= to {
		return -1
	}
	t := toks[j]
	switch t.Kind {
	case String, Int, Num, Param, BitStr:
		j++
	case Punct:
		if !t.IsP("(") {
			return -1
		}
		c := matchClose(toks, j, to)
		if c < 0 {
			return -1
		}
		j = c + 1
	case Ident, QIdent:
		if t.Kind == Ident && t.Val == "case" {
			depth := 0
			for ; j < to; j++ {
				if toks[j].Is("case") {
					depth++
				} else if toks[j].Is("end") {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j >= to {
				return -1
			}
			j++
			break
		}
		if t.Kind == Ident && toks[j+1].Kind == String && IsTypeStart(t.Val) {
			if _, next, ok := ParseType(toks, j, false); ok && next < to && toks[next].Kind == String {
				j = next + 1
				break
			}
		}
		if t.Kind == Ident && t.Val == "array" && toks[j+1].IsP("[") {
			c := matchClose(toks, j+1, to)
			if c < 0 {
				return -1
			}
			j = c + 1
			break
		}
		j++
		for j+1 < to && toks[j].IsP(".") && (toks[j+1].Kind == Ident || toks[j+1].Kind == QIdent) {
			j += 2
		}
		if j < to && toks[j].IsP("(") {
			c := matchClose(toks, j, to)
			if c < 0 {
				return -1
			}
			j = c + 1
		}
	default:
		return -1
	}
	for j < to {
		switch {
		case toks[j].IsP("::"):
			_, next, ok := ParseType(toks, j+1, true)
			if !ok {
				return -1
			}
			j = next
		case toks[j].IsP("["):
			c := matchClose(toks, j, to)
			if c < 0 {
				return -1
			}
			j = c + 1
		case toks[j].IsP(".") && j+1 < to && (toks[j+1].Kind == Ident || toks[j+1].Kind == QIdent):
			j += 2
		default:
			return j
		}
	}
	return j
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
				return last == "," || countOpen(o) == 1
			}
		}
	}
	if depth == 0 {
		// ADD [COLUMN] [IF NOT EXISTS] name type
		k := len(o) - 1
		if o[k].Text == "exists" && k >= 2 && o[k-1].Text == "not" && o[k-2].Text == "if" {
			k -= 3
		}
		if k >= 0 && o[k].Text == "column" {
			k--
		}
		return k >= 0 && k < len(o)-1 && o[k].Text == "add" || last == "add"
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
	case "constraint", "primary", "unique", "check", "foreign", "like", "exclude", "column", "if":
		return true
	}
	return false
}

// Function names standing for PostgreSQL constructs the MySQL grammar
// lacks; sql/parser replaces them by its own expression nodes.
const (
	FuncArray     = "__pg_array"
	FuncArraySub  = "__pg_arraysub"
	FuncAny       = "__pg_any"
	FuncAll       = "__pg_all"
	FuncSubscript = "__pg_subscript"
	FuncField     = "__pg_field"
	FuncAggOrder  = "__pg_aggorder"
	// FuncDistinctOn(exprs) as the first field of a SELECT DISTINCT is its
	// DISTINCT ON (exprs).
	FuncDistinctOn = "__pg_distincton"
	// FuncAggFilter(cond) as the last argument of an aggregate call (before
	// a FuncAggOrder) is its FILTER (WHERE cond).
	FuncAggFilter = "__pg_aggfilter"
	// FuncOp('op', l, r) is the binary operator op (^ and the jsonb
	// operators), which sql/parser turns into OperatorExpr.
	FuncOp = "__pg_op"
	// FuncAtTimeZone(x, z) is x AT TIME ZONE z: timezone(z, x).
	FuncAtTimeZone = "__pg_attz"
	// MAX(FuncWinAgg() + agg(args)) OVER (...) is agg(args) OVER (...) of
	// an aggregate the MySQL grammar has no window rule for.
	FuncWinAgg = "__pg_winagg"
	// FuncDistinct() as the first argument of a call marks agg(DISTINCT ...).
	FuncDistinct = "__pg_distinct"
	// FuncIntervalQualify('v', 'field [field]') is INTERVAL 'v' field [TO
	// field], a function of sql/sem.
	FuncIntervalQualify = "interval_qualify"
	// FuncVariadic(arr) is a call's last argument VARIADIC arr: the array
	// passed whole as the VARIADIC parameter.
	FuncVariadic = "__pg_variadic"
	// FuncNamed('name', v) is a call's argument written name => v (or
	// name := v): sql/plan binds it to the parameter of that name.
	FuncNamed = "__pg_named"
	// FuncArraySet(a, i, [j, ...,] v) is a with element [i][j]... set to
	// v: UPDATE's SET a[i][j] = v.
	FuncArraySet = "__pg_array_set"
	// SpelledStddev and SpelledVariance stand for stddev( and variance(:
	// the sample aggregates, whose name in the tree keeps this spelling.
	// NoLimit is the LIMIT count emitted for OFFSET without LIMIT (the
	// MySQL grammar has no OFFSET alone); sql/parser drops it from the tree.
	NoLimit         = "18446744073709551615"
	SpelledStddev   = "STDDEV_SAMP"
	SpelledVariance = "VAR_SAMP"
)

func isCmp(s string) bool {
	switch s {
	case "=", "<>", "<", ">", "<=", ">=", "like", "ilike":
		return true
	}
	return false
}

func withInsert(m map[int]string, at int, text string) map[int]string {
	if m == nil {
		m = map[int]string{}
	}
	m[at] = text
	return m
}

func withSkip(m map[int]int, from, to int) map[int]int {
	if m == nil {
		m = map[int]int{}
	}
	m[from] = to
	return m
}

// nullSkippingAgg are the aggregates the MySQL grammar has own rules for
// (one argument): they skip NULL inputs, so FILTER can feed them NULL for
// the rows it drops.
var nullSkippingAgg = map[string]bool{
	"count": true, "sum": true, "avg": true, "min": true, "max": true, "bit_and": true, "bit_or": true,
	"bit_xor": true, "stddev": true, "stddev_pop": true, "stddev_samp": true, "variance": true,
	"var_pop": true, "var_samp": true,
}

// filter rewrites the aggregate call just emitted, whose FILTER condition
// is toks[a:b], into agg([DISTINCT] CASE WHEN cond THEN args END).
func (w *Rewriter) filter(a, b int) {
	o := w.R.Outs
	// find the "(" of the call
	depth := 0
	open := -1
	for k := len(o) - 1; k >= 0; k-- {
		if o[k].Text == ")" {
			depth++
		} else if o[k].Text == "(" {
			depth--
			if depth == 0 {
				open = k
				break
			}
		}
	}
	if open < 1 {
		w.fail(w.Toks[a], "42601", "syntax error")
		return
	}
	args := append([]Out(nil), o[open+1:len(o)-1]...)
	cond := w.sub(a, b)
	if w.err != nil {
		return
	}
	pos := w.Toks[a].Pos
	if name := strings.ToLower(o[open-1].Text); !nullSkippingAgg[name] && !w.Toks[b+1].Is("over") && open >= 1 {
		// an aggregate that keeps NULL inputs (array_agg, json_agg ...):
		// the condition rides as a last __pg_aggfilter(cond) argument
		// (before an ORDER BY marker), which the binder takes out
		at := len(o) - 1
		if n := len(o); n >= open+6 && o[n-2].Text == ")" && o[n-5].Text == FuncAggOrder && o[n-6].Text == "," {
			at = n - 6
		}
		out := append([]Out(nil), o[:at]...)
		out = append(out, Out{Text: ",", Orig: pos}, Out{Text: FuncAggFilter, Orig: pos}, Out{Text: "(", Orig: pos})
		out = append(out, cond...)
		out = append(out, Out{Text: ")", Orig: pos})
		out = append(out, o[at:]...)
		w.R.Outs = out
		return
	}
	out := append([]Out(nil), o[:open+1]...)
	if len(args) > 0 && args[0].Text == "distinct" {
		out = append(out, args[0])
		args = args[1:]
	}
	if len(args) == 0 || (len(args) == 1 && args[0].Text == "*") {
		args = []Out{{Text: "1", Orig: pos}}
	}
	// a comma at the call's own level separates arguments; one inside a
	// nested call or parenthesis does not
	argDepth := 0
	for _, x := range args {
		switch x.Text {
		case "(":
			argDepth++
		case ")":
			argDepth--
		}
		if x.Text == "," && argDepth == 0 {
			w.fail(w.Toks[a], "0A000", "FILTER on an aggregate with several arguments is not supported")
			return
		}
	}
	out = append(out, Out{Text: "CASE WHEN", Orig: pos})
	out = append(out, cond...)
	out = append(out, Out{Text: "THEN", Orig: pos})
	out = append(out, args...)
	out = append(out, Out{Text: "END )", Orig: pos})
	w.R.Outs = out
}

// fromFunction rewrites a function call in FROM at toks[i] into a derived
// table; it returns the index after the alias.
func (w *Rewriter) fromFunction(i, to int) (int, bool) {
	toks := w.Toks
	nameAt := i
	if toks[i+1].IsP(".") {
		nameAt = i + 2
	}
	close := matchClose(toks, nameAt+1, to)
	if close < 0 {
		return 0, false
	}
	// the calls: one, or one per argument of a multi-argument unnest,
	// which zips its arrays as set-returning functions in a SELECT list do
	var calls [][]Out
	if toks[nameAt].Val == "unnest" && nameAt == i {
		depth, start := 0, nameAt+2
		for k := nameAt + 2; k <= close; k++ {
			switch {
			case toks[k].IsP("(") || toks[k].IsP("["):
				depth++
			case (toks[k].IsP(")") || toks[k].IsP("]")) && k != close:
				depth--
			case depth == 0 && (toks[k].IsP(",") || k == close):
				if k == start {
					return 0, false
				}
				c := []Out{{Text: "UNNEST", Orig: toks[i].Pos}, {Text: "(", Orig: toks[i].Pos}}
				c = append(c, w.sub(start, k)...)
				calls = append(calls, append(c, Out{Text: ")", Orig: toks[k].Pos}))
				start = k + 1
			}
			if k == close {
				break
			}
		}
	} else {
		calls = [][]Out{w.sub(i, close+1)}
	}
	j := close + 1
	alias := toks[nameAt].Val
	ordinality := false
	if toks[j].Is("with") && toks[j+1].Is("ordinality") {
		ordinality = true
		j += 2
	}
	hasAs := toks[j].Is("as")
	if hasAs {
		j++
	}
	var names, defs []string
	if (toks[j].Kind == Ident && !clauseEnd(toks[j].Val) && !isJoinWord(toks[j].Val)) || toks[j].Kind == QIdent {
		alias = toks[j].Val
		j++
		if toks[j].IsP("(") {
			for j++; ; j += 2 {
				if toks[j].Kind != Ident && toks[j].Kind != QIdent {
					w.fail(toks[j], "42601", "syntax error")
					return 0, false
				}
				names = append(names, toks[j].Val)
				if !toks[j+1].IsP(")") && !toks[j+1].IsP(",") {
					// a column definition list (name type, ...) of a
					// function returning records
					_, next, ok := ParseType(toks, j+1, true)
					if !ok || next >= len(toks) {
						w.fail(toks[j+1], "42601", "syntax error")
						return 0, false
					}
					defs = append(defs, strings.TrimSpace(w.Src[toks[j+1].Pos:toks[next].Pos]))
					j = next - 1
				} else if len(defs) > 0 {
					w.fail(toks[j+1], "42601", "syntax error")
					return 0, false
				}
				if toks[j+1].IsP(")") {
					j += 2
					break
				}
				if !toks[j+1].IsP(",") {
					w.fail(toks[j+1], "42601", "syntax error")
					return 0, false
				}
			}
		}
	} else if hasAs {
		w.fail(toks[j], "42601", "syntax error")
		return 0, false
	}
	// column names: the alias list, else the alias (one column), else the
	// function name; then the ordinality column
	cols := make([]string, len(calls))
	for k := range cols {
		switch {
		case k < len(names):
			cols[k] = names[k]
		case len(calls) == 1 && len(names) == 0:
			cols[k] = alias
		default:
			cols[k] = toks[nameAt].Val
		}
	}
	if len(defs) > 0 {
		// the types ride as string arguments after ColumnDefsMarker; the
		// binder takes them out and types the function's columns
		if len(calls) != 1 || ordinality {
			w.fail(toks[i], "0A000", "a column definition list is only supported on one function returning records")
			return 0, false
		}
		c := calls[0]
		pos := toks[i].Pos
		w.emit("LATERAL ( SELECT", pos)
		w.R.Outs = append(w.R.Outs, c[:len(c)-1]...)
		w.emit(", "+QuoteString(ColumnDefsMarker), pos)
		for k, d := range defs {
			w.emit(", "+QuoteString(names[k])+", "+QuoteString(d), pos)
		}
		w.emit(") AS "+QuoteIdent(toks[nameAt].Val)+" ) AS "+QuoteIdent(alias)+" (", pos)
		for k, n := range names {
			if k > 0 {
				w.emit(",", pos)
			}
			w.emit(QuoteIdent(n), pos)
		}
		w.emit(")", pos)
		return j, true
	}
	if out, ok := outColumns[toks[nameAt].Val]; ok && len(calls) == 1 {
		if len(out) == 1 {
			if len(names) == 0 {
				cols[0] = out[0]
			}
		} else {
			// a function returning rows of several columns: its rows are
			// the generator's, named by the alias list over them
			if ordinality || len(names) > len(out) {
				w.fail(toks[j-1], "0A000", "WITH ORDINALITY or a longer column alias list on "+toks[nameAt].Val+" is not supported")
				return 0, false
			}
			full := append(append([]string(nil), names...), out[len(names):]...)
			pos := toks[i].Pos
			w.emit("LATERAL ( SELECT", pos)
			w.R.Outs = append(w.R.Outs, calls[0]...)
			w.emit("AS "+QuoteIdent(toks[nameAt].Val)+" ) AS "+QuoteIdent(alias)+" (", pos)
			for k, n := range full {
				if k > 0 {
					w.emit(",", pos)
				}
				w.emit(QuoteIdent(n), pos)
			}
			w.emit(")", pos)
			return j, true
		}
	}
	ordCol := "ordinality"
	extra := len(names) - len(calls)
	switch {
	case extra == 1 && ordinality:
		ordCol = names[len(names)-1]
	case extra > 0:
		w.fail(toks[j-1], "0A000", "column alias lists on functions in FROM must name the function's columns (record-returning functions are not supported)")
		return 0, false
	}
	pos := toks[i].Pos
	// a function in FROM may refer to the FROM items before it, as a
	// LATERAL derived table does
	w.emit("LATERAL ( SELECT", pos)
	for k, c := range calls {
		if k > 0 {
			w.emit(",", pos)
		}
		w.R.Outs = append(w.R.Outs, c...)
		w.emit("AS "+QuoteIdent(cols[k]), pos)
	}
	if ordinality {
		// the row number of each row the function returns, counted from 1
		w.emit(", ROW_NUMBER ( ) OVER ( ) AS "+QuoteIdent(ordCol), pos)
	}
	w.emit(") AS "+QuoteIdent(alias), pos)
	return j, true
}

// ColumnDefsMarker is the string argument after which a function in FROM
// with a column definition list (AS x(a int, b text)) gets its columns,
// a string argument for each name and each type.
const ColumnDefsMarker = "?column definitions"

// QuoteString is s as a string literal.
func QuoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// outColumns are the output column names of the set-returning functions
// with OUT parameters (PostgreSQL names their columns after those, not
// after the function or its alias).
var outColumns = map[string][]string{
	"jsonb_array_elements": {"value"}, "jsonb_array_elements_text": {"value"},
	"json_array_elements": {"value"}, "json_array_elements_text": {"value"},
	"jsonb_each": {"key", "value"}, "jsonb_each_text": {"key", "value"},
	"json_each": {"key", "value"}, "json_each_text": {"key", "value"},
}

// grammarFunc are the functions the MySQL grammar has own rules for
// (which refuse some argument lists with a syntax error) or that
// PostgreSQL allows only as window functions.
var grammarFunc = map[string]bool{
	"count": true, "substring": true,
	"rank": true, "dense_rank": true, "row_number": true, "cume_dist": true, "percent_rank": true,
	"ntile": true, "lag": true, "lead": true, "first_value": true, "last_value": true, "nth_value": true,
}

// windowArgs are the window functions' numbers of arguments (least, most).
var windowArgs = map[string][2]int{
	"rank": {0, 0}, "dense_rank": {0, 0}, "row_number": {0, 0}, "cume_dist": {0, 0}, "percent_rank": {0, 0},
	"ntile": {1, 1}, "lag": {1, 3}, "lead": {1, 3}, "first_value": {1, 1}, "last_value": {1, 1}, "nth_value": {2, 2},
}

// grammarCall checks the call toks[i]( ... ) of a grammarFunc as
// PostgreSQL's parse analysis would, so that these get PostgreSQL's
// SQLSTATE instead of the MySQL grammar's syntax error: a window function
// without OVER is 42809 (42883 if it has the wrong number of arguments),
// so is count(); count with several arguments and substring with none or
// one are calls of functions that do not exist (42883). It reports
// whether it failed.
func (w *Rewriter) grammarCall(i, to int) bool {
	toks := w.Toks
	end := matchClose(toks, i+1, to)
	if end < 0 {
		return false
	}
	args, depth, from := 0, 0, false
	for j := i + 2; j < end; j++ {
		switch {
		case toks[j].IsP("(") || toks[j].IsP("["):
			depth++
		case toks[j].IsP(")") || toks[j].IsP("]"):
			depth--
		case depth == 0 && toks[j].IsP(","):
			args++
		case depth == 0 && (toks[j].Is("from") || toks[j].Is("for") || toks[j].Is("similar") || toks[j].Is("order")):
			from = true
		}
	}
	if end > i+2 {
		args++
	}
	t := toks[i]
	switch t.Val {
	case "count":
		if args == 0 {
			w.fail(t, "42809", "count(*) must be used to call a parameterless aggregate function")
			return true
		}
		if args > 1 {
			w.fail(t, "42883", "function count with "+strconv.Itoa(args)+" arguments does not exist")
			return true
		}
	case "substring":
		if args == 0 || (args == 1 && !from) || args > 3 {
			w.fail(t, "42883", "function substring with "+strconv.Itoa(args)+" arguments does not exist")
			return true
		}
	default:
		if !toks[end+1].Is("over") && !toks[end+1].Is("within") && !toks[end+1].Is("filter") {
			if n := windowArgs[t.Val]; args < n[0] || args > n[1] {
				w.fail(t, "42883", "function "+t.Val+" with "+strconv.Itoa(args)+" arguments does not exist")
				return true
			}
			w.fail(t, "42809", "window function "+t.Val+" requires an OVER clause")
			return true
		}
	}
	return false
}

// joinNeedsQual reports whether the JOIN at toks[i] needs ON or USING:
// all but CROSS JOIN and NATURAL [type] JOIN do.
func joinNeedsQual(toks []Token, from, i int) bool {
	for j := i - 1; j >= from; j-- {
		switch {
		case toks[j].Is("cross"), toks[j].Is("natural"):
			return false
		case toks[j].Is("outer"), toks[j].Is("left"), toks[j].Is("right"), toks[j].Is("inner"), toks[j].Is("full"):
		default:
			return true
		}
	}
	return true
}

func isJoinWord(v string) bool {
	switch v {
	case "join", "inner", "left", "right", "full", "cross", "natural", "on", "using":
		return true
	}
	return false
}

// insertAt emits the Insert text registered for the end index to.
func (w *Rewriter) insertAt(to int) {
	if ins, ok := w.Insert[to]; ok && w.err == nil && to < len(w.Toks) {
		w.emit(ins, w.Toks[to].Pos)
		delete(w.Insert, to)
	}
}

// fetchAfter finds FETCH {FIRST|NEXT} [n] {ROW|ROWS} ONLY at the nesting
// level of toks[i:to]; it returns the FETCH index (0 if none), the count's
// token range and the index after ONLY.
func fetchAfter(toks []Token, i, to int) (int, [2]int, int) {
	depth := 0
	for j := i; j < to; j++ {
		switch {
		case toks[j].IsP("("):
			depth++
		case toks[j].IsP(")"):
			if depth == 0 {
				return 0, [2]int{}, 0
			}
			depth--
		case depth == 0 && toks[j].Is("fetch") && (toks[j+1].Is("first") || toks[j+1].Is("next")):
			k := j + 2
			for k < to && !toks[k].Is("row") && !toks[k].Is("rows") {
				k++
			}
			if k+1 < to && toks[k+1].Is("only") {
				return j, [2]int{j + 2, k}, k + 2
			}
			return 0, [2]int{}, 0
		}
	}
	return 0, [2]int{}, 0
}

func isSetOpOut(s string) bool {
	switch s {
	case "union", "all", "intersect", "except", "(", "select", "distinct", "lateral":
		return true
	}
	return false
}

// valuesAsSelects rewrites a VALUES list used as a query (not INSERT's)
// into SELECT e1 AS column1, ... UNION ALL SELECT ..., PostgreSQL's column
// names for VALUES; it returns the index after the last row.
func (w *Rewriter) valuesAsSelects(i, to int) (int, bool) {
	toks := w.Toks
	j := i + 1
	first := true
	names := w.valuesAliases(i)
	for toks[j].IsP("(") {
		end := matchClose(toks, j, to)
		if end < 0 {
			return 0, false
		}
		if !first {
			w.emit("UNION ALL", toks[j].Pos)
		}
		first = false
		w.emit("SELECT", toks[j].Pos)
		col := 1
		start := j + 1
		depth := 0
		for k := j + 1; k <= end; k++ {
			if toks[k].IsP("(") || toks[k].IsP("[") {
				depth++
			} else if (toks[k].IsP(")") || toks[k].IsP("]")) && k != end {
				depth--
			}
			if (depth == 0 && toks[k].IsP(",")) || k == end {
				if k == start {
					return 0, false
				}
				w.R.Outs = append(w.R.Outs, w.sub(start, k)...)
				if col <= len(names) {
					w.emit("AS "+names[col-1], toks[k].Pos)
				} else {
					w.emit("AS column"+strconv.Itoa(col), toks[k].Pos)
				}
				if k != end {
					w.emit(",", toks[k].Pos)
				}
				col++
				start = k + 1
			}
		}
		j = end + 1
		if !toks[j].IsP(",") {
			break
		}
		j++
	}
	return j, !first
}

// valuesAliases handles (VALUES ...) [AS] v(x, y): the column alias list
// of a parenthesised VALUES in FROM names its columns (emitted as quoted
// identifiers) and is cut from the text, so the grammar sees (...) AS v.
func (w *Rewriter) valuesAliases(i int) []string {
	toks := w.Toks
	if i == 0 || !toks[i-1].IsP("(") {
		return nil
	}
	c := matchClose(toks, i-1, len(toks))
	if c < 0 || c+3 >= len(toks) {
		return nil
	}
	a := c + 1
	if toks[a].Is("as") {
		a++
	}
	if a+1 >= len(toks) || (toks[a].Kind != Ident && toks[a].Kind != QIdent) || !toks[a+1].IsP("(") {
		return nil
	}
	var names []string
	k := a + 2
	for ; k < len(toks); k += 2 {
		if toks[k].Kind != Ident && toks[k].Kind != QIdent {
			return nil
		}
		names = append(names, `"`+strings.ReplaceAll(toks[k].Val, `"`, `""`)+`"`)
		if k+1 < len(toks) && toks[k+1].IsP(")") {
			break
		}
		if k+1 >= len(toks) || !toks[k+1].IsP(",") {
			return nil
		}
	}
	if k >= len(toks) {
		return nil
	}
	w.Skip = withSkip(w.Skip, a+1, k+2)
	return names
}

// mysqlOnly are words the MySQL grammar reserves that PostgreSQL never uses
// as keywords: always emitted quoted. mysqlReserved are MySQL-reserved
// words that are PostgreSQL keywords in some statements: quoted where they
// can only be identifiers (after AS, around a ".").
var mysqlOnly = map[string]bool{
	"keys": true, "databases": true, "distinctrow": true, "rlike": true, "straight_join": true,
	"mediumint": true, "tinyint": true, "longblob": true, "mediumblob": true, "tinyblob": true,
	"longtext": true, "mediumtext": true, "tinytext": true, "zerofill": true, "high_priority": true,
	"low_priority": true, "delayed": true, "sql_calc_found_rows": true, "sql_small_result": true,
	"sql_big_result": true, "fulltext": true, "spatial": true, "accessible": true, "elseif": true,
	"enclosed": true, "escaped": true, "infile": true, "outfile": true, "optionally": true,
	"terminated": true, "starting": true, "lines": true, "separator": true, "year_month": true,
	"day_hour": true, "day_minute": true, "day_second": true, "hour_minute": true, "hour_second": true,
	"minute_second": true, "cardinality": true, "utc_date": true, "utc_time": true, "utc_timestamp": true, "varbinary": true,
}

var mysqlReserved = map[string]bool{
	"key": true, "index": true, "range": true, "rows": true, "row": true, "groups": true, "schema": true,
	"show": true, "option": true, "release": true, "rename": true, "replace": true, "repeat": true,
	"return": true, "lock": true, "load": true, "match": true, "mod": true, "read": true, "write": true,
	"usage": true, "condition": true, "change": true, "database": true, "kill": true, "leave": true,
	"loop": true, "long": true, "force": true, "purge": true, "require": true, "revoke": true,
	"describe": true, "explain": true, "analyze": true, "add": true, "before": true, "binary": true,
	"blob": true, "exit": true, "iterate": true, "linear": true, "optimize": true, "reads": true,
	"undo": true, "unlock": true, "while": true, "status": true, "rank": true, "row_number": true,
	"dense_rank": true, "cume_dist": true, "percent_rank": true, "ntile": true, "lead": true, "lag": true,
	"first_value": true, "last_value": true, "nth_value": true, "window": true, "interval": true,
	"signed": true, "unsigned": true, "int1": true, "int2": true, "int3": true, "int4": true, "int8": true,
	"float4": true, "float8": true, "middleint": true, "dual": true, "div": false, "sql": true, "regexp": true,
	"generated": true, "stored": true, "virtual": true, "ignore": true, "inout": true, "split": true,
	"by": true,
}

// identClass merges mysqlOnly (bit classMySQLOnly) and mysqlReserved (bit
// classReserved), so that an identifier costs one map lookup.
var identClass = func() map[string]uint8 {
	m := make(map[string]uint8, len(mysqlOnly)+len(mysqlReserved))
	for w, ok := range mysqlOnly {
		if ok {
			m[w] |= classMySQLOnly
		}
	}
	for w, ok := range mysqlReserved {
		if ok {
			m[w] |= classReserved
		}
	}
	return m
}()

const (
	classMySQLOnly uint8 = 1 << iota
	classReserved
)

// mysqlReservedIdent reports whether the identifier toks[i] must be quoted
// for the MySQL grammar to read it as an identifier.
func (w *Rewriter) mysqlReservedIdent(i int) bool {
	t := w.Toks[i]
	c := identClass[t.Val]
	if c&classMySQLOnly != 0 {
		return true
	}
	if c&classReserved == 0 {
		return false
	}
	next := w.Toks[i+1]
	if i > 0 && (w.Toks[i-1].IsP(".") || (w.Toks[i-1].Is("as") && !next.IsP("("))) {
		return !next.IsP("(")
	}
	if next.IsP(".") {
		return true
	}
	// a column reference inside an expression: after "(", ",", an operator
	// or an expression keyword, and not a function call or typed literal
	if i == 0 || next.IsP("(") || next.Kind == String {
		return false
	}
	p := w.Toks[i-1]
	if p.IsP("(") && (t.Val == "rows" || t.Val == "range" || t.Val == "groups") && frameStart(w.Toks, i+1, len(w.Toks)) {
		return false // OVER (ROWS ...): a frame, not a column
	}
	switch {
	case p.IsP("(") || p.IsP(",") || p.Kind == Op:
		return true
	case p.Kind == Ident:
		switch p.Val {
		case "select", "where", "and", "on", "when", "then", "else", "distinct", "case",
			"by", "having", "returning":
			return true
		case "or": // CREATE OR REPLACE
			return t.Val != "replace"
		case "not":
			return true
		case "set": // ALTER ... SET SCHEMA
			return t.Val != "schema"
		}
	}
	return false
}

// notCallWord are words after which "(" opens a subquery or a list, not a
// function call's arguments.
var notCallWord = map[string]bool{
	"join": true, "from": true, "where": true, "and": true, "or": true, "not": true, "in": true,
	"exists": true, "on": true, "using": true, "when": true, "then": true, "else": true, "as": true,
	"by": true, "having": true, "values": true, "set": true, "into": true, "table": true, "with": true,
	"over": true, "filter": true, "window": true, "returning": true, "limit": true, "offset": true,
	"recursive": true, "materialized": true, "lateral": true,
	// FULL JOIN is emitted as STRAIGHT_JOIN: a subquery may follow it
	"STRAIGHT_JOIN": true,
}

// notFromFunc are words that, followed by "(" in FROM, are not a function.
var notFromFunc = map[string]bool{"lateral": true, "only": true, "values": true, "select": true, "rows": true, "join": true, "using": true, "on": true}

// aliasAfterAs reports whether toks[i] is a column or table alias written
// after AS: PostgreSQL takes any keyword there (AS default, AS user), so it
// is emitted quoted; the folded name keeps its meaning.
func (w *Rewriter) aliasAfterAs(i int) bool {
	if i == 0 || !w.Toks[i-1].Is("as") {
		return false
	}
	switch w.Toks[i].Val {
	case "select", "with", "values", "table", "identity", "not", "materialized", "recursive":
		return false
	}
	n := w.Toks[i+1]
	if n.Kind == EOF || n.IsP(",") || n.IsP(")") || n.IsP(";") {
		return true
	}
	if n.Kind == Ident {
		switch n.Val {
		case "from", "where", "group", "order", "having", "limit", "offset", "union", "except", "intersect",
			"join", "inner", "left", "right", "full", "cross", "natural", "on", "using", "window", "fetch", "for", "returning":
			return true
		}
	}
	return false
}

// scanTupleSets finds the SET (a, b) = (x, y) assignments of the UPDATE
// toks[from:to] and records them in w.tuples; a count mismatch is 42601
// and a subquery source 0A000.
func (w *Rewriter) scanTupleSets(from, to int) {
	toks := w.Toks
	depth, set := 0, -1
	for j := from; j < to; j++ {
		if toks[j].IsP("(") {
			depth++
		} else if toks[j].IsP(")") {
			depth--
		} else if depth == 0 && toks[j].Is("set") {
			set = j
			break
		}
	}
	if set < 0 {
		return
	}
	start := set + 1
	for start < to {
		end := start
		depth = 0
		for end < to {
			t := toks[end]
			if t.IsP("(") || t.IsP("[") {
				depth++
			} else if t.IsP(")") || t.IsP("]") {
				depth--
			} else if depth == 0 && (t.IsP(",") || t.Is("where") || t.Is("from") || t.Is("returning")) {
				break
			}
			end++
		}
		if (toks[start].Kind == Ident || toks[start].Kind == QIdent) && toks[start+1].IsP("[") {
			w.arrayElementSet(start, end)
		}
		if toks[start].IsP("(") {
			closeCols := matchClose(toks, start, end)
			if closeCols > 0 && toks[closeCols+1].IsP("=") {
				ts := tupleSet{}
				ok := true
				for k := start + 1; k < closeCols; k++ {
					switch {
					case (k-start)%2 == 1 && (toks[k].Kind == Ident || toks[k].Kind == QIdent):
						ts.cols = append(ts.cols, toks[k])
					case (k-start)%2 == 0 && toks[k].IsP(","):
					default:
						ok = false
					}
				}
				rhs := closeCols + 2
				if toks[rhs].Is("row") && toks[rhs+1].IsP("(") {
					rhs++
				}
				if ok && toks[rhs].IsP("(") {
					closeRHS := matchClose(toks, rhs, to)
					if closeRHS > 0 && closeRHS+1 == end && (toks[rhs+1].Is("select") || toks[rhs+1].Is("with") || toks[rhs+1].Is("values")) {
						ts.sub = [2]int{rhs + 1, closeRHS}
						ts.end = end
						if w.tuples == nil {
							w.tuples = map[int]tupleSet{}
						}
						w.tuples[start] = ts
					} else if closeRHS > 0 && closeRHS+1 == end {
						a, d := rhs+1, 0
						for k := rhs + 1; k <= closeRHS; k++ {
							if toks[k].IsP("(") || toks[k].IsP("[") {
								d++
							} else if toks[k].IsP(")") || toks[k].IsP("]") {
								d--
							}
							if (d == 0 && toks[k].IsP(",")) || k == closeRHS {
								ts.exprs = append(ts.exprs, [2]int{a, k})
								a = k + 1
							}
						}
						if len(ts.exprs) != len(ts.cols) {
							w.fail(toks[rhs], "42601", "number of columns does not match number of values")
							return
						}
						ts.end = end
						if w.tuples == nil {
							w.tuples = map[int]tupleSet{}
						}
						w.tuples[start] = ts
					}
				}
			}
		}
		if end >= to || !toks[end].IsP(",") {
			return
		}
		start = end + 1
	}
}

// arrayElementSet rewrites UPDATE's SET col[i][j] = v (toks[start:end])
// as col = __pg_array_set(col, i, j, v).
func (w *Rewriter) arrayElementSet(start, end int) {
	toks := w.Toks
	var opens, closes []int
	k := start + 1
	for k < end && toks[k].IsP("[") {
		depth, c := 0, -1
		for j := k; j < end; j++ {
			if toks[j].IsP("[") {
				depth++
			} else if toks[j].IsP("]") {
				depth--
				if depth == 0 {
					c = j
					break
				}
			} else if depth == 1 && toks[j].IsP(":") {
				return // a slice assignment: left as it is
			}
		}
		if c < 0 {
			return
		}
		opens, closes = append(opens, k), append(closes, c)
		k = c + 1
	}
	if k >= end || !toks[k].IsP("=") {
		return
	}
	if w.Insert == nil {
		w.Insert = map[int]string{}
	}
	if w.Skip == nil {
		w.Skip = map[int]int{}
	}
	w.Insert[opens[0]] = "= " + QuoteIdent(FuncArraySet) + "(" + QuoteIdent(toks[start].Val) + ","
	w.Skip[opens[0]] = opens[0] + 1
	for i := 0; i+1 < len(opens); i++ {
		w.Insert[closes[i]] = ","
		w.Skip[closes[i]] = opens[i+1] + 1
	}
	last := closes[len(closes)-1]
	w.Insert[last] = ","
	w.Skip[last] = k + 1
	if prev, ok := w.Insert[end]; ok {
		w.Insert[end] = ") " + prev
	} else {
		w.Insert[end] = ")"
	}
}

// similarEnd returns the end of SIMILAR TO's pattern operand starting at
// toks[i]: the next depth-0 token that binds looser than LIKE.
func similarEnd(toks []Token, i, to int) int {
	depth := 0
	for j := i; j < to; j++ {
		t := toks[j]
		switch {
		case t.IsP("(") || t.IsP("["):
			depth++
		case t.IsP(")") || t.IsP("]"):
			if depth == 0 {
				return j
			}
			depth--
		case depth > 0:
		case t.IsP(",") || t.IsP(";"):
			return j
		case t.Kind == Op && (t.Val == "=" || t.Val == "<>" || t.Val == "!=" || t.Val == "<" || t.Val == ">" || t.Val == "<=" || t.Val == ">="):
			return j
		case t.Kind == Ident:
			switch t.Val {
			case "and", "or", "escape", "then", "else", "end", "when", "is", "as", "from", "where", "group", "order",
				"limit", "offset", "having", "union", "except", "intersect", "not", "like", "ilike", "similar", "between", "in", "returning", "window", "for",
				"join", "inner", "left", "right", "full", "cross", "natural", "on", "using", "asc", "desc", "nulls":
				return j
			}
		}
	}
	return to
}

// mysqlAggregate are the aggregates the MySQL grammar reads with DISTINCT.
var mysqlAggregate = map[string]bool{
	"count": true, "sum": true, "avg": true, "min": true, "max": true, "group_concat": true,
	"bit_and": true, "bit_or": true, "bit_xor": true, "std": true, "stddev": true, "stddev_pop": true,
	"stddev_samp": true, "variance": true, "var_pop": true, "var_samp": true, "json_arrayagg": true,
	"json_objectagg": true, "approx_count_distinct": true, "approx_percentile": true,
}

// groupBy handles GROUP BY (toks[i] is BY): a list with ROLLUP, CUBE or
// GROUPING SETS is emitted as the deduplicated list of its expressions,
// the sets recorded in GroupingSets; a plain list records nil and is left
// to the main loop (ok false).
func (w *Rewriter) groupBy(i, to int) (int, bool) {
	toks := w.Toks
	end, depth := i+1, 0
	special := false
	for ; end < to; end++ {
		t := toks[end]
		if t.IsP("(") || t.IsP("[") {
			depth++
		} else if t.IsP(")") || t.IsP("]") {
			if depth == 0 {
				break
			}
			depth--
		} else if depth == 0 && t.Kind == Ident {
			switch t.Val {
			case "having", "order", "limit", "offset", "window", "union", "except", "intersect", "fetch", "for", "returning":
				goto done
			case "rollup", "cube":
				special = special || toks[end+1].IsP("(")
			case "grouping":
				special = special || toks[end+1].Is("sets")
			}
		}
	}
done:
	if !special {
		w.R.GroupingSets = append(w.R.GroupingSets, nil)
		return 0, false
	}
	var exprs [][2]int
	var keys []string
	index := func(a, b int) int {
		var sb strings.Builder
		for k := a; k < b; k++ {
			sb.WriteString(toks[k].Raw(w.Src))
			sb.WriteByte(' ')
		}
		key := strings.ToLower(sb.String())
		for k, x := range keys {
			if x == key {
				return k
			}
		}
		keys = append(keys, key)
		exprs = append(exprs, [2]int{a, b})
		return len(exprs) - 1
	}
	// split toks[a:b] at depth-0 commas
	split := func(a, b int) [][2]int {
		var out [][2]int
		d, s0 := 0, a
		for k := a; k < b; k++ {
			if toks[k].IsP("(") || toks[k].IsP("[") {
				d++
			} else if toks[k].IsP(")") || toks[k].IsP("]") {
				d--
			} else if d == 0 && toks[k].IsP(",") {
				out = append(out, [2]int{s0, k})
				s0 = k + 1
			}
		}
		if b > s0 {
			out = append(out, [2]int{s0, b})
		}
		return out
	}
	// a grouping element: (a, b), () or a
	elem := func(r [2]int) []int {
		if toks[r[0]].IsP("(") && matchClose(toks, r[0], r[1]) == r[1]-1 {
			var out []int
			for _, x := range split(r[0]+1, r[1]-1) {
				out = append(out, index(x[0], x[1]))
			}
			return out
		}
		return []int{index(r[0], r[1])}
	}
	sets := [][]int{{}}
	cross := func(with [][]int) {
		var out [][]int
		for _, a := range sets {
			for _, b := range with {
				out = append(out, append(append([]int{}, a...), b...))
			}
		}
		sets = out
	}
	for _, item := range split(i+1, end) {
		t := toks[item[0]]
		switch {
		case (t.Is("rollup") || t.Is("cube")) && toks[item[0]+1].IsP("(") && matchClose(toks, item[0]+1, item[1]) == item[1]-1:
			var parts [][]int
			for _, x := range split(item[0]+2, item[1]-1) {
				parts = append(parts, elem(x))
			}
			var with [][]int
			if t.Is("rollup") {
				for n := len(parts); n >= 0; n-- {
					var s []int
					for _, p := range parts[:n] {
						s = append(s, p...)
					}
					with = append(with, s)
				}
			} else {
				if len(parts) > 12 {
					w.fail(t, "54000", "CUBE is limited to 12 elements")
					return end, true
				}
				for mask := (1 << len(parts)) - 1; mask >= 0; mask-- {
					var s []int
					for k, p := range parts {
						if mask&(1<<k) != 0 {
							s = append(s, p...)
						}
					}
					with = append(with, s)
				}
			}
			cross(with)
		case t.Is("grouping") && toks[item[0]+1].Is("sets") && toks[item[0]+2].IsP("(") && matchClose(toks, item[0]+2, item[1]) == item[1]-1:
			var with [][]int
			for _, x := range split(item[0]+3, item[1]-1) {
				if toks[x[0]].Is("rollup") || toks[x[0]].Is("cube") || toks[x[0]].Is("grouping") {
					w.fail(toks[x[0]], "0A000", "nested grouping sets are not supported")
					return end, true
				}
				with = append(with, elem(x))
			}
			cross(with)
		default:
			cross([][]int{elem(item)})
		}
	}
	if len(exprs) == 0 {
		w.fail(toks[i], "0A000", "GROUP BY () is not supported")
		return end, true
	}
	w.emit("BY", toks[i].Pos)
	for k, e := range exprs {
		if k > 0 {
			w.emit(",", toks[e[0]].Pos)
		}
		w.R.NullsOrder = append(w.R.NullsOrder, 0)
		w.R.Outs = append(w.R.Outs, w.sub(e[0], e[1])...)
	}
	w.R.GroupingSets = append(w.R.GroupingSets, sets)
	return end, true
}

// The EXCLUDE options of a window frame (Rewritten.FrameExclude).
const (
	FrameExcludeCurrentRow uint8 = 1 + iota
	FrameExcludeGroup
	FrameExcludeTies
)

// frameStart reports whether toks[i:] continues a window frame clause
// after ROWS, RANGE or GROUPS: BETWEEN, UNBOUNDED, CURRENT ROW, or an
// offset followed by PRECEDING or FOLLOWING before the window's closing parenthesis.
func frameStart(toks []Token, i, to int) bool {
	if i >= to {
		return false
	}
	if toks[i].Is("between") || toks[i].Is("unbounded") || (toks[i].Is("current") && i+1 < to && toks[i+1].Is("row")) {
		return true
	}
	depth := 0
	for j := i; j < to; j++ {
		switch {
		case toks[j].IsP("(") || toks[j].IsP("["):
			depth++
		case toks[j].IsP(")") || toks[j].IsP("]"):
			if depth == 0 {
				return false
			}
			depth--
		case depth == 0 && (toks[j].Is("preceding") || toks[j].Is("following")):
			return true
		case depth == 0 && (toks[j].IsP(",") || toks[j].Is("rows") || toks[j].Is("range") || toks[j].Is("groups")):
			// (a column named rows before the frame's own ROWS)
			return false
		}
	}
	return false
}

// frameOffsets wraps the frame bounds of the frame clause at toks[i:] whose
// offset is an expression, not a number or a parameter ('1 day'::interval
// PRECEDING, (1 + 1) FOLLOWING): the MySQL grammar takes an expression
// there only as INTERVAL expr unit, so the offset is emitted as
// INTERVAL (expr) DAY and sql/plan reads the expression alone.
func (w *Rewriter) frameOffsets(i, to int) {
	toks := w.Toks
	starts := []int{i}
	if toks[i].Is("between") {
		starts[0] = i + 1
	}
	for _, s := range starts[:1] {
		depth := 0
		for j := s; j < to; j++ {
			if toks[j].IsP("(") || toks[j].IsP("[") {
				depth++
			} else if toks[j].IsP(")") || toks[j].IsP("]") {
				if depth == 0 {
					break
				}
				depth--
			} else if depth == 0 && toks[j].Is("and") && toks[i].Is("between") && j > s && (toks[j-1].Is("preceding") || toks[j-1].Is("following") || toks[j-1].Is("row")) {
				starts = append(starts, j+1)
				break
			}
		}
	}
	for _, s := range starts {
		if s >= to || toks[s].Is("unbounded") || toks[s].Is("current") {
			continue
		}
		depth, e := 0, -1
		for j := s; j < to && e < 0; j++ {
			switch {
			case toks[j].IsP("(") || toks[j].IsP("["):
				depth++
			case toks[j].IsP(")") || toks[j].IsP("]"):
				if depth == 0 {
					j = to
					continue
				}
				depth--
			case depth == 0 && (toks[j].Is("preceding") || toks[j].Is("following")):
				e = j
			}
		}
		if e < 0 || (e == s+1 && (toks[s].Kind == Int || toks[s].Kind == Num || toks[s].Kind == Param)) {
			continue
		}
		w.Insert = withInsert(w.Insert, s, "INTERVAL (")
		w.Insert = withInsert(w.Insert, e, ") DAY")
	}
}

// tableColumnAliases reports, for a FROM item starting at toks[i], a table
// name [schema.]t followed by [AS] alias (col, ...): the index of the token
// after the name, 0 if it is no such item.
func tableColumnAliases(toks []Token, i, to int) int {
	if toks[i].Kind != Ident && toks[i].Kind != QIdent {
		return 0
	}
	j := i + 1
	if toks[j].IsP(".") && (toks[j+1].Kind == Ident || toks[j+1].Kind == QIdent) {
		j += 2
	}
	end := j
	if toks[j].Is("as") {
		j++
	}
	if j+2 >= to || !toks[j+1].IsP("(") || (toks[j].Kind != Ident && toks[j].Kind != QIdent) {
		return 0
	}
	if toks[j].Kind == Ident {
		switch toks[j].Val {
		case "on", "using", "join", "inner", "left", "right", "full", "cross", "natural", "lateral", "where",
			"group", "having", "order", "limit", "offset", "window", "union", "except", "intersect", "fetch",
			"for", "returning", "set", "values", "tablesample", "with", "select":
			return 0
		}
	}
	if toks[i].Kind == Ident && (toks[i].Val == "lateral" || toks[i].Val == "only" || toks[i].Val == "select" || toks[i].Val == "values" || toks[i].Val == "rows") {
		return 0
	}
	// (col, col, ...): identifiers separated by commas
	k := j + 2
	for {
		if toks[k].Kind != Ident && toks[k].Kind != QIdent {
			return 0
		}
		k++
		if toks[k].IsP(")") {
			return end
		}
		if !toks[k].IsP(",") {
			return 0
		}
		k++
	}
}
