package rowenc

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/types"
)

func seededRand(t testing.TB) *rand.Rand {
	seed := time.Now().UnixNano()
	if s := os.Getenv("TESSERA_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseInt(s, 10, 64)
		require.NoError(t, err)
	}
	t.Logf("seed %d (replay with TESSERA_SEED=%d)", seed, seed)
	return rand.New(rand.NewSource(seed))
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// cmpNull orders with NULL per dir (ascending sense) then types order.
func cmpWithNulls(t *testing.T, typ *types.T, a, b types.Datum, nullsFirst bool) int {
	an, bn := types.IsNull(a), types.IsNull(b)
	switch {
	case an && bn:
		return 0
	case an:
		if nullsFirst {
			return -1
		}
		return 1
	case bn:
		if nullsFirst {
			return 1
		}
		return -1
	}
	c, err := types.CompareTyped(typ, a, b)
	require.NoError(t, err)
	return c
}

func show(typ *types.T, d types.Datum) string { return types.FormatText(typ, d, nil) }

func indexableTypes(rng *rand.Rand, n int) []*types.T {
	var ts []*types.T
	for _, t := range types.Scalars {
		if Indexable(t) {
			ts = append(ts, t)
		}
	}
	for len(ts) < n {
		if t := types.RandType(rng, false); Indexable(t) {
			ts = append(ts, t)
		}
	}
	return ts
}

// TestKeyOrderProperty: for random values of every indexable type, the
// byte order of the key encoding equals the Datum order, ascending and
// descending, with both NULL placements, and keys decode back to an equal
// value (the identical one for non-composite types).
func TestKeyOrderProperty(t *testing.T) {
	rng := seededRand(t)
	dirs := []KeyDir{Asc, Desc, {Descending: false, NullsFirst: true}, {Descending: true, NullsFirst: false}}
	for _, typ := range indexableTypes(rng, 60) {
		vals := make([]types.Datum, 40)
		for i := range vals {
			vals[i] = types.RandDatum(rng, typ, 10)
		}
		for _, dir := range dirs {
			keys := make([][]byte, len(vals))
			for i, v := range vals {
				k, err := EncodeKey(nil, typ, v, dir)
				require.NoError(t, err, "%s %s", typ, show(typ, v))
				keys[i] = k
				back, rest, err := DecodeKey(k, typ, dir)
				require.NoError(t, err, "%s %s %x", typ, show(typ, v), k)
				require.Empty(t, rest)
				require.Equal(t, 0, cmpWithNulls(t, typ, v, back, true), "%s: %s decoded as %s", typ, show(typ, v), show(typ, back))
				if !IsComposite(typ) {
					require.Equal(t, show(typ, v), show(typ, back), "%s round trip", typ)
				}
			}
			for i := range vals {
				for j := range vals {
					want := cmpWithNulls(t, typ, vals[i], vals[j], dir.NullsFirst != dir.Descending)
					if dir.Descending {
						want = -want
					}
					got := sign(bytes.Compare(keys[i], keys[j]))
					require.Equal(t, want, got, "%s %+v: %s vs %s: keys %x %x", typ, dir, show(typ, vals[i]), show(typ, vals[j]), keys[i], keys[j])
				}
			}
		}
	}
}

// TestCompositeKeyOrder: tuples of columns with mixed directions sort
// lexicographically by column.
func TestCompositeKeyOrder(t *testing.T) {
	rng := seededRand(t)
	for round := 0; round < 30; round++ {
		ncol := 1 + rng.Intn(3)
		typs := indexableTypes(rng, 0)
		cols := make([]*types.T, ncol)
		dirs := make([]KeyDir, ncol)
		for i := range cols {
			cols[i] = typs[rng.Intn(len(typs))]
			dirs[i] = []KeyDir{Asc, Desc}[rng.Intn(2)]
		}
		rows := make([][]types.Datum, 40)
		keys := make([][]byte, len(rows))
		for r := range rows {
			rows[r] = make([]types.Datum, ncol)
			var k []byte
			for c := range cols {
				// few distinct values so that earlier columns tie
				rows[r][c] = types.RandDatum(rng, cols[c], 20)
				if r > 0 && rng.Intn(2) == 0 {
					rows[r][c] = rows[rng.Intn(r)][c]
				}
				var err error
				k, err = EncodeKey(k, cols[c], rows[r][c], dirs[c])
				require.NoError(t, err)
			}
			keys[r] = k
			// decode the whole tuple back
			rest := k
			for c := range cols {
				var d types.Datum
				var err error
				d, rest, err = DecodeKey(rest, cols[c], dirs[c])
				require.NoError(t, err)
				require.Equal(t, 0, cmpWithNulls(t, cols[c], d, rows[r][c], true))
			}
			require.Empty(t, rest)
		}
		for i := range rows {
			for j := range rows {
				want := 0
				for c := range cols {
					x := cmpWithNulls(t, cols[c], rows[i][c], rows[j][c], dirs[c].NullsFirst != dirs[c].Descending)
					if dirs[c].Descending {
						x = -x
					}
					if x != 0 {
						want = x
						break
					}
				}
				require.Equal(t, want, sign(bytes.Compare(keys[i], keys[j])))
			}
		}
	}
}

func parse(t *testing.T, typ *types.T, s string) types.Datum {
	t.Helper()
	if s == "NULL" {
		return types.Null
	}
	d, err := types.ParseText(typ, s, nil)
	require.NoError(t, err, "%s %q", typ, s)
	return d
}

func mk(t *types.T, err error) *types.T {
	if err != nil {
		panic(err)
	}
	return t
}

// TestKeyEdgeCases lists values in ascending order per type (a "=" entry
// must encode equal to the one before it).
func TestKeyEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		typ  *types.T
		vals []string
	}{
		{types.Int8, []string{"-9223372036854775808", "-1", "0", "1", "9223372036854775807", "NULL"}},
		{types.Int2, []string{"-32768", "0", "32767"}},
		{types.Float8, []string{"-Infinity", "-1e308", "-1", "-5e-324", "-0", "=0", "5e-324", "1", "1e308", "Infinity", "NaN", "NULL"}},
		{types.Float4, []string{"-Infinity", "-3.4028235e+38", "-0", "=0", "1e-45", "Infinity", "NaN"}},
		{types.Numeric, []string{"-Infinity", "-1e100", "-100", "-99.99", "-1.5", "-1.05", "-1", "-0.001", "0", "=0.000", "=-0", "0.001", "0.1", "=0.10", "0.10001", "1", "=1.00", "1.05", "1.5", "9", "10", "99.99", "100", "1e100", "Infinity", "NaN", "NULL"}},
		{types.String, []string{"", "\u0001", "a", "a\u0001", "aa", "ab", "b", "é"}},
		{types.Bytes, []string{`\x`, `\x00`, `\x0000`, `\x0001`, `\x01`, `\xff`, `\xff00`, `\xffff`}},
		{mk(types.MakeChar(4)), []string{"", "=    ", "a", "=a  ", "a b", "ab"}},
		{types.BPChar, []string{"a", "=a   ", "ab"}},
		{types.Bool, []string{"f", "t", "NULL"}},
		{types.Date, []string{"-infinity", "4713-11-24 BC", "0001-12-31 BC", "0001-01-01", "1999-12-31", "2000-01-01", "5874897-12-31", "infinity"}},
		{types.Time, []string{"00:00:00", "00:00:00.000001", "12:00:00", "23:59:59.999999", "24:00:00"}},
		{types.Timestamp, []string{"-infinity", "4713-11-24 00:00:00 BC", "1999-12-31 23:59:59.999999", "2000-01-01 00:00:00", "294276-12-31 23:59:59.999999", "infinity"}},
		{types.TimestampTZ, []string{"-infinity", "2000-01-01 00:00:00+01", "=1999-12-31 23:00:00+00", "2000-01-01 00:00:00+00", "infinity"}},
		{types.Interval, []string{"-178956970 years -8 mons -2147483648 days -2562047788:00:54.775807", "-1 mon", "=-30 days", "=-720:00:00", "-1 days", "-00:00:00.000001", "00:00:00", "=0 days", "1 day", "=24:00:00", "29 days 23:59:59", "1 mon", "=30 days", "1 mon 00:00:00.000001", "1 year", "=360 days", "178956970 years 7 mons 2147483647 days 2562047788:00:54.775807"}},
		{types.UUID, []string{"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000001", "ffffffff-ffff-ffff-ffff-ffffffffffff"}},
		{types.JSONB, []string{"[]", "null", `""`, `"a"`, `"a\u0001"`, `"b"`, "-1", "0", "=0.0", "1", "false", "true", "[null]", "[1]", "[1, 2]", "{}", `{"b": 1}`, `{"a": 1, "b": 1}`, `{"a": 1, "b": 2}`, `{"b": 1, "aa": 1}`}},
		{mk(types.MakeArray(types.Int4)), []string{"{}", "{1}", "{1,2}", "{1,NULL}", "{2}", "{NULL}", "{NULL,1}"}},
		{mk(types.MakeArray(types.String)), []string{"{}", `{""}`, `{"",""}`, "{a}", "{a,b}", `{"a\u0001"}`, "{b}"}},
	} {
		var prev []byte
		for i, s := range tc.vals {
			eq := len(s) > 1 && s[0] == '=' || s == "="
			if eq {
				s = s[1:]
			}
			d := parse(t, tc.typ, s)
			for _, dir := range []KeyDir{Asc, Desc} {
				k, err := EncodeKey(nil, tc.typ, d, dir)
				require.NoError(t, err)
				back, _, err := DecodeKey(k, tc.typ, dir)
				require.NoError(t, err)
				c, _ := types.CompareTyped(tc.typ, d, back)
				if !types.IsNull(d) {
					require.Equal(t, 0, c, "%s %q", tc.typ, s)
				}
			}
			k, err := EncodeKey(nil, tc.typ, d, Asc)
			require.NoError(t, err)
			if i > 0 {
				if eq {
					require.Equal(t, prev, k, "%s: %q must encode like its predecessor", tc.typ, s)
				} else {
					require.Equal(t, -1, bytes.Compare(prev, k), "%s: %q must sort after %q", tc.typ, s, tc.vals[i-1])
				}
			}
			prev = k
		}
	}
	// desc puts NULL first, asc last (PostgreSQL's defaults)
	kNull, _ := EncodeKey(nil, types.Int4, types.Null, Desc)
	kMax, _ := EncodeKey(nil, types.Int4, types.DInt(math.MaxInt32), Desc)
	require.Equal(t, -1, bytes.Compare(kNull, kMax))
	// canonical decode of composite values
	for _, tc := range []struct {
		typ     *types.T
		in, out string
	}{
		{types.Numeric, "1.500", "1.5"}, {types.Numeric, "-0.00", "0"}, {types.Numeric, "1e5", "100000"},
		{types.Float8, "-0", "0"}, {types.Interval, "1 mon", "1 mon"}, {types.Interval, "45 days", "1 mon 15 days"},
		{types.Interval, "-1 day", "-1 days"}, {types.Interval, "-00:00:01", "-1 days +23:59:59"},
		{types.JSONB, `{"a": 1.50}`, `{"a": 1.5}`}, {types.BPChar, "ab  ", "ab"},
		{mk(types.MakeChar(3)), "a", "a  "},
	} {
		k, err := EncodeKey(nil, tc.typ, parse(t, tc.typ, tc.in), Asc)
		require.NoError(t, err)
		back, _, err := DecodeKey(k, tc.typ, Asc)
		require.NoError(t, err)
		require.Equal(t, tc.out, show(tc.typ, back), "%s %q", tc.typ, tc.in)
	}
}

