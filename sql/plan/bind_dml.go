package plan

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

func (b *Binder) dmlTable(refs *ast.TableRefsClause) (*catalog.Descriptor, string, error) {
	if refs == nil || refs.TableRefs == nil || refs.TableRefs.Right != nil {
		return nil, "", pgerr.New(pgerr.FeatureNotSupported, "only single-table INSERT/UPDATE/DELETE are supported")
	}
	ts, ok := refs.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil, "", pgerr.New(pgerr.FeatureNotSupported, "unsupported target")
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil, "", pgerr.New(pgerr.FeatureNotSupported, "unsupported target")
	}
	d, err := b.ResolveTable(tn.Schema.O, tn.Name.O)
	if err != nil {
		return nil, "", err
	}
	if d == nil {
		return nil, "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", tn.Name.O)
	}
	if d.Kind != catalog.KindTable {
		return nil, "", pgerr.New(pgerr.WrongObjectType, "cannot change %s %q", d.Kind, d.Name)
	}
	if d.MatView {
		return nil, "", pgerr.New(pgerr.WrongObjectType, "cannot change materialized view %q", d.Name)
	}
	alias := ts.AsName.O
	if alias == "" {
		alias = d.Name
	}
	return d, alias, nil
}

func tableCols(d *catalog.Descriptor, alias string) []Col {
	cols := make([]Col, len(d.Columns))
	for i, c := range d.Columns {
		cols[i] = Col{Name: c.Name, T: c.Type, Table: alias, Hidden: c.Hidden, TableOID: uint32(d.ID), Attr: int16(i + 1)}
	}
	return cols
}

// DefaultExpr binds a column's DEFAULT (nil for NULL).
func (b *Binder) DefaultExpr(c *catalog.Column) (Expr, error) {
	if c.Default == "" {
		return nil, nil
	}
	st, err := parser.ParseOne("SELECT " + c.Default)
	if err != nil {
		return nil, err
	}
	sel, ok := st.AST.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		return nil, pgerr.New(pgerr.Internal, "bad default for column %q", c.Name)
	}
	saved := b.Stmt
	b.Stmt = &st
	e, err := b.bindExpr(sel.Fields.Fields[0].Expr, &scope{noAgg: "DEFAULT expressions"})
	b.Stmt = saved
	if err != nil {
		return nil, err
	}
	return b.coerce(e, c.Type)
}

func (b *Binder) bindReturning(fields []*ast.SelectField, sc *scope) ([]Expr, []Col, error) {
	if fields == nil {
		return nil, nil, nil
	}
	items, err := b.expandSelect(fields, sc)
	if err != nil {
		return nil, nil, err
	}
	var exprs []Expr
	var cols []Col
	for _, it := range items {
		var e Expr
		col := Col{Name: it.name}
		if it.ast == nil {
			e = &ColRef{Idx: it.col, T: sc.cols[it.col].T}
		} else if e, err = b.bindExpr(it.ast, sc); err != nil {
			return nil, nil, err
		}
		if isUnknown(e.Type()) {
			if e, err = b.coerce(e, types.String); err != nil {
				return nil, nil, err
			}
		}
		col.T = e.Type()
		exprs = append(exprs, e)
		cols = append(cols, col)
	}
	if cols == nil {
		cols = []Col{}
	}
	return exprs, cols, nil
}

