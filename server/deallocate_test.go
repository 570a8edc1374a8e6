package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

// TestDeallocateProtocolStatement: SQL DEALLOCATE shares its name space
// with the extended protocol's named statements, as in PostgreSQL: it
// drops a statement made by Parse (which can then be parsed again under
// the same name), and a name that exists in neither is 26000.
func TestDeallocateProtocolStatement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgconn.Connect(ctx, startSQLNode(t))
	require.NoError(t, err)
	defer c.Close(context.Background())
	code := func(sql string) string {
		_, err := c.Exec(ctx, sql).ReadAll()
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return pe.Code
		}
		require.NoError(t, err, sql)
		return ""
	}
	_, err = c.Prepare(ctx, "s1", "select 1", nil)
	require.NoError(t, err)
	_, err = c.Prepare(ctx, "s1", "select 2", nil)
	requireCode(t, err, "42P05")
	require.Equal(t, "", code("DEALLOCATE s1"))
	_, err = c.Prepare(ctx, "s1", "select 2", nil)
	require.NoError(t, err, "Parse of a deallocated name")
	require.Equal(t, "", code("DEALLOCATE PREPARE s1"))
	require.Equal(t, "26000", code("DEALLOCATE s1"))

	require.Equal(t, "", code("PREPARE q AS SELECT 1"))
	require.Equal(t, "", code("DEALLOCATE q"))
	require.Equal(t, "26000", code("DEALLOCATE q"))

	_, err = c.Prepare(ctx, "s2", "select 1", nil)
	require.NoError(t, err)
	require.Equal(t, "", code("PREPARE q AS SELECT 1"))
	require.Equal(t, "", code("DEALLOCATE ALL"))
	require.Equal(t, "26000", code("DEALLOCATE s2"))
	require.Equal(t, "26000", code("DEALLOCATE q"))
	_, err = c.Prepare(ctx, "s2", "select 1", nil)
	require.NoError(t, err, "Parse after DEALLOCATE ALL")
}

func requireCode(t *testing.T, err error, want string) {
	t.Helper()
	var pe *pgconn.PgError
	require.True(t, errors.As(err, &pe), "want SQLSTATE %s, got %v", want, err)
	require.Equal(t, want, pe.Code)
}
