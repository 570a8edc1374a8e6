package sem

import (
	"strings"

	"github.com/tesseradb/tessera/sql/types"
)

// parsedTime collects the fields to_timestamp/to_date read.
type parsedTime struct {
	year, month, day             int
	hour, min, sec, usec         int
	pm, havePM                   bool
	doy                          int
	haveYear, haveMonth, haveDay bool
}

func badValue(v, field string) error {
	return errorf(CodeInvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", v, field)
}

// parseByFormat reads s by the to_char template pat (PostgreSQL's
// to_timestamp rules, non-FX mode): numeric fields take up to their width
// of digits (YYYY more when followed by a separator), names match
// case-insensitively, template separators skip one input separator,
// spaces are skipped before fields.
func parseByFormat(s, pat string) (parsedTime, error) {
	pt := parsedTime{year: 1, month: 1, day: 1}
	lower := strings.ToLower(pat)
	i := 0 // into s
	skipSpaces := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	readNum := func(width int, field string, greedy bool) (int, error) {
		skipSpaces()
		start := i
		neg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') && field == "YYYY" {
			neg = s[i] == '-'
			i++
		}
		ds := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' && (greedy || i-ds < width) {
			i++
		}
		if i == ds {
			rest := s[start:]
			if len(rest) > width {
				rest = rest[:width]
			}
			if rest == "" {
				return 0, errorf(CodeInvalidDatetimeFormat, "source string too short for \"%s\" formatting field", field)
			}
			return 0, badValue(rest, field)
		}
		v := 0
		for _, c := range s[ds:i] {
			v = v*10 + int(c-'0')
			if v > 1e9 {
				return 0, errorf(CodeDatetimeOverflow, "value for \"%s\" in source string is out of range", field)
			}
		}
		if neg {
			v = -v
		}
		return v, nil
	}
	readName := func(names []string, short bool, field string) (int, error) {
		skipSpaces()
		ls := strings.ToLower(s[i:])
		for k, n := range names {
			cand := strings.ToLower(n)
			if short {
				cand = cand[:3]
			}
			if strings.HasPrefix(ls, cand) {
				i += len(cand)
				return k, nil
			}
		}
		rest := s[i:]
		if len(rest) > 9 {
			rest = rest[:9]
		}
		return 0, badValue(rest, field)
	}
	for p := 0; p < len(pat); {
		if strings.HasPrefix(lower[p:], "fm") {
			p += 2
			continue
		}
		if pat[p] == '"' {
			p++
			for p < len(pat) && pat[p] != '"' {
				if i < len(s) {
					i++
				}
				p++
			}
			p++
			continue
		}
		kw := ""
		for _, k := range dchKeywords {
			if strings.HasPrefix(lower[p:], k) {
				kw = k
				break
			}
		}
		if kw == "" {
			// A template separator consumes one input separator.
			if i < len(s) && !isASCIIAlnum(rune(s[i])) {
				i++
			}
			p++
			continue
		}
		field := strings.ToUpper(kw)
		p += len(kw)
		nextIsDigitField := p < len(pat) && (lower[p] == 'm' || lower[p] == 'd' || lower[p] == 'h' || lower[p] == 's' || lower[p] == 'y')
		var err error
		switch kw {
		case "yyyy", "iyyy":
			pt.year, err = readNum(4, "YYYY", !nextIsDigitField)
			pt.haveYear = true
		case "yyy":
			pt.year, err = readNum(3, field, false)
			pt.year += 2000
			pt.haveYear = true
		case "yy":
			var y int
			y, err = readNum(2, field, false)
			if y < 70 {
				pt.year = 2000 + y
			} else {
				pt.year = 1900 + y
			}
			pt.haveYear = true
		case "mm":
			pt.month, err = readNum(2, field, false)
			pt.haveMonth = true
		case "month", "mon":
			var m int
			m, err = readName(monthNames, kw == "mon", field)
			pt.month = m + 1
			pt.haveMonth = true
		case "day", "dy":
			_, err = readName(dayNames, kw == "dy", field)
		case "dd":
			pt.day, err = readNum(2, field, false)
			pt.haveDay = true
		case "ddd":
			pt.doy, err = readNum(3, field, false)
		case "hh", "hh12":
			pt.hour, err = readNum(2, field, false)
			if err == nil && (pt.hour < 1 || pt.hour > 12) {
				return pt, errorf(CodeDatetimeOverflow, "hour \"%d\" is invalid for the 12-hour clock", pt.hour)
			}
		case "hh24":
			pt.hour, err = readNum(2, field, false)
		case "mi":
			pt.min, err = readNum(2, field, false)
		case "ss":
			pt.sec, err = readNum(2, field, false)
		case "ms":
			var v int
			ds := i
			v, err = readNum(3, field, false)
			for k := i - ds; k < 3; k++ {
				v *= 10
			}
			pt.usec = v * 1000
		case "us":
			var v int
			ds := i
			v, err = readNum(6, field, false)
			for k := i - ds; k < 6; k++ {
				v *= 10
			}
			pt.usec = v
		case "am", "pm", "a.m.", "p.m.":
			skipSpaces()
			ls := strings.ToLower(s[i:])
			switch {
			case strings.HasPrefix(ls, "am"), strings.HasPrefix(ls, "pm"):
				pt.pm = ls[0] == 'p'
				i += 2
			case strings.HasPrefix(ls, "a.m."), strings.HasPrefix(ls, "p.m."):
				pt.pm = ls[0] == 'p'
				i += 4
			default:
				return pt, badValue(s[i:min(i+2, len(s))], field)
			}
			pt.havePM = true
		case "tz", "tzh", "tzm", "of":
			return pt, errorf(CodeFeatureNotSupported, "formatting field \"%s\" is only supported in to_char", field)
		default:
			return pt, errorf(CodeFeatureNotSupported, "formatting field \"%s\" is not supported in to_timestamp", field)
		}
		if err != nil {
			return pt, err
		}
	}
	if pt.havePM {
		if pt.hour > 12 || pt.hour < 1 {
			return pt, errorf(CodeDatetimeOverflow, "hour \"%d\" is invalid for the 12-hour clock", pt.hour)
		}
		if pt.pm && pt.hour < 12 {
			pt.hour += 12
		} else if !pt.pm && pt.hour == 12 {
			pt.hour = 0
		}
	}
	return pt, nil
}

