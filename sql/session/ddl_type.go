package session

import (
	"fmt"
	"strings"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

// typeSchema resolves the schema of a type name ("" is the current one).
func (d *ddl) typeSchema(schema string) (catalog.ID, error) {
	if schema == "" || schema == "public" && d.b.SearchPath == nil {
		return d.b.Schema, nil
	}
	id, err := d.coll.LookupID(d.ctx, d.b.DB, 0, schema)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		return 0, pgerr.New(pgerr.InvalidSchemaName, "schema %q does not exist", schema)
	}
	return id, nil
}

// lookupType finds the enum type schema.name (nil if there is none).
func (d *ddl) lookupType(schema, name string) (*catalog.Descriptor, error) {
	sch, err := d.typeSchema(schema)
	if err != nil {
		return nil, err
	}
	id, err := d.coll.LookupID(d.ctx, d.b.DB, sch, name)
	if err != nil || id == 0 {
		return nil, err
	}
	t, err := d.coll.Get(d.ctx, id)
	if err != nil || t == nil || t.Kind != catalog.KindType {
		return nil, err
	}
	return t, nil
}

// newTypeSchema resolves the schema a new type (enum or domain) named
// name goes into, failing with 42710 when a built-in type or an object
// of that schema already has the name.
func (d *ddl) newTypeSchema(schema, name string) (catalog.ID, error) {
	sch, err := d.typeSchema(schema)
	if err != nil {
		return 0, err
	}
	if _, err := types.FromPG(parser.PGType{Name: name}); err == nil {
		return 0, pgerr.New(pgerr.DuplicateObject, "type %q already exists", name)
	}
	if old, err := d.coll.LookupID(d.ctx, d.b.DB, sch, name); err != nil {
		return 0, err
	} else if old != 0 {
		return 0, pgerr.New(pgerr.DuplicateObject, "type %q already exists", name)
	}
	return sch, nil
}

func (d *ddl) createType(n *parser.CreateTypeStmt) (string, error) {
	sch, err := d.newTypeSchema(n.Schema, n.Name)
	if err != nil {
		return "", err
	}
	if n.Fields != nil {
		desc := &catalog.Descriptor{Kind: catalog.KindType, Name: n.Name, ParentID: d.b.DB, SchemaID: sch, Composite: []catalog.FuncArg{}}
		seen := map[string]bool{}
		for _, f := range n.Fields {
			if seen[f.Name] {
				return "", pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", f.Name)
			}
			seen[f.Name] = true
			t, err := d.b.ResolveType(f.Type)
			if err != nil {
				return "", err
			}
			desc.Composite = append(desc.Composite, catalog.FuncArg{Name: f.Name, Type: t})
		}
		id, err := d.coll.NewID(d.ctx)
		if err != nil {
			return "", err
		}
		desc.ID = id
		if err := d.coll.Write(d.ctx, desc); err != nil {
			return "", err
		}
		return "CREATE TYPE", d.coll.SetName(d.ctx, d.b.DB, sch, n.Name, id)
	}
	seen := map[string]bool{}
	for _, l := range n.Labels {
		if err := checkEnumLabel(l); err != nil {
			return "", err
		}
		if seen[l] {
			return "", pgerr.New(pgerr.UniqueViolation, "duplicate key value violates unique constraint \"pg_enum_typid_label_index\"")
		}
		seen[l] = true
	}
	id, err := d.coll.NewID(d.ctx)
	if err != nil {
		return "", err
	}
	desc := &catalog.Descriptor{ID: id, Kind: catalog.KindType, Name: n.Name, ParentID: d.b.DB, SchemaID: sch,
		EnumLabels: append([]string{}, n.Labels...)}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return "", err
	}
	return "CREATE TYPE", d.coll.SetName(d.ctx, d.b.DB, sch, n.Name, id)
}

// tablesUsing lists the tables of the database with a column of the
// enum type t.
func (d *ddl) tablesUsing(t *catalog.Descriptor) ([]*catalog.Descriptor, error) {
	oid := t.EnumType().Width
	var out []*catalog.Descriptor
	err := d.eachTable(func(o *catalog.Descriptor) bool {
		for _, c := range o.Columns {
			if isEnumOf(c.Type, oid) {
				out = append(out, o)
				break
			}
		}
		return true
	})
	return out, err
}

