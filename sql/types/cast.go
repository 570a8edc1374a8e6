package types

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// Assign coerces a value of t's family to t's modifiers as storing it in
// a column of type t does (an assignment cast): integers must fit the
// width (22003), REAL must fit float32 (22003), NUMERIC(p,s) rounds to s
// digits half away from zero and must fit p (22003 numeric field
// overflow), VARCHAR(n)/CHAR(n) reject longer values unless the excess is
// spaces (22001) and CHAR(n) pads to n, TIME(p)/TIMESTAMP(p) round to p
// digits. NULL stays NULL.
func Assign(d Datum, t *T) (Datum, error) { return coerce(d, t, false) }

// coerce applies t's modifiers; explicit casts truncate strings silently.
func coerce(d Datum, t *T, explicit bool) (Datum, error) {
	if IsNull(d) {
		return Null, nil
	}
	if !CheckDatum(t, d) {
		return nil, errorf(CodeCannotCoerce, "value of Go type %T does not belong to type %s", d, t)
	}
	switch t.Family {
	case IntFamily:
		v := int64(d.(DInt))
		if !intFits(v, t.Width) {
			return nil, outOfRange(t)
		}
	case FloatFamily:
		if t.Width == 32 {
			f := float64(d.(DFloat))
			f32 := float32(f)
			if math.IsInf(float64(f32), 0) && !math.IsInf(f, 0) {
				return nil, errorf(CodeNumericValueOutOfRange, "value out of range: overflow")
			}
			if f32 == 0 && f != 0 {
				return nil, errorf(CodeNumericValueOutOfRange, "value out of range: underflow")
			}
			return DFloat(f32), nil
		}
	case DecimalFamily:
		return coerceDecimal(d.(*DDecimal), t)
	case RecordFamily:
		if t.Composite != nil {
			return castRecord(d.(*DRecord), t, time.UTC)
		}
	case IntervalFamily:
		if t.Scale != 0 || t.Precision != 0 {
			return QualifyInterval(d.(DInterval), t.IntervalFields(), t.IntervalPrecision()), nil
		}
	case StringFamily:
		return coerceString(d.(DString), t, explicit)
	case TimeFamily:
		us := RoundMicros(int64(d.(DTime)), t.timePrecision())
		return DTime(us), nil
	case TimestampFamily:
		v := int64(d.(DTimestamp))
		if v == math.MaxInt64 || v == math.MinInt64 {
			return d, nil
		}
		return DTimestamp(RoundMicros(v, t.timePrecision())), nil
	case TimestampTZFamily:
		v := int64(d.(DTimestampTZ))
		if v == math.MaxInt64 || v == math.MinInt64 {
			return d, nil
		}
		return DTimestampTZ(RoundMicros(v, t.timePrecision())), nil
	case ArrayFamily:
		a := d.(*DArray)
		out := &DArray{Elem: t.Elem, Elems: make([]Datum, len(a.Elems)), Dims: a.Dims}
		for i, e := range a.Elems {
			v, err := coerce(e, t.Elem, explicit)
			if err != nil {
				return nil, err
			}
			out.Elems[i] = v
		}
		return out, nil
	}
	return d, nil
}

func intFits(v int64, width int) bool {
	switch width {
	case 16:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case 32:
		return v >= math.MinInt32 && v <= math.MaxInt32
	}
	return true
}

