package types

import (
	"encoding/binary"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// AppendBinary appends the PostgreSQL binary wire format (typsend) of a
// non-NULL datum of type t to b.
func AppendBinary(b []byte, t *T, d Datum) ([]byte, error) {
	switch v := d.(type) {
	case *DRecord:
		return appendRecordBinary(b, v)
	case DBool:
		if v {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case DInt:
		switch t.Width {
		case 16:
			return binary.BigEndian.AppendUint16(b, uint16(v)), nil
		case 32:
			return binary.BigEndian.AppendUint32(b, uint32(v)), nil
		}
		return binary.BigEndian.AppendUint64(b, uint64(v)), nil
	case DFloat:
		if math.IsNaN(float64(v)) { // PostgreSQL sends the canonical quiet NaN
			if t.Width == 32 {
				return binary.BigEndian.AppendUint32(b, 0x7fc00000), nil
			}
			return binary.BigEndian.AppendUint64(b, 0x7ff8000000000000), nil
		}
		if t.Width == 32 {
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(v))), nil
		}
		return binary.BigEndian.AppendUint64(b, math.Float64bits(float64(v))), nil
	case *DDecimal:
		return appendNumericBinary(b, &v.Decimal), nil
	case DString:
		return append(b, v...), nil
	case DBytes:
		return append(b, v...), nil
	case DDate:
		return binary.BigEndian.AppendUint32(b, uint32(v)), nil
	case DTime:
		return binary.BigEndian.AppendUint64(b, uint64(v)), nil
	case DTimestamp:
		return binary.BigEndian.AppendUint64(b, uint64(v)), nil
	case DTimestampTZ:
		return binary.BigEndian.AppendUint64(b, uint64(v)), nil
	case DInterval:
		b = binary.BigEndian.AppendUint64(b, uint64(v.Micros))
		b = binary.BigEndian.AppendUint32(b, uint32(v.Days))
		return binary.BigEndian.AppendUint32(b, uint32(v.Months)), nil
	case DUUID:
		return append(b, v[:]...), nil
	case DEnum: // enum_send: the label
		return append(b, v.Label...), nil
	case *DJSONB:
		b = append(b, 1) // jsonb binary format version
		return appendJSON(b, v.V), nil
	case DJSON:
		return append(b, v...), nil
	case *DJSONPath:
		b = append(b, 1) // jsonpath binary format version
		return append(b, v.P.String()...), nil
	case *DArray:
		return appendArrayBinary(b, t, v)
	}
	return nil, errorf(CodeFeatureNotSupported, "no binary output for %T", d)
}

func badBinary(t *T, format string, args ...any) *Error {
	e := errorf(CodeInvalidBinaryRepresentation, format, args...)
	e.Message = "incorrect binary data format for type " + t.SQLName() + ": " + e.Message
	return e
}

// DecodeBinary reads the PostgreSQL binary wire format (typreceive) of a
// value of type t and applies t's modifiers. Malformed input returns an
// *Error with SQLSTATE 22P03.
func DecodeBinary(t *T, b []byte) (Datum, error) {
	d, err := decodeBinary(t, b)
	if err != nil {
		return nil, err
	}
	return Assign(d, t)
}

func fixed(t *T, b []byte, n int) error {
	if len(b) != n {
		return badBinary(t, "want %d bytes, got %d", n, len(b))
	}
	return nil
}

