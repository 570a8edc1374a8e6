package types

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// appendInterval writes an interval in IntervalStyle postgres:
// "1 year 2 mons 3 days 04:05:06.5", "-1 days +02:03:04", "00:00:00".
func appendInterval(b []byte, d DInterval) []byte {
	years, mons := d.Months/12, d.Months%12
	zero, before := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !zero {
			b = append(b, ' ')
		}
		if before && v > 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, v, 10)
		b = append(b, ' ')
		b = append(b, unit...)
		if v != 1 {
			b = append(b, 's')
		}
		before, zero = v < 0, false
	}
	part(int64(years), "year")
	part(int64(mons), "mon")
	part(int64(d.Days), "day")
	if zero || d.Micros != 0 {
		us := d.Micros
		minus := us < 0
		if !zero {
			b = append(b, ' ')
		}
		if minus {
			b = append(b, '-')
		} else if before {
			b = append(b, '+')
		}
		// |us| without overflow for MinInt64.
		u := uint64(us)
		if minus {
			u = -u
		}
		h := u / 3_600_000_000
		u -= h * 3_600_000_000
		m := u / 60_000_000
		u -= m * 60_000_000
		if h < 10 {
			b = append(b, '0')
		}
		b = strconv.AppendUint(b, h, 10)
		b = append(b, ':')
		b = append2(b, int(m))
		b = append(b, ':')
		b = appendSeconds(b, int64(u))
	}
	return b
}

// ivAcc accumulates an interval's fields as PostgreSQL 15's DecodeInterval
// does: years, months and days in int32, microseconds in int64, each step
// checked. A field whose value overflows is "interval field value out of
// range" (22015); fields that fit but whose total does not (years*12 plus
// months) are "interval out of range" (22008). A fraction carries down
// right away and is rounded to the microsecond field by field: a fraction
// of a year becomes whole months (rounded), of a month 30 days, of a week
// 7 days, of a day 24 hours.
type ivAcc struct {
	years, months, days int64 // each kept within int32
	micros              int64
	fieldOverflow       bool
}

// addMicros adds v*unit microseconds exactly, noting overflow.
func (a *ivAcc) addMicros(v, unit int64) {
	mag := uint64(v)
	if v < 0 {
		mag = -mag // |MinInt64| is 1<<63 as a uint64
	}
	hi, lo := bits.Mul64(mag, uint64(unit))
	if hi != 0 || lo > math.MaxInt64 && (v >= 0 || lo > 1<<63) {
		a.fieldOverflow = true
		return
	}
	p := int64(lo)
	if v < 0 {
		p = -p
	}
	sum := a.micros + p
	if (p > 0 && sum < a.micros) || (p < 0 && sum > a.micros) {
		a.fieldOverflow = true
		return
	}
	a.micros = sum
}

// addInt32 adds v*scale to one of the int32 fields, noting overflow.
func (a *ivAcc) addInt32(f *int64, v, scale int64) {
	hi, lo := bits.Mul64(uint64(abs64(v)), uint64(scale))
	if hi != 0 || lo > math.MaxInt32+1 {
		a.fieldOverflow = true
		return
	}
	p := int64(lo)
	if v < 0 {
		p = -p
	}
	if s := *f + p; s > math.MaxInt32 || s < math.MinInt32 {
		a.fieldOverflow = true
	} else {
		*f = s
	}
}

// addFracMicros adds frac (|frac| < 1) of scale microseconds, rounded.
func (a *ivAcc) addFracMicros(frac float64, scale int64) {
	if frac == 0 {
		return
	}
	frac *= float64(scale)
	us := int64(frac)
	frac -= float64(us)
	a.addMicros(us+int64(math.RoundToEven(frac)), 1)
}