// eachTable calls fn with every table of the database, schema by schema,
// until fn returns false.
func (d *ddl) eachTable(fn func(*catalog.Descriptor) bool) error {
	schs, err := d.coll.ListNames(d.ctx, d.b.DB, 0)
	if err != nil {
		return err
	}
	for _, sid := range schs {
		names, err := d.coll.ListNames(d.ctx, d.b.DB, sid)
		if err != nil {
			return err
		}
		for _, id := range names {
			o, err := d.coll.Get(d.ctx, id)
			if err != nil {
				return err
			}
			if o != nil && o.Kind == catalog.KindTable && !fn(o) {
				return nil
			}
		}
	}
	return nil
}

// isEnumOf reports whether t is the enum type of OID oid (T.Width) or an
// array of it.
func isEnumOf(t *types.T, oid int) bool {
	if t.Family == types.ArrayFamily {
		t = t.Elem
	}
	return (t.IsEnum() || t.Family == types.RecordFamily && t.Composite != nil) && t.Width == oid
}

func (d *ddl) dropType(n *parser.DropTypeStmt) (string, error) {
	for _, nm := range n.Names {
		t, err := d.lookupType(nm[0], nm[1])
		if err != nil {
			return "", err
		}
		if t == nil {
			if n.IfExists {
				d.notices = append(d.notices, notice(fmt.Sprintf("type %q does not exist, skipping", nm[1])))
				continue
			}
			return "", pgerr.New(pgerr.UndefinedObject, "type %q does not exist", nm[1])
		}
		if n.Domain && t.Domain == nil { // (DROP TYPE drops a domain too)
			return "", pgerr.New(pgerr.WrongObjectType, "%q is not a domain", t.Name)
		}
		var users []*catalog.Descriptor
		if t.Domain != nil {
			used, err := d.columnsOfDomain(t)
			if err != nil {
				return "", err
			}
			if used {
				users = []*catalog.Descriptor{nil}
			}
		} else if users, err = d.tablesUsing(t); err != nil {
			return "", err
		}
		if len(users) > 0 {
			if n.Cascade {
				return "", pgerr.New(pgerr.FeatureNotSupported, "%s ... CASCADE of a type that columns use is not supported", n.StatementTag())
			}
			return "", pgerr.New(pgerr.DependentObjects, "cannot drop type %s because other objects depend on it", t.Name)
		}
		if err := d.dropDesc(t); err != nil {
			return "", err
		}
	}
	return n.StatementTag(), nil
}

// checkEnumLabel refuses a label longer than a name (63 bytes), as
// PostgreSQL's pg_enum does.
func checkEnumLabel(l string) error {
	if len(l) > 63 {
		return pgerr.New(pgerr.InvalidName, "invalid enum label %q", l)
	}
	return nil
}

// alterType adds a label to an enum (at the end, or BEFORE / AFTER
// another: then the stored values after it are renumbered) or renames
// one; the columns of the type get the new definition.
func (d *ddl) alterType(n *parser.AlterTypeStmt) (string, error) {
	t, err := d.lookupType(n.Schema, n.Name)
	if err != nil {
		return "", err
	}
	if t == nil {
		return "", pgerr.New(pgerr.UndefinedObject, "type %q does not exist", n.Name)
	}
	if t.Domain != nil {
		return "", pgerr.New(pgerr.WrongObjectType, "%s is not an enum", t.Name)
	}
	labels := append([]string{}, t.EnumLabels...)
	at := -1 // where ADD VALUE puts the new label
	idx := func(l string) int {
		for i, x := range labels {
			if x == l {
				return i
			}
		}
		return -1
	}
	if err := checkEnumLabel(n.Label); err != nil {
		return "", err
	}
	if n.Rename != "" {
		i := idx(n.Rename)
		if i < 0 {
			return "", pgerr.New(pgerr.InvalidParameter, "%q is not an existing enum label", n.Rename)
		}
		if idx(n.Label) >= 0 {
			return "", pgerr.New(pgerr.DuplicateObject, "enum label %q already exists", n.Label)
		}
		labels[i] = n.Label
	} else {
		if idx(n.Label) >= 0 {
			if n.IfNotExists {
				d.notices = append(d.notices, noticeCode("NOTICE", pgerr.DuplicateObject, fmt.Sprintf("enum label %q already exists, skipping", n.Label)))
				return "ALTER TYPE", nil
			}
			return "", pgerr.New(pgerr.DuplicateObject, "enum label %q already exists", n.Label)
		}
		at = len(labels)
		if n.Neighbor != "" {
			j := idx(n.Neighbor)
			if j < 0 {
				return "", pgerr.New(pgerr.InvalidParameter, "%q is not an existing enum label", n.Neighbor)
			}
			at = j + 1
			if n.Before {
				at = j
			}
		}
		labels = append(labels[:at], append([]string{n.Label}, labels[at:]...)...)
	}
	users, err := d.tablesUsing(t)
	if err != nil {
		return "", err
	}
	nt := catalog.Mutable(t)
	nt.EnumLabels = labels
	if err := d.coll.Write(d.ctx, nt); err != nil {
		return "", err
	}
	et := nt.EnumType()
	for _, u := range users {
		old := catalog.Mutable(u)
		nu := catalog.Mutable(u)
		for i := range nu.Columns {
			c := &nu.Columns[i]
			switch {
			case c.Type.IsEnum() && c.Type.Width == et.Width:
				c.Type = et
			case isEnumOf(c.Type, et.Width):
				if c.Type, err = types.MakeArray(et); err != nil {
					return "", err
				}
			}
		}
		if err := d.coll.Write(d.ctx, nu); err != nil {
			return "", err
		}
		if at >= 0 && at < len(t.EnumLabels) {
			if err := d.renumberEnum(old, nu, et, at); err != nil {
				return "", err
			}
		}
	}
	return "ALTER TYPE", nil
}

