package types

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tesseradb/tessera/sql/parser/pgdialect"
)

// Family is the kind of a type; widths and typmods are in T.
type Family uint8

// Type families.
const (
	UnknownFamily Family = iota
	BoolFamily
	IntFamily
	FloatFamily
	DecimalFamily
	StringFamily // TEXT, VARCHAR(n), CHAR(n) (see T.Variant)
	BytesFamily
	DateFamily
	TimeFamily
	TimestampFamily
	TimestampTZFamily
	IntervalFamily
	UUIDFamily
	JSONBFamily
	JSONFamily
	ArrayFamily
	EnumFamily // a user-defined enum (T.Enum; T.Width is its OID)
	// RecordFamily is the anonymous row type (record.go).
	RecordFamily
	JSONPathFamily
)

// StringVariant distinguishes the string types.
type StringVariant uint8

// String variants.
const (
	Text StringVariant = iota
	VarChar
	Char // bpchar: blank-padded
	// NameVariant is the name type: text of at most NameMaxBytes bytes,
	// longer input cut at a character boundary.
	NameVariant
)

// NameMaxBytes is how long a value of type name can be (NAMEDATALEN-1).
const NameMaxBytes = 63

// OID is a PostgreSQL type OID.
type OID uint32

// T is a SQL type. Types are values; compare them with Equal (or
// Identical), not ==, because of Elem.
type T struct {
	Family Family
	// Width is 16/32/64 for IntFamily and 32/64 for FloatFamily.
	Width int
	// Precision and Scale of NUMERIC(p,s); Precision 0 means unconstrained.
	// For TIME/TIMESTAMP/TIMESTAMPTZ, Precision is the fractional-second
	// digits (0-6), -1 meaning unspecified (6).
	Precision, Scale int
	// Variant and Length (in characters, 0 = unbounded) of string types.
	Variant StringVariant
	Length  int
	// Elem is the element type of an array.
	Elem *T
	// Enum defines an enum type (EnumFamily).
	Enum *EnumInfo `json:",omitempty"`
	// Composite defines a composite type (RecordFamily; T.Width is its
	// OID; nil for the anonymous record).
	Composite *CompositeInfo `json:",omitempty"`
	// Vector marks int2vector (an ArrayFamily of Int2, as pg_index.indkey
	// is): one dimension, written "1 2" without braces, subscripts from
	// 0. It is an int2[] otherwise (Equal ignores it).
	Vector bool `json:",omitempty"`
}

// Int2Vector is int2vector.
var Int2Vector = &T{Family: ArrayFamily, Elem: Int2, Vector: true}

// Types without modifiers.
var (
	Bool        = &T{Family: BoolFamily}
	Int2        = &T{Family: IntFamily, Width: 16}
	Int4        = &T{Family: IntFamily, Width: 32}
	Int8        = &T{Family: IntFamily, Width: 64}
	Float4      = &T{Family: FloatFamily, Width: 32}
	Float8      = &T{Family: FloatFamily, Width: 64}
	Numeric     = &T{Family: DecimalFamily}
	String      = &T{Family: StringFamily, Variant: Text}
	VarCharAny  = &T{Family: StringFamily, Variant: VarChar}
	BPChar      = &T{Family: StringFamily, Variant: Char} // bpchar without length
	Name        = &T{Family: StringFamily, Variant: NameVariant}
	Bytes       = &T{Family: BytesFamily}
	Date        = &T{Family: DateFamily}
	Time        = &T{Family: TimeFamily, Precision: -1}
	Timestamp   = &T{Family: TimestampFamily, Precision: -1}
	TimestampTZ = &T{Family: TimestampTZFamily, Precision: -1}
	Interval    = &T{Family: IntervalFamily}
	UUID        = &T{Family: UUIDFamily}
	JSONB       = &T{Family: JSONBFamily}
	JSON        = &T{Family: JSONFamily}
	JSONPath    = &T{Family: JSONPathFamily}
)

// Scalars lists every scalar type without modifiers.
var Scalars = []*T{Bool, Int2, Int4, Int8, Float4, Float8, Numeric, String, VarCharAny, BPChar, Bytes,
	Date, Time, Timestamp, TimestampTZ, Interval, UUID, JSONB, JSON}