// addFracDays adds frac (|frac| < 1) of scale days: whole days, then the
// rest as microseconds.
func (a *ivAcc) addFracDays(frac float64, scale int64) {
	if frac == 0 {
		return
	}
	frac *= float64(scale)
	d := int64(frac)
	a.addInt32(&a.days, d, 1)
	a.addFracMicros(frac-float64(d), MicrosPerDay)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// ivNumber is a number of an interval's text split as PostgreSQL reads it:
// the integer part exactly, the fraction (same sign) as a float.
type ivNumber struct {
	whole    int64
	frac     float64
	overflow bool // the integer part does not fit in int64
}

func parseIvNumber(s string) (ivNumber, bool) {
	if s == "" || s == "-" || s == "+" {
		return ivNumber{}, false
	}
	if strings.ContainsAny(s, "eE") {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return ivNumber{}, false
		}
		if math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) >= 1<<63 {
			return ivNumber{overflow: true}, true
		}
		w := math.Trunc(x)
		return ivNumber{whole: int64(w), frac: x - w}, true
	}
	intPart, fracPart, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	digits := strings.TrimLeft(intPart, "+-")
	if len(intPart)-len(digits) > 1 || digits == "" && fracPart == "" || strings.ContainsAny(fracPart, "+-.") {
		return ivNumber{}, false
	}
	var n ivNumber
	if digits != "" {
		signed := digits
		if neg {
			signed = "-" + digits
		}
		w, err := strconv.ParseInt(signed, 10, 64)
		if err != nil {
			if !errors.Is(err, strconv.ErrRange) {
				return ivNumber{}, false
			}
			n.overflow = true
		}
		n.whole = w
	}
	if fracPart != "" {
		f, err := strconv.ParseFloat("0."+fracPart, 64)
		if err != nil {
			return ivNumber{}, false
		}
		n.frac = f
	}
	if neg {
		n.frac = -n.frac
	}
	return n, true
}

var intervalUnits = map[string]struct {
	months, days, micros float64
}{
	"microsecond": {micros: 1}, "us": {micros: 1}, "usec": {micros: 1},
	"millisecond": {micros: 1e3}, "ms": {micros: 1e3}, "msec": {micros: 1e3},
	"second": {micros: 1e6}, "s": {micros: 1e6}, "sec": {micros: 1e6},
	"minute": {micros: 60e6}, "m": {micros: 60e6}, "min": {micros: 60e6},
	"hour": {micros: 3600e6}, "h": {micros: 3600e6}, "hr": {micros: 3600e6},
	"day": {days: 1}, "d": {days: 1},
	"week": {days: 7}, "w": {days: 7},
	"month": {months: 1}, "mon": {months: 1},
	"year": {months: 12}, "y": {months: 12}, "yr": {months: 12},
	"decade": {months: 120}, "century": {months: 1200}, "centuries": {months: 1200},
	"millennium": {months: 12000}, "millennia": {months: 12000},
}

// The fields of an interval's text, each of which may be given once.
const (
	ivMicro uint16 = 1 << iota
	ivMilli
	ivSecond
	ivMinute
	ivHour
	ivDay
	ivWeek
	ivMonth
	ivYear
	ivDecade
	ivCentury
	ivMillennium
	ivAllSecs = ivMicro | ivMilli | ivSecond
)

// unitMask is the field a unit of intervalUnits sets.
func unitMask(u struct{ months, days, micros float64 }) uint16 {
	switch {
	case u.months == 1:
		return ivMonth
	case u.months == 12:
		return ivYear
	case u.months == 120:
		return ivDecade
	case u.months == 1200:
		return ivCentury
	case u.months != 0:
		return ivMillennium
	case u.days == 1:
		return ivDay
	case u.days != 0:
		return ivWeek
	case u.micros == 1:
		return ivMicro
	case u.micros == 1e3:
		return ivMilli
	case u.micros == 1e6:
		return ivSecond
	case u.micros == 60e6:
		return ivMinute
	}
	return ivHour
}

func lookupUnit(u string) (struct{ months, days, micros float64 }, bool) {
	if v, ok := intervalUnits[u]; ok {
		return v, true
	}
	if strings.HasSuffix(u, "s") {
		v, ok := intervalUnits[u[:len(u)-1]]
		return v, ok
	}
	return struct{ months, days, micros float64 }{}, false
}

func (a *ivAcc) add(n ivNumber, u struct{ months, days, micros float64 }) {
	if n.overflow {
		a.fieldOverflow = true
		return
	}
	switch {
	case u.months >= 12:
		a.addInt32(&a.years, n.whole, int64(u.months)/12)
		a.addInt32(&a.months, int64(math.RoundToEven(n.frac*u.months)), 1)
	case u.months != 0:
		a.addInt32(&a.months, n.whole, 1)
		a.addFracDays(n.frac, 30)
	case u.days == 1:
		a.addInt32(&a.days, n.whole, 1)
		a.addFracMicros(n.frac, MicrosPerDay)
	case u.days != 0:
		a.addInt32(&a.days, n.whole, int64(u.days))
		a.addFracDays(n.frac, int64(u.days))
	default:
		a.addMicros(n.whole, int64(u.micros))
		a.addFracMicros(n.frac, int64(u.micros))
	}
}

