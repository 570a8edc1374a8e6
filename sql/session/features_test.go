package session

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/types"
)

func TestBasics(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE kv (k INT PRIMARY KEY, v TEXT NOT NULL DEFAULT 'none', n INT)")
	s.tag("INSERT INTO kv VALUES (1, 'a', 10), (2, 'b', 20)", "INSERT 0 2")
	s.tag("INSERT INTO kv (k, n) VALUES (3, NULL)", "INSERT 0 1")
	s.query("SELECT * FROM kv ORDER BY k", "1|a|10", "2|b|20", "3|none|NULL")
	s.fails("INSERT INTO kv VALUES (1, 'dup', 0)", "23505")
	s.fails("INSERT INTO kv (k, v) VALUES (9, NULL)", "23502")
	s.fails("SELECT nope FROM kv", "42703")
	s.fails("SELECT * FROM nope", "42P01")
	s.fails("SELECT 1/0", "22012")
	s.fails("SELECT 2147483647::int4 + 1", "22003")
	s.query("SELECT k, v FROM kv WHERE n IS NULL", "3|none")
	s.query("SELECT count(*), sum(n), avg(n), min(v), max(v) FROM kv", "3|30|15.0000000000000000|a|none")
	s.query("SELECT v, count(*) FROM kv GROUP BY v HAVING count(*) >= 1 ORDER BY v DESC LIMIT 2", "none|1", "b|1")
	s.query("SELECT DISTINCT n IS NULL FROM kv ORDER BY 1", "f", "t")
	s.tag("UPDATE kv SET n = n + 1 WHERE k < 3 RETURNING k, n", "UPDATE 2")
	s.query("UPDATE kv SET v = upper(v) WHERE k = 1 RETURNING k, v", "1|A")
	s.query("DELETE FROM kv WHERE k = 2 RETURNING *", "2|b|21")
	s.query("SELECT k FROM kv ORDER BY k", "1", "3")
	s.query("INSERT INTO kv VALUES (1, 'x', 0) ON CONFLICT (k) DO UPDATE SET v = excluded.v || kv.v RETURNING v", "xA")
	s.query("INSERT INTO kv VALUES (1, 'y', 0) ON CONFLICT DO NOTHING RETURNING v")
	s.query("SELECT CASE WHEN k = 1 THEN 'one' ELSE 'other' END, COALESCE(n, -1), NULLIF(k, 3) FROM kv ORDER BY k", "one|11|1", "other|-1|NULL")
}

func TestJoinsSubqueriesSetOps(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE a (id INT PRIMARY KEY, x INT); CREATE TABLE b (id INT PRIMARY KEY, aid INT, y TEXT)")
	s.exec("INSERT INTO a VALUES (1, 10), (2, 20), (3, 30); INSERT INTO b VALUES (1, 1, 'p'), (2, 1, 'q'), (3, 2, 'r'), (4, 9, 's')")
	s.query("SELECT a.id, b.y FROM a JOIN b ON a.id = b.aid ORDER BY b.y", "1|p", "1|q", "2|r")
	s.query("SELECT a.id, b.y FROM a LEFT JOIN b ON a.id = b.aid ORDER BY a.id, b.y", "1|p", "1|q", "2|r", "3|NULL")
	s.query("SELECT a.id, b.y FROM a RIGHT JOIN b ON a.id = b.aid ORDER BY b.y", "1|p", "1|q", "2|r", "NULL|s")
	s.query("SELECT count(*) FROM a, b", "12")
	s.query("SELECT id FROM a WHERE id IN (SELECT aid FROM b) ORDER BY 1", "1", "2")
	s.query("SELECT id FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.aid = a.id)", "3")
	s.query("SELECT id, (SELECT count(*) FROM b WHERE b.aid = a.id) FROM a ORDER BY id", "1|2", "2|1", "3|0")
	s.query("SELECT x FROM a WHERE x > (SELECT avg(x) FROM a)", "30")
	s.query("SELECT id FROM a UNION SELECT aid FROM b ORDER BY 1", "1", "2", "3", "9")
	s.query("SELECT aid FROM b UNION ALL SELECT id FROM a ORDER BY 1", "1", "1", "1", "2", "2", "3", "9")
	s.query("SELECT id FROM a INTERSECT SELECT aid FROM b ORDER BY 1", "1", "2")
	s.query("SELECT id FROM a EXCEPT SELECT aid FROM b", "3")
	s.fails("SELECT (SELECT id FROM a)", "21000")
	s.query("SELECT a.id FROM a JOIN b USING (id) ORDER BY id", "1", "2", "3")
}

