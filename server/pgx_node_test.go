package server

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

// TestPgxNode drives an in-process node with pgx: DDL and DML through the
// simple protocol, and every column type round-tripped through the
// extended protocol with binary parameters and results.
func TestPgxNode(t *testing.T) {
	url := startSQLNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer c.Close(context.Background())

	_, err = c.Exec(ctx, `CREATE TABLE ty (id INT8 PRIMARY KEY, b BOOL, i2 INT2, i4 INT4, f4 FLOAT4, f8 FLOAT8,
		n NUMERIC(10,3), s TEXT, v VARCHAR(10), bt BYTEA, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, iv INTERVAL, u UUID, j JSONB)`,
		pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err)

	day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	stamp := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	uuid := [16]byte{0xa0, 0xee, 0xbc, 0x99, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	var num pgtype.Numeric
	require.NoError(t, num.Scan("1234.567"))
	iv := pgtype.Interval{Months: 14, Days: -3, Microseconds: 4_000_000, Valid: true}
	tag, err := c.Exec(ctx, "INSERT INTO ty VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
		int64(1), true, int16(-2), int32(300000), float32(1.5), 2.25e300, num, "héllo", "short", []byte{0, 1, 255},
		day, stamp, stamp, iv, uuid, map[string]any{"k": []any{1.0, "x"}})
	require.NoError(t, err)
	require.Equal(t, "INSERT 0 1", tag.String())
	_, err = c.Exec(ctx, "INSERT INTO ty (id) VALUES (2)")
	require.NoError(t, err)

	var (
		b     bool
		i2    int16
		i4    int32
		f4    float32
		f8    float64
		n     pgtype.Numeric
		s, v  string
		by    []byte
		d, ts time.Time
		tz    time.Time
		giv   pgtype.Interval
		gu    [16]byte
		j     map[string]any
	)
	err = c.QueryRow(ctx, "SELECT b, i2, i4, f4, f8, n, s, v, bt, d, ts, tz, iv, u, j FROM ty WHERE id = $1", int64(1)).
		Scan(&b, &i2, &i4, &f4, &f8, &n, &s, &v, &by, &d, &ts, &tz, &giv, &gu, &j)
	require.NoError(t, err)
	require.True(t, b)
	require.Equal(t, int16(-2), i2)
	require.Equal(t, int32(300000), i4)
	require.Equal(t, float32(1.5), f4)
	require.Equal(t, 2.25e300, f8)
	nv, err := n.Value()
	require.NoError(t, err)
	require.Equal(t, "1234.567", nv)
	require.Equal(t, "héllo", s)
	require.Equal(t, "short", v)
	require.Equal(t, []byte{0, 1, 255}, by)
	require.True(t, day.Equal(d), d)
	require.True(t, stamp.Equal(ts), ts)
	require.True(t, stamp.Equal(tz), tz)
	require.Equal(t, iv, giv)
	require.Equal(t, uuid, gu)
	require.Equal(t, map[string]any{"k": []any{1.0, "x"}}, j)

	// NULLs come back as NULL in both protocols.
	var nb *bool
	var ns *string
	require.NoError(t, c.QueryRow(ctx, "SELECT b, s FROM ty WHERE id = 2").Scan(&nb, &ns))
	require.Nil(t, nb)
	require.Nil(t, ns)
	require.NoError(t, c.QueryRow(ctx, "SELECT b, s FROM ty WHERE id = 2", pgx.QueryExecModeSimpleProtocol).Scan(&nb, &ns))
	require.Nil(t, nb)

	// Text results of the simple protocol.
	var text string
	require.NoError(t, c.QueryRow(ctx, "SELECT tz::text FROM ty WHERE id = 1", pgx.QueryExecModeSimpleProtocol).Scan(&text))
	require.Equal(t, "2024-02-29 13:14:15.123456+00", text)

	// Many rows through a portal-less query, and an error after it keeps
	// the connection usable.
	rows, err := c.Query(ctx, "SELECT id FROM ty ORDER BY id")
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2}, ids)
	_, err = c.Exec(ctx, "INSERT INTO ty (id, v) VALUES (3, 'far too long')")
	require.Error(t, err)
	var cnt int64
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM ty").Scan(&cnt))
	require.Equal(t, int64(2), cnt)
}
