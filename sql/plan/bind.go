package plan

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/valuedriver"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// winBase offsets window-result column references until the Window
// node's position is known.
const winBase = 1 << 20

// Binder binds one statement.
type Binder struct {
	Ctx context.Context
	// unknownLits are the select-list literals of unknown type resolved
	// to text (a set operation resolves them against the other branch).
	unknownLits map[*Const]bool
	// groupNull marks, for each branch SELECT of a ROLLUP/CUBE/GROUPING
	// SETS query, the GROUP BY items outside its set.
	groupNull map[*ast.SelectStmt]map[int]bool
	// grouping is the GROUP BY of the SELECT being bound, for GROUPING().
	grouping *groupingCtx
	Coll     *catalog.Collection
	DB       catalog.ID
	Schema   catalog.ID
	// TempSchema is the session's temporary schema (0 if none): an
	// unqualified name is looked up there first, and pg_temp names it.
	TempSchema catalog.ID
	// SearchPath are the schemas an unqualified name is looked up in,
	// in order (nil: just Schema).
	SearchPath []catalog.ID
	Stmt       *parser.Statement
	Eval       *sem.EvalContext
	// Params are the parameter types (given by the client or inferred);
	// nil entries are not yet known.
	Params    []*types.T
	NumParams int
	// ReadsClock: a literal of the statement read the clock ('now',
	// 'today' …), so its plan holds this transaction's time and is not
	// to be reused.
	ReadsClock bool

	nextSub   int
	outerRefs int
	ctes      []map[string]*CTE
	nextCTE   int
	viewDepth int
	// extraNulls gives NULLS FIRST/LAST of ORDER BY items the binder made
	// (b.Stmt.NullsOrder has those of the parsed ones).
	extraNulls map[*ast.ByItem]parser.NullsOrder
	// pendingOrder is the expression orderTarget appended last.
	pendingOrder Expr
	// windowDefs are the WINDOW clause of the SELECT being bound.
	windowDefs map[string]*ast.WindowSpec
	// srfRefs are the set-returning function calls nested in select-list
	// expressions, each run by the query's generator node: the call
	// reads as that node's column.
	srfRefs map[*ast.FuncCallExpr]srfRef
	// funcDepth counts the user-defined function bodies being bound.
	funcDepth int
	// vsnap is the catalog snapshot virtual tables read (virtual.go).
	vsnap *vsnap
	// indexExprs are the expression index keys of the tables in FROM
	// (bind_index.go).
	indexExprs []indexExpr
	// WriteCTEs are the statement's data-modifying WITH queries, bound by
	// the Bind* entry points: the caller runs each exactly once before the
	// statement (exec's Env.RunCTE), whether the statement reads it or not.
	WriteCTEs []*CTE
	dataBound bool
	// withBound: the statement's DMLWith queries are bound and pushed
	withBound bool
	// regclassOut are the output columns of the statement that are casts
	// to regclass: BindQuery prints them as relation names.
	regclassOut []int
	// regprocOut are the output columns that are a catalog's regproc
	// columns: BindQuery prints them as function names.
	regprocOut []int
	// aggOwner are the aggregate calls found to belong to an enclosing
	// query, with that query; aggOwnerGen counts the calls found per
	// query (bind_outeragg.go).
	aggOwner    map[ast.Node]*ast.SelectStmt
	aggOwnerGen map[*ast.SelectStmt]int
}

// NumSubqueries is how many subqueries the statement has (for caches).
func (b *Binder) NumSubqueries() int { return b.nextSub }

// NumCTEs is how many WITH queries the statement has.
func (b *Binder) NumCTEs() int { return b.nextCTE }

// FinishParams gives every still-untyped parameter type TEXT.
func (b *Binder) FinishParams() []*types.T {
	for len(b.Params) < b.NumParams {
		b.Params = append(b.Params, nil)
	}
	for i, t := range b.Params {
		if t == nil || isUnknown(t) {
			b.Params[i] = types.String
		}
	}
	return b.Params
}

// BindQuery binds a SELECT / set operation / VALUES.
func (b *Binder) BindQuery(n ast.ResultSetNode) (Node, error) {
	if err := b.bindDataCTEs(); err != nil {
		return nil, err
	}
	locking, shared, wait := false, false, LockWaitBlock
	if sel, ok := n.(*ast.SelectStmt); ok {
		var err error
		if locking, shared, wait, err = lockingFor(sel); err != nil {
			return nil, err
		}
	}
	node, err := b.bindQuery(n, nil)
	if err != nil {
		return nil, err
	}
	node = Optimize(node)
	if locking {
		markLocking(node, wait, shared)
	}
	if len(b.regclassOut) > 0 || len(b.regprocOut) > 0 {
		cols := node.Columns()
		p := &Project{In: node, Cols: append([]Col(nil), cols...)}
		for i, c := range cols {
			p.Exprs = append(p.Exprs, &ColRef{Idx: i, T: c.T})
		}
		for _, i := range b.regclassOut {
			if i < len(cols) {
				if p.Exprs[i], err = b.regClassName(p.Exprs[i]); err != nil {
					return nil, err
				}
				p.Cols[i].T = vText
			}
		}
		for _, i := range b.regprocOut {
			if i < len(cols) {
				p.Exprs[i] = &Func{Ov: regprocOut, Args: []Expr{p.Exprs[i]}}
				p.Cols[i].T = vText
			}
		}
		node = p
	}
	return node, nil
}

func (b *Binder) bindQuery(n ast.Node, parent *scope) (Node, error) {
	switch n := n.(type) {
	case *ast.SelectStmt:
		return b.bindSelect(n, parent)
	case *ast.SetOprStmt:
		return b.bindSetOp(n.With, n.SelectList, n.OrderBy, n.Limit, parent)
	case *ast.SetOprSelectList:
		return b.bindSetOp(n.With, n, n.OrderBy, n.Limit, parent)
	case *ast.SubqueryExpr:
		return b.bindQuery(n.Query, parent)
	}
	return nil, pgerr.New(pgerr.FeatureNotSupported, "unsupported query %T", n)
}

