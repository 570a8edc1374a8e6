package plan

import (
	"fmt"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// ResolveTable finds a table, view or sequence by (schema, name).
// BindStoredQuery binds the text of a stored query (a materialized
// view's) as a view's is bound.
func (b *Binder) BindStoredQuery(text string) (Node, error) {
	st, err := parser.ParseOne(text)
	if err != nil {
		return nil, err
	}
	rs, ok := st.AST.(ast.ResultSetNode)
	if !ok {
		return nil, pgerr.New(pgerr.Syntax, "a materialized view needs a query")
	}
	saved := b.Stmt
	b.Stmt = &st
	defer func() { b.Stmt = saved }()
	return b.BindQuery(rs)
}

func (b *Binder) ResolveTable(schema, name string) (*catalog.Descriptor, error) {
	sch := b.Schema
	if schema == "pg_temp" {
		if b.TempSchema == 0 {
			return nil, nil
		}
		schema, sch = "", b.TempSchema
	} else if schema == "" && b.TempSchema != 0 {
		id, err := b.Coll.LookupID(b.Ctx, b.DB, b.TempSchema, name)
		if err != nil {
			return nil, err
		}
		if id != 0 {
			return b.Coll.Get(b.Ctx, id)
		}
	}
	if isVirtualSchema(schema) {
		if full, vt := lookupVirtual(schema, name); vt != nil {
			return nil, errVirtualWrite(full)
		}
		return nil, pgerr.New(pgerr.UndefinedTable, "relation \"%s.%s\" does not exist", schema, name)
	}
	if schema == "" && b.SearchPath != nil {
		for _, sid := range b.SearchPath {
			id, err := b.Coll.LookupID(b.Ctx, b.DB, sid, name)
			if err != nil {
				return nil, err
			}
			if id == 0 {
				continue
			}
			d, err := b.Coll.Get(b.Ctx, id)
			if d != nil && d.Kind == catalog.KindType {
				continue
			}
			return d, err
		}
		return nil, nil
	}
	if schema != "" && (schema != "public" || b.SearchPath != nil) {
		id, err := b.Coll.LookupID(b.Ctx, b.DB, 0, schema)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			return nil, pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", schema)
		}
		sch = id
	}
	id, err := b.Coll.LookupID(b.Ctx, b.DB, sch, name)
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, nil
	}
	d, err := b.Coll.Get(b.Ctx, id)
	if d != nil && d.Kind == catalog.KindType {
		return nil, err // a type is not a relation
	}
	return d, err
}

func (b *Binder) bindFrom(j *ast.Join, parent *scope) (Node, []Col, error) {
	return b.bindJoin(j, parent)
}

