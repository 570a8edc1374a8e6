package sem

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	romanMonth = []string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}
)

// dchKeywords are to_char's date/time patterns, longest first where they
// share a prefix. Matching is case-insensitive; the case of the matched
// text decides capitalisation of names.
var dchKeywords = []string{
	"a.d.", "a.m.", "ad", "am", "b.c.", "bc", "cc", "day", "ddd", "dd", "dy", "d",
	"ff1", "ff2", "ff3", "ff4", "ff5", "ff6", "hh24", "hh12", "hh", "iddd", "id", "iw", "iyyy", "iyy", "iy", "i",
	"j", "mi", "mm", "month", "mon", "ms", "of", "p.m.", "pm", "q", "rm", "sssss", "ssss", "ss", "tzh", "tzm", "tz",
	"us", "ww", "w", "y,yyy", "yyyy", "yyy", "yy", "y",
}

func ordinal(n int) string {
	if n%100 >= 11 && n%100 <= 13 {
		return "th"
	}
	switch n % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

// caseLike renders name in the case pattern of the keyword as written:
// all upper, capitalised, or all lower.
func caseLike(written, name string) string {
	switch {
	case written == strings.ToUpper(written):
		return strings.ToUpper(name)
	case written[0] >= 'A' && written[0] <= 'Z':
		return name
	}
	return strings.ToLower(name)
}

func toCharTime(f fields, pat string, hasTZ bool, off int64, abbr string) string {
	var b strings.Builder
	lower := strings.ToLower(pat)
	year := f.year
	bc := year <= 0
	if bc {
		year = 1 - year
	}
	for i := 0; i < len(pat); {
		fm := false
		if strings.HasPrefix(lower[i:], "fm") {
			fm = true
			i += 2
		}
		if i < len(pat) && pat[i] == '"' {
			j := i + 1
			for j < len(pat) && pat[j] != '"' {
				if pat[j] == '\\' && j+1 < len(pat) {
					j++
				}
				b.WriteByte(pat[j])
				j++
			}
			i = j + 1
			continue
		}
		if i < len(pat) && pat[i] == '\\' && i+1 < len(pat) {
			b.WriteByte(pat[i+1])
			i += 2
			continue
		}
		kw := ""
		for _, k := range dchKeywords {
			if strings.HasPrefix(lower[i:], k) {
				kw = k
				break
			}
		}
		if kw == "" {
			if i < len(pat) {
				b.WriteByte(pat[i])
			}
			i++
			continue
		}
		written := pat[i : i+len(kw)]
		i += len(kw)
		th := ""
		if strings.HasPrefix(lower[i:], "th") {
			th = pat[i : i+2]
			i += 2
		}
		num := func(v, width int) {
			s := strconv.Itoa(v)
			if !fm && len(s) < width {
				s = strings.Repeat("0", width-len(s)) + s
			}
			if v < 0 && !fm {
				s = "-" + strings.Repeat("0", max(0, width-len(strconv.Itoa(-v)))) + strconv.Itoa(-v)
			}
			b.WriteString(s)
			if th != "" {
				o := ordinal(v)
				if th == "TH" {
					o = strings.ToUpper(o)
				}
				b.WriteString(o)
			}
		}
		name := func(n string, pad int) {
			s := caseLike(written, n)
			if !fm && len(s) < pad {
				s += strings.Repeat(" ", pad-len(s))
			}
			b.WriteString(s)
		}
		hour12 := f.hour % 12
		if hour12 == 0 {
			hour12 = 12
		}
		doy := int(f.days-daysFromCivil(f.year, 1, 1)) + 1
		isoY, isoW := isoWeek(f.days)
		switch kw {
		case "hh", "hh12":
			num(hour12, 2)
		case "hh24":
			num(f.hour, 2)
		case "mi":
			num(f.min, 2)
		case "ss":
			num(f.sec, 2)
		case "ms":
			num(f.usec/1000, 3)
		case "us":
			num(f.usec, 6)
		case "ff1", "ff2", "ff3", "ff4", "ff5", "ff6":
			n := int(kw[2] - '0')
			div := 1
			for k := n; k < 6; k++ {
				div *= 10
			}
			num(f.usec/div, n)
		case "ssss", "sssss":
			num(f.hour*3600+f.min*60+f.sec, 0)
		case "am", "pm":
			s := "AM"
			if f.hour >= 12 {
				s = "PM"
			}
			b.WriteString(caseLike(written, s))
		case "a.m.", "p.m.":
			s := "A.M."
			if f.hour >= 12 {
				s = "P.M."
			}
			b.WriteString(caseLike(written, s))
		case "ad", "bc":
			s := "AD"
			if bc {
				s = "BC"
			}
			b.WriteString(caseLike(written, s))
		case "a.d.", "b.c.":
			s := "A.D."
			if bc {
				s = "B.C."
			}
			b.WriteString(caseLike(written, s))
		case "y,yyy":
			b.WriteString(strconv.Itoa(year/1000) + "," + strconv.Itoa(year%1000 + 1000)[1:])
		case "yyyy":
			num(year, 4)
		case "yyy":
			num(year%1000, 3)
		case "yy":
			num(year%100, 2)
		case "y":
			num(year%10, 1)
		case "iyyy":
			num(isoY, 4)
		case "iyy":
			num(isoY%1000, 3)
		case "iy":
			num(isoY%100, 2)
		case "i":
			num(isoY%10, 1)
		case "month":
			name(monthNames[f.month-1], 9)
		case "mon":
			name(monthNames[f.month-1][:3], 3)
		case "mm":
			num(f.month, 2)
		case "rm":
			r := romanMonth[f.month-1]
			if written == "rm" {
				r = strings.ToLower(r)
			}
			if !fm {
				r += strings.Repeat(" ", 4-len(r))
			}
			b.WriteString(r)
		case "day":
			name(dayNames[dow(f.days)], 9)
		case "dy":
			name(dayNames[dow(f.days)][:3], 3)
		case "ddd":
			num(doy, 3)
		case "iddd":
			jan4 := daysFromCivil(isoY, 1, 4)
			start := jan4 - int64((dow(jan4)+6)%7)
			num(int(f.days-start)+1, 3)
		case "dd":
			num(f.day, 2)
		case "d":
			num(dow(f.days)+1, 1)
		case "id":
			d := dow(f.days)
			if d == 0 {
				d = 7
			}
			num(d, 1)
		case "w":
			num((f.day-1)/7+1, 1)
		case "ww":
			num((doy-1)/7+1, 2)
		case "iw":
			num(isoW, 2)
		case "q":
			num((f.month-1)/3+1, 1)
		case "cc":
			c := (year + 99) / 100
			if bc {
				c = -c
			}
			num(c, 2)
		case "j":
			num(int(f.days+2451545), 0)
		case "tz":
			if hasTZ {
				b.WriteString(caseLike(written, abbr))
			}
		case "tzh", "of", "tzm":
			if !hasTZ {
				break
			}
			sign := "+"
			o := off
			if o < 0 {
				sign, o = "-", -o
			}
			h, m := o/3600, (o%3600)/60
			switch kw {
			case "tzh":
				b.WriteString(sign + pad2(int(h)))
			case "tzm":
				b.WriteString(pad2(int(m)))
			default:
				b.WriteString(sign + pad2(int(h)))
				if m != 0 {
					b.WriteString(":" + pad2(int(m)))
				}
			}
		}
	}
	return b.String()
}

func pad2(v int) string {
	if v < 10 {
		return "0" + strconv.Itoa(v)
	}
	return strconv.Itoa(v)
}

func toCharInterval(f fields, pat string) string {
	// Intervals print their fields as counts: no day or month names
	// beyond what the pattern asks for from the broken-down values.
	f.days = daysFromCivil(2000, 1, 1)
	y, mo := f.year, f.month
	f.year, f.month = y, max(mo, 1)
	s := toCharTime(f, pat, false, 0, "")
	return s
}

// toCharNumber is to_char(number, pattern) for the common patterns: 9, 0,
// . D , G S MI PL SG FM; other patterns are rejected.
func toCharNumber(t *types.T, d types.Datum, pat string) (types.Datum, error) {
	var dec apd.Decimal
	switch v := d.(type) {
	case types.DInt:
		dec.SetInt64(int64(v))
	case *types.DDecimal:
		dec.Set(&v.Decimal)
	case types.DFloat:
		s := types.FormatText(t, v, nil)
		if _, _, err := dec.SetString(s); err != nil {
			return dstr(strings.Repeat("#", len(pat)+1)), nil
		}
	}
	lower := strings.ToLower(pat)
	if strings.Contains(lower, "eeee") {
		return toCharSci(d, lower)
	}
	if k := strings.Index(lower, "rn"); k >= 0 && strings.ReplaceAll(lower, "fm", "") == "rn" {
		return toCharRoman(&dec, pat[k] == 'r', strings.Contains(lower, "fm")), nil
	}
	if k := strings.IndexByte(lower, 'v'); k >= 0 {
		// V: the value times 10^(digits after V), those digits integer ones
		n := 0
		for _, c := range lower[k+1:] {
			if c == '9' || c == '0' {
				n++
			}
		}
		dec.Exponent += int32(n)
		pat, lower = pat[:k]+pat[k+1:], lower[:k]+lower[k+1:]
	}
	fm := strings.Contains(lower, "fm")
	pre, post := 0, 0
	seenPoint := false
	signMode := "" // "", "s", "mi", "pl", "sg"
	firstZero := -1
	for i := 0; i < len(lower); i++ {
		switch c := lower[i]; {
		case c == '9' || c == '0':
			if seenPoint {
				post++
			} else {
				if c == '0' && firstZero < 0 {
					firstZero = pre
				}
				pre++
			}
		case c == '.' || c == 'd':
			seenPoint = true
		case c == ',' || c == 'g' || c == ' ':
		case strings.HasPrefix(lower[i:], "fm"):
			i++
		case c == 's':
			signMode = "s"
		case strings.HasPrefix(lower[i:], "mi"), strings.HasPrefix(lower[i:], "pl"), strings.HasPrefix(lower[i:], "sg"):
			signMode = lower[i : i+2]
			i++
		case c == 'b' || c == 'c': // keywords PostgreSQL accepts and prints nothing for
		case strings.HasPrefix(lower[i:], "pr"):
			signMode = "pr"
			i++
		case strings.HasPrefix(lower[i:], "th"):
			i++
		case c == 'l':
		case strings.HasPrefix(lower[i:], "rn"), c == 'v':
			return nil, errorf(CodeFeatureNotSupported, "to_char pattern %q is not supported", pat)
		}
	}
	neg := dec.Negative && !dec.IsZero()
	if dec.Form != apd.Finite {
		return dstr(strings.Repeat("#", pre+post+1)), nil
	}
	r := roundScale(&dec, post)
	r.Negative = false
	txt := r.Text('f')
	intPart, frac := txt, ""
	if k := strings.IndexByte(txt, '.'); k >= 0 {
		intPart, frac = txt[:k], txt[k+1:]
	}
	if neg && r.IsZero() {
		neg = false
	}
	overflow := len(intPart) > pre && !(intPart == "0")
	if intPart == "0" {
		intPart = ""
	}
	if intPart == "" && post == 0 && pre > 0 {
		intPart = "0"
	}
	var b strings.Builder
	digit := 0 // integer digit positions consumed
	started := false
	signDone := signMode != "" && signMode != "pr"
	plus := false // an S before the digits: the sign, + or -, goes just before them
	emitSign := func() {
		if signDone {
			return
		}
		signDone = true
		switch {
		case neg && signMode == "pr":
			b.WriteByte('<')
		case neg:
			b.WriteByte('-')
		case plus:
			b.WriteByte('+')
		case !fm:
			b.WriteByte(' ')
		}
	}
	fracIdx := 0
	inFrac := false
	for i := 0; i < len(lower); i++ {
		c := lower[i]
		switch {
		case strings.HasPrefix(lower[i:], "fm"):
			i++
		case (c == '9' || c == '0') && !inFrac:
			pos := digit
			digit++
			lead := pre - len(intPart)
			if overflow {
				emitSign()
				b.WriteByte('#')
				continue
			}
			if pos < lead {
				if firstZero >= 0 && pos >= firstZero {
					emitSign()
					started = true
					b.WriteByte('0')
				} else if !fm {
					b.WriteByte(' ')
				}
				continue
			}
			emitSign()
			started = true
			b.WriteByte(intPart[pos-lead])
		case (c == '9' || c == '0') && inFrac:
			if overflow {
				b.WriteByte('#')
				continue
			}
			ch := byte('0')
			if fracIdx < len(frac) {
				ch = frac[fracIdx]
			}
			fracIdx++
			b.WriteByte(ch)
		case c == '.' || c == 'd':
			emitSign()
			inFrac = true
			b.WriteByte('.')
		case c == ',' || c == 'g':
			if started {
				b.WriteByte(',')
			} else if !fm {
				b.WriteByte(' ')
			}
		case c == 's' && !started && !inFrac:
			plus, signDone = true, false
		case c == 's':
			if neg {
				b.WriteByte('-')
			} else {
				b.WriteByte('+')
			}
		case strings.HasPrefix(lower[i:], "mi"):
			i++
			if neg {
				b.WriteByte('-')
			} else if !fm {
				b.WriteByte(' ')
			}
		case strings.HasPrefix(lower[i:], "pl"):
			i++
			if !neg {
				b.WriteByte('+')
			} else if !fm {
				b.WriteByte(' ')
			}
		case strings.HasPrefix(lower[i:], "sg"):
			i++
			if neg {
				b.WriteByte('-')
			} else {
				b.WriteByte('+')
			}
		case strings.HasPrefix(lower[i:], "pr"):
			i++
			if neg {
				b.WriteByte('>')
			} else if !fm {
				b.WriteByte(' ')
			}
		case strings.HasPrefix(lower[i:], "th"):
			// the ordinal suffix of a non-negative whole number
			if !overflow && !neg && post == 0 && r.Exponent >= 0 {
				v, err := r.Int64()
				if err == nil {
					o := ordinal(int(v % 100))
					if pat[i] == 'T' {
						o = strings.ToUpper(o)
					}
					b.WriteString(o)
				}
			}
			i++
		case c == 'l': // the currency symbol: none in the C locale
			b.WriteByte(' ')
		case c == 'b' || c == 'c':
		default:
			b.WriteByte(pat[i])
		}
	}
	out := b.String()
	if fm && post > 0 && !overflow {
		// Fill mode drops trailing zeros that '9' positions produced.
		k := strings.LastIndexByte(out, '.')
		if k >= 0 {
			end := len(out)
			tail := out[k+1:]
			trimmed := strings.TrimRight(tail, "0")
			// keep zeros requested by '0' positions
			zeros := 0
			fp := lower[strings.LastIndexAny(lower, ".d")+1:]
			for i := len(fp) - 1; i >= 0; i-- {
				if fp[i] == '0' {
					zeros = i + 1
					break
				}
			}
			if len(trimmed) < zeros {
				trimmed = tail[:zeros]
			}
			out = out[:k+1] + trimmed + out[end:]
		}
	}
	return dstr(out), nil
}

// toCharRoman is to_char(n, 'RN'): n rounded to a whole number in roman
// numerals, upper or lower case, right-aligned in 15 characters unless
// FM; 15 '#' outside 1..3999.
func toCharRoman(dec *apd.Decimal, lowerCase, fm bool) types.Datum {
	r := roundScale(dec, 0)
	v, err := r.Int64()
	if err != nil || v < 1 || v > 3999 {
		return dstr(strings.Repeat("#", 15))
	}
	var b strings.Builder
	for _, p := range []struct {
		n int64
		s string
	}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"},
		{10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for v >= p.n {
			b.WriteString(p.s)
			v -= p.n
		}
	}
	out := b.String()
	if lowerCase {
		out = strings.ToLower(out)
	}
	if !fm && len(out) < 15 {
		out = strings.Repeat(" ", 15-len(out)) + out
	}
	return dstr(out)
}

// toCharSci is to_char with EEEE: scientific notation with as many
// fraction digits as the pattern has after its point, a space or '-'
// first. A numeric's exponent is that of its leading digit before
// rounding (PostgreSQL's numeric_out_sci: 9.96 with 9.9EEEE is 10.0e+00);
// a float is printed as C's %e would.
func toCharSci(d types.Datum, lower string) (types.Datum, error) {
	post := 0
	seenPoint := false
	for i := 0; i < len(lower); i++ {
		switch c := lower[i]; {
		case c == '9' || c == '0':
			if seenPoint {
				post++
			}
		case c == '.' || c == 'd':
			seenPoint = true
		case strings.HasPrefix(lower[i:], "eeee"):
			i += 3
		default:
			return nil, errorf("42601", "\"EEEE\" is incompatible with other formats")
		}
	}
	var out string
	switch v := d.(type) {
	case types.DFloat:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return dstr(" #." + strings.Repeat("#", post+4)), nil
		}
		out = strconv.FormatFloat(f, 'e', post, 64)
	default:
		var dec apd.Decimal
		switch v := d.(type) {
		case types.DInt:
			dec.SetInt64(int64(v))
		case *types.DDecimal:
			dec.Set(&v.Decimal)
		}
		if dec.Form != apd.Finite {
			return dstr(" #." + strings.Repeat("#", post+4)), nil
		}
		neg := dec.Negative && !dec.IsZero()
		dec.Negative = false
		exp := 0
		if !dec.IsZero() {
			exp = int(dec.NumDigits()) + int(dec.Exponent) - 1
		}
		m := new(apd.Decimal)
		m.Set(&dec)
		m.Exponent -= int32(exp)
		r := roundScale(m, post)
		r.Negative = false
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		out = r.Text('f') + "e" + es + fmt.Sprintf("%02d", exp)
		if neg {
			out = "-" + out
		}
	}
	if !strings.HasPrefix(out, "-") {
		out = " " + out
	}
	return dstr(out), nil
}
