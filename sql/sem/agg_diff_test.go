package sem

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tesseradb/tessera/sql/types"
)

// aggCase is one line of testdata/aggs.txt: `call | v1; v2; ...`, where
// call uses the column x of the single-column VALUES list, optionally
// with DISTINCT, an ORDER BY x inside the call, or an OVER (...) window.
type aggCase struct {
	call   string
	values []string
}

func parseAggCase(line string) aggCase {
	call, vals, _ := strings.Cut(line, "|")
	var vs []string
	for _, v := range strings.Split(vals, ";") {
		if v = strings.TrimSpace(v); v != "" {
			vs = append(vs, v)
		}
	}
	return aggCase{call: strings.TrimSpace(call), values: vs}
}

func (c aggCase) pgSQL() string {
	rows := make([]string, len(c.values))
	for i, v := range c.values {
		rows[i] = "(" + v + ")"
	}
	from := ""
	if len(rows) > 0 {
		from = " FROM (VALUES " + strings.Join(rows, ", ") + ") t(x)"
	} else {
		from = " FROM (SELECT 1::int4 AS x WHERE false) t"
	}
	q := "SELECT " + c.call + from
	if i := strings.Index(c.call, " OVER "); i >= 0 {
		if strings.Contains(c.call[i:], "ORDER BY x DESC") {
			q += " ORDER BY x DESC"
		} else {
			q += " ORDER BY x"
		}
	}
	return q
}

// splitArgs splits a call's argument text at top-level commas.
func splitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

type testPartition struct {
	ctx    *EvalContext
	rows   []val
	args   []string
	peers  [][2]int
	frame  func(row int) (int, int)
	cache  map[[2]int]types.Datum
	argTys []*types.T
}

func (p *testPartition) NumRows() int             { return len(p.rows) }
func (p *testPartition) Peers(row int) (int, int) { return p.peers[row][0], p.peers[row][1] }
func (p *testPartition) Frame(row int) (int, int) { return p.frame(row) }
func (p *testPartition) Arg(row, i int) (types.Datum, error) {
	v, err := evalSQLVars(p.ctx, p.args[i], map[string]val{"x": p.rows[row]})
	if err != nil {
		return nil, err
	}
	return Coerce(p.ctx, v.d, v.t, p.argTys[i])
}

