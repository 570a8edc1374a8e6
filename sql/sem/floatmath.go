package sem

import (
	"math"
	"math/big"
	"strconv"

	"github.com/cockroachdb/apd/v3"
)

// PostgreSQL's float8 pow, exp and ln come from the C library, whose
// results are correctly rounded in all but rare cases; Go's math package
// may be one unit in the last place off. These versions compute in
// decimal with 34 digits (the float's exact binary value to 40 digits)
// and round once, falling back to math for special and extreme cases.

var floatCtx = &apd.Context{Precision: 34, MaxExponent: 2000, MinExponent: -2000, Rounding: apd.RoundHalfEven}

func floatToDec(x float64) *apd.Decimal {
	d, _, err := apd.NewFromString(new(big.Float).SetFloat64(x).Text('e', 40))
	if err != nil {
		return nil
	}
	return d
}

func decToFloat64(d *apd.Decimal, fallback float64) float64 {
	f, err := strconv.ParseFloat(d.Text('e'), 64)
	if err != nil || math.IsInf(f, 0) || f == 0 {
		return fallback
	}
	return f
}

func normalFinite(f float64) bool {
	return !math.IsNaN(f) && !math.IsInf(f, 0) && f != 0 && math.Abs(f) >= 2.2250738585072014e-308
}

// accuratePow is x^y for the finite cases; others go to math.Pow.
func accuratePow(x, y float64) float64 {
	r := math.Pow(x, y)
	if !normalFinite(r) || !normalFinite(x) || y == 0 || y == 1 || math.IsInf(y, 0) || math.IsNaN(y) {
		return r
	}
	neg := false
	if x < 0 {
		if y != math.Trunc(y) {
			return r
		}
		neg = math.Mod(y, 2) != 0
		x = -x
	}
	dx, dy := floatToDec(x), floatToDec(y)
	if dx == nil || dy == nil {
		return r
	}
	var out apd.Decimal
	if _, err := floatCtx.Pow(&out, dx, dy); err != nil {
		return r
	}
	f := decToFloat64(&out, math.Abs(r))
	if neg {
		f = -f
	}
	return f
}

func accurateExp(x float64) float64 {
	r := math.Exp(x)
	if !normalFinite(r) || x == 0 {
		return r
	}
	dx := floatToDec(x)
	if dx == nil {
		return r
	}
	var out apd.Decimal
	if _, err := floatCtx.Exp(&out, dx); err != nil {
		return r
	}
	return decToFloat64(&out, r)
}

func accurateLn(x float64, base10 bool) float64 {
	var r float64
	if base10 {
		r = math.Log10(x)
	} else {
		r = math.Log(x)
	}
	if !normalFinite(x) || x <= 0 || r == 0 || math.IsInf(r, 0) {
		return r
	}
	dx := floatToDec(x)
	if dx == nil {
		return r
	}
	var out apd.Decimal
	var err error
	if base10 {
		_, err = floatCtx.Log10(&out, dx)
	} else {
		_, err = floatCtx.Ln(&out, dx)
	}
	if err != nil {
		return r
	}
	return decToFloat64(&out, r)
}