func TestIndexesViewsDDL(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE t (a INT, b TEXT, c FLOAT)")
	s.exec("INSERT INTO t VALUES (1, 'x', 1.5), (2, 'y', 2.5), (3, 'x', NULL)")
	s.exec("CREATE INDEX t_b ON t (b)")
	s.exec("CREATE UNIQUE INDEX t_a ON t (a)")
	s.fails("INSERT INTO t VALUES (1, 'z', 0)", "23505")
	s.query("SELECT a FROM t WHERE b = 'x' ORDER BY a", "1", "3")
	s.query("EXPLAIN SELECT a FROM t WHERE b = 'x'", "project a", "  filter", "    scan t@t_b (point lookup + index join)")
	s.query("EXPLAIN SELECT a FROM t WHERE a > 1", "project a", "  filter", "    scan t@t_a (1 span(s) + index join)")
	rows, _, err := s.run("EXPLAIN ANALYZE SELECT a FROM t WHERE b = 'x'")
	require.NoError(t, err)
	require.Equal(t, "rows: 2", rows[len(rows)-2])
	s.exec("UPDATE t SET b = 'w' WHERE a = 1")
	s.query("SELECT a FROM t WHERE b = 'x'", "3")
	s.query("SELECT a FROM t WHERE b = 'w'", "1")
	s.exec("DELETE FROM t WHERE a = 3")
	s.query("SELECT count(*) FROM t WHERE b = 'x'", "0")
	s.exec("CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1")
	s.query("SELECT * FROM v", "2|y")
	s.fails("DROP TABLE nope", "42P01")
	s.exec("DROP VIEW v")
	s.exec("DROP INDEX t_b")
	s.query("SELECT a FROM t WHERE b = 'y'", "2")
	s.exec("ALTER TABLE t ADD COLUMN d INT DEFAULT 7")
	s.query("SELECT a, d FROM t ORDER BY a", "1|7", "2|7")
	s.exec("ALTER TABLE t RENAME COLUMN d TO e")
	s.exec("ALTER TABLE t DROP COLUMN c")
	s.query("SELECT * FROM t ORDER BY a", "1|w|7", "2|y|7")
	s.exec("TRUNCATE t")
	s.query("SELECT count(*) FROM t", "0")
	s.exec("CREATE TABLE s (id SERIAL PRIMARY KEY, v TEXT)")
	s.query("INSERT INTO s (v) VALUES ('a'), ('b') RETURNING id", "1", "2")
	s.exec("CREATE SEQUENCE q START 10 INCREMENT 5")
	s.query("SELECT nextval('q'), nextval('q')", "10|15")
	s.exec("DROP TABLE s")
	s.exec("ALTER TABLE t RENAME TO t2")
	s.query("SELECT count(*) FROM t2", "0")
}

func TestTransactions(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	other := newTS(t, eng)
	s.exec("CREATE TABLE acct (id INT PRIMARY KEY, bal INT)")
	s.exec("INSERT INTO acct VALUES (1, 100), (2, 100)")
	s.exec("BEGIN")
	s.exec("UPDATE acct SET bal = bal - 10 WHERE id = 1")
	s.exec("UPDATE acct SET bal = bal + 10 WHERE id = 2")
	if s.s.TxnStatus() != 'T' {
		t.Fatalf("status %c", s.s.TxnStatus())
	}
	other.query("SELECT bal FROM acct ORDER BY id", "100", "100")
	s.exec("COMMIT")
	other.query("SELECT bal FROM acct ORDER BY id", "90", "110")
	s.exec("BEGIN")
	s.exec("DELETE FROM acct")
	s.exec("ROLLBACK")
	s.query("SELECT count(*) FROM acct", "2")
	s.exec("BEGIN")
	s.fails("SELECT 1/0", "22012")
	if s.s.TxnStatus() != 'E' {
		t.Fatalf("status %c", s.s.TxnStatus())
	}
	s.fails("SELECT 1", "25P02")
	s.tag("COMMIT", "ROLLBACK")
	s.query("SELECT 1", "1")
	// Write skew: both read both rows, each writes one; one must fail.
	s.exec("BEGIN")
	other.exec("BEGIN")
	s.query("SELECT sum(bal) FROM acct", "200")
	other.query("SELECT sum(bal) FROM acct", "200")
	s.exec("UPDATE acct SET bal = bal - 200 WHERE id = 1")
	other.exec("UPDATE acct SET bal = bal - 200 WHERE id = 2")
	s.exec("COMMIT")
	other.fails("COMMIT", "40001")
	s.query("SELECT bal FROM acct ORDER BY id", "-110", "110")
	// Restart savepoint.
	s.exec("BEGIN; SAVEPOINT cockroach_restart")
	s.exec("UPDATE acct SET bal = 0")
	s.exec("ROLLBACK TO SAVEPOINT cockroach_restart")
	s.exec("COMMIT")
	s.query("SELECT bal FROM acct ORDER BY id", "-110", "110")
	s.exec("SET application_name = 'x'")
	s.query("SHOW application_name", "x")
	s.query("SHOW transaction_isolation", "serializable")
}

