package types_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/logictest"
	"github.com/tesseradb/tessera/sql/types"
)

func mk(t *types.T, err error) *types.T {
	if err != nil {
		panic(err)
	}
	return t
}

// pgTypes are the types checked against PostgreSQL, with modifiers.
var pgTypes = []*types.T{
	types.Bool, types.Int2, types.Int4, types.Int8, types.Float4, types.Float8,
	types.Numeric, mk(types.MakeNumeric(10, 2)), mk(types.MakeNumeric(30, 10)), mk(types.MakeNumeric(5, 0)),
	types.String, types.VarCharAny, mk(types.MakeVarChar(5)), mk(types.MakeChar(4)), types.Bytes,
	types.Date, types.Time, mk(types.MakeTimeType(types.TimeFamily, 2)),
	types.Timestamp, mk(types.MakeTimeType(types.TimestampFamily, 0)), types.TimestampTZ,
	mk(types.MakeTimeType(types.TimestampTZFamily, 3)),
	types.Interval, types.UUID, types.JSONB, types.JSON,
	mk(types.MakeArray(types.Int4)), mk(types.MakeArray(types.String)), mk(types.MakeArray(types.Numeric)),
	mk(types.MakeArray(types.Float8)), mk(types.MakeArray(types.TimestampTZ)), mk(types.MakeArray(mk(types.MakeChar(3)))),
	mk(types.MakeArray(types.JSONB)), mk(types.MakeArray(types.Bytes)), mk(types.MakeArray(types.Interval)),
}