func parseInterval(t *T, s string) (Datum, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "@")
	if strings.HasPrefix(v, "p") {
		return parseISOInterval(t, s, v[1:])
	}
	fields := strings.Fields(v)
	ago := false
	if n := len(fields); n > 0 && fields[n-1] == "ago" {
		ago, fields = true, fields[:n-1]
	}
	if len(fields) == 0 {
		return nil, invalidSyntax(t, s)
	}
	// PostgreSQL's DecodeInterval reads the fields right to left, so that a
	// unit names the number before it; a number without a unit takes the
	// last unit read (seconds at first), the field left of an hour or of a
	// time field counts days ('3 4:05' is 3 days 04:05), and each unit may
	// be given once ('1 2' and '1 hour 01:00' are errors).
	type item struct {
		text string
		time bool // [-]h:mm[:ss]
		num  bool
	}
	var items []item
	for _, f := range fields {
		if strings.Contains(f, ":") {
			items = append(items, item{text: f, time: true})
			continue
		}
		j := 0
		if j < len(f) && (f[j] == '-' || f[j] == '+') {
			j++
		}
		for j < len(f) && (f[j] >= '0' && f[j] <= '9' || f[j] == '.') {
			j++
		}
		if j > 0 {
			items = append(items, item{text: f[:j], num: true})
		}
		if j < len(f) {
			items = append(items, item{text: f[j:]})
		}
	}
	var acc ivAcc
	var seen uint16
	typ, typSet := intervalUnits["second"], false
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		var mask uint16
		switch {
		case it.time:
			if !parseIntervalTime(&acc, it.text) {
				return nil, invalidSyntax(t, s)
			}
			mask = ivHour | ivMinute | ivAllSecs
			typ, typSet = intervalUnits["day"], true
		case it.num:
			if it.text == "-" || it.text == "+" {
				return nil, invalidSyntax(t, s)
			}
			x, ok := parseIvNumber(it.text)
			if !ok {
				return nil, invalidSyntax(t, s)
			}
			if !typSet {
				typ, typSet = intervalUnits["second"], true
			}
			mask = unitMask(typ)
			if mask == ivSecond && x.frac != 0 {
				mask = ivAllSecs
			}
			acc.add(x, typ)
			if mask == ivHour {
				typ = intervalUnits["day"]
			}
		default:
			u, ok := lookupUnit(it.text)
			if !ok {
				return nil, invalidSyntax(t, s)
			}
			typ, typSet = u, true
		}
		if seen&mask != 0 {
			return nil, invalidSyntax(t, s)
		}
		seen |= mask
	}
	return acc.result(ago, s)
}

