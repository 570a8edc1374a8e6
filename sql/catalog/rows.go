package catalog

import (
	"fmt"
	"math/bits"
	"sort"
	"sync"
	"time"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/sql/rowenc"
	"github.com/tesseradb/tessera/sql/types"
)

// sentinel starts every row value and index entry value, so that no
// stored value is empty.
const sentinel = 0x01

// IndexPrefix is the key prefix of an index's entries.
func IndexPrefix(table ID, index IndexID) []byte {
	b := append([]byte{}, keys.TablePrefix...)
	b, _ = rowenc.EncodeKey(b, types.Int8, types.DInt(table), rowenc.Asc)
	b, _ = rowenc.EncodeKey(b, types.Int8, types.DInt(index), rowenc.Asc)
	return b
}

// TablePrefix is the key prefix of all of a table's indexes.
func TablePrefix(table ID) []byte {
	b := append([]byte{}, keys.TablePrefix...)
	b, _ = rowenc.EncodeKey(b, types.Int8, types.DInt(table), rowenc.Asc)
	return b
}

// RowCodec encodes and decodes the rows of one table version. Rows are
// []types.Datum parallel to Descriptor.Columns.
type RowCodec struct {
	Desc      *Descriptor
	pkOrd     []int // ordinals of PK columns
	valCols   []rowenc.ValueColumn
	valOrd    []int
	pkPrefix  []byte
	idxPrefix map[IndexID][]byte
}

// NewRowCodec builds a codec for a table descriptor.
func NewRowCodec(d *Descriptor) *RowCodec {
	rc := &RowCodec{Desc: d, idxPrefix: map[IndexID][]byte{}}
	inPK := map[ColumnID]bool{}
	for _, id := range d.Primary.ColumnIDs {
		rc.pkOrd = append(rc.pkOrd, d.ColumnOrdinal(id))
		inPK[id] = true
	}
	type vc struct {
		c   rowenc.ValueColumn
		ord int
	}
	var vcs []vc
	for i, c := range d.Columns {
		if !inPK[c.ID] || rowenc.IsComposite(c.Type) {
			vcs = append(vcs, vc{rowenc.ValueColumn{ID: c.ID, Type: c.Type}, i})
		}
	}
	sort.Slice(vcs, func(a, b int) bool { return vcs[a].c.ID < vcs[b].c.ID })
	for _, v := range vcs {
		rc.valCols = append(rc.valCols, v.c)
		rc.valOrd = append(rc.valOrd, v.ord)
	}
	for _, ix := range d.AllIndexes() {
		rc.idxPrefix[ix.ID] = IndexPrefix(d.ID, ix.ID)
	}
	rc.pkPrefix = rc.idxPrefix[d.Primary.ID]
	return rc
}

// PKOrdinals are the column ordinals of the primary key.
func (rc *RowCodec) PKOrdinals() []int { return rc.pkOrd }

// Prefix is the key prefix of index id.
func (rc *RowCodec) Prefix(id IndexID) []byte { return rc.idxPrefix[id] }

func dir(ix *Index, i int) rowenc.KeyDir {
	if i < len(ix.Desc) && ix.Desc[i] {
		return rowenc.Desc
	}
	return rowenc.Asc
}