// visible returns the visible columns of a node and a projection to them
// if some are hidden.
func visibleOnly(n Node) Node {
	cols := n.Columns()
	var keep []int
	for i, c := range cols {
		if !c.Hidden {
			keep = append(keep, i)
		}
	}
	if len(keep) == len(cols) {
		return n
	}
	p := &Project{In: n}
	for _, i := range keep {
		p.Exprs = append(p.Exprs, &ColRef{Idx: i, T: cols[i].T})
		p.Cols = append(p.Cols, cols[i])
	}
	return p
}

func (b *Binder) pushCTEs(w *ast.WithClause, parent *scope) (func(), error) {
	if w == nil {
		return func() {}, nil
	}
	m := map[string]*CTE{}
	b.ctes = append(b.ctes, m)
	pop := func() { b.ctes = b.ctes[:len(b.ctes)-1] }
	for _, c := range w.CTEs {
		cte := &CTE{Name: c.Name.L, ID: b.nextCTE}
		b.nextCTE++
		var err error
		before := b.outerRefs
		if w.IsRecursive {
			err = b.bindRecursiveCTE(cte, c, parent, m)
		} else {
			cte.Plan, err = b.bindQuery(c.Query.Query, parent)
			if err == nil {
				cte.Plan = visibleOnly(cte.Plan)
			}
		}
		cte.Correlated = b.outerRefs != before
		if err == nil {
			cte.Plan = Optimize(cte.Plan)
			if cte.Rec != nil {
				cte.Rec = Optimize(cte.Rec)
			}
		}
		if err != nil {
			pop()
			return nil, err
		}
		if len(c.ColNameList) > 0 {
			cols := cte.Plan.Columns()
			if len(c.ColNameList) > len(cols) {
				pop()
				return nil, pgerr.New(pgerr.InvalidColumnRef, "WITH query %q has %d columns available but %d columns specified", c.Name.O, len(cols), len(c.ColNameList))
			}
			p := &Project{In: cte.Plan}
			for i, col := range cols {
				p.Exprs = append(p.Exprs, &ColRef{Idx: i, T: col.T})
				if i < len(c.ColNameList) {
					col.Name = c.ColNameList[i].O
				}
				p.Cols = append(p.Cols, col)
			}
			cte.Plan = p
		}
		m[cte.Name] = cte
	}
	return pop, nil
}

func (b *Binder) bindRecursiveCTE(cte *CTE, c *ast.CommonTableExpression, parent *scope, m map[string]*CTE) error {
	var list *ast.SetOprSelectList
	switch q := c.Query.Query.(type) {
	case *ast.SetOprStmt:
		list = q.SelectList
	}
	if list == nil || len(list.Selects) != 2 {
		var err error
		cte.Plan, err = b.bindQuery(c.Query.Query, parent)
		if err == nil {
			cte.Plan = visibleOnly(cte.Plan)
		}
		return err
	}
	base, err := b.bindQuery(list.Selects[0], parent)
	if err != nil {
		return err
	}
	base = visibleOnly(base)
	cols := append([]Col{}, base.Columns()...)
	for i := range cols {
		if i < len(c.ColNameList) {
			cols[i].Name = c.ColNameList[i].O
		}
		cols[i].Table = cte.Name
	}
	cte.Plan = base
	var after *ast.SetOprType
	switch s := list.Selects[1].(type) {
	case *ast.SelectStmt:
		after = s.AfterSetOperator
	case *ast.SetOprSelectList:
		after = s.AfterSetOperator
	}
	cte.UnionAll = after != nil && *after == ast.UnionAll
	// The working table is visible under the CTE's name while binding the
	// recursive term.
	wm := map[string]*CTE{cte.Name: {Name: cte.Name, ID: -1, Plan: &WorkingRef{CTE: cte, Cols: cols}}}
	b.ctes = append(b.ctes, wm)
	rec, err := b.bindQuery(list.Selects[1], parent)
	b.ctes = b.ctes[:len(b.ctes)-1]
	if err != nil {
		return err
	}
	rec = visibleOnly(rec)
	if len(rec.Columns()) != len(cols) {
		return pgerr.New(pgerr.Syntax, "each UNION query must have the same number of columns")
	}
	p := &Project{In: rec}
	for i, rc := range rec.Columns() {
		e, err := b.coerce(&ColRef{Idx: i, T: rc.T}, cols[i].T)
		if err != nil {
			return err
		}
		p.Exprs = append(p.Exprs, e)
		p.Cols = append(p.Cols, cols[i])
	}
	cte.Rec = p
	named := &Project{In: base}
	for i, bc := range base.Columns() {
		named.Exprs = append(named.Exprs, &ColRef{Idx: i, T: bc.T})
		named.Cols = append(named.Cols, cols[i])
	}
	cte.Plan = named
	return nil
}

func (b *Binder) lookupCTE(name string) *CTE {
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if c, ok := b.ctes[i][name]; ok {
			return c
		}
	}
	return nil
}

func hasAggregate(nodes ...ast.Node) bool {
	v := &aggFinder{}
	for _, n := range nodes {
		if n != nil && !isNilNode(n) {
			n.Accept(v)
		}
	}
	return v.found
}

func isNilNode(n ast.Node) bool {
	switch x := n.(type) {
	case ast.ExprNode:
		return x == nil
	case *ast.OrderByClause:
		return x == nil
	}
	return false
}

type aggFinder struct {
	found  bool
	window bool
}

func (v *aggFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n := n.(type) {
	case *ast.SubqueryExpr:
		return n, true
	case *ast.AggregateFuncExpr:
		v.found = true
	case *ast.FuncCallExpr:
		if cls, ok := sem.FuncExists(n.FnName.L); ok && cls == sem.Aggregate {
			v.found = true
		}
	case *ast.WindowFuncExpr:
		v.window = true
	}
	return n, false
}