// parseIntervalTime reads [-]H:MM[:SS[.f]] into the accumulator exactly.
func parseIntervalTime(acc *ivAcc, f string) bool {
	neg := false
	if f[0] == '-' || f[0] == '+' {
		neg = f[0] == '-'
		f = f[1:]
	}
	parts := strings.Split(f, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || m > 59 || h < 0 || m < 0 {
		return false
	}
	var sec, frac int64
	if len(parts) == 3 {
		whole, fr, _ := strings.Cut(parts[2], ".")
		var err error
		if sec, err = strconv.ParseInt(whole, 10, 64); err != nil || sec < 0 || sec > 59 || strings.ContainsAny(whole, "+-") {
			return false
		}
		if fr != "" {
			for _, c := range fr {
				if c < '0' || c > '9' {
					return false
				}
			}
			x, _ := strconv.ParseFloat("0."+fr, 64)
			frac = int64(math.RoundToEven(x * 1e6))
		}
	}
	sign := int64(1)
	if neg {
		sign = -1
	}
	acc.addMicros(sign*h, 3_600_000_000)
	acc.addMicros(sign*m, 60_000_000)
	acc.addMicros(sign*(sec*1_000_000+frac), 1)
	return true
}

func parseISOInterval(t *T, s, v string) (Datum, error) {
	var acc ivAcc
	inTime := false
	for v != "" {
		if v[0] == 't' {
			inTime = true
			v = v[1:]
			continue
		}
		j := 0
		if v[j] == '-' || v[j] == '+' {
			j++
		}
		for j < len(v) && (v[j] >= '0' && v[j] <= '9' || v[j] == '.') {
			j++
		}
		// An exponent: 'P10.5e4Y'.
		if j < len(v) && v[j] == 'e' {
			k := j + 1
			if k < len(v) && (v[k] == '-' || v[k] == '+') {
				k++
			}
			if k < len(v) && v[k] >= '0' && v[k] <= '9' {
				for k < len(v) && v[k] >= '0' && v[k] <= '9' {
					k++
				}
				j = k
			}
		}
		if j == 0 {
			return nil, invalidSyntax(t, s)
		}
		x, ok := parseIvNumber(v[:j])
		if !ok {
			return nil, invalidSyntax(t, s)
		}
		// A number without a designator at the end: years in the date
		// part ('P1'), hours in the time part ('PT1.5').
		c := byte('y')
		if inTime {
			c = 'h'
		}
		if j < len(v) {
			c = v[j]
		} else {
			j--
		}
		var unit string
		switch {
		case c == 'y':
			unit = "year"
		case c == 'm' && !inTime:
			unit = "month"
		case c == 'w':
			unit = "week"
		case c == 'd':
			unit = "day"
		case c == 'h' && inTime:
			unit = "hour"
		case c == 'm':
			unit = "minute"
		case c == 's' && inTime:
			unit = "second"
		default:
			return nil, invalidSyntax(t, s)
		}
		u, _ := lookupUnit(unit)
		acc.add(x, u)
		v = v[j+1:]
	}
	return acc.result(false, s)
}

func (a *ivAcc) result(neg bool, s string) (Datum, error) {
	if neg && !a.fieldOverflow {
		if a.micros == math.MinInt64 {
			a.fieldOverflow = true
		}
		a.years, a.months, a.days, a.micros = -a.years, -a.months, -a.days, -a.micros
		if a.days > math.MaxInt32 || a.months > math.MaxInt32 || a.years > math.MaxInt32 {
			a.fieldOverflow = true
		}
	}
	if a.fieldOverflow {
		return nil, errorf(CodeIntervalFieldOverflow, "interval field value out of range: %q", s)
	}
	months := a.years*12 + a.months
	if months > math.MaxInt32 || months < math.MinInt32 {
		return nil, errorf(CodeDatetimeFieldOverflow, "interval out of range")
	}
	return DInterval{Months: int32(months), Days: int32(a.days), Micros: a.micros}, nil
}

// ivFields splits an interval as PostgreSQL's interval2itm does: years and
// months from the months, hours, minutes, seconds and microseconds from
// the time, each truncated toward zero so that they share its sign.
func ivFields(d DInterval) (year, mon, mday, hour, min, sec, fsec int64) {
	year, mon, mday = int64(d.Months/12), int64(d.Months%12), int64(d.Days)
	t := d.Micros
	hour = t / 3_600_000_000
	t -= hour * 3_600_000_000
	min = t / 60_000_000
	t -= min * 60_000_000
	sec, fsec = t/1_000_000, t%1_000_000
	return
}

// appendIvSeconds writes |sec| (two digits when fill) and |fsec| as a
// fraction without trailing zeros.
func appendIvSeconds(b []byte, sec, fsec int64, fill bool) []byte {
	sec, fsec = abs64(sec), abs64(fsec)
	if fill && sec < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, sec, 10)
	if fsec != 0 {
		s := strconv.FormatInt(fsec+1_000_000, 10)[1:]
		b = append(b, '.')
		b = append(b, strings.TrimRight(s, "0")...)
	}
	return b
}

