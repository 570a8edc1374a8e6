package sem

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

// pgEpochUnix is 2000-01-01 in Unix seconds.
const pgEpochUnix = 946684800

// fields is a broken-down wall-clock time.
type fields struct {
	year, month, day int
	hour, min, sec   int
	usec             int // 0..999999
	days             int64
}

func breakDown(us int64) fields {
	day := floorDiv(us, usPerDay)
	tod := us - day*usPerDay
	y, m, d := civil(day)
	return fields{year: y, month: m, day: d, days: day,
		hour: int(tod / usPerHour), min: int(tod / usPerMin % 60), sec: int(tod / usPerSec % 60), usec: int(tod % usPerSec)}
}

func (f fields) micros() int64 {
	return daysFromCivil(f.year, f.month, f.day)*usPerDay + int64(f.hour)*usPerHour + int64(f.min)*usPerMin +
		int64(f.sec)*usPerSec + int64(f.usec)
}

// isoWeek returns the ISO year and week of a date (days since 2000-01-01).
func isoWeek(days int64) (year, week int) {
	t := time.Unix((days*86400)+pgEpochUnix, 0).UTC()
	return t.ISOWeek()
}

// dow is 0 = Sunday .. 6 for days since 2000-01-01 (a Saturday).
func dow(days int64) int {
	return int(((days+6)%7 + 7) % 7)
}

func (ctx *EvalContext) txnTime() time.Time {
	if ctx != nil && !ctx.TxnTimestamp.IsZero() {
		return ctx.TxnTimestamp
	}
	return time.Now()
}

func (ctx *EvalContext) stmtTime() time.Time {
	if ctx != nil && !ctx.StmtTimestamp.IsZero() {
		return ctx.StmtTimestamp
	}
	return ctx.txnTime()
}

// TimestampTZOf converts a Go time to a TIMESTAMPTZ datum.
func TimestampTZOf(t time.Time) types.DTimestampTZ {
	return types.DTimestampTZ((t.Unix()-pgEpochUnix)*usPerSec + int64(t.Nanosecond()/1000))
}

func unitErr(unit string, t *types.T) error {
	return errorf(CodeInvalidParameterValue, "unit \"%s\" not recognized for type %s", unit, t.SQLName())
}

func unsupportedUnit(unit string, t *types.T) error {
	return errorf(CodeFeatureNotSupported, "unit \"%s\" not supported for type %s", unit, t.SQLName())
}

// normUnit maps the unit aliases PostgreSQL accepts.
func normUnit(u string) string {
	u = strings.TrimSpace(asciiLower(u))
	switch u {
	case "microsecond", "microseconds", "us", "usec", "usecs", "useconds":
		return "microseconds"
	case "millisecond", "milliseconds", "ms", "msec", "msecs", "mseconds":
		return "milliseconds"
	case "second", "seconds", "s", "sec", "secs":
		return "second"
	case "minute", "minutes", "m", "min", "mins":
		return "minute"
	case "hour", "hours", "h", "hr", "hrs":
		return "hour"
	case "day", "days", "d":
		return "day"
	case "week", "weeks", "w":
		return "week"
	case "month", "months", "mon", "mons":
		return "month"
	case "quarter", "qtr":
		return "quarter"
	case "year", "years", "y", "yr", "yrs":
		return "year"
	case "decade", "decades", "dec", "decs":
		return "decade"
	case "century", "centuries", "c", "cent":
		return "century"
	case "millennium", "millennia", "mil", "mils", "millenniums":
		return "millennium"
	}
	return u
}

// truncFields truncates a broken-down time to unit; ok=false for an
// unknown unit.
func truncFields(f fields, unit string) (fields, bool) {
	switch unit {
	case "millennium":
		if f.year > 0 {
			f.year = ((f.year+999)/1000)*1000 - 999
		} else {
			f.year = -((999-(f.year-1))/1000)*1000 + 1
		}
		f.month, f.day = 1, 1
	case "century":
		if f.year > 0 {
			f.year = ((f.year+99)/100)*100 - 99
		} else {
			f.year = -((99-(f.year-1))/100)*100 + 1
		}
		f.month, f.day = 1, 1
	case "decade":
		if f.year > 0 {
			f.year = (f.year / 10) * 10
		} else {
			f.year = -((8-(f.year-1))/10)*10 + 1
		}
		f.month, f.day = 1, 1
	case "year":
		f.month, f.day = 1, 1
	case "quarter":
		f.month, f.day = 3*((f.month-1)/3)+1, 1
	case "month":
		f.day = 1
	case "week":
		d := f.days - int64((dow(f.days)+6)%7)
		f.year, f.month, f.day = civil(d)
	case "day", "hour", "minute", "second", "milliseconds", "microseconds":
	default:
		return f, false
	}
	switch unit {
	case "microseconds":
		return f, true
	case "milliseconds":
		f.usec = (f.usec / 1000) * 1000
		return f, true
	case "second":
		f.usec = 0
		return f, true
	case "minute":
		f.sec, f.usec = 0, 0
		return f, true
	case "hour":
		f.min, f.sec, f.usec = 0, 0, 0
		return f, true
	}
	f.hour, f.min, f.sec, f.usec = 0, 0, 0, 0
	return f, true
}