func coerceDecimal(d *DDecimal, t *T) (Datum, error) {
	if t.Precision == 0 || d.Form == apd.NaN {
		return d, nil
	}
	if d.Form == apd.Infinite {
		return nil, errorf(CodeNumericValueOutOfRange, "numeric field overflow: a field with precision %d, scale %d cannot hold an infinite value", t.Precision, t.Scale)
	}
	r := &DDecimal{}
	ctx := apd.BaseContext.WithPrecision(uint32(t.Precision) + 2 + uint32(max(0, int(d.NumDigits())+int(d.Exponent))))
	ctx.Rounding = apd.RoundHalfUp
	if _, err := ctx.Quantize(&r.Decimal, &d.Decimal, int32(-t.Scale)); err != nil {
		return nil, errorf(CodeNumericValueOutOfRange, "numeric field overflow")
	}
	if !r.IsZero() && int(r.NumDigits())+int(r.Exponent) > t.Precision-t.Scale {
		return nil, errorf(CodeNumericValueOutOfRange,
			"numeric field overflow: a field with precision %d, scale %d must round to an absolute value less than 10^%d",
			t.Precision, t.Scale, t.Precision-t.Scale)
	}
	if r.IsZero() {
		r.Negative = false
	}
	return r, nil
}

func coerceString(s DString, t *T, explicit bool) (Datum, error) {
	if t.Variant == NameVariant && len(s) > NameMaxBytes {
		cut := NameMaxBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut], nil
	}
	if t.Length == 0 {
		return s, nil
	}
	n := utf8.RuneCountInString(string(s))
	if n > t.Length {
		cut := runePrefix(string(s), t.Length)
		if !explicit && strings.TrimRight(string(s)[len(cut):], " ") != "" {
			return nil, errorf(CodeStringDataRightTruncation, "value too long for type %s", t)
		}
		s, n = DString(cut), t.Length
	}
	if t.Variant == Char && n < t.Length {
		s += DString(strings.Repeat(" ", t.Length-n))
	}
	return s, nil
}

func runePrefix(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, sz := utf8.DecodeRuneInString(s[i:])
		i += sz
	}
	return s[:i]
}

