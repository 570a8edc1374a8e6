// Package jsonpath is PostgreSQL's SQL/JSON path language: the syntax
// tree of a path (Path, Node), its parser (Parse, with PostgreSQL's
// 42601 errors) and its canonical text (Path.String, the form
// PostgreSQL's jsonpath output function writes: keys quoted, operators
// parenthesised by priority, `strict ` when strict). It knows nothing of
// JSON values: sql/sem evaluates a Path against jsonb, and sql/types
// keeps a jsonpath value as its canonical text.
//
// It imports nothing of Tessera's (only cockroachdb/apd for numeric
// literals), so that sql/types can normalise jsonpath input with it.
package jsonpath