func (v *aggFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func hasWindow(nodes ...ast.Node) bool {
	v := &aggFinder{}
	for _, n := range nodes {
		if n != nil && !isNilNode(n) {
			n.Accept(v)
		}
	}
	return v.window
}

func fieldName(f *ast.SelectField, casts map[*ast.FuncCastExpr]parser.PGType) string {
	if f.AsName.O != "" {
		return f.AsName.O
	}
	return exprName(f.Expr, casts)
}

// exprName is PostgreSQL's FigureColname: casts takes the type names of
// the statement's casts.
func exprName(e ast.ExprNode, casts map[*ast.FuncCastExpr]parser.PGType) string {
	switch e := e.(type) {
	case *ast.ColumnNameExpr:
		return e.Name.Name.O
	case *ast.FuncCallExpr:
		if e.FnName.O == "concat" {
			return "?column?" // a || b
		}
		if e.FnName.L == parser.FuncIntervalQualify {
			return "interval"
		}
		return e.FnName.L
	case *ast.AggregateFuncExpr:
		return aggName(e.F)
	case *ast.WindowFuncExpr:
		return aggName(e.Name)
	case *ast.FuncCastExpr:
		// a cast keeps a strong name (a column's, a function's) and
		// otherwise takes the type's
		if inner := exprName(e.Expr, casts); inner != "?column?" && inner != "case" && !weakCastName(e.Expr, casts) {
			return inner
		}
		if t, ok := casts[e]; ok && t.Name != "" {
			if strings.HasPrefix(t.Name, "interval ") {
				return "interval" // INTERVAL fields names no column
			}
			return t.Name
		}
		return "?column?"
	case *ast.ParenthesesExpr:
		return exprName(e.Expr, casts)
	case *ast.RowExpr:
		return "row"
	case *ast.CaseExpr:
		return "case"
	case *ast.ExistsSubqueryExpr:
		return "exists"
	case *parser.ArrayExpr:
		return "array"
	case *parser.FieldSelectExpr:
		// (x).a: the field's name
		return e.Field
	case *parser.SubscriptExpr:
		// a[1], a[1:2]: the array's name
		return exprName(e.Expr, casts)
	case *ast.SubqueryExpr:
		// (SELECT max(x) ...): the subquery's only column's name
		if sel, ok := e.Query.(*ast.SelectStmt); ok && sel.Fields != nil && len(sel.Fields.Fields) == 1 && sel.Fields.Fields[0].Expr != nil {
			return fieldName(sel.Fields.Fields[0], casts)
		}
	}
	return "?column?"
}

// weakCastName reports whether e is a cast named after its type (a weak
// name, as FigureColname's strength 1): a cast around it takes its own
// type's name ('t'::regclass::text is text).
func weakCastName(e ast.ExprNode, casts map[*ast.FuncCastExpr]parser.PGType) bool {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	c, ok := e.(*ast.FuncCastExpr)
	if !ok {
		return false
	}
	inner := exprName(c.Expr, casts)
	return inner == "?column?" || inner == "case" || weakCastName(c.Expr, casts)
}

// aggName is the column name of an aggregate or window call named f in the
// tree: stddev( and variance( reach it spelled as parser.SpelledStddev
// and SpelledVariance (the sample aggregates they are).
func aggName(f string) string {
	switch f {
	case parser.SpelledStddev:
		return "stddev"
	case parser.SpelledVariance:
		return "variance"
	}
	return strings.ToLower(f)
}

// selItem is one select-list entry after * expansion.
// srfRef is a nested set-returning call's column in the FROM scope sc.
type srfRef struct {
	sc  *scope
	col int
}

// isGenerator reports whether fc calls a set-returning function.
func isGenerator(fc *ast.FuncCallExpr) bool {
	cls, ok := sem.FuncExists(fc.FnName.L)
	return ok && cls == sem.Generator
}

// nestedGenerators finds the set-returning calls inside e (not e itself,
// nor inside subqueries, aggregates or another such call's arguments).
func nestedGenerators(e ast.ExprNode) []*ast.FuncCallExpr {
	v := &genFinder{top: e}
	e.Accept(v)
	return v.found
}

type genFinder struct {
	top   ast.Node
	found []*ast.FuncCallExpr
}

func (v *genFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.AggregateFuncExpr, *ast.WindowFuncExpr:
		return n, true
	case *ast.FuncCallExpr:
		if n != v.top && isGenerator(x) {
			v.found = append(v.found, x)
			return n, true
		}
	}
	return n, false
}

