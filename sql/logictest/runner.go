package logictest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Config says where and how to run .test files.
type Config struct {
	// URL is the server's connection URL, e.g.
	// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
	URL string
	// Engine is the name matched by skipif/onlyif; "postgresql" if empty.
	Engine string
	// FreshDatabase creates a database per file (CREATE DATABASE on the
	// URL's database, dropped afterwards) so files cannot see each other's
	// tables.
	FreshDatabase bool
	// AdminURL, if set, is where the per-file database is created and
	// dropped (another node of a cluster than URL, so that a file also
	// checks that a database made on one node is usable on another);
	// URL if empty.
	AdminURL string
	// Extended runs each record through the extended protocol
	// (Parse/Bind/Describe/Execute/Sync) instead of a simple Query. A
	// record with several statements needs the simple protocol.
	Extended bool
	// RecordTimeout bounds one record; 60 s if zero.
	RecordTimeout time.Duration
	// MaxValuesShown bounds the values printed in a failure; 20 if zero.
	MaxValuesShown int
	// Logger, if set, receives a line per file.
	Logger *slog.Logger
}

func (c *Config) engine() string {
	if c.Engine == "" {
		return "postgresql"
	}
	return c.Engine
}

// Failure is one record that did not pass.
type Failure struct {
	Path   string
	Line   int
	SQL    string
	Reason string
	// Class groups failures of one kind: "wrong result", "expected an
	// error", "column count", or "error <SQLSTATE>: <message pattern>"
	// with quoted names and numbers masked.
	Class string
}

func (f Failure) String() string {
	return fmt.Sprintf("%s:%d: %s\n    %s", f.Path, f.Line, f.Reason, strings.ReplaceAll(f.SQL, "\n", "\n    "))
}

// FileResult counts the records of one file.
type FileResult struct {
	Path                    string
	Passed, Failed, Skipped int
	Failures                []Failure
	Duration                time.Duration
}

// Result is the outcome of a run over several files.
type Result struct {
	Files                   []FileResult
	Passed, Failed, Skipped int
	Duration                time.Duration
}

// PassRate is passed / (passed + failed) in percent; skipped records do
// not count.
func (r *Result) PassRate() float64 {
	if r.Passed+r.Failed == 0 {
		return 0
	}
	return 100 * float64(r.Passed) / float64(r.Passed+r.Failed)
}

// Add folds a file's result into the total.
func (r *Result) Add(f FileResult) {
	r.Files = append(r.Files, f)
	r.Passed += f.Passed
	r.Failed += f.Failed
	r.Skipped += f.Skipped
	r.Duration += f.Duration
}

