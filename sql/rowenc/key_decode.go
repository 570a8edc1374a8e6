package rowenc

import (
	"encoding/binary"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

// maxJSONDepth bounds the nesting a decoder follows (garbage could nest
// without end).
const maxJSONDepth = 1000

// keyReader reads a payload, undoing the descending inversion with inv.
type keyReader struct {
	b   []byte
	inv byte
}

func (r *keyReader) byte() (byte, error) {
	if len(r.b) == 0 {
		return 0, corrupt("key ends early")
	}
	c := r.b[0] ^ r.inv
	r.b = r.b[1:]
	return c, nil
}

func (r *keyReader) fixed(n int) ([]byte, error) {
	if len(r.b) < n {
		return nil, corrupt("key ends early: want %d bytes, have %d", n, len(r.b))
	}
	out := make([]byte, n)
	for i := range out {
		out[i] = r.b[i] ^ r.inv
	}
	r.b = r.b[n:]
	return out, nil
}

func (r *keyReader) u64() (uint64, error) {
	if len(r.b) < 8 {
		return 0, corrupt("key ends early: want 8 bytes, have %d", len(r.b))
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	if r.inv != 0 {
		v = ^v
	}
	return v, nil
}

func (r *keyReader) u32() (uint32, error) {
	if len(r.b) < 4 {
		return 0, corrupt("key ends early: want 4 bytes, have %d", len(r.b))
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	if r.inv != 0 {
		v = ^v
	}
	return v, nil
}

// intFits reports whether v is in range of an integer type's width.
func intFits(v int64, width int) bool {
	switch width {
	case 16:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case 32:
		return v >= math.MinInt32 && v <= math.MaxInt32
	}
	return true
}

// bytesKey reads an escaped, terminated byte string.
func (r *keyReader) bytesKey() (string, error) {
	var sb strings.Builder
	for {
		c, err := r.byte()
		if err != nil {
			return "", err
		}
		if c != 0 {
			sb.WriteByte(c)
			continue
		}
		n, err := r.byte()
		if err != nil {
			return "", err
		}
		switch n {
		case 0xFF:
			sb.WriteByte(0)
		case 0x01:
			return sb.String(), nil
		default:
			return "", corrupt("bad escape 0x00 0x%02x in string key", n)
		}
	}
}

// DecodeKey decodes one column encoded by EncodeKey and returns it and the
// rest of b.
func DecodeKey(b []byte, t *types.T, dir KeyDir) (types.Datum, []byte, error) {
	if len(b) == 0 {
		return nil, nil, corrupt("empty key")
	}
	switch b[0] {
	case markerNullFirst, markerNullLast:
		if (b[0] == markerNullFirst) != dir.NullsFirst {
			return nil, nil, corrupt("NULL marker 0x%02x does not match the column's NULL placement", b[0])
		}
		return types.Null, b[1:], nil
	case markerValue:
	default:
		return nil, nil, corrupt("bad key marker 0x%02x", b[0])
	}
	if !Indexable(t) {
		return nil, nil, ErrNotIndexable
	}
	r := &keyReader{b: b[1:]}
	if dir.Descending {
		r.inv = 0xFF
	}
	d, err := r.payload(t)
	if err != nil {
		return nil, nil, err
	}
	return d, r.b, nil
}

func (r *keyReader) payload(t *types.T) (types.Datum, error) {
	switch t.Family {
	case types.BoolFamily:
		c, err := r.byte()
		if err != nil {
			return nil, err
		}
		if c > 1 {
			return nil, corrupt("bad bool key 0x%02x", c)
		}
		return types.DBool(c == 1), nil
	case types.IntFamily:
		u, err := r.u64()
		if err != nil {
			return nil, err
		}
		v := int64(u ^ 1<<63)
		if !intFits(v, t.Width) {
			return nil, corrupt("integer %d out of range for %s", v, t)
		}
		return types.DInt(v), nil
	case types.FloatFamily:
		u, err := r.u64()
		if err != nil {
			return nil, err
		}
		f := floatFromKey(u)
		if t.Width == 32 && !math.IsNaN(f) && float64(float32(f)) != f {
			return nil, corrupt("value %v is not a real", f)
		}
		return types.DFloat(f), nil
	case types.DecimalFamily:
		d, err := r.decimal()
		if err != nil {
			return nil, err
		}
		return types.NewDecimal(d), nil
	case types.StringFamily:
		s, err := r.bytesKey()
		if err != nil {
			return nil, err
		}
		if t.Variant == types.Char && t.Length > 0 {
			d, err := types.Assign(types.DString(s), t)
			if err != nil {
				return nil, corrupt("CHAR key too long: %v", err)
			}
			return d, nil
		}
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return nil, corrupt("string key is not valid UTF-8 text")
		}
		if t.Length > 0 && utf8.RuneCountInString(s) > t.Length {
			return nil, corrupt("string key longer than %s", t)
		}
		return types.DString(s), nil
	case types.BytesFamily:
		s, err := r.bytesKey()
		if err != nil {
			return nil, err
		}
		return types.DBytes(s), nil
	case types.DateFamily:
		u, err := r.u32()
		if err != nil {
			return nil, err
		}
		return types.DDate(int32(u ^ 1<<31)), nil
	case types.EnumFamily:
		u, err := r.u32()
		if err != nil {
			return nil, err
		}
		d, err := types.EnumOrd(t, int(u))
		if err != nil {
			return nil, corrupt("%v", err)
		}
		return d, nil
	case types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily:
		u, err := r.u64()
		if err != nil {
			return nil, err
		}
		v := int64(u ^ 1<<63)
		switch t.Family {
		case types.TimeFamily:
			if v < 0 || v > types.MicrosPerDay {
				return nil, corrupt("time %d out of range", v)
			}
			return types.DTime(v), nil
		case types.TimestampFamily:
			return types.DTimestamp(v), nil
		}
		return types.DTimestampTZ(v), nil
	case types.IntervalFamily:
		p, err := r.fixed(16)
		if err != nil {
			return nil, err
		}
		return intervalFromSpan(p)
	case types.UUIDFamily:
		p, err := r.fixed(16)
		if err != nil {
			return nil, err
		}
		var u types.DUUID
		copy(u[:], p)
		return u, nil
	case types.JSONBFamily:
		c, err := r.byte()
		if err != nil {
			return nil, err
		}
		if c == jsonKeyEmptyTop {
			return &types.DJSONB{V: []any{}}, nil
		}
		v, err := r.json(c, 0)
		if err != nil {
			return nil, err
		}
		return &types.DJSONB{V: v}, nil
	case types.ArrayFamily:
		a := &types.DArray{Elem: t.Elem}
		for {
			c, err := r.byte()
			if err != nil {
				return nil, err
			}
			switch c {
			case 0x00:
				return a, nil
			case 0x02:
				a.Elems = append(a.Elems, types.Null)
			case 0x01:
				e, err := r.payload(t.Elem)
				if err != nil {
					return nil, err
				}
				a.Elems = append(a.Elems, e)
			default:
				return nil, corrupt("bad array element marker 0x%02x", c)
			}
		}
	}
	return nil, corrupt("no key decoding for %s", t)
}

func (r *keyReader) decimal() (*apd.Decimal, error) {
	cls, err := r.byte()
	if err != nil {
		return nil, err
	}
	switch cls {
	case decNaN:
		return &apd.Decimal{Form: apd.NaN}, nil
	case decPosInf:
		return &apd.Decimal{Form: apd.Infinite}, nil
	case decNegInf:
		return &apd.Decimal{Form: apd.Infinite, Negative: true}, nil
	case decZero:
		return &apd.Decimal{}, nil
	case decPos, decNeg:
	default:
		return nil, corrupt("bad numeric class 0x%02x", cls)
	}
	neg := cls == decNeg
	sub := &keyReader{b: r.b, inv: r.inv}
	if neg {
		sub.inv ^= 0xFF
	}
	u, err := sub.u32()
	if err != nil {
		return nil, err
	}
	e := int64(int32(u ^ 1<<31))
	var digits []byte
	for {
		c, err := sub.byte()
		if err != nil {
			return nil, err
		}
		if c == 0 {
			break
		}
		if c > 100 {
			return nil, corrupt("bad numeric digit pair %d", c)
		}
		c--
		digits = append(digits, '0'+c/10, '0'+c%10)
	}
	r.b = sub.b
	s := strings.TrimRight(string(digits), "0")
	if s == "" {
		return nil, corrupt("numeric without digits")
	}
	exp := e - int64(len(s))
	if exp > math.MaxInt32 || exp < math.MinInt32 {
		return nil, corrupt("numeric exponent out of range")
	}
	var coeff apd.BigInt
	if _, ok := coeff.SetString(s, 10); !ok {
		return nil, corrupt("bad numeric digits")
	}
	d := apd.NewWithBigInt(&coeff, int32(exp))
	d.Negative = neg
	return d, nil
}

var (
	two128    = new(big.Int).Lsh(big.NewInt(1), 128)
	two127    = new(big.Int).Lsh(big.NewInt(1), 127)
	microsDay = big.NewInt(types.MicrosPerDay)
)

// intervalFromSpan returns the canonical interval with the encoded span:
// as many whole months, then days, as fit, the rest in microseconds.
func intervalFromSpan(p []byte) (types.Datum, error) {
	p[0] ^= 0x80
	span := new(big.Int).SetBytes(p)
	if span.Cmp(two127) >= 0 {
		span.Sub(span, two128)
	}
	days, rem := new(big.Int).DivMod(span, microsDay, new(big.Int)) // Euclidean: rem >= 0
	months := new(big.Int).Quo(days, big.NewInt(30))
	clamp := func(v *big.Int) int64 {
		if v.Cmp(big.NewInt(math.MaxInt32)) > 0 {
			return math.MaxInt32
		}
		if v.Cmp(big.NewInt(math.MinInt32)) < 0 {
			return math.MinInt32
		}
		return v.Int64()
	}
	m := clamp(months)
	restDays := new(big.Int).Sub(days, big.NewInt(m*30))
	d := clamp(restDays)
	micros := new(big.Int).Sub(restDays, big.NewInt(d))
	micros.Mul(micros, microsDay)
	micros.Add(micros, rem)
	if !micros.IsInt64() {
		return nil, corrupt("interval span out of range")
	}
	return types.DInterval{Months: int32(m), Days: int32(d), Micros: micros.Int64()}, nil
}

func (r *keyReader) json(kind byte, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, corrupt("jsonb key nested too deep")
	}
	switch kind {
	case jsonKeyNull:
		return nil, nil
	case jsonKeyString:
		return r.bytesKey()
	case jsonKeyNumber:
		d, err := r.decimal()
		if err != nil {
			return nil, err
		}
		if d.Form != apd.Finite {
			return nil, corrupt("jsonb number is not finite")
		}
		return d, nil
	case jsonKeyFalse:
		return false, nil
	case jsonKeyTrue:
		return true, nil
	case jsonKeyArray, jsonKeyObject:
		n, err := r.u32()
		if err != nil {
			return nil, err
		}
		if uint64(n) > uint64(len(r.b)) {
			return nil, corrupt("jsonb container claims %d members in %d bytes", n, len(r.b))
		}
		if kind == jsonKeyArray {
			arr := make([]any, 0, n)
			for i := uint32(0); i < n; i++ {
				c, err := r.byte()
				if err != nil {
					return nil, err
				}
				v, err := r.json(c, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			return arr, nil
		}
		obj := &types.JSONObject{}
		for i := uint32(0); i < n; i++ {
			k, err := r.bytesKey()
			if err != nil {
				return nil, err
			}
			if i > 0 && !jsonKeyLess(obj.Keys[i-1], k) {
				return nil, corrupt("jsonb object keys out of order")
			}
			c, err := r.byte()
			if err != nil {
				return nil, err
			}
			v, err := r.json(c, depth+1)
			if err != nil {
				return nil, err
			}
			obj.Keys = append(obj.Keys, k)
			obj.Values = append(obj.Values, v)
		}
		return obj, nil
	}
	return nil, corrupt("bad jsonb kind 0x%02x", kind)
}

func jsonKeyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
