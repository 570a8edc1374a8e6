package rowenc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

// Errors of this package.
var (
	// ErrCorrupt is wrapped by every decoding error.
	ErrCorrupt = errors.New("rowenc: corrupt encoding")
	// ErrNotIndexable is returned for types without an order (JSON).
	ErrNotIndexable = errors.New("rowenc: type is not indexable")
	// ErrTypeMismatch means a datum does not belong to the column type.
	ErrTypeMismatch = errors.New("rowenc: datum does not match the column type")
)

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// KeyDir is the direction of an index column and where its NULLs go.
type KeyDir struct {
	Descending bool
	NullsFirst bool
}

// PostgreSQL's defaults: ASC NULLS LAST, DESC NULLS FIRST.
var (
	Asc  = KeyDir{}
	Desc = KeyDir{Descending: true, NullsFirst: true}
)

// Column markers.
const (
	markerNullFirst = 0x00
	markerValue     = 0x01
	markerNullLast  = 0x02
)

// Indexable reports whether the type has a key encoding.
func Indexable(t *types.T) bool {
	switch t.Family {
	case types.JSONFamily, types.JSONPathFamily, types.UnknownFamily:
		return false
	case types.ArrayFamily:
		return Indexable(t.Elem)
	}
	return true
}

// IsComposite reports whether DecodeKey may return a value that compares
// equal to, but is not identical with, the encoded one (see the package
// doc).
func IsComposite(t *types.T) bool {
	switch t.Family {
	case types.FloatFamily, types.DecimalFamily, types.IntervalFamily, types.JSONBFamily:
		return true
	case types.StringFamily:
		return t.Variant == types.Char && t.Length == 0
	case types.ArrayFamily:
		return IsComposite(t.Elem)
	}
	return false
}

// EncodeKey appends the key encoding of d (which may be NULL) as a column
// of type t in direction dir.
func EncodeKey(b []byte, t *types.T, d types.Datum, dir KeyDir) ([]byte, error) {
	if types.IsNull(d) {
		if dir.NullsFirst {
			return append(b, markerNullFirst), nil
		}
		return append(b, markerNullLast), nil
	}
	if !Indexable(t) {
		return nil, fmt.Errorf("%w: %s", ErrNotIndexable, t)
	}
	b = append(b, markerValue)
	start := len(b)
	b, err := appendKeyPayload(b, t, d)
	if err != nil {
		return nil, err
	}
	if dir.Descending {
		for i := start; i < len(b); i++ {
			b[i] = ^b[i]
		}
	}
	return b, nil
}

func mismatch(t *types.T, d types.Datum) error {
	return fmt.Errorf("%w: %T for %s", ErrTypeMismatch, d, t)
}

func appendKeyPayload(b []byte, t *types.T, d types.Datum) ([]byte, error) {
	if !types.CheckDatum(t, d) {
		return nil, mismatch(t, d)
	}
	switch v := d.(type) {
	case types.DBool:
		if v {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case types.DInt:
		return binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63)), nil
	case types.DFloat:
		return binary.BigEndian.AppendUint64(b, floatKey(float64(v))), nil
	case *types.DDecimal:
		return appendDecimalKey(b, &v.Decimal)
	case types.DString:
		s := string(v)
		if t.Variant == types.Char {
			s = strings.TrimRight(s, " ")
		}
		return appendBytesKey(b, s), nil
	case types.DBytes:
		return appendBytesKey(b, string(v)), nil
	case types.DDate:
		return binary.BigEndian.AppendUint32(b, uint32(v)^(1<<31)), nil
	case types.DEnum: // the position in declaration order
		return binary.BigEndian.AppendUint32(b, uint32(v.Ord)), nil
	case types.DTime:
		return binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63)), nil
	case types.DTimestamp:
		return binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63)), nil
	case types.DTimestampTZ:
		return binary.BigEndian.AppendUint64(b, uint64(v)^(1<<63)), nil
	case types.DInterval:
		return appendSpanKey(b, v.Span()), nil
	case types.DUUID:
		return append(b, v[:]...), nil
	case *types.DJSONB:
		if arr, ok := v.V.([]any); ok && len(arr) == 0 {
			return append(b, jsonKeyEmptyTop), nil // below everything, as jsonb sorts it
		}
		return appendJSONKey(b, v.V)
	case *types.DArray:
		for _, e := range v.Elems {
			if types.IsNull(e) {
				b = append(b, 0x02)
				continue
			}
			b = append(b, 0x01)
			var err error
			if b, err = appendKeyPayload(b, t.Elem, e); err != nil {
				return nil, err
			}
		}
		return append(b, 0x00), nil
	}
	return nil, mismatch(t, d)
}