// Cast converts d of type from to type to as an explicit CAST does, with
// PostgreSQL's errors: 22003 out of range, 22P02/22007 invalid text,
// 0A000 NaN or infinity to integer, 42846 when no cast exists. loc is the
// session time zone (nil: UTC).
func Cast(d Datum, from, to *T, loc *time.Location) (Datum, error) {
	if IsNull(d) {
		return Null, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	if from.Family == to.Family && from.Family != StringFamily && from.Family != ArrayFamily {
		return coerce(d, to, true)
	}
	v, err := convert(d, from, to, loc)
	if err != nil {
		return nil, err
	}
	return coerce(v, to, true)
}

func cannotCast(from, to *T) *Error {
	return errorf(CodeCannotCoerce, "cannot cast type %s to %s", from, to)
}

func convert(d Datum, from, to *T, loc *time.Location) (Datum, error) {
	if to.Family == StringFamily {
		if s, ok := d.(DString); ok {
			if from.Variant == Char {
				return DString(strings.TrimRight(string(s), " ")), nil
			}
			return s, nil
		}
		if v, ok := d.(DBool); ok { // booltext spells it out
			if v {
				return DString("true"), nil
			}
			return DString("false"), nil
		}
		return DString(FormatText(from, d, loc)), nil
	}
	if s, ok := d.(DString); ok {
		if from.Variant == Char {
			s = DString(strings.TrimRight(string(s), " "))
		}
		return parseText(to, string(s), loc, time.Time{})
	}
	if j, ok := d.(*DJSONB); ok && (to.Family == BoolFamily || to.Family == IntFamily || to.Family == FloatFamily || to.Family == DecimalFamily) {
		if v, ok := jsonbScalar(j, to); ok {
			d = v
		} else {
			return nil, errorf(CodeInvalidParameterValue, "cannot cast jsonb %s to type %s", jsonbKind(j.V), to)
		}
	}
	switch to.Family {
	case BoolFamily:
		if v, ok := d.(DBool); ok {
			return v, nil
		}
	case DecimalFamily:
		if v, ok := d.(*DDecimal); ok {
			return v, nil
		}
	}
	switch to.Family {
	case IntFamily:
		switch v := d.(type) {
		case DFloat:
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, outOfRange(to)
			}
			f = math.RoundToEven(f)
			if f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
				return nil, outOfRange(to)
			}
			return DInt(int64(f)), nil
		case *DDecimal:
			return decimalToInt(v, to)
		case DBool:
			if to.Width != 32 {
				return nil, cannotCast(from, to)
			}
			if v {
				return DInt(1), nil
			}
			return DInt(0), nil
		}
	case FloatFamily:
		switch v := d.(type) {
		case DInt:
			return DFloat(float64(v)), nil
		case *DDecimal:
			switch v.Form {
			case apd.NaN, apd.NaNSignaling:
				return DFloat(math.NaN()), nil
			case apd.Infinite:
				if v.Negative {
					return DFloat(math.Inf(-1)), nil
				}
				return DFloat(math.Inf(1)), nil
			}
			f, err := strconv.ParseFloat(v.Text('e'), to.Width)
			if err != nil {
				return nil, outOfRange(to)
			}
			return DFloat(f), nil
		}
	case DecimalFamily:
		switch v := d.(type) {
		case DInt:
			return NewDecimal(apd.New(int64(v), 0)), nil
		case DFloat:
			f := float64(v)
			switch {
			case math.IsNaN(f):
				return &DDecimal{Decimal: apd.Decimal{Form: apd.NaN}}, nil
			case math.IsInf(f, 0):
				return &DDecimal{Decimal: apd.Decimal{Form: apd.Infinite, Negative: f < 0}}, nil
			}
			digits := 15 // DBL_DIG, as float8_numeric
			if from.Width == 32 {
				digits = 6 // FLT_DIG
			}
			return parseDecimal(to, strconv.FormatFloat(f, 'g', digits, 64))
		}
	case BoolFamily:
		if v, ok := d.(DInt); ok && from.Width == 32 {
			return DBool(v != 0), nil
		}
	case DateFamily:
		switch v := d.(type) {
		case DTimestamp:
			return timestampToDate(int64(v))
		case DTimestampTZ:
			if int64(v) == math.MaxInt64 || int64(v) == math.MinInt64 {
				return timestampToDate(int64(v))
			}
			return timestampToDate(utcToLocal(int64(v), loc))
		}
	case TimeFamily:
		switch v := d.(type) {
		case DTimestamp:
			return DTime(int64(v) - floorDiv(int64(v), MicrosPerDay)*MicrosPerDay), nil
		case DTimestampTZ:
			l := utcToLocal(int64(v), loc)
			return DTime(l - floorDiv(l, MicrosPerDay)*MicrosPerDay), nil
		case DInterval:
			us := v.Micros % MicrosPerDay
			if us < 0 {
				us += MicrosPerDay
			}
			return DTime(us), nil
		}
	case TimestampFamily:
		switch v := d.(type) {
		case DDate:
			switch v {
			case DateInfinity:
				return TimestampInfinity, nil
			case DateNegInfinity:
				return TimestampNegInf, nil
			}
			return DTimestamp(int64(v) * MicrosPerDay), nil
		case DTimestampTZ:
			if int64(v) == math.MaxInt64 || int64(v) == math.MinInt64 {
				return DTimestamp(v), nil
			}
			return DTimestamp(utcToLocal(int64(v), loc)), nil
		}
	case TimestampTZFamily:
		switch v := d.(type) {
		case DDate:
			switch v {
			case DateInfinity:
				return TimestampTZInfinity, nil
			case DateNegInfinity:
				return TimestampTZNegInf, nil
			}
			return DTimestampTZ(localToUTC(int64(v)*MicrosPerDay, loc)), nil
		case DTimestamp:
			if int64(v) == math.MaxInt64 || int64(v) == math.MinInt64 {
				return DTimestampTZ(v), nil
			}
			return DTimestampTZ(localToUTC(int64(v), loc)), nil
		}
	case IntervalFamily:
		if v, ok := d.(DTime); ok {
			return DInterval{Micros: int64(v)}, nil
		}
	case JSONBFamily:
		if v, ok := d.(DJSON); ok {
			j, err := parseJSON(string(v))
			if err != nil {
				return nil, err
			}
			return &DJSONB{V: j}, nil
		}
	case JSONFamily:
		if v, ok := d.(*DJSONB); ok {
			return DJSON(FormatText(JSONB, v, loc)), nil
		}
	case ArrayFamily:
		if v, ok := d.(*DArray); ok && from.Family == ArrayFamily {
			out := &DArray{Elem: to.Elem, Elems: make([]Datum, len(v.Elems)), Dims: v.Dims}
			for i, e := range v.Elems {
				c, err := Cast(e, from.Elem, to.Elem, loc)
				if err != nil {
					return nil, err
				}
				out.Elems[i] = c
			}
			return out, nil
		}
	}
	return nil, cannotCast(from, to)
}