// BindInsert binds INSERT.
func (b *Binder) BindInsert(n *ast.InsertStmt) (*Insert, error) {
	if err := b.bindDMLCTEs(); err != nil {
		return nil, err
	}
	d, alias, err := b.dmlTable(n.Table)
	if err != nil {
		return nil, err
	}
	ins := &Insert{Table: d, Codec: catalog.NewRowCodec(d)}
	if len(n.Columns) > 0 {
		seen := map[int]bool{}
		for _, c := range n.Columns {
			if err := unqualifiedTarget(c, d); err != nil {
				return nil, err
			}
			i, col := d.ColumnByName(c.Name.O)
			if col == nil {
				return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", c.Name.O, d.Name)
			}
			if seen[i] {
				return nil, pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", c.Name.O)
			}
			seen[i] = true
			ins.Targets = append(ins.Targets, i)
		}
	} else {
		for i, c := range d.Columns {
			if !c.Hidden {
				ins.Targets = append(ins.Targets, i)
			}
		}
	}
	ins.Defaults = make([]Expr, len(d.Columns))
	for i := range d.Columns {
		if ins.Defaults[i], err = b.DefaultExpr(&d.Columns[i]); err != nil {
			return nil, err
		}
	}
	empty := &scope{noAgg: "VALUES"}
	switch {
	case n.Select != nil:
		// VALUES lists arrive as a UNION ALL of SELECTs; bind each row
		// directly against the target types when that is their shape.
		if rows, ok := valuesRows(n.Select); ok {
			v, err := b.bindValuesRows(rows, ins, d, empty)
			if err != nil {
				return nil, err
			}
			ins.Input = v
			break
		}
		q, err := b.bindQuery(n.Select, nil)
		if err != nil {
			return nil, err
		}
		q = visibleOnly(q)
		qc := q.Columns()
		for k, t := range ins.Targets {
			if k < len(qc) && (d.Columns[t].IdentityAlways && b.Stmt.Overriding != "system" || d.Columns[t].Generated != "") {
				return nil, pgerr.New(pgerr.GeneratedAlways, "cannot insert a non-DEFAULT value into column %q", d.Columns[t].Name)
			}
		}
		if len(qc) > len(ins.Targets) {
			return nil, pgerr.New(pgerr.Syntax, "INSERT has more expressions than target columns")
		}
		ins.Targets = ins.Targets[:len(qc)]
		p := &Project{In: q}
		for i, c := range qc {
			// A literal of unknown type in the query's select list (NULL,
			// '5') takes the target column's type, as in PostgreSQL.
			if lit, ok := b.literalColumn(q, i); ok {
				v, err := b.assignCast(&Const{D: lit.D, T: sem.Unknown}, d.Columns[ins.Targets[i]].Type)
				if err != nil {
					return nil, err
				}
				pr := q.(*Project)
				pr.Exprs[i] = v
				pr.Cols[i].T = v.Type()
				c.T = v.Type()
			}
			e, err := b.assignCast(&ColRef{Idx: i, T: c.T}, d.Columns[ins.Targets[i]].Type)
			if err != nil {
				return nil, err
			}
			p.Exprs = append(p.Exprs, e)
			p.Cols = append(p.Cols, Col{Name: c.Name, T: e.Type()})
		}
		ins.Input = p
	case len(n.Lists) > 0:
		v, err := b.bindValuesRows(n.Lists, ins, d, empty)
		if err != nil {
			return nil, err
		}
		ins.Input = v
	default:
		// DEFAULT VALUES
		ins.Targets = nil
		ins.Input = &Values{Rows: [][]Expr{{}}}
	}
	if len(n.Columns) > 0 && len(ins.Targets) < len(n.Columns) {
		return nil, pgerr.New(pgerr.Syntax, "INSERT has more target columns than expressions")
	}
	sc := &scope{cols: tableCols(d, alias)}
	if i, _ := d.ColumnByName("xmax"); i < 0 {
		// the system column xmax: 0 for a row the statement inserted, the
		// transaction's ID for one ON CONFLICT DO UPDATE changed (the
		// upsert idiom RETURNING (xmax = 0) AS inserted)
		sc.cols = append(sc.cols, Col{Name: "xmax", T: types.Int8, Table: alias, Hidden: true})
	}
	if ins.Returning, ins.RetCols, err = b.bindReturning(b.Stmt.Returning, sc); err != nil {
		return nil, err
	}
	for _, e := range ins.Returning {
		Walk(e, func(x Expr) bool {
			if c, ok := x.(*ColRef); ok && c.Idx == len(d.Columns) {
				ins.ReturnsXmax = true
			}
			return !ins.ReturnsXmax
		})
	}
	if oc := b.Stmt.OnConflict; oc != nil {
		ins.OnConflict = &OnConflict{DoNothing: oc.DoNothing}
		if len(oc.Columns) > 0 {
			if ins.OnConflict.Index, err = b.inferArbiter(d, alias, oc.Columns, oc.IndexWhere); err != nil {
				return nil, err
			}
			if ins.OnConflict.Index == nil {
				return nil, pgerr.New(pgerr.InvalidColumnRef, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
			}
		} else if oc.Constraint != "" {
			for _, ix := range d.PublicIndexes() {
				if ix.Name == oc.Constraint {
					ins.OnConflict.Index = ix
				}
			}
			if ins.OnConflict.Index == nil {
				return nil, pgerr.New(pgerr.UndefinedObject, "constraint %q for table %q does not exist", oc.Constraint, d.Name)
			}
		} else if !oc.DoNothing {
			return nil, pgerr.New(pgerr.Syntax, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
		}
		if !oc.DoNothing {
			cols := append(tableCols(d, alias), tableCols(d, "excluded")...)
			usc := &scope{cols: cols, noAgg: "ON CONFLICT"}
			ins.OnConflict.Set = map[int]Expr{}
			for _, a := range oc.Set {
				if err := unqualifiedTarget(a.Column, d); err != nil {
					return nil, err
				}
				i, col := d.ColumnByName(a.Column.Name.O)
				if col == nil {
					return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", a.Column.Name.O, d.Name)
				}
				e, err := b.bindSetValue(a.Expr, usc, d, i, false)
				if err != nil {
					return nil, err
				}
				ins.OnConflict.Set[i] = e
			}
			if oc.Where != nil {
				if ins.OnConflict.Where, err = b.bindBool(oc.Where, usc, "WHERE"); err != nil {
					return nil, err
				}
			}
		}
	}
	if ins.FKOut, err = b.fkOut(d); err != nil {
		return nil, err
	}
	return ins, nil
}

func (b *Binder) bindSetValue(e ast.ExprNode, sc *scope, d *catalog.Descriptor, ord int, insert bool) (Expr, error) {
	_, isDefault := e.(*ast.DefaultExpr)
	if insert && b.Stmt.Overriding == "user" && d.Columns[ord].Identity {
		isDefault = true
		e = &ast.DefaultExpr{}
	}
	if !isDefault && (d.Columns[ord].IdentityAlways && !(insert && b.Stmt.Overriding == "system") || d.Columns[ord].Generated != "") {
		if insert {
			return nil, pgerr.New(pgerr.GeneratedAlways, "cannot insert a non-DEFAULT value into column %q", d.Columns[ord].Name)
		}
		return nil, pgerr.New(pgerr.GeneratedAlways, "column %q can only be updated to DEFAULT", d.Columns[ord].Name)
	}
	if isDefault {
		de, err := b.DefaultExpr(&d.Columns[ord])
		if err != nil {
			return nil, err
		}
		if de == nil {
			return &Const{D: types.Null, T: d.Columns[ord].Type}, nil
		}
		return de, nil
	}
	x, err := b.bindExpr(e, sc)
	if err != nil {
		return nil, err
	}
	return b.assignCast(x, d.Columns[ord].Type)
}

// inferArbiter finds the unique index ON CONFLICT (names) [WHERE pred]
// names (nil if none): a total unique index on exactly those columns, or
// else a partial one whose predicate pred implies.
func (b *Binder) inferArbiter(d *catalog.Descriptor, alias string, names []string, pred ast.ExprNode) (*catalog.Index, error) {
	if ix := uniqueOn(d, d.PublicIndexes(), names); ix != nil {
		return ix, nil
	}
	if pred == nil {
		return nil, nil
	}
	var cands []*catalog.Index
	partials := b.bindPartialIndexes(d)
	for _, p := range partials {
		cands = append(cands, p.Index)
	}
	ix := uniqueOn(d, cands, names)
	if ix == nil {
		return nil, nil
	}
	w, err := b.bindBool(pred, &scope{cols: tableCols(d, alias), noAgg: "index predicates"}, "WHERE")
	if err != nil {
		return nil, err
	}
	conj := Conjuncts(Simplify(w), nil)
	for _, p := range partials {
		if uniqueOn(d, []*catalog.Index{p.Index}, names) != nil && p.impliedBy(conj) {
			return p.Index, nil
		}
	}
	return nil, nil
}

// uniqueOn is the first unique index of ixs (the primary counts) whose
// columns are exactly names, in any order.
func uniqueOn(d *catalog.Descriptor, ixs []*catalog.Index, names []string) *catalog.Index {
	for _, ix := range ixs {
		if ix != d.Primary && !ix.Unique {
			continue
		}
		if len(ix.ColumnIDs) != len(names) {
			continue
		}
		match := true
		for _, n := range names {
			_, c := d.ColumnByName(n)
			found := false
			for _, id := range ix.ColumnIDs {
				if c != nil && id == c.ID {
					found = true
				}
			}
			match = match && found
		}
		if match {
			return ix
		}
	}
	return nil
}

// assignCast converts to a column's type with assignment-cast rules.
func (b *Binder) assignCast(e Expr, t *types.T) (Expr, error) {
	from := e.Type()
	if isUnknown(from) || from.Equal(t) {
		return b.coerce(e, t)
	}
	if from.Family == t.Family {
		return &Cast{E: e, From: from, To: t}, nil
	}
	if !canAssign(from, t) {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "column is of type %s but expression is of type %s", t.SQLName(), from.SQLName())
	}
	return &Cast{E: e, From: from, To: t}, nil
}

func canAssign(from, to *types.T) bool {
	num := func(t *types.T) bool {
		return t.Family == types.IntFamily || t.Family == types.FloatFamily || t.Family == types.DecimalFamily
	}
	if num(from) && num(to) {
		return true
	}
	if to.Family == types.StringFamily {
		return true
	}
	switch {
	case from.Family == types.DateFamily && (to.Family == types.TimestampFamily || to.Family == types.TimestampTZFamily):
		return true
	case (from.Family == types.TimestampFamily || from.Family == types.TimestampTZFamily) && (to.Family == types.TimestampFamily || to.Family == types.TimestampTZFamily || to.Family == types.DateFamily || to.Family == types.TimeFamily):
		return true
	case from.Family == types.JSONBFamily && to.Family == types.JSONFamily, from.Family == types.JSONFamily && to.Family == types.JSONBFamily:
		return true
	}
	return false
}

func valuesRows(n ast.ResultSetNode) ([][]ast.ExprNode, bool) {
	var sels []ast.Node
	switch q := n.(type) {
	case *ast.SetOprStmt:
		if q.OrderBy != nil || q.Limit != nil || q.With != nil {
			return nil, false
		}
		sels = q.SelectList.Selects
	case *ast.SelectStmt:
		sels = []ast.Node{q}
	default:
		return nil, false
	}
	var rows [][]ast.ExprNode
	for i, s := range sels {
		sel, ok := s.(*ast.SelectStmt)
		if !ok || sel.From != nil || sel.Where != nil || sel.GroupBy != nil || sel.Having != nil || sel.OrderBy != nil ||
			sel.Limit != nil || sel.Distinct || sel.With != nil || sel.Fields == nil {
			return nil, false
		}
		if i > 0 && (sel.AfterSetOperator == nil || *sel.AfterSetOperator != ast.UnionAll) {
			return nil, false
		}
		var row []ast.ExprNode
		for _, f := range sel.Fields.Fields {
			if f.WildCard != nil {
				return nil, false
			}
			row = append(row, f.Expr)
		}
		rows = append(rows, row)
	}
	// A plain SELECT of expressions is not VALUES unless the parser
	// produced column names column1.. (it does for VALUES); either way
	// binding each row against the targets is what INSERT ... SELECT of
	// constants means too.
	return rows, true
}

func (b *Binder) bindValuesRows(rows [][]ast.ExprNode, ins *Insert, d *catalog.Descriptor, sc *scope) (Node, error) {
	v := &Values{}
	width := -1
	for _, r := range rows {
		if width >= 0 && len(r) != width {
			return nil, pgerr.New(pgerr.Syntax, "VALUES lists must all be the same length")
		}
		width = len(r)
		if len(r) > len(ins.Targets) {
			return nil, pgerr.New(pgerr.Syntax, "INSERT has more expressions than target columns")
		}
		var row []Expr
		for i, x := range r {
			e, err := b.bindSetValue(x, sc, d, ins.Targets[i], true)
			if err != nil {
				return nil, err
			}
			row = append(row, e)
		}
		v.Rows = append(v.Rows, row)
	}
	if width >= 0 && width < len(ins.Targets) {
		ins.Targets = ins.Targets[:width]
	}
	for _, t := range ins.Targets {
		v.Cols = append(v.Cols, Col{Name: d.Columns[t].Name, T: d.Columns[t].Type})
	}
	return v, nil
}

// BindUpdate binds UPDATE.
func (b *Binder) BindUpdate(n *ast.UpdateStmt) (*Update, error) {
	if err := b.bindDMLCTEs(); err != nil {
		return nil, err
	}
	d, alias, err := b.dmlTable(n.TableRefs)
	if err != nil {
		return nil, err
	}
	up := &Update{Table: d, Codec: catalog.NewRowCodec(d), Set: map[int]Expr{}}
	cols := tableCols(d, alias)
	b.noteIndexExprsOf(d, alias)
	scan := &Scan{Table: d, Codec: up.Codec, Cols: cols, Locking: true, Partial: b.bindPartialIndexes(d)}
	var in Node = scan
	if b.Stmt.DMLFrom != nil {
		// UPDATE ... FROM list: the target joined with the list; the
		// executor updates each target row once, with its first match.
		f, fcols, err := b.bindFrom(b.Stmt.DMLFrom, nil)
		if err != nil {
			return nil, err
		}
		if name := sharedTable(cols, fcols); name != "" {
			return nil, pgerr.New(pgerr.AmbiguousAlias, "table name %q specified more than once", name)
		}
		in = &Join{Kind: InnerJoin, L: in, R: f}
		cols = append(cols, fcols...)
	}
	sc := &scope{cols: cols}
	if n.Where != nil {
		sc.noAgg = "WHERE"
		cond, err := b.bindBool(n.Where, sc, "WHERE")
		if err != nil {
			return nil, err
		}
		in = &Filter{In: in, Cond: cond}
	}
	sc.noAgg = "UPDATE"
	for _, a := range n.List {
		if err := unqualifiedTarget(a.Column, d); err != nil {
			return nil, err
		}
		i, col := d.ColumnByName(a.Column.Name.O)
		if col == nil {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", a.Column.Name.O, d.Name)
		}
		if _, dup := up.Set[i]; dup {
			return nil, pgerr.New(pgerr.Syntax, "multiple assignments to same column %q", col.Name)
		}
		e, err := b.bindSetValue(a.Expr, sc, d, i, false)
		if err != nil {
			return nil, err
		}
		up.Set[i] = e
	}
	up.Input = Optimize(in)
	if up.Returning, up.RetCols, err = b.bindReturning(b.Stmt.Returning, &scope{cols: cols}); err != nil {
		return nil, err
	}
	if up.FKOut, err = b.fkOut(d); err != nil {
		return nil, err
	}
	if up.FKIn, err = b.fkIn(d, nil); err != nil {
		return nil, err
	}
	return up, nil
}

// BindDelete binds DELETE.
func (b *Binder) BindDelete(n *ast.DeleteStmt) (*Delete, error) {
	if err := b.bindDMLCTEs(); err != nil {
		return nil, err
	}
	refs := n.TableRefs
	var using *ast.Join
	if n.IsMultiTable && n.Tables != nil && len(n.Tables.Tables) == 1 {
		// DELETE FROM t USING others: the target is Tables, the USING
		// list is TableRefs.
		using = refs.TableRefs
		tn := n.Tables.Tables[0]
		refs = &ast.TableRefsClause{TableRefs: &ast.Join{Left: &ast.TableSource{Source: &ast.TableName{Schema: tn.Schema, Name: tn.Name}}}}
	} else if n.IsMultiTable {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "multi-table DELETE is not supported")
	}
	d, alias, err := b.dmlTable(refs)
	if err != nil {
		return nil, err
	}
	del := &Delete{Table: d, Codec: catalog.NewRowCodec(d)}
	cols := tableCols(d, alias)
	b.noteIndexExprsOf(d, alias)
	var in Node = &Scan{Table: d, Codec: del.Codec, Cols: cols, Locking: true, Partial: b.bindPartialIndexes(d)}
	if using == nil {
		using = b.Stmt.DMLFrom
	}
	if using != nil {
		u, ucols, err := b.bindFrom(using, nil)
		if err != nil {
			return nil, err
		}
		if name := sharedTable(cols, ucols); name != "" {
			return nil, pgerr.New(pgerr.AmbiguousAlias, "table name %q specified more than once", name)
		}
		in = &Join{Kind: InnerJoin, L: in, R: u}
		cols = append(cols, ucols...)
	}
	sc := &scope{cols: cols, noAgg: "WHERE"}
	if n.Where != nil {
		cond, err := b.bindBool(n.Where, sc, "WHERE")
		if err != nil {
			return nil, err
		}
		in = &Filter{In: in, Cond: cond}
	}
	del.Input = Optimize(in)
	if del.Returning, del.RetCols, err = b.bindReturning(b.Stmt.Returning, &scope{cols: cols}); err != nil {
		return nil, err
	}
	if del.FKIn, err = b.fkIn(d, nil); err != nil {
		return nil, err
	}
	return del, nil
}

// BindScalar binds an expression over a row with the given columns.
func (b *Binder) BindScalar(e ast.ExprNode, cols []Col) (Expr, error) {
	return b.bindExpr(e, &scope{cols: cols, noAgg: "this expression"})
}

// unqualifiedTarget refuses a qualified target column of INSERT or UPDATE
// SET (t.b = ...): PostgreSQL reads the first name as a column whose field
// is assigned, and the table or its alias is no column.
func unqualifiedTarget(c *ast.ColumnName, d *catalog.Descriptor) error {
	first := c.Schema.O
	if first == "" {
		first = c.Table.O
	}
	if first == "" {
		return nil
	}
	if _, col := d.ColumnByName(first); col != nil {
		if col.Type.Family == types.RecordFamily {
			return pgerr.New(pgerr.FeatureNotSupported, "assigning to field %q of composite column %q is not supported", c.Name.O, first)
		}
		return pgerr.New(pgerr.DatatypeMismatch, "cannot assign to field %q of column %q because its type %s is not a composite type", c.Name.O, first, col.Type.String())
	}
	return pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", first, d.Name)
}
