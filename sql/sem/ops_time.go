package sem

import (
	"math"

	"github.com/tesseradb/tessera/sql/types"
)

const (
	usPerSec  = 1_000_000
	usPerMin  = 60 * usPerSec
	usPerHour = 60 * usPerMin
	usPerDay  = types.MicrosPerDay
)

// daysFromCivil returns days since 2000-01-01 of a proleptic Gregorian
// date (year 0 is 1 BC).
func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468 - 10957
}

// civil is the inverse of daysFromCivil.
func civil(days int64) (y, m, d int) {
	z := days + 10957 + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		yy++
	}
	return int(yy), m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Timestamp limits as PostgreSQL's (4713 BC .. 294276 AD), in micros
// since 2000-01-01.
var (
	minDate      = int64(-2451545) // 4714-11-24 BC, Julian day 0
	maxDate      = daysFromCivil(5874897, 12, 31)
	minTimestamp = minDate * usPerDay
	maxTimestamp = daysFromCivil(294277, 1, 1)*usPerDay - 1
)

var (
	errTimestampRange = errorf(CodeDatetimeOverflow, "timestamp out of range")
	errDateRange      = errorf(CodeDatetimeOverflow, "date out of range")
	errIntervalRange  = errorf(CodeDatetimeOverflow, "interval out of range")
)

func isInfTS(v int64) bool { return v == math.MaxInt64 || v == math.MinInt64 }

func checkTS(v int64) (int64, error) {
	if v < minTimestamp || v > maxTimestamp {
		return 0, errTimestampRange
	}
	return v, nil
}

// addInterval adds an interval to a wall-clock timestamp (micros since
// 2000-01-01): months with the day clamped to the month's end, then days,
// then time, as timestamp_pl_interval.
func addMonthsDays(ts int64, months, days int64) (int64, error) {
	if months == 0 && days == 0 {
		return ts, nil
	}
	day := floorDiv(ts, usPerDay)
	tod := ts - day*usPerDay
	if months != 0 {
		y, m, d := civil(day)
		total := int64(y)*12 + int64(m-1) + months
		ny := floorDiv(total, 12)
		nm := int(total-ny*12) + 1
		if ny > 300000 || ny < -5000 {
			return 0, errTimestampRange
		}
		if dim := daysInMonth(int(ny), nm); d > dim {
			d = dim
		}
		day = daysFromCivil(int(ny), nm, d)
	}
	day += days
	if day > maxDate+1 || day < minDate-1 {
		return 0, errTimestampRange
	}
	return day*usPerDay + tod, nil
}

func timestampPlusInterval(ts int64, iv types.DInterval, neg bool) (types.Datum, error) {
	if isInfTS(ts) {
		return types.DTimestamp(ts), nil
	}
	m, d, us := int64(iv.Months), int64(iv.Days), iv.Micros
	if neg {
		m, d, us = -m, -d, -us
	}
	v, err := addMonthsDays(ts, m, d)
	if err != nil {
		return nil, err
	}
	v, err = checkTS(v + us)
	if err != nil {
		return nil, err
	}
	return types.DTimestamp(v), nil
}

func timestampTZPlusInterval(ctx *EvalContext, ts int64, iv types.DInterval, neg bool) (types.Datum, error) {
	if isInfTS(ts) {
		return types.DTimestampTZ(ts), nil
	}
	m, d, us := int64(iv.Months), int64(iv.Days), iv.Micros
	if neg {
		m, d, us = -m, -d, -us
	}
	if m != 0 || d != 0 {
		local, err := toLocal(ctx, ts)
		if err != nil {
			return nil, err
		}
		l, err := addMonthsDays(local, m, d)
		if err != nil {
			return nil, err
		}
		if ts, err = fromLocal(ctx, l); err != nil {
			return nil, err
		}
	}
	v, err := checkTS(ts + us)
	if err != nil {
		return nil, err
	}
	return types.DTimestampTZ(v), nil
}