func (b *Binder) bindJoin(j *ast.Join, parent *scope) (Node, []Col, error) {
	l, lcols, err := b.bindTableRef(j.Left, parent, nil)
	if err != nil {
		return nil, nil, err
	}
	if j.Right == nil {
		return l, lcols, nil
	}
	var lat *scope
	if ts, ok := j.Right.(*ast.TableSource); ok && ts.Lateral {
		lat = &scope{cols: lcols, parent: parent, lateral: true}
	}
	if rj, ok := j.Right.(*ast.Join); ok && isCommaJoin(j) && hasLateral(rj) {
		// FROM a, b JOIN LATERAL (… a …): a LATERAL item sees the items
		// to its left in the FROM list too, so the join to the right of
		// the comma is bound inside a's scope and, if it names anything
		// outside itself, run once per row of a (an Apply).
		asc := &scope{cols: lcols, parent: parent, lateralOnly: true}
		before := b.outerRefs
		r, rcols, err := b.bindJoin(rj, asc)
		if err != nil {
			return nil, nil, err
		}
		if name := sharedTable(lcols, rcols); name != "" {
			return nil, nil, pgerr.New(pgerr.AmbiguousAlias, "table name %q specified more than once", name)
		}
		cols := append(append([]Col{}, lcols...), rcols...)
		if b.outerRefs == before {
			return &Join{Kind: InnerJoin, L: l, R: r}, cols, nil
		}
		return &Apply{Kind: InnerJoin, L: l, R: r}, cols, nil
	}
	beforeR := b.outerRefs
	r, rcols, err := b.bindTableRef(j.Right, parent, lat)
	if err != nil {
		return nil, nil, err
	}
	if lat != nil && b.outerRefs == beforeR {
		// names nothing outside itself (a function in FROM without column
		// arguments, say): a plain join, of any kind
		lat = nil
	}
	if name := sharedTable(lcols, rcols); name != "" {
		return nil, nil, pgerr.New(pgerr.AmbiguousAlias, "table name %q specified more than once", name)
	}
	kind := InnerJoin
	switch j.Tp {
	case ast.LeftJoin:
		kind = LeftJoin
	case ast.RightJoin:
		kind = RightJoin
	}
	if j.StraightJoin {
		// sql/parser's PostgreSQL front end emits FULL [OUTER] JOIN as
		// STRAIGHT_JOIN (see pgdialect); PostgreSQL demands ON or USING.
		// The front end emits NATURAL FULL JOIN as STRAIGHT_JOIN without
		// ON or USING (a plain FULL JOIN without either is a syntax error
		// there).
		kind = FullJoin
		if j.On == nil && len(j.Using) == 0 {
			j.NaturalJoin = true
		}
	}
	if lat != nil {
		if kind != InnerJoin && kind != LeftJoin {
			return nil, nil, pgerr.New(pgerr.FeatureNotSupported, "only inner and left LATERAL joins are supported")
		}
		ap := &Apply{Kind: kind, L: l, R: r}
		cols := append(append([]Col{}, lcols...), rcols...)
		if j.On != nil {
			sc := &scope{cols: cols, parent: parent, noAgg: "JOIN conditions"}
			cond, err := b.bindBool(j.On.Expr, sc, "JOIN/ON")
			if err != nil {
				return nil, nil, err
			}
			ap.On = cond
		}
		if kind == LeftJoin {
			b.outerJoined(rcols)
		}
		return ap, cols, nil
	}
	cols := append(append([]Col{}, lcols...), rcols...)
	join := &Join{Kind: kind, L: l, R: r}
	sc := &scope{cols: cols, parent: parent, noAgg: "JOIN conditions"}
	var using []string
	var merged [][2]int // FULL JOIN USING: (left, right) column pairs
	if j.NaturalJoin {
		for _, lc := range lcols {
			if lc.Hidden {
				continue
			}
			for _, rc := range rcols {
				if !rc.Hidden && rc.Name == lc.Name {
					using = append(using, lc.Name)
				}
			}
		}
	}
	for _, u := range j.Using {
		using = append(using, u.Name.O)
	}
	if len(using) > 0 {
		lsc := &scope{cols: lcols}
		rsc := &scope{cols: rcols}
		var conds []Expr
		for _, name := range using {
			li, err := lsc.lookup("", name)
			if err != nil {
				return nil, nil, err
			}
			ri, err := rsc.lookup("", name)
			if err != nil {
				return nil, nil, err
			}
			if li < 0 || ri < 0 {
				return nil, nil, pgerr.New(pgerr.UndefinedColumn, "column %q specified in USING clause does not exist in %s table", name, map[bool]string{true: "left", false: "right"}[li < 0])
			}
			eq, err := b.binary(sem.OpEQ, &ColRef{Idx: li, T: lcols[li].T}, &ColRef{Idx: len(lcols) + ri, T: rcols[ri].T})
			if err != nil {
				return nil, nil, err
			}
			conds = append(conds, eq)
			// The right copy is not a separate name any more.
			cols[len(lcols)+ri].Hidden = true
			cols[len(lcols)+ri].UsingRight = true
			if kind == FullJoin {
				merged = append(merged, [2]int{li, len(lcols) + ri})
			}
		}
		join.On = AndAll(conds)
	} else if j.On != nil {
		cond, err := b.bindBool(j.On.Expr, sc, "JOIN/ON")
		if err != nil {
			return nil, nil, err
		}
		join.On = cond
	}
	switch kind {
	case LeftJoin:
		b.outerJoined(rcols)
	case RightJoin:
		b.outerJoined(lcols)
	case FullJoin:
		b.outerJoined(cols)
	}
	if kind == RightJoin {
		// Swap to a left join and restore the column order on top.
		sw := &Join{Kind: LeftJoin, L: r, R: l}
		nl, nr := len(lcols), len(rcols)
		if join.On != nil {
			sw.On = MapCols(join.On, func(i int) int {
				if i < nl {
					return i + nr
				}
				return i - nl
			})
		}
		p := &Project{In: sw, Cols: cols}
		for i := range cols {
			src := i + nr
			if i >= nl {
				src = i - nl
			}
			p.Exprs = append(p.Exprs, &ColRef{Idx: src, T: cols[i].T})
		}
		return p, cols, nil
	}
	if len(merged) > 0 {
		// FULL JOIN USING (x): the visible x is COALESCE(left.x, right.x).
		p := &Project{In: join, Cols: cols}
		for i := range cols {
			p.Exprs = append(p.Exprs, &ColRef{Idx: i, T: cols[i].T})
		}
		for _, m := range merged {
			lt, rt := cols[m[0]].T, cols[m[1]].T
			t := lt
			var re Expr = &ColRef{Idx: m[1], T: rt}
			if !lt.Equal(rt) {
				re = &Cast{E: re, From: rt, To: lt}
			}
			p.Exprs[m[0]] = &Coalesce{Args: []Expr{p.Exprs[m[0]], re}, T: t}
		}
		return p, cols, nil
	}
	return join, cols, nil
}

