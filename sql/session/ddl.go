package session

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

// ddl runs schema changes inside the statement's transaction.
type ddl struct {
	ctx  context.Context
	b    *plan.Binder
	coll *catalog.Collection
	env  *exec.Env
	st   *parser.Statement
	sess *Session // for temporary tables (nil in internal uses)
	stc  *stmtCtx // the statement's context, likewise
	// notices collected for the client.
	notices []conn.Notice
	// online: the statement runs in an implicit transaction, so CREATE
	// INDEX and DROP INDEX commit the first state change only and leave
	// the rest to a schemaJob run after the commit (schemachange.go).
	// In a transaction block they change the index in the block's
	// transaction (backfill included), which is transactional but blocks
	// concurrent writers of the table for the backfill.
	online bool
	jobs   []schemaJob
}

// newTableDesc starts the descriptor of the table n creates: its schema,
// name and a new ID. skip: it exists and IF NOT EXISTS was given.
func (d *ddl) newTableDesc(n *ast.CreateTableStmt) (desc *catalog.Descriptor, skip bool, err error) {
	schema, err := d.createSchemaOf(n.Table)
	if err != nil {
		return nil, false, err
	}
	name := n.Table.Name.O
	if skip, err := d.newRelationName(schema, name, n.IfNotExists); err != nil || skip {
		return nil, skip, err
	}
	id, err := d.coll.NewID(d.ctx)
	if err != nil {
		return nil, false, err
	}
	d.noteOnCommit(id)
	return &catalog.Descriptor{ID: id, Kind: catalog.KindTable, Name: name, ParentID: d.b.DB, SchemaID: schema, NextIndexID: 2}, false, nil
}

// newRelationName checks that name is free in schema for a new table. When
// it is taken and ifNotExists is set, it adds PostgreSQL's notice and
// returns skip; when it is taken otherwise, the error is 42P07.
func (d *ddl) newRelationName(schema catalog.ID, name string, ifNotExists bool) (skip bool, err error) {
	old, err := d.coll.LookupID(d.ctx, d.b.DB, schema, name)
	if err != nil || old == 0 {
		return false, err
	}
	if ifNotExists {
		d.notices = append(d.notices, noticeCode("NOTICE", pgerr.DuplicateTable, fmt.Sprintf("relation %q already exists, skipping", name)))
		return true, nil
	}
	return false, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", name)
}

func (d *ddl) schemaOf(tn *ast.TableName) (catalog.ID, error) {
	if tn.Schema.O == "" || tn.Schema.O == "public" && d.b.SearchPath == nil {
		return d.b.Schema, nil
	}
	id, err := d.coll.LookupID(d.ctx, d.b.DB, 0, tn.Schema.O)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		return 0, pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", tn.Schema.O)
	}
	return id, nil
}

// seqDefault is the DEFAULT of a column owning sequence seqName of
// schema: nextval of it, qualified outside the statement's default
// schema (a table in another schema finds its sequence whatever the
// search path).
func (d *ddl) seqDefault(schema catalog.ID, seqName string) string {
	if schema != d.b.Schema {
		if sn := d.schemaName(schema); sn != "" {
			return fmt.Sprintf("nextval('%s.%s')", sn, seqName)
		}
	}
	return fmt.Sprintf("nextval('%s')", seqName)
}