func ourAgg(ctx *EvalContext, c aggCase) outcome {
	fail := func(err error) outcome {
		var te *types.Error
		if errors.As(err, &te) {
			return outcome{code: te.Code, msg: te.Message}
		}
		return outcome{code: "?", msg: err.Error()}
	}
	// Rows of the VALUES list, coerced to their common type.
	var rows []val
	var ts []*types.T
	for _, v := range c.values {
		r, err := evalSQLVars(ctx, v, nil)
		if err != nil {
			return fail(err)
		}
		rows = append(rows, r)
		ts = append(ts, r.t)
	}
	xt := types.Int4
	if len(rows) > 0 {
		var err error
		if xt, err = CommonType("VALUES", ts); err != nil {
			return fail(err)
		}
	}
	for i := range rows {
		d, err := Coerce(ctx, rows[i].d, rows[i].t, xt)
		if err != nil {
			return fail(err)
		}
		rows[i] = val{t: xt, d: d}
	}
	call := c.call
	over := ""
	if i := strings.Index(call, " OVER "); i >= 0 {
		call, over = call[:i], strings.TrimSpace(call[i+len(" OVER "):])
	}
	distinct := false
	desc := strings.Contains(over, "ORDER BY x DESC")
	open := strings.IndexByte(call, '(')
	name := strings.TrimSpace(call[:open])
	argText := strings.TrimSpace(call[open+1 : strings.LastIndexByte(call, ')')])
	orderInCall := false
	if strings.HasPrefix(argText, "DISTINCT ") {
		distinct, argText = true, strings.TrimPrefix(argText, "DISTINCT ")
	}
	if i := strings.Index(argText, " ORDER BY x"); i >= 0 {
		orderInCall, argText = true, argText[:i]
	}
	var args []string
	if argText != "*" {
		args = splitArgs(argText)
	}
	// Sort for windows with ORDER BY and for ORDER BY inside the call.
	cmpRows := func(a, b val) int {
		an, bn := types.IsNull(a.d), types.IsNull(b.d)
		switch {
		case an && bn:
			return 0
		case an:
			return 1
		case bn:
			return -1
		}
		r, _ := types.CompareTyped(xt, a.d, b.d)
		return r
	}
	ordered := strings.Contains(over, "ORDER BY x") || orderInCall || distinct
	if ordered {
		sort.SliceStable(rows, func(i, j int) bool {
			if desc {
				return cmpRows(rows[j], rows[i]) < 0
			}
			return cmpRows(rows[i], rows[j]) < 0
		})
	}
	if distinct {
		var kept []val
		for _, r := range rows {
			dup := false
			for _, k := range kept {
				if cmpRows(r, k) == 0 {
					dup = true
				}
			}
			if !dup {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	// Argument types from a row (x typed NULL when there are none).
	sample := val{t: xt, d: types.Null}
	if len(rows) > 0 {
		sample = rows[0]
	}
	argTys := make([]*types.T, len(args))
	for i, a := range args {
		v, err := evalSQLVars(ctx, a, map[string]val{"x": sample})
		if err != nil {
			return fail(err)
		}
		argTys[i] = v.t
	}
	fo, err := ResolveFunc(name, argTys)
	if err != nil {
		return fail(err)
	}
	o := outcome{oid: uint32(fo.Return.OID())}
	p := &testPartition{ctx: ctx, rows: rows, args: args, argTys: fo.Args}
	if over == "" {
		if fo.Class != Aggregate {
			return fail(fmt.Errorf("%s is not an aggregate", name))
		}
		agg := fo.NewAgg()
		buf := make([]types.Datum, len(args))
		for r := range rows {
			for i := range args {
				d, err := p.Arg(r, i)
				if err != nil {
					return fail(err)
				}
				buf[i] = d
			}
			if err := agg.Add(ctx, buf); err != nil {
				return fail(err)
			}
		}
		d, err := agg.Result(ctx)
		if err != nil {
			return fail(err)
		}
		o.rows = []string{types.FormatText(fo.Return, d, ctx.Loc())}
		return o
	}
	// Peers: equal x under ORDER BY, the whole partition otherwise.
	p.peers = make([][2]int, len(rows))
	for i := 0; i < len(rows); {
		j := i + 1
		for ordered && j < len(rows) && cmpRows(rows[i], rows[j]) == 0 {
			j++
		}
		if !ordered {
			j = len(rows)
		}
		for k := i; k < j; k++ {
			p.peers[k] = [2]int{i, j}
		}
		i = j
	}
	n := len(rows)
	switch {
	case strings.Contains(over, "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"):
		p.frame = func(int) (int, int) { return 0, n }
	case strings.Contains(over, "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"):
		p.frame = func(r int) (int, int) { return 0, r + 1 }
	case strings.Contains(over, "ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING"):
		p.frame = func(r int) (int, int) { return max(r-1, 0), min(r+2, n) }
	default: // RANGE UNBOUNDED PRECEDING AND CURRENT ROW (peers included)
		p.frame = func(r int) (int, int) { return 0, p.peers[r][1] }
	}
	var wf WindowFunc
	switch fo.Class {
	case Window:
		wf = fo.NewWindow()
	case Aggregate:
		wf = WindowAggregate(fo)
	default:
		return fail(fmt.Errorf("%s is not a window function", name))
	}
	for r := 0; r < n; r++ {
		d, err := wf.Eval(ctx, p, r)
		if err != nil {
			return fail(err)
		}
		o.rows = append(o.rows, types.FormatText(fo.Return, d, ctx.Loc()))
	}
	return o
}

// TestDifferentialAggregates runs testdata/aggs.txt (aggregates and
// window functions over a VALUES list) here and on PostgreSQL 15.
func TestDifferentialAggregates(t *testing.T) {
	c := postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ec := &EvalContext{}
	lines := readExprs(t, "testdata/aggs.txt")
	failed := 0
	for _, l := range lines {
		ac := parseAggCase(l)
		want := pgOutcome(ctx, c, strings.TrimPrefix(ac.pgSQL(), "SELECT "))
		got := ourAgg(ec, ac)
		if !got.same(want) {
			failed++
			t.Errorf("%s\n  postgres: %s\n  tessera:  %s", ac.pgSQL(), want, got)
		}
	}
	t.Logf("%d aggregate/window cases, %d differ", len(lines), failed)
}

var _ = strconv.Itoa