func dateTruncTS(unit string, ts int64, t *types.T) (int64, error) {
	u := normUnit(unit)
	if isInfTS(ts) {
		if _, ok := truncFields(fields{year: 2000, month: 1, day: 1}, u); !ok {
			return 0, unitErr(unit, t)
		}
		return ts, nil
	}
	f, ok := truncFields(breakDown(ts), u)
	if !ok {
		return 0, unitErr(unit, t)
	}
	return f.micros(), nil
}

func dateTruncTZ(ctx *EvalContext, unit string, ts int64) (types.Datum, error) {
	if isInfTS(ts) {
		return types.DTimestampTZ(ts), nil
	}
	local, err := toLocal(ctx, ts)
	if err != nil {
		return nil, err
	}
	tl, err := dateTruncTS(unit, local, types.TimestampTZ)
	if err != nil {
		return nil, err
	}
	switch normUnit(unit) {
	case "microseconds", "milliseconds", "second", "minute", "hour":
		// Keep the original zone offset (no re-resolution), as PostgreSQL.
		return types.DTimestampTZ(ts - (local - tl)), nil
	}
	r, err := fromLocal(ctx, tl)
	if err != nil {
		return nil, err
	}
	return types.DTimestampTZ(r), nil
}

func dateTruncInterval(unit string, iv types.DInterval) (types.Datum, error) {
	u := normUnit(unit)
	years, months := iv.Months/12, iv.Months%12
	days := iv.Days
	us := iv.Micros
	hour := us / usPerHour
	rest := us - hour*usPerHour
	minute := rest / usPerMin
	rest -= minute * usPerMin
	sec := rest / usPerSec
	frac := rest - sec*usPerSec
	switch u {
	case "millennium":
		return types.DInterval{Months: (years / 1000) * 1000 * 12}, nil
	case "century":
		return types.DInterval{Months: (years / 100) * 100 * 12}, nil
	case "decade":
		return types.DInterval{Months: (years / 10) * 10 * 12}, nil
	case "year":
		return types.DInterval{Months: years * 12}, nil
	case "quarter":
		return types.DInterval{Months: years*12 + 3*(months/3)}, nil
	case "month":
		return types.DInterval{Months: iv.Months}, nil
	case "day":
		return types.DInterval{Months: iv.Months, Days: days}, nil
	case "hour":
		return types.DInterval{Months: iv.Months, Days: days, Micros: hour * usPerHour}, nil
	case "minute":
		return types.DInterval{Months: iv.Months, Days: days, Micros: hour*usPerHour + minute*usPerMin}, nil
	case "second":
		return types.DInterval{Months: iv.Months, Days: days, Micros: us - frac}, nil
	case "milliseconds":
		return types.DInterval{Months: iv.Months, Days: days, Micros: us - frac%1000}, nil
	case "microseconds":
		return iv, nil
	case "week":
		return nil, errorf(CodeFeatureNotSupported, "interval units \"%s\" not supported because months usually have fractional weeks", unit)
	}
	return nil, unitErr(unit, types.Interval)
}

func scaled(v int64, scale int) *types.DDecimal {
	return newDec(apd.New(v, int32(-scale)))
}

func decInt(v int64) *types.DDecimal { return newDec(apd.New(v, 0)) }

