package session

import (
	"testing"
)

// TestTempTables: a temporary table is private to its session (another
// session sees its own table of the same name, or none), shadows a
// permanent table of the same name, and is dropped when the session
// ends; ON COMMIT DELETE ROWS empties it at each commit and ON COMMIT
// DROP drops it at the end of the creating transaction.
func TestTempTables(t *testing.T) {
	eng, _ := newTestEngine(t)
	a, b := newTS(t, eng), newTS(t, eng)
	a.exec("CREATE TABLE perm (x INT)")
	a.exec("INSERT INTO perm VALUES (100)")
	a.exec("CREATE TEMP TABLE tt (x INT PRIMARY KEY)")
	a.exec("INSERT INTO tt VALUES (1), (2)")
	a.query("SELECT x FROM tt ORDER BY x", "1", "2")
	a.query("SELECT x FROM pg_temp.tt ORDER BY x", "1", "2")
	b.fails("SELECT x FROM tt", "42P01")
	// the same name in another session is another table
	b.exec("CREATE TEMPORARY TABLE tt (x INT PRIMARY KEY)")
	b.exec("INSERT INTO tt VALUES (7)")
	b.query("SELECT x FROM tt", "7")
	a.query("SELECT x FROM tt ORDER BY x", "1", "2")
	// a temp table shadows a permanent one; the schema-qualified name
	// still reaches the permanent table
	a.exec("CREATE TEMP TABLE perm (x INT)")
	a.query("SELECT count(*) FROM perm", "0")
	a.query("SELECT x FROM public.perm", "100")
	b.query("SELECT x FROM perm", "100")
	a.exec("DROP TABLE perm")
	a.query("SELECT x FROM perm", "100")
	a.exec("CREATE INDEX ON tt (x)")
	a.exec("UPDATE tt SET x = x + 10")
	a.query("SELECT x FROM tt WHERE x > 10 ORDER BY x", "11", "12")

	// ON COMMIT DELETE ROWS: rows live until the transaction commits
	a.exec("CREATE TEMP TABLE del (x INT) ON COMMIT DELETE ROWS")
	a.exec("BEGIN")
	a.exec("INSERT INTO del VALUES (1)")
	a.query("SELECT x FROM del", "1")
	a.exec("COMMIT")
	a.query("SELECT count(*) FROM del", "0")
	a.exec("INSERT INTO del VALUES (2)") // its own transaction: emptied at once
	a.query("SELECT count(*) FROM del", "0")

	// ON COMMIT DROP: gone after the creating transaction
	a.exec("BEGIN")
	a.exec("CREATE TEMP TABLE dr (x INT) ON COMMIT DROP")
	a.exec("INSERT INTO dr VALUES (1)")
	a.query("SELECT x FROM dr", "1")
	a.exec("COMMIT")
	a.fails("SELECT x FROM dr", "42P01")

	// a rolled-back CREATE TEMP TABLE leaves nothing behind
	a.exec("BEGIN")
	a.exec("CREATE TEMP TABLE rb (x INT)")
	a.exec("ROLLBACK")
	a.fails("SELECT x FROM rb", "42P01")
	a.exec("CREATE TEMP TABLE rb (x INT)")

	// the session's end drops its temp tables (and only its own)
	a.s.Close()
	c := newTS(t, eng)
	c.fails("SELECT x FROM tt", "42P01")
	c.query("SELECT count(*) FROM pg_class WHERE relname IN ('tt', 'del', 'rb')", "1")
	b.query("SELECT x FROM tt", "7")
	c.query("SELECT x FROM perm", "100")
}