func TestKeyErrors(t *testing.T) {
	_, err := EncodeKey(nil, types.JSON, types.DJSON("1"), Asc)
	require.ErrorIs(t, err, ErrNotIndexable)
	_, err = EncodeKey(nil, types.Int4, types.DString("x"), Asc)
	require.ErrorIs(t, err, ErrTypeMismatch)
	// NULL encoded NULLS LAST does not decode as NULLS FIRST
	k, _ := EncodeKey(nil, types.Int4, types.Null, Asc)
	_, _, err = DecodeKey(k, types.Int4, Desc)
	require.ErrorIs(t, err, ErrCorrupt)
	for _, tc := range []struct {
		typ *types.T
		b   []byte
	}{
		{types.Int8, nil},
		{types.Int8, []byte{7}},
		{types.Int8, []byte{1, 0, 0}},
		{types.Int2, append([]byte{1}, 0x80, 0, 0, 0, 0, 1, 0, 0)}, // 65536: out of range for int2
		{types.Bool, []byte{1, 2}},
		{types.String, []byte{1, 'a'}},
		{types.String, []byte{1, 'a', 0, 7}},
		{types.String, []byte{1, 0xff, 0, 1}},
		{types.Numeric, []byte{1, 9}},
		{types.Numeric, []byte{1, decPos, 0x80, 0, 0, 1, 200, 0}},
		{types.Numeric, []byte{1, decPos, 0x80, 0, 0, 1, 1, 0}}, // only zero digits
		{types.Time, append([]byte{1}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)},
		{types.JSONB, []byte{1, 9}},
		{types.JSONB, []byte{1, jsonKeyArray, 0xff, 0xff, 0xff, 0xff}},
		{types.JSONB, []byte{1, jsonKeyObject, 0, 0, 0, 2, 'b', 0, 1, jsonKeyNull, 'a', 0, 1, jsonKeyNull}},
		{mk(types.MakeArray(types.Int4)), []byte{1, 0x01}},
		{mk(types.MakeArray(types.Int4)), []byte{1, 0x05}},
		{mk(types.MakeChar(2)), []byte{1, 'a', 'b', 'c', 0, 1}},
	} {
		_, _, err := DecodeKey(tc.b, tc.typ, Asc)
		require.ErrorIs(t, err, ErrCorrupt, "%s %x", tc.typ, tc.b)
	}
}

