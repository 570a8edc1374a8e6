package types

import (
	"errors"
	"testing"
)

var fuzzTypes = []*T{Bool, Int2, Int4, Int8, Float4, Float8, Numeric, mustT(MakeNumeric(6, 2)), String,
	mustT(MakeVarChar(3)), mustT(MakeChar(3)), Bytes, Date, Time, Timestamp, TimestampTZ, Interval, UUID, JSONB, JSON,
	mustT(MakeArray(Int4)), mustT(MakeArray(String)), mustT(MakeArray(Numeric)), mustT(MakeArray(JSONB))}

// FuzzInput feeds garbage to the text input and binary receive functions:
// they return a value or an *Error, never panic, and a value they return
// prints and reads back to the same text.
func FuzzInput(f *testing.F) {
	for _, s := range []string{"1", "-1.5e3", "NaN", "{1,NULL}", `{"a": [1]}`, "2024-01-02 03:04:05+05:30",
		"1 year 2 mons -3 days +04:05:06.7", `\x00ff`, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "P1Y2M", "infinity"} {
		for i := range fuzzTypes {
			f.Add([]byte(s), byte(i), false)
		}
	}
	f.Add([]byte{0, 1, 0, 0, 0, 0, 0, 2, 0, 5}, byte(6), true)
	f.Fuzz(func(t *testing.T, data []byte, ti byte, bin bool) {
		typ := fuzzTypes[int(ti)%len(fuzzTypes)]
		var d Datum
		var err error
		if bin {
			d, err = DecodeBinary(typ, data)
		} else {
			d, err = ParseText(typ, string(data), nil)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out := FormatText(typ, d, nil)
		back, err := ParseText(typ, out, nil)
		if err != nil {
			t.Fatalf("%s: %q printed as %q does not read back: %v", typ, data, out, err)
		}
		if again := FormatText(typ, back, nil); again != out {
			t.Fatalf("%s: %q printed as %q then %q", typ, data, out, again)
		}
		if _, err := AppendBinary(nil, typ, d); err != nil {
			t.Fatalf("%s: no binary form for %q: %v", typ, out, err)
		}
	})
}
