// Package exec runs plans (sql/plan): it builds pull-based operators from
// plan nodes and evaluates scalar expressions with sql/sem's overloads,
// in PostgreSQL's order where the order decides which errors happen
// (AND/OR stop at the first deciding operand; x IN (...) compares the
// elements that refer to the row one by one, after the others, and stops
// at the first match).
// Operators pull rows one at a time from their inputs (Iter.Next); scans
// fetch from the KV layer in batches of up to ScanBatch keys, secondary
// index scans look primary rows up in batches. Hash join, hash
// aggregation, DISTINCT, set operations, window functions and subquery /
// CTE results are materialised in memory under the statement's memory
// budget (Env.Budget): exceeding it fails with SQLSTATE 53200 rather than
// risking the process. A sort buffers up to Env.WorkMem (work_mem), then
// writes stable-sorted runs to temp files under Env.TempDir and merges
// them k ways (in several passes above sortFanIn runs); Env.Close removes
// the statement's temp files, on success, error and cancel alike. What a
// correlated subquery or a LATERAL input materialises is given back to
// the budget once that evaluation's rows are dropped; cached
// uncorrelated subqueries and CTEs stay charged for the statement. Every
// operator checks the context between batches, so a cancelled statement
// stops with 57014.
//
// Writes (Insert, Update, Delete) maintain the primary index and every
// secondary index in the statement's transaction; UNIQUE and PRIMARY KEY
// are enforced with CPut (primary) and a prefix scan (secondary, when no
// indexed column is NULL), NOT NULL and column types are checked before a
// row is written. FOREIGN KEY constraints (fk.go) are checked at the end of
// each statement, after all its rows were written: a written row's parent
// must exist (a lookup through the parent's primary or unique index), and a
// deleted or re-keyed parent row must not leave referencing rows, which
// ON DELETE/UPDATE CASCADE and SET NULL change instead (recursively). The
// parent row is not locked: a concurrent transaction deleting it is not
// seen until commit (SERIALIZABLE conflicts catch the overlap only when
// both touch the same keys).
//
// Invariants: an Env belongs to one statement execution on one goroutine
// and its owner calls Close when the statement ends; rows returned by Next
// are owned by the caller until the next call.
package exec