// extractTS is EXTRACT(unit FROM timestamp[tz]) as numeric; for
// TIMESTAMPTZ, ts is the local time and utc/off the instant and offset.
func extractTS(unit string, ts int64, t *types.T, utc int64, offSecs int64) (types.Datum, error) {
	u := normUnit(unit)
	if isInfTS(ts) {
		switch u {
		case "epoch", "year", "decade", "century", "millennium", "julian", "isoyear":
			return decInf(ts < 0), nil
		}
		return types.Null, nil
	}
	f := breakDown(ts)
	secUs := int64(f.sec)*usPerSec + int64(f.usec)
	year := f.year
	if year <= 0 {
		year-- // no year 0: 1 BC is -1
	}
	switch u {
	case "microseconds":
		return decInt(secUs), nil
	case "milliseconds":
		return scaled(secUs, 3), nil
	case "second":
		return scaled(secUs, 6), nil
	case "minute":
		return decInt(int64(f.min)), nil
	case "hour":
		return decInt(int64(f.hour)), nil
	case "day":
		return decInt(int64(f.day)), nil
	case "month":
		return decInt(int64(f.month)), nil
	case "quarter":
		return decInt(int64((f.month-1)/3 + 1)), nil
	case "week":
		_, w := isoWeek(f.days)
		return decInt(int64(w)), nil
	case "year":
		return decInt(int64(year)), nil
	case "decade":
		if f.year > 0 {
			return decInt(int64(f.year / 10)), nil
		}
		return decInt(int64(-((8 - (f.year - 1)) / 10))), nil
	case "century":
		if f.year > 0 {
			return decInt(int64((f.year + 99) / 100)), nil
		}
		return decInt(int64(-((99 - (f.year - 1)) / 100))), nil
	case "millennium":
		if f.year > 0 {
			return decInt(int64((f.year + 999) / 1000)), nil
		}
		return decInt(int64(-((999 - (f.year - 1)) / 1000))), nil
	case "dow":
		return decInt(int64(dow(f.days))), nil
	case "isodow":
		d := dow(f.days)
		if d == 0 {
			d = 7
		}
		return decInt(int64(d)), nil
	case "doy":
		return decInt(f.days - daysFromCivil(f.year, 1, 1) + 1), nil
	case "isoyear":
		y, _ := isoWeek(f.days)
		if y <= 0 {
			y--
		}
		return decInt(int64(y)), nil
	case "epoch":
		return scaled(utc+pgEpochUnix*usPerSec, 6), nil
	case "julian":
		// Julian day plus the fraction of the day.
		jd := f.days + 2451545
		tod := ts - f.days*usPerDay
		frac, err := numDiv(apd.New(tod, 0), apd.New(usPerDay, 0))
		if err != nil {
			return nil, err
		}
		return numAdd(apd.New(jd, 0), decOf(frac), false)
	case "timezone":
		if t.Family == types.TimestampTZFamily {
			return decInt(offSecs), nil
		}
	case "timezone_hour":
		if t.Family == types.TimestampTZFamily {
			return decInt(offSecs / 3600), nil
		}
	case "timezone_minute":
		if t.Family == types.TimestampTZFamily {
			return decInt((offSecs / 60) % 60), nil
		}
	default:
		return nil, unitErr(unit, t)
	}
	return nil, unsupportedUnit(unit, t)
}

func extractDate(unit string, d types.DDate) (types.Datum, error) {
	u := normUnit(unit)
	switch u {
	case "microseconds", "milliseconds", "second", "minute", "hour", "timezone", "timezone_hour", "timezone_minute":
		return nil, unsupportedUnit(unit, types.Date)
	}
	if dateIsInf(d) {
		switch u {
		case "epoch", "year", "decade", "century", "millennium", "julian", "isoyear":
			return decInf(d < 0), nil
		case "day", "month", "quarter", "week", "dow", "isodow", "doy":
			return types.Null, nil
		}
		return nil, unitErr(unit, types.Date)
	}
	switch u {
	case "epoch":
		return decInt(int64(d)*86400 + pgEpochUnix), nil
	case "julian":
		return decInt(int64(d) + 2451545), nil
	}
	r, err := extractTS(unit, int64(d)*usPerDay, types.Date, 0, 0)
	if err != nil {
		if te, ok := err.(*types.Error); ok && te.Code == CodeInvalidParameterValue {
			return nil, unitErr(unit, types.Date)
		}
		return nil, err
	}
	return r, nil
}

func extractTime(unit string, t types.DTime) (types.Datum, error) {
	us := int64(t)
	switch normUnit(unit) {
	case "microseconds":
		return decInt(us % usPerMin), nil
	case "milliseconds":
		return scaled(us%usPerMin, 3), nil
	case "second":
		return scaled(us%usPerMin, 6), nil
	case "minute":
		return decInt(us / usPerMin % 60), nil
	case "hour":
		return decInt(us / usPerHour), nil
	case "epoch":
		return scaled(us, 6), nil
	case "day", "month", "year", "quarter", "decade", "century", "millennium", "week", "dow", "doy", "isodow", "isoyear", "julian":
		return nil, unsupportedUnit(unit, types.Time)
	}
	return nil, unitErr(unit, types.Time)
}

func extractInterval(unit string, iv types.DInterval) (types.Datum, error) {
	us := iv.Micros
	switch normUnit(unit) {
	case "microseconds":
		return decInt(us % usPerMin), nil
	case "milliseconds":
		return scaled(us%usPerMin, 3), nil
	case "second":
		return scaled(us%usPerMin, 6), nil
	case "minute":
		return decInt(us / usPerMin % 60), nil
	case "hour":
		return decInt(us / usPerHour), nil
	case "day":
		return decInt(int64(iv.Days)), nil
	case "month":
		return decInt(int64(iv.Months % 12)), nil
	case "quarter":
		return decInt(int64((iv.Months%12)/3 + 1)), nil
	case "year":
		return decInt(int64(iv.Months / 12)), nil
	case "decade":
		return decInt(int64(iv.Months / 120)), nil
	case "century":
		return decInt(int64(iv.Months / 1200)), nil
	case "millennium":
		return decInt(int64(iv.Months / 12000)), nil
	case "epoch":
		secs := int64(31557600)*int64(iv.Months/12) + int64(30*86400)*int64(iv.Months%12) + 86400*int64(iv.Days)
		return scaled(secs*usPerSec+us, 6), nil
	case "week", "dow", "doy", "isodow", "isoyear", "julian", "timezone", "timezone_hour", "timezone_minute":
		return nil, unsupportedUnit(unit, types.Interval)
	}
	return nil, unitErr(unit, types.Interval)
}

