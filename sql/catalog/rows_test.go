package catalog

import (
	"bytes"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/types"
)

func testDesc() *Descriptor {
	return &Descriptor{ID: 52, Kind: KindTable, Name: "t", NextColumnID: 4, NextIndexID: 3,
		Columns: []Column{
			{ID: 1, Name: "a", Type: types.Numeric},
			{ID: 2, Name: "b", Type: types.String, Nullable: true},
			{ID: 3, Name: "c", Type: types.Int8, Nullable: true},
		},
		Primary: &Index{ID: 1, Name: "t_pkey", Unique: true, ColumnIDs: []ColumnID{1}},
		Indexes: []Index{{ID: 2, Name: "t_c", ColumnIDs: []ColumnID{3, 2}, Desc: []bool{true, false}}},
	}
}

func dec(s string) types.Datum {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return types.NewDecimal(d)
}

func TestRowCodecRoundTrip(t *testing.T) {
	d := testDesc()
	require.NoError(t, d.Validate())
	rc := NewRowCodec(d)
	// 1.50 is composite: the key holds a canonical form, the value the exact one.
	row := []types.Datum{dec("1.50"), types.DString("x"), types.Null}
	k, err := rc.PrimaryKey(row)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(k, IndexPrefix(52, 1)))
	v, err := rc.PrimaryValue(row)
	require.NoError(t, err)
	out := make([]types.Datum, 3)
	require.NoError(t, rc.DecodePrimary(k, v, out))
	require.Equal(t, "1.50", types.FormatText(types.Numeric, out[0], nil))
	require.Equal(t, types.DString("x"), out[1])
	require.True(t, types.IsNull(out[2]))

	ik, plen, hasNull, err := rc.IndexKey(&d.Indexes[0], row)
	require.NoError(t, err)
	require.True(t, hasNull)
	require.Less(t, plen, len(ik))
	pk, err := rc.PrimaryKeyFromIndex(&d.Indexes[0], ik)
	require.NoError(t, err)
	require.Equal(t, k, pk)

	// Descending index column: larger values sort first.
	k5, _, _, err := rc.IndexKey(&d.Indexes[0], []types.Datum{dec("1"), types.DString("x"), types.DInt(5)})
	require.NoError(t, err)
	k9, _, _, err := rc.IndexKey(&d.Indexes[0], []types.Datum{dec("1"), types.DString("x"), types.DInt(9)})
	require.NoError(t, err)
	require.Less(t, bytes.Compare(k9, k5), 0)
}

func TestUniqueRowIDs(t *testing.T) {
	seen := map[int64]bool{}
	prev := int64(-1)
	monotone := true
	for i := 0; i < 1000; i++ {
		id := UniqueRowID(3)
		require.Positive(t, id)
		require.False(t, seen[id])
		seen[id] = true
		if id < prev {
			monotone = false
		}
		prev = id
	}
	require.False(t, monotone, "consecutive row IDs must scatter, not increase")
}

func TestValidateRejectsBadIndex(t *testing.T) {
	d := testDesc()
	d.Indexes[0].ColumnIDs = []ColumnID{9}
	require.Error(t, d.Validate())
}