// isCommaJoin reports whether j is a plain cross join (a comma in FROM, or
// CROSS JOIN): no ON, USING or NATURAL, not FULL.
func isCommaJoin(j *ast.Join) bool {
	return j.Tp == ast.CrossJoin && !j.StraightJoin && j.On == nil && len(j.Using) == 0 && !j.NaturalJoin
}

// hasLateral reports whether a join tree has a LATERAL item.
func hasLateral(n ast.ResultSetNode) bool {
	switch n := n.(type) {
	case *ast.Join:
		return hasLateral(n.Left) || (n.Right != nil && hasLateral(n.Right))
	case *ast.TableSource:
		return n.Lateral
	}
	return false
}

func (b *Binder) bindTableRef(n ast.ResultSetNode, parent *scope, lateral *scope) (Node, []Col, error) {
	switch n := n.(type) {
	case *ast.Join:
		return b.bindJoin(n, parent)
	case *ast.TableSource:
		alias := n.AsName.O
		var node Node
		var cols []Col
		var err error
		switch src := n.Source.(type) {
		case *ast.TableName:
			if alias == "" {
				alias = src.Name.O
			}
			node, cols, err = b.bindTableName(src, alias)
			if err == nil {
				// An unaliased relation is also named by its schema; an
				// aliased one only by its alias (PostgreSQL).
				sch := ""
				if n.AsName.O == "" && !(src.Schema.O == "" && b.lookupCTE(src.Name.L) != nil) {
					sch = b.relSchemaName(src)
				}
				cols = append([]Col(nil), cols...)
				for i := range cols {
					cols[i].Schema = sch
				}
			}
		default:
			p := parent
			if lateral != nil {
				p = lateral
			} else if n.Lateral && parent != nil && parent.lateralOnly {
				// the first item of the join right of a comma: it sees
				// the items left of the comma (same level, visible)
				cp := *parent
				cp.lateralOnly = false
				p = &cp
			}
			if src2, ok := n.Source.(*ast.SelectStmt); ok {
				// The arguments are evaluated before the function's rows
				// exist, so every column they name is an outer one.
				fsc := &scope{parent: p}
				if g, c, ok2, err2 := b.bindFromFunc(src2, fsc, alias); ok2 || err2 != nil {
					if err2 != nil {
						return nil, nil, err2
					}
					node, cols = g, c
					break
				}
			}
			before := b.outerRefs
			node, err = b.bindQuery(n.Source, p)
			if err != nil {
				return nil, nil, err
			}
			if lateral != nil && b.outerRefs == before {
				// Not actually lateral.
				lateral = nil
			}
			node = visibleOnly(node)
			for _, c := range node.Columns() {
				c.Table, c.Schema = alias, ""
				c.Hidden, c.UsingRight = false, false
				cols = append(cols, c)
			}
		}
		if err != nil {
			return nil, nil, err
		}
		if len(n.ColumnNames) > 0 {
			vis := 0
			for i := range cols {
				if cols[i].Hidden {
					continue
				}
				if vis < len(n.ColumnNames) {
					cols[i].Name = n.ColumnNames[vis].O
				}
				vis++
			}
			if len(n.ColumnNames) > vis {
				return nil, nil, pgerr.New(pgerr.InvalidColumnRef, "table %q has %d columns available but %d columns specified", alias, vis, len(n.ColumnNames))
			}
		}
		return node, cols, nil
	}
	return nil, nil, pgerr.New(pgerr.FeatureNotSupported, "unsupported FROM item %T", n)
}

