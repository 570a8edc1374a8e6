// Package randgen generates seeded random SQL for differential and
// property tests of the SQL layer: a small random schema (two or three
// tables with int, bigint, numeric, text, bool, date and timestamp
// columns, a primary key, secondary indexes of one to three columns, some
// descending, UNIQUE or partial), random rows with NULLs (some tables
// NULL-heavy), and
// random statements in the PostgreSQL 15 dialect — joins (inner, left,
// right, full, cross, lateral), WHERE with AND/OR/NOT/IS NULL/IN/BETWEEN/
// LIKE, GROUP BY (also ROLLUP/CUBE/GROUPING SETS, GROUPING())/HAVING with
// aggregates (DISTINCT, ordered string_agg) and subqueries over the
// grouped columns, window functions with partitions, frames (EXCLUDE,
// RANGE offsets over dates) and named windows, DISTINCT ON, set operations
// (ALL, three operands), CTEs (chained; recursive with a bounded depth,
// also joining a table), scalar/IN/EXISTS/correlated subqueries, LATERAL,
// ORDER BY with NULLS FIRST/LAST and LIMIT/OFFSET (over all output
// columns or the rows' keys), CASE/COALESCE/NULLIF with mixed types, casts
// through text/interval/bool, string functions, and DML (INSERT…SELECT and
// INSERT…VALUES with ON CONFLICT, UPDATE…FROM, DELETE…USING, correlated
// subqueries in WHERE, RETURNING).
//
// It is test-only: nothing outside tests imports it. Every generated
// query is deterministic on PostgreSQL (no LIMIT without a total order,
// window functions that depend on row order are ordered by the rows' keys,
// string_agg is ordered, no floats, no clock), so two engines that agree
// return the same multiset of rows, and the same sequence when
// Query.Ordered is set.
//
// Using it:
//
//	g := randgen.New(seed)
//	for _, s := range g.Setup() { exec(s) }      // CREATE TABLE/INDEX, INSERT
//	q := g.Query()                               // q.SQL, q.Ordered, q.Types
//	d := g.DML()                                 // d.SQL, then compare d.Check (SELECT * FROM the table)
//	p := g.Partition(q)                          // q WHERE p / NOT p / p IS NULL
//
// The tests: randgen_pg_test.go (TESSERA_RANDGEN_PG_URL: the same
// statements on PostgreSQL 15 and on Tessera, mismatches reported) and
// property_test.go (PG-free, in make test: no XX000, index-independence,
// ternary-logic partitioning).
//
// Invariants: the same seed yields the same statements; a Gen is not safe
// for concurrent use.
package randgen
