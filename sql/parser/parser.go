package parser

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	tidb "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
	"github.com/tesseradb/tessera/sql/parser/valuedriver"
)

// SQLMode is the mode the TiDB grammar runs in (DESIGN.md §5).
const SQLMode = mysql.ModeANSIQuotes | mysql.ModePipesAsConcat | mysql.ModeIgnoreSpace | mysql.ModeNoBackslashEscapes

// The TiDB parser is not goroutine-safe: each Parse borrows one.
var pool = sync.Pool{New: func() any {
	p := tidb.New()
	p.SetSQLMode(SQLMode)
	return p
}}

// tokPool recycles token slices: no Statement keeps its tokens.
var tokPool = sync.Pool{New: func() any { return new([]pgdialect.Token) }}

// lex tokenises sql into a pooled slice; release(p, toks) returns it.
func lex(sql string) (*[]pgdialect.Token, []pgdialect.Token, error) {
	p := tokPool.Get().(*[]pgdialect.Token)
	toks, err := pgdialect.LexInto(*p, sql)
	return p, toks, err
}

// Tokens of a short text are not cleared: a pooled slice then keeps at
// most one small old query text (and its few unescaped strings) alive until
// it is reused, which is cheaper than clearing it on every parse.
func release(sql string, p *[]pgdialect.Token, toks []pgdialect.Token) {
	if cap(toks) <= 1<<14 {
		if len(sql) > smallText {
			clear(toks)
		}
		*p = toks[:0]
		tokPool.Put(p)
	}
}

// smallText is the length up to which pooled buffers are not cleared after
// use (release, putWork).
const smallText = 4 << 10

// Parse parses a query string that may hold several statements separated
// by ';' (the simple query protocol). Empty statements are skipped.
func Parse(sql string) ([]Statement, error) {
	p, toks, err := lex(sql)
	defer func() { release(sql, p, toks) }()
	if err != nil {
		return nil, lexErr(sql, err)
	}
	var out []Statement
	start := 0
	for i := range toks {
		if toks[i].Kind == pgdialect.EOF || toks[i].IsP(";") {
			if i > start {
				// parse into the result in place: no Statement copy
				if len(out) == cap(out) {
					out = slices.Grow(out, 1)
				}
				out = out[:len(out)+1] // the new slot is fresh zeroed memory
				if err := parseRange(&out[len(out)-1], sql, toks, start, i); err != nil {
					return nil, err
				}
			}
			start = i + 1
		}
	}
	return out, nil
}

// ParseOne parses exactly one statement (the extended query protocol). A
// trailing ';' is allowed; an empty string yields a nil Statement AST and
// Ext (PostgreSQL's empty query).
func ParseOne(sql string) (Statement, error) {
	p, toks, err := lex(sql)
	defer func() { release(sql, p, toks) }()
	if err != nil {
		return Statement{}, lexErr(sql, err)
	}
	end := 0
	for end < len(toks) && toks[end].Kind != pgdialect.EOF {
		end++
	}
	for i := range toks {
		if toks[i].IsP(";") {
			end = i
			for j := i + 1; j < len(toks); j++ {
				if toks[j].Kind != pgdialect.EOF && !toks[j].IsP(";") {
					return Statement{}, errorAt(sql, toks[j].Pos, CodeSyntaxError, "cannot insert multiple commands into a prepared statement")
				}
			}
			break
		}
	}
	if end == 0 {
		return Statement{SQL: ""}, nil
	}
	var st Statement
	if err := parseRange(&st, sql, toks, 0, end); err != nil {
		return Statement{}, err
	}
	return st, nil
}

func lexErr(sql string, err error) error {
	var le *pgdialect.LexError
	if errors.As(err, &le) {
		if le.Code == CodeSyntaxError && (le.Msg == "syntax error" || le.Msg == "") {
			return syntaxErrorAt(sql, le.Pos, le.Near)
		}
		if le.Code == CodeSyntaxError && strings.HasPrefix(le.Msg, "trailing junk") {
			return errorAt(sql, le.Pos, le.Code, "trailing junk after numeric literal at or near \""+le.Near+"\"")
		}
		return errorAt(sql, le.Pos, le.Code, le.Msg)
	}
	return err
}

