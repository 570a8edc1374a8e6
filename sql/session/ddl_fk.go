package session

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/exec"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
)

// pendingFK is a FOREIGN KEY of a table being defined, before its columns
// are resolved.
type pendingFK struct {
	name string
	cols []string
	ref  *ast.ReferenceDef
}

func fkAction(o ast.ReferOptionType) (catalog.FKAction, error) {
	switch o {
	case ast.ReferOptionNoOption, ast.ReferOptionNoAction:
		return catalog.FKNoAction, nil
	case ast.ReferOptionRestrict:
		return catalog.FKRestrict, nil
	case ast.ReferOptionCascade:
		return catalog.FKCascade, nil
	case ast.ReferOptionSetNull:
		return catalog.FKSetNull, nil
	}
	return "", pgerr.New(pgerr.FeatureNotSupported, "ON DELETE/UPDATE SET DEFAULT is not supported")
}

// addForeignKey resolves p against desc (the referencing table, not yet
// written when it is being created) and records it on desc and on the
// referenced table, which it writes unless it is desc itself. It returns
// the referenced table.
func (d *ddl) addForeignKey(desc *catalog.Descriptor, p pendingFK) (*catalog.Descriptor, error) {
	r := p.ref
	if r.Match != ast.MatchNone && r.Match != ast.MatchSimple {
		return nil, pgerr.New(pgerr.FeatureNotSupported, "MATCH FULL and MATCH PARTIAL foreign keys are not supported")
	}
	var parent *catalog.Descriptor
	if (r.Table.Schema.O == "" || r.Table.Schema.O == "public") && r.Table.Name.O == desc.Name {
		parent = desc
	} else {
		t, err := d.b.ResolveTable(r.Table.Schema.O, r.Table.Name.O)
		if err != nil {
			return nil, err
		}
		if t == nil {
			return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", r.Table.Name.O)
		}
		if t.Kind != catalog.KindTable {
			return nil, pgerr.New(pgerr.WrongObjectType, "referenced relation %q is not a table", t.Name)
		}
		if t.ID == desc.ID {
			parent = desc
		} else {
			parent = catalog.Mutable(t)
		}
	}
	fk := catalog.ForeignKey{Name: p.name, RefTable: parent.ID}
	for _, c := range p.cols {
		_, col := desc.ColumnByName(c)
		if col == nil {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q referenced in foreign key constraint does not exist", c)
		}
		fk.Columns = append(fk.Columns, col.ID)
	}
	if len(r.IndexPartSpecifications) == 0 {
		if parent.Primary == nil || (parent.Primary != nil && len(parent.Primary.ColumnIDs) == 1 && parent.Columns[parent.ColumnOrdinal(parent.Primary.ColumnIDs[0])].Hidden) {
			return nil, pgerr.New(pgerr.InvalidForeignKey, "there is no primary key for referenced table %q", parent.Name)
		}
		fk.RefColumns = append(fk.RefColumns, parent.Primary.ColumnIDs...)
	}
	for _, k := range r.IndexPartSpecifications {
		if k.Column == nil {
			return nil, pgerr.New(pgerr.Syntax, "syntax error in REFERENCES")
		}
		_, col := parent.ColumnByName(k.Column.Name.O)
		if col == nil {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q referenced in foreign key constraint does not exist", k.Column.Name.O)
		}
		fk.RefColumns = append(fk.RefColumns, col.ID)
	}
	if len(fk.Columns) != len(fk.RefColumns) {
		return nil, pgerr.New(pgerr.InvalidForeignKey, "number of referencing and referenced columns for foreign key disagree")
	}
	if plan.UniqueIndexOn(parent, fk.RefColumns) == nil {
		return nil, pgerr.New(pgerr.InvalidForeignKey, "there is no unique constraint matching given keys for referenced table %q", parent.Name)
	}
	var err error
	if r.OnDelete != nil {
		if fk.OnDelete, err = fkAction(r.OnDelete.ReferOpt); err != nil {
			return nil, err
		}
	}
	if r.OnUpdate != nil {
		if fk.OnUpdate, err = fkAction(r.OnUpdate.ReferOpt); err != nil {
			return nil, err
		}
	}
	if fk.Name == "" {
		var names []string
		for _, id := range fk.Columns {
			names = append(names, desc.Columns[desc.ColumnOrdinal(id)].Name)
		}
		fk.Name = desc.Name + "_" + strings.Join(names, "_") + "_fkey"
		for n := 1; desc.ForeignKeyByName(fk.Name) >= 0; n++ {
			fk.Name = desc.Name + "_" + strings.Join(names, "_") + "_fkey" + strconv.Itoa(n)
		}
	} else if desc.ForeignKeyByName(fk.Name) >= 0 {
		return nil, pgerr.New(pgerr.DuplicateObject, "constraint %q for relation %q already exists", fk.Name, desc.Name)
	}
	for i, id := range fk.Columns {
		ct := desc.Columns[desc.ColumnOrdinal(id)].Type
		pt := parent.Columns[parent.ColumnOrdinal(fk.RefColumns[i])].Type
		// the integer types form one btree family, the floats another:
		// PostgreSQL refuses other mixes (numeric and integer among them)
		if ct.Family != pt.Family {
			return nil, pgerr.New(pgerr.DatatypeMismatch, "foreign key constraint %q cannot be implemented", fk.Name)
		}
	}
	desc.ForeignKeys = append(desc.ForeignKeys, fk)
	parent.ReferencedBy = append(parent.ReferencedBy, catalog.FKBackRef{Table: desc.ID, Name: fk.Name})
	if parent != desc {
		if err := d.coll.Write(d.ctx, parent); err != nil {
			return nil, err
		}
	}
	return parent, nil
}

