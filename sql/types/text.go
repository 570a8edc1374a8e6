package types

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// ParseText is the type's text input function (PostgreSQL's typinput):
// it reads s as a value of t and applies t's modifiers as an assignment
// would (NUMERIC scale rounding, VARCHAR/CHAR length, TIMESTAMP
// precision). loc is the session time zone for TIMESTAMPTZ input without
// an offset; nil means UTC.
//
// The special inputs 'now', 'today', 'tomorrow' and 'yesterday' of the
// date and time types read the clock; ParseTextAt gives them the
// transaction's time instead, as PostgreSQL does.
func ParseText(t *T, s string, loc *time.Location) (Datum, error) {
	return ParseTextAt(t, s, loc, time.Time{})
}

// ParseTextAt is ParseText with now the time 'now' (and the day 'today')
// stands for; the zero time means the clock's.
func ParseTextAt(t *T, s string, loc *time.Location, now time.Time) (Datum, error) {
	d, err := parseText(t, s, loc, now)
	if err != nil {
		return nil, err
	}
	return Assign(d, t)
}

func parseText(t *T, s string, loc *time.Location, now time.Time) (Datum, error) {
	switch t.Family {
	case RecordFamily:
		return parseRecord(t, s, loc, now)
	case BoolFamily:
		return parseBool(t, s)
	case IntFamily:
		return parseInt(t, s)
	case FloatFamily:
		return parseFloat(t, s)
	case DecimalFamily:
		return parseDecimal(t, s)
	case StringFamily:
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return nil, errorf(CodeInvalidTextRepresentation, "invalid byte sequence for encoding \"UTF8\"")
		}
		return DString(s), nil
	case BytesFamily:
		return parseBytea(s)
	case DateFamily, TimeFamily, TimestampFamily, TimestampTZFamily:
		if d, ok := parseRelativeTime(t, s, loc, now); ok {
			return d, nil
		}
		switch t.Family {
		case DateFamily:
			return parseDate(t, s)
		case TimeFamily:
			return parseTime(t, s)
		}
		return parseTimestamp(t, s, loc)
	case IntervalFamily:
		return parseInterval(t, s)
	case UUIDFamily:
		return parseUUID(t, s)
	case EnumFamily:
		return EnumLabel(t, s)
	case JSONBFamily:
		v, err := parseJSON(s)
		if err != nil {
			return nil, err
		}
		if jsonHasNUL(v) {
			// jsonb cannot store \u0000 (PostgreSQL: 22P05).
			return nil, errorf(CodeUntranslatableCharacter, "unsupported Unicode escape sequence: \\u0000 cannot be converted to text")
		}
		return &DJSONB{V: v}, nil
	case JSONFamily:
		if _, err := parseJSON(s); err != nil {
			return nil, err
		}
		return DJSON(s), nil
	case JSONPathFamily:
		return parseJSONPath(s)
	case ArrayFamily:
		return parseArray(t, s, loc)
	}
	return nil, errorf(CodeFeatureNotSupported, "no input function for type %s", t)
}

// FormatText is the type's text output function (typoutput) with
// PostgreSQL's default settings; loc is the session time zone for
// TIMESTAMPTZ (nil: UTC). NULL formats as "NULL" (callers on the wire send
// it as a NULL, not text).
func FormatText(t *T, d Datum, loc *time.Location) string {
	var b []byte
	return string(AppendText(b, t, d, loc))
}

// AppendText appends the text form of d to b (see FormatText).
func AppendText(b []byte, t *T, d Datum, loc *time.Location) []byte {
	f := TextFormat{Loc: loc}
	return f.Append(b, t, d)
}

// IntervalStyle is the IntervalStyle setting: how interval values print.
type IntervalStyle uint8

const (
	IntervalPostgres        IntervalStyle = iota // "1 year 2 mons 3 days 04:05:06"
	IntervalPostgresVerbose                      // "@ 1 year 2 mons 3 days 4 hours 5 mins 6 secs"
	IntervalSQLStandard                          // "1-2 3 4:05:06"
	IntervalISO8601                              // "P1Y2M3DT4H5M6S"
)

// ParseIntervalStyle reads an IntervalStyle setting (false: not one).
func ParseIntervalStyle(s string) (IntervalStyle, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "postgres":
		return IntervalPostgres, true
	case "postgres_verbose":
		return IntervalPostgresVerbose, true
	case "sql_standard":
		return IntervalSQLStandard, true
	case "iso_8601":
		return IntervalISO8601, true
	}
	return 0, false
}