// restoreExpr gives the PostgreSQL text of a DEFAULT or CHECK
// expression: the original text the dialect front end carried in a
// pgdialect.DDLExprPrefix literal, else e rendered as SQL text our parser
// reads back (names in double quotes).
func restoreExpr(e ast.ExprNode) (string, error) {
	if v, ok := e.(ast.ValueExpr); ok {
		if s, ok := v.GetValue().(string); ok && strings.HasPrefix(s, pgdialect.DDLExprPrefix) {
			return s[len(pgdialect.DDLExprPrefix):], nil
		}
	}
	var sb strings.Builder
	flags := format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase | format.RestoreNameDoubleQuotes
	if err := e.Restore(format.NewRestoreCtx(flags, &sb)); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// firstColumn finds the first column an expression names.
type firstColumn struct{ name string }

func (f *firstColumn) Enter(n ast.Node) (ast.Node, bool) {
	if cn, ok := n.(*ast.ColumnNameExpr); ok && f.name == "" {
		f.name = cn.Name.Name.O
	}
	return n, f.name != ""
}

func (f *firstColumn) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// addCheck adds a CHECK constraint to desc, named as PostgreSQL names it
// (<table>_<column>_check, numbered when taken) unless given a name.
func (d *ddl) addCheck(desc *catalog.Descriptor, name, col string, e ast.ExprNode) error {
	txt, err := restoreExpr(e)
	if err != nil {
		return err
	}
	if col == "" { // a table constraint is named after its first column
		if st, err := parser.ParseOne("SELECT " + txt); err == nil {
			if sel, ok := st.AST.(*ast.SelectStmt); ok && sel.Fields != nil && len(sel.Fields.Fields) == 1 {
				var fc firstColumn
				sel.Fields.Fields[0].Expr.Accept(&fc)
				col = fc.name
			}
		}
	}
	taken := func(n string) bool {
		for _, c := range desc.Checks {
			if c.Name == n {
				return true
			}
		}
		return false
	}
	if name == "" {
		base := desc.Name + "_check"
		if col != "" {
			base = desc.Name + "_" + col + "_check"
		}
		name = base
		for i := 1; taken(name); i++ {
			name = fmt.Sprintf("%s%d", base, i)
		}
	} else if taken(name) {
		return pgerr.New(pgerr.DuplicateObject, "constraint %q for relation %q already exists", name, desc.Name)
	}
	desc.Checks = append(desc.Checks, catalog.Check{Name: name, Expr: txt})
	return nil
}

func (d *ddl) createTable(n *ast.CreateTableStmt) (string, error) {
	if n.ReferTable != nil {
		return d.createTableLike(n)
	}
	if n.Select != nil {
		return d.createTableAs(n)
	}
	desc, skip, err := d.newTableDesc(n)
	if err != nil {
		return "", err
	}
	if skip {
		return "CREATE TABLE", nil
	}
	schema, name, id := desc.SchemaID, desc.Name, desc.ID
	var pk []string
	var pkDesc []bool
	type uniq struct {
		cols []string
		desc []bool
		name string
	}
	var uniques []uniq
	var fks []pendingFK
	colFK := 0
	for _, cd := range n.Cols {
		pt, ok := d.st.ColumnTypes[cd]
		if !ok {
			return "", pgerr.New(pgerr.Internal, "column %q has no type", cd.Name.Name.O)
		}
		t, dom, err := d.b.ResolveTypeDomain(pt)
		if err != nil {
			return "", err
		}
		desc.NextColumnID++
		col := catalog.Column{ID: desc.NextColumnID, Name: cd.Name.Name.O, Type: t, Nullable: true}
		if _, dup := desc.ColumnByName(col.Name); dup != nil {
			return "", pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", col.Name)
		}
		serial := types.IsSerial(pt)
		if kind, ok := d.st.Identity[cd]; ok {
			serial = true
			col.IdentityAlways = kind == "always"
			col.Identity = true
		}
		for _, o := range cd.Options {
			switch o.Tp {
			case ast.ColumnOptionNotNull:
				col.Nullable = false
			case ast.ColumnOptionNull:
				col.Nullable = true
			case ast.ColumnOptionPrimaryKey:
				if pk != nil {
					return "", pgerr.New(pgerr.InvalidTableDef, "multiple primary keys for table %q are not allowed", name)
				}
				pk = []string{col.Name}
				pkDesc = []bool{false}
			case ast.ColumnOptionUniqKey:
				uniques = append(uniques, uniq{cols: []string{col.Name}})
			case ast.ColumnOptionDefaultValue:
				txt, err := restoreExpr(o.Expr)
				if err != nil {
					return "", err
				}
				col.Default = txt
			case ast.ColumnOptionAutoIncrement:
				serial = true
			case ast.ColumnOptionGenerated:
				if !o.Stored {
					return "", pgerr.New(pgerr.Syntax, "syntax error: a generated column must be STORED")
				}
				txt, err := restoreExpr(o.Expr)
				if err != nil {
					return "", err
				}
				col.Generated = txt
			case ast.ColumnOptionCheck:
				if err := d.addCheck(desc, "", col.Name, o.Expr); err != nil {
					return "", err
				}
			case ast.ColumnOptionReference:
				name := o.ConstraintName
				if colFK < len(d.st.ColumnFKNames) {
					if name == "" {
						name = d.st.ColumnFKNames[colFK]
					}
					colFK++
				}
				fks = append(fks, pendingFK{name: name, cols: []string{col.Name}, ref: o.Refer})
			}
		}
		if serial {
			seqName := fmt.Sprintf("%s_%s_seq", name, col.Name)
			sid, err := d.createSequenceDesc(schema, seqName, catalog.SequenceOpts{Start: 1, Increment: 1, Min: 1, Max: serialMax(t)})
			if err != nil {
				return "", err
			}
			col.Default = d.seqDefault(schema, seqName)
			col.OwnedSeq = sid
			col.Nullable = false
		}
		if dom != nil {
			if err := applyDomain(desc, &col, dom); err != nil {
				return "", err
			}
		}
		desc.Columns = append(desc.Columns, col)
	}
	for _, c := range n.Constraints {
		var cols []string
		var dirs []bool
		for _, k := range c.Keys {
			if k.Column == nil {
				return "", pgerr.New(pgerr.FeatureNotSupported, "expression indexes are not supported")
			}
			cols = append(cols, k.Column.Name.O)
			dirs = append(dirs, k.Desc)
		}
		switch c.Tp {
		case ast.ConstraintPrimaryKey:
			if pk != nil {
				return "", pgerr.New(pgerr.InvalidTableDef, "multiple primary keys for table %q are not allowed", name)
			}
			pk, pkDesc = cols, dirs
		case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
			uniques = append(uniques, uniq{cols: cols, desc: dirs, name: c.Name})
		case ast.ConstraintIndex, ast.ConstraintKey:
			return "", pgerr.New(pgerr.Syntax, "syntax error: INDEX in CREATE TABLE")
		case ast.ConstraintCheck:
			if err := d.addCheck(desc, c.Name, "", c.Expr); err != nil {
				return "", err
			}
		case ast.ConstraintForeignKey:
			fks = append(fks, pendingFK{name: c.Name, cols: cols, ref: c.Refer})
		}
	}
	resolve := func(names []string) ([]catalog.ColumnID, error) {
		var ids []catalog.ColumnID
		for _, nm := range names {
			_, c := desc.ColumnByName(nm)
			if c == nil {
				return nil, pgerr.New(pgerr.UndefinedColumn, "column %q named in key does not exist", nm)
			}
			ids = append(ids, c.ID)
		}
		return ids, nil
	}
	if pk == nil {
		desc.NextColumnID++
		desc.Columns = append(desc.Columns, catalog.Column{ID: desc.NextColumnID, Name: "rowid", Type: types.Int8, Hidden: true})
		pk = []string{"rowid"}
		pkDesc = []bool{false}
	}
	ids, err := resolve(pk)
	if err != nil {
		return "", err
	}
	for _, cid := range ids {
		desc.Columns[desc.ColumnOrdinal(cid)].Nullable = false
	}
	desc.Primary = &catalog.Index{ID: 1, Name: name + "_pkey", Unique: true, ColumnIDs: ids, Desc: pkDesc}
	for _, u := range uniques {
		ids, err := resolve(u.cols)
		if err != nil {
			return "", err
		}
		nm := u.name
		if nm == "" {
			nm = name + "_" + strings.Join(u.cols, "_") + "_key"
		}
		desc.Indexes = append(desc.Indexes, catalog.Index{ID: desc.NextIndexID, Name: nm, Unique: true, ColumnIDs: ids, Desc: u.desc})
		desc.NextIndexID++
	}
	if _, err := plan.BindChecksIn(d.b, desc, d.b.Eval); err != nil { // names and types are checked now
		return "", err
	}
	if _, err := plan.BindGenerated(desc, d.b.Eval); err != nil {
		return "", err
	}
	for _, fk := range fks {
		if _, err := d.addForeignKey(desc, fk); err != nil {
			return "", err
		}
	}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return "", err
	}
	if err := d.coll.SetName(d.ctx, d.b.DB, schema, name, id); err != nil {
		return "", err
	}
	return "CREATE TABLE", nil
}