// bindFromFunc binds a set-returning function in FROM (the parser wraps
// it as LATERAL (SELECT f(...))).
func (b *Binder) bindFromFunc(sel *ast.SelectStmt, sc *scope, alias string) (Node, []Col, bool, error) {
	if sel.From != nil || sel.Where != nil || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		return nil, nil, false, nil
	}
	fc, ok := sel.Fields.Fields[0].Expr.(*ast.FuncCallExpr)
	if !ok {
		return nil, nil, false, nil
	}
	if sem.IsJSONToRecord(fc.FnName.L) {
		return b.bindJSONToRecord(fc, sc, alias)
	}
	if sem.IsJSONPopulateRecord(fc.FnName.L) {
		return b.bindJSONPopulate(fc, sc, alias)
	}
	cls, ok := sem.FuncExists(fc.FnName.L)
	if !ok {
		// a user-defined function (its body's rows)
		colName := sel.Fields.Fields[0].AsName.O
		if alias != "" && colName == "" {
			colName = alias
		}
		return b.bindFromUserFunc(fc, sc, alias, colName)
	}
	if cls != sem.Generator {
		return nil, nil, false, nil
	}
	if hasNamed(fc.Args) {
		var err error
		if fc, err = namedBuiltin(fc.FnName.L, fc); err != nil {
			return nil, nil, true, err
		}
	}
	es, ts, err := b.bindArgs(fc.Args, sc)
	if err != nil {
		return nil, nil, true, err
	}
	ov, err := sem.ResolveFunc(fc.FnName.L, ts)
	if err != nil {
		return nil, nil, true, err
	}
	for i := range es {
		if i < len(ov.Args) {
			if es[i], err = b.coerce(es[i], ov.Args[i]); err != nil {
				return nil, nil, true, err
			}
		}
	}
	name := fc.FnName.L
	if alias != "" {
		name = alias
	}
	if f := sel.Fields.Fields[0]; f.AsName.O != "" {
		name = f.AsName.O
	}
	g := &Generate{Ov: ov, Args: es, Cols: []Col{{Name: name, T: ov.Return, Table: alias}}}
	if len(ov.OutCols) > 0 {
		g.Cols = nil
		for _, c := range ov.OutCols {
			g.Cols = append(g.Cols, Col{Name: c.Name, T: c.T, Table: alias})
		}
	}
	return g, g.Cols, true, nil
}