// parseRange parses the statement made of toks[a:b] (b is ';' or EOF).
// Unless b is already followed by EOF padding, the statement gets its own
// token slice ending in toks[b] and EOF padding, so that lookahead never
// reads into the next statement.
func parseRange(st *Statement, sql string, toks []pgdialect.Token, a, b int) error {
	if toks[b].Kind != pgdialect.EOF {
		own := make([]pgdialect.Token, 0, b-a+1+pgdialect.EOFPad)
		own = append(own, toks[a:b+1]...)
		for k := 0; k < pgdialect.EOFPad; k++ {
			own = append(own, pgdialect.Token{Kind: pgdialect.EOF, Pos: len(sql), End: len(sql)})
		}
		toks, a, b = own, 0, b-a
	}
	return parseStmtInto(st, sql, toks, a, b)
}

// parseStmt parses toks[a:b], where lookahead past b stays in the statement.
func parseStmt(sql string, toks []pgdialect.Token, a, b int) (*Statement, error) {
	st := &Statement{}
	if err := parseStmtInto(st, sql, toks, a, b); err != nil {
		return nil, err
	}
	return st, nil
}

// parseStmtInto is parseStmt filling the zero Statement *st.
func parseStmtInto(st *Statement, sql string, toks []pgdialect.Token, a, b int) error {
	st.SQL = sql[toks[a].Pos:toks[b-1].End]
	if toks[a].Is("with") {
		rest, err := cutDataCTEs(st, sql, toks, a, b)
		if err != nil {
			return err
		}
		if rest != nil {
			toks, a, b = rest, 0, len(rest)-pgdialect.EOFPad
		}
	}
	if toks[a].Is("with") {
		rest, err := cutDMLWith(st, sql, toks, a, b)
		if err != nil {
			return err
		}
		if rest != nil {
			toks, a, b = rest, 0, len(rest)-pgdialect.EOFPad
		}
	}
	ext, handled, err := parseExt(sql, toks, a, b, st)
	if err != nil {
		return err
	}
	if handled {
		st.Ext = ext
		finishParams(sql, st)
		return nil
	}
	if err := parseTiDB(sql, toks, a, b, st); err != nil {
		return err
	}
	finishParams(sql, st)
	return nil
}

func finishParams(sql string, st *Statement) {
	// fragments (RETURNING, UPDATE's FROM) are parsed apart: restore text order
	slices.SortStableFunc(st.Params, func(x, y ParamRef) int { return x.Position - y.Position })
	for _, p := range st.Params {
		if p.Number > st.NumParams {
			st.NumParams = p.Number
		}
	}
}

// fragment is one piece of PostgreSQL text rewritten and parsed by TiDB.
type fragment struct {
	node ast.StmtNode
	rw   *pgdialect.Rewritten
	// aggOrders are the parsed ORDER BY lists of rw.AggOrders.
	aggOrders [][]*ast.ByItem
}

// work is the scratch state of one fragment parse: the Rewriter with its
// output buffers, the fragment and the tree walker. It is recycled through
// workPool; nothing a Statement keeps points into it (the rewritten text,
// which TiDB nodes reference, is a fresh string each time).
type work struct {
	w   pgdialect.Rewriter
	f   fragment
	att attacher
	val validator
}

var workPool = sync.Pool{New: func() any { return new(work) }}

// getWork returns an empty work.
func getWork() *work {
	wk := workPool.Get().(*work)
	wk.w.Restart()
	return wk
}

func putWork(wk *work) {
	if len(wk.w.Src) > smallText {
		wk.w.Reset() // drop references into a large text
	}
	aggs := wk.f.aggOrders
	clear(aggs)
	wk.f = fragment{aggOrders: aggs[:0]}
	wk.att = attacher{}
	wk.val = validator{}
	wk.w.Src, wk.w.Toks = "", nil
	workPool.Put(wk)
}

// parseFragment rewrites toks[a:b] after prefix (MySQL text, attributed to
// toks[a]) and parses the result as one statement.
func parseFragment(sql string, toks []pgdialect.Token, a, b int, prefix string, st *Statement, columnTypes bool) (ast.StmtNode, error) {
	wk := getWork()
	defer putWork(wk)
	wk.w.ColumnTypes = columnTypes
	return parseFragmentWith(sql, toks, a, b, prefix, st, wk, nil)
}