// renumberEnum rewrites the rows of table old (nu: the same table with
// the new enum type et) after a label was added at position at, before
// others: stored values are label positions, so those from at on move
// up one, in the rows and in the index keys holding them (the table is
// rewritten in this transaction, as ALTER COLUMN TYPE rewrites it).
func (d *ddl) renumberEnum(old, nu *catalog.Descriptor, et *types.T, at int) error {
	oldCodec, newCodec := catalog.NewRowCodec(old), catalog.NewRowCodec(nu)
	var cols []int
	for i := range old.Columns {
		if isEnumOf(old.Columns[i].Type, et.Width) {
			cols = append(cols, i)
		}
	}
	shift := func(v types.Datum) types.Datum {
		if e, ok := v.(types.DEnum); ok && e.Ord >= at {
			e.Ord++
			return e
		}
		return v
	}
	return d.scanAll(old, func(row exec.Row) error {
		nr := append(exec.Row{}, row...)
		for _, i := range cols {
			switch v := row[i].(type) {
			case types.DEnum:
				nr[i] = shift(v)
			case *types.DArray:
				a := &types.DArray{Elem: et, Dims: v.Dims, Elems: make([]types.Datum, len(v.Elems))}
				for k, e := range v.Elems {
					a.Elems[k] = shift(e)
				}
				nr[i] = a
			}
		}
		if err := d.env.DeleteRow(oldCodec, row); err != nil {
			return err
		}
		return d.env.WriteRow(newCodec, nr)
	})
}

// comment stores COMMENT ON TABLE / VIEW / SEQUENCE / COLUMN / TYPE.
func (d *ddl) comment(n *parser.CommentStmt) (string, error) {
	txt := ""
	if n.Text != nil {
		txt = *n.Text
	}
	var t *catalog.Descriptor
	var err error
	col := ""
	switch n.Kind {
	case "column":
		if len(n.Name) < 2 || len(n.Name) > 3 {
			return "", pgerr.New(pgerr.Syntax, "column name must be qualified")
		}
		col = n.Name[len(n.Name)-1]
		sch := ""
		if len(n.Name) == 3 {
			sch = n.Name[0]
		}
		t, err = d.b.ResolveTable(sch, n.Name[len(n.Name)-2])
		if err == nil && t == nil {
			err = pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", n.Name[len(n.Name)-2])
		}
	case "type":
		sch, nm := "", n.Name[len(n.Name)-1]
		if len(n.Name) > 1 {
			sch = n.Name[0]
		}
		t, err = d.lookupType(sch, nm)
		if err == nil && t == nil {
			err = pgerr.New(pgerr.UndefinedObject, "type %q does not exist", nm)
		}
	default:
		sch, nm := "", n.Name[len(n.Name)-1]
		if len(n.Name) > 1 {
			sch = n.Name[0]
		}
		t, err = d.b.ResolveTable(sch, nm)
		if err == nil && t == nil {
			err = pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", nm)
		}
		if err == nil && string(t.Kind) != n.Kind {
			err = pgerr.New(pgerr.WrongObjectType, "%q is not a %s", nm, n.Kind)
		}
	}
	if err != nil {
		return "", err
	}
	nt := catalog.Mutable(t)
	if col != "" {
		_, c := nt.ColumnByName(col)
		if c == nil || c.Hidden {
			return "", pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", col, t.Name)
		}
		c.Comment = txt
	} else {
		nt.Comment = txt
	}
	return "COMMENT", d.coll.Write(d.ctx, nt)
}