// bindJSONToRecord binds json[b]_to_record[set](x) AS alias(col type,
// ...): the parser passes the column types as string arguments after
// pgdialect.ColumnDefsMarker, and the alias list names the columns.
func (b *Binder) bindJSONToRecord(fc *ast.FuncCallExpr, sc *scope, alias string) (Node, []Col, bool, error) {
	es, _, err := b.bindArgs(fc.Args, sc)
	if err != nil {
		return nil, nil, true, err
	}
	mark := -1
	for i, e := range es {
		if c, ok := e.(*Const); ok && isUnknown(c.T) && c.D == types.Datum(types.DString(pgdialect.ColumnDefsMarker)) {
			mark = i
			break
		}
	}
	if mark < 0 {
		return nil, nil, true, pgerr.New(pgerr.Syntax, "a column definition list is required for functions returning \"record\"")
	}
	if mark != 1 {
		return nil, nil, true, pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", fc.FnName.L)
	}
	var out []sem.OutCol
	defs := es[mark+1:]
	for k := 0; k+1 < len(defs); k += 2 {
		name := string(defs[k].(*Const).D.(types.DString))
		text := string(defs[k+1].(*Const).D.(types.DString))
		st, err := parser.ParseOne("SELECT CAST(NULL AS " + text + ")")
		if err != nil {
			return nil, nil, true, err
		}
		var t *types.T
		for _, pt := range st.CastTypes {
			if t, err = b.ResolveType(pt); err != nil {
				return nil, nil, true, err
			}
		}
		if t == nil {
			return nil, nil, true, pgerr.New(pgerr.Syntax, "syntax error at or near %q", text)
		}
		out = append(out, sem.OutCol{Name: name, T: t})
	}
	ov, err := sem.JSONToRecord(fc.FnName.L, out)
	if err != nil {
		return nil, nil, true, err
	}
	arg, err := b.coerce(es[0], ov.Args[0])
	if err != nil {
		return nil, nil, true, err
	}
	g := &Generate{Ov: ov, Args: []Expr{arg}}
	for _, c := range out {
		g.Cols = append(g.Cols, Col{Name: c.Name, T: c.T, Table: alias})
	}
	return g, g.Cols, true, nil
}

func (b *Binder) bindTableName(tn *ast.TableName, alias string) (Node, []Col, error) {
	if tn.Schema.O == "" {
		if cte := b.lookupCTE(tn.Name.L); cte != nil {
			if wr, ok := cte.Plan.(*WorkingRef); ok && cte.ID == -1 {
				cols := relabel(wr.Cols, alias)
				return &WorkingRef{CTE: wr.CTE, Cols: cols}, cols, nil
			}
			cols := relabel(cte.Plan.Columns(), alias)
			return &CTERef{CTE: cte, Cols: cols}, cols, nil
		}
	}
	if isVirtualSchema(tn.Schema.O) {
		if full, vt := lookupVirtual(tn.Schema.O, tn.Name.O); vt != nil {
			return b.bindVirtual(full, vt, alias)
		}
	}
	d, err := b.ResolveTable(tn.Schema.O, tn.Name.O)
	if err != nil {
		if pgerr.Code(err) == pgerr.InvalidSchemaName {
			// PostgreSQL: a relation in a missing schema does not exist.
			return nil, nil, pgerr.New(pgerr.UndefinedTable, "relation \"%s.%s\" does not exist", tn.Schema.O, tn.Name.O)
		}
		return nil, nil, err
	}
	if d == nil && tn.Schema.O == "" {
		if full, vt := lookupVirtual("", tn.Name.O); vt != nil {
			return b.bindVirtual(full, vt, alias)
		}
	}
	if d == nil {
		return nil, nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", tn.Name.O)
	}
	switch d.Kind {
	case catalog.KindView:
		if b.viewDepth > 16 {
			return nil, nil, pgerr.New(pgerr.ProgramLimit, "view %q nests too deeply", d.Name)
		}
		st, err := parser.ParseOne(d.ViewQuery)
		if err != nil {
			return nil, nil, fmt.Errorf("view %q: %w", d.Name, err)
		}
		rs, ok := st.AST.(ast.ResultSetNode)
		if !ok {
			return nil, nil, pgerr.New(pgerr.Internal, "view %q is not a query", d.Name)
		}
		saved := b.Stmt
		b.Stmt = &st
		b.viewDepth++
		saveCTE := b.ctes
		b.ctes = nil
		node, err := b.bindQuery(rs, nil)
		b.ctes = saveCTE
		b.viewDepth--
		b.Stmt = saved
		if err != nil {
			return nil, nil, err
		}
		node = visibleOnly(node)
		var cols []Col
		for i, c := range node.Columns() {
			if i < len(d.ViewColumns) {
				c.Name = d.ViewColumns[i]
			}
			c.Table = alias
			cols = append(cols, c)
		}
		return node, cols, nil
	case catalog.KindTable:
		if d.Unpopulated {
			return nil, nil, pgerr.New("55000", "materialized view %q has not been populated", d.Name)
		}
		s := &Scan{Table: d, Codec: catalog.NewRowCodec(d), Partial: b.bindPartialIndexes(d)}
		for i, c := range d.Columns {
			s.Cols = append(s.Cols, Col{Name: c.Name, T: c.Type, Table: alias, Hidden: c.Hidden, TableOID: uint32(d.ID), Attr: int16(i + 1)})
			if c.Hidden && c.Generated != "" {
				b.noteIndexExpr(alias, c)
			}
		}
		return s, s.Cols, nil
	case catalog.KindSequence:
		v := &Values{Cols: []Col{{Name: "last_value", T: types.Int8, Table: alias}}}
		v.Rows = [][]Expr{{&SeqFunc{Op: "currval_raw", Seq: d}}}
		return v, v.Cols, nil
	}
	return nil, nil, pgerr.New(pgerr.WrongObjectType, "%q is not a table", d.Name)
}

