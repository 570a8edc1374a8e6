package sem

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tesseradb/tessera/sql/jsonpath"
	"github.com/tesseradb/tessera/sql/types"
)

// codeSQLJSONDatetime is invalid_argument_for_sql_json_datetime_function.
const codeSQLJSONDatetime = "22031"

// jpDTKind is the SQL type of a datetime item .datetime() makes.
type jpDTKind uint8

const (
	jpDate jpDTKind = iota
	jpTime
	jpTimeTZ
	jpTimestamp
	jpTimestampTZ
)

// jpDatetime is a datetime item: us is the wall-clock value (microseconds
// since the epoch for dates and timestamps, a date's at midnight; since
// midnight for times), off the UTC offset in seconds of the _tz kinds.
type jpDatetime struct {
	kind jpDTKind
	us   int64
	off  int
}

var jpDTTypeNames = [...]string{"date", "time without time zone", "time with time zone", "timestamp without time zone", "timestamp with time zone"}

// jpISODatetime matches the ISO forms .datetime() recognizes without a
// template: date, time and timestamp (a space or T between), each time
// with optional fraction and UTC offset; fields may have fewer digits.
var jpISODatetime = regexp.MustCompile(`^(?:(\d{1,4})-(\d{1,2})-(\d{1,2}))?(?:(^|[ T])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?(?:([+-])(\d{1,2})(?::(\d{1,2}))?)?)?$`)

// jpParseDatetime reads s as .datetime() does without a template.
func jpParseDatetime(s string) (*jpDatetime, bool) {
	m := jpISODatetime.FindStringSubmatch(s)
	if m == nil || (m[1] == "" && m[5] == "") {
		return nil, false
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	dt := &jpDatetime{}
	hasDate, hasTime := m[1] != "", m[5] != ""
	if hasDate {
		y, mo, d := atoi(m[1]), atoi(m[2]), atoi(m[3])
		if mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) {
			return nil, false
		}
		dt.us = daysFromCivil(y, mo, d) * usPerDay
	}
	if hasTime {
		if hasDate && m[4] == "" {
			return nil, false
		}
		h, mi, sec := atoi(m[5]), atoi(m[6]), atoi(m[7])
		if h > 24 || mi > 59 || sec > 59 {
			return nil, false
		}
		frac := m[8]
		us := 0
		if frac != "" {
			us = atoi((frac + "000000")[:6])
		}
		dt.us += int64(h)*usPerHour + int64(mi)*usPerMin + int64(sec)*usPerSec + int64(us)
	}
	tz := m[9] != ""
	if tz {
		dt.off = atoi(m[10])*3600 + atoi(m[11])*60
		if m[9] == "-" {
			dt.off = -dt.off
		}
	}
	switch {
	case hasDate && hasTime && tz:
		dt.kind = jpTimestampTZ
	case hasDate && hasTime:
		dt.kind = jpTimestamp
	case hasDate:
		dt.kind = jpDate
	case tz:
		dt.kind = jpTimeTZ
	default:
		dt.kind = jpTime
	}
	return dt, true
}

// jpTemplateDatetime reads s by a .datetime(template) template (the
// to_timestamp rules); the item is a date, time or timestamp by the
// fields the template has. Time zone fields are not supported.
func jpTemplateDatetime(s, tmpl string) (*jpDatetime, error) {
	l := strings.ToLower(tmpl)
	if strings.Contains(l, "tz") || strings.Contains(l, "of") {
		return nil, errorf(CodeFeatureNotSupported, "time zone fields in .datetime() templates are not supported")
	}
	hasTime := strings.Contains(l, "hh") || strings.Contains(l, "mi") || strings.Contains(l, "ss")
	hasDate := strings.Contains(l, "y") || strings.Contains(l, "mm") || strings.Contains(l, "dd") || strings.Contains(l, "mon")
	pt, err := parseByFormat(s, tmpl)
	if err != nil {
		return nil, err
	}
	if !hasDate {
		pt.year, pt.month, pt.day = 2000, 1, 1
	}
	us, err := pt.micros()
	if err != nil {
		return nil, err
	}
	dt := &jpDatetime{us: us, kind: jpTimestamp}
	switch {
	case !hasTime:
		dt.kind = jpDate
	case !hasDate:
		dt.kind = jpTime
		dt.us = us - daysFromCivil(2000, 1, 1)*usPerDay
	}
	return dt, nil
}

// datetime is the .datetime() / .datetime(template) method.
func (c *jpCtx) datetime(n *jsonpath.Node, v any, emit func(any) error) error {
	s, ok := v.(string)
	if !ok {
		return errorf(codeSQLJSONDatetime, "jsonpath item method .datetime() can only be applied to a string")
	}
	if n.HasArg {
		dt, err := jpTemplateDatetime(s, n.Flags)
		if err != nil {
			if e, ok := err.(*types.Error); ok && e.Code == CodeFeatureNotSupported {
				return err
			}
			return errorf(codeSQLJSONDatetime, "%v", err)
		}
		return emit(dt)
	}
	dt, ok := jpParseDatetime(s)
	if !ok {
		return errorf(codeSQLJSONDatetime, "datetime format is not recognized: \"%s\"", s)
	}
	return emit(dt)
}