func TestCTEWindowGenerate(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.query("SELECT * FROM generate_series(1, 3)", "1", "2", "3")
	s.query("WITH x AS (SELECT 1 AS a UNION ALL SELECT 2) SELECT sum(a) FROM x", "3")
	s.query("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT sum(n) FROM r", "15")
	s.exec("CREATE TABLE w (g INT, v INT)")
	s.exec("INSERT INTO w VALUES (1, 10), (1, 20), (2, 5), (2, 5), (2, 7)")
	s.query("SELECT g, v, row_number() OVER (PARTITION BY g ORDER BY v), rank() OVER (PARTITION BY g ORDER BY v), sum(v) OVER (PARTITION BY g) FROM w ORDER BY g, v",
		"1|10|1|1|30", "1|20|2|2|30", "2|5|1|1|17", "2|5|2|1|17", "2|7|3|3|17")
	s.query("SELECT v, lag(v) OVER (ORDER BY v, g) FROM w ORDER BY v, g", "5|NULL", "5|5", "7|5", "10|7", "20|10")
	s.query("VALUES (1, 'a'), (2, 'b')", "1|a", "2|b")
	s.query("SELECT generate_series(1, 3) AS n ORDER BY n DESC", "3", "2", "1")
	s.query("SELECT g, x FROM (SELECT DISTINCT g FROM w) d, LATERAL (SELECT g * 10 AS x) l ORDER BY g", "1|10", "2|20")
	s.query("SELECT extract(year from '2021-03-04'::date)", "2021")
	s.query("SELECT x FROM (SELECT v * 2 AS x FROM w WHERE g = 1) AS d ORDER BY x DESC", "40", "20")
}