// sharedTable returns a FROM name that qualifies columns on both sides of a
// join ("" if none): PostgreSQL rejects FROM t, t and t JOIN t (42712),
// but not two unaliased tables of one name in different schemas (FROM
// a.t, b.t: then t.c is ambiguous and a.t.c is not).
func sharedTable(l, r []Col) string {
	type ref struct{ table, schema string }
	var names []ref
	for _, c := range l {
		if c.Table != "" && (len(names) == 0 || names[len(names)-1] != ref{c.Table, c.Schema}) {
			names = append(names, ref{c.Table, c.Schema})
		}
	}
	prev := ref{}
	for _, c := range r {
		if c.Table == "" || (ref{c.Table, c.Schema}) == prev {
			continue
		}
		prev = ref{c.Table, c.Schema}
		for _, n := range names {
			if n.table == c.Table && (n.schema == "" || c.Schema == "" || n.schema == c.Schema) {
				return n.table
			}
		}
	}
	return ""
}

// relSchemaName is the schema a FROM relation resolved in: the one named,
// or for an unqualified name the current schema (pg_catalog for a
// catalog table not shadowed by a user table).
func (b *Binder) relSchemaName(tn *ast.TableName) string {
	if tn.Schema.O != "" {
		return tn.Schema.O
	}
	// bindTableName resolved an unqualified user relation in the current
	// schema, else in pg_catalog.
	if d, err := b.ResolveTable("", tn.Name.O); err == nil && d != nil {
		if b.Eval != nil && b.Eval.Schema != "" {
			return b.Eval.Schema
		}
		return "public"
	}
	return "pg_catalog"
}

func relabel(cols []Col, alias string) []Col {
	out := make([]Col, len(cols))
	for i, c := range cols {
		c.Table = alias
		out[i] = c
	}
	return out
}