// TextFormat is the session settings a type's text output depends on:
// TimeZone (Loc, nil: UTC) for TIMESTAMPTZ, IntervalStyle, and
// bytea_output (ByteaEscape: the escape format instead of hex). The zero
// value is PostgreSQL's defaults in UTC. Elements of arrays and fields of
// records print with the same settings.
type TextFormat struct {
	Loc           *time.Location
	IntervalStyle IntervalStyle
	ByteaEscape   bool
}

// Append appends the text form of d to b under the settings f.
func (f *TextFormat) Append(b []byte, t *T, d Datum) []byte {
	loc := f.Loc
	switch v := d.(type) {
	case DNull, nil:
		return append(b, "NULL"...)
	case DBool:
		if v {
			return append(b, 't')
		}
		return append(b, 'f')
	case DInt:
		return strconv.AppendInt(b, int64(v), 10)
	case DFloat:
		w := 64
		if t != nil && t.Family == FloatFamily && t.Width == 32 {
			w = 32
		}
		return AppendFloat(b, float64(v), w)
	case *DDecimal:
		return appendDecimal(b, &v.Decimal)
	case DString:
		return append(b, v...)
	case DEnum:
		return append(b, v.Label...)
	case *DRecord:
		return appendRecordText(b, v, f)
	case DBytes:
		if f.ByteaEscape {
			return appendByteaEscape(b, []byte(v))
		}
		b = append(b, '\\', 'x')
		return hex.AppendEncode(b, []byte(v))
	case DDate:
		return appendDate(b, v)
	case DTime:
		return appendTimeOfDay(b, int64(v))
	case DTimestamp:
		return appendTimestamp(b, int64(v), nil)
	case DTimestampTZ:
		if loc == nil {
			loc = time.UTC
		}
		return appendTimestamp(b, int64(v), loc)
	case DInterval:
		switch f.IntervalStyle {
		case IntervalPostgresVerbose:
			return appendIntervalVerbose(b, v)
		case IntervalSQLStandard:
			return appendIntervalSQL(b, v)
		case IntervalISO8601:
			return appendIntervalISO(b, v)
		}
		return appendInterval(b, v)
	case DUUID:
		return appendUUID(b, v)
	case *DJSONB:
		return appendJSON(b, v.V)
	case DJSON:
		return append(b, v...)
	case *DJSONPath:
		return append(b, v.P.String()...)
	case *DArray:
		return appendArray(b, t, v, f)
	}
	return append(b, "?"...)
}

func parseBool(t *T, s string) (Datum, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v != "" {
		for _, w := range []struct {
			word string
			min  int
			val  bool
		}{{"true", 1, true}, {"false", 1, false}, {"yes", 1, true}, {"no", 1, false}, {"on", 2, true}, {"off", 2, false}} {
			if len(v) >= w.min && strings.HasPrefix(w.word, v) {
				return DBool(w.val), nil
			}
		}
		if v == "1" {
			return DBool(true), nil
		}
		if v == "0" {
			return DBool(false), nil
		}
	}
	return nil, errorf(CodeInvalidTextRepresentation, "invalid input syntax for type boolean: %q", s)
}

func parseInt(t *T, s string) (Datum, error) {
	v := strings.TrimSpace(s)
	if v == "" || strings.ContainsAny(v, " _") || v[0] == '+' && len(v) > 1 && (v[1] == '-' || v[1] == '+') {
		return nil, invalidSyntax(t, s)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9') && !(i == 0 && (c == '-' || c == '+')) {
			return nil, invalidSyntax(t, s)
		}
	}
	n, err := strconv.ParseInt(v, 10, t.Width)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, errorf(CodeNumericValueOutOfRange, "value %q is out of range for type %s", s, t.SQLName())
		}
		return nil, invalidSyntax(t, s)
	}
	return DInt(n), nil
}

