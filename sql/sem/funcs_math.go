package sem

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/rand/v2"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

func floatFn(f func(float64) (float64, error)) fnImpl {
	return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		r, err := f(fl(a[0]))
		if err != nil {
			return nil, err
		}
		return types.DFloat(r), nil
	}
}

func checkedFloat(r float64, x float64) (float64, error) {
	if math.IsInf(r, 0) && !math.IsInf(x, 0) {
		return 0, errorf(CodeNumericOutOfRange, "value out of range: overflow")
	}
	return r, nil
}

func numFn(f func(*apd.Decimal) (types.Datum, error)) fnImpl {
	return func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return f(decOf(a[0])) }
}

func numFn2(f func(a, b *apd.Decimal) (types.Datum, error)) fnImpl {
	return func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return f(decOf(a[0]), decOf(a[1])) }
}

// numRound is round(numeric, s) / trunc(numeric, s).
func numRound(d *apd.Decimal, s int64, trunc bool) (types.Datum, error) {
	if d.Form != apd.Finite {
		return newDec(d), nil
	}
	s = max(min(s, numericMaxResultScale), -numericMaxResultScale)
	// Rounding far left of the value gives 0.
	if lead := int64(d.NumDigits()) + int64(d.Exponent); s < 0 && -s > lead {
		return newDec(apd.New(0, 0)), nil
	}
	if trunc {
		return newDec(truncScale(d, int(s))), nil
	}
	return checkNumeric(roundScale(d, int(s)))
}

func numCeilFloor(d *apd.Decimal, ceil bool) (types.Datum, error) {
	if d.Form != apd.Finite {
		return newDec(d), nil
	}
	r := new(apd.Decimal)
	var err error
	if ceil {
		_, err = exactCtx.Ceil(r, d)
	} else {
		_, err = exactCtx.Floor(r, d)
	}
	if err != nil {
		return nil, numericOverflow()
	}
	var z apd.Decimal
	_, _ = exactCtx.Quantize(&z, r, 0)
	return newDec(&z), nil
}

func processRand(ctx *EvalContext) float64 {
	if ctx != nil && ctx.Rand != nil {
		return ctx.Rand.Float64()
	}
	return rand.Float64()
}

func gcd64(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a < 0 {
		return -a
	}
	return a
}

