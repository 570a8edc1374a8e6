package randgen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Type is a column or expression type of the generator.
type Type int

// The generated types.
const (
	TInt Type = iota
	TBigint
	TNumeric
	TText
	TBool
	TDate
	TTimestamp
	numTypes
)

// SQL is the type's name in casts.
func (t Type) SQL() string {
	return [...]string{"INT", "BIGINT", "NUMERIC", "TEXT", "BOOLEAN", "DATE", "TIMESTAMP"}[t]
}

// Column is one column of a generated table.
type Column struct {
	Name string
	Type Type
}

// Table is one generated table; its first column k is the primary key.
type Table struct {
	Name    string
	Cols    []Column
	Indexes []string // index names
}

// Query is one generated SELECT.
type Query struct {
	SQL     string
	Types   []Type // output column types; columns are named c0, c1, …
	Ordered bool   // the query orders its rows totally (compare in order)
}

// DML is one generated data-changing statement and the query whose result
// shows its effect.
type DML struct {
	SQL   string
	Check string
}

// Gen generates one random schema and statements over it.
type Gen struct {
	r       *rand.Rand
	Tables  []*Table
	alias   int
	ctes    []source
	nullPct int // how often value is NULL: per table in Setup, 16 after it
}

// New returns a generator for seed.
func New(seed uint64) *Gen {
	g := &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), nullPct: 16}
	n := 2 + g.r.IntN(2)
	for i := 0; i < n; i++ {
		t := &Table{Name: fmt.Sprintf("t%d", i), Cols: []Column{{"k", TInt}}}
		// Every table has one column of each type, in a random order, some
		// twice: queries then always find a column of the type they want.
		var cols []Column
		for ty := TInt; ty < numTypes; ty++ {
			cols = append(cols, Column{"", ty})
		}
		for j := g.r.IntN(3); j > 0; j-- {
			cols = append(cols, Column{"", Type(g.r.IntN(int(numTypes)))})
		}
		g.r.Shuffle(len(cols), func(a, b int) { cols[a], cols[b] = cols[b], cols[a] })
		for j := range cols {
			cols[j].Name = fmt.Sprintf("%c%d", "ibnsfdt"[cols[j].Type], j)
		}
		t.Cols = append(t.Cols, cols...)
		g.Tables = append(g.Tables, t)
	}
	return g
}

func (g *Gen) pct(p int) bool { return g.r.IntN(100) < p }

func (g *Gen) pick(n int) int { return g.r.IntN(n) }

func (g *Gen) oneOf(s ...string) string { return s[g.r.IntN(len(s))] }

// Setup returns the DDL and the INSERTs of the schema's rows.
func (g *Gen) Setup() []string {
	var out []string
	for _, t := range g.Tables {
		var defs []string
		for i, c := range t.Cols {
			ty := c.Type.SQL()
			if c.Type == TNumeric {
				ty = "NUMERIC(10,2)"
			}
			d := c.Name + " " + ty
			if i == 0 {
				d += " PRIMARY KEY"
			}
			defs = append(defs, d)
		}
		out = append(out, fmt.Sprintf("CREATE TABLE %s (%s)", t.Name, strings.Join(defs, ", ")))
		for j := 0; j < 1+g.pick(3); j++ {
			out = append(out, g.index(t, fmt.Sprintf("%s_idx%d", t.Name, j)))
		}
		// Some tables are NULL-heavy (up to one value in two).
		g.nullPct = g.oneInt(3, 16)
		if g.pct(30) {
			g.nullPct = g.oneInt(30, 50)
		}
		n := 6 + g.pick(14)
		keys := g.r.Perm(40)[:n]
		var rows []string
		for _, k := range keys {
			vals := []string{strconv.Itoa(k)}
			for _, c := range t.Cols[1:] {
				vals = append(vals, g.value(c.Type))
			}
			rows = append(rows, "("+strings.Join(vals, ", ")+")")
		}
		out = append(out, fmt.Sprintf("INSERT INTO %s VALUES %s", t.Name, strings.Join(rows, ", ")))
	}
	g.nullPct = 16
	return out
}

// index is a CREATE INDEX on t: one to three columns, some descending,
// sometimes UNIQUE (then it ends with the key, so the rows fit it) or
// partial, so that the planner's index paths (prefix and range scans,
// index-only scans, partial-index implication) get exercised.
func (g *Gen) index(t *Table, name string) string {
	var cols []string
	seen := map[string]bool{}
	for j := 0; j < 1+g.pick(3); j++ {
		c := t.Cols[1+g.pick(len(t.Cols)-1)].Name
		if seen[c] {
			continue
		}
		seen[c] = true
		cols = append(cols, c+g.oneOf("", "", " DESC", " ASC NULLS FIRST", " DESC NULLS LAST"))
	}
	unique := ""
	if g.pct(20) {
		unique = "UNIQUE "
		cols = append(cols, "k")
	}
	s := fmt.Sprintf("CREATE %sINDEX %s ON %s (%s)", unique, name, t.Name, strings.Join(cols, ", "))
	if g.pct(20) {
		c := t.Cols[1+g.pick(len(t.Cols)-1)]
		s += " WHERE " + g.oneOf(c.Name+" IS NOT NULL", c.Name+" IS NULL", "k > 10", "k < 25")
	}
	t.Indexes = append(t.Indexes, name)
	return s
}

var textPool = []string{"a", "b", "ab", "B", "abc", "x_y", "a%b", "", " a", "zz", "12", "Ab"}

// value is a stored value of type t (NULL one time in six, in Setup at the
// table's rate).
func (g *Gen) value(t Type) string {
	if g.pct(g.nullPct) {
		return "NULL"
	}
	return g.lit(t)
}