// toLocal converts a TIMESTAMPTZ to the session's wall-clock time.
func toLocal(ctx *EvalContext, ts int64) (int64, error) {
	d, err := types.Cast(types.DTimestampTZ(ts), types.TimestampTZ, types.Timestamp, ctx.Loc())
	if err != nil {
		return 0, err
	}
	return int64(d.(types.DTimestamp)), nil
}

// fromLocal converts a wall-clock time in the session zone to TIMESTAMPTZ.
func fromLocal(ctx *EvalContext, ts int64) (int64, error) {
	d, err := types.Cast(types.DTimestamp(ts), types.Timestamp, types.TimestampTZ, ctx.Loc())
	if err != nil {
		return 0, err
	}
	return int64(d.(types.DTimestampTZ)), nil
}

// justifyHours moves whole days out of the time part (interval_justify_hours).
func justifyHours(iv types.DInterval) types.DInterval {
	days := iv.Micros / usPerDay
	iv.Micros -= days * usPerDay
	iv.Days += int32(days)
	if iv.Days > 0 && iv.Micros < 0 {
		iv.Micros += usPerDay
		iv.Days--
	} else if iv.Days < 0 && iv.Micros > 0 {
		iv.Micros -= usPerDay
		iv.Days++
	}
	return iv
}

func justifyDays(iv types.DInterval) types.DInterval {
	months := iv.Days / 30
	iv.Days -= months * 30
	iv.Months += months
	if iv.Months > 0 && iv.Days < 0 {
		iv.Days += 30
		iv.Months--
	} else if iv.Months < 0 && iv.Days > 0 {
		iv.Days -= 30
		iv.Months++
	}
	return iv
}

func intervalAdd(a, b types.DInterval, neg bool) (types.Datum, error) {
	// Field by field, as interval_pl and interval_mi: a - a is zero even
	// for the most negative microseconds, which has no negation.
	var m, d int64
	var us int64
	var over bool
	if neg {
		m = int64(a.Months) - int64(b.Months)
		d = int64(a.Days) - int64(b.Days)
		us = a.Micros - b.Micros
		over = ((a.Micros ^ b.Micros) & (us ^ a.Micros)) < 0
	} else {
		m = int64(a.Months) + int64(b.Months)
		d = int64(a.Days) + int64(b.Days)
		us = a.Micros + b.Micros
		over = ((us ^ a.Micros) & (us ^ b.Micros)) < 0
	}
	if over || m != int64(int32(m)) || d != int64(int32(d)) {
		return nil, errIntervalRange
	}
	return types.DInterval{Months: int32(m), Days: int32(d), Micros: us}, nil
}

// intervalMul is interval_mul: fractional months cascade into days and
// fractional days into time.
func intervalMul(iv types.DInterval, f float64) (types.Datum, error) {
	if math.IsNaN(f) {
		return nil, errIntervalRange
	}
	rm := float64(iv.Months) * f
	if math.IsNaN(rm) || rm > math.MaxInt32 || rm < math.MinInt32 {
		return nil, errIntervalRange
	}
	rd := float64(iv.Days) * f
	if math.IsNaN(rd) || rd > math.MaxInt32 || rd < math.MinInt32 {
		return nil, errIntervalRange
	}
	out := types.DInterval{Months: int32(rm), Days: int32(rd)}
	tsround := func(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }
	monthRemDays := tsround((float64(iv.Months)*f - float64(out.Months)) * 30)
	secRem := tsround((float64(iv.Days)*f - float64(out.Days) + monthRemDays - math.Trunc(monthRemDays)) * 86400)
	if math.Abs(secRem) >= 86400 {
		out.Days += int32(secRem / 86400)
		secRem -= math.Trunc(secRem/86400) * 86400
	}
	out.Days += int32(monthRemDays)
	t := math.RoundToEven(float64(iv.Micros)*f + secRem*1e6)
	if math.IsNaN(t) || t >= 9.223372036854775807e18 || t < -9.223372036854775808e18 {
		return nil, errIntervalRange
	}
	out.Micros = int64(t)
	return out, nil
}

func dateRes(v int64) (types.Datum, error) {
	if v < minDate || v > maxDate {
		return nil, errDateRange
	}
	return types.DDate(v), nil
}