// parseFragmentWith is parseFragment with a prepared work (Rewriter's
// Skip, Insert, ColumnTypes set by the caller). With vtoks non-nil the tree
// walk also runs the MySQL-ism validator (its verdict in wk.val), vtoks
// being the statement's tokens.
func parseFragmentWith(sql string, toks []pgdialect.Token, a, b int, prefix string, st *Statement, wk *work, vtoks []pgdialect.Token) (ast.StmtNode, error) {
	w := &wk.w
	w.Src, w.Toks = sql, toks
	if cap(w.R.Outs) < b-a+4 {
		w.R.Outs = make([]pgdialect.Out, 0, b-a+4)
	}
	if prefix != "" {
		w.R.Outs = append(w.R.Outs, pgdialect.Out{Text: prefix, Orig: toks[a].Pos})
		w.FromList = strings.HasSuffix(prefix, " FROM")
	}
	if err := w.Run(a, b); err != nil {
		return nil, lexErr(sql, err)
	}
	rw := &w.R
	text := rw.Text()
	if w.DistinctOn != [2]int{} {
		do, err := parseFragment(sql, toks, w.DistinctOn[0], w.DistinctOn[1], "SELECT", st, false)
		if err != nil {
			return nil, err
		}
		if sel, ok := do.(*ast.SelectStmt); ok {
			for _, f := range sel.Fields.Fields {
				st.DistinctOn = append(st.DistinctOn, f.Expr)
			}
		}
	}
	p := pool.Get().(*tidb.Parser)
	nodes, _, err := p.ParseSQL(text)
	// The result slice is the parser's own buffer: take the node out
	// before the parser goes back to the pool for another goroutine.
	n := len(nodes)
	var node ast.StmtNode
	if n == 1 {
		node = nodes[0]
	}
	pool.Put(p)
	if err != nil {
		return nil, translateTiDBError(sql, toks, rw, text, err)
	}
	if n != 1 {
		return nil, syntaxErrorAt(sql, toks[a].Pos, toks[a].Raw(sql))
	}
	f := &wk.f
	f.node, f.rw = node, rw
	for _, r := range rw.AggOrders {
		of, err := parseFragment(sql, toks, r[0], r[1], "SELECT 1 ORDER BY", st, false)
		if err != nil {
			return nil, err
		}
		sel, ok := of.(*ast.SelectStmt)
		if !ok || sel.OrderBy == nil {
			return nil, syntaxErrorAt(sql, toks[r[0]].Pos, toks[r[0]].Raw(sql))
		}
		f.aggOrders = append(f.aggOrders, sel.OrderBy.Items)
	}
	nparams := 0
	for i := range rw.Outs {
		if rw.Outs[i].Param != 0 {
			nparams++
		}
	}
	st.Params = slices.Grow(st.Params, nparams)
	var val *validator
	if vtoks != nil {
		wk.val = validator{toks: vtoks}
		val = &wk.val
	}
	attach(sql, wk, st, val)
	return f.node, nil
}

// translateTiDBError maps the grammar's error, whose text is `line L column
// C near "<rest of input>"...`, back to the original text.
func translateTiDBError(sql string, toks []pgdialect.Token, rw *pgdialect.Rewritten, text string, err error) error {
	msg := err.Error()
	const marker = ` near "`
	k := strings.Index(msg, marker)
	if k < 0 {
		return &Error{Code: CodeSyntaxError, Message: "syntax error"}
	}
	rest := msg[k+len(marker):]
	off := -1
	for _, s := range rw.Starts() {
		tail := text[s:]
		if len(tail) > 2048 {
			tail = tail[:2048]
		}
		if strings.HasPrefix(rest, tail+`"`) {
			off = s
			break
		}
	}
	if strings.HasPrefix(rest, `"`) {
		off = len(text)
	}
	orig, ok := rw.OrigAt(off)
	if off < 0 || !ok {
		return syntaxErrorAt(sql, len(sql), "")
	}
	near := ""
	for _, t := range toks {
		if t.Pos == orig {
			near = t.Raw(sql)
			break
		}
	}
	return syntaxErrorAt(sql, orig, near)
}