// bindSetOp binds UNION / INTERSECT / EXCEPT with INTERSECT binding
// tighter, left to right otherwise.
func (b *Binder) bindSetOp(with *ast.WithClause, list *ast.SetOprSelectList, orderBy *ast.OrderByClause, limit *ast.Limit, parent *scope) (Node, error) {
	pop, err := b.pushCTEs(with, parent)
	if err != nil {
		return nil, err
	}
	defer pop()
	if list.With != nil && list.With != with {
		pop2, err := b.pushCTEs(list.With, parent)
		if err != nil {
			return nil, err
		}
		defer pop2()
	}
	type term struct {
		n  Node
		op *ast.SetOprType
	}
	var terms []term
	for _, s := range list.Selects {
		var after *ast.SetOprType
		var n Node
		switch s := s.(type) {
		case *ast.SelectStmt:
			after = s.AfterSetOperator
			n, err = b.bindSelect(s, parent)
		case *ast.SetOprSelectList:
			after = s.AfterSetOperator
			n, err = b.bindSetOp(s.With, s, s.OrderBy, s.Limit, parent)
		default:
			err = pgerr.New(pgerr.FeatureNotSupported, "unsupported set operand %T", s)
		}
		if err != nil {
			return nil, err
		}
		n = visibleOnly(n)
		if len(terms) > 0 && after != nil && (*after == ast.Intersect || *after == ast.IntersectAll) {
			last := terms[len(terms)-1]
			c, err := b.combine(last.n, n, *after)
			if err != nil {
				return nil, err
			}
			terms[len(terms)-1] = term{c, last.op}
			continue
		}
		terms = append(terms, term{n, after})
	}
	cur := terms[0].n
	for _, t := range terms[1:] {
		op := ast.Union
		if t.op != nil {
			op = *t.op
		}
		if cur, err = b.combine(cur, t.n, op); err != nil {
			return nil, err
		}
	}
	if orderBy != nil {
		cols := cur.Columns()
		sc := &scope{cols: cols, parent: parent, noAgg: "ORDER BY"}
		var items []selItem
		var exprs []Expr
		for i, c := range cols {
			items = append(items, selItem{col: i, name: c.Name})
			exprs = append(exprs, &ColRef{Idx: i, T: c.T})
		}
		outCols := append([]Col{}, cols...)
		var keys []SortKey
		for _, o := range orderBy.Items {
			idx, err := b.orderTarget(o.Expr, items, exprs, &outCols, sc, false)
			if err != nil {
				return nil, err
			}
			if idx >= len(exprs) {
				exprs = append(exprs, b.pendingOrder)
			}
			k := SortKey{Idx: idx, Desc: o.Desc, NullsFirst: o.Desc}
			if no, ok := b.Stmt.NullsOrder[o]; ok {
				k.NullsFirst = no == parser.NullsFirst
			} else if no, ok := b.extraNulls[o]; ok {
				k.NullsFirst = no == parser.NullsFirst
			}
			keys = append(keys, k)
		}
		if len(exprs) > len(cols) {
			cur = &Project{In: cur, Exprs: exprs, Cols: outCols}
		}
		cur = &Sort{In: cur, Keys: keys}
	}
	if cur, err = b.bindLimit(cur, limit); err != nil {
		return nil, err
	}
	return visibleOnly(cur), nil
}

// literalColumn returns the string literal that column i of a set
// operation's branch n selects (a Project of a Const string), if it is one.
func (b *Binder) literalColumn(n Node, i int) (*Const, bool) {
	p, ok := n.(*Project)
	if !ok || i >= len(p.Exprs) {
		return nil, false
	}
	c, ok := p.Exprs[i].(*Const)
	if !ok || !b.unknownLits[c] {
		return nil, false
	}
	return c, true
}

