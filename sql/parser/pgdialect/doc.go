// Package pgdialect is the PostgreSQL front end of sql/parser: a tokenizer
// for PostgreSQL's lexical rules (Lex), PostgreSQL type names (ParseType),
// and the Rewriter that turns PostgreSQL tokens into text the TiDB (MySQL)
// grammar reads, remembering for every output chunk the byte offset of the
// original token it stands for.
//
// Invariants: Lex never panics and its token slice ends with EOFPad EOF
// tokens, so fixed lookahead is always in bounds; the Rewriter never emits
// text without an origin offset, so grammar errors map back to the user's
// text; the stand-ins it emits for constructs the grammar lacks (cast
// markers CHAR(CastMarkerBase+k), the __pg_* functions, AUTO_INCREMENT for
// identity columns) are replaced or recorded by sql/parser and never reach
// code above it, except STRAIGHT_JOIN, which stands for FULL [OUTER] JOIN and
// reaches sql/plan as ast.Join.StraightJoin (the word straight_join in user
// text is always quoted, so nothing else produces it). It imports nothing of ours; only sql/parser imports it.
//
// The Rewriter also refuses, with PostgreSQL's SQLSTATE, what the MySQL
// grammar would read differently: a JOIN without ON or USING (other than
// CROSS and NATURAL), INSERT without INTO, string literals adjacent on one
// line (PostgreSQL joins them only across a newline), LIMIT/OFFSET of a
// non-integer string (an integer string becomes the number), the window
// functions without OVER (42809), count with several arguments and
// substring with fewer than two (42883), a positional argument after a
// named one or a repeated argument name (42601; named arguments become
// __pg_named('name', value), which sql/plan matches to parameters); a float literal beyond float64
// (1e400) is emitted as a numeric cast, PostgreSQL's type for it.
package pgdialect