// createTableLike is CREATE TABLE t (LIKE s [{INCLUDING|EXCLUDING}
// option ...]) as PostgreSQL defines it: the columns' names, types and NOT
// NULL always; DEFAULTS copies the default expressions (a serial column's
// nextval of the source's sequence), IDENTITY the identity columns (with a
// sequence of their own), CONSTRAINTS the CHECK constraints, INDEXES the
// primary key, unique and plain indexes (named for the new table); ALL is
// every option. Without INDEXES the table gets the hidden rowid key.
func (d *ddl) createTableLike(n *ast.CreateTableStmt) (string, error) {
	src, err := d.b.ResolveTable(n.ReferTable.Schema.O, n.ReferTable.Name.O)
	if err != nil {
		return "", err
	}
	if src == nil {
		return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.ReferTable.Name.O)
	}
	if src.Kind != catalog.KindTable {
		return "", pgerr.New(pgerr.WrongObjectType, "%q is not a table, view, or composite type", src.Name)
	}
	opt := map[string]bool{}
	for _, o := range d.st.LikeOptions {
		on := strings.HasPrefix(o, "including ")
		w := strings.TrimPrefix(strings.TrimPrefix(o, "including "), "excluding ")
		switch w {
		case "all":
			for _, k := range []string{"defaults", "constraints", "indexes", "identity", "generated", "comments", "compression", "statistics", "storage"} {
				opt[k] = on
			}
		case "defaults", "constraints", "indexes", "identity", "generated", "comments", "compression", "statistics", "storage":
			opt[w] = on
		default:
			return "", pgerr.New(pgerr.Syntax, "syntax error at or near %q", w)
		}
	}
	desc, skip, err := d.newTableDesc(n)
	if err != nil {
		return "", err
	}
	if skip {
		return "CREATE TABLE", nil
	}
	schema, name, id := desc.SchemaID, desc.Name, desc.ID
	idMap := map[catalog.ColumnID]catalog.ColumnID{}
	for _, sc := range src.Columns {
		if sc.Hidden {
			continue
		}
		desc.NextColumnID++
		col := catalog.Column{ID: desc.NextColumnID, Name: sc.Name, Type: sc.Type, Nullable: sc.Nullable}
		idMap[sc.ID] = col.ID
		if sc.Identity && opt["identity"] {
			seqName := fmt.Sprintf("%s_%s_seq", name, col.Name)
			sid, err := d.createSequenceDesc(schema, seqName, catalog.SequenceOpts{Start: 1, Increment: 1, Min: 1, Max: serialMax(col.Type)})
			if err != nil {
				return "", err
			}
			col.Default = d.seqDefault(schema, seqName)
			col.OwnedSeq, col.Identity, col.IdentityAlways = sid, true, sc.IdentityAlways
		} else if !sc.Identity && opt["defaults"] {
			col.Default = sc.Default
		}
		desc.Columns = append(desc.Columns, col)
	}
	mapIDs := func(ids []catalog.ColumnID) ([]catalog.ColumnID, bool) {
		out := make([]catalog.ColumnID, len(ids))
		for i, c := range ids {
			m, ok := idMap[c]
			if !ok {
				return nil, false
			}
			out[i] = m
		}
		return out, true
	}
	colNames := func(ids []catalog.ColumnID) string {
		var ns []string
		for _, c := range ids {
			ns = append(ns, desc.Columns[desc.ColumnOrdinal(c)].Name)
		}
		return strings.Join(ns, "_")
	}
	used := map[string]bool{}
	indexName := func(base string) string {
		nm := base
		for i := 1; used[nm]; i++ {
			nm = fmt.Sprintf("%s%d", base, i)
		}
		used[nm] = true
		return nm
	}
	if src.Primary != nil && opt["indexes"] {
		if ids, ok := mapIDs(src.Primary.ColumnIDs); ok {
			desc.Primary = &catalog.Index{ID: 1, Name: indexName(name + "_pkey"), Unique: true, ColumnIDs: ids, Desc: append([]bool(nil), src.Primary.Desc...)}
		}
	}
	if desc.Primary == nil {
		desc.NextColumnID++
		desc.Columns = append(desc.Columns, catalog.Column{ID: desc.NextColumnID, Name: "rowid", Type: types.Int8, Hidden: true})
		desc.Primary = &catalog.Index{ID: 1, Name: indexName(name + "_pkey"), Unique: true, ColumnIDs: []catalog.ColumnID{desc.NextColumnID}, Desc: []bool{false}}
	}
	if opt["indexes"] {
		for _, ix := range src.Indexes {
			if ix.State != catalog.IndexPublic {
				continue
			}
			ids, ok := mapIDs(ix.ColumnIDs)
			if !ok {
				continue
			}
			suffix := "_idx"
			if ix.Unique {
				suffix = "_key"
			}
			desc.Indexes = append(desc.Indexes, catalog.Index{ID: desc.NextIndexID, Name: indexName(name + "_" + colNames(ids) + suffix),
				Unique: ix.Unique, IndexOnly: ix.IndexOnly, ColumnIDs: ids, Desc: append([]bool(nil), ix.Desc...)})
			desc.NextIndexID++
		}
	}
	if opt["constraints"] {
		desc.Checks = append(desc.Checks, src.Checks...)
	}
	if _, err := plan.BindChecksIn(d.b, desc, d.b.Eval); err != nil {
		return "", err
	}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return "", err
	}
	if err := d.coll.SetName(d.ctx, d.b.DB, schema, name, id); err != nil {
		return "", err
	}
	return "CREATE TABLE", nil
}

func (d *ddl) createSequenceDesc(schema catalog.ID, name string, opts catalog.SequenceOpts) (catalog.ID, error) {
	if old, err := d.coll.LookupID(d.ctx, d.b.DB, schema, name); err != nil {
		return 0, err
	} else if old != 0 {
		return 0, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", name)
	}
	id, err := d.coll.NewID(d.ctx)
	if err != nil {
		return 0, err
	}
	desc := &catalog.Descriptor{ID: id, Kind: catalog.KindSequence, Name: name, ParentID: d.b.DB, SchemaID: schema, Seq: &opts}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return 0, err
	}
	return id, d.coll.SetName(d.ctx, d.b.DB, schema, name, id)
}

func (d *ddl) createSequence(n *ast.CreateSequenceStmt) (string, error) {
	schema, err := d.schemaOf(n.Name)
	if err != nil {
		return "", err
	}
	opts := catalog.SequenceOpts{Start: 1, Increment: 1, Min: 1, Max: 1<<63 - 1}
	startSet := false
	for _, o := range n.SeqOptions {
		switch o.Tp {
		case ast.SequenceOptionIncrementBy:
			opts.Increment = o.IntValue
		case ast.SequenceStartWith:
			opts.Start, startSet = o.IntValue, true
		case ast.SequenceMinValue:
			opts.Min = o.IntValue
		case ast.SequenceMaxValue:
			opts.Max = o.IntValue
		}
	}
	if opts.Increment == 0 {
		return "", pgerr.New(pgerr.InvalidParameter, "INCREMENT must not be zero")
	}
	if opts.Increment < 0 {
		if opts.Max == 1<<63-1 {
			opts.Max = -1
		}
		if opts.Min == 1 {
			opts.Min = -1 << 63
		}
		if !startSet {
			opts.Start = opts.Max
		}
	} else if !startSet {
		opts.Start = opts.Min
	}
	if _, err := d.createSequenceDesc(schema, n.Name.Name.O, opts); err != nil {
		if pgerr.Code(err) == pgerr.DuplicateTable && n.IfNotExists {
			return "CREATE SEQUENCE", nil
		}
		return "", err
	}
	return "CREATE SEQUENCE", nil
}

func (d *ddl) createIndex(n *ast.CreateIndexStmt) (string, error) {
	t, err := d.b.ResolveTable(n.Table.Schema.O, n.Table.Name.O)
	if err != nil {
		return "", err
	}
	if t == nil {
		return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Table.Name.O)
	}
	if t.Kind != catalog.KindTable {
		return "", pgerr.New(pgerr.WrongObjectType, "%q is not a table", t.Name)
	}
	desc := catalog.Mutable(t)
	name := n.IndexName
	if name == "" {
		name = t.Name + "_idx"
	}
	if taken, err := d.indexNameTaken(desc.SchemaID, name); err != nil {
		return "", err
	} else if taken {
		if n.IfNotExists {
			return "CREATE INDEX", nil
		}
		if d.st.Index != nil && d.st.Index.GeneratedName {
			for i := 1; ; i++ {
				cand := fmt.Sprintf("%s%d", name, i)
				if taken, err := d.indexNameTaken(desc.SchemaID, cand); err != nil {
					return "", err
				} else if !taken {
					name = cand
					break
				}
			}
		} else {
			return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", name)
		}
	}
	ix := catalog.Index{ID: desc.NextIndexID, Name: name, Unique: n.KeyType == ast.IndexKeyTypeUnique}
	ix.IndexOnly = ix.Unique
	before := catalog.Mutable(desc) // without the index's hidden columns
	var exprTexts []string
	whereText := ""
	if d.st.Index != nil {
		exprTexts, whereText = d.st.Index.Exprs, d.st.Index.Where
	}
	for i, p := range n.IndexPartSpecifications {
		if p.Column == nil {
			text := ""
			if i < len(exprTexts) {
				text = exprTexts[i]
			}
			id, err := d.addIndexColumn(desc, ix.ID, text, p.Expr, false)
			if err != nil {
				return "", err
			}
			ix.ColumnIDs = append(ix.ColumnIDs, id)
			ix.Desc = append(ix.Desc, p.Desc)
			continue
		}
		_, c := desc.ColumnByName(p.Column.Name.O)
		if c == nil {
			return "", pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", p.Column.Name.O)
		}
		ix.ColumnIDs = append(ix.ColumnIDs, c.ID)
		ix.Desc = append(ix.Desc, p.Desc)
	}
	if n.IndexOption != nil && n.IndexOption.Condition != nil {
		id, err := d.addIndexColumn(desc, ix.ID, whereText, n.IndexOption.Condition, true)
		if err != nil {
			return "", err
		}
		ix.Where = id
		ix.Predicate = desc.Columns[desc.ColumnOrdinal(id)].Generated
	}
	if err := d.fillIndexColumns(before, desc); err != nil {
		return "", err
	}
	if err := d.addIndex(desc, ix); err != nil {
		return "", err
	}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return "", err
	}
	return "CREATE INDEX", nil
}

