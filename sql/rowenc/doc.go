// Package rowenc owns the byte encodings of SQL values in the key-value
// store (DESIGN.md §2):
//
//   - Key encoding (EncodeKey/DecodeKey): order-preserving, per index
//     column, ascending or descending, with NULL first or last (KeyDir;
//     PostgreSQL's default is NULLS LAST for ASC and NULLS FIRST for DESC).
//     For two values a, b of one type, bytes.Compare(EncodeKey(a),
//     EncodeKey(b)) has the sign of types.Compare(a, b), so equal values
//     have equal keys. Each column encodes as a marker byte (0x00 NULL
//     first, 0x01 value, 0x02 NULL last) and, for a value, a prefix-free
//     payload, bitwise inverted when descending; the concatenation of
//     columns therefore sorts column by column.
//   - Value encoding (EncodeValue/DecodeValue) of the non-key columns of a
//     row: a sequence of (uvarint column-ID delta, tag byte, payload) in
//     increasing column ID, NULL columns omitted. Every tag says how long
//     its payload is, so a decoder skips columns it does not know (dropped
//     ones) and reports columns it finds absent (added ones) as NULL: ADD
//     and DROP COLUMN need no rewrite.
//
// Composite types: where values that compare equal differ in what they
// print (NUMERIC 1.0 vs 1.00, float -0 vs 0, INTERVAL '1 mon' vs '30
// days', JSONB numbers, bpchar trailing spaces), DecodeKey returns a
// canonical representative equal under types.Compare; IsComposite says so,
// and the row writer must then also keep the exact value in the row value.
//
// Payloads (ascending form): integers 8 bytes big-endian with the sign bit
// flipped; floats as their IEEE bits made order-preserving (negative values
// inverted, positive ones with the sign bit set, -0 as 0, NaN as all ones,
// above +Inf); NUMERIC as a class byte (-Inf, negative, zero, positive,
// +Inf, NaN) then for non-zero finite values the decimal exponent and the
// base-100 digit pairs with a 0x00 terminator, inverted for negatives;
// strings and bytes with 0x00 escaped as 0x00 0xFF and terminated by 0x00
// 0x01 (CHAR without trailing spaces, re-padded on decode); DATE 4 bytes,
// TIME/TIMESTAMP(TZ) 8 bytes; INTERVAL its 128-bit span in microseconds
// (month = 30 days); UUID 16 bytes; BOOL one byte; JSONB a kind byte in
// jsonb order then the value (containers as member count then members);
// arrays as elements each tagged 0x01 value / 0x02 NULL, terminated by
// 0x00 (the key of a multi-dimensional array is that of its elements in
// row-major order: dimensions are not part of it; the value encoding
// keeps them after the elements). JSON (not JSONB) has no order and is not indexable.
//
// Decoders never panic on malformed input: they return an error wrapping
// ErrCorrupt. The package holds no state and no locks.
package rowenc