func decodeBinary(t *T, b []byte) (Datum, error) {
	switch t.Family {
	case BoolFamily:
		if err := fixed(t, b, 1); err != nil {
			return nil, err
		}
		return DBool(b[0] != 0), nil
	case IntFamily:
		if err := fixed(t, b, t.Width/8); err != nil {
			return nil, err
		}
		switch t.Width {
		case 16:
			return DInt(int16(binary.BigEndian.Uint16(b))), nil
		case 32:
			return DInt(int32(binary.BigEndian.Uint32(b))), nil
		}
		return DInt(int64(binary.BigEndian.Uint64(b))), nil
	case FloatFamily:
		if err := fixed(t, b, t.Width/8); err != nil {
			return nil, err
		}
		if t.Width == 32 {
			return DFloat(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
		}
		return DFloat(math.Float64frombits(binary.BigEndian.Uint64(b))), nil
	case DecimalFamily:
		return decodeNumericBinary(t, b)
	case StringFamily:
		if !utf8.Valid(b) || strings.IndexByte(string(b), 0) >= 0 {
			return nil, errorf(CodeInvalidTextRepresentation, "invalid byte sequence for encoding \"UTF8\"")
		}
		return DString(b), nil
	case BytesFamily:
		return DBytes(b), nil
	case DateFamily:
		if err := fixed(t, b, 4); err != nil {
			return nil, err
		}
		d := DDate(int32(binary.BigEndian.Uint32(b)))
		if d != DateInfinity && d != DateNegInfinity && (int64(d) < minDateDays || int64(d) > maxDateDays) {
			return nil, outOfRange(t)
		}
		return d, nil
	case TimeFamily:
		if err := fixed(t, b, 8); err != nil {
			return nil, err
		}
		v := int64(binary.BigEndian.Uint64(b))
		if v < 0 || v > MicrosPerDay {
			return nil, errorf(CodeDatetimeFieldOverflow, "time out of range")
		}
		return DTime(v), nil
	case TimestampFamily, TimestampTZFamily:
		if err := fixed(t, b, 8); err != nil {
			return nil, err
		}
		v := int64(binary.BigEndian.Uint64(b))
		if v != math.MaxInt64 && v != math.MinInt64 && (v < minTimestamp || v > maxTimestamp) {
			return nil, outOfRange(t)
		}
		if t.Family == TimestampFamily {
			return DTimestamp(v), nil
		}
		return DTimestampTZ(v), nil
	case IntervalFamily:
		if err := fixed(t, b, 16); err != nil {
			return nil, err
		}
		return DInterval{Micros: int64(binary.BigEndian.Uint64(b)), Days: int32(binary.BigEndian.Uint32(b[8:])),
			Months: int32(binary.BigEndian.Uint32(b[12:]))}, nil
	case EnumFamily:
		return EnumLabel(t, string(b))
	case UUIDFamily:
		if err := fixed(t, b, 16); err != nil {
			return nil, err
		}
		var u DUUID
		copy(u[:], b)
		return u, nil
	case JSONBFamily:
		if len(b) < 1 || b[0] != 1 {
			return nil, badBinary(t, "unsupported jsonb version number")
		}
		v, err := parseJSON(string(b[1:]))
		if err != nil {
			return nil, err
		}
		return &DJSONB{V: v}, nil
	case JSONFamily:
		if _, err := parseJSON(string(b)); err != nil {
			return nil, err
		}
		return DJSON(b), nil
	case JSONPathFamily:
		if len(b) < 1 || b[0] != 1 {
			return nil, badBinary(t, "unsupported jsonpath version number")
		}
		return parseJSONPath(string(b[1:]))
	case ArrayFamily:
		return decodeArrayBinary(t, b)
	}
	return nil, errorf(CodeFeatureNotSupported, "no binary input for type %s", t)
}

// Numeric binary: ndigits, weight, sign, dscale (int16 each), then
// base-10000 digits; the value is sum(digit[i] * 10000^(weight-i)).
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
)

func appendNumericBinary(b []byte, d *apd.Decimal) []byte {
	hdr := func(ndigits, weight int, sign, dscale uint16) {
		b = binary.BigEndian.AppendUint16(b, uint16(ndigits))
		b = binary.BigEndian.AppendUint16(b, uint16(int16(weight)))
		b = binary.BigEndian.AppendUint16(b, sign)
		b = binary.BigEndian.AppendUint16(b, dscale)
	}
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		hdr(0, 0, numericNaN, 0)
		return b
	case apd.Infinite:
		// PostgreSQL 15 sends a display scale of 32 with ±Infinity.
		if d.Negative {
			hdr(0, 0, numericNInf, 32)
		} else {
			hdr(0, 0, numericPInf, 32)
		}
		return b
	}
	dscale := 0
	if d.Exponent < 0 {
		dscale = int(-d.Exponent)
	}
	digits := d.Coeff.String()
	if d.Coeff.Sign() == 0 {
		hdr(0, 0, numericPos, uint16(dscale))
		return b
	}
	// Place the decimal digits on a base-10000 grid aligned at the
	// decimal point: intLen digits before it, padded to multiples of 4.
	s := digits
	intLen := len(digits) + int(d.Exponent)
	if d.Exponent > 0 {
		s += strings.Repeat("0", int(d.Exponent))
	}
	if intLen < 0 {
		s = strings.Repeat("0", -intLen) + s
		intLen = 0
	}
	leftPad := (4 - intLen%4) % 4
	s = strings.Repeat("0", leftPad) + s
	intLen += leftPad
	if r := (len(s) - intLen) % 4; r != 0 {
		s += strings.Repeat("0", 4-r)
	}
	weight := intLen/4 - 1
	groups := make([]uint16, 0, len(s)/4)
	for i := 0; i+4 <= len(s); i += 4 {
		g := uint16(s[i]-'0')*1000 + uint16(s[i+1]-'0')*100 + uint16(s[i+2]-'0')*10 + uint16(s[i+3]-'0')
		groups = append(groups, g)
	}
	// strip leading and trailing zero groups
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		weight--
	}
	for len(groups) > 0 && groups[len(groups)-1] == 0 {
		groups = groups[:len(groups)-1]
	}
	sign := uint16(numericPos)
	if d.Negative {
		sign = numericNeg
	}
	hdr(len(groups), weight, sign, uint16(dscale))
	for _, g := range groups {
		b = binary.BigEndian.AppendUint16(b, g)
	}
	return b
}

