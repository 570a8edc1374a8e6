package sem

import (
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/tesseradb/tessera/sql/types"
)

var intTypes = []*types.T{types.Int2, types.Int4, types.Int8}

func intOutOfRange(w int) error {
	switch w {
	case 16:
		return errorf(CodeNumericOutOfRange, "smallint out of range")
	case 32:
		return errorf(CodeNumericOutOfRange, "integer out of range")
	}
	return errorf(CodeNumericOutOfRange, "bigint out of range")
}

func intFits(v int64, w int) bool {
	switch w {
	case 16:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case 32:
		return v >= math.MinInt32 && v <= math.MaxInt32
	}
	return true
}

func intResult(v int64, w int) (types.Datum, error) {
	if !intFits(v, w) {
		return nil, intOutOfRange(w)
	}
	return types.DInt(v), nil
}

func addInt(a, b int64, w int) (types.Datum, error) {
	r := a + b
	if w == 64 && ((r^a)&(r^b)) < 0 {
		return nil, intOutOfRange(w)
	}
	return intResult(r, w)
}

func subInt(a, b int64, w int) (types.Datum, error) {
	r := a - b
	if w == 64 && ((a^b)&(a^r)) < 0 {
		return nil, intOutOfRange(w)
	}
	return intResult(r, w)
}

func mulInt(a, b int64, w int) (types.Datum, error) {
	if w == 64 {
		if a != 0 && b != 0 {
			r := a * b
			if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
				return nil, intOutOfRange(w)
			}
			return types.DInt(r), nil
		}
		return types.DInt(0), nil
	}
	return intResult(a*b, w)
}

func divInt(a, b int64, w int) (types.Datum, error) {
	if b == 0 {
		return nil, errDivZero
	}
	if b == -1 {
		if w == 64 && a == math.MinInt64 {
			return nil, intOutOfRange(w)
		}
		return intResult(-a, w)
	}
	return types.DInt(a / b), nil
}

func modInt(a, b int64) (types.Datum, error) {
	if b == 0 {
		return nil, errDivZero
	}
	if b == -1 {
		return types.DInt(0), nil
	}
	return types.DInt(a % b), nil
}

func floatCheck(r float64, infOK bool, zeroOK bool, w int) (types.Datum, error) {
	if math.IsInf(r, 0) && !infOK {
		return nil, errorf(CodeNumericOutOfRange, "value out of range: overflow")
	}
	if r == 0 && !zeroOK {
		return nil, errorf(CodeNumericOutOfRange, "value out of range: underflow")
	}
	if w == 32 {
		return types.DFloat(float32(r)), nil
	}
	return types.DFloat(r), nil
}

func f32(v float64, w int) float64 {
	if w == 32 {
		return float64(float32(v))
	}
	return v
}

func fl(d types.Datum) float64 { return float64(d.(types.DFloat)) }
func in(d types.Datum) int64   { return int64(d.(types.DInt)) }