// MakeNumeric returns NUMERIC(p,s); p = 0 is unconstrained.
func MakeNumeric(p, s int) (*T, error) {
	if p == 0 && s == 0 {
		return Numeric, nil
	}
	if p < 1 || p > 1000 {
		return nil, errorf(CodeInvalidParameterValue, "NUMERIC precision %d must be between 1 and 1000", p)
	}
	if s < 0 || s > p {
		return nil, errorf(CodeInvalidParameterValue, "NUMERIC scale %d must be between 0 and precision %d", s, p)
	}
	return &T{Family: DecimalFamily, Precision: p, Scale: s}, nil
}

// MakeVarChar returns VARCHAR(n); n = 0 is unbounded.
func MakeVarChar(n int) (*T, error) { return makeString(VarChar, n) }

// MakeChar returns CHAR(n).
func MakeChar(n int) (*T, error) { return makeString(Char, n) }

const maxStringLength = 10485760

func makeString(v StringVariant, n int) (*T, error) {
	if n < 0 || n > maxStringLength || (n == 0 && v == Char) {
		name := "varchar"
		if v == Char {
			name = "char"
		}
		if n > maxStringLength {
			return nil, errorf(CodeInvalidParameterValue, "length for type %s cannot exceed %d", name, maxStringLength)
		}
		return nil, errorf(CodeInvalidParameterValue, "length for type %s must be at least 1", name)
	}
	return &T{Family: StringFamily, Variant: v, Length: n}, nil
}

// MakeTimeType returns TIME(p), TIMESTAMP(p) or TIMESTAMPTZ(p); p is
// clamped to 6 as PostgreSQL does (with a warning there).
func MakeTimeType(f Family, p int) (*T, error) {
	if p < 0 {
		return nil, errorf(CodeInvalidParameterValue, "precision %d must not be negative", p)
	}
	if p > 6 {
		p = 6
	}
	return &T{Family: f, Precision: p}, nil
}

// MakeArray returns elem[]. Arrays of arrays are not supported (a
// PostgreSQL array type is already multi-dimensional; we keep one).
func MakeArray(elem *T) (*T, error) {
	if elem.Family == ArrayFamily {
		return nil, errorf(CodeFeatureNotSupported, "nested arrays are not supported")
	}
	return &T{Family: ArrayFamily, Elem: elem}, nil
}

// MakeArrayOf is MakeArray of a type known not to be an array.
func MakeArrayOf(elem *T) *T {
	t, err := MakeArray(elem)
	if err != nil {
		panic(err)
	}
	return t
}

// Equal reports whether two types are the same type including modifiers.
func (t *T) Equal(o *T) bool {
	if t == o {
		return true
	}
	if t == nil || o == nil {
		return false
	}
	if t.Family != o.Family || t.Width != o.Width || t.Precision != o.Precision || t.Scale != o.Scale ||
		t.Variant != o.Variant || t.Length != o.Length {
		return false
	}
	if t.Family == ArrayFamily {
		return t.Elem.Equal(o.Elem)
	}
	return true
}

// timePrecision is the effective fractional digits.
func (t *T) timePrecision() int {
	if t.Precision < 0 {
		return 6
	}
	return t.Precision
}

// OID returns the PostgreSQL type OID.
func (t *T) OID() OID {
	switch t.Family {
	case RecordFamily:
		if t.Composite != nil {
			return t.Composite.OID
		}
		return 2249
	case BoolFamily:
		return 16
	case IntFamily:
		switch t.Width {
		case 16:
			return 21
		case 32:
			return 23
		}
		return 20
	case FloatFamily:
		if t.Width == 32 {
			return 700
		}
		return 701
	case DecimalFamily:
		return 1700
	case StringFamily:
		switch t.Variant {
		case VarChar:
			return 1043
		case Char:
			return 1042
		case NameVariant:
			return 19
		}
		return 25
	case BytesFamily:
		return 17
	case DateFamily:
		return 1082
	case TimeFamily:
		return 1083
	case TimestampFamily:
		return 1114
	case TimestampTZFamily:
		return 1184
	case IntervalFamily:
		return 1186
	case UUIDFamily:
		return 2950
	case JSONBFamily:
		return 3802
	case JSONFamily:
		return 114
	case JSONPathFamily:
		return 4072
	case ArrayFamily:
		if t.Vector {
			return 22
		}
		if t.Elem.Family == EnumFamily {
			return OID(t.Elem.Width) + EnumArrayOIDDelta
		}
		return arrayOIDs[t.Elem.OID()]
	case EnumFamily:
		return OID(t.Width)
	}
	return 0
}

// EnumArrayOIDDelta is added to an enum type's OID to make the OID of its
// array type.
const EnumArrayOIDDelta = 1 << 21