func toFloatDatum(d types.Datum, err error) (types.Datum, error) {
	if err != nil || types.IsNull(d) {
		return d, err
	}
	return types.DFloat(decToFloat(decOf(d))), nil
}

// tzOffset returns the session zone's UTC offset in seconds at ts (UTC
// micros).
func tzOffset(ctx *EvalContext, ts int64) int64 {
	_, off := time.Unix(floorDiv(ts, usPerSec)+pgEpochUnix, 0).In(ctx.Loc()).Zone()
	return int64(off)
}

// age is timestamp_age over broken-down wall-clock times.
func age(t1, t2 int64) (types.Datum, error) {
	if isInfTS(t1) || isInfTS(t2) {
		return nil, errorf(CodeDatetimeOverflow, "interval out of range")
	}
	a, b := breakDown(t1), breakDown(t2)
	fsec := a.usec - b.usec
	sec := a.sec - b.sec
	mn := a.min - b.min
	hr := a.hour - b.hour
	dd := a.day - b.day
	mo := a.month - b.month
	yr := a.year - b.year
	neg := t1 < t2
	if neg {
		fsec, sec, mn, hr, dd, mo, yr = -fsec, -sec, -mn, -hr, -dd, -mo, -yr
	}
	for fsec < 0 {
		fsec += usPerSec
		sec--
	}
	for sec < 0 {
		sec += 60
		mn--
	}
	for mn < 0 {
		mn += 60
		hr--
	}
	for hr < 0 {
		hr += 24
		dd--
	}
	for dd < 0 {
		if neg {
			dd += daysInMonth(a.year, a.month)
		} else {
			dd += daysInMonth(b.year, b.month)
		}
		mo--
	}
	for mo < 0 {
		mo += 12
		yr--
	}
	if neg {
		fsec, sec, mn, hr, dd, mo, yr = -fsec, -sec, -mn, -hr, -dd, -mo, -yr
	}
	return types.DInterval{Months: int32(yr*12 + mo), Days: int32(dd),
		Micros: int64(hr)*usPerHour + int64(mn)*usPerMin + int64(sec)*usPerSec + int64(fsec)}, nil
}

func currentDate(ctx *EvalContext) types.DDate {
	local, _ := toLocal(ctx, int64(TimestampTZOf(ctx.txnTime())))
	return types.DDate(floorDiv(local, usPerDay))
}