func init() {
	b := func(op BinaryOp, l, r, ret *types.T, fn BinaryFn) {
		addBinary(&BinaryOverload{Op: op, Left: l, Right: r, Return: ret, Fn: fn})
	}
	for _, t := range intTypes {
		w := t.Width
		b(OpPlus, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return addInt(in(l), in(r), w) })
		b(OpMinus, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return subInt(in(l), in(r), w) })
		b(OpMult, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return mulInt(in(l), in(r), w) })
		b(OpDiv, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return divInt(in(l), in(r), w) })
		b(OpMod, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return modInt(in(l), in(r)) })
		b(OpBitAnd, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return types.DInt(in(l) & in(r)), nil })
		b(OpBitOr, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return types.DInt(in(l) | in(r)), nil })
		b(OpBitXor, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return types.DInt(in(l) ^ in(r)), nil })
		b(OpLShift, t, types.Int4, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			return types.DInt(truncInt(in(l)<<(uint64(in(r))&uint64(w-1)), w)), nil
		})
		b(OpRShift, t, types.Int4, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			return types.DInt(in(l) >> (uint64(in(r)) & uint64(w-1))), nil
		})
		addUnary(&UnaryOverload{Op: OpUnaryMinus, Operand: t, Return: t, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) {
			v := in(d)
			if w == 64 && v == math.MinInt64 {
				return nil, intOutOfRange(w)
			}
			return intResult(-v, w)
		}})
		addUnary(&UnaryOverload{Op: OpUnaryPlus, Operand: t, Return: t, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) { return d, nil }})
		addUnary(&UnaryOverload{Op: OpBitNot, Operand: t, Return: t, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) { return ^d.(types.DInt), nil }})
		addUnary(&UnaryOverload{Op: OpAbs, Operand: t, Return: t, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) { return absInt(in(d), w) }})
	}
	for _, t := range []*types.T{types.Float4, types.Float8} {
		w := t.Width
		b(OpPlus, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			x, y := fl(l), fl(r)
			return floatCheck(f32(x+y, w), math.IsInf(x, 0) || math.IsInf(y, 0), true, w)
		})
		b(OpMinus, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			x, y := fl(l), fl(r)
			return floatCheck(f32(x-y, w), math.IsInf(x, 0) || math.IsInf(y, 0), true, w)
		})
		b(OpMult, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			x, y := fl(l), fl(r)
			return floatCheck(f32(x*y, w), math.IsInf(x, 0) || math.IsInf(y, 0), x == 0 || y == 0, w)
		})
		b(OpDiv, t, t, t, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			x, y := fl(l), fl(r)
			if y == 0 {
				return nil, errDivZero
			}
			return floatCheck(f32(x/y, w), math.IsInf(x, 0) || math.IsInf(y, 0), x == 0 || math.IsInf(y, 0), w)
		})
		addUnary(&UnaryOverload{Op: OpUnaryMinus, Operand: t, Return: t, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) { return -d.(types.DFloat), nil }})
		addUnary(&UnaryOverload{Op: OpUnaryPlus, Operand: t, Return: t, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) { return d, nil }})
		addUnary(&UnaryOverload{Op: OpAbs, Operand: t, Return: t, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) {
			return types.DFloat(math.Abs(fl(d))), nil
		}})
	}
	// float48 / float84 operators compute in float8.
	for _, lr := range [][2]*types.T{{types.Float4, types.Float8}, {types.Float8, types.Float4}} {
		for _, op := range []BinaryOp{OpPlus, OpMinus, OpMult, OpDiv} {
			for _, o := range binaryOps[op] {
				if o.Left == types.Float8 && o.Right == types.Float8 {
					b(op, lr[0], lr[1], types.Float8, o.Fn)
					break
				}
			}
		}
	}
	b(OpPow, types.Float8, types.Float8, types.Float8, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
		return floatPow(fl(l), fl(r))
	})
	n := types.Numeric
	b(OpPlus, n, n, n, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return numAdd(decOf(l), decOf(r), false) })
	b(OpMinus, n, n, n, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return numAdd(decOf(l), decOf(r), true) })
	b(OpMult, n, n, n, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return numMul(decOf(l), decOf(r)) })
	b(OpDiv, n, n, n, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return numDiv(decOf(l), decOf(r)) })
	b(OpMod, n, n, n, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return numMod(decOf(l), decOf(r)) })
	b(OpPow, n, n, n, func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return numPow(decOf(l), decOf(r)) })
	addUnary(&UnaryOverload{Op: OpUnaryMinus, Operand: n, Return: n, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) {
		x := decOf(d)
		if isNaN(x) {
			return d, nil
		}
		r := new(apd.Decimal)
		r.Neg(x)
		return newDec(r), nil
	}})
	addUnary(&UnaryOverload{Op: OpUnaryPlus, Operand: n, Return: n, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) { return d, nil }})
	addUnary(&UnaryOverload{Op: OpAbs, Operand: n, Return: n, Fn: func(_ *EvalContext, d types.Datum) (types.Datum, error) {
		r := new(apd.Decimal)
		r.Abs(decOf(d))
		return newDec(r), nil
	}})
}

func truncInt(v int64, w int) int64 {
	switch w {
	case 16:
		return int64(int16(v))
	case 32:
		return int64(int32(v))
	}
	return v
}

func absInt(v int64, w int) (types.Datum, error) {
	if v < 0 {
		if w == 64 && v == math.MinInt64 {
			return nil, intOutOfRange(w)
		}
		return intResult(-v, w)
	}
	return types.DInt(v), nil
}

// floatPow is dpow with PostgreSQL's errors.
func floatPow(x, y float64) (types.Datum, error) {
	if math.IsNaN(x) {
		if y == 0 {
			return types.DFloat(1), nil
		}
		return types.DFloat(math.NaN()), nil
	}
	if math.IsNaN(y) {
		if x == 1 {
			return types.DFloat(1), nil
		}
		return types.DFloat(math.NaN()), nil
	}
	if x == 0 && y < 0 {
		return nil, errorf(CodeInvalidArgForPower, "zero raised to a negative power is undefined")
	}
	if x < 0 && y != math.Trunc(y) && !math.IsInf(y, 0) {
		return nil, errorf(CodeInvalidArgForPower, "a negative number raised to a non-integer power yields a complex result")
	}
	r := math.Pow(x, y)
	if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return nil, errorf(CodeNumericOutOfRange, "value out of range: overflow")
	}
	if r == 0 && x != 0 && !math.IsInf(y, 0) && !math.IsInf(x, 0) {
		return nil, errorf(CodeNumericOutOfRange, "value out of range: underflow")
	}
	return types.DFloat(r), nil
}