func TestManyTableJoinReorder(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	for _, n := range []string{"t1", "t2", "t3", "t4", "t5", "t6"} {
		s.exec("CREATE TABLE " + n + " (a INT, b INT)")
		for i := 0; i < 30; i++ {
			s.exec("INSERT INTO " + n + " VALUES (" + itoa(i) + ", " + itoa((i+1)%30) + ")")
		}
	}
	// FROM order t1, t3, t5, t2, t4, t6 with a chain t1-t2-t3-t4-t5-t6:
	// joined in FROM order this is a cross product of 30^3 rows and more.
	s.query(`SELECT count(*) FROM t1, t3, t5, t2, t4, t6
		WHERE t1.b = t2.a AND t2.b = t3.a AND t3.b = t4.a AND t4.b = t5.a AND t5.b = t6.a AND t1.a < 5`, "5")
	s.query(`SELECT t1.a, t6.a FROM t1, t3, t5, t2, t4, t6
		WHERE t1.b = t2.a AND t2.b = t3.a AND t3.b = t4.a AND t4.b = t5.a AND t5.b = t6.a AND t1.a = 2`, "2|7")
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

type copyWriter struct {
	textWriter
	data string
	bin  bool
}

func (w *copyWriter) CopyIn(columns int, binary bool) (io.Reader, error) {
	w.bin = binary
	return strings.NewReader(w.data), nil
}

func TestCopyFrom(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE c (id INT PRIMARY KEY, name TEXT, n INT)")
	w := &copyWriter{data: "1\talice\t10\n2\tbob\\tby\t\\N\n\\.\n"}
	var tag string
	err := s.s.ExecSimple(context.Background(), "COPY c FROM STDIN", func() conn.ResultWriter { return w },
		func(tg string) error { tag = tg; return nil })
	require.NoError(t, err)
	require.Equal(t, "COPY 2", tag)
	s.query("SELECT id, name, n FROM c ORDER BY id", "1|alice|10", "2|bob\tby|NULL")
	w = &copyWriter{data: "3,\"x,y\",5\n"}
	err = s.s.ExecSimple(context.Background(), "COPY c (id, name, n) FROM STDIN WITH (FORMAT csv)", func() conn.ResultWriter { return w },
		func(tg string) error { tag = tg; return nil })
	require.NoError(t, err)
	s.query("SELECT name FROM c WHERE id = 3", "x,y")
	w = &copyWriter{data: "4\tz\tnotanint\n"}
	err = s.s.ExecSimple(context.Background(), "COPY c FROM STDIN", func() conn.ResultWriter { return w }, func(string) error { return nil })
	require.Error(t, err)
	require.Equal(t, "22P02", pgerr.Code(err))
}

func TestSavepoints(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE sp (k INT PRIMARY KEY)")
	s.exec("BEGIN; INSERT INTO sp VALUES (1); SAVEPOINT a; INSERT INTO sp VALUES (2)")
	s.fails("INSERT INTO sp VALUES (2)", "23505")
	s.fails("SELECT 1", "25P02")
	s.exec("ROLLBACK TO SAVEPOINT a")
	s.exec("INSERT INTO sp VALUES (3); RELEASE SAVEPOINT a")
	s.fails("ROLLBACK TO SAVEPOINT a", "3B001")
	s.fails("ROLLBACK TO SAVEPOINT nope", "3B001")
	s.tag("COMMIT", "ROLLBACK") // the block failed; COMMIT rolls back
	s.query("SELECT count(*) FROM sp", "0")
	s.exec("BEGIN; INSERT INTO sp VALUES (1); SAVEPOINT a; INSERT INTO sp VALUES (2); ROLLBACK TO SAVEPOINT a; INSERT INTO sp VALUES (3); COMMIT")
	s.query("SELECT k FROM sp ORDER BY k", "1", "3")
}

// TestStatementTimeoutUnits: statement_timeout takes PostgreSQL's units
// ('3s' was read as 3 ms) and shows PostgreSQL's normalised value (each
// expected value checked on PostgreSQL 15).
func TestStatementTimeoutUnits(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	for _, c := range []struct{ set, show string }{
		{"'3s'", "3s"}, {"1500", "1500ms"}, {"'1.5s'", "1500ms"}, {"60000", "1min"}, {"'1min'", "1min"},
		{"'90s'", "90s"}, {"'2h'", "2h"}, {"'100us'", "0"}, {"'1d'", "1d"}, {"'3 s'", "3s"}, {"3.7", "4ms"}, {"0", "0"},
	} {
		s.exec("SET statement_timeout = " + c.set)
		s.query("SHOW statement_timeout", c.show)
	}
	for _, bad := range []string{"'abc'", "'3x'", "'3S'", "-1"} {
		s.fails("SET statement_timeout = "+bad, "22023")
	}
	s.query("SHOW statement_timeout", "0")
	// 10 s leaves a short statement alone; 1 ms stops a long one, with
	// PostgreSQL's message for a timeout.
	s.exec("CREATE TABLE st (k INT PRIMARY KEY)")
	s.exec("SET statement_timeout = '10s'")
	s.exec("INSERT INTO st SELECT * FROM generate_series(1, 300)")
	s.query("SELECT count(*) FROM st", "300")
	s.exec("SET statement_timeout = '1ms'")
	_, _, err := s.run("SELECT count(*) FROM st a, st b, st c")
	require.Equal(t, "57014", pgerr.Code(err), "%v", err)
	require.Contains(t, err.Error(), "statement timeout")
	// A commit whose outcome is unknown (its statement's context ended
	// with the write in Raft) is 40003, never reported as canceled.
	amb := wrapRetry(fmt.Errorf("%w: %w", kvclient.ErrAmbiguousResult, &kvpb.AmbiguousResultError{Reason: "deadline"}))
	require.Equal(t, "40003", pgerr.Code(amb), "%v", amb)
}

func TestStatementTimeoutAndBudget(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE big (k INT PRIMARY KEY)")
	s.exec("INSERT INTO big SELECT * FROM generate_series(1, 2000)")
	s.exec("SET statement_timeout = 1")
	// A 4-billion-row cross join cannot finish in 1 ms.
	s.fails("SELECT count(*) FROM big a, big b, big c", "57014")
	s.exec("SET statement_timeout = 0")
	eng.cfg.MemoryBudget = 1 << 16
	s.fails("SELECT k FROM big ORDER BY k DESC", "53200")
	eng.cfg.MemoryBudget = 0
	s.query("SELECT k FROM big ORDER BY k DESC LIMIT 1", "2000")
}

func TestPrepareExecute(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	ctx := context.Background()
	s.exec("CREATE TABLE p (k INT PRIMARY KEY, v TEXT, f FLOAT8)")
	ins, err := s.s.Prepare(ctx, "INSERT INTO p VALUES ($1, $2, $3)", nil)
	require.NoError(t, err)
	require.Equal(t, []string{"integer", "text", "double precision"}, typeNames(ins.ParamTypes()))
	require.Nil(t, ins.Columns())
	for i := 1; i <= 5; i++ {
		w := &textWriter{}
		tag, rest, err := s.s.Execute(ctx, ins, []types.Datum{types.DInt(i), types.DString("v"), types.DFloat(float64(i) / 2)}, w, 0)
		require.NoError(t, err)
		require.Nil(t, rest)
		require.Equal(t, "INSERT 0 1", tag)
	}
	sel, err := s.s.Prepare(ctx, "SELECT k, f FROM p WHERE k > $1 ORDER BY k", []types.OID{20})
	require.NoError(t, err)
	require.Equal(t, []string{"bigint"}, typeNames(sel.ParamTypes()))
	require.Len(t, sel.Columns(), 2)
	w := &textWriter{cols: sel.Columns()}
	tag, rest, err := s.s.Execute(ctx, sel, []types.Datum{types.DInt(1)}, w, 2)
	require.NoError(t, err)
	require.Equal(t, "", tag)
	require.NotNil(t, rest)
	require.Equal(t, []string{"2|1", "3|1.5"}, w.rows)
	tag, rest, err = rest.Resume(ctx, w, 0)
	require.NoError(t, err)
	require.Nil(t, rest)
	require.Equal(t, "SELECT 4", tag)
	require.Equal(t, []string{"2|1", "3|1.5", "4|2", "5|2.5"}, w.rows)
	_, err = s.s.Prepare(ctx, "SELECT * FROM nope WHERE x = $1", nil)
	require.Equal(t, "42P01", pgerr.Code(err))
}

func typeNames(ts []*types.T) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.SQLName())
	}
	return out
}