func init() {
	T, TS, TZ, D, IV, TM, F8, N, I4, B := types.String, types.Timestamp, types.TimestampTZ, types.Date,
		types.Interval, types.Time, types.Float8, types.Numeric, types.Int4, types.Bool
	now := func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) { return TimestampTZOf(ctx.txnTime()), nil }
	for _, n := range []string{"now", "current_timestamp", "transaction_timestamp"} {
		def(n, TZ, now).stable()
	}
	def("statement_timestamp", TZ, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		return TimestampTZOf(ctx.stmtTime()), nil
	}).stable()
	def("clock_timestamp", TZ, func(_ *EvalContext, _ []types.Datum) (types.Datum, error) {
		return TimestampTZOf(time.Now()), nil
	}).volatile()
	def("timeofday", T, func(_ *EvalContext, _ []types.Datum) (types.Datum, error) {
		return dstr(time.Now().Format("Mon Jan 02 15:04:05.000000 2006 MST")), nil
	}).volatile()
	def("localtimestamp", TS, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		l, err := toLocal(ctx, int64(TimestampTZOf(ctx.txnTime())))
		return types.DTimestamp(l), err
	}).stable()
	def("current_date", D, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		return currentDate(ctx), nil
	}).stable()
	localTime := func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		l, err := toLocal(ctx, int64(TimestampTZOf(ctx.txnTime())))
		return types.DTime(l - floorDiv(l, usPerDay)*usPerDay), err
	}
	// CURRENT_TIME is timetz in PostgreSQL; without timetz it is the local time.
	def("localtime", TM, localTime).stable()
	def("current_time", TM, localTime).stable()
	// CURRENT_TIMESTAMP(p), LOCALTIMESTAMP(p), CURRENT_TIME(p),
	// LOCALTIME(p): rounded to p fractional digits (above 6: 6)
	withPrecision := func(what string, f fnImpl, wrap func(int64) types.Datum, unwrap func(types.Datum) int64) fnImpl {
		return func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			p := int64(a[0].(types.DInt))
			if p < 0 {
				return nil, errorf(CodeInvalidParameterValue, "%s(%d) precision must not be negative", what, p)
			}
			v, err := f(ctx, nil)
			if err != nil {
				return nil, err
			}
			return wrap(types.RoundMicros(unwrap(v), int(min(p, 6)))), nil
		}
	}
	tz := func(us int64) types.Datum { return types.DTimestampTZ(us) }
	ts := func(us int64) types.Datum { return types.DTimestamp(us) }
	tm := func(us int64) types.Datum { return types.DTime(us % usPerDay) }
	def("current_timestamp", TZ, withPrecision("TIMESTAMP", now, tz, func(d types.Datum) int64 { return int64(d.(types.DTimestampTZ)) }), I4).stable()
	def("localtimestamp", TS, withPrecision("TIMESTAMP", func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		l, err := toLocal(ctx, int64(TimestampTZOf(ctx.txnTime())))
		return types.DTimestamp(l), err
	}, ts, func(d types.Datum) int64 { return int64(d.(types.DTimestamp)) }), I4).stable()
	for _, n := range []string{"localtime", "current_time"} {
		def(n, TM, withPrecision("TIME", localTime, tm, func(d types.Datum) int64 { return int64(d.(types.DTime)) }), I4).stable()
	}
	def("date_trunc", TS, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		r, err := dateTruncTS(str(a[0]), int64(a[1].(types.DTimestamp)), TS)
		return types.DTimestamp(r), err
	}, T, TS)
	def("date_trunc", TZ, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		return dateTruncTZ(ctx, str(a[0]), int64(a[1].(types.DTimestampTZ)))
	}, T, TZ).stable()
	// date_trunc(unit, timestamptz, zone): truncated in that zone.
	def("date_trunc", TZ, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		loc, err := loadZone(str(a[2]))
		if err != nil {
			return nil, err
		}
		zc := EvalContext{Location: loc}
		if ctx != nil {
			zc = *ctx
			zc.Location = loc
		}
		return dateTruncTZ(&zc, str(a[0]), int64(a[1].(types.DTimestampTZ)))
	}, T, TZ, T)
	def("date_trunc", IV, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return dateTruncInterval(str(a[0]), a[1].(types.DInterval))
	}, T, IV)
	extractTSFn := func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		ts := int64(a[1].(types.DTimestamp))
		return extractTS(str(a[0]), ts, TS, ts, 0)
	}
	extractTZFn := func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		ts := int64(a[1].(types.DTimestampTZ))
		if isInfTS(ts) {
			return extractTS(str(a[0]), ts, TZ, ts, 0)
		}
		local, err := toLocal(ctx, ts)
		if err != nil {
			return nil, err
		}
		return extractTS(str(a[0]), local, TZ, ts, tzOffset(ctx, ts))
	}
	extractDateFn := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return extractDate(str(a[0]), a[1].(types.DDate))
	}
	extractTimeFn := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return extractTime(str(a[0]), a[1].(types.DTime))
	}
	extractIVFn := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return extractInterval(str(a[0]), a[1].(types.DInterval))
	}
	def("extract", N, extractTSFn, T, TS)
	def("extract", N, extractTZFn, T, TZ).stable()
	def("extract", N, extractDateFn, T, D)
	def("extract", N, extractTimeFn, T, TM)
	def("extract", N, extractIVFn, T, IV)
	asFloat := func(f fnImpl) fnImpl {
		return func(ctx *EvalContext, a []types.Datum) (types.Datum, error) { return toFloatDatum(f(ctx, a)) }
	}
	def("date_part", F8, asFloat(extractTSFn), T, TS)
	def("date_part", F8, asFloat(extractTZFn), T, TZ).stable()
	def("date_part", F8, asFloat(func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		ts := dateToTS(a[1].(types.DDate))
		return extractTS(str(a[0]), ts, TS, ts, 0)
	}), T, D)
	def("date_part", F8, asFloat(extractTimeFn), T, TM)
	def("date_part", F8, asFloat(extractIVFn), T, IV)
	def("age", IV, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return age(int64(a[0].(types.DTimestamp)), int64(a[1].(types.DTimestamp)))
	}, TS, TS)
	def("age", IV, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		x, err := toLocal(ctx, int64(a[0].(types.DTimestampTZ)))
		if err != nil {
			return nil, err
		}
		y, err := toLocal(ctx, int64(a[1].(types.DTimestampTZ)))
		if err != nil {
			return nil, err
		}
		return age(x, y)
	}, TZ, TZ).stable()
	def("age", IV, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		return age(int64(currentDate(ctx))*usPerDay, int64(a[0].(types.DTimestamp)))
	}, TS).stable()
	def("age", IV, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		y, err := toLocal(ctx, int64(a[0].(types.DTimestampTZ)))
		if err != nil {
			return nil, err
		}
		return age(int64(currentDate(ctx))*usPerDay, y)
	}, TZ).stable()
	def("make_date", D, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		y, m, d := in(a[0]), in(a[1]), in(a[2])
		if y == 0 || m < 1 || m > 12 || d < 1 || y > 5874897 || y < -4713 || d > int64(daysInMonth(int(fixBC(y)), int(m))) {
			return nil, errorf(CodeDatetimeOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
		}
		return dateRes(daysFromCivil(int(fixBC(y)), int(m), int(d)))
	}, I4, I4, I4)
	def("make_time", TM, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		h, m, s := in(a[0]), in(a[1]), fl(a[2])
		if h < 0 || h > 24 || m < 0 || m > 59 || s < 0 || s > 60 || math.IsNaN(s) ||
			(h == 24 && (m > 0 || s > 0)) {
			return nil, errorf(CodeDatetimeOverflow, "time field value out of range: %d:%02d:%02g", h, m, s)
		}
		return types.DTime(h*usPerHour + m*usPerMin + int64(math.RoundToEven(s*1e6))), nil
	}, I4, I4, F8)
	def("make_timestamp", TS, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return makeTimestamp(a)
	}, I4, I4, I4, I4, I4, F8)
	def("make_timestamptz", TZ, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		ts, err := makeTimestamp(a)
		if err != nil {
			return nil, err
		}
		r, err := fromLocal(ctx, int64(ts.(types.DTimestamp)))
		return types.DTimestampTZ(r), err
	}, I4, I4, I4, I4, I4, F8).stable()
	// make_timestamptz(..., zone): the wall-clock time read in that zone.
	def("make_timestamptz", TZ, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		ts, err := makeTimestamp(a)
		if err != nil {
			return nil, err
		}
		// A numeric zone is an ISO offset here, east of Greenwich
		// positive ('+2' is UTC+2), as parse_sane_timezone reads it;
		// elsewhere (timezone(), SET TimeZone) it is POSIX, west positive.
		zone := strings.TrimSpace(str(a[6]))
		var loc *time.Location
		if off, ok := parseOffset(zone); ok && zone != "" && (zone[0] == '+' || zone[0] == '-' || zone[0] >= '0' && zone[0] <= '9') {
			loc = time.FixedZone(zone, off)
		} else if loc, err = loadZone(zone); err != nil {
			return nil, err
		}
		r, err := fromLocal(&EvalContext{Location: loc}, int64(ts.(types.DTimestamp)))
		return types.DTimestampTZ(r), err
	}, I4, I4, I4, I4, I4, F8, T)
	// date_bin(stride, source, origin): source rounded down to the start
	// of its stride-wide bin counted from origin (timestamp_bin).
	def("date_bin", TS, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		r, err := dateBin(a[0].(types.DInterval), int64(a[1].(types.DTimestamp)), int64(a[2].(types.DTimestamp)))
		return types.DTimestamp(r), err
	}, IV, TS, TS)
	def("date_bin", TZ, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		r, err := dateBin(a[0].(types.DInterval), int64(a[1].(types.DTimestampTZ)), int64(a[2].(types.DTimestampTZ)))
		return types.DTimestampTZ(r), err
	}, IV, TZ, TZ)
	makeInterval := func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		secs := fl(a[6])
		us := math.RoundToEven(secs * 1e6)
		if math.IsNaN(us) || math.IsInf(us, 0) {
			return nil, errIntervalRange
		}
		months := in(a[0])*12 + in(a[1])
		days := in(a[2])*7 + in(a[3])
		micros := in(a[4])*usPerHour + in(a[5])*usPerMin + int64(us)
		if months != int64(int32(months)) || days != int64(int32(days)) {
			return nil, errIntervalRange
		}
		return types.DInterval{Months: int32(months), Days: int32(days), Micros: micros}, nil
	}
	// make_interval(years, months, weeks, days, hours, mins, secs), each
	// defaulting to 0: the shorter calls pad with zeros
	miArgs := []*types.T{I4, I4, I4, I4, I4, I4, F8}
	for n := 0; n <= len(miArgs); n++ {
		n := n
		def("make_interval", IV, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
			full := make([]types.Datum, len(miArgs))
			copy(full, a[:n])
			for i := n; i < len(full); i++ {
				full[i] = types.DInt(0)
				if i == 6 {
					full[i] = types.DFloat(0)
				}
			}
			return makeInterval(ctx, full)
		}, miArgs[:n]...)
	}
	def("to_timestamp", TZ, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		f := fl(a[0])
		switch {
		case math.IsNaN(f):
			return nil, errorf(CodeDatetimeOverflow, "timestamp cannot be NaN")
		case math.IsInf(f, 1):
			return types.TimestampTZInfinity, nil
		case math.IsInf(f, -1):
			return types.TimestampTZNegInf, nil
		}
		us := math.RoundToEven((f - pgEpochUnix) * 1e6)
		if us < float64(minTimestamp) || us > float64(maxTimestamp) {
			return nil, errorf(CodeDatetimeOverflow, "timestamp out of range: \"%g\"", f)
		}
		return types.DTimestampTZ(int64(us)), nil
	}, F8)
	def("justify_hours", IV, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return justifyHours(a[0].(types.DInterval)), nil
	}, IV)
	def("justify_days", IV, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return justifyDays(a[0].(types.DInterval)), nil
	}, IV)
	def("justify_interval", IV, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		iv := a[0].(types.DInterval)
		// justify_interval: days from hours first, then months from days, then fix signs.
		days := iv.Micros / usPerDay
		iv.Micros -= days * usPerDay
		iv.Days += int32(days)
		months := iv.Days / 30
		iv.Days -= months * 30
		iv.Months += months
		if iv.Months > 0 && (iv.Days < 0 || (iv.Days == 0 && iv.Micros < 0)) {
			iv.Days += 30
			iv.Months--
		} else if iv.Months < 0 && (iv.Days > 0 || (iv.Days == 0 && iv.Micros > 0)) {
			iv.Days -= 30
			iv.Months++
		}
		if iv.Days > 0 && iv.Micros < 0 {
			iv.Micros += usPerDay
			iv.Days--
		} else if iv.Days < 0 && iv.Micros > 0 {
			iv.Micros -= usPerDay
			iv.Days++
		}
		return iv, nil
	}, IV)
	def("isfinite", B, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return types.DBool(!dateIsInf(a[0].(types.DDate))), nil
	}, D)
	def("isfinite", B, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return types.DBool(!isInfTS(int64(a[0].(types.DTimestamp)))), nil
	}, TS)
	def("isfinite", B, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return types.DBool(!isInfTS(int64(a[0].(types.DTimestampTZ)))), nil
	}, TZ)
	def("isfinite", B, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return types.DBool(true), nil }, IV)
	// timezone(zone, x) is x AT TIME ZONE zone.
	def("timezone", TS, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		loc, err := loadZone(str(a[0]))
		if err != nil {
			return nil, err
		}
		ts := int64(a[1].(types.DTimestampTZ))
		if isInfTS(ts) {
			return types.DTimestamp(ts), nil
		}
		l, err := toLocal(&EvalContext{Location: loc}, ts)
		return types.DTimestamp(l), err
	}, T, TZ)
	def("timezone", TZ, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		loc, err := loadZone(str(a[0]))
		if err != nil {
			return nil, err
		}
		ts := int64(a[1].(types.DTimestamp))
		if isInfTS(ts) {
			return types.DTimestampTZ(ts), nil
		}
		u, err := fromLocal(&EvalContext{Location: loc}, ts)
		return types.DTimestampTZ(u), err
	}, T, TS)
	def("to_char", T, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		ts := int64(a[0].(types.DTimestamp))
		if isInfTS(ts) {
			return types.Null, nil
		}
		return dstr(toCharTime(breakDown(ts), str(a[1]), false, 0, "")), nil
	}, TS, T)
	def("to_char", T, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		ts := int64(a[0].(types.DTimestampTZ))
		if isInfTS(ts) {
			return types.Null, nil
		}
		l, err := toLocal(ctx, ts)
		if err != nil {
			return nil, err
		}
		off := tzOffset(ctx, ts)
		abbr, _ := time.Unix(floorDiv(ts, usPerSec)+pgEpochUnix, 0).In(ctx.Loc()).Zone()
		return dstr(toCharTime(breakDown(l), str(a[1]), true, off, abbr)), nil
	}, TZ, T).stable()
	def("to_char", T, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		iv := a[0].(types.DInterval)
		f := fields{year: int(iv.Months / 12), month: int(iv.Months % 12), day: int(iv.Days),
			hour: int(iv.Micros / usPerHour), min: int(iv.Micros / usPerMin % 60), sec: int(iv.Micros / usPerSec % 60),
			usec: int(iv.Micros % usPerSec)}
		return dstr(toCharInterval(f, str(a[1]))), nil
	}, IV, T)
	for _, t := range []*types.T{types.Int4, types.Int8, types.Numeric, types.Float8, types.Float4} {
		t := t
		def("to_char", T, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return toCharNumber(t, a[0], str(a[1]))
		}, t, T)
	}
}