// addIndex adds a new secondary index to desc: online, in the delete-only
// state with a job to take it to public; else public, backfilled in this
// transaction.
func (d *ddl) addIndex(desc *catalog.Descriptor, ix catalog.Index) error {
	desc.NextIndexID++
	if d.online {
		ix.State = catalog.IndexDeleteOnly
		desc.Indexes = append(desc.Indexes, ix)
		d.jobs = append(d.jobs, schemaJob{table: desc.ID, index: ix.ID, name: ix.Name})
		return nil
	}
	desc.Indexes = append(desc.Indexes, ix)
	return d.backfill(desc, &desc.Indexes[len(desc.Indexes)-1])
}

func (d *ddl) indexNameTaken(schema catalog.ID, name string) (bool, error) {
	id, err := d.coll.LookupID(d.ctx, d.b.DB, schema, name)
	if err != nil || id != 0 {
		return id != 0, err
	}
	names, err := d.coll.ListNames(d.ctx, d.b.DB, schema)
	if err != nil {
		return false, err
	}
	for _, tid := range names {
		t, err := d.coll.Get(d.ctx, tid)
		if err != nil {
			return false, err
		}
		if t != nil && t.Kind == catalog.KindTable {
			if t.IndexByName(name) >= 0 || t.Primary.Name == name {
				return true, nil
			}
		}
	}
	return false, nil
}

func (d *ddl) scanAll(desc *catalog.Descriptor, f func(row exec.Row) error) error {
	rc := catalog.NewRowCodec(desc)
	s := &plan.Scan{Table: desc, Codec: rc}
	for i, c := range desc.Columns {
		s.Cols = append(s.Cols, plan.Col{Name: c.Name, T: c.Type})
		_ = i
	}
	rows, err := exec.Collect(d.env, s)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := f(r); err != nil {
			return err
		}
	}
	return nil
}

func (d *ddl) backfill(desc *catalog.Descriptor, ix *catalog.Index) error {
	old := catalog.Mutable(desc)
	old.Indexes = old.Indexes[:len(old.Indexes)-1]
	rc := catalog.NewRowCodec(desc)
	seen := map[string]bool{}
	return d.scanAll(old, func(row exec.Row) error {
		key, plen, hasNull, err := rc.IndexKey(ix, row)
		if err != nil || key == nil {
			return err
		}
		if ix.Unique && !hasNull {
			if seen[string(key[:plen])] {
				return pgerr.New(pgerr.UniqueViolation, "could not create unique index %q", ix.Name)
			}
			seen[string(key[:plen])] = true
		}
		return d.env.Txn.Put(d.ctx, key, catalog.IndexValue())
	})
}

func (d *ddl) dropTable(n *ast.DropTableStmt) (string, error) {
	tag := "DROP TABLE"
	want := catalog.KindTable
	if n.IsView {
		tag, want = "DROP VIEW", catalog.KindView
	}
	for _, tn := range n.Tables {
		t, err := d.b.ResolveTable(tn.Schema.O, tn.Name.O)
		if err != nil {
			return "", err
		}
		if t == nil {
			if n.IfExists {
				d.notices = append(d.notices, notice(fmt.Sprintf("%s %q does not exist, skipping", strings.ToLower(string(want)), tn.Name.O)))
				continue
			}
			if want == catalog.KindView {
				return "", pgerr.New(pgerr.UndefinedTable, "view %q does not exist", tn.Name.O)
			}
			return "", pgerr.New(pgerr.UndefinedTable, "table %q does not exist", tn.Name.O)
		}
		if t.Kind != want || t.MatView {
			return "", pgerr.New(pgerr.WrongObjectType, "%q is not a %s", t.Name, want)
		}
		if r, ok := referencedByOthers(t); ok {
			dropped := false
			for _, o := range n.Tables {
				if ot, err := d.b.ResolveTable(o.Schema.O, o.Name.O); err == nil && ot != nil && ot.ID == r.Table {
					dropped = true
				}
			}
			if !dropped {
				return "", pgerr.New(pgerr.DependentObjects, "cannot drop table %s because other objects depend on it (constraint %s on another table depends on it)", t.Name, r.Name)
			}
		}
		if err := d.dropDesc(t); err != nil {
			return "", err
		}
	}
	return tag, nil
}