// appendIntervalVerbose is IntervalStyle postgres_verbose: "@ 1 year 2
// mons -3 days 4 hours 5 mins 6.5 secs", with "ago" (and the signs of the
// later fields flipped) when the first nonzero field is negative.
func appendIntervalVerbose(b []byte, d DInterval) []byte {
	year, mon, mday, hour, min, sec, fsec := ivFields(d)
	b = append(b, '@')
	zero, before := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if zero {
			before = v < 0
			if v < 0 {
				v = -v
			}
		} else if before {
			v = -v
		}
		b = append(b, ' ')
		b = strconv.AppendInt(b, v, 10)
		b = append(b, ' ')
		b = append(b, unit...)
		if v != 1 {
			b = append(b, 's')
		}
		zero = false
	}
	part(year, "year")
	part(mon, "mon")
	part(mday, "day")
	part(hour, "hour")
	part(min, "min")
	if sec != 0 || fsec != 0 {
		b = append(b, ' ')
		if sec < 0 || sec == 0 && fsec < 0 {
			if zero {
				before = true
			} else if !before {
				b = append(b, '-')
			}
		} else if before {
			b = append(b, '-')
		}
		b = appendIvSeconds(b, sec, fsec, false)
		b = append(b, " sec"...)
		if abs64(sec) != 1 || fsec != 0 {
			b = append(b, 's')
		}
		zero = false
	}
	if zero {
		b = append(b, " 0"...)
	}
	if before {
		b = append(b, " ago"...)
	}
	return b
}

// appendIntervalSQL is IntervalStyle sql_standard: "1-2" for year-month
// intervals, "3 4:05:06" for day-time ones, one leading sign; an interval
// that mixes signs or both kinds prints every part with its sign,
// "+1-2 -3 +4:05:06".
func appendIntervalSQL(b []byte, d DInterval) []byte {
	year, mon, mday, hour, min, sec, fsec := ivFields(d)
	neg := year < 0 || mon < 0 || mday < 0 || hour < 0 || min < 0 || sec < 0 || fsec < 0
	pos := year > 0 || mon > 0 || mday > 0 || hour > 0 || min > 0 || sec > 0 || fsec > 0
	ym := year != 0 || mon != 0
	dt := mday != 0 || hour != 0 || min != 0 || sec != 0 || fsec != 0
	standard := !(neg && pos) && !(ym && dt)
	if neg && standard {
		b = append(b, '-')
		year, mon, mday, hour, min, sec, fsec = -year, -mon, -mday, -hour, -min, -sec, -fsec
	}
	sign := func(neg bool) byte {
		if neg {
			return '-'
		}
		return '+'
	}
	hms := func(hour, min int64) {
		b = strconv.AppendInt(b, hour, 10)
		b = append(b, ':')
		b = append2(b, int(min))
		b = append(b, ':')
		b = appendIvSeconds(b, sec, fsec, true)
	}
	switch {
	case !neg && !pos:
		b = append(b, '0')
	case !standard:
		b = append(b, sign(year < 0 || mon < 0))
		b = strconv.AppendInt(b, abs64(year), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, abs64(mon), 10)
		b = append(b, ' ', sign(mday < 0))
		b = strconv.AppendInt(b, abs64(mday), 10)
		b = append(b, ' ', sign(hour < 0 || min < 0 || sec < 0 || fsec < 0))
		hms(abs64(hour), abs64(min))
	case ym:
		b = strconv.AppendInt(b, year, 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, mon, 10)
	case mday != 0:
		b = strconv.AppendInt(b, mday, 10)
		b = append(b, ' ')
		hms(hour, min)
	default:
		hms(hour, min)
	}
	return b
}

// appendIntervalISO is IntervalStyle iso_8601: "P1Y2M3DT4H5M6.5S", each
// part with its own sign, "PT0S" for zero.
func appendIntervalISO(b []byte, d DInterval) []byte {
	year, mon, mday, hour, min, sec, fsec := ivFields(d)
	if year == 0 && mon == 0 && mday == 0 && hour == 0 && min == 0 && sec == 0 && fsec == 0 {
		return append(b, "PT0S"...)
	}
	part := func(v int64, c byte) {
		if v != 0 {
			b = strconv.AppendInt(b, v, 10)
			b = append(b, c)
		}
	}
	b = append(b, 'P')
	part(year, 'Y')
	part(mon, 'M')
	part(mday, 'D')
	if hour != 0 || min != 0 || sec != 0 || fsec != 0 {
		b = append(b, 'T')
	}
	part(hour, 'H')
	part(min, 'M')
	if sec != 0 || fsec != 0 {
		if sec < 0 || fsec < 0 {
			b = append(b, '-')
		}
		b = appendIvSeconds(b, sec, fsec, false)
		b = append(b, 'S')
	}
	return b
}
