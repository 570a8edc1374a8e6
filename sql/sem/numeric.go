package sem

import (
	"math"
	"math/big"
	"strconv"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

// PostgreSQL's numeric scale constants.
const (
	numericMinSigDigits    = 16
	numericMaxDisplayScale = 1000
	numericMaxResultScale  = 2000
	decDigits              = 4 // digits per base-NBASE digit
)

// exactCtx does exact arithmetic for +, -, * (results are rounded only
// when they exceed PostgreSQL's own limits).
var exactCtx = &apd.Context{
	Precision:   200000,
	MaxExponent: 200000,
	MinExponent: -200000,
	Rounding:    apd.RoundHalfUp,
}

func decOf(d types.Datum) *apd.Decimal { return &d.(*types.DDecimal).Decimal }

func newDec(d *apd.Decimal) *types.DDecimal { return types.NewDecimal(d) }

func decNaN() *types.DDecimal {
	return &types.DDecimal{Decimal: apd.Decimal{Form: apd.NaN}}
}

func decInf(neg bool) *types.DDecimal {
	return &types.DDecimal{Decimal: apd.Decimal{Form: apd.Infinite, Negative: neg}}
}

func isNaN(d *apd.Decimal) bool { return d.Form == apd.NaN || d.Form == apd.NaNSignaling }

// dscale is PostgreSQL's display scale of a finite numeric.
func dscale(d *apd.Decimal) int {
	if d.Exponent < 0 {
		return int(-d.Exponent)
	}
	return 0
}

// nbaseWeight returns PostgreSQL's base-10000 weight of a finite value
// and its first base-10000 digit (0 for zero).
func nbaseWeight(d *apd.Decimal) (weight, first int) {
	if d.IsZero() {
		return 0, 0
	}
	c := d.Coeff.String()
	p := len(c) + int(d.Exponent) - 1 // decimal position of the leading digit
	weight = floorDivInt(p, decDigits)
	n := p - weight*decDigits + 1
	for i := 0; i < n; i++ {
		first *= 10
		if i < len(c) {
			first += int(c[i] - '0')
		}
	}
	return weight, first
}

func floorDivInt(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// roundScale rounds d to s fractional digits, half away from zero (s may
// be negative), as round_var; the result has exponent -s (or 0 if s < 0
// after rounding to 10^-s).
func roundScale(d *apd.Decimal, s int) *apd.Decimal {
	r := new(apd.Decimal)
	if d.Form != apd.Finite {
		r.Set(d)
		return r
	}
	ctx := exactCtx
	if _, err := ctx.Quantize(r, d, int32(-s)); err != nil {
		r.Set(d)
	}
	if s < 0 {
		// PostgreSQL keeps dscale 0: express as an integer.
		var z apd.Decimal
		_, _ = ctx.Quantize(&z, r, 0)
		r = &z
	}
	return r
}

// truncScale truncates toward zero to s fractional digits.
func truncScale(d *apd.Decimal, s int) *apd.Decimal {
	r := new(apd.Decimal)
	if d.Form != apd.Finite {
		r.Set(d)
		return r
	}
	ctx := *exactCtx
	ctx.Rounding = apd.RoundDown
	if _, err := ctx.Quantize(r, d, int32(-s)); err != nil {
		r.Set(d)
	}
	if s < 0 {
		var z apd.Decimal
		_, _ = ctx.Quantize(&z, r, 0)
		r = &z
	}
	return r
}

func clampScale(s int) int {
	if s < 0 {
		return 0
	}
	if s > numericMaxDisplayScale {
		return numericMaxDisplayScale
	}
	return s
}

// divScale is select_div_scale.
func divScale(a, b *apd.Decimal) int {
	w1, f1 := nbaseWeight(a)
	w2, f2 := nbaseWeight(b)
	q := w1 - w2
	if f1 <= f2 {
		q--
	}
	s := numericMinSigDigits - q*decDigits
	s = max(s, dscale(a), dscale(b))
	return clampScale(s)
}

// divRound computes a/b rounded half away from zero to s digits, exactly.
func divRound(a, b *apd.Decimal, s int, trunc bool) *apd.Decimal {
	ca := new(big.Int).Set(a.Coeff.MathBigInt())
	cb := new(big.Int).Set(b.Coeff.MathBigInt())
	k := int(a.Exponent) - int(b.Exponent) + s
	ten := big.NewInt(10)
	if k >= 0 {
		ca.Mul(ca, new(big.Int).Exp(ten, big.NewInt(int64(k)), nil))
	} else {
		cb.Mul(cb, new(big.Int).Exp(ten, big.NewInt(int64(-k)), nil))
	}
	q, rem := new(big.Int).QuoRem(ca, cb, new(big.Int))
	if !trunc {
		rem.Lsh(rem, 1)
		if rem.Cmp(cb) >= 0 {
			q.Add(q, big.NewInt(1))
		}
	}
	r := new(apd.Decimal)
	r.Coeff.SetMathBigInt(q)
	r.Exponent = int32(-s)
	r.Negative = a.Negative != b.Negative && q.Sign() != 0
	return r
}

var errDivZero = errorf(CodeDivisionByZero, "division by zero")

func numericOverflow() error {
	return errorf(CodeNumericOutOfRange, "value overflows numeric format")
}

// checkNumeric enforces PostgreSQL's numeric range.
func checkNumeric(d *apd.Decimal) (types.Datum, error) {
	if d.Form == apd.Finite && !d.IsZero() && int(d.NumDigits())+int(d.Exponent) > 131072 {
		return nil, numericOverflow()
	}
	return newDec(d), nil
}

func numAdd(a, b *apd.Decimal, sub bool) (types.Datum, error) {
	if isNaN(a) || isNaN(b) {
		return decNaN(), nil
	}
	bneg := b.Negative
	if sub {
		bneg = !bneg
	}
	if a.Form == apd.Infinite || b.Form == apd.Infinite {
		switch {
		case a.Form == apd.Infinite && b.Form == apd.Infinite:
			if a.Negative != bneg {
				return decNaN(), nil
			}
			return decInf(a.Negative), nil
		case a.Form == apd.Infinite:
			return decInf(a.Negative), nil
		}
		return decInf(bneg), nil
	}
	r := new(apd.Decimal)
	var err error
	if sub {
		_, err = exactCtx.Sub(r, a, b)
	} else {
		_, err = exactCtx.Add(r, a, b)
	}
	if err != nil {
		return nil, numericOverflow()
	}
	return checkNumeric(r)
}

func numMul(a, b *apd.Decimal) (types.Datum, error) {
	if isNaN(a) || isNaN(b) {
		return decNaN(), nil
	}
	if a.Form == apd.Infinite || b.Form == apd.Infinite {
		if (a.Form == apd.Finite && a.IsZero()) || (b.Form == apd.Finite && b.IsZero()) {
			return decNaN(), nil
		}
		return decInf(a.Negative != b.Negative), nil
	}
	r := new(apd.Decimal)
	if _, err := exactCtx.Mul(r, a, b); err != nil {
		return nil, numericOverflow()
	}
	// PostgreSQL caps the product's scale at NUMERIC_MAX_DISPLAY_SCALE... it
	// keeps dscale1+dscale2 (rounded only beyond its max result scale).
	if dscale(r) > numericMaxResultScale {
		r = roundScale(r, numericMaxResultScale)
	}
	return checkNumeric(r)
}

func numDiv(a, b *apd.Decimal) (types.Datum, error) {
	if isNaN(a) || isNaN(b) {
		return decNaN(), nil
	}
	if b.Form == apd.Finite && b.IsZero() {
		return nil, errDivZero
	}
	if a.Form == apd.Infinite {
		if b.Form == apd.Infinite {
			return decNaN(), nil
		}
		return decInf(a.Negative != b.Negative), nil
	}
	if b.Form == apd.Infinite {
		return newDec(apd.New(0, 0)), nil
	}
	return checkNumeric(divRound(a, b, divScale(a, b), false))
}

// numDivTrunc is div(a, b): the integer quotient truncated toward zero.
func numDivTrunc(a, b *apd.Decimal) (types.Datum, error) {
	if isNaN(a) || isNaN(b) {
		return decNaN(), nil
	}
	if b.Form == apd.Finite && b.IsZero() {
		return nil, errDivZero
	}
	if a.Form == apd.Infinite {
		if b.Form == apd.Infinite {
			return decNaN(), nil
		}
		return decInf(a.Negative != b.Negative), nil
	}
	if b.Form == apd.Infinite {
		return newDec(apd.New(0, 0)), nil
	}
	return checkNumeric(divRound(a, b, 0, true))
}

func numMod(a, b *apd.Decimal) (types.Datum, error) {
	if isNaN(a) || isNaN(b) {
		return decNaN(), nil
	}
	if b.Form == apd.Finite && b.IsZero() {
		return nil, errDivZero
	}
	if a.Form == apd.Infinite {
		return decNaN(), nil
	}
	if b.Form == apd.Infinite {
		return newDec(a), nil
	}
	// a - trunc(a/b)*b, with the scale of max(dscale(a), dscale(b)).
	q := divRound(a, b, 0, true)
	p := new(apd.Decimal)
	if _, err := exactCtx.Mul(p, q, b); err != nil {
		return nil, numericOverflow()
	}
	r := new(apd.Decimal)
	if _, err := exactCtx.Sub(r, a, p); err != nil {
		return nil, numericOverflow()
	}
	s := max(dscale(a), dscale(b))
	return newDec(roundScale(r, s)), nil
}

// decToFloat converts a finite or special numeric to float64.
func decToFloat(d *apd.Decimal) float64 {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return math.NaN()
	case apd.Infinite:
		if d.Negative {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	f, err := strconv.ParseFloat(d.Text('e'), 64)
	if err != nil {
		if d.Negative {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	return f
}

// estimateLnDweight is estimate_ln_dweight.
func estimateLnDweight(d *apd.Decimal) int {
	if d.Negative || d.IsZero() {
		return 0
	}
	f := decToFloat(d)
	if f >= 0.9 && f <= 1.1 {
		x := new(apd.Decimal)
		_, _ = exactCtx.Sub(x, d, apd.New(1, 0))
		if x.IsZero() {
			return 0
		}
		return int(x.NumDigits()) + int(x.Exponent) - 1
	}
	l := math.Abs(math.Log(f))
	if math.IsInf(f, 1) || math.IsNaN(l) {
		// Huge: ln(x) ≈ (digits) * ln(10).
		l = float64(int(d.NumDigits())+int(d.Exponent)) * math.Ln10
	}
	if l == 0 {
		return 0
	}
	return int(math.Log10(l))
}

// apdAt returns a context with enough precision for a result of about
// intDigits integer digits rounded to s fractional digits.
func apdAt(intDigits, s int) *apd.Context {
	p := max(intDigits, 1) + s + 10
	return &apd.Context{Precision: uint32(p), MaxExponent: 200000, MinExponent: -200000, Rounding: apd.RoundHalfUp}
}

func numSqrt(d *apd.Decimal) (types.Datum, error) {
	if isNaN(d) {
		return decNaN(), nil
	}
	if d.Negative && !(d.Form == apd.Finite && d.IsZero()) {
		return nil, errorf(CodeInvalidArgForPower, "cannot take square root of a negative number")
	}
	if d.Form == apd.Infinite {
		return decInf(false), nil
	}
	w, _ := nbaseWeight(d)
	sweight := (w+1)*decDigits/2 - 1
	s := clampScale(max(numericMinSigDigits-sweight, dscale(d)))
	r := new(apd.Decimal)
	if _, err := apdAt(sweight+1, s).Sqrt(r, d); err != nil {
		return nil, numericOverflow()
	}
	return newDec(roundScale(r, s)), nil
}

func numExp(d *apd.Decimal) (types.Datum, error) {
	if isNaN(d) {
		return decNaN(), nil
	}
	if d.Form == apd.Infinite {
		if d.Negative {
			return newDec(apd.New(0, 0)), nil
		}
		return decInf(false), nil
	}
	v := decToFloat(d) * 0.434294481903252
	if v > numericMaxResultScale*3 {
		return nil, numericOverflow()
	}
	v = math.Max(math.Min(v, numericMaxResultScale), -numericMaxResultScale)
	s := clampScale(max(numericMinSigDigits-int(v), dscale(d)))
	r := new(apd.Decimal)
	if _, err := apdAt(int(v)+1, s).Exp(r, d); err != nil {
		return nil, numericOverflow()
	}
	return newDec(roundScale(r, s)), nil
}

func lnArgCheck(d *apd.Decimal) error {
	if d.Form == apd.Finite && d.IsZero() {
		return errorf(CodeInvalidArgForLog, "cannot take logarithm of zero")
	}
	if d.Negative {
		return errorf(CodeInvalidArgForLog, "cannot take logarithm of a negative number")
	}
	return nil
}

func numLn(d *apd.Decimal) (types.Datum, error) {
	if isNaN(d) {
		return decNaN(), nil
	}
	if err := lnArgCheck(d); err != nil {
		return nil, err
	}
	if d.Form == apd.Infinite {
		return decInf(false), nil
	}
	s := clampScale(max(numericMinSigDigits-estimateLnDweight(d), dscale(d)))
	r := new(apd.Decimal)
	if _, err := apdAt(8, s).Ln(r, d); err != nil {
		return nil, numericOverflow()
	}
	return newDec(roundScale(r, s)), nil
}

// numLog is log(base, x).
func numLog(base, x *apd.Decimal) (types.Datum, error) {
	if isNaN(base) || isNaN(x) {
		return decNaN(), nil
	}
	if err := lnArgCheck(base); err != nil {
		return nil, err
	}
	if err := lnArgCheck(x); err != nil {
		return nil, err
	}
	if base.Form == apd.Infinite || x.Form == apd.Infinite {
		switch {
		case base.Form == apd.Infinite && x.Form == apd.Infinite:
			return decNaN(), nil
		case x.Form == apd.Infinite:
			return decInf(false), nil
		}
		return newDec(apd.New(0, 0)), nil
	}
	if base.Cmp(apd.New(1, 0)) == 0 {
		return nil, errDivZero
	}
	rw := estimateLnDweight(x) - estimateLnDweight(base)
	s := clampScale(max(numericMinSigDigits-rw, dscale(base), dscale(x)))
	ctx := apdAt(8+max(0, -rw), s+8)
	lx, lb := new(apd.Decimal), new(apd.Decimal)
	if _, err := ctx.Ln(lx, x); err != nil {
		return nil, numericOverflow()
	}
	if _, err := ctx.Ln(lb, base); err != nil {
		return nil, numericOverflow()
	}
	r := new(apd.Decimal)
	if _, err := ctx.Quo(r, lx, lb); err != nil {
		return nil, numericOverflow()
	}
	return newDec(roundScale(r, s)), nil
}

func isIntegral(d *apd.Decimal) bool {
	if d.Form != apd.Finite {
		return false
	}
	if d.Exponent >= 0 {
		return true
	}
	var r apd.Decimal
	_, _ = exactCtx.Quantize(&r, d, 0)
	return r.Cmp(d) == 0
}

func numPow(base, exp *apd.Decimal) (types.Datum, error) {
	one := apd.New(1, 0)
	if isNaN(base) || isNaN(exp) {
		// 1 ^ NaN = 1, NaN ^ 0 = 1 (PostgreSQL follows POSIX pow).
		if (!isNaN(base) && base.Cmp(one) == 0) || (!isNaN(exp) && exp.Form == apd.Finite && exp.IsZero()) {
			return newDec(apd.New(1, 0)), nil
		}
		return decNaN(), nil
	}
	bzero := base.Form == apd.Finite && base.IsZero()
	if bzero && exp.Negative {
		return nil, errorf(CodeInvalidArgForPower, "zero raised to a negative power is undefined")
	}
	if base.Negative && base.Form == apd.Finite && !isIntegral(exp) && exp.Form == apd.Finite {
		return nil, errorf(CodeInvalidArgForPower, "a negative number raised to a non-integer power yields a complex result")
	}
	if base.Form == apd.Infinite || exp.Form == apd.Infinite {
		fb, fe := decToFloat(base), decToFloat(exp)
		r := math.Pow(fb, fe)
		switch {
		case math.IsInf(r, 0):
			return decInf(r < 0), nil
		case math.IsNaN(r):
			return decNaN(), nil
		}
		return newDec(apd.New(int64(r), 0)), nil
	}
	if bzero {
		if exp.IsZero() {
			return newDec(apd.New(1, 0)), nil
		}
		if !isIntegral(exp) {
			z := apd.New(0, -numericMinSigDigits)
			return newDec(z), nil
		}
	}
	// f approximates log10 of the result.
	var f float64
	if !bzero {
		f = decToFloat(exp) * math.Log10(math.Abs(decToFloat(base)))
		if math.IsInf(f, 0) || math.IsNaN(f) {
			f = decToFloat(exp) * float64(int(base.NumDigits())+int(base.Exponent))
		}
	}
	if f > 131072 {
		return nil, numericOverflow()
	}
	if f+1 < -numericMaxDisplayScale {
		return newDec(apd.New(0, -numericMaxDisplayScale)), nil
	}
	s := clampScale(max(numericMinSigDigits-int(f), dscale(base), dscale(exp)))
	if isIntegral(exp) {
		// power_var_int: a fixed result scale.
		s = clampScale(max(numericMinSigDigits, dscale(base)))
		if exp.IsZero() {
			return newDec(apd.New(1, int32(-s))), nil
		}
	}
	ctx := apdAt(int(math.Max(f, 0))+1, s+2)
	r := new(apd.Decimal)
	if _, err := ctx.Pow(r, base, exp); err != nil {
		return nil, numericOverflow()
	}
	return checkNumeric(roundScale(r, s))
}