func (d *ddl) dropDesc(t *catalog.Descriptor) error {
	if err := d.coll.RemoveName(d.ctx, t.ParentID, t.SchemaID, t.Name); err != nil {
		return err
	}
	if err := d.coll.Delete(d.ctx, t.ID); err != nil {
		return err
	}
	if t.Kind == catalog.KindTable {
		if err := d.dropForeignKeys(t); err != nil {
			return err
		}
		p := catalog.TablePrefix(t.ID)
		if err := d.env.Txn.DelRange(d.ctx, p, catalog.PrefixEnd(p)); err != nil {
			return err
		}
		for _, c := range t.Columns {
			if c.OwnedSeq != 0 {
				s, err := d.coll.Get(d.ctx, c.OwnedSeq)
				if err != nil {
					return err
				}
				if s != nil {
					if err := d.dropDesc(s); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func (d *ddl) dropSequence(n *ast.DropSequenceStmt) (string, error) {
	for _, tn := range n.Sequences {
		t, err := d.b.ResolveTable(tn.Schema.O, tn.Name.O)
		if err != nil {
			return "", err
		}
		if t == nil || t.Kind != catalog.KindSequence {
			if n.IfExists {
				continue
			}
			return "", pgerr.New(pgerr.UndefinedTable, "sequence %q does not exist", tn.Name.O)
		}
		if err := d.dropDesc(t); err != nil {
			return "", err
		}
	}
	return "DROP SEQUENCE", nil
}

func (d *ddl) dropIndex(n *parser.DropIndexStmt) (string, error) {
	for _, nm := range n.Names {
		names, err := d.coll.ListNames(d.ctx, d.b.DB, d.b.Schema)
		if err != nil {
			return "", err
		}
		done := false
		for _, tid := range names {
			t, err := d.coll.Get(d.ctx, tid)
			if err != nil {
				return "", err
			}
			if t == nil || t.Kind != catalog.KindTable {
				continue
			}
			i := t.IndexByName(nm[1])
			if i < 0 {
				continue
			}
			desc := catalog.Mutable(t)
			ix := desc.Indexes[i]
			if !ix.Public() {
				return "", pgerr.New(pgerr.ObjectInUse, "index %q is being created or dropped", ix.Name)
			}
			if d.online {
				// Public → write-only here; the job goes on to delete-only
				// and removes the entries.
				desc.Indexes[i].State = catalog.IndexWriteOnly
				if err := d.coll.Write(d.ctx, desc); err != nil {
					return "", err
				}
				d.jobs = append(d.jobs, schemaJob{table: desc.ID, index: ix.ID, name: ix.Name, drop: true})
				done = true
				break
			}
			p := catalog.IndexPrefix(desc.ID, ix.ID)
			if err := d.env.Txn.DelRange(d.ctx, p, catalog.PrefixEnd(p)); err != nil {
				return "", err
			}
			desc.Indexes = append(desc.Indexes[:i], desc.Indexes[i+1:]...)
			dropUnusedIndexColumns(desc)
			if err := d.coll.Write(d.ctx, desc); err != nil {
				return "", err
			}
			done = true
			break
		}
		if !done && !n.IfExists {
			return "", pgerr.New(pgerr.UndefinedObject, "index %q does not exist", nm[1])
		}
	}
	return "DROP INDEX", nil
}

var viewRe = regexp.MustCompile(`(?is)^\s*create\s+(or\s+replace\s+)?(temp\w*\s+)?view\s+("[^"]*"|[^\s(]+)\s*(\([^)]*\))?\s*as\s+(.*)$`)

func (d *ddl) createView(n *ast.CreateViewStmt) (string, error) {
	m := viewRe.FindStringSubmatch(d.st.SQL)
	if m == nil {
		return "", pgerr.New(pgerr.FeatureNotSupported, "cannot find the query of CREATE VIEW")
	}
	text := m[5]
	q, err := parser.ParseOne(text)
	if err != nil {
		return "", err
	}
	rs, ok := q.AST.(ast.ResultSetNode)
	if !ok {
		return "", pgerr.New(pgerr.Syntax, "CREATE VIEW needs a query")
	}
	saved := d.b.Stmt
	d.b.Stmt = &q
	node, err := d.b.BindQuery(rs)
	d.b.Stmt = saved
	if err != nil {
		return "", err
	}
	schema, err := d.schemaOf(n.ViewName)
	if err != nil {
		return "", err
	}
	name := n.ViewName.Name.O
	var cols []string
	for _, c := range node.Columns() {
		if !c.Hidden {
			cols = append(cols, c.Name)
		}
	}
	for i, c := range n.Cols {
		if i < len(cols) {
			cols[i] = c.O
		}
	}
	if old, err := d.coll.LookupID(d.ctx, d.b.DB, schema, name); err != nil {
		return "", err
	} else if old != 0 {
		od, err := d.coll.Get(d.ctx, old)
		if err != nil {
			return "", err
		}
		if !n.OrReplace || od == nil || od.Kind != catalog.KindView {
			return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", name)
		}
		nd := catalog.Mutable(od)
		nd.ViewQuery, nd.ViewColumns = text, cols
		return "CREATE VIEW", d.coll.Write(d.ctx, nd)
	}
	id, err := d.coll.NewID(d.ctx)
	if err != nil {
		return "", err
	}
	desc := &catalog.Descriptor{ID: id, Kind: catalog.KindView, Name: name, ParentID: d.b.DB, SchemaID: schema, ViewQuery: text, ViewColumns: cols}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return "", err
	}
	return "CREATE VIEW", d.coll.SetName(d.ctx, d.b.DB, schema, name, id)
}

func (d *ddl) truncate(n *parser.TruncateStmt) (string, error) {
	for _, tn := range n.Tables {
		t, err := d.b.ResolveTable(tn[0], tn[1])
		if err != nil {
			return "", err
		}
		if t == nil || t.Kind != catalog.KindTable {
			return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", tn[1])
		}
		if t.MatView {
			return "", pgerr.New(pgerr.WrongObjectType, "%q is not a table", t.Name)
		}
		if r, ok := referencedByOthers(t); ok {
			listed := false
			for _, o := range n.Tables {
				if ot, err := d.b.ResolveTable(o[0], o[1]); err == nil && ot != nil && ot.ID == r.Table {
					listed = true
				}
			}
			if !listed {
				return "", pgerr.New(pgerr.FeatureNotSupported, "cannot truncate a table referenced in a foreign key constraint (constraint %s references table %s)", r.Name, t.Name)
			}
		}
		p := catalog.TablePrefix(t.ID)
		if err := d.env.Txn.DelRange(d.ctx, p, catalog.PrefixEnd(p)); err != nil {
			return "", err
		}
	}
	return "TRUNCATE TABLE", nil
}

func (d *ddl) alterTable(n *ast.AlterTableStmt) (string, error) {
	t, err := d.b.ResolveTable(n.Table.Schema.O, n.Table.Name.O)
	if err != nil {
		return "", err
	}
	if t == nil {
		return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Table.Name.O)
	}
	desc := catalog.Mutable(t)
	for _, sp := range n.Specs {
		switch sp.Tp {
		case ast.AlterTableAddColumns:
			for _, cd := range sp.NewColumns {
				if err := d.addColumn(desc, cd, sp.IfNotExists); err != nil {
					return "", err
				}
			}
		case ast.AlterTableDropColumn:
			name := sp.OldColumnName.Name.O
			i, c := desc.ColumnByName(name)
			if c == nil || c.Hidden {
				if sp.IfExists {
					continue
				}
				return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", name, desc.Name)
			}
			for _, id := range desc.Primary.ColumnIDs {
				if id == c.ID {
					return "", pgerr.New(pgerr.DependentObjects, "cannot drop column %q because it is part of the primary key", name)
				}
			}
			err := dropColumnDeps(desc, name, func(id catalog.IndexID) error {
				p := catalog.IndexPrefix(desc.ID, id)
				return d.env.Txn.DelRange(d.ctx, p, catalog.PrefixEnd(p))
			})
			if err != nil {
				return "", err
			}
			i, c = desc.ColumnByName(name)
			var keep []catalog.Index
			for _, ix := range desc.Indexes {
				uses := false
				for _, id := range ix.ColumnIDs {
					uses = uses || id == c.ID
				}
				if uses {
					p := catalog.IndexPrefix(desc.ID, ix.ID)
					if err := d.env.Txn.DelRange(d.ctx, p, catalog.PrefixEnd(p)); err != nil {
						return "", err
					}
					continue
				}
				keep = append(keep, ix)
			}
			desc.Indexes = keep
			desc.Columns = append(desc.Columns[:i], desc.Columns[i+1:]...)
		case ast.AlterTableRenameColumn:
			_, c := desc.ColumnByName(sp.OldColumnName.Name.O)
			if c == nil {
				return "", pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", sp.OldColumnName.Name.O)
			}
			if _, o := desc.ColumnByName(sp.NewColumnName.Name.O); o != nil {
				return "", pgerr.New(pgerr.DuplicateColumn, "column %q of relation %q already exists", sp.NewColumnName.Name.O, desc.Name)
			}
			renameColumnRefs(desc, c.Name, sp.NewColumnName.Name.O)
			c.Name = sp.NewColumnName.Name.O
		case ast.AlterTableRenameTable:
			newName := sp.NewTable.Name.O
			if id, err := d.coll.LookupID(d.ctx, desc.ParentID, desc.SchemaID, newName); err != nil {
				return "", err
			} else if id != 0 {
				return "", pgerr.New(pgerr.DuplicateTable, "relation %q already exists", newName)
			}
			if err := d.coll.RemoveName(d.ctx, desc.ParentID, desc.SchemaID, desc.Name); err != nil {
				return "", err
			}
			desc.Name = newName
			if err := d.coll.SetName(d.ctx, desc.ParentID, desc.SchemaID, newName, desc.ID); err != nil {
				return "", err
			}
		case ast.AlterTableDropCheck, ast.AlterTableDropForeignKey:
			name := sp.Name
			if sp.Constraint != nil {
				name = sp.Constraint.Name
			}
			if err := d.dropConstraint(desc, name); err != nil {
				if pgerr.Code(err) == pgerr.UndefinedObject && slices.Contains(d.st.DropConstraintIfExists, name) {
					d.notices = append(d.notices, notice(fmt.Sprintf("constraint %q of relation %q does not exist, skipping", name, desc.Name)))
					continue
				}
				return "", err
			}
		case ast.AlterTableAddConstraint:
			c := sp.Constraint
			if c.Tp == ast.ConstraintForeignKey {
				var cols []string
				for _, k := range c.Keys {
					if k.Column == nil {
						return "", pgerr.New(pgerr.Syntax, "syntax error in FOREIGN KEY")
					}
					cols = append(cols, k.Column.Name.O)
				}
				if _, err := d.addForeignKey(desc, pendingFK{name: c.Name, cols: cols, ref: c.Refer}); err != nil {
					return "", err
				}
				if d.st.NotValid {
					desc.ForeignKeys[len(desc.ForeignKeys)-1].NotValid = true
					continue
				}
				if err := d.validateForeignKey(desc); err != nil {
					return "", err
				}
				continue
			}
			if c.Tp == ast.ConstraintCheck {
				if err := d.addCheck(desc, c.Name, "", c.Expr); err != nil {
					return "", err
				}
				// the rows already there must satisfy it (PostgreSQL
				// validates unless NOT VALID)
				if d.st.NotValid {
					desc.Checks[len(desc.Checks)-1].NotValid = true
					continue
				}
				if err := d.validateCheck(desc, len(desc.Checks)-1); err != nil {
					return "", err
				}
				continue
			}
			pk := c.Tp == ast.ConstraintPrimaryKey
			if !pk && c.Tp != ast.ConstraintUniq && c.Tp != ast.ConstraintUniqKey && c.Tp != ast.ConstraintUniqIndex {
				d.notices = append(d.notices, notice("constraint accepted and not enforced"))
				continue
			}
			if pk && !hiddenPrimaryKey(desc) {
				return "", pgerr.New(pgerr.InvalidTableDef, "multiple primary keys for table %q are not allowed", desc.Name)
			}
			ix := catalog.Index{ID: desc.NextIndexID, Unique: true, Name: c.Name, DeclaredPrimary: pk}
			var names []string
			for _, k := range c.Keys {
				ord, col := desc.ColumnByName(k.Column.Name.O)
				if col == nil || col.Hidden {
					return "", pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", k.Column.Name.O)
				}
				if pk && col.Nullable {
					// PostgreSQL's ADD PRIMARY KEY makes its columns NOT NULL.
					err := d.scanAll(desc, func(row exec.Row) error {
						if types.IsNull(row[ord]) {
							return pgerr.New(pgerr.NotNullViolation, "column %q of relation %q contains null values", col.Name, desc.Name)
						}
						return nil
					})
					if err != nil {
						return "", err
					}
					col.Nullable = false
				}
				ix.ColumnIDs = append(ix.ColumnIDs, col.ID)
				ix.Desc = append(ix.Desc, k.Desc)
				names = append(names, col.Name)
			}
			if ix.Name == "" {
				ix.Name = desc.Name + "_" + strings.Join(names, "_") + "_key"
				if pk {
					ix.Name = desc.Name + "_pkey"
				}
			}
			if pk {
				d.notices = append(d.notices, notice(fmt.Sprintf("primary key %s is kept as a unique index over NOT NULL columns; rows stay keyed by the hidden rowid", ix.Name)))
			}
			if err := d.addIndex(desc, ix); err != nil {
				return "", err
			}
		default:
			return "", pgerr.New(pgerr.FeatureNotSupported, "this ALTER TABLE form is not supported")
		}
	}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return "", err
	}
	return "ALTER TABLE", nil
}

// serialMax is the largest value of a SERIAL column's sequence: that of
// the column's type (smallserial, serial, bigserial), as in PostgreSQL.
func serialMax(t *types.T) int64 {
	switch {
	case t.Family == types.IntFamily && t.Width == 16:
		return 1<<15 - 1
	case t.Family == types.IntFamily && t.Width == 32:
		return 1<<31 - 1
	}
	return 1<<63 - 1
}

func (d *ddl) addColumn(desc *catalog.Descriptor, cd *ast.ColumnDef, ifNotExists bool) error {
	if _, c := desc.ColumnByName(cd.Name.Name.O); c != nil {
		if ifNotExists {
			return nil
		}
		return pgerr.New(pgerr.DuplicateColumn, "column %q of relation %q already exists", cd.Name.Name.O, desc.Name)
	}
	pt, ok := d.st.ColumnTypes[cd]
	if !ok {
		return pgerr.New(pgerr.Internal, "column without type")
	}
	t, dom, err := d.b.ResolveTypeDomain(pt)
	if err != nil {
		return err
	}
	old := catalog.Mutable(desc)
	desc.NextColumnID++
	col := catalog.Column{ID: desc.NextColumnID, Name: cd.Name.Name.O, Type: t, Nullable: true}
	serial := types.IsSerial(pt)
	if kind, ok := d.st.Identity[cd]; ok {
		serial = true
		col.IdentityAlways = kind == "always"
		col.Identity = true
	}
	nChecks := len(desc.Checks)
	for _, o := range cd.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull:
			col.Nullable = false
		case ast.ColumnOptionDefaultValue:
			if col.Default, err = restoreExpr(o.Expr); err != nil {
				return err
			}
		case ast.ColumnOptionAutoIncrement:
			serial = true
		case ast.ColumnOptionCheck:
			if err := d.addCheck(desc, "", col.Name, o.Expr); err != nil {
				return err
			}
		case ast.ColumnOptionPrimaryKey, ast.ColumnOptionUniqKey:
			return pgerr.New(pgerr.FeatureNotSupported, "ADD COLUMN with a key is not supported")
		case ast.ColumnOptionGenerated:
			if !o.Stored {
				return pgerr.New(pgerr.Syntax, "syntax error: a generated column must be STORED")
			}
			if col.Generated, err = restoreExpr(o.Expr); err != nil {
				return err
			}
		}
	}
	if col.Generated != "" && (col.Default != "" || serial) {
		return pgerr.New(pgerr.Syntax, "both default and generation expression specified for column %q of table %q", col.Name, desc.Name)
	}
	if serial {
		// As in CREATE TABLE: an owned sequence, whose values the existing
		// rows take one each below.
		seqName := fmt.Sprintf("%s_%s_seq", desc.Name, col.Name)
		sid, err := d.createSequenceDesc(desc.SchemaID, seqName, catalog.SequenceOpts{Start: 1, Increment: 1, Min: 1, Max: serialMax(t)})
		if err != nil {
			return err
		}
		col.Default = d.seqDefault(desc.SchemaID, seqName)
		col.OwnedSeq = sid
		col.Nullable = false
	}
	if dom != nil {
		if err := applyDomain(desc, &col, dom); err != nil {
			return err
		}
	}
	desc.Columns = append(desc.Columns, col)
	var checks []plan.Check
	if len(desc.Checks) > nChecks {
		// The column's CHECK must hold for the rows it is added to.
		all, err := plan.BindChecksIn(d.b, desc, d.env.EvalCtx)
		if err != nil {
			return err
		}
		checks = all[nChecks:]
	}
	// Existing rows get the default or the generated value (or fail NOT
	// NULL).
	def, err := d.b.DefaultExpr(&desc.Columns[len(desc.Columns)-1])
	if err != nil {
		return err
	}
	var gen plan.Expr
	if col.Generated != "" {
		g, err := plan.BindGenerated(desc, d.b.Eval)
		if err != nil {
			return err
		}
		gen = g[len(desc.Columns)-1]
	}
	if def == nil && gen == nil && col.Nullable && len(checks) == 0 {
		return nil
	}
	rc := catalog.NewRowCodec(desc)
	return d.scanAll(old, func(row exec.Row) error {
		v := types.Datum(types.Null)
		if def != nil {
			var err error
			if v, err = d.env.Eval(def, nil); err != nil {
				return err
			}
		}
		if gen != nil {
			var err error
			if v, err = d.env.Eval(gen, append(append(exec.Row{}, row...), types.Null)); err != nil {
				return err
			}
		}
		if types.IsNull(v) && !col.Nullable {
			return pgerr.New(pgerr.NotNullViolation, "column %q of relation %q contains null values", col.Name, desc.Name)
		}
		nr := append(append(exec.Row{}, row...), v)
		for _, c := range checks {
			ok, err := d.env.Eval(c.E, nr)
			if err != nil {
				return err
			}
			if b, isBool := ok.(types.DBool); isBool && !bool(b) {
				return pgerr.New(pgerr.CheckViolation, "check constraint %q of relation %q is violated by some row", c.Name, desc.Name)
			}
		}
		return d.putRow(rc, nr)
	})
}

