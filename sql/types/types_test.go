package types

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/parser/pgdialect"
)

func mustT(t *T, err error) *T {
	if err != nil {
		panic(err)
	}
	return t
}

func TestTypeNamesOIDsTypmods(t *testing.T) {
	for _, tc := range []struct {
		typ    *T
		name   string
		oid    OID
		typmod int32
		size   int16
	}{
		{Bool, "boolean", 16, -1, 1},
		{Int2, "smallint", 21, -1, 2},
		{Int4, "integer", 23, -1, 4},
		{Int8, "bigint", 20, -1, 8},
		{Float4, "real", 700, -1, 4},
		{Float8, "double precision", 701, -1, 8},
		{Numeric, "numeric", 1700, -1, -1},
		{mustT(MakeNumeric(10, 2)), "numeric(10,2)", 1700, 10<<16 | 2 + 4, -1},
		{String, "text", 25, -1, -1},
		{VarCharAny, "character varying", 1043, -1, -1},
		{mustT(MakeVarChar(20)), "character varying(20)", 1043, 24, -1},
		{mustT(MakeChar(3)), "character(3)", 1042, 7, -1},
		{BPChar, "bpchar", 1042, -1, -1},
		{Bytes, "bytea", 17, -1, -1},
		{Date, "date", 1082, -1, 4},
		{Time, "time without time zone", 1083, -1, 8},
		{mustT(MakeTimeType(TimeFamily, 3)), "time(3) without time zone", 1083, 3, 8},
		{Timestamp, "timestamp without time zone", 1114, -1, 8},
		{TimestampTZ, "timestamp with time zone", 1184, -1, 8},
		{mustT(MakeTimeType(TimestampTZFamily, 0)), "timestamp(0) with time zone", 1184, 0, 8},
		{Interval, "interval", 1186, -1, 16},
		{UUID, "uuid", 2950, -1, 16},
		{JSONB, "jsonb", 3802, -1, -1},
		{JSON, "json", 114, -1, -1},
		{mustT(MakeArray(Int4)), "integer[]", 1007, -1, -1},
		{mustT(MakeArray(mustT(MakeVarChar(10)))), "character varying(10)[]", 1015, 14, -1},
		{mustT(MakeArray(Timestamp)), "timestamp without time zone[]", 1115, -1, -1},
	} {
		require.Equal(t, tc.name, tc.typ.String())
		require.Equal(t, tc.oid, tc.typ.OID(), tc.name)
		require.Equal(t, tc.typmod, tc.typ.Typmod(), tc.name)
		require.Equal(t, tc.size, tc.typ.Size(), tc.name)
		if tc.typ.Typmod() == -1 {
			back, ok := FromOID(tc.oid)
			require.True(t, ok, tc.name)
			require.Equal(t, tc.oid, back.OID())
		}
	}
	_, ok := FromOID(99999)
	require.False(t, ok)
}

func TestFromPG(t *testing.T) {
	for _, tc := range []struct {
		in   pgdialect.Type
		want string
		code string
	}{
		{pgdialect.Type{Name: "int4"}, "integer", ""},
		{pgdialect.Type{Name: "serial8"}, "bigint", ""},
		{pgdialect.Type{Name: "numeric", Mods: []int{10, 2}}, "numeric(10,2)", ""},
		{pgdialect.Type{Name: "numeric", Mods: []int{5}}, "numeric(5,0)", ""},
		{pgdialect.Type{Name: "numeric", Mods: []int{0}}, "", CodeInvalidParameterValue},
		{pgdialect.Type{Name: "numeric", Mods: []int{3, 5}}, "", CodeInvalidParameterValue},
		{pgdialect.Type{Name: "varchar", Mods: []int{20}}, "character varying(20)", ""},
		{pgdialect.Type{Name: "varchar", Mods: []int{0}}, "", CodeInvalidParameterValue},
		{pgdialect.Type{Name: "bpchar"}, "character(1)", ""},
		{pgdialect.Type{Name: "bpchar", Mods: []int{4}, Array: true}, "character(4)[]", ""},
		{pgdialect.Type{Name: "timestamptz", Mods: []int{3}}, "timestamp(3) with time zone", ""},
		{pgdialect.Type{Name: "time", Mods: []int{9}}, "time(6) without time zone", ""},
		{pgdialect.Type{Name: "int4", Mods: []int{3}}, "", CodeInvalidParameterValue},
		{pgdialect.Type{Name: "float8", Mods: []int{40}}, "double precision", ""},
		{pgdialect.Type{Name: "jsonb", Array: true}, "jsonb[]", ""},
		{pgdialect.Type{Name: "inet"}, "", CodeFeatureNotSupported},
		{pgdialect.Type{Name: "frobnitz"}, "", CodeUndefinedObject},
	} {
		got, err := FromPG(tc.in)
		if tc.code != "" {
			var e *Error
			require.ErrorAs(t, err, &e, tc.in.String())
			require.Equal(t, tc.code, e.Code, tc.in.String())
			continue
		}
		require.NoError(t, err, tc.in.String())
		require.Equal(t, tc.want, got.String())
	}
	require.True(t, IsSerial(pgdialect.Type{Name: "serial4"}))
	require.False(t, IsSerial(pgdialect.Type{Name: "int4"}))
}