func decimalToInt(v *DDecimal, to *T) (Datum, error) {
	switch v.Form {
	case apd.NaN, apd.NaNSignaling:
		return nil, errorf(CodeFeatureNotSupported, "cannot convert NaN to %s", to.SQLName())
	case apd.Infinite:
		return nil, errorf(CodeFeatureNotSupported, "cannot convert infinity to %s", to.SQLName())
	}
	if int(v.NumDigits())+int(v.Exponent) > 20 {
		return nil, outOfRange(to)
	}
	var r apd.Decimal
	ctx := apd.BaseContext.WithPrecision(40)
	ctx.Rounding = apd.RoundHalfUp
	if _, err := ctx.Quantize(&r, &v.Decimal, 0); err != nil {
		return nil, outOfRange(to)
	}
	i, err := r.Int64()
	if err != nil {
		return nil, outOfRange(to)
	}
	return DInt(i), nil
}

func timestampToDate(us int64) (Datum, error) {
	switch us {
	case math.MaxInt64:
		return DateInfinity, nil
	case math.MinInt64:
		return DateNegInfinity, nil
	}
	return DDate(floorDiv(us, MicrosPerDay)), nil
}

// utcToLocal converts UTC micros since 2000-01-01 to wall-clock micros in
// loc.
func utcToLocal(us int64, loc *time.Location) int64 {
	secs := floorDiv(us, 1_000_000) + pgEpochUnix
	_, off := time.Unix(secs, 0).In(loc).Zone()
	return us + int64(off)*1_000_000
}

// jsonbScalar is the value a jsonb cast to bool, a number type or numeric
// converts (jsonb_bool, jsonb_int4, jsonb_numeric, ...): a jsonb boolean
// for bool, a jsonb number (as numeric) for the others; ok=false when the
// jsonb holds anything else.
func jsonbScalar(j *DJSONB, to *T) (Datum, bool) {
	switch to.Family {
	case BoolFamily:
		if b, ok := j.V.(bool); ok {
			return DBool(b), true
		}
	case IntFamily, FloatFamily, DecimalFamily:
		if n, ok := j.V.(*apd.Decimal); ok {
			return NewDecimal(n), true
		}
	}
	return nil, false
}

// jsonbKind names a jsonb value's kind as PostgreSQL's cast errors do.
func jsonbKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case *apd.Decimal:
		return "numeric"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// QualifyInterval applies an interval type's modifiers: the fields below
// the last one of fields are dropped ("year to month": days and time),
// and the seconds rounded to p fractional digits (p < 0: kept).
func QualifyInterval(iv DInterval, fields string, p int) DInterval {
	last := fields
	if k := strings.LastIndexByte(fields, ' '); k >= 0 {
		last = fields[k+1:]
	}
	switch last {
	case "year":
		iv.Months, iv.Days, iv.Micros = iv.Months/12*12, 0, 0
	case "month":
		iv.Days, iv.Micros = 0, 0
	case "day":
		iv.Micros = 0
	case "hour":
		iv.Micros = iv.Micros / 3600e6 * 3600e6
	case "minute":
		iv.Micros = iv.Micros / 60e6 * 60e6
	}
	if p >= 0 && p < 6 {
		iv.Micros = RoundMicros(iv.Micros, p)
	}
	return iv
}