func (v *genFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

type selItem struct {
	ast  ast.ExprNode // nil for an expanded *
	col  int          // FROM column of an expanded *
	name string
}

func (b *Binder) expandSelect(fields []*ast.SelectField, from *scope) ([]selItem, error) {
	var items []selItem
	for _, f := range fields {
		if f.WildCard != nil {
			table, schema := f.WildCard.Table.O, f.WildCard.Schema.O
			n := 0
			first := -1
			for i, c := range from.cols {
				if (c.Hidden && !(c.UsingRight && table != "")) || (table != "" && c.Table != table) || (schema != "" && c.Schema != schema) {
					continue
				}
				if first < 0 {
					first = i
				} else if table != "" && schema == "" && c.Schema != from.cols[first].Schema {
					return nil, pgerr.New(pgerr.AmbiguousTableRef, "table reference %q is ambiguous", table)
				}
				items = append(items, selItem{col: i, name: c.Name})
				n++
			}
			if table != "" && n == 0 && !from.hasTable(table) {
				return nil, pgerr.New(pgerr.UndefinedTable, "missing FROM-clause entry for table %q", table)
			}
			if table == "" && len(from.cols) == 0 {
				return nil, pgerr.New(pgerr.Syntax, "SELECT * with no tables specified is not valid")
			}
			continue
		}
		items = append(items, selItem{ast: f.Expr, name: fieldName(f, b.Stmt.CastTypes)})
	}
	return items, nil
}

func (b *Binder) bindSelect(sel *ast.SelectStmt, parent *scope) (Node, error) {
	for try := 0; ; try++ {
		saved := b.saveState()
		gen := b.aggOwnerGen[sel]
		n, err := b.bindSelectOnce(sel, parent)
		var r *aggRetry
		if try < 32 && (errors.As(err, &r) && r.sel == sel || err == nil && b.aggOwnerGen[sel] != gen) {
			// an aggregate in a subquery is sel's (bind_outeragg.go)
			b.restoreState(saved)
			continue
		}
		return n, err
	}
}

func (b *Binder) bindSelectOnce(sel *ast.SelectStmt, parent *scope) (Node, error) {
	if sel.GroupBy != nil {
		if sets := b.Stmt.GroupingSets[sel.GroupBy]; len(sets) > 0 {
			return b.bindGroupingSets(sel, sets, parent)
		}
	}
	pop, err := b.pushCTEs(sel.With, parent)
	if err != nil {
		return nil, err
	}
	defer pop()
	savedGrouping := b.grouping
	defer func() { b.grouping = savedGrouping }()
	b.grouping = nil
	if sel.GroupBy != nil {
		b.grouping = &groupingCtx{items: sel.GroupBy.Items, nulled: b.groupNull[sel]}
	}
	if sel.Kind == ast.SelectStmtKindValues {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "VALUES form not supported here")
	}
	outerDefs := b.windowDefs
	defer func() { b.windowDefs = outerDefs }()
	b.windowDefs = nil
	if len(sel.WindowSpecs) > 0 {
		b.windowDefs = make(map[string]*ast.WindowSpec, len(sel.WindowSpecs))
		for i := range sel.WindowSpecs {
			d := &sel.WindowSpecs[i]
			if _, dup := b.windowDefs[d.Name.L]; dup {
				return nil, pgerr.New(pgerr.WindowingError, "window %q is already defined", d.Name.O)
			}
			b.windowDefs[d.Name.L] = d
		}
	}
	var cur Node
	from := &scope{parent: parent, sel: sel}
	if sel.From != nil {
		if cur, from.cols, err = b.bindFrom(sel.From.TableRefs, parent); err != nil {
			return nil, err
		}
	} else {
		cur = &Values{Rows: [][]Expr{{}}}
	}
	if sel.Where != nil {
		from.noAgg = "WHERE"
		if hasWindow(sel.Where) {
			return nil, pgerr.New(pgerr.Grouping, "window functions are not allowed in WHERE")
		}
		cond, err := b.bindBool(sel.Where, from, "WHERE")
		if err != nil {
			return nil, err
		}
		from.noAgg = ""
		cur = &Filter{In: cur, Cond: cond}
	}
	if sel.Fields == nil {
		return nil, pgerr.New(pgerr.Syntax, "empty select list")
	}
	items, err := b.expandSelect(sel.Fields.Fields, from)
	if err != nil {
		return nil, err
	}
	// Set-returning functions in the select list run as a lateral join
	// with the FROM rows; several of them zip (one Zip node).
	// One inside an expression ('x' || generate_series(1, 3)) runs there
	// too: the expression reads its value as a column (b.srfRefs).
	var gens []*Generate
	var genItems []int
	var nested []*ast.FuncCallExpr
	bindGen := func(fc *ast.FuncCallExpr, name string) error {
		child := &scope{parent: from}
		args := fc.Args
		if hasNamed(args) {
			pos, err := namedBuiltin(fc.FnName.L, fc)
			if err != nil {
				return err
			}
			args = pos.Args
		}
		es, ts, err := b.bindArgs(args, child)
		if err != nil {
			return err
		}
		ov, err := sem.ResolveFunc(fc.FnName.L, ts)
		if err != nil {
			return err
		}
		if len(ov.OutCols) > 0 {
			return pgerr.New(pgerr.FeatureNotSupported, "%s returns rows of several columns: call it in FROM (record values are not supported)", fc.FnName.L)
		}
		for j := range es {
			if j < len(ov.Args) {
				if es[j], err = b.coerce(es[j], ov.Args[j]); err != nil {
					return err
				}
			}
		}
		gens = append(gens, &Generate{Ov: ov, Args: es, Cols: []Col{{Name: name, T: ov.Return}}})
		return nil
	}
	for i, it := range items {
		fc, ok := it.ast.(*ast.FuncCallExpr)
		if !ok || !isGenerator(fc) {
			if it.ast != nil {
				nested = append(nested, nestedGenerators(it.ast)...)
			}
			continue
		}
		if err := bindGen(fc, it.name); err != nil {
			return nil, err
		}
		genItems = append(genItems, i)
	}
	for _, fc := range nested {
		if err := bindGen(fc, fc.FnName.L); err != nil {
			return nil, err
		}
	}
	if len(gens) > 0 {
		var gen Node = gens[0]
		if len(gens) > 1 {
			z := &Zip{Gens: gens}
			for _, g := range gens {
				z.Cols = append(z.Cols, g.Cols...)
			}
			gen = z
		}
		cur = &Apply{Kind: InnerJoin, L: cur, R: gen}
		for k, i := range genItems {
			from.cols = append(from.cols, Col{Name: items[i].name, T: gens[k].Cols[0].T, Hidden: true})
			items[i] = selItem{col: len(from.cols) - 1, name: items[i].name}
		}
		for k, fc := range nested {
			g := gens[len(genItems)+k]
			from.cols = append(from.cols, Col{Name: g.Cols[0].Name, T: g.Cols[0].T, Hidden: true})
			if b.srfRefs == nil {
				b.srfRefs = map[*ast.FuncCallExpr]srfRef{}
			}
			b.srfRefs[fc] = srfRef{sc: from, col: len(from.cols) - 1}
		}
	}
	var nodes []ast.Node
	for _, it := range items {
		if it.ast != nil {
			nodes = append(nodes, it.ast)
		}
	}
	var havingExpr ast.ExprNode
	if sel.Having != nil {
		havingExpr = sel.Having.Expr
	}
	var orderItems []*ast.ByItem
	if sel.OrderBy != nil {
		orderItems = sel.OrderBy.Items
		for _, o := range orderItems {
			nodes = append(nodes, o.Expr)
		}
	}
	if havingExpr != nil {
		nodes = append(nodes, havingExpr)
	}
	post := from
	grouped := sel.GroupBy != nil || havingExpr != nil || b.ownAggregates(sel, nodes...)
	if grouped {
		agg := &aggScope{in: from}
		if sel.GroupBy != nil {
			from.noAgg = "GROUP BY"
			nulled := b.groupNull[sel]
			for gi, g := range sel.GroupBy.Items {
				ge := g.Expr
				if pe, ok := ge.(*ast.PositionExpr); ok && pe.P == nil {
					ge = &valuedriver.Value{Kind: valuedriver.KindInt, Int: int64(pe.N)}
				}
				if v, ok := ge.(*valuedriver.Value); ok && v.Kind == valuedriver.KindInt {
					if v.Int < 1 || int(v.Int) > len(items) {
						return nil, pgerr.New(pgerr.InvalidColumnRef, "GROUP BY position %d is not in select list", v.Int)
					}
					it := items[v.Int-1]
					if it.ast == nil {
						agg.groupKeys = append(agg.groupKeys, "")
						agg.groups = append(agg.groups, &ColRef{Idx: it.col, T: from.cols[it.col].T})
						continue
					}
					ge = it.ast
				} else if cn, ok := ge.(*ast.ColumnNameExpr); ok && cn.Name.Table.O == "" {
					if i, _ := from.lookup("", cn.Name.Name.O); i < 0 {
						for _, it := range items {
							if it.ast != nil && it.name == cn.Name.Name.O {
								ge = it.ast
								break
							}
						}
					}
				}
				e, err := b.bindExpr(ge, from)
				if err != nil {
					return nil, err
				}
				agg.groupKeys = append(agg.groupKeys, b.exprKey(ge))
				if nulled[gi] {
					// not in this grouping set: NULL, grouping nothing
					if agg.nulled == nil {
						agg.nulled = map[int]Expr{}
					}
					agg.nulled[len(agg.groups)] = e
					e = &Const{D: types.Null, T: e.Type()}
				}
				agg.groups = append(agg.groups, e)
			}
			from.noAgg = ""
		}
		post = &scope{parent: parent, agg: agg, sel: sel}
		for i, g := range agg.groups {
			post.cols = append(post.cols, Col{Name: "?group?", T: g.Type(), Hidden: true})
			if cr, ok := g.(*ColRef); ok {
				post.cols[i] = from.cols[cr.Idx]
				post.cols[i].Hidden = true
			}
		}
	}
	// HAVING binds before the select list's aggregates are final, so
	// the Agg node is built after all post-aggregation expressions.
	var having Expr
	if havingExpr != nil {
		if having, err = b.bindBool(havingExpr, post, "HAVING"); err != nil {
			return nil, err
		}
	}
	win := hasWindow(nodes...)
	if win {
		post.win = &winScope{base: winBase}
	}
	// Select list.
	var exprs []Expr
	var cols []Col
	for _, it := range items {
		var e Expr
		col := Col{Name: it.name}
		if it.ast == nil {
			if post.agg != nil {
				fc := from.cols[it.col]
				e, err = b.bindExpr(&ast.ColumnNameExpr{Name: &ast.ColumnName{Table: ast.NewCIStr(fc.Table), Name: ast.NewCIStr(fc.Name)}}, post)
				if err != nil {
					return nil, err
				}
			} else {
				e = &ColRef{Idx: it.col, T: from.cols[it.col].T}
			}
			col.TableOID, col.Attr = from.cols[it.col].TableOID, from.cols[it.col].Attr
		} else {
			if e, err = b.bindExpr(it.ast, post); err != nil {
				return nil, err
			}
			if top := b.Stmt.AST; top != nil && top == ast.StmtNode(sel) && b.isRegClassCast(it.ast) {
				// the statement's output prints the name (BindQuery),
				// after ORDER BY, DISTINCT and GROUP BY used the OID;
				// a subquery's or a UNION branch's stay OIDs
				b.regclassOut = append(b.regclassOut, len(exprs))
			}
			if cn, ok := it.ast.(*ast.ColumnNameExpr); ok && post.agg == nil {
				if cr, ok := e.(*ColRef); ok {
					col.TableOID, col.Attr = from.cols[cr.Idx].TableOID, from.cols[cr.Idx].Attr
					if top := b.Stmt.AST; top != nil && top == ast.StmtNode(sel) && from.cols[cr.Idx].RegProc {
						b.regprocOut = append(b.regprocOut, len(exprs))
					}
				}
				_ = cn
			}
		}
		if isUnknown(e.Type()) {
			if e, err = b.coerce(e, types.String); err != nil {
				return nil, err
			}
			if c, ok := e.(*Const); ok {
				if b.unknownLits == nil {
					b.unknownLits = map[*Const]bool{}
				}
				b.unknownLits[c] = true
			}
		}
		col.T = e.Type()
		exprs = append(exprs, e)
		cols = append(cols, col)
	}
	nVisible := len(exprs)
	// DISTINCT ON expressions.
	var distinctOn []int
	if don := b.Stmt.DistinctOnOf[sel]; len(don) > 0 && sel.Distinct {
		for _, d := range don {
			idx, err := b.orderTarget(d, items, exprs, &cols, post, sel.Distinct && false)
			if err != nil {
				return nil, err
			}
			if idx >= len(exprs) {
				exprs = append(exprs, b.pendingOrder)
			}
			distinctOn = append(distinctOn, idx)
		}
	}
	// ORDER BY.
	var keys []SortKey
	don := b.Stmt.DistinctOnOf[sel]
	for _, o := range orderItems {
		idx := -1
		if len(distinctOn) > 0 {
			// an ORDER BY item spelled as a DISTINCT ON expression is it
			// (both may be outside the select list)
			key := b.exprKey(o.Expr)
			for j, d := range don {
				if b.exprKey(d) == key {
					idx = distinctOn[j]
				}
			}
		}
		if idx < 0 {
			var err error
			if idx, err = b.orderTarget(o.Expr, items, exprs, &cols, post, sel.Distinct && len(distinctOn) == 0); err != nil {
				return nil, err
			}
			if idx >= len(exprs) {
				exprs = append(exprs, b.pendingOrder)
			}
		}
		k := SortKey{Idx: idx, Desc: o.Desc, NullsFirst: o.Desc}
		if no, ok := b.Stmt.NullsOrder[o]; ok {
			k.NullsFirst = no == parser.NullsFirst
		}
		keys = append(keys, k)
	}
	// the leftmost ORDER BY items are the DISTINCT ON expressions (in any
	// order), as PostgreSQL demands
	for i := 0; i < len(keys) && i < len(distinctOn); i++ {
		if !slices.Contains(distinctOn, keys[i].Idx) {
			return nil, pgerr.New(pgerr.InvalidColumnRef, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
		}
	}
	// Build: [Agg] [Filter having] [Window] Project [Sort] [Distinct] [Limit] [trim].
	if grouped {
		ag := &Agg{In: cur, Groups: post.agg.groups, Aggs: post.agg.aggs}
		if nulled := b.groupNull[sel]; len(nulled) > 0 && len(nulled) == len(sel.GroupBy.Items) {
			ag.Total = true // the grouping set (): one row even for no input
		}
		for i, g := range post.agg.groups {
			ag.Cols = append(ag.Cols, Col{Name: post.cols[i].Name, T: g.Type()})
		}
		for _, a := range post.agg.aggs {
			ag.Cols = append(ag.Cols, Col{Name: a.Ov.Name, T: a.Ov.Return})
		}
		cur = ag
		if having != nil {
			cur = &Filter{In: cur, Cond: having}
		}
	}
	if post.win != nil && len(post.win.calls) > 0 {
		base := len(cur.Columns())
		remap := func(i int) int {
			if i >= winBase {
				return i - winBase + base
			}
			return i
		}
		for i := range exprs {
			exprs[i] = MapCols(exprs[i], remap)
		}
		w := &Window{In: cur, Calls: post.win.calls}
		w.Cols = append(w.Cols, cur.Columns()...)
		for _, c := range post.win.calls {
			w.Cols = append(w.Cols, Col{Name: c.Ov.Name, T: c.Ov.Return})
		}
		cur = w
	}
	cur = &Project{In: cur, Exprs: exprs, Cols: cols}
	if len(keys) > 0 {
		cur = &Sort{In: cur, Keys: keys}
	}
	if sel.Distinct {
		if len(distinctOn) > 0 {
			cur = &Distinct{In: cur, On: distinctOn}
		} else {
			on := make([]int, nVisible)
			for i := range on {
				on[i] = i
			}
			cur = &Distinct{In: cur, On: on}
		}
	}
	if cur, err = b.bindLimit(cur, sel.Limit); err != nil {
		return nil, err
	}
	if len(cols) > nVisible {
		p := &Project{In: cur}
		for i := 0; i < nVisible; i++ {
			p.Exprs = append(p.Exprs, &ColRef{Idx: i, T: cols[i].T})
			p.Cols = append(p.Cols, cols[i])
		}
		cur = p
	}
	return cur, nil
}

func (b *Binder) bindLimit(cur Node, l *ast.Limit) (Node, error) {
	if l == nil {
		return cur, nil
	}
	lim := &Limit{In: cur}
	empty := &scope{noAgg: "LIMIT"}
	var err error
	if l.Count != nil && !parser.IsNoLimit(l.Count) {
		if lim.Count, err = b.bindExpr(l.Count, empty); err != nil {
			return nil, err
		}
		if lim.Count, err = b.coerce(lim.Count, types.Int8); err != nil {
			return nil, err
		}
	}
	if l.Offset != nil {
		if lim.Offset, err = b.bindExpr(l.Offset, empty); err != nil {
			return nil, err
		}
		if lim.Offset, err = b.coerce(lim.Offset, types.Int8); err != nil {
			return nil, err
		}
	}
	return lim, nil
}

// orderConstant refuses an ORDER BY item that is a constant other than a
// positive integer, as PostgreSQL does: a bare string, decimal, boolean or
// NULL literal is "non-integer constant" (42601), a negated integer a
// position not in the select list (42P10). Typed literals (DATE '…') and
// casts are expressions and pass.
func orderConstant(e ast.ExprNode) error {
	e = unparen(e) // (PostgreSQL's parentheses make no node: -(13) is -13)
	if v, ok := e.(*valuedriver.Value); ok && v.Kind != valuedriver.KindInt {
		return pgerr.New(pgerr.Syntax, "non-integer constant in ORDER BY")
	}
	if u, ok := e.(*ast.UnaryOperationExpr); ok && u.Op == opcode.Minus {
		if v, ok := unparen(u.V).(*valuedriver.Value); ok {
			if v.Kind == valuedriver.KindInt {
				return pgerr.New(pgerr.InvalidColumnRef, "ORDER BY position %d is not in select list", -v.Int)
			}
			if v.Kind == valuedriver.KindDecimal || v.Kind == valuedriver.KindFloat {
				return pgerr.New(pgerr.Syntax, "non-integer constant in ORDER BY")
			}
		}
	}
	return nil
}

// orderTarget returns the projection index an ORDER BY (or DISTINCT ON)
// item sorts by, appending a hidden column (and setting b.pendingOrder)
// when it is not in the select list.
func (b *Binder) orderTarget(e ast.ExprNode, items []selItem, exprs []Expr, cols *[]Col, post *scope, distinct bool) (int, error) {
	nVis := len(items)
	if pe, ok := e.(*ast.PositionExpr); ok {
		if pe.P != nil {
			return 0, pgerr.New(pgerr.FeatureNotSupported, "parameter positions in ORDER BY are not supported")
		}
		if pe.N < 1 || pe.N > nVis {
			return 0, pgerr.New(pgerr.InvalidColumnRef, "ORDER BY position %d is not in select list", pe.N)
		}
		return pe.N - 1, nil
	}
	if v, ok := e.(*valuedriver.Value); ok && v.Kind == valuedriver.KindInt {
		if v.Int < 1 || int(v.Int) > nVis {
			return 0, pgerr.New(pgerr.InvalidColumnRef, "ORDER BY position %d is not in select list", v.Int)
		}
		return int(v.Int - 1), nil
	}
	if err := orderConstant(e); err != nil {
		return 0, err
	}
	if cn, ok := e.(*ast.ColumnNameExpr); ok && cn.Name.Table.O == "" {
		found := -1
		for i, it := range items {
			if it.name == cn.Name.Name.O {
				if found >= 0 && b.exprKey(items[found].astOr()) != b.exprKey(it.astOr()) {
					return 0, pgerr.New(pgerr.AmbiguousColumn, "ORDER BY %q is ambiguous", cn.Name.Name.O)
				}
				if found < 0 {
					found = i
				}
			}
		}
		if found >= 0 {
			return found, nil
		}
	}
	key := b.exprKey(e)
	for i, it := range items {
		if it.ast != nil && b.exprKey(it.ast) == key {
			return i, nil
		}
	}
	bound, err := b.bindExpr(e, post)
	if err != nil {
		return 0, err
	}
	if cr, ok := bound.(*ColRef); ok {
		for i, x := range exprs[:nVis] {
			if xc, ok := x.(*ColRef); ok && xc.Idx == cr.Idx {
				return i, nil
			}
		}
	}
	if distinct {
		return 0, pgerr.New(pgerr.InvalidColumnRef, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
	}
	if isUnknown(bound.Type()) {
		if bound, err = b.coerce(bound, types.String); err != nil {
			return 0, err
		}
	}
	*cols = append(*cols, Col{Name: "?order?", T: bound.Type(), Hidden: true})
	b.pendingOrder = bound
	return len(*cols) - 1, nil
}

func (it selItem) astOr() ast.Node {
	if it.ast != nil {
		return it.ast
	}
	return &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(it.name)}}
}

