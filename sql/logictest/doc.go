// Package logictest runs sqllogictest files (the format of SQLite's
// sqllogictest, as in ../shared/sqllogictest) against any server that speaks
// the PostgreSQL wire protocol, through github.com/jackc/pgx/v5's pgconn.
//
// It owns: the parser of .test files (Parse), the formatting of result
// values by the record's type string (I, T, R) with SQLite's conversions,
// the sort modes (nosort, rowsort, valuesort), hash-threshold and the
// "N values hashing to H" form (MD5 over every value followed by a newline,
// as sqllogictest computes it), the skipif/onlyif conditions for an engine
// name (default "postgresql"), halt, and the per-file and total pass/fail/
// skip accounting with a per-record failure listing (Runner, Result).
// StartPostgres starts a throw-away PostgreSQL server for the tests.
//
// Running it (no command needed; from the repository root):
//
//	go test ./sql/logictest/                       # fixed subset, < 60 s
//	TESSERA_SLT_FULL=1 go test -timeout 30m -v -run SQLLogicTest ./sql/logictest/
//	TESSERA_SLT_FILES='^index/' go test -v -run SQLLogicTest ./sql/logictest/
//	TESSERA_SLT_URL=postgres://root@127.0.0.1:5433/defaultdb?sslmode=disable \
//	    TESSERA_SLT_FULL=1 go test -v -run SQLLogicTest ./sql/logictest/
//
// The corpus is found by walking up from the package directory to a
// directory holding shared/sqllogictest (TESSERA_SLT_DIR overrides). The
// PostgreSQL server binaries come from /usr/lib/postgresql/15/bin
// (TESSERA_PG_BIN overrides); without them the tests fail unless
// TESSERA_NO_PG=1. TESSERA_PG_URL=postgres://... makes the PostgreSQL-backed
// tests use a running server instead of starting one (each file then runs
// in a fresh database created on it).
//
// Invariants: a record is counted exactly once, as passed, failed or
// skipped; records after a halt that applies to the engine are skipped;
// every file runs on its own connection, in its own fresh database when
// Config.FreshDatabase is set, so files cannot see each other's tables.
// A Runner holds no locks; run one file per Runner call (not safe for
// concurrent use of the same Runner).
package logictest