func init() {
	F8, N, I4, I8 := types.Float8, types.Numeric, types.Int4, types.Int8
	for _, t := range intTypes {
		w := t.Width
		def("abs", t, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return absInt(in(a[0]), w) }, t)
		def("mod", t, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return modInt(in(a[0]), in(a[1])) }, t, t)
	}
	def("abs", types.Float4, floatFn(func(x float64) (float64, error) { return math.Abs(x), nil }), types.Float4)
	def("abs", F8, floatFn(func(x float64) (float64, error) { return math.Abs(x), nil }), F8)
	def("abs", N, numFn(func(d *apd.Decimal) (types.Datum, error) {
		r := new(apd.Decimal)
		r.Abs(d)
		return newDec(r), nil
	}), N)
	def("mod", N, numFn2(numMod), N, N)
	def("div", N, numFn2(numDivTrunc), N, N)
	for _, n := range []string{"ceil", "ceiling"} {
		def(n, F8, floatFn(func(x float64) (float64, error) { return math.Ceil(x), nil }), F8)
		def(n, N, numFn(func(d *apd.Decimal) (types.Datum, error) { return numCeilFloor(d, true) }), N)
	}
	def("floor", F8, floatFn(func(x float64) (float64, error) { return math.Floor(x), nil }), F8)
	def("floor", N, numFn(func(d *apd.Decimal) (types.Datum, error) { return numCeilFloor(d, false) }), N)
	def("round", F8, floatFn(func(x float64) (float64, error) { return math.RoundToEven(x), nil }), F8)
	def("round", N, numFn(func(d *apd.Decimal) (types.Datum, error) { return numRound(d, 0, false) }), N)
	def("round", N, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return numRound(decOf(a[0]), in(a[1]), false)
	}, N, I4)
	def("trunc", F8, floatFn(func(x float64) (float64, error) { return math.Trunc(x), nil }), F8)
	def("trunc", N, numFn(func(d *apd.Decimal) (types.Datum, error) { return numRound(d, 0, true) }), N)
	def("trunc", N, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return numRound(decOf(a[0]), in(a[1]), true)
	}, N, I4)
	def("sqrt", F8, floatFn(func(x float64) (float64, error) {
		if x < 0 {
			return 0, errorf(CodeInvalidArgForPower, "cannot take square root of a negative number")
		}
		return math.Sqrt(x), nil
	}), F8)
	def("sqrt", N, numFn(numSqrt), N)
	// cbrt is Go's math.Cbrt: PostgreSQL calls the C library's, and glibc's
	// is off by an ulp for some inputs (cbrt(27) is 3.0000000000000004
	// there, 3 here). One pure-Go function in every build (the release
	// binary is static, without cgo) rather than results that depend on
	// how the binary was built.
	def("cbrt", F8, floatFn(func(x float64) (float64, error) { return math.Cbrt(x), nil }), F8)
	for _, n := range []string{"power", "pow"} {
		def(n, F8, func(_ *EvalContext, a []types.Datum) (types.Datum, error) { return floatPow(fl(a[0]), fl(a[1])) }, F8, F8)
		def(n, N, numFn2(numPow), N, N)
	}
	def("exp", F8, floatFn(func(x float64) (float64, error) {
		r := accurateExp(x)
		if r == 0 && !math.IsInf(x, 0) {
			return 0, errorf(CodeNumericOutOfRange, "value out of range: underflow")
		}
		return checkedFloat(r, x)
	}), F8)
	def("exp", N, numFn(numExp), N)
	floatLog := func(f func(float64) float64) fnImpl {
		return floatFn(func(x float64) (float64, error) {
			if x == 0 {
				return 0, errorf(CodeInvalidArgForLog, "cannot take logarithm of zero")
			}
			if x < 0 {
				return 0, errorf(CodeInvalidArgForLog, "cannot take logarithm of a negative number")
			}
			return f(x), nil
		})
	}
	def("ln", F8, floatLog(func(x float64) float64 { return accurateLn(x, false) }), F8)
	def("ln", N, numFn(numLn), N)
	def("log", F8, floatLog(func(x float64) float64 { return accurateLn(x, true) }), F8)
	def("log10", F8, floatLog(func(x float64) float64 { return accurateLn(x, true) }), F8)
	ten := apd.New(10, 0)
	def("log", N, numFn(func(d *apd.Decimal) (types.Datum, error) { return numLog(ten, d) }), N)
	def("log10", N, numFn(func(d *apd.Decimal) (types.Datum, error) { return numLog(ten, d) }), N)
	def("log", N, numFn2(numLog), N, N)
	def("sign", F8, floatFn(func(x float64) (float64, error) {
		switch {
		case x > 0:
			return 1, nil
		case x < 0:
			return -1, nil
		}
		return 0, nil
	}), F8)
	def("sign", N, numFn(func(d *apd.Decimal) (types.Datum, error) {
		if isNaN(d) {
			return decNaN(), nil
		}
		if d.Form == apd.Finite && d.IsZero() {
			return newDec(apd.New(0, 0)), nil
		}
		if d.Negative {
			return newDec(apd.New(-1, 0)), nil
		}
		return newDec(apd.New(1, 0)), nil
	}), N)
	def("scale", I4, numFn(func(d *apd.Decimal) (types.Datum, error) {
		if d.Form != apd.Finite {
			return types.Null, nil
		}
		return dint(int64(dscale(d))), nil
	}), N)
	def("trim_scale", N, numFn(func(d *apd.Decimal) (types.Datum, error) {
		if d.Form != apd.Finite {
			return newDec(d), nil
		}
		r := new(apd.Decimal)
		r.Reduce(d)
		if r.Exponent > 0 {
			var z apd.Decimal
			_, _ = exactCtx.Quantize(&z, r, 0)
			r = &z
		}
		return newDec(r), nil
	}), N)
	// min_scale: the fewest fractional digits that represent the value
	// exactly (NULL for NaN and the infinities).
	def("min_scale", I4, numFn(func(d *apd.Decimal) (types.Datum, error) {
		if d.Form != apd.Finite {
			return types.Null, nil
		}
		var r apd.Decimal
		r.Reduce(d)
		if r.Exponent >= 0 {
			return dint(0), nil
		}
		return dint(int64(-r.Exponent)), nil
	}), N)
	// float4send, float8send: the binary send form, IEEE 754 big-endian.
	def("float4send", types.Bytes, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return types.DBytes(binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(fl(a[0]))))), nil
	}, types.Float4)
	def("float8send", types.Bytes, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return types.DBytes(binary.BigEndian.AppendUint64(nil, math.Float64bits(fl(a[0])))), nil
	}, F8)
	def("pi", F8, func(_ *EvalContext, _ []types.Datum) (types.Datum, error) { return types.DFloat(math.Pi), nil })
	def("random", F8, func(ctx *EvalContext, _ []types.Datum) (types.Datum, error) {
		return types.DFloat(processRand(ctx)), nil
	}).volatile()
	def("degrees", F8, floatFn(func(x float64) (float64, error) { return x * 180 / math.Pi, nil }), F8)
	def("radians", F8, floatFn(func(x float64) (float64, error) { return x * math.Pi / 180, nil }), F8)
	trig := map[string]func(float64) float64{"sin": math.Sin, "cos": math.Cos, "tan": math.Tan,
		"asin": math.Asin, "acos": math.Acos, "atan": math.Atan, "sinh": math.Sinh, "cosh": math.Cosh, "tanh": math.Tanh,
		"asinh": math.Asinh, "acosh": math.Acosh, "atanh": math.Atanh}
	for n, f := range trig {
		f, n := f, n
		def(n, F8, floatFn(func(x float64) (float64, error) {
			r := f(x)
			if math.IsNaN(r) && !math.IsNaN(x) {
				return 0, errorf(CodeNumericOutOfRange, "input is out of range")
			}
			return r, nil
		}), F8)
	}
	def("cot", F8, floatFn(func(x float64) (float64, error) { return 1 / math.Tan(x), nil }), F8)
	def("atan2", F8, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return types.DFloat(math.Atan2(fl(a[0]), fl(a[1]))), nil
	}, F8, F8)
	for _, t := range []*types.T{I4, I8} {
		w := t.Width
		def("gcd", t, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			x, y := in(a[0]), in(a[1])
			g := new(big.Int).GCD(nil, nil, new(big.Int).Abs(big.NewInt(x)), new(big.Int).Abs(big.NewInt(y)))
			if !g.IsInt64() {
				return nil, intOutOfRange(w)
			}
			return intResult(g.Int64(), w)
		}, t, t)
		def("lcm", t, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			x, y := in(a[0]), in(a[1])
			if x == 0 || y == 0 {
				return dint(0), nil
			}
			g := gcd64(x, y)
			l := new(big.Int).Mul(big.NewInt(x/g), big.NewInt(y))
			l.Abs(l)
			if !l.IsInt64() {
				return nil, intOutOfRange(w)
			}
			return intResult(l.Int64(), w)
		}, t, t)
	}
	def("factorial", N, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		n := in(a[0])
		if n < 0 {
			return nil, errorf(CodeNumericOutOfRange, "factorial of a negative number is undefined")
		}
		if n > 32177 {
			return nil, numericOverflow()
		}
		r := new(big.Int).MulRange(1, max(n, 1))
		d := new(apd.Decimal)
		d.Coeff.SetMathBigInt(r)
		return newDec(d), nil
	}, I8)
	def("width_bucket", I4, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		x, lo, hi, n := fl(a[0]), fl(a[1]), fl(a[2]), in(a[3])
		if n <= 0 {
			return nil, errorf("2201G", "count must be greater than zero")
		}
		if lo == hi || math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			return nil, errorf("2201G", "lower bound cannot equal upper bound")
		}
		var r int64
		if lo < hi {
			switch {
			case x < lo:
				r = 0
			case x >= hi:
				r = n + 1
			default:
				r = int64(float64(n)*(x-lo)/(hi-lo)) + 1
			}
		} else {
			switch {
			case x > lo:
				r = 0
			case x <= hi:
				r = n + 1
			default:
				r = int64(float64(n)*(lo-x)/(lo-hi)) + 1
			}
		}
		return intResult(r, 32)
	}, F8, F8, F8, I4)
}