// TestValueRoundTrip encodes random rows and decodes them exactly, with
// dropped columns skipped and added ones NULL.
func TestValueRoundTrip(t *testing.T) {
	rng := seededRand(t)
	for round := 0; round < 300; round++ {
		n := rng.Intn(8)
		cols := make([]ValueColumn, n)
		vals := make([]types.Datum, n)
		id := ColumnID(0)
		for i := range cols {
			id += ColumnID(1 + rng.Intn(300))
			cols[i] = ValueColumn{ID: id, Type: types.RandType(rng, true)}
			vals[i] = types.RandDatum(rng, cols[i].Type, 20)
		}
		b, err := EncodeValue(nil, cols, vals)
		require.NoError(t, err)
		out := make([]types.Datum, n)
		require.NoError(t, DecodeValue(b, cols, out))
		for i := range cols {
			require.Equal(t, show(cols[i].Type, vals[i]), show(cols[i].Type, out[i]), "%s", cols[i].Type)
			if f, ok := vals[i].(types.DFloat); ok {
				require.Equal(t, math.Float64bits(float64(f)), math.Float64bits(float64(out[i].(types.DFloat))))
			}
		}
		ids, err := ValueColumnIDs(b)
		require.NoError(t, err)
		var nonNull []ColumnID
		for i, c := range cols {
			if !types.IsNull(vals[i]) {
				nonNull = append(nonNull, c.ID)
			}
		}
		require.Equal(t, nonNull, ids)
		// The schema after DROP COLUMN of some columns and ADD COLUMN of new ones.
		var later []ValueColumn
		var want []string
		for i, c := range cols {
			if rng.Intn(3) == 0 {
				continue // dropped
			}
			later = append(later, c)
			want = append(want, show(c.Type, vals[i]))
		}
		later = append(later, ValueColumn{ID: id + 1, Type: types.Int8}, ValueColumn{ID: id + 7, Type: types.String})
		want = append(want, "NULL", "NULL")
		out = make([]types.Datum, len(later))
		require.NoError(t, DecodeValue(b, later, out))
		for i := range later {
			require.Equal(t, want[i], show(later[i].Type, out[i]))
		}
	}
}

