package types

import (
	"math"
	"math/rand"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// RandType returns a random type with random modifiers (for property
// tests). Arrays get a random scalar element type; json is included only
// if allowJSON (it has no comparison).
func RandType(rng *rand.Rand, allowJSON bool) *T {
	for {
		t := randScalarType(rng)
		if t.Family == JSONFamily && !allowJSON {
			continue
		}
		if rng.Intn(8) == 0 && t.Family != JSONFamily {
			a, _ := MakeArray(t)
			return a
		}
		return t
	}
}

func randScalarType(rng *rand.Rand) *T {
	t := Scalars[rng.Intn(len(Scalars))]
	switch t.Family {
	case DecimalFamily:
		if rng.Intn(2) == 0 {
			p := 1 + rng.Intn(30)
			n, _ := MakeNumeric(p, rng.Intn(p+1))
			return n
		}
	case StringFamily:
		if t.Variant != Text && rng.Intn(2) == 0 {
			n, _ := makeString(t.Variant, 1+rng.Intn(12))
			return n
		}
		if t.Variant == Char {
			n, _ := makeString(Char, 1+rng.Intn(12))
			return n
		}
	case TimeFamily, TimestampFamily, TimestampTZFamily:
		if rng.Intn(3) == 0 {
			n, _ := MakeTimeType(t.Family, rng.Intn(7))
			return n
		}
	}
	return t
}

// RandDatum returns a random value of t satisfying t's modifiers, with
// edge cases (extremes, NaN, ±0, infinities, empty strings, bytes 0x00
// and 0xff) over-represented. It returns Null with probability nullPct%.
func RandDatum(rng *rand.Rand, t *T, nullPct int) Datum {
	if nullPct > 0 && rng.Intn(100) < nullPct {
		return Null
	}
	d := randDatum(rng, t)
	v, err := Assign(d, t)
	if err != nil {
		// The generator stays within the type; an error is a bug here.
		panic("types: RandDatum produced an unassignable value: " + err.Error())
	}
	return v
}

func randDatum(rng *rand.Rand, t *T) Datum {
	edge := rng.Intn(6) == 0
	switch t.Family {
	case BoolFamily:
		return DBool(rng.Intn(2) == 0)
	case IntFamily:
		lim := int64(1)<<(t.Width-1) - 1
		if edge {
			return DInt([]int64{0, 1, -1, lim, -lim - 1}[rng.Intn(5)])
		}
		switch rng.Intn(3) {
		case 0:
			return DInt(rng.Int63n(2001) - 1000)
		case 1:
			return DInt(rng.Int63n(lim) - rng.Int63n(lim))
		}
		v := rng.Uint64()
		return DInt(int64(v) >> (64 - t.Width))
	case FloatFamily:
		if edge {
			return DFloat([]float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat32, -math.SmallestNonzeroFloat32, 1, -1}[rng.Intn(9)])
		}
		var f float64
		switch rng.Intn(3) {
		case 0:
			f = float64(rng.Intn(2000)-1000) / 8
		case 1:
			f = rng.NormFloat64() * math.Pow(10, float64(rng.Intn(30)-15))
		default:
			f = math.Float64frombits(rng.Uint64())
			if math.IsNaN(f) || math.IsInf(f, 0) {
				f = 0.5
			}
		}
		if t.Width == 32 {
			f32 := float32(f)
			if math.IsInf(float64(f32), 0) || (f32 == 0 && f != 0) {
				f32 = 3.25
			}
			f = float64(f32)
		}
		return DFloat(f)
	case DecimalFamily:
		if edge && t.Precision == 0 {
			switch rng.Intn(5) {
			case 0:
				return &DDecimal{Decimal: apd.Decimal{Form: apd.NaN}}
			case 1:
				return &DDecimal{Decimal: apd.Decimal{Form: apd.Infinite}}
			case 2:
				return &DDecimal{Decimal: apd.Decimal{Form: apd.Infinite, Negative: true}}
			}
		}
		maxDigits := 25
		scale := rng.Intn(8)
		if t.Precision > 0 {
			maxDigits, scale = t.Precision, t.Scale
		}
		n := 1 + rng.Intn(maxDigits)
		var sb strings.Builder
		for i := 0; i < n; i++ {
			sb.WriteByte(byte('0' + rng.Intn(10)))
		}
		var coeff apd.BigInt
		coeff.SetString(sb.String(), 10)
		d := apd.NewWithBigInt(&coeff, int32(-scale))
		if t.Precision == 0 && rng.Intn(4) == 0 {
			d.Exponent = int32(rng.Intn(40) - 30)
			if d.Exponent > 0 {
				d.Exponent = 0
			}
		}
		d.Negative = rng.Intn(2) == 0
		return NewDecimal(d)
	case StringFamily:
		n := rng.Intn(8)
		if t.Length > 0 {
			n = rng.Intn(t.Length + 1)
		}
		var sb strings.Builder
		for i := 0; i < n; i++ {
			switch rng.Intn(6) {
			case 0:
				sb.WriteRune([]rune{'é', 'ß', '日', '\x01', '\u007f', 'z', ' '}[rng.Intn(7)])
			default:
				sb.WriteByte(byte('a' + rng.Intn(4)))
			}
		}
		s := sb.String()
		if t.Variant == Char {
			s = strings.TrimRight(s, " ")
		}
		return DString(s)
	case BytesFamily:
		n := rng.Intn(10)
		b := make([]byte, n)
		for i := range b {
			switch rng.Intn(4) {
			case 0:
				b[i] = 0
			case 1:
				b[i] = 0xff
			default:
				b[i] = byte(rng.Intn(256))
			}
		}
		return DBytes(b)
	case DateFamily:
		if edge {
			return []DDate{DateInfinity, DateNegInfinity, DDate(minDateDays), DDate(maxDateDays), 0, -1}[rng.Intn(6)]
		}
		return DDate(rng.Int63n(200_000) - 100_000)
	case TimeFamily:
		if edge {
			return DTime([]int64{0, MicrosPerDay, MicrosPerDay - 1}[rng.Intn(3)])
		}
		return DTime(rng.Int63n(MicrosPerDay))
	case TimestampFamily, TimestampTZFamily:
		var v int64
		if edge {
			v = []int64{math.MaxInt64, math.MinInt64, minTimestamp, maxTimestamp - MicrosPerDay, 0, -1}[rng.Intn(6)]
		} else {
			v = rng.Int63n(4e15) - 2e15
		}
		if t.Family == TimestampFamily {
			return DTimestamp(v)
		}
		return DTimestampTZ(v)
	case IntervalFamily:
		if edge {
			return []DInterval{{}, {Months: 1}, {Days: 30}, {Micros: 30 * MicrosPerDay}, {Months: -1, Days: 30},
				{Months: math.MaxInt32, Days: math.MaxInt32, Micros: math.MaxInt64}, {Months: math.MinInt32 + 1, Days: math.MinInt32 + 1, Micros: math.MinInt64 + 1}}[rng.Intn(7)]
		}
		return DInterval{Months: int32(rng.Intn(50) - 25), Days: int32(rng.Intn(100) - 50), Micros: rng.Int63n(4*MicrosPerDay) - 2*MicrosPerDay}
	case UUIDFamily:
		var u DUUID
		rng.Read(u[:])
		if edge {
			for i := range u {
				u[i] = 0xff
			}
		}
		return u
	case JSONBFamily:
		return &DJSONB{V: randJSON(rng, 3)}
	case JSONFamily:
		return DJSON(FormatText(JSONB, &DJSONB{V: randJSON(rng, 2)}, nil))
	case ArrayFamily:
		n := rng.Intn(5)
		a := &DArray{Elem: t.Elem}
		for i := 0; i < n; i++ {
			a.Elems = append(a.Elems, RandDatum(rng, t.Elem, 15))
		}
		return a
	}
	return Null
}

func randJSON(rng *rand.Rand, depth int) any {
	k := rng.Intn(6)
	if depth == 0 && k >= 4 {
		k = rng.Intn(4)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return rng.Intn(2) == 0
	case 2:
		return []string{"", "a", "b", "ab", "é", "\"q\"", "x\ny"}[rng.Intn(7)]
	case 3:
		d := apd.New(rng.Int63n(2001)-1000, int32(-rng.Intn(3)))
		return normJSONNumber(d)
	case 4:
		n := rng.Intn(4)
		arr := make([]any, n)
		for i := range arr {
			arr[i] = randJSON(rng, depth-1)
		}
		return arr
	}
	keys := map[string]bool{}
	n := rng.Intn(4)
	for i := 0; i < n; i++ {
		keys[[]string{"a", "b", "aa", "ba", "", "key"}[rng.Intn(6)]] = true
	}
	obj := &JSONObject{}
	for k := range keys {
		obj.Keys = append(obj.Keys, k)
	}
	SortJSONKeys(obj.Keys)
	for range obj.Keys {
		obj.Values = append(obj.Values, randJSON(rng, depth-1))
	}
	return obj
}