// String is the item's text in a JSON result (PostgreSQL's ISO form with
// a T between date and time).
func (d *jpDatetime) String() string {
	var sb strings.Builder
	us := d.us
	if d.kind == jpDate || d.kind == jpTimestamp || d.kind == jpTimestampTZ {
		days := floorDiv(us, usPerDay)
		y, m, dd := civil(days)
		if y <= 0 {
			fmt.Fprintf(&sb, "%04d-%02d-%02d", 1-y, m, dd)
		} else {
			fmt.Fprintf(&sb, "%04d-%02d-%02d", y, m, dd)
		}
		if d.kind == jpDate {
			if y <= 0 {
				sb.WriteString(" BC")
			}
			return sb.String()
		}
		sb.WriteByte('T')
		us -= days * usPerDay
	}
	fmt.Fprintf(&sb, "%02d:%02d:%02d", us/usPerHour, us/usPerMin%60, us/usPerSec%60)
	if f := us % usPerSec; f != 0 {
		sb.WriteString(strings.TrimRight(fmt.Sprintf(".%06d", f), "0"))
	}
	if d.kind == jpTimeTZ || d.kind == jpTimestampTZ {
		off := d.off
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		fmt.Fprintf(&sb, "%c%02d:%02d", sign, off/3600, off/60%60)
		if off%60 != 0 {
			fmt.Fprintf(&sb, ":%02d", off%60)
		}
	}
	return sb.String()
}

// jpDatetimeOut turns the datetime items of a result into their strings.
func jpDatetimeOut(items []any) {
	for i, x := range items {
		if d, ok := x.(*jpDatetime); ok {
			items[i] = d.String()
		}
	}
}

// compareDatetime orders two datetime items as PostgreSQL does: a date
// or timestamp meets a timestamptz, and a time a timetz, only through the
// session time zone, which the non-_tz functions refuse (0A000, even when silent); a time
// and a date are not comparable (ok=false).
func (c *jpCtx) compareDatetime(a, b *jpDatetime) (cmp int, ok bool, err error) {
	ordered := func(x, y int64) int {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	isDay := func(k jpDTKind) bool { return k == jpDate || k == jpTimestamp || k == jpTimestampTZ }
	switch {
	case isDay(a.kind) && isDay(b.kind):
		if (a.kind == jpTimestampTZ) != (b.kind == jpTimestampTZ) {
			if c.tz == nil {
				from, to := a, b
				if a.kind == jpTimestampTZ {
					from, to = b, a
				}
				return 0, false, c.needTZ(from, to)
			}
			x, err := c.instant(a)
			if err != nil {
				return 0, false, err
			}
			y, err := c.instant(b)
			if err != nil {
				return 0, false, err
			}
			return ordered(x, y), true, nil
		}
		if a.kind == jpTimestampTZ {
			return ordered(a.us-int64(a.off)*usPerSec, b.us-int64(b.off)*usPerSec), true, nil
		}
		return ordered(a.us, b.us), true, nil
	case !isDay(a.kind) && !isDay(b.kind):
		if a.kind != b.kind {
			if c.tz == nil {
				from, to := a, b
				if a.kind == jpTimeTZ {
					from, to = b, a
				}
				return 0, false, c.needTZ(from, to)
			}
			return 0, false, errorf(CodeFeatureNotSupported, "comparing time with time with time zone in jsonpath is not supported")
		}
		if a.kind == jpTimeTZ {
			// timetz_cmp: the UTC time, then the offset
			if r := ordered(a.us-int64(a.off)*usPerSec, b.us-int64(b.off)*usPerSec); r != 0 {
				return r, true, nil
			}
			return ordered(int64(b.off), int64(a.off)), true, nil
		}
		return ordered(a.us, b.us), true, nil
	}
	return 0, false, nil
}

func (c *jpCtx) needTZ(from, to *jpDatetime) error {
	name := func(k jpDTKind) string {
		return [...]string{"date", "time", "timetz", "timestamp", "timestamptz"}[k]
	}
	return &jpTZError{e: errorf(CodeFeatureNotSupported, "cannot convert value from %s to %s without time zone usage", name(from.kind), name(to.kind))}
}

// jpTZError is the refusal of a comparison that needs the time zone: an
// error that silent mode does not swallow (not a *types.Error to jpHard).
type jpTZError struct{ e *types.Error }

func (e *jpTZError) Error() string { return e.e.Error() }

// SQLState returns the SQLSTATE code.
func (e *jpTZError) SQLState() string { return e.e.SQLState() }

// instant is a date, timestamp or timestamptz item's UTC time (the first
// two read in the session time zone).
func (c *jpCtx) instant(d *jpDatetime) (int64, error) {
	if d.kind == jpTimestampTZ {
		return d.us - int64(d.off)*usPerSec, nil
	}
	return fromLocal(c.tz, d.us)
}