// alterColumn runs ALTER TABLE ... ALTER COLUMN TYPE / SET NOT NULL / DROP
// NOT NULL. A type change rewrites every row (and the indexes holding the
// column) in this transaction.
func (d *ddl) alterColumn(n *parser.AlterColumnStmt) (string, error) {
	t, err := d.b.ResolveTable(n.Schema, n.Table)
	if err != nil {
		return "", err
	}
	if t == nil || t.Kind != catalog.KindTable {
		if n.IfExists {
			return "ALTER TABLE", nil
		}
		return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Table)
	}
	desc := catalog.Mutable(t)
	for _, a := range n.Actions {
		ord, col := desc.ColumnByName(a.Column)
		if col == nil || col.Hidden {
			return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", a.Column, desc.Name)
		}
		switch {
		case a.SetDefault != nil:
			txt, err := restoreExpr(a.SetDefault)
			if err != nil {
				return "", err
			}
			col.Default = txt
		case a.DropDefault:
			col.Default = ""
		case a.DropNotNull:
			for _, id := range desc.Primary.ColumnIDs {
				if id == col.ID {
					return "", pgerr.New(pgerr.InvalidTableDef, "column %q is in a primary key", col.Name)
				}
			}
			col.Nullable = true
		case a.SetNotNull:
			err := d.scanAll(desc, func(row exec.Row) error {
				if types.IsNull(row[ord]) {
					return pgerr.New(pgerr.NotNullViolation, "column %q of relation %q contains null values", col.Name, desc.Name)
				}
				return nil
			})
			if err != nil {
				return "", err
			}
			col.Nullable = false
		case a.Type != nil:
			nt, dom, err := d.b.ResolveTypeDomain(*a.Type)
			if err != nil {
				return "", err
			}
			if dom != nil || col.Domain != 0 {
				return "", pgerr.New(pgerr.FeatureNotSupported, "ALTER COLUMN TYPE to or from a domain is not supported")
			}
			old := catalog.Mutable(desc)
			oldCodec := catalog.NewRowCodec(old)
			col.Type = nt
			newCodec := catalog.NewRowCodec(desc)
			var using plan.Expr
			if a.Using != nil {
				sc := d.tableScope(old)
				if using, err = d.b.BindScalar(a.Using, sc); err != nil {
					return "", err
				}
			}
			err = d.scanAll(old, func(row exec.Row) error {
				nr := append(exec.Row{}, row...)
				var v types.Datum = row[ord]
				var err error
				if using != nil {
					if v, err = d.env.Eval(using, row); err != nil {
						return err
					}
					v, err = types.Cast(v, using.Type(), nt, nil)
				} else {
					v, err = types.Cast(v, old.Columns[ord].Type, nt, nil)
				}
				if err != nil {
					return err
				}
				nr[ord] = v
				if err := d.env.DeleteRow(oldCodec, row); err != nil {
					return err
				}
				return d.env.WriteRow(newCodec, nr)
			})
			if err != nil {
				return "", err
			}
		}
	}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return "", err
	}
	return "ALTER TABLE", nil
}