// TestConcurrentTransfers moves money between accounts from several
// sessions at once; explicit blocks retry on 40001. The total never
// changes.
func TestConcurrentTransfers(t *testing.T) {
	eng, _ := newTestEngine(t)
	setup := newTS(t, eng)
	setup.exec("CREATE TABLE bank (id INT PRIMARY KEY, bal INT NOT NULL)")
	setup.exec("INSERT INTO bank VALUES (0, 1000), (1, 1000), (2, 1000), (3, 1000)")
	const workers, transfers = 4, 30
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		s := newTS(t, eng)
		go func(w int) {
			for i := 0; i < transfers; i++ {
				from, to := (w+i)%4, (w+i+1)%4
				for attempt := 0; ; attempt++ {
					_, _, err := s.run("BEGIN; UPDATE bank SET bal = bal - 7 WHERE id = " + itoa(from) +
						"; UPDATE bank SET bal = bal + 7 WHERE id = " + itoa(to) + "; COMMIT")
					if err == nil {
						break
					}
					if s.s.TxnStatus() != 'I' {
						_, _, _ = s.run("ROLLBACK")
					}
					if pgerr.Code(err) != "40001" || attempt > 200 {
						errs <- err
						return
					}
				}
				// Implicit statements retry by themselves.
				if _, _, err := s.run("UPDATE bank SET bal = bal + 1 WHERE id = " + itoa(to)); err != nil {
					errs <- err
					return
				}
				if _, _, err := s.run("UPDATE bank SET bal = bal - 1 WHERE id = " + itoa(to)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		require.NoError(t, <-errs)
	}
	setup.query("SELECT sum(bal) FROM bank", "4000")
}

func TestAlterColumnAndSchemas(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE ac (k INT PRIMARY KEY, v TEXT, n INT)")
	s.exec("CREATE INDEX ac_n ON ac (n)")
	s.exec("INSERT INTO ac VALUES (1, '10', 5), (2, NULL, 6)")
	s.fails("ALTER TABLE ac ALTER COLUMN v SET NOT NULL", "23502")
	s.exec("UPDATE ac SET v = '20' WHERE k = 2")
	s.exec("ALTER TABLE ac ALTER COLUMN v SET NOT NULL")
	s.fails("INSERT INTO ac VALUES (3, NULL, 0)", "23502")
	s.exec("ALTER TABLE ac ALTER COLUMN v DROP NOT NULL")
	s.exec("ALTER TABLE ac ALTER COLUMN v TYPE INT USING v::int")
	s.query("SELECT v + 1 FROM ac ORDER BY k", "11", "21")
	s.exec("ALTER TABLE ac ALTER COLUMN n TYPE BIGINT")
	s.query("SELECT k FROM ac WHERE n = 6", "2")
	s.exec("CREATE SCHEMA app")
	s.exec("CREATE TABLE app.items (id INT PRIMARY KEY)")
	s.exec("INSERT INTO app.items VALUES (7)")
	s.query("SELECT id FROM app.items", "7")
	s.fails("DROP SCHEMA app", "2BP01")
	s.exec("DROP TABLE app.items")
	s.exec("DROP SCHEMA app")
	s.fails("SELECT * FROM app.items", "42P01") // PostgreSQL: the relation does not exist
}

func TestSQLPrepareAndDeleteUsing(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE du (k INT PRIMARY KEY, v INT); CREATE TABLE gone (k INT)")
	s.exec("INSERT INTO du VALUES (1, 10), (2, 20), (3, 30); INSERT INTO gone VALUES (1), (3), (3)")
	s.tag("DELETE FROM du USING gone WHERE du.k = gone.k", "DELETE 2")
	s.query("SELECT k FROM du", "2")
	s.exec("PREPARE ins (int, int) AS INSERT INTO du VALUES ($1, $2)")
	s.exec("EXECUTE ins(4, 40)")
	s.exec("PREPARE q AS SELECT v FROM du WHERE k = $1")
	s.query("EXECUTE q(4)", "40")
	s.fails("EXECUTE nope(1)", "26000")
	s.exec("DEALLOCATE q")
	s.fails("EXECUTE q(4)", "26000")
}

// TestCopyFromBatched loads more rows than one COPY write batch
// (copyBatch), in an implicit transaction and inside a block (as pgbench
// -i does): the rows are all there, a later statement of the block sees
// them, and a duplicate key is reported as the unbuffered insert reports
// it (23505 naming the primary key), whether the duplicate is in the
// batch already sent or the last one.
func TestCopyFromBatched(t *testing.T) {
	eng, _ := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE cb (id INT PRIMARY KEY, v INT)")
	rows := func(from, to int) string {
		var b strings.Builder
		for i := from; i <= to; i++ {
			fmt.Fprintf(&b, "%d\t%d\n", i, i*2)
		}
		return b.String()
	}
	cp := func(data string) (string, error) {
		var tag string
		w := &copyWriter{data: data}
		err := s.s.ExecSimple(context.Background(), "COPY cb FROM STDIN", func() conn.ResultWriter { return w },
			func(tg string) error { tag = tg; return nil })
		return tag, err
	}
	n := copyBatch + copyBatch/2
	tag, err := cp(rows(1, n))
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("COPY %d", n), tag)
	s.query("SELECT count(*), sum(v) FROM cb", fmt.Sprintf("%d|%d", n, n*(n+1)))

	s.exec("BEGIN")
	tag, err = cp(rows(n+1, 3*n))
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("COPY %d", 2*n), tag)
	s.query("SELECT count(*) FROM cb", fmt.Sprint(3*n))
	s.exec("COMMIT")
	s.query("SELECT count(*), max(id) FROM cb", fmt.Sprintf("%d|%d", 3*n, 3*n))

	_, _, unbuffered := s.run("INSERT INTO cb VALUES (1, 0)")
	require.NotNil(t, unbuffered)
	for _, dup := range []int{5, 3*n + copyBatch + 7} {
		s.exec("BEGIN")
		_, err = cp(rows(3*n+1, 3*n+2*copyBatch) + fmt.Sprintf("%d\t0\n", dup))
		require.Error(t, err, "duplicate %d", dup)
		require.Equal(t, "23505", pgerr.Code(err))
		require.Equal(t, unbuffered.Error(), err.Error())
		s.tag("COMMIT", "ROLLBACK")
		_, err = cp(rows(3*n+1, 3*n+2*copyBatch) + fmt.Sprintf("%d\t0\n", dup))
		require.Equal(t, "23505", pgerr.Code(err))
	}
	s.query("SELECT count(*) FROM cb", fmt.Sprint(3*n))
}
