package rowenc

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

// ColumnID identifies a column within its table; IDs are never reused, so
// a value written before a DROP COLUMN still decodes after it.
type ColumnID uint32

// ValueColumn is a non-key column of a row value.
type ValueColumn struct {
	ID   ColumnID
	Type *types.T
}

// Value tags. Each fixes the payload's length rule so that unknown
// columns can be skipped.
const (
	tagNull      = 0x00 // no payload (also an array element NULL)
	tagFalse     = 0x01 // no payload
	tagTrue      = 0x02 // no payload
	tagInt       = 0x03 // zigzag varint
	tagFloat     = 0x04 // 8 bytes, IEEE bits big-endian
	tagDecimal   = 0x05 // uvarint length, then flags, zigzag exponent, coefficient bytes
	tagBytes     = 0x06 // uvarint length, then bytes (text, varchar, char, bytea, json)
	tagDate      = 0x07 // zigzag varint
	tagTime      = 0x08 // zigzag varint
	tagTimestamp = 0x09 // zigzag varint (timestamp and timestamptz)
	tagInterval  = 0x0a // three zigzag varints: months, days, micros
	tagUUID      = 0x0b // 16 bytes
	tagJSONB     = 0x0c // uvarint length, then jsonb text
	tagArray     = 0x0d // uvarint length, then uvarint count and tagged elements [, uvarint ndims >= 2 and the dimensions]
	maxTag       = tagArray
)

// EncodeValue appends the value encoding of a row's non-key columns. cols
// must be in strictly increasing ID order (IDs >= 1) and vals parallel to
// it; NULL values are omitted.
func EncodeValue(b []byte, cols []ValueColumn, vals []types.Datum) ([]byte, error) {
	if len(cols) != len(vals) {
		return nil, fmt.Errorf("rowenc: %d columns, %d values", len(cols), len(vals))
	}
	prev := ColumnID(0)
	for i, c := range cols {
		if c.ID <= prev {
			return nil, fmt.Errorf("rowenc: column IDs must increase (%d after %d)", c.ID, prev)
		}
		if types.IsNull(vals[i]) {
			continue
		}
		b = binary.AppendUvarint(b, uint64(c.ID-prev))
		prev = c.ID
		var err error
		if b, err = appendTagged(b, c.Type, vals[i]); err != nil {
			return nil, fmt.Errorf("rowenc: column %d: %w", c.ID, err)
		}
	}
	return b, nil
}

func appendTagged(b []byte, t *types.T, d types.Datum) ([]byte, error) {
	if types.IsNull(d) {
		return append(b, tagNull), nil
	}
	if !types.CheckDatum(t, d) {
		return nil, mismatch(t, d)
	}
	switch v := d.(type) {
	case types.DBool:
		if v {
			return append(b, tagTrue), nil
		}
		return append(b, tagFalse), nil
	case types.DInt:
		return binary.AppendVarint(append(b, tagInt), int64(v)), nil
	case types.DFloat:
		return binary.BigEndian.AppendUint64(append(b, tagFloat), math.Float64bits(float64(v))), nil
	case *types.DDecimal:
		return appendDecimalValue(append(b, tagDecimal), &v.Decimal), nil
	case types.DString:
		return appendLenPrefixed(append(b, tagBytes), string(v)), nil
	case types.DBytes:
		return appendLenPrefixed(append(b, tagBytes), string(v)), nil
	case types.DJSON:
		return appendLenPrefixed(append(b, tagBytes), string(v)), nil
	case *types.DJSONPath:
		return appendLenPrefixed(append(b, tagBytes), v.P.String()), nil
	case types.DDate:
		return binary.AppendVarint(append(b, tagDate), int64(v)), nil
	case types.DEnum: // the position in declaration order
		return binary.AppendVarint(append(b, tagInt), int64(v.Ord)), nil
	case types.DTime:
		return binary.AppendVarint(append(b, tagTime), int64(v)), nil
	case types.DTimestamp:
		return binary.AppendVarint(append(b, tagTimestamp), int64(v)), nil
	case types.DTimestampTZ:
		return binary.AppendVarint(append(b, tagTimestamp), int64(v)), nil
	case types.DInterval:
		b = append(b, tagInterval)
		b = binary.AppendVarint(b, int64(v.Months))
		b = binary.AppendVarint(b, int64(v.Days))
		return binary.AppendVarint(b, v.Micros), nil
	case types.DUUID:
		return append(append(b, tagUUID), v[:]...), nil
	case *types.DJSONB:
		return appendLenPrefixed(append(b, tagJSONB), types.FormatText(types.JSONB, v, nil)), nil
	case *types.DRecord: // a composite column: its text form
		return appendLenPrefixed(append(b, tagBytes), types.FormatText(t, v, nil)), nil
	case *types.DArray:
		var body []byte
		body = binary.AppendUvarint(body, uint64(len(v.Elems)))
		for _, e := range v.Elems {
			var err error
			if body, err = appendTagged(body, t.Elem, e); err != nil {
				return nil, err
			}
		}
		if len(v.Dims) > 1 {
			// a multi-dimensional array: its dimensions after the elements
			body = binary.AppendUvarint(body, uint64(len(v.Dims)))
			for _, d := range v.Dims {
				body = binary.AppendUvarint(body, uint64(d))
			}
		}
		return appendLenPrefixed(append(b, tagArray), string(body)), nil
	}
	return nil, mismatch(t, d)
}