var arrayOIDs = map[OID]OID{16: 1000, 17: 1001, 21: 1005, 23: 1007, 25: 1009, 1042: 1014, 1043: 1015, 19: 1003, 20: 1016,
	700: 1021, 701: 1022, 1114: 1115, 1082: 1182, 1083: 1183, 1184: 1185, 1186: 1187, 1700: 1231, 2950: 2951,
	114: 199, 3802: 3807}

// Typmod is the PostgreSQL type modifier (atttypmod), -1 if none.
func (t *T) Typmod() int32 {
	switch t.Family {
	case DecimalFamily:
		if t.Precision > 0 {
			return int32(t.Precision<<16|t.Scale) + 4
		}
	case StringFamily:
		if t.Length > 0 {
			return int32(t.Length) + 4
		}
	case TimeFamily, TimestampFamily, TimestampTZFamily:
		if t.Precision >= 0 {
			return int32(t.Precision)
		}
	case IntervalFamily:
		if t.Scale != 0 || t.Precision != 0 {
			// PostgreSQL's INTERVAL_TYPMOD(precision, range)
			bits := map[string]int32{"year": 1 << 2, "month": 1 << 1, "day": 1 << 3, "hour": 1 << 10, "minute": 1 << 11, "second": 1 << 12}
			order := []string{"year", "month", "day", "hour", "minute", "second"}
			rng := int32(0x7FFF)
			if f := t.IntervalFields(); f != "" {
				from, to, _ := strings.Cut(f, " to ")
				if to == "" {
					to = from
				}
				rng = 0
				for i := slices.Index(order, from); i >= 0 && i <= slices.Index(order, to); i++ {
					rng |= bits[order[i]]
				}
			}
			prec := int32(0xFFFF)
			if p := t.IntervalPrecision(); p >= 0 {
				prec = int32(p)
			}
			return rng<<16 | prec
		}
	case ArrayFamily:
		return t.Elem.Typmod()
	}
	return -1
}

// Size is the pg_type.typlen reported in RowDescription: the fixed width
// in bytes, or -1 for variable-length types.
func (t *T) Size() int16 {
	switch t.Family {
	case BoolFamily:
		return 1
	case IntFamily:
		return int16(t.Width / 8)
	case FloatFamily:
		return int16(t.Width / 8)
	case DateFamily:
		return 4
	case TimeFamily, TimestampFamily, TimestampTZFamily:
		return 8
	case IntervalFamily, UUIDFamily:
		return 16
	case EnumFamily:
		return 4
	case StringFamily:
		if t.Variant == NameVariant {
			return 64
		}
	}
	return -1
}

// SQLName is the type's name as format_type prints it without modifiers
// (integer, character varying, timestamp with time zone, ...).
func (t *T) SQLName() string {
	switch t.Family {
	case RecordFamily:
		if t.Composite != nil {
			return t.Composite.Name
		}
		return "record"
	case BoolFamily:
		return "boolean"
	case IntFamily:
		switch t.Width {
		case 16:
			return "smallint"
		case 32:
			return "integer"
		}
		return "bigint"
	case FloatFamily:
		if t.Width == 32 {
			return "real"
		}
		return "double precision"
	case DecimalFamily:
		return "numeric"
	case StringFamily:
		switch t.Variant {
		case VarChar:
			return "character varying"
		case Char:
			if t.Length == 0 {
				return "bpchar"
			}
			return "character"
		case NameVariant:
			return "name"
		}
		return "text"
	case BytesFamily:
		return "bytea"
	case DateFamily:
		return "date"
	case TimeFamily:
		return "time without time zone"
	case TimestampFamily:
		return "timestamp without time zone"
	case TimestampTZFamily:
		return "timestamp with time zone"
	case IntervalFamily:
		return "interval"
	case UUIDFamily:
		return "uuid"
	case JSONBFamily:
		return "jsonb"
	case JSONFamily:
		return "json"
	case JSONPathFamily:
		return "jsonpath"
	case ArrayFamily:
		return t.Elem.SQLName() + "[]"
	case EnumFamily:
		if t.Enum != nil {
			return t.Enum.Name
		}
	}
	return "unknown"
}

