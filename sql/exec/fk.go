package exec

import (
	"bytes"
	"strings"
	"time"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/rowenc"
	"github.com/tesseradb/tessera/sql/types"
)

// Foreign keys are checked at the end of the statement (PostgreSQL's NO
// ACTION; RESTRICT refuses the same changes), after every row of the
// statement was written, so that rows referencing rows of the same
// statement pass.

// keyText is PostgreSQL's "(a, b)=(1, 2)" for an error message.
func keyText(d *catalog.Descriptor, ords []int, row Row) string {
	var names, vals []string
	for _, o := range ords {
		names = append(names, d.Columns[o].Name)
		vals = append(vals, types.FormatText(d.Columns[o].Type, row[o], time.UTC))
	}
	return "(" + strings.Join(names, ", ") + ")=(" + strings.Join(vals, ", ") + ")"
}

// hasNull reports whether row has a NULL in one of ords.
func hasNull(row Row, ords []int) bool {
	for _, o := range ords {
		if types.IsNull(row[o]) {
			return true
		}
	}
	return false
}

// parentExists reports whether fk's parent table has a row whose
// referenced columns equal row's values of fk.Cols.
func (env *Env) parentExists(fk *plan.FKOut, row Row) (bool, error) {
	prow := make(Row, len(fk.Parent.Columns))
	for i := range prow {
		prow[i] = types.Null
	}
	for i, o := range fk.Cols {
		v, err := types.Assign(row[o], fk.Parent.Columns[fk.PCols[i]].Type)
		if err != nil {
			return false, nil // not representable in the parent's type: no such row
		}
		prow[fk.PCols[i]] = v
	}
	key, err := fk.PCodec.KeyPrefix(fk.Index, prow, len(fk.Index.ColumnIDs))
	if err != nil {
		return false, err
	}
	if fk.Index == fk.Parent.Primary {
		_, found, err := env.Txn.Get(env.Ctx, key)
		return found, err
	}
	kvs, err := env.Txn.Scan(env.Ctx, key, catalog.PrefixEnd(key), 1)
	return len(kvs) > 0, err
}

// checkFKOut checks the foreign keys of rows written by the statement.
func (env *Env) checkFKOut(fks []*plan.FKOut, rows []Row) error {
	for _, fk := range fks {
		for _, r := range rows {
			if hasNull(r, fk.Cols) {
				continue
			}
			ok, err := env.parentExists(fk, r)
			if err != nil {
				return err
			}
			if !ok {
				return pgerr.New(pgerr.ForeignKeyViolation,
					"insert or update on table %q violates foreign key constraint %q (Key %s is not present in table %q)",
					fk.Table.Name, fk.FK.Name, keyText(fk.Table, fk.Cols, r), fk.Parent.Name)
			}
		}
	}
	return nil
}