// dateBin is timestamp_bin and timestamptz_bin: an infinite source is
// returned as it is; the stride may hold no months and must be positive.
func dateBin(stride types.DInterval, ts, origin int64) (int64, error) {
	if isInfTS(ts) {
		return ts, nil
	}
	if isInfTS(origin) {
		return 0, errorf(CodeDatetimeOverflow, "origin out of range")
	}
	if stride.Months != 0 {
		return 0, errorf(CodeFeatureNotSupported, "timestamps cannot be binned into intervals containing months or years")
	}
	step := int64(stride.Days)*usPerDay + stride.Micros
	if step <= 0 {
		return 0, errorf(CodeDatetimeOverflow, "stride must be greater than zero")
	}
	diff := ts - origin
	if (ts < origin) != (diff < 0) {
		return 0, errorf(CodeDatetimeOverflow, "interval out of range")
	}
	delta := diff - diff%step
	// truncation toward zero: a source before the origin belongs to the
	// bin below
	if origin > ts && diff%step != 0 {
		delta -= step
	}
	return checkTS(origin + delta)
}

func fixBC(y int64) int64 {
	if y < 0 {
		return y + 1
	}
	return y
}

func makeTimestamp(a []types.Datum) (types.Datum, error) {
	y, mo, d, h, mi, s := in(a[0]), in(a[1]), in(a[2]), in(a[3]), in(a[4]), fl(a[5])
	if y == 0 || mo < 1 || mo > 12 || d < 1 || d > int64(daysInMonth(int(fixBC(y)), int(mo))) {
		return nil, errorf(CodeDatetimeOverflow, "date field value out of range: %d-%02d-%02d", y, mo, d)
	}
	if h < 0 || h > 24 || mi < 0 || mi > 59 || s < 0 || s > 60 || math.IsNaN(s) {
		return nil, errorf(CodeDatetimeOverflow, "time field value out of range: %d:%02d:%02g", h, mi, s)
	}
	us := daysFromCivil(int(fixBC(y)), int(mo), int(d))*usPerDay + h*usPerHour + mi*usPerMin + int64(math.RoundToEven(s*1e6))
	v, err := checkTS(us)
	return types.DTimestamp(v), err
}