// String is the name as PostgreSQL's format_type(oid, typmod) prints it:
// numeric(10,2), character varying(20), timestamp(3) with time zone,
// integer[].
func (t *T) String() string {
	switch t.Family {
	case DecimalFamily:
		if t.Precision > 0 {
			return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
		}
	case StringFamily:
		if t.Length > 0 {
			return t.SQLName() + "(" + strconv.Itoa(t.Length) + ")"
		}
	case IntervalFamily:
		s := "interval"
		if f := t.IntervalFields(); f != "" {
			s += " " + f
		}
		if p := t.IntervalPrecision(); p >= 0 {
			s += "(" + strconv.Itoa(p) + ")"
		}
		return s
	case TimeFamily, TimestampFamily, TimestampTZFamily:
		if t.Precision >= 0 {
			base := map[Family]string{TimeFamily: "time", TimestampFamily: "timestamp", TimestampTZFamily: "timestamp"}[t.Family]
			zone := " without time zone"
			if t.Family == TimestampTZFamily {
				zone = " with time zone"
			}
			return fmt.Sprintf("%s(%d)%s", base, t.Precision, zone)
		}
	case ArrayFamily:
		if t.Vector {
			return "int2vector"
		}
		return t.Elem.String() + "[]"
	}
	return t.SQLName()
}

// PGName is PostgreSQL's internal name of the type (pg_type.typname):
// int4, varchar, _int4 for arrays, ...
func (t *T) PGName() string {
	switch t.Family {
	case BoolFamily:
		return "bool"
	case IntFamily:
		return "int" + strconv.Itoa(t.Width/8)
	case FloatFamily:
		return "float" + strconv.Itoa(t.Width/8)
	case DecimalFamily:
		return "numeric"
	case StringFamily:
		return [...]string{"text", "varchar", "bpchar", "name"}[t.Variant]
	case ArrayFamily:
		if t.Vector {
			return "int2vector"
		}
		return "_" + t.Elem.PGName()
	case TimeFamily:
		return "time"
	case TimestampFamily:
		return "timestamp"
	case TimestampTZFamily:
		return "timestamptz"
	}
	return t.SQLName()
}

// IsEnum reports whether t is a user-defined enum type.
func (t *T) IsEnum() bool { return t.Family == EnumFamily }

// IsSerial reports whether a parsed type is SERIAL, BIGSERIAL or
// SMALLSERIAL (FromPG maps them to the integer type; the caller adds the
// sequence default).
func IsSerial(pt pgdialect.Type) bool {
	switch pt.Name {
	case "serial2", "serial4", "serial8":
		return true
	}
	return false
}

// FromPG maps a parsed PostgreSQL type name (sql/parser/pgdialect) to a
// type, validating its modifiers.
func FromPG(pt pgdialect.Type) (*T, error) {
	t, err := scalarFromPG(pt)
	if err != nil {
		return nil, err
	}
	if pt.Array {
		return MakeArray(t)
	}
	return t, nil
}

