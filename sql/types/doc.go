// Package types is Tessera's SQL type system: the types (T) of BOOL,
// INT2/INT4/INT8, FLOAT4/FLOAT8, NUMERIC(p,s), TEXT, VARCHAR(n), CHAR(n),
// NAME, BYTEA, DATE, TIME(p), TIMESTAMP(p), TIMESTAMPTZ(p), INTERVAL, UUID, JSONB,
// JSON, user-defined enums (EnumFamily: the labels travel in T.Enum, a
// value DEnum is its label and its position, T.Width is the type OID) and
// arrays of the built-in types (multi-dimensional ones as DArray.Dims over
// row-major elements, lower bounds 1), with their PostgreSQL OIDs,
// typmods and format_type names; the values (Datum) including NULL;
// comparison in PostgreSQL semantics; text input/output in PostgreSQL's
// output formats (DateStyle ISO, extra_float_digits=1; IntervalStyle and
// bytea_output as a TextFormat says, postgres and hex by default); the binary send/recv formats of
// the PostgreSQL wire protocol; and casts with PostgreSQL's errors.
//
// Invariants:
//   - A Datum does not carry its type: DInt is every integer width, DFloat
//     both float widths, DString TEXT, VARCHAR, CHAR and NAME. Functions that need
//     the width or typmod take the *T. A Datum stored for a column already
//     satisfies the column type (Cast/Assign applied): CHAR(n) values are
//     padded to n, NUMERIC(p,s) values have scale s, TIMESTAMP(p) values are
//     rounded to p digits, FLOAT4 values are exactly representable in
//     float32, integers are in range of their width.
//   - NULL is the single value Null (DNull); Compare never sees it: the
//     caller handles NULL (SQL three-valued logic, ORDER BY placement).
//   - Compare orders like PostgreSQL's btree operator classes: floats and
//     numerics put NaN above everything (NaN = NaN) and -0 = 0; NUMERIC
//     compares by value (1.0 = 1.00); INTERVAL compares by its span with a
//     month as 30 days and a day as 24 hours ('1 mon' = '30 days'); CHAR
//     ignores trailing spaces; TEXT/VARCHAR/BYTEA compare bytewise (the C
//     collation); JSONB as PostgreSQL's jsonb_ops (Object > Array > Boolean
//     > Number > String > Null, shorter containers first); arrays
//     elementwise with NULL elements above non-NULL ones, then by length,
//     then by number of dimensions and their lengths; enum values by
//     their position in declaration order.
//   - Times: DATE is days since 2000-01-01, TIME microseconds since
//     midnight, TIMESTAMP/TIMESTAMPTZ microseconds since 2000-01-01
//     00:00:00 (UTC for TIMESTAMPTZ), PostgreSQL's own representation, with
//     ±infinity as the int extremes.
//   - Every error this package returns to SQL is an *Error with a SQLSTATE.
//
// Input accepted (a subset of PostgreSQL's): dates and times in ISO 8601
// form (what PostgreSQL prints, with T or space, optional BC, zone as
// Z/UTC/±hh[:mm[:ss]]/±hhmm/a tz database name), 'infinity', '-infinity'
// and 'epoch', but not 'now', 'today' or the MDY/DMY spellings; intervals
// in PostgreSQL's verbose form ('1 year 2 mons -3 days +04:05:06', units,
// 'ago', '@') and ISO 8601 'P…' form, but not the SQL-standard 'Y-M'
// form; interval typmods (YEAR TO MONTH …) are not supported. TIMESTAMPTZ
// input without a zone and output use the session time zone passed in, and
// DST gaps/overlaps resolve as in PostgreSQL. Text compares with the C
// collation. RandType/RandDatum are generators for property tests.
//
// The package holds no state and no locks.
package types