// zoneAbbrevs are the time zone abbreviations of PostgreSQL's Default
// set (pg_timezone_abbrevs) that applications use most, as seconds east of
// UTC. A zone argument (AT TIME ZONE, timezone(), date_trunc's third,
// make_timestamptz's seventh) is looked up here before the zone database,
// as PostgreSQL does: 'CET' is the fixed +01, not the zone with summer time.
var zoneAbbrevs = map[string]int{
	"acdt": 37800, "acst": 34200, "adt": -10800, "aedt": 39600, "aest": 36000, "akdt": -28800,
	"akst": -32400, "ast": -14400, "awst": 28800, "bst": 3600, "cdt": -18000, "cest": 7200,
	"cet": 3600, "cst": -21600, "edt": -14400, "eest": 10800, "eet": 7200, "est": -18000,
	"hkt": 28800, "hst": -36000, "ist": 7200, "jst": 32400, "kst": 32400, "mdt": -21600,
	"mest": 7200, "met": 3600, "msk": 10800, "mst": -25200, "ndt": -9000, "nst": -12600,
	"nzdt": 46800, "nzst": 43200, "pdt": -25200, "pst": -28800, "sgt": 28800, "wet": 0,
}

func loadZone(name string) (*time.Location, error) {
	n := strings.TrimSpace(name)
	switch l := asciiLower(n); l {
	case "utc", "gmt", "z", "zulu", "ut", "etc/utc":
		return time.UTC, nil
	default:
		if off, ok := zoneAbbrevs[l]; ok {
			return time.FixedZone(strings.ToUpper(l), off), nil
		}
	}
	if loc, err := time.LoadLocation(n); err == nil {
		return loc, nil
	}
	// POSIX-style numeric offsets: PostgreSQL reads '+05' as 5 hours WEST.
	if off, ok := parseOffset(n); ok {
		return time.FixedZone(n, -off), nil
	}
	return nil, errorf(CodeInvalidParameterValue, "time zone \"%s\" not recognized", name)
}

