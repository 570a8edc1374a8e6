// Package valuedriver is Tessera's literal-value driver for the TiDB parser.
//
// The TiDB parser builds literal and placeholder nodes through hooks
// (ast.NewValueExpr, ast.NewParamMarkerExpr, ast.NewDecimal,
// ast.NewHexLiteral, ast.NewBitLiteral) that a "driver" package must set.
// This package sets them in its init function; it is imported for that side
// effect by sql/parser. Nothing in Tessera may import the parser's own
// test_driver (it panics on long numeric literals).
//
// Invariants: every literal the parser produces is a *Value whose Kind says
// which field holds the datum; exact numerics that do not fit an int64 or
// uint64 are kept exactly as *apd.Decimal (never rounded, never a panic);
// placeholders are *ParamMarker, whose Number (1-based, PostgreSQL's $n) is
// filled in by sql/parser after parsing. The driver holds no global mutable
// state besides the hooks installed once at init.
package valuedriver
