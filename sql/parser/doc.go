// Package parser turns PostgreSQL query text into statements the planner
// can trust. It is the only place that knows the grammar underneath is the
// TiDB (MySQL) parser; nothing above it sees a MySQL quirk.
//
// # API
//
//	Parse(sql string) ([]Statement, error)   // simple protocol: many statements
//	ParseOne(sql string) (Statement, error)  // extended protocol: one statement
//
// A Statement holds exactly one of
//   - AST: a TiDB ast.StmtNode after our rewrites, or
//   - Ext: one of our own nodes (nodes.go) for statements the MySQL grammar
//     lacks: BEGIN/START TRANSACTION with modes, SET TRANSACTION, COMMIT/END,
//     ROLLBACK/ABORT [TO SAVEPOINT], SAVEPOINT, RELEASE, SET/RESET/SHOW,
//     DISCARD, DEALLOCATE, PREPARE, EXECUTE, COPY, VACUUM, ANALYZE, and our
//     admin syntax ALTER TABLE t SPLIT AT VALUES (...), SHOW RANGES FROM TABLE t;
//
// plus the statement's original text (SQL), its $n parameters (NumParams,
// Params with 1-based character positions), and the PostgreSQL pieces the
// MySQL grammar cannot hold: Returning, OnConflict, CastTypes (the PG type of
// every *ast.FuncCastExpr), ColumnTypes (the PG type of every
// *ast.ColumnDef), DistinctOn, and Notices for clauses accepted and ignored.
//
// Literals in the AST are *valuedriver.Value (exact decimals as
// *apd.Decimal); placeholders are *valuedriver.ParamMarker whose Number is
// PostgreSQL's n of $n. Unquoted identifiers are folded to lower case;
// quoted ones keep their case.
//
// # Errors
//
// Every error is an *Error with a SQLSTATE Code (42601 syntax_error,
// 0A000 feature_not_supported, 42883 undefined operator, 42P02 ...), a
// PostgreSQL message (`syntax error at or near "x"`, `syntax error at end
// of input`) and Position, the 1-based character position in the ORIGINAL
// text passed to Parse.
//
// # How it works
//
// pgdialect.Lex tokenises with PostgreSQL's lexical rules (standard and E”
// strings, dollar quoting, nested comments, parameters, operators). Our own
// statements are parsed from the tokens directly. Others are rewritten by
// pgdialect.Rewriter into MySQL-grammar text: $n -> ?, x::t, CAST(x AS t)
// and typed literals -> CAST(x AS CHAR(marker)) where marker indexes a side
// table of PG types, PG operators -> MySQL spellings; each output chunk
// remembers the offset of the original token, so grammar errors are mapped
// back to the original text. RETURNING and ON CONFLICT are cut off and
// parsed separately. After parsing, an ast.Visitor numbers parameters and
// replaces markers, and a validator refuses MySQL-only syntax (DIV, REPLACE,
// ON DUPLICATE KEY, AUTO_INCREMENT, LIMIT a,b, backquotes, `#` comments,
// && ...). The grammar runs in SQLMode (ANSI_QUOTES, PIPES_AS_CONCAT,
// IGNORE_SPACE, NO_BACKSLASH_ESCAPES).
//
// # Invariants
//
// Parse never panics on any input. TiDB parsers are not goroutine-safe; they
// are borrowed from a sync.Pool for one parse. This package imports nothing
// of kv/, ranges/ or placement/.
package parser