func parseFloat(t *T, s string) (Datum, error) {
	v := strings.TrimSpace(s)
	switch strings.ToLower(v) {
	case "nan":
		return DFloat(math.NaN()), nil
	case "infinity", "+infinity", "inf", "+inf":
		return DFloat(math.Inf(1)), nil
	case "-infinity", "-inf":
		return DFloat(math.Inf(-1)), nil
	}
	if v == "" || strings.ContainsAny(v, "_xXpPnNiI") {
		return nil, invalidSyntax(t, s)
	}
	f, err := strconv.ParseFloat(v, t.Width)
	if err == nil && f == 0 && strings.ContainsAny(mantissa(v), "123456789") {
		// strconv rounds an underflow to zero silently; PostgreSQL refuses.
		return nil, errorf(CodeNumericValueOutOfRange, "%q is out of range for type %s", v, t.SQLName())
	}
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			if f == 0 || math.IsInf(f, 0) {
				return nil, errorf(CodeNumericValueOutOfRange, "%q is out of range for type %s", v, t.SQLName())
			}
		} else {
			return nil, invalidSyntax(t, s)
		}
	}
	return DFloat(f), nil
}

// mantissa is the part of a number before its exponent.
func mantissa(v string) string {
	if i := strings.IndexAny(v, "eE"); i >= 0 {
		return v[:i]
	}
	return v
}

// AppendFloat formats a float as PostgreSQL 12+ does with
// extra_float_digits = 1: the shortest text that reads back exactly, in
// exponent form when the decimal exponent is < -4 or >= 15 (6 for real).
func AppendFloat(b []byte, f float64, width int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	// Shortest digits and exponent from strconv's 'e' form d.ddde±XX.
	e := strconv.AppendFloat(nil, f, 'e', -1, width)
	// strconv's shortest form may be a decimal lying exactly halfway
	// between f and a neighbour (it reads back to f only by rounding the
	// tie to even); PostgreSQL's shortest output never picks such a tie, so
	// add digits until the text is strictly closest to f.
	if isFloatTie(f, width, e) {
		prec := 0 // digits after the point in e
		if dot := bytes.IndexByte(e, '.'); dot >= 0 {
			prec = bytes.IndexByte(e, 'e') - dot - 1
		}
		for isFloatTie(f, width, e) && prec < 20 {
			prec++
			e = strconv.AppendFloat(e[:0], f, 'e', prec, width)
		}
	}
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	ei := strings.IndexByte(string(e), 'e')
	mant, exp := e[:ei], e[ei+1:]
	x, _ := strconv.Atoi(string(exp))
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	if neg {
		b = append(b, '-')
	}
	limit := 15
	if width == 32 {
		limit = 6
	}
	if x < -4 || x >= limit {
		b = append(b, digits[0])
		if len(digits) > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if x < 0 {
			b = append(b, '-')
			x = -x
		} else {
			b = append(b, '+')
		}
		if x < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(x), 10)
	}
	if x < 0 {
		b = append(b, '0', '.')
		for i := 0; i < -x-1; i++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	if len(digits) <= x+1 {
		b = append(b, digits...)
		for i := len(digits); i <= x; i++ {
			b = append(b, '0')
		}
		return b
	}
	b = append(b, digits[:x+1]...)
	b = append(b, '.')
	return append(b, digits[x+1:]...)
}

// isFloatTie reports whether the decimal text lies exactly halfway between
// f and one of its neighbours at the given width. Only values with an ulp
// of at least 1 can have such a short tie, so smaller ones are skipped.
func isFloatTie(f float64, width int, text []byte) bool {
	a := math.Abs(f)
	if width == 32 && a < 1<<23 || width == 64 && a < 1<<52 || math.IsInf(f, 0) {
		return false
	}
	r, ok := new(big.Rat).SetString(string(text))
	if !ok {
		return false
	}
	fr := new(big.Rat).SetFloat64(f)
	for _, dir := range []float64{math.Inf(1), math.Inf(-1)} {
		var n float64
		if width == 32 {
			n = float64(math.Nextafter32(float32(f), float32(dir)))
		} else {
			n = math.Nextafter(f, dir)
		}
		if math.IsInf(n, 0) {
			continue
		}
		mid := new(big.Rat).Add(fr, new(big.Rat).SetFloat64(n))
		mid.Quo(mid, big.NewRat(2, 1))
		if mid.Cmp(r) == 0 {
			return true
		}
	}
	return false
}

