package types

import (
	"bytes"
	"math"
	"math/big"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Compare orders two non-NULL datums of the same family as PostgreSQL's
// btree operators do (see the package doc): -1, 0 or +1. Comparing
// different families or JSON (which has no order) returns an error.
func Compare(a, b Datum) (int, error) {
	switch x := a.(type) {
	case DBool:
		if y, ok := b.(DBool); ok {
			return cmpBool(bool(x), bool(y)), nil
		}
	case DInt:
		if y, ok := b.(DInt); ok {
			return cmpOrdered(x, y), nil
		}
	case DFloat:
		if y, ok := b.(DFloat); ok {
			return CompareFloat(float64(x), float64(y)), nil
		}
	case *DDecimal:
		if y, ok := b.(*DDecimal); ok {
			return CompareDecimal(&x.Decimal, &y.Decimal), nil
		}
	case DString:
		if y, ok := b.(DString); ok {
			return strings.Compare(string(x), string(y)), nil
		}
	case DBytes:
		if y, ok := b.(DBytes); ok {
			return strings.Compare(string(x), string(y)), nil
		}
	case DDate:
		if y, ok := b.(DDate); ok {
			return cmpOrdered(x, y), nil
		}
	case DEnum:
		if y, ok := b.(DEnum); ok {
			return cmpOrdered(int64(x.Ord), int64(y.Ord)), nil
		}
	case DTime:
		if y, ok := b.(DTime); ok {
			return cmpOrdered(x, y), nil
		}
	case DTimestamp:
		if y, ok := b.(DTimestamp); ok {
			return cmpOrdered(x, y), nil
		}
	case DTimestampTZ:
		if y, ok := b.(DTimestampTZ); ok {
			return cmpOrdered(x, y), nil
		}
	case DInterval:
		if y, ok := b.(DInterval); ok {
			return x.Span().Cmp(y.Span()), nil
		}
	case DUUID:
		if y, ok := b.(DUUID); ok {
			return bytes.Compare(x[:], y[:]), nil
		}
	case *DJSONB:
		if y, ok := b.(*DJSONB); ok {
			return compareJSONTop(x.V, y.V), nil
		}
	case *DArray:
		if y, ok := b.(*DArray); ok {
			return compareArrays(x, y)
		}
	case *DRecord:
		if y, ok := b.(*DRecord); ok {
			return compareRecords(x, y)
		}
	case DJSON:
		if _, ok := b.(DJSON); ok {
			return 0, errorf(CodeUndefinedFunction, "could not identify a comparison function for type json")
		}
	}
	return 0, errorf(CodeUndefinedFunction, "cannot compare %T with %T", a, b)
}

// CompareString compares two values of a string type: CHAR ignores
// trailing spaces.
func CompareString(t *T, a, b DString) int {
	if t.Variant == Char {
		return strings.Compare(strings.TrimRight(string(a), " "), strings.TrimRight(string(b), " "))
	}
	return strings.Compare(string(a), string(b))
}

// CompareTyped is Compare with the type known, for the rules that depend
// on it (CHAR's trailing spaces, arrays of CHAR).
func CompareTyped(t *T, a, b Datum) (int, error) {
	if t.Family == StringFamily && t.Variant == Char {
		x, ok1 := a.(DString)
		y, ok2 := b.(DString)
		if ok1 && ok2 {
			return CompareString(t, x, y), nil
		}
	}
	return Compare(a, b)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func cmpOrdered[X ~int32 | ~int64](a, b X) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CompareFloat orders floats as PostgreSQL does: NaN equals NaN and is
// greater than every other value, -0 equals 0.
func CompareFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CompareDecimal orders numerics as PostgreSQL does: -Infinity < finite <
// Infinity < NaN, NaN = NaN, by value (1.0 = 1.00).
func CompareDecimal(a, b *apd.Decimal) int {
	an, bn := a.Form == apd.NaN || a.Form == apd.NaNSignaling, b.Form == apd.NaN || b.Form == apd.NaNSignaling
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return a.Cmp(b)
}

// Span is the interval's length in microseconds with a month as 30 days
// and a day as 24 hours: the quantity PostgreSQL compares intervals by.
func (d DInterval) Span() *big.Int {
	days := int64(d.Months)*30 + int64(d.Days)
	s := big.NewInt(days)
	s.Mul(s, big.NewInt(MicrosPerDay))
	return s.Add(s, big.NewInt(d.Micros))
}

// compareArrays orders arrays elementwise (a NULL element is greater than
// any non-NULL one), then by length.
func compareArrays(a, b *DArray) (int, error) {
	for i := 0; i < len(a.Elems) && i < len(b.Elems); i++ {
		x, y := a.Elems[i], b.Elems[i]
		xn, yn := IsNull(x), IsNull(y)
		switch {
		case xn && yn:
			continue
		case xn:
			return 1, nil
		case yn:
			return -1, nil
		}
		var c int
		var err error
		if a.Elem != nil {
			c, err = CompareTyped(a.Elem, x, y)
		} else {
			c, err = Compare(x, y)
		}
		if err != nil || c != 0 {
			return c, err
		}
	}
	if c := cmpOrdered(int64(len(a.Elems)), int64(len(b.Elems))); c != 0 {
		return c, nil
	}
	da, db := a.DimLens(), b.DimLens()
	if c := cmpOrdered(int64(len(da)), int64(len(db))); c != 0 {
		return c, nil
	}
	for i := range da {
		if c := cmpOrdered(int64(da[i]), int64(db[i])); c != 0 {
			return c, nil
		}
	}
	return 0, nil
}

// JSON kinds in jsonb's order.
const (
	jsonNull = iota
	jsonString
	jsonNumber
	jsonBool
	jsonArray
	jsonObject
)

// JSONKind is the rank of a JSONB value in jsonb's order.
func JSONKind(v any) int {
	switch v.(type) {
	case nil:
		return jsonNull
	case string:
		return jsonString
	case *apd.Decimal:
		return jsonNumber
	case bool:
		return jsonBool
	case []any:
		return jsonArray
	}
	return jsonObject
}

// compareJSONTop applies jsonb's one exception at the top level: an empty
// top-level array sorts below everything else, even null.
func compareJSONTop(a, b any) int {
	ae, be := isEmptyArray(a), isEmptyArray(b)
	switch {
	case ae && be:
		return 0
	case ae:
		return -1
	case be:
		return 1
	}
	return CompareJSON(a, b)
}

func isEmptyArray(v any) bool {
	arr, ok := v.([]any)
	return ok && len(arr) == 0
}

// CompareJSON orders JSONB values: Object > Array > Boolean > Number >
// String > Null; containers with more members are greater; then members
// in storage order (object keys then values).
func CompareJSON(a, b any) int {
	ka, kb := JSONKind(a), JSONKind(b)
	if ka != kb {
		return cmpOrdered(int64(ka), int64(kb))
	}
	switch x := a.(type) {
	case nil:
		return 0
	case string:
		return strings.Compare(x, b.(string))
	case *apd.Decimal:
		return CompareDecimal(x, b.(*apd.Decimal))
	case bool:
		return cmpBool(x, b.(bool))
	case []any:
		y := b.([]any)
		if len(x) != len(y) {
			return cmpOrdered(int64(len(x)), int64(len(y)))
		}
		for i := range x {
			if c := CompareJSON(x[i], y[i]); c != 0 {
				return c
			}
		}
		return 0
	}
	x, y := a.(*JSONObject), b.(*JSONObject)
	if len(x.Keys) != len(y.Keys) {
		return cmpOrdered(int64(len(x.Keys)), int64(len(y.Keys)))
	}
	for i := range x.Keys {
		if c := strings.Compare(x.Keys[i], y.Keys[i]); c != 0 {
			return c
		}
		if c := CompareJSON(x.Values[i], y.Values[i]); c != 0 {
			return c
		}
	}
	return 0
}