func appendLenPrefixed(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Decimal value flags.
const (
	decFlagNeg = 1 << iota
	decFlagNaN
	decFlagInf
)

func appendDecimalValue(b []byte, d *apd.Decimal) []byte {
	var body []byte
	flags := byte(0)
	if d.Negative {
		flags |= decFlagNeg
	}
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		flags |= decFlagNaN
	case apd.Infinite:
		flags |= decFlagInf
	}
	body = append(body, flags)
	if d.Form == apd.Finite {
		body = binary.AppendVarint(body, int64(d.Exponent))
		body = append(body, d.Coeff.Bytes()...)
	}
	return appendLenPrefixed(b, string(body))
}

// DecodeValue decodes a row value into out, parallel to cols (strictly
// increasing IDs): a column absent from b is NULL, a column in b that is
// not in cols is skipped.
func DecodeValue(b []byte, cols []ValueColumn, out []types.Datum) error {
	if len(cols) != len(out) {
		return fmt.Errorf("rowenc: %d columns, %d outputs", len(cols), len(out))
	}
	for i := range out {
		out[i] = types.Null
	}
	return decodeColumns(b, cols, nil, out, false)
}

// DecodeValueInto decodes the columns of a row value that are in cols
// (strictly increasing IDs) into row[ords[i]] for cols[i]; a column
// absent from b leaves its row entry untouched, and a column in b that is
// not in cols is skipped undecoded.
func DecodeValueInto(b []byte, cols []ValueColumn, ords []int, row []types.Datum) error {
	if len(cols) != len(ords) {
		return fmt.Errorf("rowenc: %d columns, %d ordinals", len(cols), len(ords))
	}
	return decodeColumns(b, cols, ords, row, true)
}

// decodeColumns walks a row value's columns and decodes those in cols into
// row[ords[i]] (row[i] when ords is nil), skipping the others; with
// stopEarly it returns once every column in cols has been passed, leaving
// the rest of b unread.
func decodeColumns(b []byte, cols []ValueColumn, ords []int, row []types.Datum, stopEarly bool) error {
	id := ColumnID(0)
	ci := 0
	for len(b) > 0 && (!stopEarly || ci < len(cols)) {
		delta, n := binary.Uvarint(b)
		if n <= 0 || delta == 0 || delta > math.MaxUint32 || uint64(id)+delta > math.MaxUint32 {
			return corrupt("bad column ID delta")
		}
		b = b[n:]
		id += ColumnID(delta)
		for ci < len(cols) && cols[ci].ID < id {
			ci++
		}
		if ci < len(cols) && cols[ci].ID == id {
			d, rest, err := decodeTagged(b, cols[ci].Type, 0)
			if err != nil {
				return fmt.Errorf("column %d: %w", id, err)
			}
			o := ci
			if ords != nil {
				o = ords[ci]
			}
			row[o], b = d, rest
			ci++
			continue
		}
		rest, err := skipTagged(b)
		if err != nil {
			return fmt.Errorf("column %d: %w", id, err)
		}
		b = rest
	}
	return nil
}

// ValueColumnIDs lists the column IDs present in a row value.
func ValueColumnIDs(b []byte) ([]ColumnID, error) {
	var ids []ColumnID
	id := ColumnID(0)
	for len(b) > 0 {
		delta, n := binary.Uvarint(b)
		if n <= 0 || delta == 0 || uint64(id)+delta > math.MaxUint32 {
			return nil, corrupt("bad column ID delta")
		}
		id += ColumnID(delta)
		ids = append(ids, id)
		rest, err := skipTagged(b[n:])
		if err != nil {
			return nil, err
		}
		b = rest
	}
	return ids, nil
}

