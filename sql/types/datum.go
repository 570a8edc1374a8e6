package types

import (
	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/jsonpath"
)

// Datum is a SQL value. The concrete types are DNull, DBool, DInt, DFloat,
// *DDecimal, DString, DBytes, DDate, DTime, DTimestamp, DTimestampTZ,
// DInterval, DUUID, *DJSONB, DJSON and *DArray.
type Datum interface {
	datum()
}

// DNull is SQL NULL.
type DNull struct{}

// Null is the NULL datum.
var Null Datum = DNull{}

// DBool is a BOOL.
type DBool bool

// DInt is an INT2, INT4 or INT8.
type DInt int64

// DFloat is a FLOAT4 or FLOAT8.
type DFloat float64

// DDecimal is a NUMERIC. NaN and ±Infinity are apd's NaN and Infinite
// forms; a zero is never negative.
type DDecimal struct {
	apd.Decimal
}

// DString is a TEXT, VARCHAR or CHAR (padded to its length).
type DString string

// DBytes is a BYTEA.
type DBytes string

// DDate is a DATE: days since 2000-01-01; the int32 extremes are
// ±infinity.
type DDate int32

// DTime is a TIME: microseconds since midnight, 0 to 24:00:00 inclusive.
type DTime int64

// DTimestamp is a TIMESTAMP: microseconds since 2000-01-01 00:00:00; the
// int64 extremes are ±infinity.
type DTimestamp int64

// DTimestampTZ is a TIMESTAMPTZ: microseconds since 2000-01-01 00:00:00
// UTC; the int64 extremes are ±infinity.
type DTimestampTZ int64

// DInterval is an INTERVAL as PostgreSQL keeps it: months, days and
// microseconds, each signed independently.
type DInterval struct {
	Months int32
	Days   int32
	Micros int64
}

// DUUID is a UUID.
type DUUID [16]byte

// DJSONB is a JSONB value, parsed: nil (JSON null), bool, *apd.Decimal,
// string, []any, or *JSONObject.
type DJSONB struct {
	V any
}

// JSONObject is a JSONB object: keys unique, sorted as PostgreSQL stores
// them (shorter keys first, then bytewise).
type JSONObject struct {
	Keys   []string
	Values []any
}

// DJSON is a JSON value kept as its input text (PostgreSQL's json type
// preserves it; it has no comparison).
type DJSON string

// DJSONPath is a jsonpath value: the parsed path (its text is the
// canonical Path.String()).
type DJSONPath struct {
	P *jsonpath.Path
}

// DArray is an array; Elems may contain Null. Dims, when it has two or
// more entries, are the lengths of a multi-dimensional array whose Elems
// are in row-major order (their product is len(Elems)); nil (or one
// entry) is a one-dimensional array of len(Elems). Lower bounds are 1.
type DArray struct {
	Elem  *T
	Elems []Datum
	Dims  []int
}

// DimLens are the array's dimension lengths: none for an empty array.
func (a *DArray) DimLens() []int {
	if len(a.Elems) == 0 {
		return nil
	}
	if len(a.Dims) > 1 {
		return a.Dims
	}
	return []int{len(a.Elems)}
}

func (DNull) datum()        {}
func (DBool) datum()        {}
func (DInt) datum()         {}
func (DFloat) datum()       {}
func (*DDecimal) datum()    {}
func (DString) datum()      {}
func (DBytes) datum()       {}
func (DDate) datum()        {}
func (DTime) datum()        {}
func (DTimestamp) datum()   {}
func (DTimestampTZ) datum() {}
func (DInterval) datum()    {}
func (DUUID) datum()        {}
func (*DJSONB) datum()      {}
func (DJSON) datum()        {}
func (*DJSONPath) datum()   {}
func (*DArray) datum()      {}

// IsNull reports whether d is NULL (or a nil interface).
func IsNull(d Datum) bool {
	if d == nil {
		return true
	}
	_, ok := d.(DNull)
	return ok
}

// Special date/timestamp values.
const (
	DateInfinity        DDate        = 1<<31 - 1
	DateNegInfinity     DDate        = -1 << 31
	TimestampInfinity   DTimestamp   = 1<<63 - 1
	TimestampNegInf     DTimestamp   = -1 << 63
	TimestampTZInfinity DTimestampTZ = 1<<63 - 1
	TimestampTZNegInf   DTimestampTZ = -1 << 63
)

// MicrosPerDay is the number of microseconds in a day.
const MicrosPerDay = 86_400_000_000

// NewDecimal returns a DDecimal with the value of d (copied).
func NewDecimal(d *apd.Decimal) *DDecimal {
	r := &DDecimal{}
	r.Set(d)
	if r.Form == apd.Finite && r.IsZero() {
		r.Negative = false
	}
	return r
}

// CheckDatum reports whether d is a non-NULL value of t's family (the
// concrete Go type matches). It does not check modifiers.
func CheckDatum(t *T, d Datum) bool {
	switch d.(type) {
	case DBool:
		return t.Family == BoolFamily
	case DInt:
		return t.Family == IntFamily
	case DFloat:
		return t.Family == FloatFamily
	case *DDecimal:
		return t.Family == DecimalFamily
	case DString:
		return t.Family == StringFamily
	case DBytes:
		return t.Family == BytesFamily
	case DDate:
		return t.Family == DateFamily
	case DTime:
		return t.Family == TimeFamily
	case DTimestamp:
		return t.Family == TimestampFamily
	case DTimestampTZ:
		return t.Family == TimestampTZFamily
	case DInterval:
		return t.Family == IntervalFamily
	case DUUID:
		return t.Family == UUIDFamily
	case *DJSONB:
		return t.Family == JSONBFamily
	case DJSON:
		return t.Family == JSONFamily
	case *DJSONPath:
		return t.Family == JSONPathFamily
	case *DArray:
		return t.Family == ArrayFamily
	case DEnum:
		return t.Family == EnumFamily
	case *DRecord:
		return t.Family == RecordFamily
	}
	return false
}