func decodeNumericBinary(t *T, b []byte) (Datum, error) {
	if len(b) < 8 {
		return nil, badBinary(t, "short numeric header")
	}
	n := int(binary.BigEndian.Uint16(b))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	dscale := int(binary.BigEndian.Uint16(b[6:]))
	if len(b) != 8+2*n {
		return nil, badBinary(t, "numeric has %d bytes for %d digits", len(b), n)
	}
	switch sign {
	case numericNaN:
		return &DDecimal{Decimal: apd.Decimal{Form: apd.NaN}}, nil
	case numericPInf:
		return &DDecimal{Decimal: apd.Decimal{Form: apd.Infinite}}, nil
	case numericNInf:
		return &DDecimal{Decimal: apd.Decimal{Form: apd.Infinite, Negative: true}}, nil
	case numericPos, numericNeg:
	default:
		return nil, badBinary(t, "invalid numeric sign 0x%x", sign)
	}
	if dscale > maxNumericScale {
		return nil, badBinary(t, "invalid numeric scale %d", dscale)
	}
	coeff := new(big.Int)
	tenK := big.NewInt(10000)
	for i := 0; i < n; i++ {
		g := binary.BigEndian.Uint16(b[8+2*i:])
		if g >= 10000 {
			return nil, badBinary(t, "invalid digit %d", g)
		}
		coeff.Mul(coeff, tenK)
		coeff.Add(coeff, big.NewInt(int64(g)))
	}
	// value = coeff * 10000^(weight - n + 1), then rescaled to dscale.
	exp4 := weight - n + 1
	if exp4 > maxNumericWeight/4+1 || exp4 < -(maxNumericScale/4+2) {
		return nil, badBinary(t, "numeric weight out of range")
	}
	var d apd.Decimal
	d.Coeff.SetMathBigInt(coeff)
	d.Exponent = int32(4 * exp4)
	d.Negative = sign == numericNeg
	// Display scale: exactly dscale fraction digits.
	var r apd.Decimal
	ctx := apd.BaseContext.WithPrecision(uint32(int(d.NumDigits()) + dscale + 4*max(0, exp4) + 4))
	if _, err := ctx.Quantize(&r, &d, int32(-dscale)); err != nil {
		return nil, badBinary(t, "numeric: %v", err)
	}
	return NewDecimal(&r), nil
}

func appendArrayBinary(b []byte, t *T, a *DArray) ([]byte, error) {
	elem := t.Elem
	hasNull := uint32(0)
	for _, e := range a.Elems {
		if IsNull(e) {
			hasNull = 1
		}
	}
	if len(a.Elems) == 0 {
		b = binary.BigEndian.AppendUint32(b, 0)
		b = binary.BigEndian.AppendUint32(b, 0)
		return binary.BigEndian.AppendUint32(b, uint32(elem.OID())), nil
	}
	dims := a.DimLens()
	b = binary.BigEndian.AppendUint32(b, uint32(len(dims)))
	b = binary.BigEndian.AppendUint32(b, hasNull)
	b = binary.BigEndian.AppendUint32(b, uint32(elem.OID()))
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
		lb := uint32(1)
		if t.Vector {
			lb = 0
		}
		b = binary.BigEndian.AppendUint32(b, lb) // lower bound
	}
	for _, e := range a.Elems {
		if IsNull(e) {
			b = binary.BigEndian.AppendUint32(b, math.MaxUint32) // -1
			continue
		}
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		var err error
		if b, err = AppendBinary(b, elem, e); err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	return b, nil
}

func decodeArrayBinary(t *T, b []byte) (Datum, error) {
	if len(b) < 12 {
		return nil, badBinary(t, "short array header")
	}
	ndim := int32(binary.BigEndian.Uint32(b))
	elemOID := OID(binary.BigEndian.Uint32(b[8:]))
	if elemOID != t.Elem.OID() {
		return nil, badBinary(t, "wrong element type %d", elemOID)
	}
	a := &DArray{Elem: t.Elem}
	if ndim == 0 {
		if len(b) != 12 {
			return nil, badBinary(t, "trailing bytes")
		}
		return a, nil
	}
	if ndim < 0 || ndim > 6 {
		return nil, badBinary(t, "invalid number of dimensions %d", ndim)
	}
	if len(b) < 12+8*int(ndim) {
		return nil, badBinary(t, "short array header")
	}
	n := int64(1)
	for k := 0; k < int(ndim); k++ {
		d := int64(int32(binary.BigEndian.Uint32(b[12+8*k:])))
		if d < 0 || d > int64(len(b)) {
			return nil, badBinary(t, "invalid array length %d", d)
		}
		n *= d
		if ndim > 1 {
			a.Dims = append(a.Dims, int(d))
		}
	}
	if n > int64(len(b)) {
		return nil, badBinary(t, "invalid array length %d", n)
	}
	p := b[12+8*int(ndim):]
	for i := int64(0); i < n; i++ {
		if len(p) < 4 {
			return nil, badBinary(t, "short array element")
		}
		l := int32(binary.BigEndian.Uint32(p))
		p = p[4:]
		if l == -1 {
			a.Elems = append(a.Elems, Null)
			continue
		}
		if l < 0 || int(l) > len(p) {
			return nil, badBinary(t, "invalid element length %d", l)
		}
		e, err := DecodeBinary(t.Elem, p[:l])
		if err != nil {
			return nil, err
		}
		a.Elems = append(a.Elems, e)
		p = p[l:]
	}
	if len(p) != 0 {
		return nil, badBinary(t, "trailing bytes")
	}
	return a, nil
}