// attach walks the parsed tree: numbers parameters, replaces cast and
// column-type markers by their PostgreSQL types, and turns the stand-ins
// for PostgreSQL constructs into our own nodes.
// With val non-nil the same walk runs the validator's checks.
func attach(sql string, wk *work, st *Statement, val *validator) {
	f := &wk.f
	wk.att = attacher{f: f, st: st, starts: f.rw.Starts(), sql: sql, ascii: -1, val: val}
	n, _ := f.node.Accept(&wk.att)
	if sn, ok := n.(ast.StmtNode); ok {
		f.node = sn
	}
	if wk.att.frames != len(f.rw.FrameExclude) {
		for _, m := range f.rw.FrameExclude {
			if m != 0 {
				st.FrameExcludeLost = true
			}
		}
	}
}

type attacher struct {
	f  *fragment
	st *Statement
	// outermost is the first SELECT entered (the statement's own)
	outermost *ast.SelectStmt
	starts    []int // start offsets of the output chunks
	ascii     int   // sql[:ascii] is ASCII: byte offset+1 is the position; -1 until needed
	sql       string
	byItems   int
	nullEQs   int
	// The `<=>`s are numbered in text order, which is the in-order of the
	// tree: a `<=>` gets its number when its left operand has been left
	// (eqLeft maps that operand to it) and all the `<=>`s in it numbered.
	eqLeft   map[ast.Node]*ast.BinaryOperationExpr
	eqNum    map[*ast.BinaryOperationExpr]int
	betweens int
	groupBys int
	frames   int // window frame clauses entered, numbering FrameExclude
	// symmetric are the BETWEEN SYMMETRIC nodes (numbered in text order
	// when their operand has been left, rewritten on leaving);
	// betweenLeft maps an operand to its BETWEEN.
	symmetric   map[*ast.BetweenExpr]bool
	betweenLeft map[ast.Node]*ast.BetweenExpr
	idents      int
	// val, when set, checks each node for MySQL-only syntax on entry (in
	// the same pre-order as a walk of its own).
	val *validator
}