// Report writes the per-file lines, the total, and up to maxFailures
// failures (all of them if maxFailures < 0).
func (r *Result) Report(w io.Writer, maxFailures int) {
	for _, f := range r.Files {
		fmt.Fprintf(w, "%s: passed %d, failed %d, skipped %d (%s)\n", f.Path, f.Passed, f.Failed, f.Skipped, f.Duration.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "total: %d files, passed %d, failed %d, skipped %d, pass rate %.2f%% (%s)\n",
		len(r.Files), r.Passed, r.Failed, r.Skipped, r.PassRate(), r.Duration.Round(time.Millisecond))
	if classes := r.FailureClasses(); len(classes) > 0 {
		fmt.Fprintln(w, "failure classes:")
		for _, c := range classes {
			fmt.Fprintf(w, "  %6d  %s (e.g. %s:%d)\n", c.Count, c.Name, c.Example.Path, c.Example.Line)
		}
	}
	n := 0
	for _, f := range r.Files {
		for _, fl := range f.Failures {
			if maxFailures >= 0 && n >= maxFailures {
				fmt.Fprintf(w, "... %d more failures\n", r.Failed-n)
				return
			}
			fmt.Fprintln(w, fl.String())
			n++
		}
	}
}

// Run runs the files one after another and sums their results. An error
// is returned only when the server cannot be used (connect, create
// database); record failures are in the result.
func Run(ctx context.Context, cfg Config, paths []string) (*Result, error) {
	return RunRoundRobin(ctx, cfg, nil, paths)
}

// RunRoundRobin is Run over the nodes of a cluster: file k runs on
// urls[k mod n] with its database created through urls[(k+1) mod n]
// (cfg.URL and cfg.AdminURL are replaced). With no urls it runs every file
// on cfg.URL.
func RunRoundRobin(ctx context.Context, cfg Config, urls []string, paths []string) (*Result, error) {
	res := &Result{}
	for k, p := range paths {
		fc := cfg
		if n := len(urls); n > 0 {
			fc.URL, fc.AdminURL = urls[k%n], urls[(k+1)%n]
		}
		fr, err := RunFile(ctx, fc, p)
		if err != nil {
			return res, err
		}
		res.Add(fr)
	}
	return res, nil
}

var dbCounter atomic.Int64

// RunFile runs one .test file on its own connection.
func RunFile(ctx context.Context, cfg Config, path string) (FileResult, error) {
	start := time.Now()
	fr := FileResult{Path: path}
	recs, err := ParseFile(path)
	if err != nil {
		return fr, err
	}
	base, err := pgconn.ParseConfig(cfg.URL)
	if err != nil {
		return fr, fmt.Errorf("logictest: server URL: %w", err)
	}
	connCfg := base.Copy()
	if cfg.FreshDatabase {
		admin := base
		if cfg.AdminURL != "" {
			if admin, err = pgconn.ParseConfig(cfg.AdminURL); err != nil {
				return fr, fmt.Errorf("logictest: admin URL: %w", err)
			}
		}
		name := fmt.Sprintf("slt_%d_%d", os.Getpid(), dbCounter.Add(1))
		if err := adminExec(ctx, admin, "CREATE DATABASE "+name); err != nil {
			return fr, fmt.Errorf("logictest: %s: %w", path, err)
		}
		defer func() {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := adminExec(dctx, admin, "DROP DATABASE IF EXISTS "+name); err != nil && cfg.Logger != nil {
				cfg.Logger.Warn("drop database", "db", name, "err", err)
			}
		}()
		connCfg.Database = name
	}
	s := &session{cfg: &cfg, connCfg: connCfg, labels: map[string]string{}}
	defer s.close()
	if err := s.connect(ctx); err != nil {
		return fr, fmt.Errorf("logictest: %s: %w", path, err)
	}
	engine := cfg.engine()
	halted := false
	for i := range recs {
		rec := &recs[i]
		applies := rec.AppliesTo(engine)
		switch rec.Kind {
		case KindHalt:
			if applies {
				halted = true
			}
			continue
		case KindHashThreshold:
			if applies {
				s.threshold = rec.Threshold
			}
			continue
		}
		if halted || !applies {
			fr.Skipped++
			continue
		}
		if err := ctx.Err(); err != nil {
			return fr, err
		}
		reason, class, err := s.run(ctx, rec)
		if err != nil {
			return fr, fmt.Errorf("logictest: %s:%d: %w", path, rec.Line, err)
		}
		if reason == "" {
			fr.Passed++
			continue
		}
		fr.Failed++
		fr.Failures = append(fr.Failures, Failure{Path: path, Line: rec.Line, SQL: rec.SQL, Reason: reason, Class: class})
	}
	fr.Duration = time.Since(start)
	if cfg.Logger != nil {
		cfg.Logger.Info("sqllogictest file", "path", filepath.Base(path), "passed", fr.Passed, "failed", fr.Failed, "skipped", fr.Skipped, "duration", fr.Duration)
	}
	return fr, nil
}

func adminExec(ctx context.Context, cfg *pgconn.Config, sql string) error {
	c, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	_, err = c.Exec(ctx, sql).ReadAll()
	return err
}

// session is the connection and per-file state of a running file.
type session struct {
	cfg       *Config
	connCfg   *pgconn.Config
	conn      *pgconn.PgConn
	threshold int
	labels    map[string]string
}

func (s *session) connect(ctx context.Context) error {
	c, err := pgconn.ConnectConfig(ctx, s.connCfg)
	if err != nil {
		return err
	}
	s.conn = c
	return nil
}

func (s *session) close() {
	if s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.conn.Close(ctx)
	}
}

// exec runs the SQL and returns the last result that has columns (or the
// last result), and the first error.
func (s *session) exec(ctx context.Context, sql string) (*pgconn.Result, error) {
	if s.cfg.Extended {
		r := readResult(s.conn.ExecParams(ctx, sql, nil, nil, nil, nil))
		return r, r.Err
	}
	mrr := s.conn.Exec(ctx, sql)
	var last *pgconn.Result
	var err error
	for mrr.NextResult() {
		r := readResult(mrr.ResultReader())
		if r.Err != nil && err == nil {
			err = r.Err
		}
		if last == nil || len(r.FieldDescriptions) > 0 {
			last = r
		}
	}
	if cerr := mrr.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return last, err
}

// readResult reads a result set, keeping the column descriptions also
// when there are no rows (pgconn's Result.Read keeps them only with rows).
func readResult(rr *pgconn.ResultReader) *pgconn.Result {
	res := &pgconn.Result{}
	for rr.NextRow() {
		vals := rr.Values()
		row := make([][]byte, len(vals))
		for i, v := range vals {
			if v != nil {
				row[i] = append(make([]byte, 0, len(v)), v...)
			}
		}
		res.Rows = append(res.Rows, row)
	}
	res.FieldDescriptions = append([]pgconn.FieldDescription(nil), rr.FieldDescriptions()...)
	res.CommandTag, res.Err = rr.Close()
	return res
}