// childRows returns the rows of in.Child referencing prow's values of
// in.PCols.
func (env *Env) childRows(in *plan.FKIn, prow Row) ([]Row, error) {
	c := in.Child
	// the values in the child's column types, encoded for comparison
	crow := make(Row, len(c.Columns))
	for i := range crow {
		crow[i] = types.Null
	}
	want := make([][]byte, len(in.CCols))
	for i, o := range in.CCols {
		v, err := types.Assign(prow[in.PCols[i]], c.Columns[o].Type)
		if err != nil {
			return nil, nil // no child value can equal it
		}
		crow[o] = v
		if want[i], err = rowenc.EncodeKey(nil, c.Columns[o].Type, v, rowenc.Asc); err != nil {
			return nil, err
		}
	}
	matches := func(r Row) (bool, error) {
		for i, o := range in.CCols {
			if types.IsNull(r[o]) {
				return false, nil
			}
			k, err := rowenc.EncodeKey(nil, c.Columns[o].Type, r[o], rowenc.Asc)
			if err != nil {
				return false, err
			}
			if !bytes.Equal(k, want[i]) {
				return false, nil
			}
		}
		return true, nil
	}
	var out []Row
	if ix := in.Index; ix != nil && ix != c.Primary {
		prefix, err := in.CCodec.KeyPrefix(ix, crow, len(in.CCols))
		if err != nil {
			return nil, err
		}
		kvs, err := env.Txn.Scan(env.Ctx, prefix, catalog.PrefixEnd(prefix), 0)
		if err != nil {
			return nil, err
		}
		for _, kv := range kvs {
			pk, err := in.CCodec.PrimaryKeyFromIndex(ix, kv.Key)
			if err != nil {
				return nil, err
			}
			r, err := env.readRow(in.CCodec, pk)
			if err != nil {
				return nil, err
			}
			if r != nil {
				out = append(out, r)
			}
		}
		return out, nil
	}
	start := in.CCodec.Prefix(c.Primary.ID)
	if in.Index == c.Primary {
		var err error
		if start, err = in.CCodec.KeyPrefix(c.Primary, crow, len(in.CCols)); err != nil {
			return nil, err
		}
	}
	kvs, err := env.Txn.Scan(env.Ctx, start, catalog.PrefixEnd(start), 0)
	if err != nil {
		return nil, err
	}
	for _, kv := range kvs {
		r := make(Row, len(c.Columns))
		if err := in.CCodec.DecodePrimary(kv.Key, kv.Value, r); err != nil {
			return nil, err
		}
		ok, err := matches(r)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// sameKey reports whether a and b agree on ords.
func sameKey(d *catalog.Descriptor, ords []int, a, b Row) (bool, error) {
	for _, o := range ords {
		if types.IsNull(a[o]) != types.IsNull(b[o]) {
			return false, nil
		}
		if types.IsNull(a[o]) {
			continue
		}
		c, err := types.CompareTyped(d.Columns[o].Type, a[o], b[o])
		if err != nil || c != 0 {
			return false, err
		}
	}
	return true, nil
}

// onParentChange applies the foreign keys referencing a table to its
// rows olds, deleted (news nil) or updated to news, after the statement
// wrote them all.
func (env *Env) onParentChange(ins []*plan.FKIn, olds, news []Row, depth int) error {
	if depth > 64 {
		return pgerr.New(pgerr.ProgramLimit, "foreign key cascades nest too deeply")
	}
	for _, in := range ins {
		action := in.FK.OnDelete
		if news != nil {
			action = in.FK.OnUpdate
		}
		for k, old := range olds {
			if hasNull(old, in.PCols) {
				continue
			}
			var nr Row
			if news != nil {
				nr = news[k]
				if same, err := sameKey(in.Parent, in.PCols, old, nr); err != nil {
					return err
				} else if same {
					continue
				}
			}
			children, err := env.childRows(in, old)
			if err != nil {
				return err
			}
			if len(children) == 0 {
				continue
			}
			switch action {
			case catalog.FKCascade, catalog.FKSetNull:
				var cnews []Row
				for _, cr := range children {
					if news == nil && action == catalog.FKCascade {
						if err := env.deleteRow(in.CCodec, cr); err != nil {
							return err
						}
						continue
					}
					c := append(Row{}, cr...)
					for i, o := range in.CCols {
						if action == catalog.FKSetNull {
							c[o] = types.Null
						} else {
							c[o] = nr[in.PCols[i]]
						}
					}
					if err := env.updateRow(in.CCodec, cr, c); err != nil {
						return err
					}
					cnews = append(cnews, c)
				}
				if in.ChildIn != nil {
					if err := env.onParentChange(*in.ChildIn, children, cnews, depth+1); err != nil {
						return err
					}
				}
			default:
				if in.Lookup != nil && news != nil {
					// another row of the statement may have taken the key
					if ok, err := env.parentExists(in.Lookup, old); err != nil || ok {
						if err != nil {
							return err
						}
						continue
					}
				}
				return pgerr.New(pgerr.ForeignKeyViolation, "update or delete on table %q violates foreign key constraint %q on table %q (Key %s is still referenced from table %q)",
					in.Parent.Name, in.FK.Name, in.Child.Name, keyText(in.Parent, in.PCols, old), in.Child.Name)
			}
		}
	}
	return nil
}

// CheckForeignKeys checks rows of a table against its foreign keys fks.
func (env *Env) CheckForeignKeys(fks []*plan.FKOut, rows []Row) error {
	return env.checkFKOut(fks, rows)
}
