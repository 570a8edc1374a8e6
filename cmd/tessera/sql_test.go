package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/pgwire"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/types"
)

func TestStatementComplete(t *testing.T) {
	for s, want := range map[string]bool{
		"select 1;":                        true,
		"select 1":                         false,
		"select 1; -- done\n":              true,
		"select ';'":                       false,
		"select ';';":                      true,
		"select \"a;\" from t":             false,
		"select 1 /* ; */":                 false,
		"select 1 /* unterminated ;":       false,
		"select $$ ; $$":                   false,
		"select $$ ; $$;":                  true,
		"select $x$ ; $x$ ;\n":             true,
		"select $1;":                       true,
		"create function f() as $body$\n;": false,
		"select 'it''s';":                  true,
	} {
		require.Equal(t, want, statementComplete(s), s)
	}
}

func TestPrintTable(t *testing.T) {
	var b strings.Builder
	printTable(&b, []string{"id", "name"}, [][][]byte{{[]byte("1"), []byte("ada")}, {[]byte("22"), nil}})
	require.Equal(t, ""+
		" id | name\n"+
		"----+------\n"+
		" 1  | ada\n"+
		" 22 |\n"+
		"(2 rows)\n\n", b.String())
	b.Reset()
	printTable(&b, []string{"x"}, [][][]byte{{[]byte("é")}})
	require.Equal(t, " x\n---\n é\n(1 row)\n\n", b.String())
}

// shellEngine is a conn.Engine double for the shell test: "select N" returns
// N in a column n, "fail" fails with 22012, anything else is an empty
// statement list if blank or a 42601 error.
type shellEngine struct{}

type shellSession struct{}

type shellErr struct{ code, msg string }

func (e *shellErr) Error() string    { return e.msg }
func (e *shellErr) SQLState() string { return e.code }

func (shellEngine) NewSession(context.Context, conn.SessionArgs) (conn.Session, error) {
	return shellSession{}, nil
}

func (shellSession) ExecSimple(ctx context.Context, q string, begin func() conn.ResultWriter, end func(string) error) error {
	n := 0
	for _, st := range strings.Split(q, ";") {
		st = strings.TrimSpace(st)
		if st == "" {
			continue
		}
		n++
		f := strings.Fields(st)
		switch {
		case len(f) == 2 && f[0] == "select":
			w := begin()
			if err := w.Columns([]conn.Column{{Name: "n", Type: types.String}}); err != nil {
				return err
			}
			if err := w.Row([]types.Datum{types.DString(f[1])}); err != nil {
				return err
			}
			if err := end("SELECT 1"); err != nil {
				return err
			}
		case st == "fail":
			return &shellErr{"22012", "division by zero"}
		default:
			return &shellErr{"42601", "syntax error"}
		}
	}
	if n == 0 {
		return conn.ErrEmptyQuery
	}
	return nil
}

func (shellSession) Prepare(context.Context, string, []types.OID) (conn.Prepared, error) {
	return nil, &shellErr{"0A000", "no extended protocol in this double"}
}

func (shellSession) Execute(context.Context, conn.Prepared, []types.Datum, conn.ResultWriter, int) (string, conn.Portal, error) {
	return "", nil, &shellErr{"0A000", "no extended protocol in this double"}
}
func (shellSession) TxnStatus() byte           { return 'I' }
func (shellSession) Var(string) (string, bool) { return "", false }
func (shellSession) Cancel()                   {}
func (shellSession) Close()                    {}

func TestSQLShell(t *testing.T) {
	srv, err := pgwire.New(pgwire.Config{Engine: shellEngine{}})
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	defer func() { srv.Close(); <-done }()
	url := "postgresql://root@" + lis.Addr().String() + "/defaultdb?sslmode=disable"

	run := func(stdin string, args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		sqlCmd, _, err := rootCmd.Find([]string{"sql"})
		require.NoError(t, err)
		ef := sqlCmd.Flags().Lookup("execute") // flags persist between Executes
		require.NoError(t, ef.Value.(pflag.SliceValue).Replace(nil))
		ef.Changed = false
		rootCmd.SetArgs(append([]string{"sql", "--url", url}, args...))
		rootCmd.SetIn(strings.NewReader(stdin))
		rootCmd.SetOut(&out)
		rootCmd.SetErr(&errOut)
		err = rootCmd.ExecuteContext(context.Background())
		return out.String(), errOut.String(), err
	}
	out, _, err := run("", "-e", "select a; select b")
	require.NoError(t, err)
	require.Equal(t, " n\n---\n a\n(1 row)\n\n n\n---\n b\n(1 row)\n\n", out)

	out, errOut, err := run("select\n x;\n\nfail;\nselect y;\n")
	require.ErrorIs(t, err, errSQLFailed) // piped input: exit status 1 after a failure
	require.Equal(t, " n\n---\n x\n(1 row)\n\n n\n---\n y\n(1 row)\n\n", out)
	require.Equal(t, "ERROR:  division by zero (SQLSTATE 22012)\n", errOut)

	out, _, err = run("select z;\n\\q\nselect never;\n")
	require.NoError(t, err)
	require.Equal(t, " n\n---\n z\n(1 row)\n\n", out)

	_, _, err = run("", "-e", "fail")
	require.ErrorIs(t, err, errSQLFailed)
}