// run executes a record and returns "" if it passed, or why it failed
// and the failure's class. An error means the connection is gone and
// cannot be re-established.
func (s *session) run(ctx context.Context, rec *Record) (reason, class string, _ error) {
	timeout := s.cfg.RecordTimeout
	if timeout == 0 {
		timeout = time.Minute
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	res, err := s.exec(rctx, rec.SQL)
	cancel()
	if s.conn.IsClosed() {
		// A timeout or a server-side close: reconnect so that the rest of
		// the file can run.
		if cerr := s.connect(ctx); cerr != nil {
			return "", "", fmt.Errorf("reconnect after %v: %w", err, cerr)
		}
	}
	if rec.ExpectError {
		if err == nil {
			return "expected an error, got none", "expected an error", nil
		}
		if rec.ErrorPattern != nil && !matchError(rec.ErrorPattern, err) {
			return fmt.Sprintf("error %v does not match %q", err, rec.ErrorPattern), "error does not match", nil
		}
		return "", "", nil
	}
	if err != nil {
		return fmt.Sprintf("unexpected error: %v", describeErr(err)), errorClass(err), nil
	}
	if rec.Kind == KindStatement {
		return "", "", nil
	}
	reason = s.check(rec, res)
	switch {
	case reason == "":
	case strings.HasPrefix(reason, "query returned"):
		class = "column count"
	case strings.HasPrefix(reason, "result differs"):
		class = "label mismatch"
	default:
		class = "wrong result"
	}
	return reason, class, nil
}

var (
	quotedRe = regexp.MustCompile(`"[^"]*"`)
	numberRe = regexp.MustCompile(`[A-Za-z_]*\d\w*`)
)

// errorClass names an error's kind: its SQLSTATE and message with quoted
// names and numbers masked.
func errorClass(err error) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return "client error"
	}
	m := quotedRe.ReplaceAllString(pe.Message, `"…"`)
	m = numberRe.ReplaceAllString(m, "N")
	return fmt.Sprintf("error %s: %s", pe.Code, m)
}

// Class is a kind of failure with its count and first example.
type Class struct {
	Name    string
	Count   int
	Example Failure
}

// FailureClasses groups the failures by Class, most frequent first.
func (r *Result) FailureClasses() []Class {
	idx := map[string]int{}
	var out []Class
	for _, f := range r.Files {
		for _, fl := range f.Failures {
			i, ok := idx[fl.Class]
			if !ok {
				i = len(out)
				idx[fl.Class] = i
				out = append(out, Class{Name: fl.Class, Example: fl})
			}
			out[i].Count++
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Count > out[b].Count })
	return out
}

func describeErr(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s (SQLSTATE %s)", pe.Message, pe.Code)
	}
	return err.Error()
}

func matchError(re interface{ MatchString(string) bool }, err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return re.MatchString(pe.Message) || re.MatchString(pe.Code)
	}
	return re.MatchString(err.Error())
}

// check compares a query's result with the record's expectation.
func (s *session) check(rec *Record, res *pgconn.Result) string {
	if res == nil {
		return "no result"
	}
	ncol := len(res.FieldDescriptions)
	if ncol != len(rec.Types) {
		return fmt.Sprintf("query returned %d columns, type string %q has %d", ncol, rec.Types, len(rec.Types))
	}
	vals := make([]string, 0, len(res.Rows)*ncol)
	for _, row := range res.Rows {
		for c, v := range row {
			vals = append(vals, FormatValue(rec.Types[c], res.FieldDescriptions[c].DataTypeOID, v))
		}
	}
	SortValues(rec.Sort, ncol, vals)
	hash := HashValues(vals)
	if rec.Label != "" {
		if prev, ok := s.labels[rec.Label]; ok && prev != hash {
			return fmt.Sprintf("result differs from earlier query labelled %s", rec.Label)
		}
		s.labels[rec.Label] = hash
	}
	switch {
	case rec.Hashed:
		if len(vals) == rec.HashedCount && hash == rec.Hash {
			return ""
		}
	case equalLines(rec.Expected, vals):
		return ""
	case ncol > 0 && len(rec.Expected) == len(vals)/ncol && len(vals)%ncol == 0:
		// One row per line, values separated by spaces.
		rows := make([]string, len(vals)/ncol)
		for i := range rows {
			rows[i] = strings.Join(vals[i*ncol:(i+1)*ncol], " ")
		}
		if equalLines(rec.Expected, rows) {
			return ""
		}
	}
	return fmt.Sprintf("wrong result: expected %s, got %s", s.describeExpected(rec), s.describeValues(vals, hash))
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.TrimRight(a[i], " ") != b[i] {
			return false
		}
	}
	return true
}

func (s *session) describeExpected(rec *Record) string {
	if rec.Hashed {
		return fmt.Sprintf("%d values hashing to %s", rec.HashedCount, rec.Hash)
	}
	return s.show(rec.Expected)
}

func (s *session) describeValues(vals []string, hash string) string {
	if s.threshold > 0 && len(vals) > s.threshold {
		return fmt.Sprintf("%d values hashing to %s", len(vals), hash)
	}
	return s.show(vals)
}

func (s *session) show(vals []string) string {
	max := s.cfg.MaxValuesShown
	if max == 0 {
		max = 20
	}
	if len(vals) > max {
		return fmt.Sprintf("%d values [%s ...]", len(vals), strings.Join(vals[:max], " "))
	}
	return fmt.Sprintf("%d values [%s]", len(vals), strings.Join(vals, " "))
}
