package rowenc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/logictest"
	"github.com/tesseradb/tessera/sql/types"
)

// TestKeyOrderAgainstPostgres stores random values of every indexable
// type in PostgreSQL 15, reads them back with ORDER BY v ASC and DESC (the
// default NULL placement), and checks that our keys of the rows in
// PostgreSQL's order never decrease.
func TestKeyOrderAgainstPostgres(t *testing.T) {
	if os.Getenv("TESSERA_NO_PG") == "1" {
		t.Skip("TESSERA_NO_PG=1: PostgreSQL cross-check skipped by the developer")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pg, err := logictest.StartPostgres(ctx)
	require.NoError(t, err, "this test needs the PostgreSQL 15 server (Debian package postgresql); set TESSERA_NO_PG=1 to skip it")
	defer func() { require.NoError(t, pg.Stop()) }()
	cfg, err := pgconn.ParseConfig(pg.URL)
	require.NoError(t, err)
	cfg.RuntimeParams["TimeZone"] = "UTC"
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	defer conn.Close(context.Background())

	rng := seededRand(t)
	typs := []*types.T{types.Bool, types.Int2, types.Int8, types.Float4, types.Float8, types.Numeric,
		mk(types.MakeNumeric(8, 3)), types.String, mk(types.MakeVarChar(6)), mk(types.MakeChar(4)), types.Bytes,
		types.Date, types.Time, types.Timestamp, types.TimestampTZ, types.Interval, types.UUID, types.JSONB,
		mk(types.MakeArray(types.Int4)), mk(types.MakeArray(types.String)), mk(types.MakeArray(types.Float8))}
	for i, typ := range typs {
		table := fmt.Sprintf("t%d", i)
		_, err := conn.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (v %s)", table, typ)).ReadAll()
		require.NoError(t, err)
		for j := 0; j < 80; j++ {
			d := types.RandDatum(rng, typ, 10)
			var params [][]byte
			if !types.IsNull(d) {
				params = [][]byte{[]byte(types.FormatText(typ, d, nil))}
			} else {
				params = [][]byte{nil}
			}
			res := conn.ExecParams(ctx, fmt.Sprintf("INSERT INTO %s VALUES ($1::%s)", table, typ), params, nil, nil, nil).Read()
			require.NoError(t, res.Err)
		}
		for _, dir := range []KeyDir{Asc, Desc} {
			order := "ASC"
			if dir.Descending {
				order = "DESC"
			}
			res := conn.ExecParams(ctx, fmt.Sprintf("SELECT v FROM %s ORDER BY v %s", table, order), nil, nil, nil, nil).Read()
			require.NoError(t, res.Err)
			var prev []byte
			var prevText string
			for _, row := range res.Rows {
				d := types.Null
				text := "NULL"
				if row[0] != nil {
					text = string(row[0])
					d, err = types.ParseText(typ, text, nil)
					require.NoError(t, err)
				}
				k, err := EncodeKey(nil, typ, d, dir)
				require.NoError(t, err)
				require.True(t, prev == nil || bytes.Compare(prev, k) <= 0,
					"%s ORDER BY %s: PostgreSQL puts %q before %q, our keys disagree", typ, order, prevText, text)
				prev, prevText = k, text
			}
		}
	}
}