func (pt parsedTime) micros() (int64, error) {
	y := pt.year
	if y < 0 {
		y++ // BC
	}
	days := int64(0)
	if pt.doy > 0 && !pt.haveMonth && !pt.haveDay {
		days = daysFromCivil(y, 1, 1) + int64(pt.doy) - 1
	} else {
		if pt.month < 1 || pt.month > 12 || pt.day < 1 || pt.day > daysInMonth(y, pt.month) {
			return 0, errorf(CodeDatetimeOverflow, "date/time field value out of range")
		}
		days = daysFromCivil(y, pt.month, pt.day)
	}
	if pt.hour > 24 || pt.min > 59 || pt.sec > 60 {
		return 0, errorf(CodeDatetimeOverflow, "date/time field value out of range")
	}
	return days*usPerDay + int64(pt.hour)*usPerHour + int64(pt.min)*usPerMin + int64(pt.sec)*usPerSec + int64(pt.usec), nil
}

func init() {
	T := types.String
	def("to_timestamp", types.TimestampTZ, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		pt, err := parseByFormat(str(a[0]), str(a[1]))
		if err != nil {
			return nil, err
		}
		us, err := pt.micros()
		if err != nil {
			return nil, err
		}
		if _, err := checkTS(us); err != nil {
			return nil, err
		}
		u, err := fromLocal(ctx, us)
		return types.DTimestampTZ(u), err
	}, T, T).stable()
	def("to_date", types.Date, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		pt, err := parseByFormat(str(a[0]), str(a[1]))
		if err != nil {
			return nil, err
		}
		pt.hour, pt.min, pt.sec, pt.usec = 0, 0, 0, 0
		us, err := pt.micros()
		if err != nil {
			return nil, err
		}
		return dateRes(floorDiv(us, usPerDay))
	}, T, T).stable()
}