func (v *attacher) Enter(n ast.Node) (ast.Node, bool) {
	if v.val != nil && v.val.what == "" {
		v.val.check(n)
	}
	switch x := n.(type) {
	case *ast.BinaryOperationExpr:
		if x.Op == opcode.NullEQ {
			if v.eqLeft == nil {
				v.eqLeft = map[ast.Node]*ast.BinaryOperationExpr{}
				v.eqNum = map[*ast.BinaryOperationExpr]int{}
			}
			v.eqLeft[x.L] = x
		}
	case *ast.SelectStmt:
		// SELECT DISTINCT ON (exprs): the rewrite's first field
		// __pg_distincton(exprs)
		if x.Fields != nil && len(x.Fields.Fields) > 1 {
			if fc, ok := x.Fields.Fields[0].Expr.(*ast.FuncCallExpr); ok && fc.FnName.L == pgdialect.FuncDistinctOn {
				if v.st.DistinctOnOf == nil {
					v.st.DistinctOnOf = map[*ast.SelectStmt][]ast.ExprNode{}
				}
				v.st.DistinctOnOf[x] = fc.Args
				x.Fields.Fields = x.Fields.Fields[1:]
				if v.outermost == nil {
					v.st.DistinctOn = fc.Args
				}
			}
		}
		if v.outermost == nil {
			v.outermost = x
		}
	case *valuedriver.ParamMarker:
		// the output chunk that starts at the marker's offset
		if i, ok := slices.BinarySearch(v.starts, x.Offset); ok && v.f.rw.Outs[i].Param != 0 {
			o := v.f.rw.Outs[i]
			x.Number = o.Param
			v.st.Params = append(v.st.Params, ParamRef{Number: x.Number, Position: v.pos(o.Orig)})
		}
	case *ast.FuncCastExpr:
		if t, ok := v.marker(x.Tp.GetFlen()); ok {
			if v.st.CastTypes == nil {
				v.st.CastTypes = map[*ast.FuncCastExpr]PGType{}
			}
			v.st.CastTypes[x] = t
			setMySQLType(x.Tp, t, true)
		}
	case *ast.ColumnDef:
		for _, o := range x.Options {
			if o.Tp == ast.ColumnOptionAutoIncrement && v.idents < len(v.f.rw.Identity) {
				if v.st.Identity == nil {
					v.st.Identity = map[*ast.ColumnDef]string{}
				}
				v.st.Identity[x] = v.f.rw.Identity[v.idents]
				v.idents++
			}
		}
		if x.Tp != nil {
			if t, ok := v.marker(x.Tp.GetFlen()); ok {
				if v.st.ColumnTypes == nil {
					v.st.ColumnTypes = map[*ast.ColumnDef]PGType{}
				}
				v.st.ColumnTypes[x] = t
				setMySQLType(x.Tp, t, false)
			}
		}
	case *ast.GroupByClause:
		if v.groupBys < len(v.f.rw.GroupingSets) && v.f.rw.GroupingSets[v.groupBys] != nil {
			if v.st.GroupingSets == nil {
				v.st.GroupingSets = map[*ast.GroupByClause][][]int{}
			}
			v.st.GroupingSets[x] = v.f.rw.GroupingSets[v.groupBys]
		}
		v.groupBys++
	case *ast.BetweenExpr:
		// numbered in text order, which is in-order: when x.Expr is left
		if v.betweenLeft == nil {
			v.betweenLeft = map[ast.Node]*ast.BetweenExpr{}
		}
		v.betweenLeft[x.Expr] = x
	case *ast.FrameClause:
		if v.frames < len(v.f.rw.FrameExclude) {
			if m := v.f.rw.FrameExclude[v.frames]; m != 0 {
				if v.st.FrameExclude == nil {
					v.st.FrameExclude = map[*ast.FrameClause]FrameExclusion{}
				}
				v.st.FrameExclude[x] = FrameExclusion(m)
			}
		}
		v.frames++
	case *ast.ByItem:
		if v.byItems < len(v.f.rw.NullsOrder) {
			if o := v.f.rw.NullsOrder[v.byItems]; o != 0 {
				if v.st.NullsOrder == nil {
					v.st.NullsOrder = map[*ast.ByItem]NullsOrder{}
				}
				v.st.NullsOrder[x] = NullsOrder(o)
			}
		}
		v.byItems++
	}
	return n, false
}

// numberBetween gives x the next BETWEEN number and marks it SYMMETRIC if
// the rewrite said so.
func (v *attacher) numberBetween(x *ast.BetweenExpr) {
	if v.betweens < len(v.f.rw.BetweenSym) && v.f.rw.BetweenSym[v.betweens] {
		if v.symmetric == nil {
			v.symmetric = map[*ast.BetweenExpr]bool{}
		}
		v.symmetric[x] = true
	}
	v.betweens++
}

