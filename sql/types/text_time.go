package types

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// pgEpochUnix is 2000-01-01 00:00:00 UTC in Unix seconds.
const pgEpochUnix = 946684800

// Date range of PostgreSQL: 4713-11-24 BC to 5874897-12-31.
var (
	minDateDays = daysFromCivil(-4713, 11, 24)
	maxDateDays = daysFromCivil(5874897, 12, 31)
	// Timestamps: 4713 BC to 294276 AD.
	minTimestamp = int64(daysFromCivil(-4713, 11, 24)) * MicrosPerDay
	maxTimestamp = int64(daysFromCivil(294277, 1, 1))*MicrosPerDay - 1
)

// daysFromCivil is the number of days from 2000-01-01 to the proleptic
// Gregorian date (year 0 is 1 BC).
func daysFromCivil(y, m, d int) int64 {
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return (t.Unix() - pgEpochUnix) / 86400
}

// civil returns the year (astronomical: 0 is 1 BC), month and day.
func civil(days int64) (int, int, int) {
	t := time.Unix(pgEpochUnix+days*86400, 0).UTC()
	return t.Year(), int(t.Month()), t.Day()
}

func appendYear(b []byte, y int) ([]byte, bool) {
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	s := strconv.Itoa(y)
	for i := len(s); i < 4; i++ {
		b = append(b, '0')
	}
	return append(b, s...), bc
}

func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}

func appendDate(b []byte, d DDate) []byte {
	switch d {
	case DateInfinity:
		return append(b, "infinity"...)
	case DateNegInfinity:
		return append(b, "-infinity"...)
	}
	y, m, dd := civil(int64(d))
	b, bc := appendYear(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, dd)
	if bc {
		b = append(b, " BC"...)
	}
	return b
}

// appendTimeOfDay writes HH:MM:SS[.ffffff] (trailing zeros dropped).
func appendTimeOfDay(b []byte, us int64) []byte {
	h := us / 3_600_000_000
	us -= h * 3_600_000_000
	m := us / 60_000_000
	us -= m * 60_000_000
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, h, 10)
	b = append(b, ':')
	b = append2(b, int(m))
	b = append(b, ':')
	return appendSeconds(b, us)
}

// appendSeconds writes SS[.ffffff] for a non-negative microsecond count
// below a minute.
func appendSeconds(b []byte, us int64) []byte {
	b = append2(b, int(us/1_000_000))
	if f := us % 1_000_000; f != 0 {
		s := strconv.FormatInt(f+1_000_000, 10)[1:]
		b = append(b, '.')
		b = append(b, strings.TrimRight(s, "0")...)
	}
	return b
}

