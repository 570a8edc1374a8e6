package types

import (
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

// interval accumulator with fractional carry-down, as PostgreSQL does:
// a fraction of a month becomes days (30 per month), a fraction of a day
// becomes time (24 h per day).
type ivAcc struct {
	months, days float64 // whole values (float64 holds int32 ranges exactly)
	micros       int64
	fracMicros   float64 // fractional contributions, rounded at the end
	overflow     bool
}

// addMicros adds v*unit microseconds exactly, noting overflow.
func (a *ivAcc) addMicros(v, unit int64) {
	hi, lo := bits.Mul64(uint64(abs64(v)), uint64(unit))
	if hi != 0 || lo > math.MaxInt64 {
		a.overflow = true
		return
	}
	p := int64(lo)
	if v < 0 {
		p = -p
	}
	sum := a.micros + p
	if (p > 0 && sum < a.micros) || (p < 0 && sum > a.micros) {
		a.overflow = true
		return
	}
	a.micros = sum
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
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

func (a *ivAcc) add(v float64, u struct{ months, days, micros float64 }) {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 && u.months == 0 && u.days == 0 {
		a.addMicros(int64(v), int64(u.micros))
		return
	}
	switch {
	case u.months != 0:
		m := v * u.months
		whole := math.Trunc(m)
		a.months += whole
		d := (m - whole) * 30
		wd := math.Trunc(d)
		a.days += wd
		a.fracMicros += (d - wd) * MicrosPerDay
	case u.days != 0:
		d := v * u.days
		wd := math.Trunc(d)
		a.days += wd
		a.fracMicros += (d - wd) * MicrosPerDay
	default:
		w := math.Trunc(v * u.micros)
		if math.Abs(w) >= 1<<62 {
			a.overflow = true
			return
		}
		a.addMicros(int64(w), 1)
		a.fracMicros += v*u.micros - w
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
			x, err := strconv.ParseFloat(it.text, 64)
			if err != nil {
				return nil, invalidSyntax(t, s)
			}
			if !typSet {
				typ, typSet = intervalUnits["second"], true
			}
			mask = unitMask(typ)
			if mask == ivSecond && x != math.Trunc(x) {
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
		if j == 0 || j >= len(v) {
			return nil, invalidSyntax(t, s)
		}
		x, err := strconv.ParseFloat(v[:j], 64)
		if err != nil {
			return nil, invalidSyntax(t, s)
		}
		var unit string
		switch c := v[j]; {
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
	if f := math.RoundToEven(a.fracMicros); f != 0 {
		if math.Abs(f) >= 1<<62 {
			a.overflow = true
		} else {
			a.addMicros(int64(f), 1)
		}
	}
	months, days, micros := a.months, a.days, a.micros
	if neg {
		months, days = -months, -days
		if micros == math.MinInt64 {
			a.overflow = true
		}
		micros = -micros
	}
	if a.overflow || months > math.MaxInt32 || months < math.MinInt32 || days > math.MaxInt32 || days < math.MinInt32 {
		return nil, errorf(CodeDatetimeFieldOverflow, "interval out of range: %q", s)
	}
	return DInterval{Months: int32(months), Days: int32(days), Micros: micros}, nil
}
