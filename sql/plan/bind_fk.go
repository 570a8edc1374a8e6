package plan

import (
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/pgerr"
)

// FKOut is a foreign key of the written table: a written row without a
// NULL among Cols must match a row of Parent on PCols (found through
// Index, Parent's primary or unique index on exactly those columns).
type FKOut struct {
	FK     *catalog.ForeignKey
	Table  *catalog.Descriptor
	Cols   []int // ordinals in the written table
	Parent *catalog.Descriptor
	PCodec *catalog.RowCodec
	PCols  []int // ordinals in Parent, parallel to Cols
	Index  *catalog.Index
}

// FKIn is a foreign key of table Child referencing the written table on
// PCols: a deleted row, or a row whose PCols change, must not leave a row
// of Child matching it on CCols, unless the action cascades or nulls them.
type FKIn struct {
	FK     *catalog.ForeignKey
	Parent *catalog.Descriptor
	PCols  []int // ordinals in the referenced (written) table
	Child  *catalog.Descriptor
	CCodec *catalog.RowCodec
	CCols  []int // ordinals in Child, parallel to PCols
	// Index is a child index whose leading columns are CCols' columns
	// (nil: the child table is scanned).
	Index *catalog.Index
	// Lookup finds a row of the referenced table by its PCols (a key
	// updated away may be taken by another row of the same statement).
	Lookup *FKOut
	// ChildIn points at the foreign keys referencing Child, for cascades
	// (nil if the actions cannot reach them; shared, as cycles are allowed).
	ChildIn *[]*FKIn
}

func ordinals(d *catalog.Descriptor, ids []catalog.ColumnID) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = d.ColumnOrdinal(id)
	}
	return out
}

// sameColumnSet reports whether a and b hold the same columns.
func sameColumnSet(a, b []catalog.ColumnID) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}

// UniqueIndexOn returns d's primary key or public unique index on exactly
// the columns cols (in any order), or nil.
func UniqueIndexOn(d *catalog.Descriptor, cols []catalog.ColumnID) *catalog.Index {
	if sameColumnSet(d.Primary.ColumnIDs, cols) {
		return d.Primary
	}
	for i := range d.Indexes {
		ix := &d.Indexes[i]
		if ix.Unique && ix.State == catalog.IndexPublic && !ix.Partial() && sameColumnSet(ix.ColumnIDs, cols) {
			return ix
		}
	}
	return nil
}

// prefixIndexOn returns an index of d whose leading columns are cols (in
// any order), or nil.
func prefixIndexOn(d *catalog.Descriptor, cols []catalog.ColumnID) *catalog.Index {
	for _, ix := range append([]*catalog.Index{d.Primary}, d.PublicIndexes()...) {
		if len(ix.ColumnIDs) >= len(cols) && sameColumnSet(ix.ColumnIDs[:len(cols)], cols) {
			return ix
		}
	}
	return nil
}

func (b *Binder) table(id catalog.ID) (*catalog.Descriptor, error) {
	d, err := b.Coll.Get(b.Ctx, id)
	if err != nil {
		return nil, err
	}
	if d == nil || !d.IsTable() {
		return nil, pgerr.New(pgerr.Internal, "foreign key references missing table %d", id)
	}
	return d, nil
}

// fkOut binds the foreign keys of d.
func (b *Binder) fkOut(d *catalog.Descriptor) ([]*FKOut, error) {
	var out []*FKOut
	for i := range d.ForeignKeys {
		fk := &d.ForeignKeys[i]
		p := d
		if fk.RefTable != d.ID {
			var err error
			if p, err = b.table(fk.RefTable); err != nil {
				return nil, err
			}
		}
		ix := UniqueIndexOn(p, fk.RefColumns)
		if ix == nil {
			return nil, pgerr.New(pgerr.Internal, "foreign key %q has no unique index on %q", fk.Name, p.Name)
		}
		out = append(out, &FKOut{FK: fk, Table: d, Cols: ordinals(d, fk.Columns), Parent: p,
			PCodec: catalog.NewRowCodec(p), PCols: ordinals(p, fk.RefColumns), Index: ix})
	}
	return out, nil
}

// fkIn binds the foreign keys referencing d, and recursively those
// referencing the tables a cascade reaches (memo breaks cycles).
func (b *Binder) fkIn(d *catalog.Descriptor, memo map[catalog.ID]*[]*FKIn) ([]*FKIn, error) {
	if memo == nil {
		memo = map[catalog.ID]*[]*FKIn{}
	}
	if p, ok := memo[d.ID]; ok {
		return *p, nil
	}
	list := &[]*FKIn{}
	memo[d.ID] = list
	for _, ref := range d.ReferencedBy {
		c := d
		if ref.Table != d.ID {
			var err error
			if c, err = b.table(ref.Table); err != nil {
				return nil, err
			}
		}
		k := c.ForeignKeyByName(ref.Name)
		if k < 0 {
			continue
		}
		fk := &c.ForeignKeys[k]
		in := &FKIn{FK: fk, Parent: d, PCols: ordinals(d, fk.RefColumns), Child: c, CCodec: catalog.NewRowCodec(c),
			CCols: ordinals(c, fk.Columns), Index: prefixIndexOn(c, fk.Columns)}
		if ix := UniqueIndexOn(d, fk.RefColumns); ix != nil {
			in.Lookup = &FKOut{FK: fk, Table: d, Cols: in.PCols, Parent: d, PCodec: catalog.NewRowCodec(d), PCols: in.PCols, Index: ix}
		}
		if fk.OnDelete == catalog.FKCascade || fk.OnUpdate == catalog.FKCascade || fk.OnDelete == catalog.FKSetNull || fk.OnUpdate == catalog.FKSetNull {
			if _, err := b.fkIn(c, memo); err != nil {
				return nil, err
			}
			in.ChildIn = memo[c.ID]
		}
		*list = append(*list, in)
	}
	return *list, nil
}

// BindForeignKeys binds the foreign keys of table d (in its order).
func (b *Binder) BindForeignKeys(d *catalog.Descriptor) ([]*FKOut, error) { return b.fkOut(d) }
