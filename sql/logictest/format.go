package logictest

import (
	"crypto/md5"
	"encoding/hex"
	"math"
	"sort"
	"strconv"
	"strings"
)

// PostgreSQL type OIDs the formatter distinguishes.
const (
	oidBool    = 16
	oidInt8    = 20
	oidInt2    = 21
	oidInt4    = 23
	oidOID     = 26
	oidFloat4  = 700
	oidFloat8  = 701
	oidNumeric = 1700
)

// FormatValue renders one result value (text format, nil for NULL, with
// the column's type OID) as sqllogictest prints it for the type letter:
// NULL as "NULL"; 'I' as an integer (reals truncated toward zero, text by
// its leading integer as SQLite converts it, booleans 1/0); 'R' with three
// decimals; 'T' as text with the empty string as "(empty)" and bytes outside
// printable ASCII as '@'.
func FormatValue(typ byte, oid uint32, v []byte) string {
	if v == nil {
		return "NULL"
	}
	s := string(v)
	switch typ {
	case 'I':
		switch oid {
		case oidInt2, oidInt4, oidInt8, oidOID:
			return s
		case oidBool:
			return boolInt(s)
		case oidNumeric, oidFloat4, oidFloat8:
			return truncReal(s)
		}
		return strconv.FormatInt(leadingInt(s), 10)
	case 'R':
		var f float64
		switch oid {
		case oidBool:
			f, _ = strconv.ParseFloat(boolInt(s), 64)
		case oidInt2, oidInt4, oidInt8, oidOID, oidNumeric, oidFloat4, oidFloat8:
			f, _ = strconv.ParseFloat(s, 64)
		default:
			f = leadingFloat(s)
		}
		return strconv.FormatFloat(f, 'f', 3, 64)
	default:
		if s == "" {
			return "(empty)"
		}
		b := []byte(s)
		for i, c := range b {
			if c < ' ' || c > '~' {
				b[i] = '@'
			}
		}
		return string(b)
	}
}

func boolInt(s string) string {
	if s == "t" || s == "true" {
		return "1"
	}
	return "0"
}

// truncReal renders a numeric or float text value truncated toward zero.
func truncReal(s string) string {
	if strings.ContainsAny(s, "eEnN") { // exponent, NaN, Infinity
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) {
			return "0"
		}
		f = math.Trunc(f)
		if f >= math.MaxInt64 {
			return strconv.FormatInt(math.MaxInt64, 10)
		}
		if f <= math.MinInt64 {
			return strconv.FormatInt(math.MinInt64, 10)
		}
		return strconv.FormatInt(int64(f), 10)
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	if s == "-0" || s == "-" || s == "" {
		return "0"
	}
	return s
}

// leadingInt converts text as SQLite does: the longest integer prefix
// after leading spaces, 0 if there is none.
func leadingInt(s string) int64 {
	s = strings.TrimLeft(s, " \t\n")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// leadingFloat converts text as SQLite does: the longest real prefix.
func leadingFloat(s string) float64 {
	s = strings.TrimLeft(s, " \t\n")
	for end := len(s); end > 0; end-- {
		if f, err := strconv.ParseFloat(s[:end], 64); err == nil {
			return f
		}
	}
	return 0
}

// SortValues orders formatted values (row-major, ncol per row) by the
// sort mode, comparing values as byte strings like sqllogictest.
func SortValues(mode SortMode, ncol int, vals []string) {
	switch mode {
	case ValueSort:
		sort.Strings(vals)
	case RowSort:
		if ncol <= 0 || len(vals)%ncol != 0 {
			return
		}
		rows := make([][]string, len(vals)/ncol)
		for i := range rows {
			rows[i] = vals[i*ncol : (i+1)*ncol : (i+1)*ncol]
		}
		sorted := make([][]string, len(rows))
		copy(sorted, rows)
		sort.SliceStable(sorted, func(a, b int) bool {
			for c := 0; c < ncol; c++ {
				if sorted[a][c] != sorted[b][c] {
					return sorted[a][c] < sorted[b][c]
				}
			}
			return false
		})
		out := make([]string, 0, len(vals))
		for _, r := range sorted {
			out = append(out, r...)
		}
		copy(vals, out)
	}
}

// HashValues is sqllogictest's result hash: the MD5 of every value
// followed by a newline, in lower-case hex.
func HashValues(vals []string) string {
	h := md5.New()
	for _, v := range vals {
		h.Write([]byte(v))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}