func (d *ddl) tableScope(t *catalog.Descriptor) []plan.Col {
	cols := make([]plan.Col, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = plan.Col{Name: c.Name, T: c.Type, Table: t.Name, Hidden: c.Hidden}
	}
	return cols
}

// isSchemaStmt: the MySQL grammar reads CREATE/DROP SCHEMA as DATABASE;
// PostgreSQL's schemas live inside the current database.
// endsWithCascade reports whether a DROP statement's text ends in
// CASCADE (the dialect front end drops the word for the MySQL grammar).
func endsWithCascade(sql string) bool {
	f := strings.Fields(strings.ToUpper(strings.TrimRight(sql, "; \t\n")))
	return len(f) > 0 && f[len(f)-1] == "CASCADE"
}

func isSchemaStmt(sql, verb string) bool {
	f := strings.Fields(strings.ToUpper(sql))
	return len(f) >= 2 && f[0] == verb && f[1] == "SCHEMA"
}

func (d *ddl) createSchema(name string, ifNotExists bool) (string, error) {
	if id, err := d.coll.LookupID(d.ctx, d.b.DB, 0, name); err != nil {
		return "", err
	} else if id != 0 {
		if ifNotExists {
			return "CREATE SCHEMA", nil
		}
		return "", pgerr.New(pgerr.DuplicateSchema, "schema %q already exists", name)
	}
	_, err := d.coll.CreateSchema(d.ctx, d.b.DB, name)
	return "CREATE SCHEMA", err
}

func (d *ddl) dropSchema(name string, ifExists, cascade bool) (string, error) {
	id, err := d.coll.LookupID(d.ctx, d.b.DB, 0, name)
	if err != nil {
		return "", err
	}
	if id == 0 {
		if ifExists {
			return "DROP SCHEMA", nil
		}
		return "", pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", name)
	}
	objs, err := d.coll.ListNames(d.ctx, d.b.DB, id)
	if err != nil {
		return "", err
	}
	if len(objs) > 0 && !cascade {
		return "", pgerr.New(pgerr.DependentObjects, "cannot drop schema %q because other objects depend on it", name)
	}
	for _, oid := range objs {
		o, err := d.coll.Get(d.ctx, oid)
		if err != nil {
			return "", err
		}
		if o != nil {
			if err := d.dropDesc(o); err != nil {
				return "", err
			}
		}
	}
	if len(objs) > 0 {
		d.notices = append(d.notices, notice(fmt.Sprintf("drop cascades to %d other objects", len(objs))))
	}
	if err := d.coll.RemoveName(d.ctx, d.b.DB, 0, name); err != nil {
		return "", err
	}
	return "DROP SCHEMA", d.coll.Delete(d.ctx, id)
}

