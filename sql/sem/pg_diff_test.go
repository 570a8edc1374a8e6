package sem

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tesseradb/tessera/sql/logictest"
	"github.com/tesseradb/tessera/sql/types"
)

var (
	pgOnce   sync.Once
	pgServer *logictest.Postgres
	pgErr    error
)

// postgres returns a connection to a throw-away PostgreSQL 15 server,
// started on first use and stopped by TestMain. Without the server
// binaries the test fails under CI=true and is skipped otherwise.
func postgres(t *testing.T) *pgconn.PgConn {
	t.Helper()
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		pgServer, pgErr = logictest.StartPostgres(ctx)
	})
	if pgErr != nil {
		if errors.Is(pgErr, logictest.ErrNoPostgres) && os.Getenv("CI") != "true" {
			t.Skipf("PostgreSQL 15 not installed (required when CI=true): %v", pgErr)
		}
		t.Fatalf("PostgreSQL 15 server needed for the differential test: %v", pgErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgconn.Connect(ctx, pgServer.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	for _, s := range []string{"SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, MDY'", "SET IntervalStyle = 'postgres'",
		"SET extra_float_digits = 1", "SET bytea_output = 'hex'"} {
		if _, err := c.Exec(ctx, s).ReadAll(); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

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

// outcome is what one `SELECT expr` produced: the result type's OID and
// its rows' text, or an error's SQLSTATE.
type outcome struct {
	oid  uint32
	rows []string
	code string
	msg  string
}

func (o outcome) String() string {
	if o.code != "" {
		return "ERROR " + o.code + ": " + o.msg
	}
	return fmt.Sprintf("oid %d %q", o.oid, o.rows)
}

func (o outcome) same(p outcome) bool {
	if o.code != "" || p.code != "" {
		return o.code == p.code
	}
	return o.oid == p.oid && strings.Join(o.rows, "\x00") == strings.Join(p.rows, "\x00")
}

func pgOutcome(ctx context.Context, c *pgconn.PgConn, expr string) outcome {
	rs, err := c.Exec(ctx, "SELECT "+expr).ReadAll()
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return outcome{code: pe.Code, msg: pe.Message}
		}
		return outcome{code: "?", msg: err.Error()}
	}
	r := rs[0]
	o := outcome{oid: r.FieldDescriptions[0].DataTypeOID}
	for _, row := range r.Rows {
		if row[0] == nil {
			o.rows = append(o.rows, "NULL")
		} else {
			o.rows = append(o.rows, string(row[0]))
		}
	}
	return o
}

func ourOutcome(ctx *EvalContext, expr string) outcome {
	v, err := evalSQL(ctx, expr)
	if err != nil {
		var te *types.Error
		if errors.As(err, &te) {
			return outcome{code: te.Code, msg: te.Message}
		}
		return outcome{code: "?", msg: err.Error()}
	}
	o := outcome{oid: uint32(v.t.OID())}
	if v.srf {
		for _, d := range v.rows {
			o.rows = append(o.rows, types.FormatText(v.t, d, ctx.Loc()))
		}
		return o
	}
	o.rows = []string{types.FormatText(v.t, v.d, ctx.Loc())}
	return o
}

// readExprs reads testdata files: one expression per line; blank lines
// and lines starting with "--" are ignored.
func readExprs(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "--") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// TestDifferentialPostgres evaluates every expression of
// testdata/exprs.txt here and on PostgreSQL 15 and compares the result
// type, the text output and the SQLSTATE of errors.
func TestDifferentialPostgres(t *testing.T) {
	c := postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exprs := readExprs(t, "testdata/exprs.txt")
	ec := &EvalContext{Database: "postgres", Schema: "public", User: "postgres"}
	failed := 0
	for _, e := range exprs {
		// "~ expr": compare text only (PostgreSQL returns a type we map
		// to text, such as name).
		textOnly := strings.HasPrefix(e, "~ ")
		e = strings.TrimPrefix(e, "~ ")
		want := pgOutcome(ctx, c, e)
		got := ourOutcome(ec, e)
		if textOnly {
			want.oid, got.oid = 0, 0
		}
		if !got.same(want) {
			failed++
			t.Errorf("SELECT %s\n  postgres: %s\n  tessera:  %s", e, want, got)
		}
	}
	t.Logf("%d expressions, %d differ", len(exprs), failed)
}