func lenPrefixed(b []byte) ([]byte, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, nil, corrupt("bad length prefix")
	}
	return b[n : n+int(l)], b[n+int(l):], nil
}

func varint(b []byte) (int64, []byte, error) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return 0, nil, corrupt("bad varint")
	}
	return v, b[n:], nil
}

func skipTagged(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, corrupt("missing value tag")
	}
	tag, b := b[0], b[1:]
	switch tag {
	case tagNull, tagFalse, tagTrue:
		return b, nil
	case tagInt, tagDate, tagTime, tagTimestamp:
		_, rest, err := varint(b)
		return rest, err
	case tagInterval:
		for i := 0; i < 3; i++ {
			var err error
			if _, b, err = varint(b); err != nil {
				return nil, err
			}
		}
		return b, nil
	case tagFloat:
		if len(b) < 8 {
			return nil, corrupt("short float")
		}
		return b[8:], nil
	case tagUUID:
		if len(b) < 16 {
			return nil, corrupt("short uuid")
		}
		return b[16:], nil
	case tagDecimal, tagBytes, tagJSONB, tagArray:
		_, rest, err := lenPrefixed(b)
		return rest, err
	}
	return nil, corrupt("unknown value tag 0x%02x", tag)
}

// expectedTag is the tag a non-NULL value of t is written with.
func expectedTag(t *types.T) byte {
	switch t.Family {
	case types.IntFamily, types.EnumFamily:
		return tagInt
	case types.FloatFamily:
		return tagFloat
	case types.DecimalFamily:
		return tagDecimal
	case types.StringFamily, types.BytesFamily, types.JSONFamily, types.RecordFamily, types.JSONPathFamily:
		return tagBytes
	case types.DateFamily:
		return tagDate
	case types.TimeFamily:
		return tagTime
	case types.TimestampFamily, types.TimestampTZFamily:
		return tagTimestamp
	case types.IntervalFamily:
		return tagInterval
	case types.UUIDFamily:
		return tagUUID
	case types.JSONBFamily:
		return tagJSONB
	case types.ArrayFamily:
		return tagArray
	}
	return 0xff
}