// validateCheck checks the rows of desc against its k-th CHECK.
func (d *ddl) validateCheck(desc *catalog.Descriptor, k int) error {
	checks, err := plan.BindChecksIn(d.b, desc, d.b.Eval)
	if err != nil {
		return err
	}
	chk := checks[k]
	return d.scanAll(desc, func(row exec.Row) error {
		v, err := d.env.Eval(chk.E, row)
		if err != nil {
			return err
		}
		if b, ok := v.(types.DBool); ok && !bool(b) {
			return pgerr.New(pgerr.CheckViolation, "check constraint %q of relation %q is violated by some row", chk.Name, desc.Name)
		}
		return nil
	})
}

// validateConstraint is ALTER TABLE t VALIDATE CONSTRAINT c: the rows are
// checked against a NOT VALID check or foreign key, which becomes valid.
func (d *ddl) validateConstraint(n *parser.ValidateConstraintStmt) (string, error) {
	t, err := d.b.ResolveTable(n.Schema, n.Table)
	if err != nil {
		return "", err
	}
	if t == nil || t.Kind != catalog.KindTable {
		return "", pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Table)
	}
	desc := catalog.Mutable(t)
	found := false
	for k := range desc.Checks {
		if desc.Checks[k].Name == n.Name {
			found = true
			if desc.Checks[k].NotValid {
				if err := d.validateCheck(desc, k); err != nil {
					return "", err
				}
				desc.Checks[k].NotValid = false
			}
		}
	}
	if k := desc.ForeignKeyByName(n.Name); k >= 0 {
		found = true
		if desc.ForeignKeys[k].NotValid {
			if err := d.validateForeignKeyAt(desc, k); err != nil {
				return "", err
			}
			desc.ForeignKeys[k].NotValid = false
		}
	}
	if !found {
		if desc.IndexByName(n.Name) >= 0 || desc.Primary.Name == n.Name {
			return "ALTER TABLE", nil // always valid
		}
		return "", pgerr.New(pgerr.UndefinedObject, "constraint %q of relation %q does not exist", n.Name, desc.Name)
	}
	return "ALTER TABLE", d.coll.Write(d.ctx, desc)
}

// hiddenPrimaryKey reports whether the table is keyed by the hidden rowid
// (it was created without a PRIMARY KEY), so ALTER TABLE … ADD PRIMARY KEY
// may add one.
func hiddenPrimaryKey(desc *catalog.Descriptor) bool {
	if desc.Primary == nil || len(desc.Primary.ColumnIDs) != 1 {
		return false
	}
	for _, ix := range desc.Indexes {
		if ix.DeclaredPrimary {
			return false
		}
	}
	i := desc.ColumnOrdinal(desc.Primary.ColumnIDs[0])
	return i >= 0 && desc.Columns[i].Hidden
}

// createTableAs is CREATE TABLE t AS query: the query's columns (unknown
// literals as text), no primary key (the hidden rowid), filled with the
// query's rows. The tag is SELECT n, as in PostgreSQL.
func (d *ddl) createTableAs(n *ast.CreateTableStmt) (string, error) {
	if len(n.Cols) > 0 || len(n.Constraints) > 0 {
		return "", pgerr.New(pgerr.FeatureNotSupported, "CREATE TABLE AS with a column list is not supported")
	}
	schema, err := d.createSchemaOf(n.Table)
	if err != nil {
		return "", err
	}
	name := n.Table.Name.O
	if skip, err := d.newRelationName(schema, name, n.IfNotExists); err != nil {
		return "", err
	} else if skip {
		return "CREATE TABLE AS", nil
	}
	node, err := d.b.BindQuery(n.Select)
	if err != nil {
		return "", err
	}
	id, err := d.coll.NewID(d.ctx)
	if err != nil {
		return "", err
	}
	d.noteOnCommit(id)
	desc := &catalog.Descriptor{ID: id, Kind: catalog.KindTable, Name: name, ParentID: d.b.DB, SchemaID: schema, NextIndexID: 2}
	count, err := d.tableFromQuery(desc, node, nil, true)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("SELECT %d", count), nil
}

// tableFromQuery gives desc the visible columns of node (named names[i]
// where given) and a hidden rowid key, stores it, and writes node's rows
// unless withData is false. It returns the number of rows.
func (d *ddl) tableFromQuery(desc *catalog.Descriptor, node plan.Node, names []string, withData bool) (int, error) {
	var visible []int
	for i, c := range node.Columns() {
		if c.Hidden {
			continue
		}
		name := c.Name
		if k := len(visible); k < len(names) {
			name = names[k]
		}
		visible = append(visible, i)
		t := c.T
		if t == nil || t.Family == types.UnknownFamily {
			t = types.String
		}
		if _, dup := desc.ColumnByName(name); dup != nil {
			return 0, pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", name)
		}
		desc.NextColumnID++
		desc.Columns = append(desc.Columns, catalog.Column{ID: desc.NextColumnID, Name: name, Type: t, Nullable: true})
	}
	if len(names) > len(visible) {
		return 0, pgerr.New(pgerr.Syntax, "too many column names were specified")
	}
	desc.NextColumnID++
	desc.Columns = append(desc.Columns, catalog.Column{ID: desc.NextColumnID, Name: "rowid", Type: types.Int8, Hidden: true})
	desc.Primary = &catalog.Index{ID: 1, Name: desc.Name + "_pkey", Unique: true, ColumnIDs: []catalog.ColumnID{desc.NextColumnID}, Desc: []bool{false}}
	var rows []exec.Row
	if withData {
		var err error
		if rows, err = exec.Collect(d.env, node); err != nil {
			return 0, err
		}
	}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return 0, err
	}
	if err := d.coll.SetName(d.ctx, desc.ParentID, desc.SchemaID, desc.Name, desc.ID); err != nil {
		return 0, err
	}
	return len(rows), d.writeQueryRows(desc, visible, rows)
}

// writeQueryRows writes the visible columns of rows as new rows of desc
// (a table made by tableFromQuery: its columns, then rowid).
func (d *ddl) writeQueryRows(desc *catalog.Descriptor, visible []int, rows []exec.Row) error {
	rc := catalog.NewRowCodec(desc)
	for _, r := range rows {
		row := make(exec.Row, len(desc.Columns))
		for k, i := range visible {
			row[k] = r[i]
		}
		row[len(row)-1] = types.Null
		if err := d.env.WriteRow(rc, row); err != nil {
			return err
		}
	}
	return nil
}

// putRow writes row's primary index entry (key and value) in the DDL's
// transaction: the rewrite of every row of a backfill.
func (d *ddl) putRow(rc *catalog.RowCodec, row []types.Datum) error {
	pk, err := rc.PrimaryKey(row)
	if err != nil {
		return err
	}
	val, err := rc.PrimaryValue(row)
	if err != nil {
		return err
	}
	return d.env.Txn.Put(d.ctx, pk, val)
}