// PrimaryKey encodes the row's primary key.
func (rc *RowCodec) PrimaryKey(row []types.Datum) ([]byte, error) {
	k := append([]byte{}, rc.pkPrefix...)
	var err error
	for i, o := range rc.pkOrd {
		if k, err = rowenc.EncodeKey(k, rc.Desc.Columns[o].Type, row[o], dir(rc.Desc.Primary, i)); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// PrimaryValue encodes the row's value.
func (rc *RowCodec) PrimaryValue(row []types.Datum) ([]byte, error) {
	vals := make([]types.Datum, len(rc.valOrd))
	for i, o := range rc.valOrd {
		vals[i] = row[o]
	}
	return rowenc.EncodeValue([]byte{sentinel}, rc.valCols, vals)
}

// IndexKey encodes a secondary index entry: index columns, then the PK
// columns. hasNull reports a NULL among the index columns. key is nil when
// the row has no entry (a partial index whose predicate is not true).
func (rc *RowCodec) IndexKey(ix *Index, row []types.Datum) (key []byte, prefixLen int, hasNull bool, err error) {
	if ix.Where != 0 {
		if b, ok := row[rc.Desc.ColumnOrdinal(ix.Where)].(types.DBool); !ok || !bool(b) {
			return nil, 0, false, nil // not in the partial index
		}
	}
	k := append([]byte{}, rc.idxPrefix[ix.ID]...)
	for i, id := range ix.ColumnIDs {
		o := rc.Desc.ColumnOrdinal(id)
		if types.IsNull(row[o]) {
			hasNull = true
		}
		if k, err = rowenc.EncodeKey(k, rc.Desc.Columns[o].Type, row[o], dir(ix, i)); err != nil {
			return nil, 0, false, err
		}
	}
	prefixLen = len(k)
	for i, o := range rc.pkOrd {
		if k, err = rowenc.EncodeKey(k, rc.Desc.Columns[o].Type, row[o], dir(rc.Desc.Primary, i)); err != nil {
			return nil, 0, false, err
		}
	}
	return k, prefixLen, hasNull, nil
}

// KeyPrefix encodes the index prefix of ix (the primary index or a
// secondary one) followed by the row's values of its first n columns.
func (rc *RowCodec) KeyPrefix(ix *Index, row []types.Datum, n int) ([]byte, error) {
	k := append([]byte{}, rc.idxPrefix[ix.ID]...)
	var err error
	for i, id := range ix.ColumnIDs[:n] {
		o := rc.Desc.ColumnOrdinal(id)
		if k, err = rowenc.EncodeKey(k, rc.Desc.Columns[o].Type, row[o], dir(ix, i)); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// IndexValue is the value of a secondary index entry.
func IndexValue() []byte { return []byte{sentinel} }

// DecodePrimary decodes a primary index entry into row (len = columns).
func (rc *RowCodec) DecodePrimary(key, value []byte, row []types.Datum) error {
	if len(value) == 0 || value[0] != sentinel {
		return fmt.Errorf("catalog: %w: row value without sentinel", rowenc.ErrCorrupt)
	}
	b := key[len(rc.pkPrefix):]
	for i := range row {
		row[i] = types.Null
	}
	for i, o := range rc.pkOrd {
		d, rest, err := rowenc.DecodeKey(b, rc.Desc.Columns[o].Type, dir(rc.Desc.Primary, i))
		if err != nil {
			return err
		}
		row[o], b = d, rest
	}
	vals := make([]types.Datum, len(rc.valCols))
	if err := rowenc.DecodeValue(value[1:], rc.valCols, vals); err != nil {
		return err
	}
	for i, o := range rc.valOrd {
		if !types.IsNull(vals[i]) || !rc.isPK(o) {
			row[o] = vals[i]
		}
	}
	return nil
}

// RowDecoder decodes primary index entries into rows of which only some
// columns are wanted (a scan's needed columns): the others are left NULL
// and their values skipped undecoded.
type RowDecoder struct {
	rc      *RowCodec
	pkWant  []bool // parallel to rc.pkOrd
	valCols []rowenc.ValueColumn
	valOrd  []int
}

// Decoder returns a decoder of the columns want marks (parallel to
// Desc.Columns); nil wants all.
func (rc *RowCodec) Decoder(want []bool) *RowDecoder {
	w := func(o int) bool { return want == nil || (o < len(want) && want[o]) }
	n := 0
	for _, o := range rc.valOrd {
		if w(o) {
			n++
		}
	}
	// Built per scan: the value-column lists at their size (appending
	// from nil grew each of them once per column).
	d := &RowDecoder{rc: rc, pkWant: make([]bool, len(rc.pkOrd)),
		valCols: make([]rowenc.ValueColumn, 0, n), valOrd: make([]int, 0, n)}
	for i, o := range rc.pkOrd {
		d.pkWant[i] = w(o)
	}
	for i, o := range rc.valOrd {
		if w(o) {
			d.valCols = append(d.valCols, rc.valCols[i])
			d.valOrd = append(d.valOrd, o)
		}
	}
	return d
}

// Decode decodes a primary index entry into row (len = columns): the
// wanted columns, NULL for the others.
func (d *RowDecoder) Decode(key, value []byte, row []types.Datum) error {
	rc := d.rc
	if len(value) == 0 || value[0] != sentinel {
		return fmt.Errorf("catalog: %w: row value without sentinel", rowenc.ErrCorrupt)
	}
	for i := range row {
		row[i] = types.Null
	}
	b := key[len(rc.pkPrefix):]
	last := -1
	for i, want := range d.pkWant {
		if want {
			last = i
		}
	}
	for i := 0; i <= last; i++ {
		o := rc.pkOrd[i]
		v, rest, err := rowenc.DecodeKey(b, rc.Desc.Columns[o].Type, dir(rc.Desc.Primary, i))
		if err != nil {
			return err
		}
		if d.pkWant[i] {
			row[o] = v
		}
		b = rest
	}
	if len(d.valCols) == 0 {
		return nil
	}
	// a value holds no NULLs, so a composite key column's value (present
	// when not NULL) replaces its key decoding, as in DecodePrimary
	return rowenc.DecodeValueInto(value[1:], d.valCols, d.valOrd, row)
}

func (rc *RowCodec) isPK(o int) bool {
	for _, p := range rc.pkOrd {
		if p == o {
			return true
		}
	}
	return false
}

// PrimaryKeyFromIndex returns the primary key of the row an index entry
// points at.
func (rc *RowCodec) PrimaryKeyFromIndex(ix *Index, key []byte) ([]byte, error) {
	b := key[len(rc.idxPrefix[ix.ID]):]
	for i, id := range ix.ColumnIDs {
		o := rc.Desc.ColumnOrdinal(id)
		_, rest, err := rowenc.DecodeKey(b, rc.Desc.Columns[o].Type, dir(ix, i))
		if err != nil {
			return nil, err
		}
		b = rest
	}
	return append(append([]byte{}, rc.pkPrefix...), b...), nil
}

var rowIDState struct {
	sync.Mutex
	last uint64
}

// UniqueRowID returns an ID unique on this node (a microsecond clock
// ratcheted forward, with the node ID in the low bits) bit-reversed so that
// consecutive IDs land far apart in the key space. It is always positive.
func UniqueRowID(node uint32) int64 {
	rowIDState.Lock()
	now := uint64(time.Now().UnixMicro())<<10 | uint64(node&1023)
	if now <= rowIDState.last {
		now = rowIDState.last + 1024
	}
	rowIDState.last = now
	rowIDState.Unlock()
	// u has bit 0 clear, so after reversal bit 63 is clear: positive, and
	// reversal is a bijection, so IDs stay unique.
	u := (now << 1) & (1<<63 - 1) << 0
	return int64(bits.Reverse64(u))
}
