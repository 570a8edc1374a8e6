// Package session implements the connection contract of sql/conn: an
// Engine per node over a kvtxn.DB, and Sessions that parse, bind
// (sql/plan), execute (sql/exec) and run DDL for each statement.
//
// Transactions: outside a transaction block every statement runs in its
// own implicit KV transaction; its results are buffered until the commit
// succeeds, so a retryable error (40001 from the KV layer or the in-memory
// test double) re-runs the statement transparently, up to MaxRetries
// times, before anything reached the client. BEGIN starts an explicit
// block: statements share one transaction, an error moves the session to
// the failed state ('E') where only ROLLBACK (or COMMIT, which rolls back)
// is accepted, and a retryable error at COMMIT is returned as 40001 for
// the client to retry. SAVEPOINT is accepted; ROLLBACK TO SAVEPOINT of a
// savepoint taken before any other statement of the block (the
// CockroachDB "cockroach_restart" pattern, any name) restarts the
// transaction; other ROLLBACK TO forms fail with 0A000. SET TRANSACTION
// ISOLATION LEVEL accepts every level and runs SERIALIZABLE (with a
// notice).
//
// Cluster statements (admin.go): SPLIT AT, SCATTER, SHOW RANGES and
// SET/SHOW CLUSTER SETTING(S) go through Config.Admin, the ClusterAdmin
// contract the node implements (server/sql_admin.go); without one they
// fail with 0A000. AS OF SYSTEM TIME (asof.go) runs a statement or a block
// in a KV transaction fixed at a past timestamp (kvtxn.Historical): it is
// read-only (writes fail with 25006) and reads descriptors at that time,
// past the node's descriptor cache.
//
// Implicit statements buffer their writes (kvtxn.BufferWrites) and send
// them with the commit; a buffered unique check that fails re-runs the
// statement unbuffered for the precise error.
//
// Schema: descriptors come through catalog.Collection with the version
// check described in sql/catalog (the schema generation is read in every
// statement's transaction). Implicit statements assume the node cache's
// generation and read it in the same KV batch as their first read
// (genTxn); it is verified before commit, before any descriptor read from
// KV and before an error is returned, and a mismatch retries the statement.
// A prepared statement keeps the plan it last bound when the plan may run
// again with new parameters (plan.Reusable: point and range SELECTs;
// plan.ReusableWrite: INSERT ... VALUES and keyed UPDATE), reused by
// implicit statements that resolve at the same generation and session
// state (prepared.go, bindReusing).
//
// Names: unqualified names resolve in the session's temporary schema
// first (pg_temp_<id>, made by its first CREATE TEMP TABLE, dropped by
// Close; temp.go), then in the existing schemas of search_path in order
// (stmtCtx.path; new objects go to the first). SET in a block is undone
// if the block rolls back, SET LOCAL when it ends (txnVars).
//
// Concurrency: a Session is used by one goroutine at a time, except
// Cancel, which takes mu. The Engine is safe for concurrent use.
package session