// lit is a non-NULL literal of type t.
func (g *Gen) lit(t Type) string {
	switch t {
	case TInt:
		return strconv.Itoa(g.r.IntN(21) - 5)
	case TBigint:
		return strconv.Itoa(g.r.IntN(2001)-1000) + "::BIGINT"
	case TNumeric:
		v := g.r.IntN(20001) - 10000
		s := fmt.Sprintf("%d.%02d", abs(v)/100, abs(v)%100)
		if v < 0 {
			s = "-" + s
		}
		return s
	case TText:
		return "'" + strings.ReplaceAll(textPool[g.pick(len(textPool))], "'", "''") + "'"
	case TBool:
		return g.oneOf("true", "false")
	case TDate:
		return fmt.Sprintf("DATE '2024-01-%02d'", 1+g.pick(28))
	default:
		return fmt.Sprintf("TIMESTAMP '2024-01-%02d %02d:%02d:00'", 1+g.pick(28), g.pick(24), 15*g.pick(4))
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// colRef is a column visible in a scope.
type colRef struct {
	expr string
	typ  Type
}

// scope is what the expressions of one query level may name.
type scope struct {
	cols  []colRef
	keys  []string // expressions that identify a row together; nil: unknown
	outer *scope
}

func (s *scope) ofType(t Type) []colRef {
	var out []colRef
	for _, c := range s.cols {
		if c.typ == t {
			out = append(out, c)
		}
	}
	return out
}

// source is something a FROM clause can name: a table or a CTE.
type source struct {
	name  string
	cols  []colRef // unqualified
	keyed bool     // first column is a key
}

func (g *Gen) newAlias() string {
	g.alias++
	return fmt.Sprintf("x%d", g.alias)
}

func tableSource(t *Table) source {
	s := source{name: t.Name, keyed: true}
	for _, c := range t.Cols {
		s.cols = append(s.cols, colRef{c.Name, c.Type})
	}
	return s
}

// Query returns a random SELECT.
func (g *Gen) Query() Query {
	g.alias = 0
	g.ctes = nil
	var with string
	switch {
	case g.pct(15):
		// A plain CTE, named by the main query like a table.
		q := g.selectCore(nil, nil, 1, false)
		name := "w" + strconv.Itoa(len(g.ctes))
		s := source{name: name}
		for i, t := range q.Types {
			s.cols = append(s.cols, colRef{fmt.Sprintf("c%d", i), t})
		}
		g.ctes = append(g.ctes, s)
		with = fmt.Sprintf("WITH %s AS %s(%s) ", name, g.oneOf("", "MATERIALIZED ", "NOT MATERIALIZED "), q.SQL)
	case g.pct(5):
		// two CTEs, the second over the first
		q := g.selectCore(nil, nil, 1, false)
		a := source{name: "w0"}
		for i, t := range q.Types {
			a.cols = append(a.cols, colRef{fmt.Sprintf("c%d", i), t})
		}
		g.ctes = append(g.ctes, a)
		q2 := g.selectCore(nil, nil, 1, false)
		b := source{name: "w1"}
		for i, t := range q2.Types {
			b.cols = append(b.cols, colRef{fmt.Sprintf("c%d", i), t})
		}
		g.ctes = append(g.ctes, b)
		with = "WITH w0 AS (" + q.SQL + "), w1 AS " + g.oneOf("", "MATERIALIZED ") + "(" + q2.SQL + ") "
	case g.pct(5):
		// a recursive walk: each step joins a table on the last value, at
		// most three steps (a fan-out of 20 at most per step).
		t := g.Tables[g.pick(len(g.Tables))]
		ints := (&scope{cols: tableSource(t).cols}).ofType(TInt)
		from, to := ints[g.pick(len(ints))].expr, ints[g.pick(len(ints))].expr
		g.ctes = append(g.ctes, source{name: "r", cols: []colRef{{"n", TInt}, {"v", TInt}, {"p", TText}}})
		with = fmt.Sprintf("WITH RECURSIVE r(n, v, p) AS (SELECT 1, %s, CAST(k AS TEXT) FROM %s WHERE k < %d UNION %s SELECT r.n + 1, t.%s, r.p || '/' || t.k FROM r JOIN %s AS t ON t.%s = r.v WHERE r.n < %d) ",
			to, t.Name, 5+g.pick(30), g.oneOf("", "ALL"), to, t.Name, from, 2+g.pick(2))
	case g.pct(8):
		t := g.Tables[g.pick(len(g.Tables))]
		ic := t.Cols[0].Name
		if cs := (&scope{cols: tableSource(t).cols}).ofType(TInt); len(cs) > 1 && g.pct(50) {
			ic = cs[1+g.pick(len(cs)-1)].expr
		}
		depth := 2 + g.pick(4)
		step := g.oneOf("r.v + r.n", "r.v * 2 % 97", "COALESCE(r.v, 0) - 1", "CASE WHEN r.v > 3 THEN r.v - 3 ELSE NULL END")
		base := fmt.Sprintf("SELECT 1, %s FROM %s", ic, t.Name)
		if g.pct(50) {
			sc := &scope{}
			for _, c := range t.Cols {
				sc.cols = append(sc.cols, colRef{t.Name + "." + c.Name, c.Type})
			}
			base += " WHERE " + g.boolExpr(sc, 1)
		}
		g.ctes = append(g.ctes, source{name: "r", cols: []colRef{{"n", TInt}, {"v", TInt}}})
		with = fmt.Sprintf("WITH RECURSIVE r(n, v) AS (%s UNION %s SELECT r.n + 1, %s FROM r WHERE r.n < %d) ",
			base, g.oneOf("", "ALL"), step, depth)
	}
	var q Query
	if g.pct(15) {
		q = g.setOp(nil)
	} else {
		q = g.selectCore(nil, nil, 2, true)
	}
	q.SQL = with + q.SQL
	return q
}

// setOp is core op core with the same column types, sometimes ordered.
func (g *Gen) setOp(want []Type) Query {
	l := g.selectCore(nil, want, 1, false)
	r := g.selectCore(nil, l.Types, 1, false)
	ops := []string{"UNION", "UNION ALL", "INTERSECT", "INTERSECT ALL", "EXCEPT", "EXCEPT ALL", "UNION DISTINCT"}
	op := ops[g.pick(len(ops))]
	q := Query{SQL: "(" + l.SQL + ") " + op + " (" + r.SQL + ")", Types: l.Types}
	if g.pct(30) {
		// a third operand: INTERSECT binds tighter than UNION and EXCEPT
		c := g.selectCore(nil, l.Types, 1, false)
		q.SQL += " " + ops[g.pick(len(ops))] + " (" + c.SQL + ")"
	}
	if g.pct(30) {
		q.SQL += g.orderAll(len(q.Types), nil)
		q.Ordered = true
		q.SQL += g.limit()
	}
	return q
}

// orderAll orders by every output column (positions, or exprs if given):
// a total order up to equal rows.
func (g *Gen) orderAll(n int, exprs []string) string {
	var parts []string
	for _, i := range g.r.Perm(n) {
		e := strconv.Itoa(i + 1)
		if exprs != nil {
			e = exprs[i]
		}
		e += g.oneOf("", " ASC", " DESC")
		e += g.oneOf("", "", " NULLS FIRST", " NULLS LAST")
		parts = append(parts, e)
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

func (g *Gen) limit() string {
	switch g.pick(4) {
	case 0:
		return fmt.Sprintf(" LIMIT %d", g.pick(8))
	case 1:
		return fmt.Sprintf(" LIMIT %d OFFSET %d", 1+g.pick(6), g.pick(5))
	case 2:
		return fmt.Sprintf(" OFFSET %d", g.pick(6))
	}
	return ""
}

// from builds a FROM clause of one to three items and its scope.
func (g *Gen) from(outer *scope, depth int) (string, *scope) {
	sc := &scope{outer: outer, keys: []string{}}
	item := func() (string, []colRef, []string) {
		var s source
		switch {
		case len(g.ctes) > 0 && g.pct(40):
			s = g.ctes[g.pick(len(g.ctes))]
		case g.pct(6):
			// a VALUES list or a set-returning function in FROM
			a := g.newAlias()
			if g.pct(50) {
				return fmt.Sprintf("generate_series(%d, %d) AS %s(c0)", g.r.IntN(3)-1, 2+g.pick(4), a), []colRef{{a + ".c0", TInt}}, nil
			}
			t := []Type{TText, TNumeric, TDate, TBool}[g.pick(4)]
			var rows []string
			for j := 0; j < 1+g.pick(4); j++ {
				rows = append(rows, "("+g.value(TInt)+", "+g.value(t)+")")
			}
			// the first row's values are typed: NULL alone would be text
			rows[0] = "(" + g.lit(TInt) + ", CAST(" + g.value(t) + " AS " + t.SQL() + "))"
			return "(VALUES " + strings.Join(rows, ", ") + ") AS " + a + "(c0, c1)", []colRef{{a + ".c0", TInt}, {a + ".c1", t}}, nil
		case depth > 0 && g.pct(10):
			q := g.selectCore(nil, nil, depth-1, false)
			a := g.newAlias()
			var cols []colRef
			for i, t := range q.Types {
				cols = append(cols, colRef{fmt.Sprintf("%s.c%d", a, i), t})
			}
			return "(" + q.SQL + ") AS " + a, cols, nil
		default:
			s = tableSource(g.Tables[g.pick(len(g.Tables))])
		}
		a := g.newAlias()
		var cols []colRef
		for _, c := range s.cols {
			cols = append(cols, colRef{a + "." + c.expr, c.typ})
		}
		var keys []string
		if s.keyed {
			keys = []string{cols[0].expr}
		}
		return s.name + " AS " + a, cols, keys
	}
	text, cols, keys := item()
	sc.cols = cols
	sc.keys = keys
	n := 1 + g.pick(3)
	if n == 3 && g.pct(50) {
		n = 2
	}
	for i := 1; i < n; i++ {
		if depth > 0 && g.pct(5) {
			// LATERAL over an aggregate (one row per left row) or a series
			// bounded by a left column.
			a := g.newAlias()
			if ints := sc.ofType(TInt); len(ints) > 0 && g.pct(40) {
				text += ", LATERAL generate_series(1, least(" + ints[g.pick(len(ints))].expr + ", 3)) AS " + a + "(c0)"
				sc.cols = append(sc.cols, colRef{a + ".c0", TInt})
				sc.keys = nil
				continue
			}
			inner, isc := g.from(sc, 0)
			t := g.cmpType()
			where := ""
			if g.pct(80) {
				where = " WHERE " + g.boolExpr(isc, 1)
			}
			text += g.oneOf(", ", " CROSS JOIN ") + "LATERAL (SELECT " + g.aggExpr(isc, t) + " AS c0, count(*) AS c1 FROM " + inner + where + ") AS " + a
			sc.cols = append(sc.cols, colRef{a + ".c0", t}, colRef{a + ".c1", TBigint})
			continue
		}
		if depth > 0 && g.pct(12) {
			// LATERAL: a subquery that names the items to its left.
			inner, isc := g.from(sc, 0)
			a := g.newAlias()
			ic := isc.cols[g.pick(len(isc.cols))]
			oc := sc.ofType(ic.typ)
			where := ""
			if len(oc) > 0 {
				where = " WHERE " + ic.expr + " " + g.oneOf("=", "<", ">=") + " " + oc[g.pick(len(oc))].expr
			}
			sel := []string{ic.expr + " AS c0"}
			typs := []Type{ic.typ}
			if len(isc.keys) > 0 && g.pct(60) {
				where += " ORDER BY " + strings.Join(isc.keys, ", ") + fmt.Sprintf(" LIMIT %d", 1+g.pick(3))
			}
			ix, on := ", ", ""
			switch g.pick(4) {
			case 1:
				ix = " CROSS JOIN "
			case 2:
				ix, on = " JOIN ", " ON true"
			case 3:
				ix, on = " LEFT JOIN ", " ON true"
			}
			text += ix + "LATERAL (SELECT " + strings.Join(sel, ", ") + " FROM " + inner + where + ") AS " + a + on
			sc.cols = append(sc.cols, colRef{a + ".c0", typs[0]})
			sc.keys = nil
			continue
		}
		t2, cols2, keys2 := item()
		kind := g.oneOf("JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "CROSS JOIN", ",", "LEFT OUTER JOIN", "INNER JOIN")
		joined := &scope{cols: append(append([]colRef{}, sc.cols...), cols2...), outer: outer}
		switch kind {
		case "CROSS JOIN":
			text += " CROSS JOIN " + t2
		case ",":
			text += ", " + t2
		default:
			var conds []string
			for j := 0; j < 1+g.pick(2); j++ {
				r := cols2[g.pick(len(cols2))]
				if l := sc.ofType(r.typ); len(l) > 0 {
					conds = append(conds, l[g.pick(len(l))].expr+" = "+r.expr)
				}
			}
			if kind != "FULL JOIN" && (len(conds) == 0 || g.pct(30)) {
				conds = append(conds, g.boolExpr(joined, 1))
			}
			if len(conds) == 0 {
				conds = []string{cols[0].expr + " = " + cols2[0].expr}
				if cols[0].typ != cols2[0].typ {
					conds = []string{"true"}
				}
			}
			text += " " + kind + " " + t2 + " ON " + strings.Join(conds, " AND ")
		}
		sc.cols = joined.cols
		if sc.keys != nil && keys2 != nil {
			sc.keys = append(sc.keys, keys2...)
		} else {
			sc.keys = nil
		}
	}
	return text, sc
}

// selectCore is one SELECT … FROM … [WHERE] [GROUP BY [HAVING]] with
// columns c0… of the wanted types (random when want is nil).
func (g *Gen) selectCore(outer *scope, want []Type, depth int, allowOrder bool) Query {
	from, sc := g.from(outer, depth)
	var where string
	if g.pct(70) {
		where = " WHERE " + g.boolExpr(sc, 2+depth/2)
	}
	types := want
	if types == nil {
		for i := 0; i < 1+g.pick(4); i++ {
			types = append(types, Type(g.pick(int(numTypes))))
		}
	}
	var items []string
	var groupBy, having, window string
	agg := g.pct(30)
	windows := !agg && len(sc.keys) > 0 && g.pct(35)
	if windows && g.pct(25) {
		// a named window, used by some of the calls
		window = " WINDOW w AS (" + g.windowSpec(sc) + ")"
	}
	if agg {
		var keys []colRef
		grouping := false
		if g.pct(75) {
			for j := 0; j < 1+g.pick(2); j++ {
				keys = append(keys, sc.cols[g.pick(len(sc.cols))])
			}
			var ks []string
			for _, k := range keys {
				ks = append(ks, k.expr)
			}
			groupBy = " GROUP BY " + strings.Join(ks, ", ")
			if len(ks) == 2 && g.pct(30) {
				grouping = true
				groupBy = " GROUP BY " + g.oneOf("ROLLUP", "CUBE") + " (" + strings.Join(ks, ", ") + ")"
				switch g.pick(4) {
				case 0:
					groupBy = " GROUP BY GROUPING SETS ((" + ks[0] + "), (" + ks[1] + "), ())"
				case 1:
					groupBy = " GROUP BY " + ks[0] + ", ROLLUP (" + ks[1] + ")"
				}
			}
		}
		// Subqueries of the SELECT list and HAVING may name the grouped
		// columns (correlated to the group).
		ksc := &scope{cols: keys, outer: sc.outer}
		for _, t := range types {
			var ofT []colRef
			for _, k := range keys {
				if k.typ == t {
					ofT = append(ofT, k)
				}
			}
			switch {
			case len(ofT) > 0 && g.pct(60):
				items = append(items, ofT[g.pick(len(ofT))].expr)
			case grouping && t == TInt && g.pct(40):
				items = append(items, "GROUPING("+keys[g.pick(len(keys))].expr+", "+keys[g.pick(len(keys))].expr+")")
			case len(keys) > 0 && g.pct(10):
				items = append(items, g.subqueryScalar(ksc, t))
			default:
				items = append(items, g.aggExpr(sc, t))
			}
		}
		if g.pct(40) {
			having = " HAVING " + g.havingExpr(sc, keys)
		}
	} else {
		for _, t := range types {
			if windows && g.pct(50) {
				items = append(items, g.windowExpr(sc, t))
			} else {
				items = append(items, g.expr(sc, t, 2))
			}
		}
	}
	if window != "" {
		for i, it := range items {
			if strings.Contains(it, " OVER (") && g.pct(60) {
				// the call's own window becomes the named one (in ORDER BY
				// items too)
				if j := strings.Index(it, " OVER ("); j >= 0 {
					if e := matchParen(it, j+6); e > 0 {
						items[i] = it[:j] + " OVER w" + it[e+1:]
					}
				}
			}
		}
	}
	var sel []string
	for i, it := range items {
		sel = append(sel, fmt.Sprintf("%s AS c%d", it, i))
	}
	distinct := ""
	if g.pct(12) {
		distinct = "DISTINCT "
	}
	if !agg && distinct == "" && len(sc.keys) > 0 && g.pct(12) {
		// DISTINCT ON (e): the first row of each e by the rows' keys, a
		// total order; ORDER BY e, keys then orders the result totally.
		e := sc.cols[g.pick(len(sc.cols))].expr
		dir := g.oneOf("", " DESC", " NULLS FIRST")
		q := Query{SQL: "SELECT DISTINCT ON (" + e + ") " + strings.Join(sel, ", ") + " FROM " + from + where + window +
			" ORDER BY " + e + dir + ", " + g.orderKeys(sc), Types: types, Ordered: allowOrder}
		if allowOrder {
			q.SQL += g.limit()
		}
		return q
	}
	q := Query{SQL: "SELECT " + distinct + strings.Join(sel, ", ") + " FROM " + from + where + groupBy + having + window, Types: types}
	if allowOrder && !agg && distinct == "" && len(sc.keys) > 0 && g.pct(20) {
		// ORDER BY the rows' keys (ties-free) with LIMIT/OFFSET: which rows
		// survive is determined.
		q.SQL += " ORDER BY " + g.orderKeys(sc) + g.limit()
		q.Ordered = true
		return q
	}
	if allowOrder && g.pct(35) {
		if distinct == "" && g.pct(40) {
			q.SQL += g.orderAll(len(items), items)
		} else {
			q.SQL += g.orderAll(len(items), nil)
		}
		q.Ordered = true
		q.SQL += g.limit()
	}
	return q
}

// aggExpr is an aggregate call of result type t.
func (g *Gen) aggExpr(sc *scope, t Type) string {
	// Arguments mostly name no outer column: an aggregate over outer
	// columns only is an aggregate of the outer query (PostgreSQL's rule,
	// Tessera's since sqlfix7b), mostly an error (42803, 21000) there.
	inner := &scope{cols: sc.cols, keys: sc.keys}
	if g.pct(15) {
		inner = sc
	}
	arg := func(at Type) string { return g.expr(inner, at, 1) }
	dist := func() string {
		if g.pct(20) {
			return "DISTINCT "
		}
		return ""
	}
	filter := func() string {
		if g.pct(10) {
			return " FILTER (WHERE " + g.boolExpr(inner, 1) + ")"
		}
		return ""
	}
	switch t {
	case TInt:
		return g.oneOf("min", "max") + "(" + arg(TInt) + ")" + filter()
	case TBigint:
		switch g.pick(4) {
		case 0:
			return "count(*)" + filter()
		case 1:
			return "count(" + dist() + arg(Type(g.pick(int(numTypes)))) + ")"
		case 2:
			return "sum(" + dist() + arg(TInt) + ")" + filter()
		}
		return g.oneOf("min", "max") + "(" + arg(TBigint) + ")"
	case TNumeric:
		switch g.pick(3) {
		case 0:
			return "sum(" + dist() + arg(g.numArgType()) + ")" + filter()
		case 1:
			return "avg(" + dist() + arg(g.numArgType()) + ")" + filter()
		}
		return g.oneOf("min", "max") + "(" + arg(TNumeric) + ")"
	case TText:
		if g.pct(50) {
			a := arg(TText)
			if strings.HasPrefix(a, "'") && !strings.HasSuffix(a, "::TEXT") {
				a += "::TEXT" // an unknown-typed ORDER BY literal is not the text argument
			}
			if g.pct(30) {
				return "string_agg(DISTINCT " + a + ", ',' ORDER BY " + a + ")"
			}
			return "string_agg(" + a + ", '" + g.oneOf(",", "", "|") + "' ORDER BY " + a + g.oneOf("", " DESC") + ")" + filter()
		}
		return g.oneOf("min", "max") + "(" + arg(TText) + ")"
	case TBool:
		return g.oneOf("bool_and", "bool_or", "every") + "(" + arg(TBool) + ")" + filter()
	default:
		return g.oneOf("min", "max") + "(" + arg(t) + ")" + filter()
	}
}

func (g *Gen) numArgType() Type {
	return []Type{TInt, TBigint, TNumeric}[g.pick(3)]
}

func (g *Gen) havingExpr(sc *scope, keys []colRef) string {
	var e string
	ksc := &scope{cols: keys, outer: sc.outer}
	switch g.pick(5) {
	case 3:
		// a subquery correlated to the group's keys
		if len(keys) > 0 {
			e = g.oneOf("", "NOT ") + "EXISTS (" + g.subquery(ksc, nil, false) + ")"
			break
		}
		fallthrough
	case 4:
		t := g.cmpType()
		e = g.aggExpr(sc, t) + " " + g.oneOf("<", ">=", "=", "<>") + " " + g.subqueryScalar(ksc, t)
	case 0:
		e = "count(*) " + g.oneOf(">", ">=", "<", "=") + " " + strconv.Itoa(g.pick(4))
	case 1:
		t := Type(g.pick(int(numTypes)))
		if t == TBool {
			e = g.aggExpr(sc, t)
		} else {
			e = g.aggExpr(sc, t) + " " + g.oneOf("<", ">", "=", "<>") + " " + g.lit(t)
		}
	default:
		if len(keys) > 0 {
			k := keys[g.pick(len(keys))]
			e = k.expr + " IS NOT NULL"
		} else {
			e = "sum(" + g.expr(sc, TInt, 1) + ") IS NULL"
		}
	}
	if g.pct(20) {
		e = "NOT (" + e + ")"
	}
	return e
}

// matchParen is the index of the parenthesis closing the one at open, or
// -1 (quotes are skipped).
func matchParen(s string, open int) int {
	depth, quoted := 0, false
	for i := open; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// windowSpec is a window that orders rows totally: a partition, the rows'
// keys and a frame.
func (g *Gen) windowSpec(sc *scope) string {
	part := ""
	if g.pct(60) {
		part = "PARTITION BY " + sc.cols[g.pick(len(sc.cols))].expr + " "
	}
	return part + "ORDER BY " + g.orderKeys(sc) + g.frame()
}

// windowExpr is a window function call of type t; sc.keys order rows
// totally within a partition where the function depends on row order.
func (g *Gen) windowExpr(sc *scope, t Type) string {
	part := ""
	if g.pct(70) {
		part = "PARTITION BY " + sc.cols[g.pick(len(sc.cols))].expr + " "
	}
	keyOrder := "ORDER BY " + g.orderKeys(sc)
	switch t {
	case TBigint:
		if g.pct(15) {
			return "count(" + g.expr(sc, Type(g.pick(int(numTypes))), 1) + ") OVER (" + part + keyOrder + g.frame() + ")"
		}
		if ints := sc.ofType(TInt); len(ints) > 0 && g.pct(20) {
			// RANGE with offsets: peers by value, deterministic
			return "sum(" + g.expr(sc, TInt, 1) + ") OVER (" + part + "ORDER BY " + ints[g.pick(len(ints))].expr + g.oneOf("", " DESC") +
				" RANGE BETWEEN " + g.oneOf("2 PRECEDING", "UNBOUNDED PRECEDING", "CURRENT ROW") + " AND " + g.oneOf("1 FOLLOWING", "CURRENT ROW", "3 FOLLOWING") + ")"
		}
		switch g.pick(4) {
		case 0:
			return "row_number() OVER (" + part + keyOrder + ")"
		case 1:
			c := sc.cols[g.pick(len(sc.cols))]
			return g.oneOf("rank", "dense_rank") + "() OVER (" + part + "ORDER BY " + c.expr + g.oneOf("", " DESC", " NULLS FIRST") + ")"
		case 2:
			return "count(*) OVER (" + part + ")"
		}
		return "sum(" + g.expr(sc, TInt, 1) + ") OVER (" + part + keyOrder + g.frame() + ")"
	case TNumeric:
		if g.pct(50) {
			return "avg(" + g.expr(sc, TInt, 1) + ") OVER (" + part + ")"
		}
		return "sum(" + g.expr(sc, TNumeric, 1) + ") OVER (" + part + keyOrder + g.frame() + ")"
	}
	if t == TInt && g.pct(30) {
		return "ntile(" + strconv.Itoa(1+g.pick(4)) + ") OVER (" + part + keyOrder + ")"
	}
	if g.pct(25) {
		// aggregates over frames with exclusions, and by value over dates
		x := g.expr(sc, t, 1)
		fn := g.oneOf("min", "max")
		if t == TBool {
			fn = g.oneOf("bool_and", "bool_or")
		}
		if ds := sc.ofType(TDate); len(ds) > 0 && g.pct(30) {
			return fn + "(" + x + ") OVER (" + part + "ORDER BY " + ds[g.pick(len(ds))].expr + g.oneOf("", " DESC") +
				" RANGE BETWEEN INTERVAL '" + g.oneOf("2 days", "1 week") + "' PRECEDING AND " + g.oneOf("CURRENT ROW", "INTERVAL '1 day' FOLLOWING") + ")"
		}
		return fn + "(" + x + ") OVER (" + part + keyOrder + " " + g.oneOf("ROWS", "GROUPS", "RANGE") + " BETWEEN " +
			g.oneOf("UNBOUNDED PRECEDING", "CURRENT ROW") + " AND " + g.oneOf("CURRENT ROW", "UNBOUNDED FOLLOWING") +
			g.oneOf(" EXCLUDE CURRENT ROW", " EXCLUDE GROUP", " EXCLUDE TIES", "") + ")"
	}
	x := g.expr(sc, t, 1)
	if g.pct(20) {
		return "nth_value(" + x + ", " + strconv.Itoa(1+g.pick(3)) + ") OVER (" + part + keyOrder + g.frame() + ")"
	}
	switch g.pick(3) {
	case 0:
		return g.oneOf("lag", "lead") + "(" + x + ") OVER (" + part + keyOrder + ")"
	case 1:
		return g.oneOf("lag", "lead") + "(" + x + ", " + strconv.Itoa(1+g.pick(2)) + ", " + g.lit(t) + ") OVER (" + part + keyOrder + ")"
	}
	return g.oneOf("first_value", "last_value") + "(" + x + ") OVER (" + part + keyOrder + g.frame() + ")"
}

func (g *Gen) orderKeys(sc *scope) string {
	ks := append([]string{}, sc.keys...)
	g.r.Shuffle(len(ks), func(a, b int) { ks[a], ks[b] = ks[b], ks[a] })
	for i := range ks {
		ks[i] += g.oneOf("", " DESC", " NULLS FIRST", " DESC NULLS LAST")
	}
	return strings.Join(ks, ", ")
}

func (g *Gen) frame() string {
	if g.pct(25) {
		return g.oneOf(" ROWS", " GROUPS") + " BETWEEN " + g.oneOf("UNBOUNDED PRECEDING", "1 PRECEDING", "CURRENT ROW") + " AND " +
			g.oneOf("CURRENT ROW", "1 FOLLOWING", "UNBOUNDED FOLLOWING") + g.oneOf("", " EXCLUDE NO OTHERS")
	}
	switch g.pick(5) {
	case 0:
		return " ROWS BETWEEN 1 PRECEDING AND CURRENT ROW"
	case 1:
		return " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
	case 2:
		return " ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING"
	case 3:
		return " RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
	}
	return ""
}

// expr is a scalar expression of type t over sc.
func (g *Gen) expr(sc *scope, t Type, depth int) string {
	if depth <= 0 || g.pct(35) {
		return g.leaf(sc, t)
	}
	d := depth - 1
	if g.pct(12) {
		if e := g.exprMore(sc, t, d); e != "" {
			return e
		}
	}
	switch g.pick(6) {
	case 0:
		if g.pct(30) {
			// the simple form: CASE x WHEN v THEN … [ELSE …] END
			ct := g.cmpType()
			e := "CASE " + g.expr(sc, ct, d)
			for j := 0; j < 1+g.pick(2); j++ {
				e += " WHEN " + g.leaf(sc, ct) + " THEN " + g.expr(sc, t, d)
			}
			if g.pct(70) {
				e += " ELSE " + g.expr(sc, t, d)
			}
			return e + " END"
		}
		return "CASE WHEN " + g.boolExpr(sc, d) + " THEN " + g.expr(sc, t, d) + " ELSE " + g.expr(sc, t, d) + " END"
	case 1:
		return "COALESCE(" + g.expr(sc, t, d) + ", " + g.expr(sc, t, d) + ")"
	case 2:
		if t != TBool && g.pct(30) {
			return "NULLIF(" + g.expr(sc, t, d) + ", " + g.expr(sc, t, d) + ")"
		}
		if d > 0 && g.pct(40) {
			return g.subqueryScalar(sc, t)
		}
	}
	switch t {
	case TInt:
		switch g.pick(9) {
		case 0:
			return "(" + g.expr(sc, TInt, d) + " " + g.oneOf("+", "-", "*") + " " + g.expr(sc, TInt, d) + ")"
		case 1:
			if g.pct(40) {
				return "(" + g.expr(sc, TInt, d) + " " + g.oneOf("/", "%") + " NULLIF(" + g.expr(sc, TInt, d) + ", 0))"
			}
			return "(" + g.expr(sc, TInt, d) + " " + g.oneOf("/", "%") + " " + strconv.Itoa(g.oneInt(1, 7)) + ")"
		case 2:
			return g.oneOf("abs", "-") + "(" + g.expr(sc, TInt, d) + ")"
		case 3:
			return g.oneOf("length", "char_length") + "(" + g.expr(sc, TText, d) + ")"
		case 4:
			return "(" + g.expr(sc, TDate, d) + " - " + g.expr(sc, TDate, d) + ")"
		case 5:
			return "CAST(" + g.expr(sc, TNumeric, d) + " AS INT)"
		case 6:
			return g.oneOf("greatest", "least") + "(" + g.expr(sc, TInt, d) + ", " + g.expr(sc, TInt, d) + ")"
		case 7:
			return "strpos(" + g.expr(sc, TText, d) + ", " + g.lit(TText) + ")"
		}
		return "CAST(" + g.expr(sc, TBool, d) + " AS INT)"
	case TBigint:
		switch g.pick(3) {
		case 0:
			return "(" + g.expr(sc, TBigint, d) + " " + g.oneOf("+", "-", "*") + " " + g.expr(sc, TInt, d) + ")"
		case 1:
			if g.pct(40) {
				// int and bigint branches: the common type is bigint
				return g.oneOf("COALESCE(", "greatest(", "least(") + g.expr(sc, TInt, d) + ", " + g.expr(sc, TBigint, d) + ")"
			}
			return "CAST(" + g.expr(sc, TInt, d) + " AS BIGINT)"
		}
		return "(" + g.expr(sc, TBigint, d) + " " + g.oneOf("/", "%") + " " + strconv.Itoa(g.oneInt(1, 9)) + ")"
	case TNumeric:
		switch g.pick(7) {
		case 0:
			return "(" + g.expr(sc, TNumeric, d) + " " + g.oneOf("+", "-", "*") + " " + g.expr(sc, g.numArgType(), d) + ")"
		case 1:
			return "round(" + g.expr(sc, TNumeric, d) + g.oneOf("", ", 0", ", 1", ", -1") + ")"
		case 2:
			return g.oneOf("trunc", "abs", "floor", "ceil") + "(" + g.expr(sc, TNumeric, d) + ")"
		case 3:
			return "CAST(" + g.expr(sc, TInt, d) + " AS NUMERIC)"
		case 4:
			if g.pct(40) {
				return "(" + g.expr(sc, TNumeric, d) + " / NULLIF(" + g.expr(sc, g.numArgType(), d) + ", 0))"
			}
			return "(" + g.expr(sc, TNumeric, d) + " / " + g.oneOf("3", "7", "2.5", "0.3") + ")"
		case 5:
			return "CAST(" + g.expr(sc, TNumeric, d) + " AS NUMERIC(8,1))"
		}
		if g.pct(50) {
			switch g.pick(4) {
			case 0:
				return "EXTRACT(" + g.oneOf("year", "month", "day", "dow", "doy") + " FROM " + g.expr(sc, TDate, d) + ")"
			case 1:
				return "EXTRACT(" + g.oneOf("hour", "minute", "epoch", "day", "week") + " FROM " + g.expr(sc, TTimestamp, d) + ")"
			case 2:
				return "mod(" + g.expr(sc, TNumeric, d) + ", " + g.oneOf("3", "2.5", "7") + ")"
			}
			return "CAST(" + g.expr(sc, TText, 0) + " IS NULL AS INT) * " + g.lit(TNumeric)
		}
		return "(" + g.expr(sc, TInt, d) + " * " + g.lit(TNumeric) + ")"
	case TText:
		switch g.pick(8) {
		case 0:
			return "(" + g.expr(sc, TText, d) + " || " + g.expr(sc, TText, d) + ")"
		case 1:
			return g.oneOf("upper", "lower", "initcap", "btrim", "reverse") + "(" + g.expr(sc, TText, d) + ")"
		case 2:
			return "substr(" + g.expr(sc, TText, d) + ", " + strconv.Itoa(g.pick(4)) + g.oneOf("", ", 2", ", 1") + ")"
		case 3:
			src := []Type{TInt, TBigint, TNumeric, TBool, TDate, TTimestamp}[g.pick(6)]
			return "CAST(" + g.expr(sc, src, d) + " AS TEXT)"
		case 4:
			return "replace(" + g.expr(sc, TText, d) + ", " + g.lit(TText) + ", " + g.lit(TText) + ")"
		case 5:
			return "concat(" + g.expr(sc, TText, d) + ", " + g.expr(sc, TInt, d) + ")"
		case 6:
			return g.oneOf("lpad", "rpad") + "(" + g.expr(sc, TText, d) + ", " + strconv.Itoa(g.pick(5)) + ", '*')"
		}
		if g.pct(60) {
			switch g.pick(7) {
			case 0:
				return "split_part(" + g.expr(sc, TText, d) + ", " + g.oneOf("'a'", "'_'", "','") + ", " + strconv.Itoa(1+g.pick(2)) + ")"
			case 1:
				return "repeat(" + g.expr(sc, TText, d) + ", " + strconv.Itoa(g.pick(3)) + ")"
			case 2:
				return "trim(" + g.oneOf("both", "leading", "trailing") + " " + g.oneOf("'a'", "' '", "'ab'") + " FROM " + g.expr(sc, TText, d) + ")"
			case 3:
				return "CAST((" + g.expr(sc, TTimestamp, d) + " - " + g.expr(sc, TTimestamp, d) + ") AS TEXT)"
			case 4:
				return "array_to_string(ARRAY[" + g.expr(sc, TText, d) + ", " + g.expr(sc, TText, d) + "], " + g.oneOf("','", "'-'") + g.oneOf("", ", '*'") + ")"
			case 5:
				return "overlay(" + g.expr(sc, TText, d) + " placing 'Q' from " + strconv.Itoa(1+g.pick(3)) + ")"
			}
			return "to_char(" + g.expr(sc, TDate, d) + ", " + g.oneOf("'YYYY-MM-DD'", "'DD Mon YYYY'", "'Day'") + ")"
		}
		return g.oneOf("left", "right") + "(" + g.expr(sc, TText, d) + ", " + strconv.Itoa(g.r.IntN(5)-1) + ")"
	case TBool:
		return g.boolExpr(sc, depth)
	case TDate:
		switch g.pick(3) {
		case 0:
			return "(" + g.expr(sc, TDate, d) + " " + g.oneOf("+", "-") + " " + strconv.Itoa(g.pick(10)) + ")"
		case 1:
			return "CAST(" + g.expr(sc, TTimestamp, d) + " AS DATE)"
		}
		return g.oneOf("greatest", "least") + "(" + g.expr(sc, TDate, d) + ", " + g.expr(sc, TDate, d) + ")"
	default:
		switch g.pick(3) {
		case 0:
			return "CAST(" + g.expr(sc, TDate, d) + " AS TIMESTAMP)"
		case 1:
			return "(" + g.expr(sc, TTimestamp, d) + " " + g.oneOf("+", "-") + " INTERVAL '" + g.oneOf("1 day", "3 hours", "90 minutes", "1 mon") + "')"
		}
		return "date_trunc('" + g.oneOf("day", "hour", "month") + "', " + g.expr(sc, TTimestamp, d) + ")"
	}
}

func (g *Gen) oneInt(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// interval is an interval-typed expression (no interval columns exist).
func (g *Gen) interval(sc *scope, d int) string {
	switch g.pick(4) {
	case 0:
		return "(" + g.expr(sc, TTimestamp, d) + " - " + g.expr(sc, TTimestamp, d) + ")"
	case 1:
		return "(INTERVAL '" + g.oneOf("1 day", "2 hours", "45 minutes", "1 mon 2 days", "-3 hours") + "' * " + g.expr(sc, TInt, d) + ")"
	case 2:
		return g.oneOf("justify_hours", "justify_days", "justify_interval") + "(" + g.interval(sc, d) + ")"
	}
	return "CAST(" + g.oneOf("'1 day 2 hours'", "'36 hours'", "'-1 mon'", "'00:30:00'", "'2 weeks'") + " AS INTERVAL)"
}

// exprMore is the rest of expr: branches of mixed types that resolve to
// t (int with numeric, date with timestamp, unknown literals with text),
// casts between numeric, text, date, timestamp, interval and bool, and
// more string functions. "" when it has nothing for t.
func (g *Gen) exprMore(sc *scope, t Type, d int) string {
	when := func() string { return g.boolExpr(sc, d) }
	switch t {
	case TInt:
		switch g.pick(5) {
		case 0:
			return "CAST(CAST(" + g.expr(sc, TInt, d) + " AS TEXT) AS INT)"
		case 1:
			return g.oneOf("ascii", "octet_length", "bit_length") + "(" + g.expr(sc, TText, d) + ")"
		case 2:
			return "position(" + g.lit(TText) + " IN " + g.expr(sc, TText, d) + ")"
		case 3:
			return "CAST(" + g.expr(sc, TBool, d) + " AS INT) + CAST(" + g.expr(sc, TBool, d) + " AS INT)"
		}
		return "CAST(EXTRACT(" + g.oneOf("day", "hour", "minute") + " FROM " + g.interval(sc, d) + ") AS INT)"
	case TBigint:
		return "CASE WHEN " + when() + " THEN " + g.expr(sc, TInt, d) + " ELSE " + g.expr(sc, TBigint, d) + " END"
	case TNumeric:
		switch g.pick(5) {
		case 0:
			return "CASE WHEN " + when() + " THEN " + g.expr(sc, g.oneOf2(TInt, TBigint), d) + " ELSE " + g.expr(sc, TNumeric, d) + " END"
		case 1:
			return "COALESCE(" + g.expr(sc, TInt, d) + ", " + g.expr(sc, TNumeric, d) + ")"
		case 2:
			return "CAST(CAST(" + g.expr(sc, TNumeric, d) + " AS TEXT) AS NUMERIC)"
		case 3:
			return "EXTRACT(" + g.oneOf("epoch", "day", "hour") + " FROM " + g.interval(sc, d) + ")"
		}
		return "CAST(" + g.expr(sc, TBigint, d) + " AS NUMERIC(12,3))"
	case TText:
		switch g.pick(10) {
		case 0:
			return "CASE WHEN " + when() + " THEN " + g.expr(sc, TText, d) + " ELSE " + g.oneOf("'q'", "NULL", "'12'") + " END"
		case 1:
			return "CAST(" + g.interval(sc, d) + " AS TEXT)"
		case 2:
			return "CAST(CAST(" + g.expr(sc, TNumeric, d) + " AS NUMERIC(8,1)) AS TEXT)"
		case 3:
			return g.oneOf("ltrim", "rtrim") + "(" + g.expr(sc, TText, d) + g.oneOf("", ", 'a'", ", ' b'") + ")"
		case 4:
			return "translate(" + g.expr(sc, TText, d) + ", " + g.oneOf("'ab'", "'a_'", "'%'") + ", " + g.oneOf("'x'", "'XY'", "''") + ")"
		case 5:
			return "concat_ws(" + g.oneOf("'-'", "','", "''") + ", " + g.expr(sc, TText, d) + ", " + g.expr(sc, TInt, d) + ", " + g.expr(sc, TDate, d) + ")"
		case 6:
			return "regexp_replace(" + g.expr(sc, TText, d) + ", " + g.oneOf("'a+'", "'[ab]'", "'^.'", "'(a|b)b'") + ", " + g.oneOf("'Z'", "''", "'<\\&>'") + g.oneOf("", ", 'g'") + ")"
		case 7:
			return "format(" + g.oneOf("'%s-%s'", "'[%s|%s]'", "'%2$s %1$s'") + ", " + g.expr(sc, TText, d) + ", " + g.expr(sc, g.oneOf2(TInt, TDate), d) + ")"
		case 8:
			return "CAST(" + g.expr(sc, TTimestamp, d) + " + " + g.interval(sc, d) + " AS TEXT)"
		}
		return g.oneOf("md5", "quote_literal", "quote_nullable") + "(" + g.expr(sc, TText, d) + ")"
	case TBool:
		switch g.pick(4) {
		case 0:
			return "CAST(" + g.expr(sc, TInt, d) + " AS BOOLEAN)"
		case 1:
			return "CAST(" + g.oneOf("'t'", "'no'", "'1'", "'off'", "' yes '", "'FALSE'") + " AS BOOLEAN)"
		case 2:
			return "starts_with(" + g.expr(sc, TText, d) + ", " + g.lit(TText) + ")"
		}
		return "CAST(CAST(" + g.expr(sc, TBool, d) + " AS TEXT) AS BOOLEAN)"
	case TDate:
		switch g.pick(3) {
		case 0:
			return "CAST(CAST(" + g.expr(sc, TDate, d) + " AS TEXT) AS DATE)"
		case 1:
			return "CAST(" + g.expr(sc, TDate, d) + " + " + g.interval(sc, d) + " AS DATE)"
		}
		return "CASE WHEN " + when() + " THEN " + g.expr(sc, TDate, d) + " ELSE " + g.oneOf("'2024-01-09'", "NULL") + " END"
	case TTimestamp:
		switch g.pick(5) {
		case 0:
			return "CASE WHEN " + when() + " THEN " + g.expr(sc, TDate, d) + " ELSE " + g.expr(sc, TTimestamp, d) + " END"
		case 1:
			return "COALESCE(" + g.expr(sc, TTimestamp, d) + ", " + g.expr(sc, TDate, d) + ")"
		case 2:
			return "(" + g.expr(sc, TDate, d) + " + " + g.oneOf("TIME '10:30'", "INTERVAL '1 hour'") + ")"
		case 3:
			return "CAST(CAST(" + g.expr(sc, TTimestamp, d) + " AS TEXT) AS TIMESTAMP)"
		}
		return "(" + g.expr(sc, TTimestamp, d) + " " + g.oneOf("+", "-") + " " + g.interval(sc, d) + ")"
	}
	return ""
}

func (g *Gen) oneOf2(a, b Type) Type {
	if g.pct(50) {
		return a
	}
	return b
}

// leaf is a column of type t (sometimes of an outer scope) or a literal.
func (g *Gen) leaf(sc *scope, t Type) string {
	if sc != nil && sc.outer != nil && g.pct(20) {
		if cs := sc.outer.ofType(t); len(cs) > 0 {
			return cs[g.pick(len(cs))].expr
		}
	}
	if sc != nil && g.pct(75) {
		if cs := sc.ofType(t); len(cs) > 0 {
			return cs[g.pick(len(cs))].expr
		}
	}
	if g.pct(8) {
		return "CAST(NULL AS " + t.SQL() + ")"
	}
	if t == TText && g.pct(50) {
		return g.lit(t) + "::TEXT"
	}
	return g.lit(t)
}

// boolExpr is a predicate over sc.
func (g *Gen) boolExpr(sc *scope, depth int) string {
	if depth <= 0 {
		return g.comparison(sc, 0)
	}
	d := depth - 1
	switch g.pick(12) {
	case 0:
		return "(" + g.boolExpr(sc, d) + " AND " + g.boolExpr(sc, d) + ")"
	case 1:
		return "(" + g.boolExpr(sc, d) + " OR " + g.boolExpr(sc, d) + ")"
	case 2:
		return "NOT (" + g.boolExpr(sc, d) + ")"
	case 3:
		t := Type(g.pick(int(numTypes)))
		if t == TBool {
			return "(" + g.expr(sc, t, d) + ")" + g.oneOf(" IS NULL", " IS NOT NULL")
		}
		return g.expr(sc, t, d) + g.oneOf(" IS NULL", " IS NOT NULL")
	case 4:
		t := g.cmpType()
		var ls []string
		for j := 0; j < 1+g.pick(4); j++ {
			if g.pct(10) {
				ls = append(ls, "NULL")
			} else {
				ls = append(ls, g.lit(t))
			}
		}
		return g.expr(sc, t, d) + g.oneOf(" IN (", " NOT IN (") + strings.Join(ls, ", ") + ")"
	case 5:
		t := g.cmpType()
		return g.expr(sc, t, d) + g.oneOf(" BETWEEN ", " NOT BETWEEN ", " BETWEEN SYMMETRIC ") + g.expr(sc, t, 0) + " AND " + g.expr(sc, t, 0)
	case 6:
		if g.pct(30) {
			return g.expr(sc, TText, d) + g.oneOf(" ~ ", " !~ ", " ~* ", " SIMILAR TO ", " NOT SIMILAR TO ") + g.oneOf("'a.'", "'^a'", "'b$'", "'(a|b)%'", "'%_'")
		}
		if g.pct(15) {
			return g.expr(sc, TText, d) + g.oneOf(" LIKE ", " NOT LIKE ") + g.oneOf("'a!%b'", "'%!_%'", "'x!_y'") + " ESCAPE '!'"
		}
		pat := g.oneOf("'a%'", "'%b'", "'_'", "'%\\_%'", "'A%'", "'%'", "''", "'a_c'")
		return g.expr(sc, TText, d) + g.oneOf(" LIKE ", " NOT LIKE ", " ILIKE ", " NOT ILIKE ") + pat
	case 7:
		if d > 0 {
			return g.oneOf("", "NOT ") + "EXISTS (" + g.subquery(sc, nil, false) + ")"
		}
	case 8:
		if d > 0 {
			t := g.cmpType()
			return g.expr(sc, t, 0) + g.oneOf(" IN (", " NOT IN (") + g.subquery(sc, []Type{t}, false) + ")"
		}
	case 9:
		t := g.cmpType()
		return g.expr(sc, t, d) + g.oneOf(" IS DISTINCT FROM ", " IS NOT DISTINCT FROM ") + g.expr(sc, t, d)
	case 10:
		return "(" + g.boolExpr(sc, d) + ")" + g.oneOf(" IS TRUE", " IS NOT TRUE", " IS FALSE", " IS NOT FALSE", " IS UNKNOWN", " = true")
	case 11:
		if d > 0 {
			t := g.cmpType()
			return g.expr(sc, t, 0) + " " + g.oneOf("=", "<>", "<", ">=") + g.oneOf(" ANY (", " ALL (", " SOME (") + g.subquery(sc, []Type{t}, false) + ")"
		}
	}
	return g.comparison(sc, d)
}

func (g *Gen) cmpType() Type {
	t := Type(g.pick(int(numTypes)))
	if t == TBool {
		t = TInt
	}
	return t
}

func (g *Gen) comparison(sc *scope, d int) string {
	if g.pct(10) {
		if cs := sc.ofType(TBool); len(cs) > 0 {
			return cs[g.pick(len(cs))].expr
		}
	}
	t := g.cmpType()
	if g.pct(20) {
		// int and bigint/numeric compare across types.
		l := []Type{TInt, TBigint, TNumeric}
		return g.expr(sc, l[g.pick(3)], d) + " " + g.oneOf("=", "<>", "<", "<=", ">", ">=") + " " + g.expr(sc, l[g.pick(3)], d)
	}
	return g.expr(sc, t, d) + " " + g.oneOf("=", "<>", "<", "<=", ">", ">=") + " " + g.expr(sc, t, d)
}

// subquery is a SELECT over a fresh FROM whose predicate may name outer
// columns (correlated); with want, its columns have those types.
func (g *Gen) subquery(outer *scope, want []Type, limit1 bool) string {
	from, sc := g.from(outer, 0)
	var items []string
	if want == nil {
		items = []string{g.oneOf("1", "*", sc.cols[0].expr)}
	} else {
		for _, t := range want {
			items = append(items, g.expr(sc, t, 1))
		}
	}
	s := "SELECT " + strings.Join(items, ", ") + " FROM " + from
	if g.pct(85) {
		s += " WHERE " + g.boolExpr(sc, 1)
	}
	return s
}

// subqueryScalar is a subquery returning at most one value of type t.
func (g *Gen) subqueryScalar(outer *scope, t Type) string {
	from, sc := g.from(outer, 0)
	where := ""
	if g.pct(85) {
		where = " WHERE " + g.boolExpr(sc, 1)
	}
	if len(sc.keys) > 0 && g.pct(30) {
		return "(SELECT " + g.expr(sc, t, 1) + " FROM " + from + where + " ORDER BY " + g.orderKeys(sc) + " LIMIT 1)"
	}
	return "(SELECT " + g.aggExpr(sc, t) + " FROM " + from + where + ")"
}

// DML returns a random INSERT…SELECT [ON CONFLICT], UPDATE [FROM] or
// DELETE, sometimes with RETURNING.
func (g *Gen) DML() DML {
	g.alias = 0
	g.ctes = nil
	t := g.Tables[g.pick(len(g.Tables))]
	check := "SELECT * FROM " + t.Name
	ts := &scope{}
	for _, c := range t.Cols {
		ts.cols = append(ts.cols, colRef{t.Name + "." + c.Name, c.Type})
	}
	ret := func(sc *scope) string {
		if !g.pct(40) {
			return ""
		}
		if g.pct(40) {
			return " RETURNING *"
		}
		var items []string
		for j := 0; j < 1+g.pick(3); j++ {
			items = append(items, g.expr(sc, Type(g.pick(int(numTypes))), 1))
		}
		return " RETURNING " + strings.Join(items, ", ")
	}
	switch g.pick(5) {
	case 4:
		// INSERT … VALUES with keys that may exist: ON CONFLICT on the
		// key or on a unique index, DO NOTHING or DO UPDATE from EXCLUDED.
		var rows []string
		seen := map[int]bool{}
		for j := 0; j < 1+g.pick(4); j++ {
			k := g.pick(45)
			if seen[k] {
				continue
			}
			seen[k] = true
			vals := []string{strconv.Itoa(k)}
			for _, c := range t.Cols[1:] {
				v := g.value(c.Type)
				if v == "NULL" {
					v = "CAST(NULL AS " + c.Type.SQL() + ")"
				}
				vals = append(vals, v)
			}
			rows = append(rows, "("+strings.Join(vals, ", ")+")")
		}
		s := "INSERT INTO " + t.Name + " VALUES " + strings.Join(rows, ", ") + " ON CONFLICT (k) "
		if g.pct(30) {
			s += "DO NOTHING"
		} else {
			es := &scope{cols: ts.cols}
			for _, c := range t.Cols {
				es.cols = append(es.cols, colRef{"EXCLUDED." + c.Name, c.Type})
			}
			var sets []string
			for j := 0; j < 1+g.pick(3); j++ {
				c := t.Cols[1+g.pick(len(t.Cols)-1)]
				sets = append(sets, c.Name+" = "+g.expr(es, c.Type, 1))
			}
			s += "DO UPDATE SET " + strings.Join(dedupSets(sets), ", ")
			if g.pct(30) {
				s += " WHERE " + g.boolExpr(es, 1)
			}
		}
		return DML{SQL: s + ret(ts), Check: check}
	case 0, 1:
		// One source table, its key shifted: source rows have distinct
		// keys, so which of two rows with one key comes first (and wins
		// ON CONFLICT DO NOTHING) never matters.
		src := g.Tables[g.pick(len(g.Tables))]
		a := g.newAlias()
		from := src.Name + " AS " + a
		sc := &scope{keys: []string{a + ".k"}}
		for _, c := range src.Cols {
			sc.cols = append(sc.cols, colRef{a + "." + c.Name, c.Type})
		}
		var items []string
		items = append(items, fmt.Sprintf("%s.k + %d", a, 40+g.pick(60)))
		for _, c := range t.Cols[1:] {
			items = append(items, g.expr(sc, c.Type, 1))
		}
		s := "INSERT INTO " + t.Name + " SELECT " + strings.Join(items, ", ") + " FROM " + from
		if g.pct(60) {
			s += " WHERE " + g.boolExpr(sc, 1)
		}
		switch g.pick(3) {
		case 0:
			s += " ON CONFLICT (k) DO NOTHING"
		case 1:
			c := t.Cols[1+g.pick(len(t.Cols)-1)]
			es := &scope{cols: append(append([]colRef{}, ts.cols...), colRef{"EXCLUDED." + c.Name, c.Type})}
			s += " ON CONFLICT (k) DO UPDATE SET " + c.Name + " = " + g.expr(es, c.Type, 1)
			if g.pct(30) {
				s += " WHERE " + g.boolExpr(es, 1)
			}
		}
		return DML{SQL: s + ret(ts), Check: check}
	case 2:
		var sets []string
		for j := 0; j < 1+g.pick(2); j++ {
			c := t.Cols[1+g.pick(len(t.Cols)-1)]
			if g.pct(20) {
				// a correlated scalar subquery
				sets = append(sets, c.Name+" = "+g.subqueryScalar(&scope{cols: ts.cols, outer: nil}, c.Type))
				continue
			}
			sets = append(sets, c.Name+" = "+g.expr(ts, c.Type, 1))
		}
		if g.pct(40) {
			// UPDATE … FROM another table joined on its key: one match at most.
			o := g.Tables[g.pick(len(g.Tables))]
			a := g.newAlias()
			os := &scope{cols: ts.cols}
			for _, c := range o.Cols {
				os.cols = append(os.cols, colRef{a + "." + c.Name, c.Type})
			}
			ints := ts.ofType(TInt)
			var sets2 []string
			for j := 0; j < 1+g.pick(2); j++ {
				c := t.Cols[1+g.pick(len(t.Cols)-1)]
				sets2 = append(sets2, c.Name+" = "+g.expr(os, c.Type, 1))
			}
			s := "UPDATE " + t.Name + " SET " + strings.Join(dedupSets(sets2), ", ") + " FROM " + o.Name + " AS " + a +
				" WHERE " + a + ".k = " + ints[g.pick(len(ints))].expr
			if g.pct(60) {
				s += " AND " + g.boolExpr(os, 1)
			}
			return DML{SQL: s + ret(os), Check: check}
		}
		s := "UPDATE " + t.Name + " SET " + strings.Join(dedupSets(sets), ", ")
		if g.pct(80) {
			s += " WHERE " + g.boolExpr(ts, 2)
			if g.pct(30) {
				s += " AND " + g.dmlSubquery(ts)
			}
		}
		return DML{SQL: s + ret(ts), Check: check}
	}
	s := "DELETE FROM " + t.Name
	if g.pct(30) {
		// DELETE … USING another table joined on its key
		o := g.Tables[g.pick(len(g.Tables))]
		a := g.newAlias()
		os := &scope{cols: ts.cols}
		for _, c := range o.Cols {
			os.cols = append(os.cols, colRef{a + "." + c.Name, c.Type})
		}
		ints := ts.ofType(TInt)
		s += " USING " + o.Name + " AS " + a + " WHERE " + a + ".k = " + ints[g.pick(len(ints))].expr + " AND " + g.boolExpr(os, 1)
		return DML{SQL: s + ret(ts), Check: check}
	}
	if g.pct(90) {
		s += " WHERE " + g.boolExpr(ts, 2)
		if g.pct(30) {
			s += g.oneOf(" AND ", " OR ") + g.dmlSubquery(ts)
		}
	}
	return DML{SQL: s + ret(ts), Check: check}
}

// dmlSubquery is an EXISTS or IN subquery correlated to the target table's
// row (its columns are the subquery's outer scope).
func (g *Gen) dmlSubquery(ts *scope) string {
	outer := &scope{cols: ts.cols}
	if g.pct(50) {
		return g.oneOf("", "NOT ") + "EXISTS (" + g.subquery(outer, nil, false) + ")"
	}
	t := g.cmpType()
	var cs []colRef
	for _, c := range ts.cols {
		if c.typ == t {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return "true"
	}
	return cs[g.pick(len(cs))].expr + g.oneOf(" IN (", " NOT IN (") + g.subquery(outer, []Type{t}, false) + ")"
}

// dedupSets keeps the first assignment of each column (a column may be
// set once).
func dedupSets(sets []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sets {
		c, _, _ := strings.Cut(s, " = ")
		if !seen[c] {
			seen[c] = true
			out = append(out, s)
		}
	}
	return out
}

// Partition returns q's rows filtered by a random predicate p over its
// columns: WHERE p, WHERE NOT p and WHERE p IS NULL, whose multiset union
// is q's rows.
func (g *Gen) Partition(q Query) [3]string {
	sc := &scope{}
	for i, t := range q.Types {
		sc.cols = append(sc.cols, colRef{fmt.Sprintf("q.c%d", i), t})
	}
	g.alias = 100
	g.ctes = nil
	p := g.boolExpr(sc, 2)
	base := "SELECT * FROM (" + q.SQL + ") AS q WHERE "
	return [3]string{base + "(" + p + ")", base + "NOT (" + p + ")", base + "(" + p + ") IS NULL"}
}