func parseDecimal(t *T, s string) (Datum, error) {
	v := strings.TrimSpace(s)
	switch strings.ToLower(v) {
	case "nan":
		return &DDecimal{Decimal: apd.Decimal{Form: apd.NaN}}, nil
	case "infinity", "+infinity", "inf", "+inf":
		return &DDecimal{Decimal: apd.Decimal{Form: apd.Infinite}}, nil
	case "-infinity", "-inf":
		return &DDecimal{Decimal: apd.Decimal{Form: apd.Infinite, Negative: true}}, nil
	}
	if v == "" || strings.ContainsAny(v, "_xXnNiI") {
		return nil, invalidSyntax(t, s)
	}
	d, _, err := apd.NewFromString(v)
	if err != nil {
		if numericSyntax.MatchString(v) {
			// well formed, but beyond apd's exponent range
			return nil, errorf(CodeNumericValueOutOfRange, "value overflows numeric format")
		}
		return nil, invalidSyntax(t, s)
	}
	if d.Form != apd.Finite {
		return nil, invalidSyntax(t, s)
	}
	// PostgreSQL keeps the display scale (1.50 stays 1.50) and writes a
	// positive exponent out (1e3 is 1000).
	if d.Exponent > maxNumericWeight || d.Exponent < -maxNumericScale || int64(d.NumDigits())+int64(d.Exponent) > maxNumericWeight {
		return nil, errorf(CodeNumericValueOutOfRange, "value overflows numeric format")
	}
	if d.Exponent > 0 {
		var p apd.BigInt
		p.Exp(apd.NewBigInt(10), apd.NewBigInt(int64(d.Exponent)), nil)
		d.Coeff.Mul(&d.Coeff, &p)
		d.Exponent = 0
	}
	return NewDecimal(d), nil
}

var numericSyntax = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// PostgreSQL's numeric limits: digits before and after the decimal point.
const (
	maxNumericWeight = 131072
	maxNumericScale  = 16383
)

func appendDecimal(b []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(b, "NaN"...)
	case apd.Infinite:
		if d.Negative {
			return append(b, "-Infinity"...)
		}
		return append(b, "Infinity"...)
	}
	if d.IsZero() && d.Negative {
		c := *d
		c.Negative = false
		return append(b, c.Text('f')...)
	}
	return append(b, d.Text('f')...)
}

func parseBytea(s string) (Datum, error) {
	if strings.HasPrefix(s, `\x`) {
		h := s[2:]
		out := make([]byte, 0, len(h)/2)
		for i := 0; i < len(h); {
			if c := h[i]; c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				i++
				continue
			}
			if i+1 >= len(h) {
				return nil, errorf(CodeInvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			v, err := hex.DecodeString(h[i : i+2])
			if err != nil {
				return nil, errorf(CodeInvalidParameterValue, "invalid hexadecimal digit: %q", h[i:i+2])
			}
			out = append(out, v[0])
			i += 2
		}
		return DBytes(out), nil
	}
	// escape format
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			out = append(out, '\\')
			i++
			continue
		}
		if i+3 < len(s) && isOct(s[i+1]) && isOct(s[i+2]) && isOct(s[i+3]) && s[i+1] <= '3' {
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
			continue
		}
		return nil, errorf(CodeInvalidTextRepresentation, "invalid input syntax for type bytea")
	}
	return DBytes(out), nil
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }

func parseUUID(t *T, s string) (Datum, error) {
	v := strings.TrimSpace(s)
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		v = v[1 : len(v)-1]
	}
	var u DUUID
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '-' {
			// PostgreSQL accepts a hyphen after any group of four digits.
			if n == 0 || n%4 != 0 || i+1 == len(v) || v[i+1] == '-' {
				return nil, invalidSyntax(t, s)
			}
			continue
		}
		if i+1 >= len(v) || n >= 32 {
			return nil, invalidSyntax(t, s)
		}
		x, err := hex.DecodeString(v[i : i+2])
		if err != nil {
			return nil, invalidSyntax(t, s)
		}
		u[n/2] = x[0]
		n += 2
		i++
	}
	if n != 32 {
		return nil, invalidSyntax(t, s)
	}
	return u, nil
}

func appendUUID(b []byte, u DUUID) []byte {
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:])
	return append(b, buf[:]...)
}

// appendByteaEscape is bytea_output = escape: printable ASCII as it is, a
// backslash doubled, every other byte as a backslash and three octal
// digits.
func appendByteaEscape(b, v []byte) []byte {
	for _, c := range v {
		switch {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c < 0x20 || c > 0x7e:
			b = append(b, '\\', '0'+c>>6, '0'+c>>3&7, '0'+c&7)
		default:
			b = append(b, c)
		}
	}
	return b
}