// floatKey maps a float to an order-preserving uint64.
func floatKey(f float64) uint64 {
	if math.IsNaN(f) {
		return math.MaxUint64
	}
	if f == 0 {
		f = 0 // -0 and 0 are equal
	}
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		return ^u
	}
	return u | 1<<63
}

func floatFromKey(u uint64) float64 {
	if u == math.MaxUint64 {
		return math.NaN()
	}
	if u&(1<<63) != 0 {
		return math.Float64frombits(u &^ (1 << 63))
	}
	return math.Float64frombits(^u)
}

// appendBytesKey writes s with 0x00 escaped as 0x00 0xFF and the
// terminator 0x00 0x01.
func appendBytesKey(b []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			break
		}
		b = append(b, s[:i]...)
		b = append(b, 0x00, 0xFF)
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, 0x00, 0x01)
}

// Decimal classes.
const (
	decNegInf = 0x01
	decNeg    = 0x02
	decZero   = 0x03
	decPos    = 0x04
	decPosInf = 0x05
	decNaN    = 0x06
)

func appendDecimalKey(b []byte, d *apd.Decimal) ([]byte, error) {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(b, decNaN), nil
	case apd.Infinite:
		if d.Negative {
			return append(b, decNegInf), nil
		}
		return append(b, decPosInf), nil
	}
	if d.IsZero() {
		return append(b, decZero), nil
	}
	digits := strings.TrimRight(d.Coeff.String(), "0")
	// value = 0.<digits> × 10^e
	e := int64(d.NumDigits()) + int64(d.Exponent)
	if e > math.MaxInt32 || e < math.MinInt32 {
		return nil, fmt.Errorf("rowenc: numeric exponent %d out of range", e)
	}
	cls := byte(decPos)
	if d.Negative {
		cls = decNeg
	}
	b = append(b, cls)
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, uint32(int32(e))^(1<<31))
	for i := 0; i < len(digits); i += 2 {
		hi := digits[i] - '0'
		lo := byte(0)
		if i+1 < len(digits) {
			lo = digits[i+1] - '0'
		}
		b = append(b, 1+hi*10+lo)
	}
	b = append(b, 0x00)
	if d.Negative {
		for i := start; i < len(b); i++ {
			b[i] = ^b[i]
		}
	}
	return b, nil
}

// appendSpanKey writes a signed 128-bit integer order-preservingly.
func appendSpanKey(b []byte, span *big.Int) []byte {
	var buf [16]byte
	v := new(big.Int).Set(span)
	if v.Sign() < 0 {
		v.Add(v, new(big.Int).Lsh(big.NewInt(1), 128)) // two's complement
	}
	v.FillBytes(buf[:])
	buf[0] ^= 0x80
	return append(b, buf[:]...)
}

// JSONB kind bytes in jsonb's order.
const (
	jsonKeyEmptyTop = 0x00
	jsonKeyNull     = 0x01
	jsonKeyString   = 0x02
	jsonKeyNumber   = 0x03
	jsonKeyFalse    = 0x04
	jsonKeyTrue     = 0x05
	jsonKeyArray    = 0x06
	jsonKeyObject   = 0x07
)

func appendJSONKey(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, jsonKeyNull), nil
	case string:
		return appendBytesKey(append(b, jsonKeyString), x), nil
	case *apd.Decimal:
		return appendDecimalKey(append(b, jsonKeyNumber), x)
	case bool:
		if x {
			return append(b, jsonKeyTrue), nil
		}
		return append(b, jsonKeyFalse), nil
	case []any:
		b = append(b, jsonKeyArray)
		b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
		for _, e := range x {
			var err error
			if b, err = appendJSONKey(b, e); err != nil {
				return nil, err
			}
		}
		return b, nil
	case *types.JSONObject:
		b = append(b, jsonKeyObject)
		b = binary.BigEndian.AppendUint32(b, uint32(len(x.Keys)))
		for i, k := range x.Keys {
			b = appendBytesKey(b, k)
			var err error
			if b, err = appendJSONKey(b, x.Values[i]); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: json value %T", ErrTypeMismatch, v)
}