func (b *Binder) combine(l, r Node, op ast.SetOprType) (Node, error) {
	lc, rc := l.Columns(), r.Columns()
	name := "UNION"
	kind, all := Union, false
	switch op {
	case ast.UnionAll:
		all = true
	case ast.Intersect:
		kind, name = Intersect, "INTERSECT"
	case ast.IntersectAll:
		kind, name, all = Intersect, "INTERSECT", true
	case ast.Except:
		kind, name = Except, "EXCEPT"
	case ast.ExceptAll:
		kind, name, all = Except, "EXCEPT", true
	}
	if len(lc) != len(rc) {
		return nil, pgerr.New(pgerr.Syntax, "each %s query must have the same number of columns", name)
	}
	cols := make([]Col, len(lc))
	lp := &Project{In: l}
	rp := &Project{In: r}
	needL, needR := false, false
	for i := range lc {
		// A string literal selected by a branch is of unknown type there,
		// as in PostgreSQL: it takes the other branch's type (its text
		// parsed as that type: SELECT 1 UNION SELECT 'a' is 22P02).
		lt, rt := lc[i].T, rc[i].T
		lk, lok := b.literalColumn(l, i)
		rk, rok := b.literalColumn(r, i)
		if lok {
			lt = sem.Unknown
		}
		if rok {
			rt = sem.Unknown
		}
		t, err := sem.CommonType(name, []*types.T{lt, rt})
		if err != nil {
			return nil, err
		}
		for _, k := range []struct {
			ok bool
			n  Node
			c  *Const
		}{{lok, l, lk}, {rok, r, rk}} {
			if !k.ok || k.c.T.Equal(t) {
				continue
			}
			v, err := b.coerce(&Const{D: k.c.D, T: sem.Unknown}, t)
			if err != nil {
				return nil, err
			}
			pr := k.n.(*Project)
			pr.Exprs[i] = v
			pr.Cols[i].T = t
		}
		lc, rc = l.Columns(), r.Columns()
		cols[i] = Col{Name: lc[i].Name, T: t}
		le, err := b.coerce(&ColRef{Idx: i, T: lc[i].T}, t)
		if err != nil {
			return nil, err
		}
		re, err := b.coerce(&ColRef{Idx: i, T: rc[i].T}, t)
		if err != nil {
			return nil, err
		}
		if !lc[i].T.Equal(t) {
			needL = true
		}
		if !rc[i].T.Equal(t) {
			needR = true
		}
		lp.Exprs = append(lp.Exprs, le)
		rp.Exprs = append(rp.Exprs, re)
	}
	lp.Cols, rp.Cols = cols, cols
	if needL {
		l = lp
	}
	if needR {
		r = rp
	}
	return &SetOp{Op: kind, All: all, L: l, R: r, Cols: cols}, nil
}

// bindSubquery binds a subquery used as a value.
func (b *Binder) bindSubquery(sq *ast.SubqueryExpr, sc *scope, mode SubqueryMode, l Expr, op *sem.BinaryOp, _ bool) (Expr, error) {
	before := b.outerRefs
	node, err := b.bindQuery(sq.Query, sc)
	if err != nil {
		return nil, err
	}
	node = visibleOnly(node)
	s := &Subquery{Mode: mode, ID: b.nextSub, Correlated: b.outerRefs != before}
	b.nextSub++
	cols := node.Columns()
	if mode != SubExists && len(cols) != 1 {
		return nil, pgerr.New(pgerr.Syntax, "subquery must return only one column")
	}
	switch mode {
	case SubExists:
		s.T = types.Bool
	case SubScalar:
		s.T = cols[0].T
	case SubArray:
		at, err := types.MakeArray(cols[0].T)
		if err != nil {
			return nil, err
		}
		s.T = at
	case SubAny, SubAll:
		s.T = types.Bool
		ov, err := sem.ResolveBinary(*op, l.Type(), cols[0].T)
		if err != nil {
			return nil, err
		}
		if l, err = b.coerce(l, ov.Left); err != nil {
			return nil, err
		}
		if !cols[0].T.Equal(ov.Right) {
			e, err := b.coerce(&ColRef{Idx: 0, T: cols[0].T}, ov.Right)
			if err != nil {
				return nil, err
			}
			node = &Project{In: node, Exprs: []Expr{e}, Cols: []Col{{Name: cols[0].Name, T: ov.Right}}}
		}
		s.L, s.Cmp = l, ov
	}
	s.Plan = Optimize(node)
	return s, nil
}
