package logictest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

// TestDataCTEParams runs data-modifying WITH queries with $n parameters in
// the WITH query and in the statement through the extended protocol
// (prepared once, executed twice): each execution writes once.
func TestDataCTEParams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgconn.Connect(ctx, startTessera(t))
	require.NoError(t, err)
	defer c.Close(ctx)
	exec := func(sql string) {
		_, err := c.Exec(ctx, sql).ReadAll()
		require.NoError(t, err, sql)
	}
	exec("CREATE TABLE dcp (id INT PRIMARY KEY, v TEXT)")
	_, err = c.Prepare(ctx, "ins", "WITH i AS (INSERT INTO dcp VALUES ($1, $2) RETURNING id, v) SELECT id * $3, v FROM i", nil)
	require.NoError(t, err)
	for _, id := range []string{"1", "2"} {
		res := c.ExecPrepared(ctx, "ins", [][]byte{[]byte(id), []byte("v" + id), []byte("10")}, nil, nil).Read()
		require.NoError(t, res.Err)
		require.Len(t, res.Rows, 1)
		require.Equal(t, id+"0", string(res.Rows[0][0]))
		require.Equal(t, "v"+id, string(res.Rows[0][1]))
	}
	res := c.ExecParams(ctx, "WITH d AS (DELETE FROM dcp WHERE id = $1 RETURNING v) SELECT v FROM d", [][]byte{[]byte("2")}, nil, nil, nil).Read()
	require.NoError(t, res.Err)
	require.Len(t, res.Rows, 1)
	require.Equal(t, "v2", string(res.Rows[0][0]))
	res = c.ExecParams(ctx, "SELECT count(*) FROM dcp", nil, nil, nil, nil).Read()
	require.NoError(t, res.Err)
	require.Equal(t, "1", string(res.Rows[0][0]))
}