func TestValueErrors(t *testing.T) {
	cols := []ValueColumn{{ID: 1, Type: types.Int4}, {ID: 2, Type: types.String}}
	_, err := EncodeValue(nil, []ValueColumn{{ID: 2, Type: types.Int4}, {ID: 2, Type: types.Int4}}, []types.Datum{types.DInt(1), types.DInt(2)})
	require.Error(t, err)
	_, err = EncodeValue(nil, cols, []types.Datum{types.DString("x"), types.Null})
	require.ErrorIs(t, err, ErrTypeMismatch)
	good, err := EncodeValue(nil, cols, []types.Datum{types.DInt(5), types.DString("hello")})
	require.NoError(t, err)
	out := make([]types.Datum, 2)
	for _, b := range [][]byte{
		{0},                   // zero delta
		{1},                   // no tag
		{1, 0x7f},             // unknown tag
		{1, tagBytes, 5, 'a'}, // short payload
		{1, tagInt, 0x80},     // bad varint
		{1, tagBytes, 1, 'x'}, // wrong tag for int4
		{1, tagInt, 0xfe, 0xff, 0xff, 0xff, 0x1f}, // out of int4 range
		good[:len(good)-1],
		{2, tagBytes, 1, 0xff}, // invalid utf-8
	} {
		err := DecodeValue(b, cols, out)
		require.ErrorIs(t, err, ErrCorrupt, "%x", b)
	}
}

