package session

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/tesseradb/tessera/sql/pgerr"
)

// durationUnits are PostgreSQL's time units for settings whose base unit
// is the millisecond (statement_timeout), largest first.
var durationUnits = []struct {
	name string
	ms   float64
}{{"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}, {"ms", 1}, {"us", 0.001}}

// parseMillis parses a millisecond setting as PostgreSQL does: a number
// (milliseconds) or a number with a unit (us, ms, s, min, h, d; fractions
// allowed, rounded to the nearest millisecond). It returns the value and
// PostgreSQL's display form (the largest unit that divides it: "3s",
// "1500ms", "0").
func parseMillis(name, v string) (int64, string, error) {
	s := strings.TrimSpace(v)
	bad := func(hint string) error {
		return pgerr.New(pgerr.InvalidParameter, "invalid value for parameter \"%s\": \"%s\"%s", name, v, hint)
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || (i == 0 && (s[i] == '-' || s[i] == '+'))) {
		i++
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, "", bad("")
	}
	scale := 1.0
	if unit != "" {
		found := false
		for _, u := range durationUnits {
			if u.name == unit {
				scale, found = u.ms, true
				break
			}
		}
		if !found {
			return 0, "", bad(` (valid units for this parameter are "us", "ms", "s", "min", "h", and "d")`)
		}
	}
	ms := f * scale
	if ms < 0 || ms > 2147483647 {
		return 0, "", pgerr.New(pgerr.InvalidParameter, "%s ms is outside the valid range for parameter \"%s\" (0 .. 2147483647)", strconv.FormatFloat(ms, 'f', -1, 64), name)
	}
	n := int64(ms + 0.5)
	return n, formatMillis(n), nil
}

// formatMillis is PostgreSQL's display of a millisecond setting.
func formatMillis(n int64) string {
	if n == 0 {
		return "0"
	}
	for _, u := range durationUnits[:5] {
		if m := int64(u.ms); n%m == 0 {
			return strconv.FormatInt(n/m, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "ms"
}

// canceled is the error of a statement whose context ended: PostgreSQL's
// 57014 with its message for a statement timeout or a cancel request.
func canceled(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return pgerr.New(pgerr.QueryCanceled, "canceling statement due to statement timeout")
	}
	return pgerr.New(pgerr.QueryCanceled, "canceling statement due to user request")
}