func (v *attacher) Leave(n ast.Node) (ast.Node, bool) {
	if eq, ok := v.eqLeft[n]; ok {
		delete(v.eqLeft, n)
		v.eqNum[eq] = v.nullEQs
		v.nullEQs++
	}
	if bx, ok := v.betweenLeft[n]; ok {
		delete(v.betweenLeft, n)
		v.numberBetween(bx)
	}
	switch x := n.(type) {
	case *ast.BinaryOperationExpr:
		if x.Op == opcode.NullEQ {
			i, ok := v.eqNum[x]
			if !ok {
				i = v.nullEQs
				v.nullEQs++
			}
			if i < len(v.f.rw.DistinctFrom) && v.f.rw.DistinctFrom[i] {
				return &ast.UnaryOperationExpr{Op: opcode.Not, V: &ast.ParenthesesExpr{Expr: x}}, true
			}
			return x, true
		}
		if fc, ok := x.R.(*ast.FuncCallExpr); ok && (fc.FnName.L == pgdialect.FuncAny || fc.FnName.L == pgdialect.FuncAll) && len(fc.Args) == 1 {
			return &QuantifiedExpr{Op: x.Op, Left: x.L, Right: fc.Args[0], All: fc.FnName.L == pgdialect.FuncAll}, true
		}
	case *ast.BetweenExpr:
		if _, ok := v.betweenLeft[x.Expr]; ok {
			// (its operand was replaced on the way: number it now)
			delete(v.betweenLeft, x.Expr)
			v.numberBetween(x)
		}
		if v.symmetric[x] {
			// x BETWEEN SYMMETRIC a AND b: x BETWEEN a AND b OR x BETWEEN b AND a
			// (NOT BETWEEN: both NOT BETWEEN, joined by AND)
			swapped := &ast.BetweenExpr{Expr: x.Expr, Left: x.Right, Right: x.Left, Not: x.Not}
			op := opcode.LogicOr
			if x.Not {
				op = opcode.LogicAnd
			}
			return &ast.ParenthesesExpr{Expr: &ast.BinaryOperationExpr{Op: op, L: x, R: swapped}}, true
		}
	case *ast.PatternLikeOrIlikeExpr:
		// x [NOT] [I]LIKE ANY|ALL (array)
		if fc, ok := x.Pattern.(*ast.FuncCallExpr); ok && (fc.FnName.L == pgdialect.FuncAny || fc.FnName.L == pgdialect.FuncAll) && len(fc.Args) == 1 {
			like := "like"
			if !x.IsLike {
				like = "ilike"
			}
			if x.Not {
				like = "not " + like
			}
			return &QuantifiedExpr{Like: like, Left: x.Expr, Right: fc.Args[0], All: fc.FnName.L == pgdialect.FuncAll}, true
		}
	case *ast.WindowFuncExpr:
		// MAX(__pg_winagg() + agg(args)) OVER (...): agg(args) OVER (...)
		if strings.EqualFold(x.Name, "max") && len(x.Args) == 1 {
			if bx, ok := x.Args[0].(*ast.BinaryOperationExpr); ok && bx.Op == opcode.Plus {
				m, ok1 := bx.L.(*ast.FuncCallExpr)
				f, ok2 := bx.R.(*ast.FuncCallExpr)
				if ok1 && ok2 && m.FnName.L == pgdialect.FuncWinAgg && len(m.Args) == 0 {
					x.Name, x.Args = f.FnName.O, f.Args
				}
			}
		}
	case *ast.AggregateFuncExpr:
		x.Args = v.takeAggOrder(x, x.Args)
	case *ast.FuncCallExpr:
		x.Args = v.takeAggOrder(x, x.Args)
		if len(x.Args) > 0 {
			if d, ok := x.Args[0].(*ast.FuncCallExpr); ok && d.FnName.L == pgdialect.FuncDistinct && len(d.Args) == 0 {
				x.Args = x.Args[1:]
				if v.st.AggDistinct == nil {
					v.st.AggDistinct = map[*ast.FuncCallExpr]bool{}
				}
				v.st.AggDistinct[x] = true
			}
		}
		switch x.FnName.L {
		case pgdialect.FuncArray:
			return &ArrayExpr{Elems: x.Args}, true
		case pgdialect.FuncArraySub:
			if len(x.Args) == 1 {
				if q, ok := x.Args[0].(*ast.SubqueryExpr); ok {
					return &ArrayExpr{Query: q}, true
				}
			}
		case pgdialect.FuncSubscript:
			if len(x.Args) == 2 {
				return &SubscriptExpr{Expr: x.Args[0], Index: x.Args[1]}, true
			}
			if len(x.Args) == 3 {
				se := &SubscriptExpr{Expr: x.Args[0], Index: x.Args[1], Upper: x.Args[2], Slice: true}
				if v, ok := se.Index.(*valuedriver.Value); ok && v.Kind == valuedriver.KindNull {
					se.Index = nil
				}
				if v, ok := se.Upper.(*valuedriver.Value); ok && v.Kind == valuedriver.KindNull {
					se.Upper = nil
				}
				return se, true
			}
		case pgdialect.FuncAtTimeZone:
			if len(x.Args) == 2 {
				x.FnName = ast.NewCIStr("timezone")
				x.Args[0], x.Args[1] = x.Args[1], x.Args[0]
				return x, true
			}
		case pgdialect.FuncOp:
			if len(x.Args) == 3 {
				if s, ok := x.Args[0].(*valuedriver.Value); ok {
					return &OperatorExpr{Op: s.GetString(), L: x.Args[1], R: x.Args[2]}, true
				}
			}
		case pgdialect.FuncField:
			if len(x.Args) == 2 {
				if s, ok := x.Args[1].(*valuedriver.Value); ok {
					return &FieldSelectExpr{Expr: x.Args[0], Field: s.GetString()}, true
				}
			}
		}
	}
	return n, true
}

