package randgen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/internal/testport"
	"github.com/tesseradb/tessera/pgwire"
	"github.com/tesseradb/tessera/sql/internal/memkv"
	sqlsession "github.com/tesseradb/tessera/sql/session"
)

// startTessera serves an in-process SQL engine (over the in-memory KV test
// double) through pgwire on a loopback port of TESSERA_TEST_PORTS and
// returns its URL.
func startTessera(t *testing.T) string {
	ctx := context.Background()
	eng, err := sqlsession.NewEngine(ctx, memkv.New(), sqlsession.Config{NodeID: 1})
	require.NoError(t, err)
	srv, err := pgwire.New(pgwire.Config{Engine: eng})
	require.NoError(t, err)
	lis, err := testport.Listen()
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return "postgres://root@" + lis.Addr().String() + "/defaultdb?sslmode=disable"
}

// outcome is what one statement produced: its columns' type OIDs and rows
// (each row's values in text, NULL as \N, joined by \x1f), or an error.
type outcome struct {
	oids []uint32
	rows []string
	code string
	msg  string
}

func (o outcome) String() string {
	if o.code != "" {
		return "ERROR " + o.code + ": " + o.msg
	}
	rows := o.rows
	more := ""
	if len(rows) > 12 {
		rows, more = rows[:12], fmt.Sprintf(" … (%d rows)", len(o.rows))
	}
	return fmt.Sprintf("oids %v rows %q%s", o.oids, rows, more)
}

func (o outcome) sorted() []string {
	s := slices.Clone(o.rows)
	slices.Sort(s)
	return s
}

// db is one connection, reopened after a connection-level failure.
type db struct {
	url  string
	conn *pgconn.PgConn
}

var sessionSetup = []string{"SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, MDY'", "SET IntervalStyle = 'postgres'"}

func connect(t *testing.T, url string) *db {
	d := &db{url: url}
	require.NoError(t, d.reconnect())
	t.Cleanup(func() {
		if d.conn != nil {
			_ = d.conn.Close(context.Background())
		}
	})
	return d
}

func (d *db) reconnect() error {
	if d.conn != nil {
		_ = d.conn.Close(context.Background())
		d.conn = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgconn.Connect(ctx, d.url)
	if err != nil {
		return err
	}
	for _, s := range sessionSetup {
		if _, err := c.Exec(ctx, s).ReadAll(); err != nil {
			_ = c.Close(ctx)
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	d.conn = c
	return nil
}

// run executes one statement (simple protocol) within a deadline.
func (d *db) run(sql string) outcome {
	if d.conn == nil {
		if err := d.reconnect(); err != nil {
			return outcome{code: "CONN", msg: err.Error()}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rs, err := d.conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return outcome{code: pe.Code, msg: pe.Message}
		}
		_ = d.reconnect()
		return outcome{code: "CONN", msg: err.Error()}
	}
	if len(rs) == 0 {
		return outcome{}
	}
	r := rs[len(rs)-1]
	var o outcome
	for _, f := range r.FieldDescriptions {
		o.oids = append(o.oids, f.DataTypeOID)
	}
	for _, row := range r.Rows {
		parts := make([]string, len(row))
		for i, v := range row {
			if v == nil {
				parts[i] = `\N`
			} else {
				parts[i] = string(v)
			}
		}
		o.rows = append(o.rows, strings.Join(parts, "\x1f"))
	}
	if o.rows == nil {
		o.rows = []string{}
	}
	return o
}

// mismatch classifies how two outcomes of the same statement differ ("" if
// they agree): errors agree by SQLSTATE class, rows as multisets unless
// ordered; a statement PostgreSQL cancelled (57014) is no comparison.
func mismatch(want, got outcome, ordered bool) string {
	if want.code == "57014" && (got.code == "" || got.code == "CONN" || got.code == "57014") {
		// PostgreSQL gave up (statement_timeout): nothing to compare
		return ""
	}
	switch {
	case want.code != "" && got.code != "":
		if want.code[:2] != got.code[:2] {
			return "error " + want.code + " vs " + got.code
		}
		return ""
	case want.code != "":
		return "pg error " + want.code + ", tessera ok"
	case got.code != "":
		if got.code == "XX000" {
			return "tessera XX000"
		}
		return "pg ok, tessera " + got.code
	}
	if ordered {
		if !slices.Equal(want.rows, got.rows) {
			if slices.Equal(want.sorted(), got.sorted()) {
				return "order"
			}
			return "rows"
		}
	} else if !slices.Equal(want.sorted(), got.sorted()) {
		return "rows"
	}
	if !slices.Equal(want.oids, got.oids) {
		return "types"
	}
	return ""
}

// resetTables drops the generator's tables.
func resetTables(d *db) {
	for _, t := range []string{"t0", "t1", "t2"} {
		d.run("DROP TABLE IF EXISTS " + t)
	}
}