// createDomain stores CREATE DOMAIN as a type descriptor with its base
// type and constraints (each CHECK must bind over VALUE of the base
// type).
func (d *ddl) createDomain(n *parser.CreateDomainStmt) (string, error) {
	sch, err := d.newTypeSchema(n.Schema, n.Name)
	if err != nil {
		return "", err
	}
	base, dom, err := d.b.ResolveTypeDomain(n.Type)
	if err != nil {
		return "", err
	}
	if dom != nil {
		return "", pgerr.New(pgerr.FeatureNotSupported, "a domain over domain %s is not supported", dom.Name)
	}
	def := &catalog.DomainDef{Base: base, NotNull: n.NotNull, Default: n.Default}
	taken := map[string]bool{}
	for _, ck := range n.Checks {
		if _, err := plan.BindDomainCheck(base, ck.Expr, d.b.Eval); err != nil {
			return "", err
		}
		name := ck.Name
		if name == "" {
			name = n.Name + "_check"
			for i := 1; taken[name]; i++ {
				name = fmt.Sprintf("%s_check%d", n.Name, i)
			}
		}
		if taken[name] {
			return "", pgerr.New(pgerr.DuplicateObject, "constraint %q for domain %q already exists", name, n.Name)
		}
		taken[name] = true
		def.Checks = append(def.Checks, catalog.Check{Name: name, Expr: ck.Expr})
	}
	id, err := d.coll.NewID(d.ctx)
	if err != nil {
		return "", err
	}
	desc := &catalog.Descriptor{ID: id, Kind: catalog.KindType, Name: n.Name, ParentID: d.b.DB, SchemaID: sch, Domain: def}
	if err := d.coll.Write(d.ctx, desc); err != nil {
		return "", err
	}
	return "CREATE DOMAIN", d.coll.SetName(d.ctx, d.b.DB, sch, n.Name, id)
}

// applyDomain gives col, declared with the domain dom, the domain's
// constraints: NOT NULL, its DEFAULT when the column names none, and
// each CHECK with VALUE read as the column (marked Check.Domain).
func applyDomain(desc *catalog.Descriptor, col *catalog.Column, dom *catalog.Descriptor) error {
	col.Domain = dom.ID
	if dom.Domain.NotNull {
		col.Nullable = false
	}
	if col.Default == "" {
		col.Default = dom.Domain.Default
	}
	for _, ck := range dom.Domain.Checks {
		txt, err := valueAsColumn(ck.Expr, col.Name)
		if err != nil {
			return err
		}
		desc.Checks = append(desc.Checks, catalog.Check{Name: ck.Name, Expr: txt, Domain: true})
	}
	return nil
}

// valueAsColumn rewrites a domain CHECK's text to read the column instead
// of VALUE.
func valueAsColumn(text, col string) (string, error) {
	toks, err := pgdialect.Lex(text)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	at := 0
	for _, t := range toks {
		if t.Kind == pgdialect.Ident && t.Val == "value" {
			sb.WriteString(text[at:t.Pos])
			sb.WriteString(pgdialect.QuoteIdent(col))
			at = t.Pos + len(t.Raw(text))
		}
	}
	sb.WriteString(text[at:])
	return sb.String(), nil
}

// columnsOfDomain reports whether a table of the database has a column
// declared with the domain t.
func (d *ddl) columnsOfDomain(t *catalog.Descriptor) (bool, error) {
	used := false
	err := d.eachTable(func(o *catalog.Descriptor) bool {
		for _, c := range o.Columns {
			if c.Domain == t.ID {
				used = true
				return false
			}
		}
		return true
	})
	return used, err
}