func decodeTagged(b []byte, t *types.T, depth int) (types.Datum, []byte, error) {
	if len(b) == 0 {
		return nil, nil, corrupt("missing value tag")
	}
	tag := b[0]
	if tag == tagNull {
		return types.Null, b[1:], nil
	}
	if t.Family == types.BoolFamily {
		switch tag {
		case tagTrue:
			return types.DBool(true), b[1:], nil
		case tagFalse:
			return types.DBool(false), b[1:], nil
		}
		return nil, nil, corrupt("tag 0x%02x for %s", tag, t)
	}
	if tag != expectedTag(t) {
		return nil, nil, corrupt("tag 0x%02x for %s", tag, t)
	}
	b = b[1:]
	switch t.Family {
	case types.EnumFamily:
		v, rest, err := varint(b)
		if err != nil {
			return nil, nil, err
		}
		d, err := types.EnumOrd(t, int(v))
		if err != nil {
			return nil, nil, corrupt("%v", err)
		}
		return d, rest, nil
	case types.IntFamily:
		v, rest, err := varint(b)
		if err != nil {
			return nil, nil, err
		}
		if !intFits(v, t.Width) {
			return nil, nil, corrupt("integer %d out of range for %s", v, t)
		}
		return types.DInt(v), rest, nil
	case types.FloatFamily:
		if len(b) < 8 {
			return nil, nil, corrupt("short float")
		}
		return types.DFloat(math.Float64frombits(binary.BigEndian.Uint64(b))), b[8:], nil
	case types.DecimalFamily:
		body, rest, err := lenPrefixed(b)
		if err != nil {
			return nil, nil, err
		}
		d, err := decodeDecimalValue(body)
		if err != nil {
			return nil, nil, err
		}
		return d, rest, nil
	case types.StringFamily, types.BytesFamily, types.JSONFamily, types.RecordFamily, types.JSONPathFamily:
		body, rest, err := lenPrefixed(b)
		if err != nil {
			return nil, nil, err
		}
		switch t.Family {
		case types.RecordFamily:
			d, err := types.ParseText(t, string(body), nil)
			if err != nil {
				return nil, nil, corrupt("%v", err)
			}
			return d, rest, nil
		case types.BytesFamily:
			return types.DBytes(body), rest, nil
		case types.JSONFamily:
			return types.DJSON(body), rest, nil
		case types.JSONPathFamily:
			d, err := types.ParseText(types.JSONPath, string(body), nil)
			if err != nil {
				return nil, nil, corrupt("jsonpath value does not parse")
			}
			return d, rest, nil
		}
		if !utf8.Valid(body) || strings.IndexByte(string(body), 0) >= 0 {
			return nil, nil, corrupt("string value is not valid UTF-8 text")
		}
		return types.DString(body), rest, nil
	case types.DateFamily, types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily:
		v, rest, err := varint(b)
		if err != nil {
			return nil, nil, err
		}
		switch t.Family {
		case types.DateFamily:
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, nil, corrupt("date out of range")
			}
			return types.DDate(v), rest, nil
		case types.TimeFamily:
			if v < 0 || v > types.MicrosPerDay {
				return nil, nil, corrupt("time out of range")
			}
			return types.DTime(v), rest, nil
		case types.TimestampFamily:
			return types.DTimestamp(v), rest, nil
		}
		return types.DTimestampTZ(v), rest, nil
	case types.IntervalFamily:
		var f [3]int64
		for i := range f {
			var err error
			if f[i], b, err = varint(b); err != nil {
				return nil, nil, err
			}
		}
		if f[0] < math.MinInt32 || f[0] > math.MaxInt32 || f[1] < math.MinInt32 || f[1] > math.MaxInt32 {
			return nil, nil, corrupt("interval field out of range")
		}
		return types.DInterval{Months: int32(f[0]), Days: int32(f[1]), Micros: f[2]}, b, nil
	case types.UUIDFamily:
		if len(b) < 16 {
			return nil, nil, corrupt("short uuid")
		}
		var u types.DUUID
		copy(u[:], b)
		return u, b[16:], nil
	case types.JSONBFamily:
		body, rest, err := lenPrefixed(b)
		if err != nil {
			return nil, nil, err
		}
		d, err := types.ParseText(types.JSONB, string(body), nil)
		if err != nil {
			return nil, nil, corrupt("jsonb value: %v", err)
		}
		return d, rest, nil
	case types.ArrayFamily:
		if depth > 0 {
			return nil, nil, corrupt("nested array")
		}
		body, rest, err := lenPrefixed(b)
		if err != nil {
			return nil, nil, err
		}
		n, k := binary.Uvarint(body)
		if k <= 0 || n > uint64(len(body)) {
			return nil, nil, corrupt("bad array count")
		}
		body = body[k:]
		a := &types.DArray{Elem: t.Elem, Elems: make([]types.Datum, 0, n)}
		for i := uint64(0); i < n; i++ {
			e, r, err := decodeTagged(body, t.Elem, depth+1)
			if err != nil {
				return nil, nil, err
			}
			a.Elems = append(a.Elems, e)
			body = r
		}
		if len(body) != 0 {
			nd, k := binary.Uvarint(body)
			if k <= 0 || nd < 2 || nd > 6 {
				return nil, nil, corrupt("trailing bytes in array")
			}
			body = body[k:]
			prod := uint64(1)
			for i := uint64(0); i < nd; i++ {
				d, k := binary.Uvarint(body)
				if k <= 0 {
					return nil, nil, corrupt("bad array dimension")
				}
				body = body[k:]
				prod *= d
				a.Dims = append(a.Dims, int(d))
			}
			if len(body) != 0 || prod != n {
				return nil, nil, corrupt("bad array dimensions")
			}
		}
		return a, rest, nil
	}
	return nil, nil, corrupt("no value decoding for %s", t)
}

func decodeDecimalValue(body []byte) (*types.DDecimal, error) {
	if len(body) == 0 {
		return nil, corrupt("empty numeric")
	}
	flags := body[0]
	if flags&^(decFlagNeg|decFlagNaN|decFlagInf) != 0 {
		return nil, corrupt("bad numeric flags")
	}
	d := &types.DDecimal{}
	d.Negative = flags&decFlagNeg != 0
	switch {
	case flags&decFlagNaN != 0:
		d.Form, d.Negative = apd.NaN, false
		return d, nil
	case flags&decFlagInf != 0:
		d.Form = apd.Infinite
		return d, nil
	}
	exp, rest, err := varint(body[1:])
	if err != nil {
		return nil, err
	}
	if exp < math.MinInt32 || exp > math.MaxInt32 {
		return nil, corrupt("numeric exponent out of range")
	}
	d.Exponent = int32(exp)
	d.Coeff.SetBytes(rest)
	if d.Coeff.Sign() == 0 {
		d.Negative = false
	}
	return d, nil
}
