package workload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/jackc/pgx/v5"
)

// SQL workload: the six OLTP statements of issue 8's benchmark, run with
// the same schema and the same prepared statements against Tessera or
// PostgreSQL (anything that speaks the PostgreSQL wire protocol).
//
// Schema (created by SQLSetup):
//
//	bench_accounts (id INT8 PRIMARY KEY, email TEXT NOT NULL, balance INT8 NOT NULL,
//	                branch_id INT8 NOT NULL, note TEXT NOT NULL)
//	UNIQUE INDEX bench_accounts_email ON bench_accounts (email)
//	bench_branches (id INT8 PRIMARY KEY, name TEXT NOT NULL)
//	bench_log      (id INT8 PRIMARY KEY, account_id INT8 NOT NULL, amount INT8 NOT NULL, note TEXT NOT NULL)
//
// bench_accounts holds ids 0..rows-1 with email "user<id>@example.com",
// branch_id = id % branches; bench_branches holds ids 0..branches-1.

// SQLOps lists the operations in the order the benchmark table uses.
var SQLOps = []string{"insert", "point", "point-secondary", "update", "scan100", "join"}

// SQLStatements are the statements of the operations, prepared once per
// connection; $n are bound per operation.
var SQLStatements = map[string]string{
	"insert":          "INSERT INTO bench_log (id, account_id, amount, note) VALUES ($1, $2, $3, $4)",
	"point":           "SELECT email, balance, note FROM bench_accounts WHERE id = $1",
	"point-secondary": "SELECT id, balance FROM bench_accounts WHERE email = $1",
	"update":          "UPDATE bench_accounts SET balance = balance + 1 WHERE id = $1",
	"scan100":         "SELECT id, balance FROM bench_accounts WHERE id >= $1 ORDER BY id LIMIT 100",
	"join": "SELECT a.id, a.balance, b.name FROM bench_accounts AS a JOIN bench_branches AS b ON b.id = a.branch_id " +
		"WHERE a.id >= $1 AND a.id < $2",
}

// SQLJoinRows is how many accounts one join operation reads.
const SQLJoinRows = 10

// SQLConfig sizes the data set.
type SQLConfig struct {
	Rows     int64 // accounts
	Branches int64
}