var (
	pgOnce   sync.Once
	pgServer *logictest.Postgres
	pgErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pgServer != nil {
		if err := pgServer.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping postgres:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// startPG connects to the package's PostgreSQL 15 server (started on first
// use, stopped by TestMain) with TimeZone UTC.
func startPG(t *testing.T) *pgconn.PgConn {
	if os.Getenv("TESSERA_NO_PG") == "1" {
		t.Skip("TESSERA_NO_PG=1: PostgreSQL cross-check skipped by the developer")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pgOnce.Do(func() { pgServer, pgErr = logictest.StartPostgres(ctx) })
	require.NoError(t, pgErr, "this test needs the PostgreSQL 15 server (Debian package postgresql); set TESSERA_NO_PG=1 to skip it")
	cfg, err := pgconn.ParseConfig(pgServer.URL)
	require.NoError(t, err)
	cfg.RuntimeParams["TimeZone"] = "UTC"
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestAgainstPostgres checks, for random values of every type, that
// PostgreSQL 15 reads our text output back to the same text (so our output
// is PostgreSQL's canonical form), that its binary send format is byte for
// byte ours, that we decode both of its forms to an equal value, and that
// our Compare agrees with its < and = operators.
func TestAgainstPostgres(t *testing.T) {
	conn := startPG(t)
	ctx := context.Background()
	seed := time.Now().UnixNano()
	if s := os.Getenv("TESSERA_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (replay with TESSERA_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	const perType = 120
	for _, typ := range pgTypes {
		sqlType := typ.String()
		var prev types.Datum
		for i := 0; i < perType; i++ {
			d := types.RandDatum(rng, typ, 0)
			ours := types.FormatText(typ, d, nil)
			res := conn.ExecParams(ctx, fmt.Sprintf("SELECT $1::%s, $1::%s", sqlType, sqlType), [][]byte{[]byte(ours)}, nil, nil, []int16{0, 1}).Read()
			require.NoError(t, res.Err, "%s %q", sqlType, ours)
			pgText, pgBin := string(res.Rows[0][0]), res.Rows[0][1]
			if f, ok := d.(types.DFloat); ok && ours != pgText {
				t.Logf("bits %x f32 %v fmt %s", math.Float64bits(float64(f)), float32(f), types.AppendFloat(nil, float64(f), 32))
			}
			require.Equal(t, ours, pgText, "text output of %s (%#v)", sqlType, d)
			bin, err := types.AppendBinary(nil, typ, d)
			require.NoError(t, err)
			require.True(t, bytes.Equal(pgBin, bin), "binary of %s %q: pg %x ours %x", sqlType, ours, pgBin, bin)
			back, err := types.ParseText(typ, pgText, nil)
			require.NoError(t, err)
			require.Equal(t, ours, types.FormatText(typ, back, nil))
			back, err = types.DecodeBinary(typ, pgBin)
			require.NoError(t, err)
			require.Equal(t, ours, types.FormatText(typ, back, nil))

			if typ.Family == types.JSONFamily || prev == nil {
				prev = d
				continue
			}
			if rng.Intn(3) == 0 {
				d = prev // equal values are interesting too
			}
			a, b := types.FormatText(typ, prev, nil), types.FormatText(typ, d, nil)
			res = conn.ExecParams(ctx, fmt.Sprintf("SELECT $1::%s < $2::%s, $1::%s = $2::%s", sqlType, sqlType, sqlType, sqlType),
				[][]byte{[]byte(a), []byte(b)}, nil, nil, nil).Read()
			require.NoError(t, res.Err)
			c, err := types.CompareTyped(typ, prev, d)
			require.NoError(t, err)
			require.Equal(t, string(res.Rows[0][0]) == "t", c < 0, "%s: %q < %q", sqlType, a, b)
			require.Equal(t, string(res.Rows[0][1]) == "t", c == 0, "%s: %q = %q", sqlType, a, b)
			prev = d
		}
	}
}

// TestCastErrorsAgainstPostgres checks that our casts fail with the same
// SQLSTATE as PostgreSQL's, or succeed with the same text.
func TestCastErrorsAgainstPostgres(t *testing.T) {
	conn := startPG(t)
	ctx := context.Background()
	for _, tc := range []struct {
		from *types.T
		in   string
		to   *types.T
	}{
		{types.Int4, "70000", types.Int2},
		{types.Int8, "4294967296", types.Int4},
		{types.Float8, "2.5", types.Int4},
		{types.Float8, "-3.5", types.Int2},
		{types.Float8, "1e10", types.Int4},
		{types.Float8, "NaN", types.Int8},
		{types.Float8, "1e300", types.Float4},
		{types.Float8, "0.1", types.Numeric},
		{types.Float4, "0.1", types.Numeric},
		{types.Numeric, "2.5", types.Int4},
		{types.Numeric, "-2.5", types.Int8},
		{types.Numeric, "NaN", types.Int4},
		{types.Numeric, "123.456", mk(types.MakeNumeric(5, 2))},
		{types.Numeric, "1234.5", mk(types.MakeNumeric(5, 2))},
		{types.Numeric, "99999999999999999999", types.Int8},
		{types.Numeric, "1e-30", types.Float4},
		{types.String, "abcdef", mk(types.MakeVarChar(3))},
		{types.String, "ab", mk(types.MakeChar(4))},
		{mk(types.MakeChar(4)), "ab", types.String},
		{types.String, "12x", types.Int4},
		{types.String, "2147483648", types.Int4},
		{types.String, "1e400", types.Float8},
		{types.String, "2024-02-30", types.Date},
		{types.String, "not a date", types.Date},
		{types.String, "{1,2", mk(types.MakeArray(types.Int4))},
		{types.Bool, "t", types.Int4},
		{types.Int4, "0", types.Bool},
		{types.Timestamp, "2024-01-02 03:04:05.678", types.Date},
		{types.Timestamp, "2024-01-02 03:04:05.678", types.Time},
		{types.TimestampTZ, "2024-01-02 03:04:05.678+00", types.Timestamp},
		{types.Date, "2024-01-02", types.TimestampTZ},
		{types.Interval, "1 day 03:00:00", types.Time},
		{types.JSON, `{"b":1,"a":[1,2]}`, types.JSONB},
		{types.JSONB, `{"b":1,"a":[1,2]}`, types.JSON},
		{mk(types.MakeArray(types.String)), "{1,2,NULL}", mk(types.MakeArray(types.Int8))},
		{mk(types.MakeArray(types.Numeric)), "{1.25,2.5}", mk(types.MakeArray(mk(types.MakeNumeric(3, 1))))},
	} {
		q := fmt.Sprintf("SELECT $1::%s::%s::text", tc.from, tc.to)
		res := conn.ExecParams(ctx, q, [][]byte{[]byte(tc.in)}, nil, nil, nil).Read()
		d, err := types.ParseText(tc.from, tc.in, nil)
		require.NoError(t, err)
		got, cerr := types.Cast(d, tc.from, tc.to, nil)
		if res.Err != nil {
			pe, ok := res.Err.(*pgconn.PgError)
			require.True(t, ok)
			require.Error(t, cerr, "%s: PostgreSQL says %s %s", q, pe.Code, pe.Message)
			var e *types.Error
			require.ErrorAs(t, cerr, &e)
			require.Equal(t, pe.Code, e.Code, "%s: PostgreSQL %q, we %q", q, pe.Message, e.Message)
			continue
		}
		require.NoError(t, cerr, q)
		asText, err := types.Cast(got, tc.to, types.String, nil)
		require.NoError(t, err)
		require.Equal(t, string(res.Rows[0][0]), types.FormatText(types.String, asText, nil), q)
	}
}

// TestTimeZonesAgainstPostgres checks TIMESTAMPTZ output and zone-less
// input in session time zones other than UTC (offsets with minutes and
// seconds, DST gaps and overlaps) against PostgreSQL.
func TestTimeZonesAgainstPostgres(t *testing.T) {
	conn := startPG(t)
	ctx := context.Background()
	seed := time.Now().UnixNano()
	if s := os.Getenv("TESSERA_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (replay with TESSERA_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	for _, zone := range []string{"America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Amsterdam"} {
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		require.NoError(t, conn.Exec(ctx, "SET TimeZone = '"+zone+"'").Close())
		for i := 0; i < 150; i++ {
			d := types.RandDatum(rng, types.TimestampTZ, 0)
			if i%3 == 0 { // modern dates, where DST rules apply
				d = types.DTimestampTZ(rng.Int63n(2e15) - 5e14)
			}
			ours := types.FormatText(types.TimestampTZ, d, loc)
			res := conn.ExecParams(ctx, "SELECT $1::timestamptz", [][]byte{[]byte(ours)}, nil, nil, nil).Read()
			require.NoError(t, res.Err, ours)
			require.Equal(t, ours, string(res.Rows[0][0]), "%s output", zone)
			// The same wall-clock time without an offset reads in the session zone.
			wall := types.FormatText(types.Timestamp, mustCast(t, d, loc), nil)
			res = conn.ExecParams(ctx, "SELECT $1::timestamptz", [][]byte{[]byte(wall)}, nil, nil, []int16{1}).Read()
			require.NoError(t, res.Err, wall)
			got, err := types.ParseText(types.TimestampTZ, wall, loc)
			require.NoError(t, err)
			bin, err := types.AppendBinary(nil, types.TimestampTZ, got)
			require.NoError(t, err)
			require.Equal(t, res.Rows[0][0], bin, "%s input %q", zone, wall)
		}
		// DST gap and overlap wall times.
		for _, wall := range []string{"2024-03-10 02:30:00", "2024-11-03 01:30:00", "2024-03-31 02:30:00", "2024-10-27 02:30:00",
			"2024-04-07 01:45:00", "2024-10-06 02:15:00"} {
			res := conn.ExecParams(ctx, "SELECT $1::timestamptz", [][]byte{[]byte(wall)}, nil, nil, nil).Read()
			require.NoError(t, res.Err)
			got, err := types.ParseText(types.TimestampTZ, wall, loc)
			require.NoError(t, err)
			require.Equal(t, string(res.Rows[0][0]), types.FormatText(types.TimestampTZ, got, loc), "%s %s", zone, wall)
		}
	}
	require.NoError(t, conn.Exec(ctx, "SET TimeZone = 'UTC'").Close())
}

func mustCast(t *testing.T, d types.Datum, loc *time.Location) types.Datum {
	v, err := types.Cast(d, types.TimestampTZ, types.Timestamp, loc)
	require.NoError(t, err)
	return v
}

// TestInputAgainstPostgres reads the same text as PostgreSQL: both accept
// it and print the same, or both reject it with the same SQLSTATE.
func TestInputAgainstPostgres(t *testing.T) {
	conn := startPG(t)
	ctx := context.Background()
	ia := mk(types.MakeArray(types.Int4))
	ta := mk(types.MakeArray(types.String))
	for _, tc := range []struct {
		typ *types.T
		in  string
	}{
		{types.Bool, "yes"}, {types.Bool, "OFF"}, {types.Bool, "o"}, {types.Bool, "tr"}, {types.Bool, "2"},
		{types.Int2, "-32769"}, {types.Int4, " 12 "}, {types.Int4, "+7"}, {types.Int4, "1_000"}, {types.Int4, "0x10"}, {types.Int8, "-"},
		{types.Float8, "1e-400"}, {types.Float8, "  -1.5E+3 "}, {types.Float8, "Infinity"}, {types.Float8, "inf"}, {types.Float8, ".5"}, {types.Float8, "5."},
		{types.Float4, "1e-50"}, {types.Float4, "16777217"},
		{types.Numeric, "1e-5"}, {types.Numeric, "-0"}, {types.Numeric, ".5"}, {types.Numeric, "5."}, {types.Numeric, "1e"}, {types.Numeric, "00012.3400"},
		{mk(types.MakeNumeric(3, 1)), "99.95"}, {mk(types.MakeNumeric(3, 1)), "-99.94"}, {mk(types.MakeNumeric(3, 1)), "NaN"},
		{mk(types.MakeVarChar(2)), "ab   "}, {mk(types.MakeChar(3)), "é"},
		{types.Bytes, `\x4142`}, {types.Bytes, `\x414`}, {types.Bytes, `ab\\c`}, {types.Bytes, `\101\102`}, {types.Bytes, `\9`},
		{types.Date, "2024-1-2"}, {types.Date, "2024-02-30"}, {types.Date, "10000-01-01"}, {types.Date, "0000-01-01"}, {types.Date, "2024-01-02T10:00"},
		{types.Time, "1:02"}, {types.Time, "12:60"}, {types.Time, "24:00:00.1"}, {types.Time, "23:59:60"}, {types.Time, "12:00:00.1234567"},
		{types.Timestamp, "2024-01-02 03:04:05.1234565"}, {types.Timestamp, "2024-01-02T03:04"}, {types.Timestamp, "294277-01-01 00:00:00"},
		{types.TimestampTZ, "2024-01-02 03:04:05-07:30"}, {types.TimestampTZ, "2024-01-02 03:04:05 America/Chicago"},
		{types.TimestampTZ, "2024-01-02 03:04:05Z"}, {types.TimestampTZ, "2024-01-02 03:04:05+1400"}, {types.TimestampTZ, "epoch"},
		{types.Interval, "1.5 years"}, {types.Interval, "-1.5 months"}, {types.Interval, "1 week 2 days"}, {types.Interval, "@ 3 hours ago"},
		{types.Interval, "1 hour 30"}, {types.Interval, "10:20"}, {types.Interval, "1 day -1:00"}, {types.Interval, "P1DT12H"},
		{types.Interval, "PT1.5S"}, {types.Interval, "2 centuries"}, {types.Interval, "1 millisecond 5 microseconds"}, {types.Interval, "5"},
		{types.Interval, "1 decade ago"}, {types.Interval, "-2 hours +3 minutes"}, {types.Interval, "1 mons"},
		{types.UUID, "a0eebc999c0b4ef8bb6d6bb9bd380a11"}, {types.UUID, "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"}, {types.UUID, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{types.JSONB, `  {"a" : [true, false, null, 1.0e2, "x"]} `}, {types.JSONB, `[1,]`}, {types.JSONB, `"\ud83d\ude00"`}, {types.JSONB, `-0`}, {types.JSONB, `1.000`},
		{types.JSON, `{"a":1, "a":2}`}, {types.JSON, `nul`},
		{ia, "{ 1 , 2 }"}, {ia, "{}"}, {ia, "{1,,2}"}, {ia, "{null,NULL}"}, {ta, `{"a,b", "c\"d", e f}`}, {ta, `{"NULL",NULL}`}, {ta, `{a}x`},
	} {
		res := conn.ExecParams(ctx, fmt.Sprintf("SELECT $1::%s", tc.typ), [][]byte{[]byte(tc.in)}, nil, nil, nil).Read()
		d, err := types.ParseText(tc.typ, tc.in, nil)
		if res.Err != nil {
			pe, ok := res.Err.(*pgconn.PgError)
			require.True(t, ok, "%v", res.Err)
			var e *types.Error
			switch {
			case err == nil:
				t.Errorf("%s %q: PostgreSQL rejects it (%s %s), we read %q", tc.typ, tc.in, pe.Code, pe.Message, types.FormatText(tc.typ, d, nil))
			case !errors.As(err, &e):
				t.Errorf("%s %q: untyped error %v", tc.typ, tc.in, err)
			case e.Code != pe.Code:
				t.Errorf("%s %q: PostgreSQL %s %q, we %s %q", tc.typ, tc.in, pe.Code, pe.Message, e.Code, e.Message)
			}
			continue
		}
		switch {
		case err != nil:
			t.Errorf("%s %q: PostgreSQL reads %q, we fail: %v", tc.typ, tc.in, res.Rows[0][0], err)
		case string(res.Rows[0][0]) != types.FormatText(tc.typ, d, nil):
			t.Errorf("%s %q: PostgreSQL reads %q, we %q", tc.typ, tc.in, res.Rows[0][0], types.FormatText(tc.typ, d, nil))
		}
	}
}
