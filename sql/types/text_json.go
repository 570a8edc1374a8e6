package types

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// parseJSON parses JSON text into the JSONB value model (see DJSONB).
func parseJSON(s string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, errorf(CodeInvalidTextRepresentation, "invalid input syntax for type json: %v", err)
	}
	if dec.More() {
		return nil, errorf(CodeInvalidTextRepresentation, "invalid input syntax for type json: trailing data")
	}
	if !utf8.ValidString(s) {
		return nil, errorf(CodeInvalidTextRepresentation, "invalid byte sequence for encoding \"UTF8\"")
	}
	return fromGoJSON(raw)
}

func fromGoJSON(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		d, _, err := apd.NewFromString(string(x))
		if err != nil {
			return nil, errorf(CodeInvalidTextRepresentation, "invalid input syntax for type json: number %s", x)
		}
		return normJSONNumber(d), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = fromGoJSON(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		obj := &JSONObject{Keys: make([]string, 0, len(x))}
		for k := range x {
			obj.Keys = append(obj.Keys, k)
		}
		SortJSONKeys(obj.Keys)
		obj.Values = make([]any, len(obj.Keys))
		for i, k := range obj.Keys {
			var err error
			if obj.Values[i], err = fromGoJSON(x[k]); err != nil {
				return nil, err
			}
		}
		return obj, nil
	}
	return nil, errorf(CodeInvalidTextRepresentation, "invalid json value %T", v)
}

// normJSONNumber normalises a JSON number as jsonb keeps it: a positive
// exponent written out (1e2 is 100), negative zero as zero.
func normJSONNumber(d *apd.Decimal) *apd.Decimal {
	if d.Exponent > 0 && d.Exponent < maxNumericWeight {
		var p apd.BigInt
		p.Exp(apd.NewBigInt(10), apd.NewBigInt(int64(d.Exponent)), nil)
		d.Coeff.Mul(&d.Coeff, &p)
		d.Exponent = 0
	}
	if d.IsZero() {
		d.Negative = false
	}
	return d
}

// SortJSONKeys sorts object keys in jsonb storage order: shorter first,
// then bytewise.
func SortJSONKeys(keys []string) {
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j])
		}
		return keys[i] < keys[j]
	})
}

// appendJSON writes jsonb's output form: `{"a": 1, "b": [1, 2]}`.
func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		return appendJSONString(b, x)
	case *apd.Decimal:
		return appendDecimal(b, x)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case *JSONObject:
		b = append(b, '{')
		for i, k := range x.Keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJSONString(b, k)
			b = append(b, ": "...)
			b = appendJSON(b, x.Values[i])
		}
		return append(b, '}')
	}
	return b
}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch r {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			if r < 0x20 {
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[r>>4], "0123456789abcdef"[r&15])
			} else {
				b = utf8.AppendRune(b, r)
			}
		}
	}
	return append(b, '"')
}

// jsonHasNUL reports whether a string or key in v contains U+0000.
func jsonHasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) >= 0
	case []any:
		for _, e := range x {
			if jsonHasNUL(e) {
				return true
			}
		}
	case *JSONObject:
		for i, k := range x.Keys {
			if strings.IndexByte(k, 0) >= 0 || jsonHasNUL(x.Values[i]) {
				return true
			}
		}
	}
	return false
}