// pos is charPos(v.sql, off), without rescanning an ASCII prefix.
func (v *attacher) pos(off int) int {
	if v.ascii < 0 {
		v.ascii = asciiPrefix(v.sql)
	}
	if off <= v.ascii {
		return off + 1
	}
	return charPos(v.sql, off)
}

// asciiPrefix returns the length of the longest ASCII prefix of s.
func asciiPrefix(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return i
		}
	}
	return len(s)
}

// takeAggOrder removes a trailing __pg_aggorder(k) argument of call and
// records the ORDER BY items it stands for.
func (v *attacher) takeAggOrder(call ast.ExprNode, args []ast.ExprNode) []ast.ExprNode {
	if len(args) == 0 {
		return args
	}
	fc, ok := args[len(args)-1].(*ast.FuncCallExpr)
	if !ok || fc.FnName.L != pgdialect.FuncAggOrder || len(fc.Args) != 1 {
		return args
	}
	val, ok := fc.Args[0].(*valuedriver.Value)
	if !ok {
		return args
	}
	k, err := strconv.Atoi(val.GetString())
	if err != nil || k < 0 || k >= len(v.f.aggOrders) {
		return args
	}
	if v.st.AggOrderBy == nil {
		v.st.AggOrderBy = map[ast.ExprNode][]*ast.ByItem{}
	}
	v.st.AggOrderBy[call] = v.f.aggOrders[k]
	return args[:len(args)-1]
}

func (v *attacher) marker(flen int) (PGType, bool) {
	k := flen - pgdialect.CastMarkerBase
	if k < 0 || k >= len(v.f.rw.Types) {
		return PGType{}, false
	}
	return v.f.rw.Types[k], true
}

// IsNoLimit reports whether a LIMIT count stands for no limit: OFFSET
// without LIMIT, or LIMIT ALL|NULL with OFFSET (the MySQL grammar needs a
// count before OFFSET).
func IsNoLimit(e ast.ExprNode) bool {
	c, ok := e.(*valuedriver.Value)
	return ok && c.Kind == valuedriver.KindUint && c.Uint == math.MaxUint64
}

// withItem reads one WITH list item at toks[i] (name [(cols)] AS [[NOT]
// MATERIALIZED] (query)), stopping before b: its name, column names and
// the positions of the query's parentheses; ok false when toks[i:b] is no
// such item.
func withItem(toks []pgdialect.Token, i, b int) (name string, cols []string, open, closeAt int, ok bool) {
	if toks[i].Kind != pgdialect.Ident && toks[i].Kind != pgdialect.QIdent {
		return "", nil, 0, 0, false
	}
	name = toks[i].Val
	i++
	if toks[i].IsP("(") {
		i++
		for i < b && !toks[i].IsP(")") {
			if !toks[i].IsP(",") {
				cols = append(cols, toks[i].Val)
			}
			i++
		}
		i++
	}
	if !toks[i].Is("as") {
		return "", nil, 0, 0, false
	}
	i++
	if toks[i].Is("not") {
		i++
	}
	if toks[i].Is("materialized") {
		i++
	}
	if !toks[i].IsP("(") {
		return "", nil, 0, 0, false
	}
	open = i
	depth := 0
	for ; i < b; i++ {
		if toks[i].IsP("(") {
			depth++
		} else if toks[i].IsP(")") {
			depth--
			if depth == 0 {
				return name, cols, open, i, true
			}
		}
	}
	return "", nil, 0, 0, false
}