func appendTimestamp(b []byte, us int64, loc *time.Location) []byte {
	switch us {
	case math.MaxInt64:
		return append(b, "infinity"...)
	case math.MinInt64:
		return append(b, "-infinity"...)
	}
	offset := 0
	if loc != nil {
		secs := floorDiv(us, 1_000_000) + pgEpochUnix
		_, offset = time.Unix(secs, 0).In(loc).Zone()
		us += int64(offset) * 1_000_000
	}
	days := floorDiv(us, MicrosPerDay)
	tod := us - days*MicrosPerDay
	y, m, d := civil(days)
	b, bc := appendYear(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, ' ')
	b = appendTimeOfDay(b, tod)
	if loc != nil {
		if offset < 0 {
			b = append(b, '-')
			offset = -offset
		} else {
			b = append(b, '+')
		}
		b = append2(b, offset/3600)
		if r := offset % 3600; r != 0 {
			b = append(b, ':')
			b = append2(b, r/60)
			if r%60 != 0 {
				b = append(b, ':')
				b = append2(b, r%60)
			}
		}
	}
	if bc {
		b = append(b, " BC"...)
	}
	return b
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// dtReader scans date/time text.
type dtReader struct {
	s string
	i int
	// yy: the date's year had one or two digits and was read as
	// 1970..2069 (yyRaw is the year as written, for a BC date).
	yy    bool
	yyRaw int
}

// adjustYY makes a year written with one or two digits 1970..2069.
func (r *dtReader) adjustYY(y, digits int) int {
	if digits > 2 {
		return y
	}
	r.yy, r.yyRaw = true, y
	if y < 70 {
		return y + 2000
	}
	return y + 1900
}

func (r *dtReader) skipSpace() {
	for r.i < len(r.s) && (r.s[r.i] == ' ' || r.s[r.i] == '\t') {
		r.i++
	}
}

func (r *dtReader) eof() bool { return r.i >= len(r.s) }

// digits reads 1..max digits.
func (r *dtReader) digits(max int) (int, int, bool) {
	start := r.i
	v := 0
	for r.i < len(r.s) && r.i-start < max && r.s[r.i] >= '0' && r.s[r.i] <= '9' {
		v = v*10 + int(r.s[r.i]-'0')
		r.i++
	}
	return v, r.i - start, r.i > start
}

func (r *dtReader) accept(c byte) bool {
	if r.i < len(r.s) && r.s[r.i] == c {
		r.i++
		return true
	}
	return false
}

// ymd reads a date, validating the fields: YYYY-MM-DD (also with / or .
// between the fields), YYYYMMDD, and, as DateStyle MDY reads them,
// MM/DD/YYYY and MM-DD-YYYY.
func (r *dtReader) ymd() (y, m, d int, ok bool, rangeErr bool) {
	start := r.i
	if y, m, d, ok, rangeErr = r.ymdNumeric(); ok {
		return
	}
	r.i = start
	if y, m, d, ok = r.ymdText(); !ok {
		r.i = start
		return
	}
	rangeErr = m < 1 || m > 12 || d < 1 || d > daysIn(y, m) || y == 0
	return
}

var monthNames = map[string]int{"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
	"apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
	"sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12}

var weekdayNames = map[string]bool{"sun": true, "sunday": true, "mon": true, "monday": true, "tue": true,
	"tues": true, "tuesday": true, "wed": true, "wednesday": true, "thu": true, "thur": true, "thurs": true,
	"thursday": true, "fri": true, "friday": true, "sat": true, "saturday": true}

// word reads a run of ASCII letters, lower-cased.
func (r *dtReader) word() string {
	start := r.i
	for r.i < len(r.s) && (r.s[r.i]|0x20 >= 'a' && r.s[r.i]|0x20 <= 'z') {
		r.i++
	}
	return strings.ToLower(r.s[start:r.i])
}

// ymdText reads a date with the month by name, as PostgreSQL reads
// 'December 4, 2026', 'Dec 4 2026', '4 Dec 2026', '04-Dec-2026' and
// '2026-Dec-04', after an optional day of the week ('Friday, ...').
func (r *dtReader) ymdText() (y, m, d int, ok bool) {
	skipSep := func() {
		for r.i < len(r.s) && (r.s[r.i] == ' ' || r.s[r.i] == '\t' || r.s[r.i] == ',' || r.s[r.i] == '-' || r.s[r.i] == '/') {
			r.i++
		}
	}
	save := r.i
	if w := r.word(); !weekdayNames[w] {
		r.i = save
	} else {
		skipSep()
	}
	type field struct {
		v, n  int
		month bool
	}
	var fs []field
	for len(fs) < 3 && !r.eof() {
		before := r.i
		if len(fs) > 0 {
			skipSep()
		}
		at := r.i
		if w := r.word(); w != "" {
			mo, isMonth := monthNames[w]
			if !isMonth {
				r.i = before
				break
			}
			fs = append(fs, field{v: mo, month: true})
			continue
		}
		r.i = at
		v, n, isNum := r.digits(7)
		if !isNum || r.accept(':') || r.accept('.') && n <= 2 {
			r.i = before // a time of day follows the date
			break
		}
		fs = append(fs, field{v: v, n: n})
	}
	if len(fs) != 3 {
		return 0, 0, 0, false
	}
	// A year of one or two digits is 1970..2069 ('08-Jan-99').
	switch {
	case fs[0].month && !fs[1].month && !fs[2].month && fs[1].n <= 2:
		return r.adjustYY(fs[2].v, fs[2].n), fs[0].v, fs[1].v, true // Dec 4 2026
	case fs[1].month && !fs[0].month && !fs[2].month && fs[0].n <= 2:
		return r.adjustYY(fs[2].v, fs[2].n), fs[1].v, fs[0].v, true // 4 Dec 2026
	case fs[1].month && !fs[0].month && !fs[2].month && fs[0].n > 2:
		return fs[0].v, fs[1].v, fs[2].v, true // 2026-Dec-04
	}
	return 0, 0, 0, false
}

// postgresStyle reads the date and time of DateStyle Postgres text:
// [weekday] Mon DD HH:MM[:SS[.frac]] YYYY (a zone may follow). tod is -1
// when the time of day is out of range.
func (r *dtReader) postgresStyle() (y, m, d int, tod int64, ok bool) {
	save := r.i
	if w := r.word(); !weekdayNames[w] {
		r.i = save
	}
	r.skipSpace()
	if m, ok = monthNames[r.word()]; !ok {
		return
	}
	r.skipSpace()
	if d, _, ok = r.digits(2); !ok {
		return
	}
	r.skipSpace()
	us, ok, rangeErr := r.hms()
	if !ok {
		return
	}
	if rangeErr {
		us = -1
	}
	r.skipSpace()
	var n int
	if y, n, ok = r.digits(7); !ok || n < 3 {
		return 0, 0, 0, 0, false
	}
	r.skipSpace()
	return y, m, d, us, true
}

func (r *dtReader) ymdNumeric() (y, m, d int, ok bool, rangeErr bool) {
	var n int
	start := r.i
	if y, n, ok = r.digits(8); !ok || n < 1 {
		return
	}
	if n == 8 && (r.i == len(r.s) || r.s[r.i] < '0' || r.s[r.i] > '9') {
		// YYYYMMDD
		y, m, d = y/10000, y/100%100, y%100
	} else {
		if n == 8 {
			r.i = start
			if y, n, ok = r.digits(7); !ok {
				return
			}
		}
		var sep byte
		for _, c := range []byte{'-', '/', '.'} {
			if r.accept(c) {
				sep = c
				break
			}
		}
		if sep == 0 {
			ok = false
			return
		}
		var n2, n3 int
		if m, n2, ok = r.digits(2); !ok || !r.accept(sep) {
			ok = false
			return
		}
		if d, n3, ok = r.digits(7); !ok {
			return
		}
		if n <= 2 && n2 <= 2 && sep != '.' {
			// MM/DD/YYYY, MM-DD-YYYY; MM/DD/YY as DateStyle MDY reads
			// it (01/02/03 is 2003-01-02)
			y, m, d = r.adjustYY(d, n3), y, m
		} else if n3 > 2 {
			ok = false
			return
		}
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) || y == 0 {
		rangeErr = true
	}
	return
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// hms reads HH:MM[:SS[.frac]] and returns microseconds (frac rounded).
func (r *dtReader) hms() (us int64, ok bool, rangeErr bool) {
	h, _, ok1 := r.digits(2)
	if !ok1 || !r.accept(':') {
		return 0, false, false
	}
	m, n, ok2 := r.digits(2)
	if !ok2 || n != 2 {
		return 0, false, false
	}
	var sec int
	var frac float64
	if r.accept(':') {
		var n int
		var ok3 bool
		if sec, n, ok3 = r.digits(2); !ok3 || n != 2 {
			return 0, false, false
		}
		if r.accept('.') {
			start := r.i
			for r.i < len(r.s) && r.s[r.i] >= '0' && r.s[r.i] <= '9' {
				r.i++
			}
			if r.i > start {
				frac, _ = strconv.ParseFloat("0."+r.s[start:r.i], 64)
			}
		}
	}
	if h > 24 || m > 59 || sec > 60 {
		return 0, true, true
	}
	us = int64(h)*3_600_000_000 + int64(m)*60_000_000 + int64(sec)*1_000_000 + int64(math.RoundToEven(frac*1e6))
	if us > MicrosPerDay {
		return 0, true, true
	}
	return us, true, false
}

// zone reads Z, UTC, GMT, ±HH, ±HH:MM, ±HHMM, ±HH:MM:SS or a time zone
// name; it returns the fixed offset in seconds or the location.
func (r *dtReader) zone() (offset int, loc *time.Location, ok bool) {
	rest := r.s[r.i:]
	if rest == "" {
		return 0, nil, false
	}
	up := strings.ToUpper(rest)
	for _, z := range []string{"UTC", "GMT", "Z"} {
		if strings.HasPrefix(up, z) && (len(up) == len(z) || up[len(z)] == ' ') {
			r.i += len(z)
			return 0, time.UTC, true
		}
	}
	if rest[0] == '+' || rest[0] == '-' {
		sign := 1
		if rest[0] == '-' {
			sign = -1
		}
		r.i++
		h, n, ok := r.digits(4)
		if !ok {
			return 0, nil, false
		}
		m, s := 0, 0
		if n > 2 {
			h, m = h/100, h%100
		} else if r.accept(':') {
			if m, _, ok = r.digits(2); !ok {
				return 0, nil, false
			}
			if r.accept(':') {
				if s, _, ok = r.digits(2); !ok {
					return 0, nil, false
				}
			}
		}
		if h > 15 || m > 59 || s > 59 {
			return 0, nil, false
		}
		return sign * (h*3600 + m*60 + s), nil, true
	}
	end := strings.IndexByte(rest, ' ')
	if end < 0 {
		end = len(rest)
	}
	name := rest[:end]
	if strings.EqualFold(name, "BC") || strings.EqualFold(name, "AD") {
		return 0, nil, false
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return 0, nil, false
	}
	r.i += end
	return 0, l, true
}

// era reads an optional trailing " BC"/" AD".
func (r *dtReader) era() (bc bool) {
	r.skipSpace()
	rest := strings.ToUpper(r.s[r.i:])
	if rest == "BC" {
		r.i = len(r.s)
		return true
	}
	if rest == "AD" {
		r.i = len(r.s)
	}
	return false
}

func rangeError(s string) *Error {
	return errorf(CodeDatetimeFieldOverflow, "date/time field value out of range: %q", s)
}

func parseDate(t *T, s string) (Datum, error) {
	v := strings.TrimSpace(s)
	switch strings.ToLower(v) {
	case "infinity", "+infinity":
		return DateInfinity, nil
	case "-infinity":
		return DateNegInfinity, nil
	case "epoch":
		return DDate(daysFromCivil(1970, 1, 1)), nil
	}
	r := &dtReader{s: v}
	y, m, d, ok, rangeErr := r.ymd()
	if !ok {
		return nil, invalidSyntax(t, s)
	}
	// A time (and zone) may follow; DATE ignores them.
	r.skipSpace()
	if r.accept('T') || !r.eof() {
		r.skipSpace()
		if _, ok, _ := r.hms(); ok {
			r.skipSpace()
			r.zone()
		}
	}
	if r.era() {
		if r.yy {
			y = r.yyRaw // no 1970..2069 for a BC year
		}
		y = 1 - y
	}
	if !r.eof() {
		return nil, invalidSyntax(t, s)
	}
	if rangeErr {
		return nil, rangeError(s)
	}
	days := daysFromCivil(y, m, d)
	if days < minDateDays || days > maxDateDays {
		return nil, errorf(CodeDatetimeFieldOverflow, "date out of range: %q", s)
	}
	return DDate(days), nil
}

func parseTime(t *T, s string) (Datum, error) {
	v := strings.TrimSpace(s)
	r := &dtReader{s: v}
	// An optional leading date is ignored.
	save := r.i
	if _, _, _, ok, _ := r.ymd(); ok {
		r.skipSpace()
		r.accept('T')
	} else {
		r.i = save
	}
	us, ok, rangeErr := r.hms()
	if !ok {
		return nil, invalidSyntax(t, s)
	}
	r.skipSpace()
	if !r.eof() {
		if _, _, ok := r.zone(); !ok {
			return nil, invalidSyntax(t, s)
		}
		r.skipSpace()
	}
	if !r.eof() {
		return nil, invalidSyntax(t, s)
	}
	if rangeErr {
		return nil, rangeError(s)
	}
	return DTime(us), nil
}

func parseTimestamp(t *T, s string, loc *time.Location) (Datum, error) {
	v := strings.TrimSpace(s)
	inf := func(neg bool) Datum {
		if t.Family == TimestampFamily {
			if neg {
				return TimestampNegInf
			}
			return TimestampInfinity
		}
		if neg {
			return TimestampTZNegInf
		}
		return TimestampTZInfinity
	}
	switch strings.ToLower(v) {
	case "infinity", "+infinity":
		return inf(false), nil
	case "-infinity":
		return inf(true), nil
	case "epoch":
		v = "1970-01-01 00:00:00+00"
	}
	r := &dtReader{s: v}
	y, m, d, ok, rangeErr := r.ymd()
	var tod int64
	offset, zoneLoc, hasZone := 0, (*time.Location)(nil), false
	timeRead := false
	if !ok {
		// PostgreSQL's own DateStyle Postgres output: Fri Dec 04 10:30:00 2026 UTC
		if y, m, d, tod, ok = r.postgresStyle(); !ok {
			return nil, invalidSyntax(t, s)
		}
		rangeErr = m < 1 || m > 12 || d < 1 || d > daysIn(y, m) || y == 0 || tod < 0
		timeRead = true
	}
	if !r.accept('T') {
		r.skipSpace()
	}
	if !r.eof() && !timeRead {
		save := r.i
		us, ok, re := r.hms()
		if ok {
			tod, rangeErr = us, rangeErr || re
			r.skipSpace()
		} else {
			r.i = save
		}
	}
	if !r.eof() {
		save := r.i
		if offset, zoneLoc, hasZone = r.zone(); !hasZone {
			r.i = save
		}
	}
	if r.era() {
		if r.yy {
			y = r.yyRaw // no 1970..2069 for a BC year
		}
		y = 1 - y
	}
	if !r.eof() {
		return nil, invalidSyntax(t, s)
	}
	if rangeErr {
		return nil, rangeError(s)
	}
	local := daysFromCivil(y, m, d)*MicrosPerDay + tod
	if t.Family == TimestampFamily {
		if local < minTimestamp || local > maxTimestamp {
			return nil, errorf(CodeDatetimeFieldOverflow, "timestamp out of range: %q", s)
		}
		return DTimestamp(local), nil
	}
	switch {
	case hasZone && zoneLoc == nil:
		local -= int64(offset) * 1_000_000
	default:
		l := zoneLoc
		if l == nil {
			l = loc
		}
		if l == nil {
			l = time.UTC
		}
		local = localToUTC(local, l)
	}
	if local < minTimestamp || local > maxTimestamp {
		return nil, errorf(CodeDatetimeFieldOverflow, "timestamp out of range: %q", s)
	}
	return DTimestampTZ(local), nil
}

// localToUTC converts a wall-clock time in loc (micros since 2000-01-01)
// to UTC micros the way PostgreSQL resolves DST transitions: a wall time
// in a spring-forward gap takes the offset in effect before the gap (so
// 02:30 becomes 03:30 daylight time), an ambiguous one in a fall-back
// overlap the offset after it (standard time).
func localToUTC(local int64, loc *time.Location) int64 {
	secs := floorDiv(local, 1_000_000)
	frac := local - secs*1_000_000
	wall := secs + pgEpochUnix // the wall clock read as if it were UTC
	offAt := func(unix int64) int64 {
		_, off := time.Unix(unix, 0).In(loc).Zone()
		return int64(off)
	}
	early, late := offAt(wall-86400), offAt(wall+86400)
	ue, ul := wall-early, wall-late
	validE, validL := offAt(ue) == early, offAt(ul) == late
	var u int64
	switch {
	case validL:
		u = ul
	case validE:
		u = ue
	default:
		// Neither neighbour's offset reads back: either a gap (take the
		// earlier offset) or more than one transition within a day; fall
		// back to the offset at the guessed instant.
		u = ue
		if early == late {
			u = wall - offAt(wall-early)
		}
	}
	return (u-pgEpochUnix)*1_000_000 + frac
}

// RoundMicros rounds a microsecond count to p fractional digits (0-6),
// halves away from zero, as PostgreSQL's typmod adjustment does.
func RoundMicros(us int64, p int) int64 {
	if p >= 6 || p < 0 {
		return us
	}
	scale := int64(math.Pow10(6 - p))
	off := scale / 2
	if us >= 0 {
		return (us + off) / scale * scale
	}
	return -((-us + off) / scale * scale)
}

// IsRelativeTime reports whether s, read as type t, stands for a time
// relative to now ('now', 'today' …): its value depends on the clock.
func IsRelativeTime(t *T, s string) bool {
	_, ok := parseRelativeTime(t, s, time.UTC, time.Unix(0, 0))
	return ok
}

// parseRelativeTime reads the special inputs that stand for a moment
// relative to now (the zero time: the clock's): 'now', and for the types
// with a date 'today', 'tomorrow' and 'yesterday' (midnight of that day
// in loc, the session time zone). ok is false for any other input.
func parseRelativeTime(t *T, s string, loc *time.Location, now time.Time) (Datum, bool) {
	word := strings.ToLower(strings.TrimSpace(s))
	day := 0
	switch word {
	case "now", "today":
	case "tomorrow":
		day = 1
	case "yesterday":
		day = -1
	default:
		return nil, false
	}
	if t.Family == TimeFamily && word != "now" {
		return nil, false
	}
	if now.IsZero() {
		now = time.Now()
	}
	if loc == nil {
		loc = time.UTC
	}
	n := now.In(loc)
	days := daysFromCivil(n.Year(), int(n.Month()), n.Day()) + int64(day)
	tod := int64(n.Hour())*3_600_000_000 + int64(n.Minute())*60_000_000 + int64(n.Second())*1_000_000 + int64(n.Nanosecond()/1000)
	if word != "now" {
		tod = 0
	}
	switch t.Family {
	case DateFamily:
		return DDate(days), true
	case TimeFamily:
		return DTime(tod), true
	case TimestampFamily:
		return DTimestamp(days*MicrosPerDay + tod), true
	}
	if word == "now" {
		return DTimestampTZ((now.Unix()-pgEpochUnix)*1_000_000 + int64(now.Nanosecond()/1000)), true
	}
	return DTimestampTZ(localToUTC(days*MicrosPerDay, loc)), true
}
