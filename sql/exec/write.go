package exec

import (
	"bytes"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

// checkRow applies column types and NOT NULL, filling the rowid.
func (env *Env) checkRow(d *catalog.Descriptor, row Row) error {
	if d.HasGenerated() {
		gen, err := env.generatedOf(d)
		if err != nil {
			return err
		}
		for i, e := range gen {
			if e == nil {
				continue
			}
			if row[i], err = env.Eval(e, row); err != nil {
				return err
			}
		}
	}
	for i := range d.Columns {
		c := &d.Columns[i]
		if types.IsNull(row[i]) {
			if c.Hidden && c.Name == "rowid" {
				row[i] = types.DInt(catalog.UniqueRowID(env.NodeID))
				continue
			}
			if !c.Nullable {
				return pgerr.New(pgerr.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, d.Name)
			}
			continue
		}
		v, err := types.Assign(row[i], c.Type)
		if err != nil {
			return err
		}
		row[i] = v
	}
	if len(d.Checks) == 0 {
		return nil
	}
	checks, err := env.checksOf(d)
	if err != nil {
		return err
	}
	for _, c := range checks {
		v, err := env.Eval(c.E, row)
		if err != nil {
			return err
		}
		if b, ok := v.(types.DBool); ok && !bool(b) {
			return pgerr.New(pgerr.CheckViolation, "new row for relation %q violates check constraint %q", d.Name, c.Name)
		}
	}
	return nil
}

// checksOf returns d's bound CHECK constraints, bound once per statement.
func (env *Env) checksOf(d *catalog.Descriptor) ([]plan.Check, error) {
	if c, ok := env.checks[d]; ok {
		return c, nil
	}
	c, err := plan.BindChecksIn(env.Binder, d, env.EvalCtx)
	if err != nil {
		return nil, err
	}
	if env.checks == nil {
		env.checks = map[*catalog.Descriptor][]plan.Check{}
	}
	env.checks[d] = c
	return c, nil
}

// generatedOf returns d's bound generation expressions, bound once per
// statement.
func (env *Env) generatedOf(d *catalog.Descriptor) ([]plan.Expr, error) {
	if g, ok := env.generated[d]; ok {
		return g, nil
	}
	g, err := plan.BindGenerated(d, env.EvalCtx)
	if err != nil {
		return nil, err
	}
	if env.generated == nil {
		env.generated = map[*catalog.Descriptor][]plan.Expr{}
	}
	env.generated[d] = g
	return g, nil
}

func pkeyName(d *catalog.Descriptor) string {
	if d.Primary.Name != "" {
		return d.Primary.Name
	}
	return d.Name + "_pkey"
}

// conflict describes a uniqueness violation: the existing row's primary key.
type conflict struct {
	index *catalog.Index
	pk    []byte
}

// findConflict looks for an existing row that the new row would collide
// with on the primary key or a unique index (skipping the row at self).
func (env *Env) findConflict(rc *catalog.RowCodec, row Row, self []byte) (*conflict, error) {
	d := rc.Desc
	pk, err := rc.PrimaryKey(row)
	if err != nil {
		return nil, err
	}
	if self == nil || !bytes.Equal(pk, self) {
		_, found, err := env.Txn.Get(env.Ctx, pk)
		if err != nil {
			return nil, err
		}
		if found {
			return &conflict{index: d.Primary, pk: pk}, nil
		}
	}
	for i := range d.Indexes {
		ix := &d.Indexes[i]
		if !ix.Unique || !ix.Writable() { // a delete-only index is incomplete
			continue
		}
		key, plen, hasNull, err := rc.IndexKey(ix, row)
		if err != nil {
			return nil, err
		}
		if hasNull || key == nil {
			continue
		}
		kvs, err := env.Txn.Scan(env.Ctx, key[:plen], catalog.PrefixEnd(key[:plen]), 2)
		if err != nil {
			return nil, err
		}
		for _, kv := range kvs {
			other, err := rc.PrimaryKeyFromIndex(ix, kv.Key)
			if err != nil {
				return nil, err
			}
			if self != nil && bytes.Equal(other, self) {
				continue
			}
			return &conflict{index: ix, pk: other}, nil
		}
	}
	return nil, nil
}

func uniqueErr(d *catalog.Descriptor, ix *catalog.Index) error {
	name := ix.Name
	if ix == d.Primary {
		name = pkeyName(d)
	}
	return pgerr.New(pgerr.UniqueViolation, "duplicate key value violates unique constraint %q", name)
}

// writeRow writes a new row and its entries in the public and write-only
// indexes (after checks).
func (env *Env) writeRow(rc *catalog.RowCodec, row Row) error {
	pk, err := rc.PrimaryKey(row)
	if err != nil {
		return err
	}
	val, err := rc.PrimaryValue(row)
	if err != nil {
		return err
	}
	if err := env.Txn.CPut(env.Ctx, pk, val, nil); err != nil {
		if kvtxn.IsConditionFailed(err) {
			return uniqueErr(rc.Desc, rc.Desc.Primary)
		}
		return err
	}
	for i := range rc.Desc.Indexes {
		if !rc.Desc.Indexes[i].Writable() {
			continue
		}
		key, _, _, err := rc.IndexKey(&rc.Desc.Indexes[i], row)
		if err != nil {
			return err
		}
		if key == nil {
			continue
		}
		if err := env.Txn.Put(env.Ctx, key, catalog.IndexValue()); err != nil {
			return err
		}
	}
	return nil
}

// deleteRow removes a row and its index entries (in every index state).
func (env *Env) deleteRow(rc *catalog.RowCodec, row Row) error {
	pk, err := rc.PrimaryKey(row)
	if err != nil {
		return err
	}
	keys := [][]byte{pk}
	for i := range rc.Desc.Indexes {
		key, _, _, err := rc.IndexKey(&rc.Desc.Indexes[i], row)
		if err != nil {
			return err
		}
		if key != nil {
			keys = append(keys, key)
		}
	}
	return env.Txn.Del(env.Ctx, keys...)
}

func (env *Env) readRow(rc *catalog.RowCodec, pk []byte) (Row, error) {
	v, found, err := env.Txn.Get(env.Ctx, pk)
	if err != nil || !found {
		return nil, err
	}
	row := make(Row, len(rc.Desc.Columns))
	if err := rc.DecodePrimary(pk, v, row); err != nil {
		return nil, err
	}
	return row, nil
}

func (env *Env) returning(exprs []plan.Expr, row Row, out *[]Row) error {
	if exprs == nil {
		return nil
	}
	r := make(Row, len(exprs))
	for i, e := range exprs {
		v, err := env.Eval(e, row)
		if err != nil {
			return err
		}
		r[i] = v
	}
	*out = append(*out, r)
	return nil
}

func (env *Env) runInsert(n *plan.Insert) (Iter, error) {
	in, err := Build(env, n.Input)
	if err != nil {
		return nil, err
	}
	d := n.Table
	var out []Row
	var inputs []Row
	for {
		r, err := in.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		if err := env.account(r); err != nil {
			return nil, err
		}
		inputs = append(inputs, r)
	}
	// touched holds the primary keys this statement inserted or updated
	// when it may update on conflict: a second proposal for one of them is
	// an error, as in PostgreSQL.
	var touched map[string]bool
	if oc := n.OnConflict; oc != nil && !oc.DoNothing {
		touched = map[string]bool{}
	}
	var written []Row // for the foreign key checks
	for _, r := range inputs {
		if err := env.checkCancel(); err != nil {
			return nil, err
		}
		row := make(Row, len(d.Columns))
		set := make([]bool, len(d.Columns))
		for i, t := range n.Targets {
			row[t] = r[i]
			set[t] = true
		}
		for i := range row {
			if set[i] {
				continue
			}
			row[i] = types.Null
			if n.Defaults[i] != nil {
				if row[i], err = env.Eval(n.Defaults[i], nil); err != nil {
					return nil, err
				}
			}
		}
		if err := env.checkRow(d, row); err != nil {
			return nil, err
		}
		if oc := n.OnConflict; oc != nil {
			c, err := env.findConflict(n.Codec, row, nil)
			if err != nil {
				return nil, err
			}
			if c != nil {
				if oc.Index != nil && c.index != oc.Index {
					return nil, uniqueErr(d, c.index)
				}
				if oc.DoNothing {
					continue
				}
				if touched[string(c.pk)] {
					return nil, pgerr.New(pgerr.CardinalityViolation,
						"ON CONFLICT DO UPDATE command cannot affect row a second time")
				}
				old, err := env.readRow(n.Codec, c.pk)
				if err != nil {
					return nil, err
				}
				both := append(append(Row{}, old...), row...)
				if oc.Where != nil {
					ok, err := env.EvalBool(oc.Where, both)
					if err != nil {
						return nil, err
					}
					if !ok {
						continue
					}
				}
				nr := append(Row{}, old...)
				for ord, e := range oc.Set {
					if nr[ord], err = env.Eval(e, both); err != nil {
						return nil, err
					}
				}
				if err := env.updateRow(n.Codec, old, nr); err != nil {
					return nil, err
				}
				if err := env.touch(touched, n.Codec, nr); err != nil {
					return nil, err
				}
				if len(n.FKOut) > 0 {
					written = append(written, nr)
				}
				env.RowsAffected++
				ret := nr
				if n.ReturnsXmax {
					id, err := env.txnID()
					if err != nil {
						return nil, err
					}
					ret = append(append(Row{}, nr...), types.DInt(id))
				}
				if err := env.returning(n.Returning, ret, &out); err != nil {
					return nil, err
				}
				continue
			}
		} else if len(d.Indexes) > 0 {
			for i := range d.Indexes {
				ix := &d.Indexes[i]
				if !ix.Unique || !ix.Writable() {
					continue
				}
				c, err := env.findConflict(n.Codec, row, nil)
				if err != nil {
					return nil, err
				}
				if c != nil {
					return nil, uniqueErr(d, c.index)
				}
				break
			}
		}
		if err := env.writeRow(n.Codec, row); err != nil {
			return nil, err
		}
		if err := env.touch(touched, n.Codec, row); err != nil {
			return nil, err
		}
		if len(n.FKOut) > 0 {
			written = append(written, row)
		}
		env.RowsAffected++
		ret := row
		if n.ReturnsXmax {
			ret = append(append(Row{}, row...), types.DInt(0))
		}
		if err := env.returning(n.Returning, ret, &out); err != nil {
			return nil, err
		}
	}
	if err := env.checkFKOut(n.FKOut, written); err != nil {
		return nil, err
	}
	return &sliceIter{rows: out}, nil
}

// txnID is the transaction's ID (txid_current), the xmax of the rows it
// changed; 1 where no backend numbers transactions (an engine without
// sessions): any nonzero number says "not inserted".
func (env *Env) txnID() (int64, error) {
	if env.EvalCtx == nil || env.EvalCtx.Backend == nil {
		return 1, nil
	}
	return env.EvalCtx.Backend.TxnID()
}

// touch records row's primary key in touched (nil: not tracking).
func (env *Env) touch(touched map[string]bool, rc *catalog.RowCodec, row Row) error {
	if touched == nil {
		return nil
	}
	pk, err := rc.PrimaryKey(row)
	if err != nil {
		return err
	}
	touched[string(pk)] = true
	return nil
}

// updateRow replaces old by nr (checks included).
func (env *Env) updateRow(rc *catalog.RowCodec, old, nr Row) error {
	d := rc.Desc
	if err := env.checkRow(d, nr); err != nil {
		return err
	}
	oldPK, err := rc.PrimaryKey(old)
	if err != nil {
		return err
	}
	newPK, err := rc.PrimaryKey(nr)
	if err != nil {
		return err
	}
	samePK := bytes.Equal(oldPK, newPK)
	for i := range d.Indexes {
		ix := &d.Indexes[i]
		ok, _, _, err := rc.IndexKey(ix, old)
		if err != nil {
			return err
		}
		nk, plen, hasNull, err := rc.IndexKey(ix, nr)
		if err != nil {
			return err
		}
		if bytes.Equal(ok, nk) {
			continue
		}
		if !ix.Writable() || nk == nil { // delete-only, or out of a partial index: drop the old entry, add none
			if ok == nil {
				continue
			}
			if err := env.Txn.Del(env.Ctx, ok); err != nil {
				return err
			}
			continue
		}
		if ix.Unique && !hasNull {
			kvs, err := env.Txn.Scan(env.Ctx, nk[:plen], catalog.PrefixEnd(nk[:plen]), 2)
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				other, err := rc.PrimaryKeyFromIndex(ix, kv.Key)
				if err != nil {
					return err
				}
				if !bytes.Equal(other, oldPK) {
					return uniqueErr(d, ix)
				}
			}
		}
		if ok != nil {
			if err := env.Txn.Del(env.Ctx, ok); err != nil {
				return err
			}
		}
		if err := env.Txn.Put(env.Ctx, nk, catalog.IndexValue()); err != nil {
			return err
		}
	}
	val, err := rc.PrimaryValue(nr)
	if err != nil {
		return err
	}
	if samePK {
		return env.Txn.Put(env.Ctx, newPK, val)
	}
	if err := env.Txn.Del(env.Ctx, oldPK); err != nil {
		return err
	}
	if err := env.Txn.CPut(env.Ctx, newPK, val, nil); err != nil {
		if kvtxn.IsConditionFailed(err) {
			return uniqueErr(d, d.Primary)
		}
		return err
	}
	return nil
}

