package session

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/pgerr"
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