func parseOffset(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	sign := 1
	switch s[0] {
	case '+':
		s = s[1:]
	case '-':
		sign = -1
		s = s[1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, false
	}
	mult := []int{3600, 60, 1}
	total := 0
	for i, p := range parts {
		if p == "" || len(p) > 2 {
			return 0, false
		}
		v := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		total += v * mult[i]
	}
	return sign * total, true
}

func init() {
	// interval_qualify(text, qualifier) is INTERVAL 'text' qualifier (the
	// parser's form of it): a bare number counts in the qualifier's last
	// field, 'a:b' under MINUTE TO SECOND is minutes and seconds, and the
	// fields below the last one are dropped.
	T, IV := types.String, types.Interval
	def("interval_qualify", IV, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
		s := strings.TrimSpace(str(a[0]))
		fields := strings.Fields(str(a[1]))
		last := fields[len(fields)-1]
		if _, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE") {
			s += " " + last
		} else if len(fields) == 2 && fields[0] == "minute" && strings.Count(s, ":") == 1 && !strings.ContainsAny(s, " ") {
			s = "0:" + s
		}
		if y, m, ok := strings.Cut(s, "-"); ok && y != "" {
			// the SQL standard's 'Y-M'
			yi, err1 := strconv.Atoi(y)
			mi, err2 := strconv.Atoi(m)
			if err1 == nil && err2 == nil {
				s = strconv.Itoa(yi) + " years " + strconv.Itoa(mi) + " months"
			}
		}
		d, err := types.ParseText(types.Interval, s, ctx.Loc())
		if err != nil {
			return nil, err
		}
		return types.QualifyInterval(d.(types.DInterval), last, -1), nil
	}, T, T)
}