func (env *Env) runUpdate(n *plan.Update) (Iter, error) {
	rows, err := env.collectAccounted(n.Input)
	if err != nil {
		return nil, err
	}
	width := len(n.Table.Columns)
	var out []Row
	// Compute every new row first (all SET expressions see old values),
	// then write, so that a key moving onto another row's old key works.
	if len(rows) > 0 && len(rows[0]) > width {
		// UPDATE ... FROM: a target row joined with several rows of the
		// list is updated once, with the first of them (as PostgreSQL).
		seen := map[string]bool{}
		kept := rows[:0]
		for _, r := range rows {
			pk, err := n.Codec.PrimaryKey(r[:width])
			if err != nil {
				return nil, err
			}
			if !seen[string(pk)] {
				seen[string(pk)] = true
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	news := make([]Row, len(rows))
	for i, r := range rows {
		nr := append(Row{}, r[:width]...)
		for ord, e := range n.Set {
			if nr[ord], err = env.Eval(e, r); err != nil {
				return nil, err
			}
		}
		news[i] = nr
	}
	for i, r := range rows {
		if err := env.updateRow(n.Codec, r[:width], news[i]); err != nil {
			return nil, err
		}
		env.RowsAffected++
		if err := env.returning(n.Returning, append(news[i], r[width:]...), &out); err != nil {
			return nil, err
		}
	}
	if err := env.checkFKOut(n.FKOut, news); err != nil {
		return nil, err
	}
	if len(n.FKIn) > 0 {
		olds := make([]Row, len(rows))
		for i, r := range rows {
			olds[i] = r[:width]
		}
		if err := env.onParentChange(n.FKIn, olds, news, 0); err != nil {
			return nil, err
		}
	}
	return &sliceIter{rows: out}, nil
}

func (env *Env) runDelete(n *plan.Delete) (Iter, error) {
	rows, err := env.collectAccounted(n.Input)
	if err != nil {
		return nil, err
	}
	width := len(n.Table.Columns)
	var out []Row
	seen := map[string]bool{}
	var deleted []Row
	for _, r := range rows {
		pk, err := n.Codec.PrimaryKey(r[:width])
		if err != nil {
			return nil, err
		}
		if seen[string(pk)] {
			continue
		}
		seen[string(pk)] = true
		if err := env.deleteRow(n.Codec, r[:width]); err != nil {
			return nil, err
		}
		if len(n.FKIn) > 0 {
			deleted = append(deleted, r[:width])
		}
		env.RowsAffected++
		if err := env.returning(n.Returning, r, &out); err != nil {
			return nil, err
		}
	}
	if err := env.onParentChange(n.FKIn, deleted, nil, 0); err != nil {
		return nil, err
	}
	return &sliceIter{rows: out}, nil
}

// WriteRow writes a new row and its index entries (checks included).
func (env *Env) WriteRow(rc *catalog.RowCodec, row Row) error {
	if err := env.checkRow(rc.Desc, row); err != nil {
		return err
	}
	return env.writeRow(rc, row)
}

// DeleteRow removes a row and its index entries.
func (env *Env) DeleteRow(rc *catalog.RowCodec, row Row) error { return env.deleteRow(rc, row) }