// dropForeignKeys removes the back references of t's foreign keys from
// the tables they reference (t being dropped).
func (d *ddl) dropForeignKeys(t *catalog.Descriptor) error {
	done := map[catalog.ID]bool{t.ID: true}
	for _, fk := range t.ForeignKeys {
		if done[fk.RefTable] {
			continue
		}
		done[fk.RefTable] = true
		p, err := d.coll.Get(d.ctx, fk.RefTable)
		if err != nil {
			return err
		}
		if p == nil {
			continue
		}
		m := catalog.Mutable(p)
		kept := m.ReferencedBy[:0]
		for _, r := range m.ReferencedBy {
			if r.Table != t.ID {
				kept = append(kept, r)
			}
		}
		m.ReferencedBy = kept
		if err := d.coll.Write(d.ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// referencedByOthers returns the first foreign key of another table that
// references t, if any.
func referencedByOthers(t *catalog.Descriptor) (catalog.FKBackRef, bool) {
	for _, r := range t.ReferencedBy {
		if r.Table != t.ID {
			return r, true
		}
	}
	return catalog.FKBackRef{}, false
}

// validateForeignKey checks desc's existing rows against its last foreign
// key (ALTER TABLE ADD FOREIGN KEY).
func (d *ddl) validateForeignKey(desc *catalog.Descriptor) error {
	return d.validateForeignKeyAt(desc, len(desc.ForeignKeys)-1)
}

// validateForeignKeyAt checks the rows of desc against its k-th foreign key.
func (d *ddl) validateForeignKeyAt(desc *catalog.Descriptor, k int) error {
	fks, err := d.b.BindForeignKeys(desc)
	if err != nil {
		return err
	}
	last := fks[k : k+1]
	var rows []exec.Row
	if err := d.scanAll(desc, func(r exec.Row) error { rows = append(rows, r); return nil }); err != nil {
		return err
	}
	return d.env.CheckForeignKeys(last, rows)
}

// dropConstraint removes the named constraint of desc: a foreign key (and
// its back reference), a CHECK, or a UNIQUE constraint's index.
func (d *ddl) dropConstraint(desc *catalog.Descriptor, name string) error {
	if k := desc.ForeignKeyByName(name); k >= 0 {
		fk := desc.ForeignKeys[k]
		desc.ForeignKeys = append(desc.ForeignKeys[:k], desc.ForeignKeys[k+1:]...)
		drop := func(p *catalog.Descriptor) {
			kept := p.ReferencedBy[:0]
			for _, r := range p.ReferencedBy {
				if r.Table != desc.ID || r.Name != name {
					kept = append(kept, r)
				}
			}
			p.ReferencedBy = kept
		}
		if fk.RefTable == desc.ID {
			drop(desc)
			return nil
		}
		p, err := d.coll.Get(d.ctx, fk.RefTable)
		if err != nil || p == nil {
			return err
		}
		m := catalog.Mutable(p)
		drop(m)
		return d.coll.Write(d.ctx, m)
	}
	for i, c := range desc.Checks {
		if c.Name == name {
			desc.Checks = append(desc.Checks[:i], desc.Checks[i+1:]...)
			return nil
		}
	}
	for i, ix := range desc.Indexes {
		if ix.Name == name && ix.Unique {
			for _, r := range desc.ReferencedBy {
				c := desc
				if r.Table != desc.ID {
					var err error
					if c, err = d.coll.Get(d.ctx, r.Table); err != nil {
						return err
					}
				}
				if c != nil {
					if k := c.ForeignKeyByName(r.Name); k >= 0 && plan.UniqueIndexOn(desc, c.ForeignKeys[k].RefColumns) == &desc.Indexes[i] {
						return pgerr.New(pgerr.DependentObjects, "cannot drop constraint %s on table %s because constraint %s on table %s requires it", name, desc.Name, r.Name, c.Name)
					}
				}
			}
			p := catalog.IndexPrefix(desc.ID, ix.ID)
			if err := d.env.Txn.DelRange(d.ctx, p, catalog.PrefixEnd(p)); err != nil {
				return err
			}
			desc.Indexes = append(desc.Indexes[:i], desc.Indexes[i+1:]...)
			return nil
		}
	}
	return pgerr.New(pgerr.UndefinedObject, "constraint %q of relation %q does not exist", name, desc.Name)
}
