package session

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// twoNodes returns two engines (two nodes, each with its own descriptor
// cache) over one KV database.
func twoNodes(t *testing.T) (*Engine, *Engine) {
	e1, db := newTestEngine(t)
	e2, err := NewEngine(context.Background(), db, Config{NodeID: 2})
	require.NoError(t, err)
	return e1, e2
}

// TestCacheRolledBackDDL: descriptors a transaction block wrote and then
// read again must not reach the node's shared cache; after the ROLLBACK
// the node serves the committed schema, also when another node has since
// committed a DDL (so the schema generation moved on by exactly the
// amount the rolled-back block had bumped it).
func TestCacheRolledBackDDL(t *testing.T) {
	for _, tc := range []struct {
		name, ddl, read  string
		after, afterCode string
		want             []string
	}{
		{name: "create table", ddl: "CREATE TABLE t1 (a INT)", read: "SELECT * FROM t1",
			after: "SELECT * FROM t1", afterCode: "42P01"},
		{name: "add column", ddl: "ALTER TABLE base ADD COLUMN z INT", read: "SELECT z FROM base",
			after: "SELECT z FROM base", afterCode: "42703"},
		{name: "create index", ddl: "CREATE INDEX base_b ON base (b)", read: "SELECT b FROM base WHERE b = 1",
			after: "DROP INDEX base_b", afterCode: "42704"},
		{name: "drop table", ddl: "DROP TABLE base", read: "CREATE TABLE base (q INT)",
			after: "SELECT a, b FROM base", want: []string{"1|1"}},
		{name: "rename table", ddl: "ALTER TABLE base RENAME TO base2", read: "SELECT * FROM base2",
			after: "SELECT * FROM base2", afterCode: "42P01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e1, e2 := twoNodes(t)
			a, b := newTS(t, e1), newTS(t, e2)
			a.exec("CREATE TABLE base (a INT PRIMARY KEY, b INT)")
			a.exec("INSERT INTO base VALUES (1, 1)")
			a.query("SELECT a, b FROM base", "1|1") // fill node 1's cache
			a.exec("BEGIN")
			a.exec(tc.ddl)
			a.exec(tc.read) // a second statement of the block reads what it wrote
			a.exec("ROLLBACK")
			// Another node commits a DDL: the generation moves on by one.
			b.exec("CREATE TABLE other (x INT)")
			for _, s := range []*tsess{a, newTS(t, e1), b} {
				if tc.afterCode != "" {
					s.fails(tc.after, tc.afterCode)
				} else {
					s.query(tc.after, tc.want...)
				}
				s.query("SELECT a, b FROM base", "1|1")
			}
		})
	}
}

// TestCacheRestartAfterDDL: a block that created a table and then failed
// its COMMIT with 40001 (a write from another node under its read), or
// restarted through ROLLBACK TO SAVEPOINT cockroach_restart, leaves none
// of that attempt's schema in the node's cache.
func TestCacheRestartAfterDDL(t *testing.T) {
	e1, e2 := twoNodes(t)
	a, b := newTS(t, e1), newTS(t, e2)
	a.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)")
	a.exec("INSERT INTO acct VALUES (1, 10)")
	a.exec("BEGIN")
	a.query("SELECT v FROM acct WHERE id = 1", "10")
	a.exec("CREATE TABLE r1 (a INT)")
	a.exec("INSERT INTO r1 VALUES (1)")
	a.query("SELECT a FROM r1", "1")
	a.exec("UPDATE acct SET v = v + 1 WHERE id = 1")
	b.exec("UPDATE acct SET v = 20 WHERE id = 1")
	a.fails("COMMIT", "40001")
	b.exec("CREATE TABLE other (x INT)")
	for _, s := range []*tsess{a, newTS(t, e1), b} {
		s.fails("SELECT a FROM r1", "42P01")
		s.query("SELECT v FROM acct", "20")
	}
	// The client's retry, with a restart savepoint whose first attempt is
	// abandoned after its DDL.
	a.exec("BEGIN")
	a.exec("SAVEPOINT cockroach_restart")
	a.exec("CREATE TABLE r3 (a INT)")
	a.query("SELECT a FROM r3")
	a.exec("ROLLBACK TO SAVEPOINT cockroach_restart")
	a.exec("RELEASE SAVEPOINT cockroach_restart")
	a.exec("COMMIT")
	b.exec("CREATE TABLE other2 (x INT)")
	for _, s := range []*tsess{a, newTS(t, e1), b} {
		s.fails("SELECT a FROM r3", "42P01")
	}
	a.exec("BEGIN")
	a.exec("SAVEPOINT cockroach_restart")
	a.exec("CREATE TABLE r3 (a INT)")
	a.query("SELECT a FROM r3")
	a.exec("ROLLBACK TO SAVEPOINT cockroach_restart")
	a.fails("SELECT a FROM r3", "42P01")
	a.exec("ROLLBACK TO SAVEPOINT cockroach_restart")
	a.exec("CREATE TABLE r2 (a INT)")
	a.query("SELECT a FROM r2")
	a.exec("RELEASE SAVEPOINT cockroach_restart")
	a.exec("COMMIT")
	for _, s := range []*tsess{a, newTS(t, e1), b} {
		s.fails("SELECT a FROM r3", "42P01")
		s.query("SELECT a FROM r2")
	}
}

// TestCacheSavepointRollbackDDL: DDL undone by ROLLBACK TO SAVEPOINT is
// gone for the rest of the block and after its COMMIT, and DDL after such
// a rollback still moves the schema generation on (other nodes' caches
// see it).
func TestCacheSavepointRollbackDDL(t *testing.T) {
	e1, e2 := twoNodes(t)
	a, b := newTS(t, e1), newTS(t, e2)
	a.exec("CREATE TABLE base (a INT PRIMARY KEY, b INT)")
	a.exec("BEGIN")
	a.exec("CREATE TABLE kept (a INT)")
	a.exec("SAVEPOINT s1")
	a.exec("ALTER TABLE base ADD COLUMN z INT")
	a.query("SELECT z FROM base")
	a.exec("ROLLBACK TO SAVEPOINT s1")
	a.fails("SELECT z FROM base", "42703")
	a.exec("ROLLBACK TO SAVEPOINT s1")
	a.query("SELECT a FROM kept")
	a.exec("COMMIT")
	b.exec("CREATE TABLE other (x INT)")
	for _, s := range []*tsess{a, newTS(t, e1), b} {
		s.fails("SELECT z FROM base", "42703")
		s.query("SELECT a FROM kept")
	}

	// Node 2 caches that y does not exist; a block on node 1 whose first
	// DDL is rolled back to a savepoint then creates y.
	b.fails("SELECT * FROM y", "42P01")
	a.exec("BEGIN")
	a.exec("SAVEPOINT s2")
	a.exec("CREATE TABLE x (a INT)")
	a.exec("ROLLBACK TO SAVEPOINT s2")
	a.exec("CREATE TABLE y (a INT)")
	a.exec("COMMIT")
	for _, s := range []*tsess{a, newTS(t, e1), b, newTS(t, e2)} {
		s.query("SELECT * FROM y")
		s.fails("SELECT * FROM x", "42P01")
	}
}