// SQLSetup drops and recreates the benchmark tables and loads them, in
// batches of multi-row INSERTs.
func SQLSetup(ctx context.Context, c *pgx.Conn, cfg SQLConfig) error {
	if cfg.Rows < 1 || cfg.Branches < 1 {
		return fmt.Errorf("%w: rows %d and branches %d must be >= 1", ErrBadConfig, cfg.Rows, cfg.Branches)
	}
	stmts := []string{
		"DROP TABLE IF EXISTS bench_log",
		"DROP TABLE IF EXISTS bench_accounts",
		"DROP TABLE IF EXISTS bench_branches",
		"CREATE TABLE bench_accounts (id INT8 PRIMARY KEY, email TEXT NOT NULL, balance INT8 NOT NULL, branch_id INT8 NOT NULL, note TEXT NOT NULL)",
		"CREATE TABLE bench_branches (id INT8 PRIMARY KEY, name TEXT NOT NULL)",
		"CREATE TABLE bench_log (id INT8 PRIMARY KEY, account_id INT8 NOT NULL, amount INT8 NOT NULL, note TEXT NOT NULL)",
	}
	for _, s := range stmts {
		if _, err := c.Exec(ctx, s, pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	const batch = 500
	for lo := int64(0); lo < cfg.Branches; lo += batch {
		var b strings.Builder
		b.WriteString("INSERT INTO bench_branches (id, name) VALUES ")
		for i := lo; i < min(lo+batch, cfg.Branches); i++ {
			if i > lo {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d, 'branch %d')", i, i)
		}
		if _, err := c.Exec(ctx, b.String(), pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("loading bench_branches: %w", err)
		}
	}
	for lo := int64(0); lo < cfg.Rows; lo += batch {
		var b strings.Builder
		b.WriteString("INSERT INTO bench_accounts (id, email, balance, branch_id, note) VALUES ")
		for i := lo; i < min(lo+batch, cfg.Rows); i++ {
			if i > lo {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d, '%s', %d, %d, 'account note %d')", i, sqlEmail(i), 1000, i%cfg.Branches, i)
		}
		if _, err := c.Exec(ctx, b.String(), pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("loading bench_accounts: %w", err)
		}
	}
	// The index is built after the load (as a bulk load would), so the load
	// also exercises the backfill.
	s := "CREATE UNIQUE INDEX bench_accounts_email ON bench_accounts (email)"
	if _, err := c.Exec(ctx, s, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("%s: %w", s, err)
	}
	return nil
}

func sqlEmail(id int64) string { return fmt.Sprintf("user%d@example.com", id) }

// SQLWorker runs one operation kind on one connection; it is not safe for
// concurrent use (one per worker).
type SQLWorker struct {
	conn   *pgx.Conn
	url    string
	op     string
	stmt   string
	rows   int64
	rng    *rand.Rand
	worker uint64
}

// NewSQLWorker connects to url and prepares op's statement (so that every
// operation runs the extended protocol against a named prepared
// statement). A connection that breaks (pgx closes it when an operation's
// deadline passes mid-query) is replaced at the next operation.
func NewSQLWorker(ctx context.Context, url, op string, cfg SQLConfig, seed uint64, worker int) (*SQLWorker, error) {
	if _, ok := SQLStatements[op]; !ok {
		return nil, fmt.Errorf("%w: unknown op %q (want one of %s)", ErrBadConfig, op, strings.Join(SQLOps, ", "))
	}
	w := &SQLWorker{url: url, op: op, stmt: "bench_" + strings.ReplaceAll(op, "-", "_"), rows: cfg.Rows,
		rng: rand.New(rand.NewPCG(seed, uint64(worker))), worker: uint64(worker)}
	if err := w.connect(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *SQLWorker) connect(ctx context.Context) error {
	c, err := pgx.Connect(ctx, w.url)
	if err != nil {
		return fmt.Errorf("connection %d: %w", w.worker, err)
	}
	if _, err := c.Prepare(ctx, w.stmt, SQLStatements[w.op]); err != nil {
		c.Close(context.Background())
		return fmt.Errorf("preparing %s: %w", w.op, err)
	}
	w.conn = c
	return nil
}

// Close closes the worker's connection.
func (w *SQLWorker) Close() {
	if w.conn != nil {
		w.conn.Close(context.Background())
	}
}

// ErrSQLRows is returned when an operation sees a different number of rows
// than the data set implies (a wrong plan or lost data, not a slow one).
var ErrSQLRows = errors.New("workload: unexpected row count")

// Do runs one operation; seq numbers the worker's operations.
func (w *SQLWorker) Do(ctx context.Context, seq uint64) error {
	if w.conn.IsClosed() {
		if err := w.connect(ctx); err != nil {
			return err
		}
	}
	switch w.op {
	case "insert":
		// Ids are random 63-bit numbers: unique across workers and runs
		// with overwhelming probability, and spread over the key space.
		id := int64(w.rng.Uint64() >> 1)
		tag, err := w.conn.Exec(ctx, w.stmt, id, w.rng.Int64N(w.rows), int64(seq), "log entry")
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("%w: insert affected %d rows", ErrSQLRows, tag.RowsAffected())
		}
		return nil
	case "point":
		var email, note string
		var bal int64
		return w.conn.QueryRow(ctx, w.stmt, w.rng.Int64N(w.rows)).Scan(&email, &bal, &note)
	case "point-secondary":
		var id, bal int64
		return w.conn.QueryRow(ctx, w.stmt, sqlEmail(w.rng.Int64N(w.rows))).Scan(&id, &bal)
	case "update":
		tag, err := w.conn.Exec(ctx, w.stmt, w.rng.Int64N(w.rows))
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("%w: update affected %d rows", ErrSQLRows, tag.RowsAffected())
		}
		return nil
	case "scan100":
		lo := w.rng.Int64N(max(w.rows-100, 1))
		return w.countRows(ctx, min(100, w.rows-lo), lo)
	case "join":
		lo := w.rng.Int64N(max(w.rows-SQLJoinRows, 1))
		hi := lo + SQLJoinRows
		return w.countRows(ctx, min(hi, w.rows)-lo, lo, hi)
	}
	return fmt.Errorf("%w: unknown op %q", ErrBadConfig, w.op)
}

// countRows runs the worker's query, reads every row and checks how many
// came back.
func (w *SQLWorker) countRows(ctx context.Context, want int64, args ...any) error {
	rows, err := w.conn.Query(ctx, w.stmt, args...)
	if err != nil {
		return err
	}
	var n int64
	for rows.Next() {
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("%w: %s returned %d rows, want %d", ErrSQLRows, w.op, n, want)
	}
	return nil
}