// bindGroupingSets binds SELECT ... GROUP BY ROLLUP/CUBE/GROUPING SETS as
// the UNION ALL of one grouped SELECT per set, in which the GROUP BY items
// outside the set are NULL; ORDER BY and LIMIT apply to the union.
func (b *Binder) bindGroupingSets(sel *ast.SelectStmt, sets [][]int, parent *scope) (Node, error) {
	list := &ast.SetOprSelectList{}
	if b.groupNull == nil {
		b.groupNull = map[*ast.SelectStmt]map[int]bool{}
	}
	nulls := make([]map[int]bool, len(sets))
	orderBy, extra, err := b.orderByPositions(sel)
	if err != nil {
		return nil, err
	}
	for k, set := range sets {
		in := map[int]bool{}
		for _, i := range set {
			in[i] = true
		}
		nulls[k] = map[int]bool{}
		for i := range sel.GroupBy.Items {
			if !in[i] {
				nulls[k][i] = true
			}
		}
		c := *sel
		c.With, c.OrderBy, c.Limit = nil, nil, nil
		c.GroupBy = &ast.GroupByClause{Items: sel.GroupBy.Items, Rollup: sel.GroupBy.Rollup}
		if k > 0 {
			op := ast.UnionAll
			c.AfterSetOperator = &op
		} else {
			c.AfterSetOperator = nil
		}
		if len(extra) > 0 {
			c.Fields = &ast.FieldList{Fields: append(append([]*ast.SelectField{}, sel.Fields.Fields...), extra...)}
		}
		if k > 0 && sel.Distinct && len(b.Stmt.DistinctOnOf[sel]) == 0 {
			// SELECT DISTINCT: no duplicates across the sets either
			op := ast.Union
			c.AfterSetOperator = &op
		}
		list.Selects = append(list.Selects, &c)
		b.groupNull[&c] = nulls[k]
	}
	n, err := b.bindSetOp(sel.With, list, orderBy, sel.Limit, parent)
	if err != nil || len(extra) == 0 {
		return n, err
	}
	// drop the ORDER BY columns again
	cols := n.Columns()
	vis := len(cols) - len(extra)
	p := &Project{In: n, Cols: cols[:vis:vis]}
	for i := 0; i < vis; i++ {
		p.Exprs = append(p.Exprs, &ColRef{Idx: i, T: cols[i].T})
	}
	return p, nil
}