func scalarFromPG(pt pgdialect.Type) (*T, error) {
	noMods := func(t *T) (*T, error) {
		if len(pt.Mods) > 0 {
			return nil, errorf(CodeInvalidParameterValue, "type modifier is not allowed for type %q", pt.Name)
		}
		return t, nil
	}
	if f, ok := strings.CutPrefix(pt.Name, "interval "); ok {
		p := -1
		if len(pt.Mods) == 1 {
			p = pt.Mods[0]
		}
		if len(pt.Mods) > 1 || p >= 0 && !strings.HasSuffix(f, "second") {
			return nil, errorf(CodeInvalidParameterValue, "invalid type modifier for interval")
		}
		return MakeInterval(f, p)
	}
	switch pt.Name {
	case "bool":
		return noMods(Bool)
	case "int2", "serial2":
		return noMods(Int2)
	case "int4", "serial4":
		return noMods(Int4)
	case "int8", "serial8":
		return noMods(Int8)
	case "float4":
		return noMods(Float4)
	case "float8":
		if len(pt.Mods) == 1 { // float(p): p <= 24 is real (the parser maps it), up to 53 double
			if pt.Mods[0] < 1 || pt.Mods[0] > 53 {
				return nil, errorf(CodeInvalidParameterValue, "precision for type float must be between 1 and 53 bits")
			}
			return Float8, nil
		}
		return noMods(Float8)
	case "numeric":
		if len(pt.Mods) > 0 && pt.Mods[0] < 1 {
			return nil, errorf(CodeInvalidParameterValue, "NUMERIC precision %d must be between 1 and 1000", pt.Mods[0])
		}
		switch len(pt.Mods) {
		case 0:
			return Numeric, nil
		case 1:
			return MakeNumeric(pt.Mods[0], 0)
		case 2:
			return MakeNumeric(pt.Mods[0], pt.Mods[1])
		}
		return nil, errorf(CodeInvalidParameterValue, "invalid NUMERIC type modifier")
	case "text":
		return noMods(String)
	case "name":
		return noMods(Name)
	case "varchar", "bpchar":
		v := VarChar
		if pt.Name == "bpchar" {
			v = Char
		}
		switch len(pt.Mods) {
		case 0:
			if v == Char {
				// CHAR without length is CHAR(1) in a declaration.
				return makeString(Char, 1)
			}
			return VarCharAny, nil
		case 1:
			if pt.Mods[0] < 1 {
				return nil, errorf(CodeInvalidParameterValue, "length for type %s must be at least 1", pt.Name)
			}
			return makeString(v, pt.Mods[0])
		}
		return nil, errorf(CodeInvalidParameterValue, "invalid type modifier for %s", pt.Name)
	case "bytea":
		return noMods(Bytes)
	case "date":
		return noMods(Date)
	case "time", "timestamp", "timestamptz":
		f := map[string]Family{"time": TimeFamily, "timestamp": TimestampFamily, "timestamptz": TimestampTZFamily}[pt.Name]
		switch len(pt.Mods) {
		case 0:
			return &T{Family: f, Precision: -1}, nil
		case 1:
			return MakeTimeType(f, pt.Mods[0])
		}
		return nil, errorf(CodeInvalidParameterValue, "invalid type modifier for %s", pt.Name)
	case "interval":
		switch len(pt.Mods) {
		case 0:
			return Interval, nil
		case 1:
			return MakeInterval("", pt.Mods[0])
		}
		return nil, errorf(CodeInvalidParameterValue, "invalid type modifier for interval")
	case "uuid":
		return noMods(UUID)
	case "jsonb":
		return noMods(JSONB)
	case "json":
		return noMods(JSON)
	case "jsonpath":
		return noMods(JSONPath)
	case "timetz", "inet", "money", "bit", "varbit", "oid", "regclass", "regtype", "regproc", "regnamespace", "xid":
		return nil, errorf(CodeFeatureNotSupported, "type %s is not supported", pt.Name)
	}
	return nil, errorf(CodeUndefinedObject, "type %q does not exist", pt.Name)
}

// intervalFields are the field restrictions of INTERVAL types, in
// PostgreSQL's spelling; an interval type's Scale is its index + 1 (0:
// none), its Precision the fractional-second digits + 1 (0: unspecified).
var intervalFields = []string{"year", "month", "day", "hour", "minute", "second", "year to month", "day to hour",
	"day to minute", "day to second", "hour to minute", "hour to second", "minute to second"}

// MakeInterval returns INTERVAL [fields] [(p)]: fields "" (all) or one of
// intervalFields, p the fractional-second digits 0..6 (-1: unspecified).
func MakeInterval(fields string, p int) (*T, error) {
	t := &T{Family: IntervalFamily}
	if fields != "" {
		k := slices.Index(intervalFields, fields)
		if k < 0 {
			return nil, errorf(CodeInvalidParameterValue, "invalid interval fields %q", fields)
		}
		t.Scale = k + 1
	}
	if p >= 0 {
		if p > 6 {
			p = 6 // PostgreSQL lowers it with a warning
		}
		t.Precision = p + 1
	}
	if t.Scale == 0 && t.Precision == 0 {
		return Interval, nil
	}
	return t, nil
}

// IntervalFields is an interval type's field restriction ("" for none).
func (t *T) IntervalFields() string {
	if t.Family != IntervalFamily || t.Scale < 1 || t.Scale > len(intervalFields) {
		return ""
	}
	return intervalFields[t.Scale-1]
}

// IntervalPrecision is an interval type's fractional-second digits (-1:
// unspecified).
func (t *T) IntervalPrecision() int {
	if t.Family != IntervalFamily {
		return -1
	}
	return t.Precision - 1
}

// FromOID returns the type without modifiers for a PostgreSQL OID, with
// ok=false for OIDs we do not support.
func FromOID(oid OID) (*T, bool) {
	if oid == 4072 {
		return JSONPath, true
	}
	for _, t := range Scalars {
		if t.OID() == oid {
			return t, true
		}
	}
	for _, t := range Scalars {
		if a, ok := arrayOIDs[t.OID()]; ok && a == oid {
			at, _ := MakeArray(t)
			return at, true
		}
	}
	return nil, false
}
