// Package sem is the scalar semantics of Tessera's SQL layer, following
// PostgreSQL 15: operators, functions, aggregates, window functions and
// set-returning functions over sql/types values, and the type rules the
// binder needs to pick them (operator and function resolution with
// implicit casts and unknown-typed literals, select_common_type for CASE /
// COALESCE / UNION / IN / VALUES, cast contexts). The binder, planner and
// executor (sql/plan, sql/exec) own expression trees and evaluation order;
// they ask this package which overload an operator or call means and call
// its Fn. Nothing here knows about rows, tables or KV.
//
// Using it (binder side):
//
//	ov, err := sem.ResolveBinary(sem.OpPlus, lt, rt) // lt/rt: argument types; sem.Unknown for an untyped literal or NULL
//	// coerce each argument from its type to ov.Left / ov.Right (sem.Coerce), then
//	if !ov.CalledOnNull && (types.IsNull(l) || types.IsNull(r)) { return types.Null }
//	v, err := ov.Fn(evalCtx, l, r) // v is of type ov.Return
//
// Functions work the same way with ResolveFunc: the returned FuncOverload
// has concrete Args (polymorphic anyelement/anyarray already resolved, a
// VARIADIC tail expanded to one type per argument) and Return; its Class
// says whether to call Fn (Normal), NewAgg (Aggregate), NewWindow (Window)
// or Gen (Generator, in FROM or a select list).
//
// Syntax forms that are not calls in PostgreSQL's grammar map to function
// names here: EXTRACT(f FROM x) is extract('f', x) (numeric; date_part is
// the float8 one), SUBSTRING(s FROM a FOR b) is substring(s, a, b),
// POSITION(a IN b) is position(b, a) as in PostgreSQL (strpos argument
// order), TRIM(BOTH|LEADING|TRAILING c FROM s) is btrim/ltrim/rtrim(s, c),
// a[lo:hi] is array_slice(a, lo, hi), CURRENT_TIMESTAMP / CURRENT_DATE / CURRENT_TIME
// / LOCALTIMESTAMP / LOCALTIME / CURRENT_USER / SESSION_USER / USER /
// CURRENT_SCHEMA / CURRENT_CATALOG are zero-argument functions of those
// names, `a LIKE b ESCAPE c` is a LIKE like_escape(b, c) (PostgreSQL's own
// rewrite). COALESCE, NULLIF, GREATEST, LEAST, CASE, AND/OR/NOT, IS [NOT]
// NULL, IN and = ANY/ALL(array) are evaluated by the executor with the
// helpers in this package (CommonType, And/Or/Not, AnyAll, Greatest).
//
// The json type's operators and functions read its stored text and
// return spans of it (json -> 'k' is the value as written); values built
// by json_build_object, json_agg, to_json, row_to_json are written as
// PostgreSQL's datum_to_json writes them. Generators with OutCols
// (jsonb_each: key, value) return rows of several columns (RowSetIter);
// RecordToJSON is row_to_json over a record the binder expands.
//
// SQL/JSON path (jsonpath_*.go) evaluates a sql/jsonpath tree on the
// jsonb value model in lax or strict mode: jsonb_path_query[_array|
// _first], jsonb_path_exists, jsonb_path_match (and _tz), @? and @@.
// Structural errors are ignored in lax mode and below .**; predicates
// turn errors into unknown; silent swallows all but a missing variable
// and a datetime comparison that needs the time zone outside the _tz
// forms (0A000). .datetime() items (jsonpath_datetime.go) compare as
// dates, times and timestamps and leave a result as ISO strings.
// .keyvalue() ids are computed from PostgreSQL's jsonb binary layout.
//
// Invariants:
//   - Every overload's Fn receives arguments already of its declared
//     Left/Right/Args types (the caller applies Coerce) and returns a value
//     of Return (or Null); a strict overload (CalledOnNull false) is never
//     called with a NULL argument, the caller short-circuits to NULL.
//   - Every error returned for SQL is a *types.Error with PostgreSQL's
//     SQLSTATE and, where practical, its message text: 42883 operator or
//     function does not exist, 42725 ambiguous, 42804 datatype mismatch,
//     22003 out of range, 22012 division by zero, 2201B bad regular
//     expression, 22025 bad LIKE escape, 22023 bad parameter.
//   - Aggregates see every row: they skip NULL inputs themselves as
//     PostgreSQL's strict transition functions do (count(*) counts all);
//     DISTINCT and ORDER BY inside an aggregate are the caller's (feed the
//     rows deduplicated / in order). AggFunc.Result does not consume state:
//     it may be called between Adds (running window aggregates).
//   - Resolved overloads are cached per argument types and shared: callers
//     must not modify them.
//   - The registry is built once at init and never changes; everything is
//     safe for concurrent use except the per-evaluation AggFunc,
//     WindowFunc and SetIter values and the EvalContext (one per
//     session / statement).
//
// Deliberate differences from PostgreSQL: regular expressions are Go's
// RE2 syntax (a subset of PostgreSQL's ARE: no backreferences or
// lookaround); text compares and lower/upper/initcap work as in the C
// collation with Unicode case mapping; to_char supports the common
// patterns only (see toChar).
package sem