// orderByPositions returns sel's ORDER BY for the union of its grouping
// sets, which is ordered by its columns: an item that is a select list
// expression (an aggregate, say) becomes its position; another expression
// becomes an extra column of every set (returned in extra, to be dropped
// after the sort), except under DISTINCT (42P10, as PostgreSQL).
func (b *Binder) orderByPositions(sel *ast.SelectStmt) (*ast.OrderByClause, []*ast.SelectField, error) {
	if sel.OrderBy == nil || sel.Fields == nil {
		return sel.OrderBy, nil, nil
	}
	out := &ast.OrderByClause{}
	var extra []*ast.SelectField
	for _, o := range sel.OrderBy.Items {
		item := o
		pos := -1
		keep := false // positions, constants and output column names as they are
		switch e := o.Expr.(type) {
		case *ast.PositionExpr, *valuedriver.Value:
			keep = true
		case *ast.ColumnNameExpr:
			if e.Name.Table.O == "" {
				for _, f := range sel.Fields.Fields {
					keep = keep || f.AsName.O == e.Name.Name.O
				}
			}
		}
		if !keep {
			key := exprKey(o.Expr)
			for i, f := range sel.Fields.Fields {
				if f.Expr != nil && exprKey(f.Expr) == key {
					pos = i
					break
				}
			}
			if pos < 0 {
				if sel.Distinct {
					return nil, nil, pgerr.New(pgerr.InvalidColumnRef, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
				}
				pos = len(sel.Fields.Fields) + len(extra)
				extra = append(extra, &ast.SelectField{Expr: o.Expr})
			}
			item = &ast.ByItem{Expr: &ast.PositionExpr{N: pos + 1}, Desc: o.Desc}
			if no, ok := b.Stmt.NullsOrder[o]; ok {
				if b.extraNulls == nil {
					b.extraNulls = map[*ast.ByItem]parser.NullsOrder{}
				}
				b.extraNulls[item] = no
			}
		}
		out.Items = append(out.Items, item)
	}
	return out, extra, nil
}

// groupingCtx is a SELECT's GROUP BY items and those outside the grouping
// set being bound.
type groupingCtx struct {
	items  []*ast.ByItem
	nulled map[int]bool
}

// groupingCall is GROUPING(args): bit i (from the right, for the last
// argument) is set when that argument is not grouped in this set.
func (b *Binder) groupingCall(args []ast.ExprNode) (Expr, error) {
	g := b.grouping
	if g == nil {
		return nil, pgerr.New(pgerr.Grouping, "arguments to GROUPING must be grouping expressions of the associated query level")
	}
	if len(args) == 0 || len(args) > 31 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function grouping with %d arguments does not exist", len(args))
	}
	mask := int64(0)
	for _, a := range args {
		key := b.exprKey(a)
		idx := -1
		for i, it := range g.items {
			if b.exprKey(it.Expr) == key {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, pgerr.New(pgerr.Grouping, "arguments to GROUPING must be grouping expressions of the associated query level")
		}
		mask <<= 1
		if g.nulled[idx] {
			mask |= 1
		}
	}
	return &Const{D: types.DInt(mask), T: types.Int4}, nil
}

// bindDataCTEs binds the statement's data-modifying WITH queries
// (parser's DataCTEs) into WriteCTEs and makes their RETURNING rows
// visible by name to the rest of the statement. They run before the
// statement in its transaction, so the statement would see their writes
// (PostgreSQL's do not see each other's): a table written by one of them
// and named anywhere else in the statement is refused.
// bindDMLCTEs binds the WITH queries of an INSERT, UPDATE or DELETE
// statement: its WITH list (parser.Statement.DMLWith, pushed for the
// whole statement) and its data-modifying ones.
func (b *Binder) bindDMLCTEs() error {
	if !b.withBound && b.Stmt != nil && b.Stmt.DMLWith != nil {
		b.withBound = true
		if sel, ok := b.Stmt.DMLWith.AST.(*ast.SelectStmt); ok && sel.With != nil {
			outer := b.Stmt
			b.Stmt = outer.DMLWith
			_, err := b.pushCTEs(sel.With, nil) // popped with the binder
			b.Stmt = outer
			if err != nil {
				return err
			}
		}
	}
	return b.bindDataCTEs()
}

func (b *Binder) bindDataCTEs() error {
	if b.dataBound || b.Stmt == nil || len(b.Stmt.DataCTEs) == 0 {
		return nil
	}
	b.dataBound = true
	outer := b.Stmt
	defer func() { b.Stmt = outer }()
	m := map[string]*CTE{}
	b.ctes = append(b.ctes, m)
	// the statement's other WITH queries, bound once more here for the
	// data-modifying ones to read (WITH s AS (SELECT ...), i AS (INSERT
	// ... SELECT ... FROM s) ...); left out when they read a
	// data-modifying one themselves
	var with *ast.WithClause
	switch x := outer.AST.(type) {
	case *ast.SelectStmt:
		with = x.With
	case *ast.SetOprStmt:
		with = x.With
	case *ast.UpdateStmt:
		with = x.With
	case *ast.DeleteStmt:
		with = x.With
	}
	if with != nil && !with.IsRecursive {
		_, _ = b.pushCTEs(with, nil) // on error nothing is pushed
	}
	// reads[j]: the tables unit j (a data-modifying query, the statement
	// last) reads, not counting an INSERT's target; targets[j]: the
	// table it writes ("" for the statement when it does not)
	units := len(outer.DataCTEs) + 1
	reads, targets := make([]map[string]bool, units), make([]string, units)
	for j := 0; j < units; j++ {
		n := outer.AST
		if j < len(outer.DataCTEs) {
			n = outer.DataCTEs[j].Stmt.AST
		}
		reads[j], targets[j] = tableReads(n)
	}
	for i, dc := range outer.DataCTEs {
		b.Stmt = dc.Stmt
		var node Node
		var d *catalog.Descriptor
		insert := false
		switch n := dc.Stmt.AST.(type) {
		case *ast.InsertStmt:
			x, err := b.BindInsert(n)
			if err != nil {
				return err
			}
			node, d, insert = x, x.Table, true
		case *ast.UpdateStmt:
			x, err := b.BindUpdate(n)
			if err != nil {
				return err
			}
			node, d = x, x.Table
		case *ast.DeleteStmt:
			x, err := b.BindDelete(n)
			if err != nil {
				return err
			}
			node, d = x, x.Table
		default:
			return pgerr.New(pgerr.FeatureNotSupported, "WITH query %q is not supported", dc.Name)
		}
		t := strings.ToLower(d.Name)
		for j := 0; j < units; j++ {
			if j != i && (reads[j][t] || !insert && targets[j] == t) {
				return pgerr.New(pgerr.FeatureNotSupported, "a data-modifying WITH query on table %q, which the rest of the statement also uses, is not supported", d.Name)
			}
		}
		cte := &CTE{Name: dc.Name, Plan: node, ID: b.nextCTE}
		b.nextCTE++
		if len(dc.Cols) > 0 {
			cols := node.Columns()
			if len(dc.Cols) > len(cols) {
				return pgerr.New(pgerr.InvalidColumnRef, "WITH query %q has %d columns available but %d columns specified", dc.Name, len(cols), len(dc.Cols))
			}
			p := &Project{In: node}
			for k, col := range cols {
				p.Exprs = append(p.Exprs, &ColRef{Idx: k, T: col.T})
				if k < len(dc.Cols) {
					col.Name = dc.Cols[k]
				}
				p.Cols = append(p.Cols, col)
			}
			cte.Plan = p
		}
		b.WriteCTEs = append(b.WriteCTEs, cte)
		if len(node.Columns()) > 0 {
			m[dc.Name] = cte
		}
	}
	return nil
}

// tableReads are the lower-case names of the tables n names except an
// INSERT's target, and the table n writes ("" if none). An UPDATE's or
// DELETE's target counts as read (their rows are read first).
func tableReads(n ast.Node) (map[string]bool, string) {
	v := &tableNameVisitor{names: map[string]bool{}}
	target := ""
	switch x := n.(type) {
	case *ast.InsertStmt:
		if x.Table != nil {
			if tn, ok := x.Table.TableRefs.Left.(*ast.TableSource); ok {
				if name, ok := tn.Source.(*ast.TableName); ok {
					target = name.Name.L
				}
			}
		}
		if x.Select != nil {
			x.Select.Accept(v)
		}
		for _, row := range x.Lists {
			for _, e := range row {
				e.Accept(v)
			}
		}
		return v.names, target
	case *ast.UpdateStmt, *ast.DeleteStmt:
		n.Accept(v)
		if x, ok := n.(*ast.UpdateStmt); ok {
			target = dmlTarget(x.TableRefs)
		} else if x, ok := n.(*ast.DeleteStmt); ok {
			target = dmlTarget(x.TableRefs)
			if x.IsMultiTable && x.Tables != nil && len(x.Tables.Tables) > 0 {
				target = x.Tables.Tables[0].Name.L
			}
		}
		return v.names, target
	}
	if n != nil {
		n.Accept(v)
	}
	return v.names, ""
}

// dmlTarget is the name of the first table of an UPDATE's or DELETE's
// table references.
func dmlTarget(refs *ast.TableRefsClause) string {
	if refs == nil || refs.TableRefs == nil {
		return ""
	}
	var left ast.ResultSetNode = refs.TableRefs
	for {
		switch x := left.(type) {
		case *ast.Join:
			left = x.Left
			continue
		case *ast.TableSource:
			if name, ok := x.Source.(*ast.TableName); ok {
				return name.Name.L
			}
		}
		return ""
	}
}

type tableNameVisitor struct{ names map[string]bool }

func (v *tableNameVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if t, ok := n.(*ast.TableName); ok {
		v.names[t.Name.L] = true
	}
	return n, false
}

func (v *tableNameVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }
