package pgwire

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/internal/leaktest"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/types"
)

func TestMain(m *testing.M) {
	leaktest.Main(m, "tessera/pgwire.")
}

// testEngine is a conn.Engine double for the wire tests. It understands a
// handful of one-word statements (not SQL):
//
//	select N         one int4 row N
//	series N         int8 rows 1..N (a portal with a row limit)
//	types            one row with a sample value of every scalar type, and a NULL
//	echo T1,T2 …     (prepared) returns its parameters, of types T1 … ("?" = the client's OID or text)
//	error CODE       fails with SQLSTATE CODE, a detail, a hint and position 1
//	notice           sends a NOTICE, tag "DO"
//	insert           tag "INSERT 0 1"
//	begin|commit|rollback  transaction status T / I
//	set NAME VALUE   sets a session variable, tag "SET"
//	sleep            blocks until Session.Cancel, then fails with 57014
//	panic            panics (an engine bug)
//	copy             COPY FROM STDIN of text lines; a line "bad" fails with 22P02; tag "COPY n"
//
// Simple queries split on ';'.
type testEngine struct {
	sessions atomic.Int32  // open sessions
	cancels  atomic.Int32  // Session.Cancel calls
	sleeping chan struct{} // receives when a session starts sleeping
	// countVars: sessions count their variable changes (genSession), as
	// sql/session's do.
	countVars bool
}

func newTestEngine() *testEngine {
	return &testEngine{sleeping: make(chan struct{}, 16)}
}

type testError struct {
	code, msg string
	pos       int
}

func (e *testError) Error() string    { return e.msg }
func (e *testError) SQLState() string { return e.code }
func (e *testError) Detail() string   { return "some detail" }
func (e *testError) Hint() string     { return "some hint" }
func (e *testError) Position() int    { return e.pos }

func (e *testEngine) NewSession(_ context.Context, args conn.SessionArgs) (conn.Session, error) {
	if args.Database == "nodb" {
		return nil, &testError{code: "3D000", msg: fmt.Sprintf("database %q does not exist", args.Database)}
	}
	s := &testSession{e: e, vars: map[string]string{
		"application_name": "", "timezone": "UTC", "server_version": "16.0 (Tessera test)",
	}, cancel: make(chan struct{}, 1)}
	for k, v := range args.Options {
		s.vars[strings.ToLower(k)] = v
	}
	e.sessions.Add(1)
	if e.countVars {
		return genSession{s}, nil
	}
	return s, nil
}

// genSession is a testSession that counts its variable changes.
type genSession struct{ *testSession }

func (s genSession) VarsGeneration() uint64 { return s.gen }

type testSession struct {
	e      *testEngine
	vars   map[string]string
	status byte // 0 = 'I'
	cancel chan struct{}
	closed bool
	gen    uint64 // variable changes
}

func (s *testSession) TxnStatus() byte {
	if s.status == 0 {
		return 'I'
	}
	return s.status
}

func (s *testSession) Var(name string) (string, bool) {
	v, ok := s.vars[strings.ToLower(name)]
	return v, ok
}

func (s *testSession) Cancel() {
	s.e.cancels.Add(1)
	select {
	case s.cancel <- struct{}{}:
	default:
	}
}

func (s *testSession) Close() {
	if !s.closed {
		s.closed = true
		s.e.sessions.Add(-1)
	}
}

func (s *testSession) ExecSimple(ctx context.Context, query string, begin func() conn.ResultWriter, end func(string) error) error {
	var stmts []string
	for _, st := range strings.Split(query, ";") {
		if st = strings.TrimSpace(st); st != "" && !strings.HasPrefix(st, "--") {
			stmts = append(stmts, st)
		}
	}
	if len(stmts) == 0 {
		return conn.ErrEmptyQuery
	}
	for _, st := range stmts {
		p, err := s.Prepare(ctx, st, nil)
		if err != nil {
			return err
		}
		w := begin()
		tag, _, err := s.Execute(ctx, p, nil, w, 0)
		if err != nil {
			return err
		}
		if err := end(tag); err != nil {
			return err
		}
	}
	return nil
}

type testPrepared struct {
	verb   string
	arg    string
	params []*types.T
	cols   []conn.Column
}

func (p *testPrepared) ParamTypes() []*types.T { return p.params }
func (p *testPrepared) Columns() []conn.Column { return p.cols }

// sampleTypes are the types of the "types" statement with a sample text
// value each.
var sampleTypes = []struct {
	t    *types.T
	text string
}{
	{types.Bool, "t"}, {types.Int2, "-12"}, {types.Int4, "123456"}, {types.Int8, "-9000000000"},
	{types.Float4, "1.5"}, {types.Float8, "-2.25e+100"}, {types.Numeric, "12345.6789"},
	{types.String, "héllo"}, {types.VarCharAny, "v"}, {types.BPChar, "c"}, {types.Bytes, `\x00ff10`},
	{types.Date, "2024-02-29"}, {types.Time, "13:14:15.123456"}, {types.Timestamp, "2024-02-29 13:14:15.5"},
	{types.TimestampTZ, "2024-02-29 13:14:15.5+00"}, {types.Interval, "1 year 2 mons -3 days 04:05:06"},
	{types.UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, {types.JSONB, `{"a": [1, 2, null]}`},
	{types.JSON, `{"b":1}`},
}

func typeByName(name string) (*types.T, bool) {
	for _, t := range types.Scalars {
		if t.SQLName() == name || t.PGName() == name {
			return t, true
		}
	}
	return nil, false
}

func (s *testSession) Prepare(_ context.Context, query string, oids []types.OID) (conn.Prepared, error) {
	f := strings.Fields(query)
	if len(f) == 0 {
		return nil, conn.ErrEmptyQuery
	}
	p := &testPrepared{verb: strings.ToLower(f[0]), arg: strings.Join(f[1:], " ")}
	switch p.verb {
	case "select":
		p.cols = []conn.Column{{Name: "?column?", Type: types.Int4}}
	case "series":
		p.cols = []conn.Column{{Name: "i", Type: types.Int8, TableOID: 4242, ColumnAttr: 1}}
	case "types":
		for i, st := range sampleTypes {
			p.cols = append(p.cols, conn.Column{Name: fmt.Sprintf("c%d", i), Type: st.t})
		}
		p.cols = append(p.cols, conn.Column{Name: "null", Type: types.Int4})
	case "echo":
		for i, name := range strings.Split(p.arg, ",") {
			var t *types.T
			if name == "?" {
				t = types.String
				if i < len(oids) && oids[i] != 0 {
					t, _ = types.FromOID(oids[i])
				}
			} else {
				var ok bool
				if t, ok = typeByName(name); !ok {
					return nil, &testError{code: "42704", msg: fmt.Sprintf("type %q does not exist", name), pos: 6}
				}
			}
			p.params = append(p.params, t)
			p.cols = append(p.cols, conn.Column{Name: fmt.Sprintf("p%d", i+1), Type: t})
		}
	case "error", "notice", "insert", "begin", "commit", "rollback", "set", "sleep", "copy", "panic":
	default:
		return nil, &testError{code: "42601", msg: fmt.Sprintf("syntax error at or near %q", f[0]), pos: 1}
	}
	if s.status == 'E' && p.verb != "rollback" && p.verb != "commit" {
		return nil, &testError{code: "25P02", msg: "current transaction is aborted, commands ignored until end of transaction block"}
	}
	return p, nil
}

type testPortal struct {
	s          *testSession
	next, last int64
}

func (p *testPortal) Resume(_ context.Context, w conn.ResultWriter, maxRows int) (string, conn.Portal, error) {
	return p.run(w, maxRows)
}

func (p *testPortal) Close() {}

func (p *testPortal) run(w conn.ResultWriter, maxRows int) (string, conn.Portal, error) {
	for n := 0; p.next <= p.last; n++ {
		if maxRows > 0 && n == maxRows {
			return "", p, nil
		}
		if err := w.Row([]types.Datum{types.DInt(p.next)}); err != nil {
			return "", nil, err
		}
		p.next++
	}
	return fmt.Sprintf("SELECT %d", p.last), nil, nil
}

func (s *testSession) Execute(ctx context.Context, pr conn.Prepared, params []types.Datum, w conn.ResultWriter, maxRows int) (string, conn.Portal, error) {
	p := pr.(*testPrepared)
	fail := func(err error) (string, conn.Portal, error) {
		if s.status == 'T' {
			s.status = 'E'
		}
		return "", nil, err
	}
	switch p.verb {
	case "select":
		n, err := strconv.Atoi(p.arg)
		if err != nil {
			return fail(&testError{code: "22P02", msg: "bad number"})
		}
		if err := w.Columns(p.cols); err != nil {
			return "", nil, err
		}
		if err := w.Row([]types.Datum{types.DInt(n)}); err != nil {
			return "", nil, err
		}
		return "SELECT 1", nil, nil
	case "series":
		n, err := strconv.ParseInt(p.arg, 10, 64)
		if err != nil {
			return fail(&testError{code: "22P02", msg: "bad number"})
		}
		if err := w.Columns(p.cols); err != nil {
			return "", nil, err
		}
		return (&testPortal{s: s, next: 1, last: n}).run(w, maxRows)
	case "types":
		if err := w.Columns(p.cols); err != nil {
			return "", nil, err
		}
		row := make([]types.Datum, 0, len(sampleTypes)+1)
		for _, st := range sampleTypes {
			d, err := types.ParseText(st.t, st.text, nil)
			if err != nil {
				return "", nil, err
			}
			row = append(row, d)
		}
		row = append(row, types.Null)
		return "SELECT 1", nil, w.Row(row)
	case "echo":
		if err := w.Columns(p.cols); err != nil {
			return "", nil, err
		}
		return "SELECT 1", nil, w.Row(params)
	case "error":
		return fail(&testError{code: p.arg, msg: "failed as asked", pos: 1})
	case "notice":
		return "DO", nil, w.Notice(conn.Notice{Severity: "NOTICE", Code: "00000", Message: "hello"})
	case "insert":
		return "INSERT 0 1", nil, nil
	case "panic":
		panic("engine bug")
	case "begin":
		if s.status == 0 {
			s.status = 'T'
		}
		return "BEGIN", nil, nil
	case "commit", "rollback":
		s.status = 0
		return strings.ToUpper(p.verb), nil, nil
	case "set":
		name, val, _ := strings.Cut(p.arg, " ")
		s.vars[strings.ToLower(name)] = val
		s.gen++
		return "SET", nil, nil
	case "sleep":
		s.e.sleeping <- struct{}{}
		select {
		case <-s.cancel:
			return fail(&testError{code: "57014", msg: "canceling statement due to user request"})
		case <-ctx.Done():
			return fail(ctx.Err())
		}
	case "copy":
		ci, ok := w.(conn.CopyInWriter)
		if !ok {
			return fail(&testError{code: "0A000", msg: "no COPY"})
		}
		r, err := ci.CopyIn(1, false)
		if err != nil {
			return fail(err)
		}
		sc := bufio.NewScanner(r)
		n := 0
		for sc.Scan() {
			if sc.Text() == "bad" {
				return fail(&testError{code: "22P02", msg: "bad copy line"})
			}
			n++
		}
		if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
			return fail(err)
		}
		return fmt.Sprintf("COPY %d", n), nil, nil
	}
	return fail(&testError{code: "XX000", msg: "unreachable"})
}

// startTestServer serves cfg (with a fresh testEngine when cfg.Engine is
// nil) on a loopback port and stops it when the test ends.
func startTestServer(t *testing.T, cfg Config) (*Server, *testEngine, string) {
	t.Helper()
	var eng *testEngine
	if cfg.Engine == nil {
		eng = newTestEngine()
		cfg.Engine = eng
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	lis, err := listenLoopback()
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})
	return srv, eng, lis.Addr().String()
}