// cutDataCTEs parses the data-modifying WITH queries of the statement
// toks[a:b] (WITH name [(cols)] AS [[NOT] MATERIALIZED] (INSERT | UPDATE |
// DELETE ...)) apart into st.DataCTEs and returns the statement's tokens
// without them (without WITH when no other query is left), EOF-padded; nil
// when there is none.
func cutDataCTEs(st *Statement, sql string, toks []pgdialect.Token, a, b int) ([]pgdialect.Token, error) {
	i := a + 1
	recursive := false
	if toks[i].Is("recursive") {
		recursive = true
		i++
	}
	type span struct{ from, to int } // the tokens of one kept query
	var kept []span
	var comma pgdialect.Token
	cut := false
	for i < b {
		start := i
		name, cols, open, closeAt, ok := withItem(toks, i, b)
		if !ok {
			return nil, nil
		}
		i = closeAt + 1
		first := toks[open+1]
		if first.Is("insert") || first.Is("update") || first.Is("delete") {
			if recursive {
				return nil, &Error{Code: "0A000", Message: "data-modifying statements in WITH RECURSIVE are not supported", Position: first.Pos + 1}
			}
			sub := &Statement{}
			if err := parseRange(sub, sql, toks, open+1, closeAt); err != nil {
				return nil, err
			}
			st.DataCTEs = append(st.DataCTEs, DataCTE{Name: name, Cols: cols, Stmt: sub})
			st.Params = append(st.Params, sub.Params...)
			cut = true
		} else {
			kept = append(kept, span{start, i})
		}
		if toks[i].IsP(",") {
			comma = toks[i]
			i++
			continue
		}
		break
	}
	if !cut {
		return nil, nil
	}
	out := make([]pgdialect.Token, 0, b-a+pgdialect.EOFPad)
	if len(kept) > 0 {
		out = append(out, toks[a:a+1]...)
		if recursive {
			out = append(out, toks[a+1])
		}
		for k, sp := range kept {
			if k > 0 {
				out = append(out, comma)
			}
			out = append(out, toks[sp.from:sp.to]...)
		}
	}
	out = append(out, toks[i:b]...)
	for k := 0; k < pgdialect.EOFPad; k++ {
		out = append(out, pgdialect.Token{Kind: pgdialect.EOF, Pos: len(sql), End: len(sql)})
	}
	return out, nil
}

// cutDMLWith parses the WITH list of a WITH ... INSERT | UPDATE | DELETE
// statement toks[a:b] apart, as the query WITH ... SELECT 1, into
// st.DMLWith, and returns the tokens of the INSERT, UPDATE or DELETE alone
// (EOF-padded), which then parses as it does without WITH; nil when the
// statement is no such DML.
func cutDMLWith(st *Statement, sql string, toks []pgdialect.Token, a, b int) ([]pgdialect.Token, error) {
	i := a + 1
	if toks[i].Is("recursive") {
		i++
	}
	for i < b {
		_, _, _, closeAt, ok := withItem(toks, i, b)
		if !ok {
			return nil, nil
		}
		i = closeAt + 1
		if toks[i].IsP(",") {
			i++
			continue
		}
		break
	}
	if i >= b || !(toks[i].Is("insert") || toks[i].Is("update") || toks[i].Is("delete")) {
		return nil, nil
	}
	var w strings.Builder
	for _, t := range toks[a:i] {
		w.WriteString(sql[t.Pos:t.End])
		w.WriteByte(' ')
	}
	w.WriteString("SELECT 1")
	sub, err := ParseOne(w.String())
	if err != nil {
		if pe, ok := err.(*Error); ok {
			pe.Position = toks[a].Pos + 1
		}
		return nil, err
	}
	if _, ok := sub.AST.(*ast.SelectStmt); !ok {
		return nil, nil
	}
	for _, p := range sub.Params {
		p.Position = toks[a].Pos + 1
		st.Params = append(st.Params, p)
	}
	st.DMLWith = &sub
	out := make([]pgdialect.Token, 0, b-i+pgdialect.EOFPad)
	out = append(out, toks[i:b]...)
	for k := 0; k < pgdialect.EOFPad; k++ {
		out = append(out, pgdialect.Token{Kind: pgdialect.EOF, Pos: len(sql), End: len(sql)})
	}
	return out, nil
}