// TestFromParsedDDL maps the types the real parser reads from DDL.
func TestFromParsedDDL(t *testing.T) {
	toks, err := pgdialect.Lex("numeric(12, 3) character varying(7) double precision timestamp(2) with time zone int[]")
	require.NoError(t, err)
	var got []string
	for i := 0; i < len(toks) && toks[i].Kind != pgdialect.EOF; {
		pt, next, ok := pgdialect.ParseType(toks, i, false)
		require.True(t, ok, "token %d", i)
		typ, err := FromPG(pt)
		require.NoError(t, err)
		got = append(got, typ.String())
		i = next
	}
	require.Equal(t, []string{"numeric(12,3)", "character varying(7)", "double precision", "timestamp(2) with time zone", "integer[]"}, got)
}

func code(t *testing.T, err error) string {
	t.Helper()
	var e *Error
	require.ErrorAs(t, err, &e)
	return e.Code
}

func TestTextIO(t *testing.T) {
	n102 := mustT(MakeNumeric(10, 2))
	for _, tc := range []struct {
		typ      *T
		in, want string
	}{
		{Bool, "t", "t"}, {Bool, " TRUE ", "t"}, {Bool, "of", "f"}, {Bool, "y", "t"}, {Bool, "0", "f"},
		{Int2, "-32768", "-32768"}, {Int4, " +42 ", "42"}, {Int8, "-9223372036854775808", "-9223372036854775808"},
		{Float8, "0.1", "0.1"}, {Float8, "1e15", "1e+15"}, {Float8, "123456789012345", "123456789012345"},
		{Float8, "1234567890123456", "1.234567890123456e+15"}, {Float8, "0.0001", "0.0001"}, {Float8, "0.00001", "1e-05"},
		{Float8, "-0", "-0"}, {Float8, "nan", "NaN"}, {Float8, "-inf", "-Infinity"}, {Float8, "1.5e300", "1.5e+300"},
		{Float8, "3.141592653589793", "3.141592653589793"}, {Float8, "100", "100"},
		{Float4, "1234567", "1.234567e+06"}, {Float4, "123456", "123456"}, {Float4, "0.1", "0.1"},
		{Float4, "3.4028235e38", "3.4028235e+38"}, {Float4, "-7.3140624e+07", "-7.3140624e+07"}, {Float4, "48602632", "4.8602632e+07"},
		{Float4, "16777216", "1.6777216e+07"}, {Float8, "9007199254740993", "9.007199254740992e+15"},
		{Numeric, "1.50", "1.50"}, {Numeric, "-0.000", "0.000"}, {Numeric, "1e3", "1000"}, {Numeric, "1.5e-3", "0.0015"},
		{Numeric, "NaN", "NaN"}, {Numeric, "-Infinity", "-Infinity"}, {Numeric, "  12  ", "12"},
		{n102, "3.14159", "3.14"}, {n102, "2.345", "2.35"}, {n102, "-2.345", "-2.35"}, {n102, "7", "7.00"},
		{String, "héllo", "héllo"}, {mustT(MakeChar(4)), "ab", "ab  "}, {mustT(MakeVarChar(3)), "abc  ", "abc"},
		{Bytes, `\x00ff10`, `\x00ff10`}, {Bytes, `a\\b\001`, `\x615c6201`}, {Bytes, "", `\x`},
		{Date, "2024-01-02", "2024-01-02"}, {Date, "2024-02-29 13:00", "2024-02-29"}, {Date, "0044-03-15 BC", "0044-03-15 BC"},
		{Date, "infinity", "infinity"}, {Date, "epoch", "1970-01-01"},
		{Time, "03:04:05.123456", "03:04:05.123456"}, {Time, "03:04", "03:04:00"}, {Time, "24:00:00", "24:00:00"},
		{Time, "23:59:59.9999999", "24:00:00"}, {mustT(MakeTimeType(TimeFamily, 2)), "01:02:03.456", "01:02:03.46"},
		{Timestamp, "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.123456"},
		{Timestamp, "2024-01-02T03:04:05+05", "2024-01-02 03:04:05"}, {Timestamp, "2024-01-02", "2024-01-02 00:00:00"},
		{Timestamp, "0001-01-01 00:00:00 BC", "0001-01-01 00:00:00 BC"}, {Timestamp, "-infinity", "-infinity"},
		{TimestampTZ, "2024-01-02 03:04:05.123456+00", "2024-01-02 03:04:05.123456+00"},
		{TimestampTZ, "2024-01-02 03:04:05+05:30", "2024-01-01 21:34:05+00"},
		{TimestampTZ, "2024-01-02 03:04:05 -0800", "2024-01-02 11:04:05+00"},
		{TimestampTZ, "2024-07-01 12:00:00 Europe/Paris", "2024-07-01 10:00:00+00"},
		{TimestampTZ, "2024-01-02 03:04:05", "2024-01-02 03:04:05+00"},
		{mustT(MakeTimeType(TimestampFamily, 0)), "2024-01-02 03:04:05.5", "2024-01-02 03:04:06"},
		{Interval, "1 day 02:03:04", "1 day 02:03:04"}, {Interval, "1 year 2 months 3 days", "1 year 2 mons 3 days"},
		{Interval, "-1 day", "-1 days"}, {Interval, "-1 days +02:03:04", "-1 days +02:03:04"},
		{Interval, "1 day -02:03:04", "1 day -02:03:04"}, {Interval, "0", "00:00:00"},
		{Interval, "1.5 years", "1 year 6 mons"}, {Interval, "1.5 months", "1 mon 15 days"}, {Interval, "1.5 days", "1 day 12:00:00"},
		{Interval, "3 hours 30 minutes", "03:30:00"}, {Interval, "2 weeks", "14 days"}, {Interval, "1 day ago", "-1 days"},
		{Interval, "P1Y2M3DT4H5M6.5S", "1 year 2 mons 3 days 04:05:06.5"}, {Interval, "100:00:00", "100:00:00"},
		{Interval, "-00:00:01.5", "-00:00:01.5"}, {Interval, "1 mon -1 days", "1 mon -1 days"},
		{UUID, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{UUID, "{a0eebc999c0b4ef8bb6d6bb9bd380a11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{JSONB, `{"b":1,"a":[1,2.50,"x"],"aa":null}`, `{"a": [1, 2.50, "x"], "b": 1, "aa": null}`},
		{JSONB, `{"a":1,"a":2}`, `{"a": 2}`}, {JSONB, `1e2`, `100`}, {JSONB, `"é\n"`, `"é\n"`},
		{JSON, `{"b":1,  "a":2}`, `{"b":1,  "a":2}`},
		{mustT(MakeArray(Int4)), "{1, 2,NULL}", "{1,2,NULL}"},
		{mustT(MakeArray(String)), `{"a b","",c,"NULL","q\"x"}`, `{"a b","",c,"NULL","q\"x"}`},
		{mustT(MakeArray(String)), "{}", "{}"},
		{mustT(MakeArray(mustT(MakeNumeric(5, 1)))), "{1.25,2}", "{1.3,2.0}"},
	} {
		d, err := ParseText(tc.typ, tc.in, nil)
		require.NoError(t, err, "%s %q", tc.typ, tc.in)
		require.Equal(t, tc.want, FormatText(tc.typ, d, nil), "%s %q", tc.typ, tc.in)
	}
}

func TestTextInputErrors(t *testing.T) {
	for _, tc := range []struct {
		typ  *T
		in   string
		code string
	}{
		{Bool, "maybe", CodeInvalidTextRepresentation},
		{Int2, "32768", CodeNumericValueOutOfRange},
		{Int4, "2147483648", CodeNumericValueOutOfRange},
		{Int4, "12a", CodeInvalidTextRepresentation},
		{Int4, "", CodeInvalidTextRepresentation},
		{Int4, "1.5", CodeInvalidTextRepresentation},
		{Int8, "99999999999999999999", CodeNumericValueOutOfRange},
		{Float8, "1e400", CodeNumericValueOutOfRange},
		{Float8, "abc", CodeInvalidTextRepresentation},
		{Float4, "1e39", CodeNumericValueOutOfRange},
		{Numeric, "1.2.3", CodeInvalidTextRepresentation},
		{Numeric, "9e131070", CodeNumericValueOutOfRange},
		{Numeric, "1e9999999999", CodeNumericValueOutOfRange},
		{mustT(MakeNumeric(4, 2)), "123.4", CodeNumericValueOutOfRange},
		{mustT(MakeNumeric(4, 2)), "99.996", CodeNumericValueOutOfRange},
		{mustT(MakeNumeric(4, 2)), "Infinity", CodeNumericValueOutOfRange},
		{mustT(MakeVarChar(3)), "abcd", CodeStringDataRightTruncation},
		{mustT(MakeChar(2)), "abc", CodeStringDataRightTruncation},
		{Bytes, `\x0`, CodeInvalidParameterValue},
		{Bytes, `\xzz`, CodeInvalidParameterValue},
		{Bytes, `a\q`, CodeInvalidTextRepresentation},
		{Date, "2024-13-01", CodeDatetimeFieldOverflow},
		{Date, "2023-02-29", CodeDatetimeFieldOverflow},
		{Date, "yesterday-ish", CodeInvalidDatetimeFormat},
		{Time, "25:00", CodeDatetimeFieldOverflow},
		{Time, "12", CodeInvalidDatetimeFormat},
		{Timestamp, "2024-01-02 03:04:05 nowhere", CodeInvalidDatetimeFormat},
		{Interval, "1 fortnight", CodeInvalidDatetimeFormat},
		{Interval, "99999999999 years", CodeIntervalFieldOverflow},
		{UUID, "a0eebc99-9c0b", CodeInvalidTextRepresentation},
		{UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11ff", CodeInvalidTextRepresentation},
		{JSONB, `{"a":}`, CodeInvalidTextRepresentation},
		{JSONB, `1 2`, CodeInvalidTextRepresentation},
		{JSONB, `{"a\u0000": 1}`, CodeUntranslatableCharacter},
		{JSONB, `["\u0000"]`, CodeUntranslatableCharacter},
		{mustT(MakeArray(Int4)), "{1,{2}}", CodeInvalidTextRepresentation},
		{mustT(MakeArray(Int4)), "1,2", CodeInvalidTextRepresentation},
		{mustT(MakeArray(Int4)), "{1,x}", CodeInvalidTextRepresentation},
		{String, "a\x00b", CodeInvalidTextRepresentation},
		{String, "\xff", CodeInvalidTextRepresentation},
	} {
		_, err := ParseText(tc.typ, tc.in, nil)
		require.Error(t, err, "%s %q", tc.typ, tc.in)
		require.Equal(t, tc.code, code(t, err), "%s %q: %v", tc.typ, tc.in, err)
	}
}

func TestCasts(t *testing.T) {
	p := func(typ *T, s string) Datum {
		d, err := ParseText(typ, s, nil)
		require.NoError(t, err)
		return d
	}
	n52 := mustT(MakeNumeric(5, 2))
	for _, tc := range []struct {
		d        Datum
		from, to *T
		want     string
		code     string
	}{
		{DInt(70000), Int4, Int2, "", CodeNumericValueOutOfRange},
		{DInt(1 << 40), Int8, Int4, "", CodeNumericValueOutOfRange},
		{DInt(-5), Int8, Int2, "-5", ""},
		{DFloat(2.5), Float8, Int4, "2", ""},
		{DFloat(3.5), Float8, Int4, "4", ""},
		{DFloat(-2.5), Float8, Int8, "-2", ""},
		{DFloat(math.NaN()), Float8, Int4, "", CodeNumericValueOutOfRange},
		{DFloat(1e10), Float8, Int4, "", CodeNumericValueOutOfRange},
		{DFloat(1e300), Float8, Float4, "", CodeNumericValueOutOfRange},
		{DFloat(0.1), Float8, Numeric, "0.1", ""},
		{DFloat(1.0 / 3), Float8, Numeric, "0.333333333333333", ""},
		{p(Numeric, "2.5"), Numeric, Int4, "3", ""},
		{p(Numeric, "-2.5"), Numeric, Int4, "-3", ""},
		{p(Numeric, "NaN"), Numeric, Int4, "", CodeFeatureNotSupported},
		{p(Numeric, "1e30"), Numeric, Int8, "", CodeNumericValueOutOfRange},
		{p(Numeric, "123.456"), Numeric, n52, "123.46", ""},
		{p(Numeric, "1234.5"), Numeric, n52, "", CodeNumericValueOutOfRange},
		{p(Numeric, "0.125"), Numeric, Float8, "0.125", ""},
		{DInt(7), Int4, n52, "7.00", ""},
		{DString("abcdef"), String, mustT(MakeVarChar(3)), "abc", ""},
		{DString("ab"), String, mustT(MakeChar(4)), "ab  ", ""},
		{DString("ab  "), mustT(MakeChar(4)), String, "ab", ""},
		{DString(" 42 "), String, Int4, "42", ""},
		{DString("4x"), String, Int4, "", CodeInvalidTextRepresentation},
		{DString("99999"), String, Int2, "", CodeNumericValueOutOfRange},
		{DInt(12), Int4, String, "12", ""},
		{DFloat(0.1), Float8, String, "0.1", ""},
		{DBool(true), Bool, Int4, "1", ""},
		{DInt(0), Int4, Bool, "f", ""},
		{DBool(true), Bool, Int8, "", CodeCannotCoerce},
		{p(Timestamp, "2024-01-02 03:04:05"), Timestamp, Date, "2024-01-02", ""},
		{p(Timestamp, "1999-12-31 23:00:00"), Timestamp, Date, "1999-12-31", ""},
		{p(Date, "2024-01-02"), Date, TimestampTZ, "2024-01-02 00:00:00+00", ""},
		{p(Timestamp, "2024-01-02 03:04:05.5"), Timestamp, Time, "03:04:05.5", ""},
		{p(TimestampTZ, "2024-01-02 03:04:05+00"), TimestampTZ, Timestamp, "2024-01-02 03:04:05", ""},
		{p(Interval, "1 day 02:00:00"), Interval, Time, "02:00:00", ""},
		{p(Interval, "1 day"), Interval, Int4, "", CodeCannotCoerce},
		{p(JSONB, `{"a":1}`), JSONB, JSON, `{"a": 1}`, ""},
		{DJSON(`{"b":2,"a":1}`), JSON, JSONB, `{"a": 1, "b": 2}`, ""},
		{p(mustT(MakeArray(String)), "{1,2}"), mustT(MakeArray(String)), mustT(MakeArray(Int8)), "{1,2}", ""},
		{p(mustT(MakeArray(Int4)), "{1,NULL}"), mustT(MakeArray(Int4)), String, "{1,NULL}", ""},
		{Null, Int4, Int2, "NULL", ""},
	} {
		got, err := Cast(tc.d, tc.from, tc.to, nil)
		if tc.code != "" {
			require.Error(t, err, "%v %s -> %s", tc.d, tc.from, tc.to)
			require.Equal(t, tc.code, code(t, err), "%v %s -> %s: %v", tc.d, tc.from, tc.to, err)
			continue
		}
		require.NoError(t, err, "%v %s -> %s", tc.d, tc.from, tc.to)
		require.Equal(t, tc.want, FormatText(tc.to, got, nil), "%v %s -> %s", tc.d, tc.from, tc.to)
	}
	// assignment (implicit) to varchar(n) rejects, explicit cast truncates
	_, err := Assign(DString("abcd"), mustT(MakeVarChar(3)))
	require.Equal(t, CodeStringDataRightTruncation, code(t, err))
	got, err := Assign(DString("abc   "), mustT(MakeVarChar(3)))
	require.NoError(t, err)
	require.Equal(t, DString("abc"), got)
}

func TestCompare(t *testing.T) {
	p := func(typ *T, s string) Datum {
		d, err := ParseText(typ, s, nil)
		require.NoError(t, err)
		return d
	}
	lt := func(a, b Datum) {
		t.Helper()
		c, err := Compare(a, b)
		require.NoError(t, err)
		require.Equal(t, -1, c, "%v < %v", a, b)
		c, err = Compare(b, a)
		require.NoError(t, err)
		require.Equal(t, 1, c)
	}
	eq := func(a, b Datum) {
		t.Helper()
		c, err := Compare(a, b)
		require.NoError(t, err)
		require.Equal(t, 0, c, "%v = %v", a, b)
	}
	nan := DFloat(math.NaN())
	lt(DFloat(math.Inf(1)), nan)
	lt(DFloat(math.Inf(-1)), DFloat(-1e308))
	eq(nan, nan)
	eq(DFloat(0), DFloat(math.Copysign(0, -1)))
	lt(p(Numeric, "Infinity"), p(Numeric, "NaN"))
	lt(p(Numeric, "-Infinity"), p(Numeric, "-1e100"))
	lt(p(Numeric, "1e100"), p(Numeric, "Infinity"))
	eq(p(Numeric, "1.0"), p(Numeric, "1.000"))
	eq(p(Numeric, "NaN"), p(Numeric, "NaN"))
	eq(p(Interval, "1 mon"), p(Interval, "30 days"))
	eq(p(Interval, "1 day"), p(Interval, "24 hours"))
	lt(p(Interval, "29 days 23:59:59"), p(Interval, "1 mon"))
	lt(p(Interval, "-1 year"), p(Interval, "-11 mons"))
	lt(DString("a"), DString("b"))
	lt(DString("Z"), DString("a")) // C collation
	lt(DBytes("\x00"), DBytes("\x00\x00"))
	lt(DBool(false), DBool(true))
	lt(p(Date, "-infinity"), p(Date, "4713-11-24 BC"))
	lt(p(Timestamp, "2024-01-01"), p(Timestamp, "infinity"))
	c := CompareString(mustT(MakeChar(5)), DString("ab   "), DString("ab"))
	require.Equal(t, 0, c)
	// jsonb: Object > Array > Boolean > Number > String > Null, empty top-level array lowest
	order := []string{`[]`, `null`, `""`, `"a"`, `"b"`, `-1`, `1`, `1.5`, `false`, `true`, `[null]`, `[1]`, `[1,2]`, `{}`, `{"b":1}`, `{"a":1,"b":1}`}
	for i := 0; i+1 < len(order); i++ {
		lt(p(JSONB, order[i]), p(JSONB, order[i+1]))
	}
	eq(p(JSONB, `{"a":1.0}`), p(JSONB, `{"a":1}`))
	// arrays: elementwise, NULL above values, then length
	ia := mustT(MakeArray(Int4))
	lt(p(ia, "{1,2}"), p(ia, "{1,3}"))
	lt(p(ia, "{1,2}"), p(ia, "{1,NULL}"))
	lt(p(ia, "{1}"), p(ia, "{1,0}"))
	lt(p(ia, "{}"), p(ia, "{0}"))
	_, err := Compare(DJSON("1"), DJSON("1"))
	require.Error(t, err)
	_, err = Compare(DInt(1), DString("1"))
	require.Error(t, err)
}

func TestBinaryKnown(t *testing.T) {
	p := func(typ *T, s string) Datum {
		d, err := ParseText(typ, s, nil)
		require.NoError(t, err)
		return d
	}
	for _, tc := range []struct {
		typ *T
		in  string
		hex string
	}{
		{Int2, "-2", "fffe"},
		{Int4, "1", "00000001"},
		{Int8, "-1", "ffffffffffffffff"},
		{Bool, "t", "01"},
		{Float8, "1.5", "3ff8000000000000"},
		{Float4, "1.5", "3fc00000"},
		// ndigits 3, weight 1, sign +, dscale 3, digits 1 2345 6780
		{Numeric, "12345.678", "0003" + "0001" + "0000" + "0003" + "0001" + "0929" + "1a7c"},
		{Numeric, "-0.0001", "0001" + "ffff" + "4000" + "0004" + "0001"},
		{Numeric, "0.00", "0000" + "0000" + "0000" + "0002"},
		{Numeric, "10000", "0001" + "0001" + "0000" + "0000" + "0001"},
		{Numeric, "NaN", "0000" + "0000" + "c000" + "0000"},
		{Numeric, "-Infinity", "0000" + "0000" + "f000" + "0020"},
		{Date, "2000-01-02", "00000001"},
		{Time, "00:00:01", "00000000000f4240"},
		{Timestamp, "2000-01-01 00:00:01", "00000000000f4240"},
		{Interval, "1 mon 2 days 00:00:01", "00000000000f4240" + "00000002" + "00000001"},
		{UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a11"},
		{JSONB, `{"a":1}`, "01" + "7b2261223a20317d"},
		{Bytes, `\x00ff`, "00ff"},
		{mustT(MakeArray(Int4)), "{1,NULL}", "00000001" + "00000001" + "00000017" + "00000002" + "00000001" + "00000004" + "00000001" + "ffffffff"},
		{mustT(MakeArray(Int4)), "{}", "00000000" + "00000000" + "00000017"},
	} {
		d := p(tc.typ, tc.in)
		b, err := AppendBinary(nil, tc.typ, d)
		require.NoError(t, err)
		require.Equal(t, tc.hex, hexs(b), "%s %s", tc.typ, tc.in)
		back, err := DecodeBinary(tc.typ, b)
		require.NoError(t, err)
		require.Equal(t, FormatText(tc.typ, d, nil), FormatText(tc.typ, back, nil))
	}
}

func hexs(b []byte) string {
	const h = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, h[c>>4], h[c&15])
	}
	return string(out)
}

func TestBinaryDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		typ *T
		b   []byte
	}{
		{Int4, []byte{1, 2}},
		{Int8, nil},
		{Bool, []byte{}},
		{Numeric, []byte{0, 1, 0, 0, 0, 0, 0, 0}},                                                                    // missing digit
		{Numeric, []byte{0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10}},                                                        // digit 10000
		{Numeric, []byte{0, 0, 0, 0, 0x12, 0x34, 0, 0}},                                                              // bad sign
		{Date, []byte{0x7f, 0xff, 0xff, 0xfe}},                                                                       // out of range
		{Time, []byte{0xff, 0, 0, 0, 0, 0, 0, 0}},                                                                    // negative
		{JSONB, []byte{2, '1'}},                                                                                      // version
		{JSONB, []byte{1, '{'}},                                                                                      // bad json
		{mustT(MakeArray(Int4)), []byte{0, 0, 0, 1, 0, 0, 0, 0}},                                                     // short header
		{mustT(MakeArray(Int4)), []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0, 0, 1, 0, 0, 0, 1}},                // wrong elem oid
		{mustT(MakeArray(Int4)), []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0x7f, 0, 0, 0, 0, 0, 0, 1}},             // length
		{mustT(MakeArray(Int4)), []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 1}}, // elem len
		{String, []byte{0xff}},
	} {
		_, err := DecodeBinary(tc.typ, tc.b)
		require.Error(t, err, "%s %x", tc.typ, tc.b)
		var e *Error
		require.ErrorAs(t, err, &e)
	}
}