// decoderTypes are the types the fuzz target decodes with.
var decoderTypes = []*types.T{types.Bool, types.Int2, types.Int8, types.Float4, types.Float8, types.Numeric,
	mk(types.MakeNumeric(6, 2)), types.String, mk(types.MakeVarChar(3)), mk(types.MakeChar(3)), types.Bytes,
	types.Date, types.Time, types.Timestamp, types.TimestampTZ, types.Interval, types.UUID, types.JSONB, types.JSON,
	mk(types.MakeArray(types.Int4)), mk(types.MakeArray(types.String)), mk(types.MakeArray(types.JSONB))}

// FuzzDecoders feeds garbage to the key and value decoders: they must
// return a value or an error, never panic, and a key that decodes must
// re-encode to the bytes it was decoded from when the type is not
// composite.
func FuzzDecoders(f *testing.F) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 60; i++ {
		ti := rng.Intn(len(decoderTypes))
		typ := decoderTypes[ti]
		d := types.RandDatum(rng, typ, 10)
		if Indexable(typ) {
			k, _ := EncodeKey(nil, typ, d, Asc)
			f.Add(k, byte(ti), byte(0))
		}
		v, _ := EncodeValue(nil, []ValueColumn{{ID: 3, Type: typ}}, []types.Datum{d})
		f.Add(v, byte(ti), byte(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, ti byte, mode byte) {
		typ := decoderTypes[int(ti)%len(decoderTypes)]
		switch mode % 3 {
		case 0, 1:
			dir := []KeyDir{Asc, Desc}[mode%2]
			d, rest, err := DecodeKey(data, typ, dir)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotIndexable) {
					t.Fatalf("untyped error %v", err)
				}
				return
			}
			k, err := EncodeKey(nil, typ, d, dir)
			if err != nil {
				t.Fatalf("decoded %v does not re-encode: %v", d, err)
			}
			if !IsComposite(typ) && !bytes.Equal(k, data[:len(data)-len(rest)]) && typ.Family != types.StringFamily {
				t.Fatalf("%s: %x decoded to %s re-encodes as %x", typ, data, show(typ, d), k)
			}
		default:
			out := make([]types.Datum, 2)
			err := DecodeValue(data, []ValueColumn{{ID: 3, Type: typ}, {ID: 9, Type: types.Int8}}, out)
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("untyped error %v", err)
			}
			_, _ = ValueColumnIDs(data)
		}
	})
}

// benchRow is a typical 5-column row: id INT8 PRIMARY KEY, name
// VARCHAR(40), qty INT4, price NUMERIC(10,2), created TIMESTAMPTZ.
func benchRow(b *testing.B) ([]ValueColumn, []types.Datum, types.Datum) {
	name := mk(types.MakeVarChar(40))
	price := mk(types.MakeNumeric(10, 2))
	p, err := types.ParseText(price, "1234.56", nil)
	require.NoError(b, err)
	ts, err := types.ParseText(types.TimestampTZ, "2024-01-02 03:04:05.123456+00", nil)
	require.NoError(b, err)
	cols := []ValueColumn{{ID: 2, Type: name}, {ID: 3, Type: types.Int4}, {ID: 4, Type: price}, {ID: 5, Type: types.TimestampTZ}}
	vals := []types.Datum{types.DString("widget, blue, large"), types.DInt(42), p, ts}
	return cols, vals, types.DInt(1234567)
}

func BenchmarkEncodeRow(b *testing.B) {
	cols, vals, pk := benchRow(b)
	var key, val []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var err error
		key, err = EncodeKey(key[:0], types.Int8, pk, Asc)
		if err != nil {
			b.Fatal(err)
		}
		val, err = EncodeValue(val[:0], cols, vals)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(key)+len(val)), "bytes/row")
}

func BenchmarkDecodeRow(b *testing.B) {
	cols, vals, pk := benchRow(b)
	key, err := EncodeKey(nil, types.Int8, pk, Asc)
	require.NoError(b, err)
	val, err := EncodeValue(nil, cols, vals)
	require.NoError(b, err)
	out := make([]types.Datum, len(cols))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := DecodeKey(key, types.Int8, Asc); err != nil {
			b.Fatal(err)
		}
		if err := DecodeValue(val, cols, out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeKeyString(b *testing.B) {
	d := types.DString("customer-000123456")
	var k []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		k, _ = EncodeKey(k[:0], types.String, d, Desc)
	}
	_ = fmt.Sprint(len(k))
}