func dateIsInf(d types.DDate) bool { return d == types.DateInfinity || d == types.DateNegInfinity }

func dateToTS(d types.DDate) int64 {
	switch d {
	case types.DateInfinity:
		return math.MaxInt64
	case types.DateNegInfinity:
		return math.MinInt64
	}
	return int64(d) * usPerDay
}

func init() {
	b := func(op BinaryOp, l, r, ret *types.T, fn BinaryFn) {
		addBinary(&BinaryOverload{Op: op, Left: l, Right: r, Return: ret, Fn: fn})
	}
	D, TS, TZ, IV, TM := types.Date, types.Timestamp, types.TimestampTZ, types.Interval, types.Time
	I4, F8 := types.Int4, types.Float8
	// date ± integer, date - date
	b(OpPlus, D, I4, D, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		if dateIsInf(l.(types.DDate)) {
			return l, nil
		}
		return dateRes(int64(l.(types.DDate)) + in(r))
	})
	b(OpPlus, I4, D, D, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		if dateIsInf(r.(types.DDate)) {
			return r, nil
		}
		return dateRes(int64(r.(types.DDate)) + in(l))
	})
	b(OpMinus, D, I4, D, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		if dateIsInf(l.(types.DDate)) {
			return l, nil
		}
		return dateRes(int64(l.(types.DDate)) - in(r))
	})
	b(OpMinus, D, D, I4, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		x, y := l.(types.DDate), r.(types.DDate)
		if dateIsInf(x) || dateIsInf(y) {
			return nil, errorf(CodeDatetimeOverflow, "cannot subtract infinite dates")
		}
		return types.DInt(int64(x) - int64(y)), nil
	})
	// date ± interval → timestamp; date + time → timestamp
	b(OpPlus, D, IV, TS, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return timestampPlusInterval(dateToTS(l.(types.DDate)), r.(types.DInterval), false)
	})
	b(OpPlus, IV, D, TS, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return timestampPlusInterval(dateToTS(r.(types.DDate)), l.(types.DInterval), false)
	})
	b(OpMinus, D, IV, TS, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return timestampPlusInterval(dateToTS(l.(types.DDate)), r.(types.DInterval), true)
	})
	b(OpPlus, D, TM, TS, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		ts := dateToTS(l.(types.DDate))
		if isInfTS(ts) {
			return types.DTimestamp(ts), nil
		}
		v, err := checkTS(ts + int64(r.(types.DTime)))
		return types.DTimestamp(v), err
	})
	b(OpPlus, TM, D, TS, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		ts := dateToTS(r.(types.DDate))
		if isInfTS(ts) {
			return types.DTimestamp(ts), nil
		}
		v, err := checkTS(ts + int64(l.(types.DTime)))
		return types.DTimestamp(v), err
	})
	// timestamp ± interval, timestamp - timestamp
	b(OpPlus, TS, IV, TS, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return timestampPlusInterval(int64(l.(types.DTimestamp)), r.(types.DInterval), false)
	})
	b(OpPlus, IV, TS, TS, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return timestampPlusInterval(int64(r.(types.DTimestamp)), l.(types.DInterval), false)
	})
	b(OpMinus, TS, IV, TS, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return timestampPlusInterval(int64(l.(types.DTimestamp)), r.(types.DInterval), true)
	})
	tsDiff := func(x, y int64) (types.Datum, error) {
		if isInfTS(x) || isInfTS(y) {
			return nil, errorf(CodeDatetimeOverflow, "cannot subtract infinite timestamps")
		}
		d := x - y
		if ((x ^ y) & (x ^ d)) < 0 {
			return nil, errIntervalRange
		}
		return justifyHours(types.DInterval{Micros: d}), nil
	}
	b(OpMinus, TS, TS, IV, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return tsDiff(int64(l.(types.DTimestamp)), int64(r.(types.DTimestamp)))
	})
	addBinary(&BinaryOverload{Op: OpPlus, Left: TZ, Right: IV, Return: TZ, Volatility: Stable,
		Fn: func(ctx *EvalContext, l, r types.Datum) (types.Datum, error) {
			return timestampTZPlusInterval(ctx, int64(l.(types.DTimestampTZ)), r.(types.DInterval), false)
		}})
	addBinary(&BinaryOverload{Op: OpPlus, Left: IV, Right: TZ, Return: TZ, Volatility: Stable,
		Fn: func(ctx *EvalContext, l, r types.Datum) (types.Datum, error) {
			return timestampTZPlusInterval(ctx, int64(r.(types.DTimestampTZ)), l.(types.DInterval), false)
		}})
	addBinary(&BinaryOverload{Op: OpMinus, Left: TZ, Right: IV, Return: TZ, Volatility: Stable,
		Fn: func(ctx *EvalContext, l, r types.Datum) (types.Datum, error) {
			return timestampTZPlusInterval(ctx, int64(l.(types.DTimestampTZ)), r.(types.DInterval), true)
		}})
	b(OpMinus, TZ, TZ, IV, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return tsDiff(int64(l.(types.DTimestampTZ)), int64(r.(types.DTimestampTZ)))
	})
	// time ± interval, time - time
	timeAdd := func(t types.DTime, iv types.DInterval, neg bool) types.Datum {
		us := iv.Micros % usPerDay
		if neg {
			us = -us
		}
		v := (int64(t) + us) % usPerDay
		if v < 0 {
			v += usPerDay
		}
		return types.DTime(v)
	}
	b(OpPlus, TM, IV, TM, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return timeAdd(l.(types.DTime), r.(types.DInterval), false), nil
	})
	b(OpPlus, IV, TM, TM, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return timeAdd(r.(types.DTime), l.(types.DInterval), false), nil
	})
	b(OpMinus, TM, IV, TM, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return timeAdd(l.(types.DTime), r.(types.DInterval), true), nil
	})
	b(OpMinus, TM, TM, IV, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return types.DInterval{Micros: int64(l.(types.DTime)) - int64(r.(types.DTime))}, nil
	})
	// interval arithmetic
	b(OpPlus, IV, IV, IV, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return intervalAdd(l.(types.DInterval), r.(types.DInterval), false)
	})
	b(OpMinus, IV, IV, IV, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return intervalAdd(l.(types.DInterval), r.(types.DInterval), true)
	})
	b(OpMult, IV, F8, IV, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return intervalMul(l.(types.DInterval), fl(r))
	})
	b(OpMult, F8, IV, IV, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return intervalMul(r.(types.DInterval), fl(l))
	})
	b(OpDiv, IV, F8, IV, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		f := fl(r)
		if f == 0 {
			return nil, errDivZero
		}
		return intervalDiv(l.(types.DInterval), f)
	})
	addUnary(&UnaryOverload{Op: OpUnaryMinus, Operand: IV, Return: IV, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) {
		return intervalAdd(types.DInterval{}, d.(types.DInterval), true)
	}})
	addUnary(&UnaryOverload{Op: OpUnaryPlus, Operand: IV, Return: IV, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) { return d, nil }})
}

// intervalDiv is interval_div (same cascade as interval_mul, dividing).
func intervalDiv(iv types.DInterval, f float64) (types.Datum, error) {
	out := types.DInterval{Months: int32(float64(iv.Months) / f), Days: int32(float64(iv.Days) / f)}
	tsround := func(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }
	monthRemDays := tsround((float64(iv.Months)/f - float64(out.Months)) * 30)
	secRem := tsround((float64(iv.Days)/f - float64(out.Days) + monthRemDays - math.Trunc(monthRemDays)) * 86400)
	if math.Abs(secRem) >= 86400 {
		out.Days += int32(secRem / 86400)
		secRem -= math.Trunc(secRem/86400) * 86400
	}
	out.Days += int32(monthRemDays)
	t := math.RoundToEven(float64(iv.Micros)/f + secRem*1e6)
	if math.IsNaN(t) || t >= 9.223372036854775807e18 || t < -9.223372036854775808e18 {
		return nil, errIntervalRange
	}
	out.Micros = int64(t)
	return out, nil
}
