package session

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/conn"
)

// notices runs one statement and returns the notices it sent.
func (ts *tsess) notices(sql string) []string {
	ts.t.Helper()
	var got []string
	err := ts.s.ExecSimple(context.Background(), sql, func() conn.ResultWriter {
		w := &textWriter{}
		got = nil
		return &noticeTap{textWriter: w, out: &got}
	}, func(string) error { return nil })
	require.NoError(ts.t, err, sql)
	return got
}

type noticeTap struct {
	*textWriter
	out *[]string
}

func (n *noticeTap) Notice(x conn.Notice) error {
	*n.out = append(*n.out, x.Severity+": "+x.Message)
	return nil
}

// TestRoleStatementsWarnTheyAreNotEnforced: GRANT, REVOKE and a role with a
// login or password are accepted for migrations' sake, but nothing enforces
// them, and the client is told so.
func TestRoleStatementsWarnTheyAreNotEnforced(t *testing.T) {
	eng, _ := newTestEngine(t)
	ts := newTS(t, eng)
	ts.exec("CREATE TABLE t (a INT PRIMARY KEY)")
	require.Empty(t, ts.notices("CREATE ROLE reader NOLOGIN"))
	require.Equal(t, []string{"WARNING: " + roleAuthWarning}, ts.notices("CREATE USER app PASSWORD 'secret'"))
	require.Equal(t, []string{"WARNING: " + roleAuthWarning}, ts.notices("ALTER ROLE reader LOGIN"))
	require.Equal(t, []string{"WARNING: " + privilegeWarning}, ts.notices("GRANT SELECT ON t TO reader"))
	require.Equal(t, []string{"WARNING: " + privilegeWarning}, ts.notices("REVOKE SELECT ON t FROM reader"))
	require.Equal(t, []string{"WARNING: " + privilegeWarning}, ts.notices("GRANT reader TO app"))
}
