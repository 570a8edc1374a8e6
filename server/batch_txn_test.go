package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"
)

// rawConn is a pgproto3 frontend on a hijacked pgconn connection: the test
// writes protocol messages itself.
type rawConn struct {
	t  *testing.T
	fe *pgproto3.Frontend
}

func rawConnect(t *testing.T, url string) *rawConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pc, err := pgconn.Connect(ctx, url)
	require.NoError(t, err)
	hc, err := pc.Hijack()
	require.NoError(t, err)
	t.Cleanup(func() { _ = hc.Conn.Close() })
	require.NoError(t, hc.Conn.SetDeadline(time.Now().Add(60*time.Second)))
	return &rawConn{t: t, fe: hc.Frontend}
}

// stmt queues Parse (unnamed), Bind and Execute of q.
func (c *rawConn) stmt(q string) {
	c.fe.Send(&pgproto3.Parse{Query: q})
	c.fe.Send(&pgproto3.Bind{})
	c.fe.Send(&pgproto3.Execute{})
}

// sync sends Sync and returns the answers up to ReadyForQuery as a
// summary: one word a message (the tag for CommandComplete, the SQLSTATE
// for ErrorResponse, the status for ReadyForQuery, values for DataRow).
func (c *rawConn) sync() string {
	c.t.Helper()
	c.fe.Send(&pgproto3.Sync{})
	require.NoError(c.t, c.fe.Flush())
	var out []string
	for {
		m, err := c.fe.Receive()
		require.NoError(c.t, err)
		switch m := m.(type) {
		case *pgproto3.ParseComplete, *pgproto3.BindComplete, *pgproto3.RowDescription, *pgproto3.NoticeResponse:
		case *pgproto3.CommandComplete:
			out = append(out, string(m.CommandTag))
		case *pgproto3.DataRow:
			var vs []string
			for _, v := range m.Values {
				vs = append(vs, string(v))
			}
			out = append(out, "row("+strings.Join(vs, ",")+")")
		case *pgproto3.ErrorResponse:
			out = append(out, "error "+m.Code)
		case *pgproto3.ReadyForQuery:
			out = append(out, "ready "+string(m.TxStatus))
			return strings.Join(out, "; ")
		default:
			out = append(out, fmt.Sprintf("%T", m))
		}
	}
}

// batch queues each statement of qs and returns sync's summary.
func (c *rawConn) batch(qs ...string) string {
	c.t.Helper()
	for _, q := range qs {
		c.stmt(q)
	}
	return c.sync()
}

func TestExtendedBatchIsOneImplicitTransaction(t *testing.T) {
	url := startSQLNode(t)
	ctx, pg := connectSQL(t, url, 2*time.Minute)
	execAll(ctx, t, pg, "CREATE TABLE b (k INT PRIMARY KEY)")
	keys := func() string {
		var s string
		require.NoError(t, pg.QueryRow(ctx, "SELECT coalesce(string_agg(k::text, ',' ORDER BY k), '') FROM b").Scan(&s))
		return s
	}
	c := rawConnect(t, url)

	// An error aborts the batch: the insert before it is rolled back and the
	// one after it is skipped.
	require.Equal(t, "INSERT 0 1; error 23505; ready I", c.batch("INSERT INTO b VALUES (1)", "INSERT INTO b VALUES (1)", "INSERT INTO b VALUES (2)"))
	require.Equal(t, "", keys())

	// Statements of one batch see each other's writes and commit together at Sync.
	require.Equal(t, "INSERT 0 1; INSERT 0 1; row(2); SELECT 1; ready I", c.batch("INSERT INTO b VALUES (1)", "INSERT INTO b VALUES (2)", "SELECT count(*) FROM b"))
	require.Equal(t, "1,2", keys())

	// A batch of one statement commits on its own.
	require.Equal(t, "INSERT 0 1; ready I", c.batch("INSERT INTO b VALUES (3)"))
	require.Equal(t, "1,2,3", keys())

	// A failure at Execute after an unfinished Flush: still one transaction.
	c.stmt("INSERT INTO b VALUES (4)")
	c.fe.Send(&pgproto3.Flush{})
	require.Equal(t, "INSERT 0 1; error 22012; ready I", c.batch("SELECT 1/0"))
	require.Equal(t, "1,2,3", keys())

	// BEGIN turns the implicit transaction into a block that includes the
	// statements before it; ROLLBACK undoes them.
	require.Equal(t, "INSERT 0 1; BEGIN; ready T", c.batch("INSERT INTO b VALUES (5)", "BEGIN"))
	require.Equal(t, "ROLLBACK; ready I", c.batch("ROLLBACK"))
	require.Equal(t, "1,2,3", keys())

	// COMMIT ends the implicit transaction early: what follows it is a new one.
	require.Equal(t, "INSERT 0 1; COMMIT; INSERT 0 1; error 23505; ready I", c.batch("INSERT INTO b VALUES (6)", "COMMIT", "INSERT INTO b VALUES (7)", "INSERT INTO b VALUES (7)"))
	require.Equal(t, "1,2,3,6", keys())

	// SAVEPOINT needs a real block (25P01), as in PostgreSQL.
	require.Equal(t, "INSERT 0 1; error 25P01; ready I", c.batch("INSERT INTO b VALUES (8)", "SAVEPOINT s"))
	require.Equal(t, "1,2,3,6", keys())

	// Inside an explicit block a batch changes nothing: the block goes on.
	require.Equal(t, "BEGIN; INSERT 0 1; ready T", c.batch("BEGIN", "INSERT INTO b VALUES (9)"))
	require.Equal(t, "INSERT 0 1; COMMIT; ready I", c.batch("INSERT INTO b VALUES (10)", "COMMIT"))
	require.Equal(t, "1,2,3,6,9,10", keys())
}

func TestSimpleMultiStatementIsOneImplicitTransaction(t *testing.T) {
	url := startSQLNode(t)
	ctx, pg := connectSQL(t, url, 2*time.Minute)
	execAll(ctx, t, pg, "CREATE TABLE b (k INT PRIMARY KEY)")
	keys := func() string {
		var s string
		require.NoError(t, pg.QueryRow(ctx, "SELECT coalesce(string_agg(k::text, ',' ORDER BY k), '') FROM b").Scan(&s))
		return s
	}
	pc := pg.PgConn()
	_, err := pc.Exec(ctx, "INSERT INTO b VALUES (1); INSERT INTO b VALUES (2); SELECT 1/0").ReadAll()
	require.Equal(t, "22012", pgCode(err))
	require.Equal(t, "", keys())

	_, err = pc.Exec(ctx, "INSERT INTO b VALUES (1); COMMIT; INSERT INTO b VALUES (2); INSERT INTO b VALUES (1)").ReadAll()
	require.Equal(t, "23505", pgCode(err))
	require.Equal(t, "1", keys())

	res, err := pc.Exec(ctx, "INSERT INTO b VALUES (3); SELECT count(*) FROM b").ReadAll()
	require.NoError(t, err)
	require.Equal(t, "2", string(res[1].Rows[0][0]))
	require.Equal(t, "1,3", keys())
}
