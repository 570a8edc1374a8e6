package sem

import (
	"github.com/tesseradb/tessera/sql/types"
)

// comparableTypes have btree operators. VARCHAR uses TEXT's.
var comparableTypes = []*types.T{
	types.Bool, types.Int2, types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric,
	types.String, types.BPChar, types.Bytes, types.Date, types.Time, types.Timestamp, types.TimestampTZ,
	types.Interval, types.UUID, types.JSONB, anyArray,
}

func cmpResult(op BinaryOp, c int) types.DBool {
	switch op {
	case OpEQ:
		return c == 0
	case OpNE:
		return c != 0
	case OpLT:
		return c < 0
	case OpLE:
		return c <= 0
	case OpGT:
		return c > 0
	}
	return c >= 0
}

// compareFn returns a comparison of two values of type t (resolved later
// for arrays: the array's element type decides CHAR semantics).
func compareFn(t *types.T) func(a, b types.Datum) (int, error) {
	if t.Family == types.StringFamily && t.Variant == types.Char {
		return func(a, b types.Datum) (int, error) {
			return types.CompareString(types.BPChar, a.(types.DString), b.(types.DString)), nil
		}
	}
	return types.Compare
}

func init() {
	// records (ROW values, whole-row references) compare field by field,
	// a NULL field after every value, as PostgreSQL's record operators do
	for _, t := range append(append([]*types.T{}, comparableTypes...), types.Record) {
		cmp := compareFn(t)
		for op := OpEQ; op <= OpGE; op++ {
			op := op
			addBinary(&BinaryOverload{Op: op, Left: t, Right: t, Return: types.Bool,
				Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
					c, err := cmp(l, r)
					if err != nil {
						return nil, err
					}
					return cmpResult(op, c), nil
				}})
		}
		for _, op := range []BinaryOp{OpIsDistinct, OpIsNotDistinct} {
			distinct := op == OpIsDistinct
			addBinary(&BinaryOverload{Op: op, Left: t, Right: t, Return: types.Bool, CalledOnNull: true,
				Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
					ln, rn := types.IsNull(l), types.IsNull(r)
					if ln || rn {
						return types.DBool((ln != rn) == distinct), nil
					}
					c, err := cmp(l, r)
					if err != nil {
						return nil, err
					}
					return types.DBool((c != 0) == distinct), nil
				}})
		}
	}
	// json has no equality; IS DISTINCT FROM on it fails like = does.
}

// enumComparison is the comparison op of an enum type with itself (a
// literal of unknown type on one side takes the enum type), ordering the
// values by declaration order. Every enum type has these operators, so
// they are made when resolved rather than registered.
func enumComparison(op BinaryOp, l, r *types.T) (*BinaryOverload, bool) {
	if !op.IsComparison() && op != OpIsDistinct && op != OpIsNotDistinct {
		return nil, false
	}
	t := l
	if !t.IsEnum() {
		t = r
	}
	if !t.IsEnum() {
		return nil, false
	}
	for _, x := range []*types.T{l, r} {
		if !sameType(x, t) && !(x.Family == types.UnknownFamily && !isPoly(x)) {
			return nil, false
		}
	}
	if op.IsComparison() {
		return &BinaryOverload{Op: op, Left: t, Right: t, Return: types.Bool,
			Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
				c, err := types.Compare(l, r)
				if err != nil {
					return nil, err
				}
				return cmpResult(op, c), nil
			}}, true
	}
	distinct := op == OpIsDistinct
	return &BinaryOverload{Op: op, Left: t, Right: t, Return: types.Bool, CalledOnNull: true,
		Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			ln, rn := types.IsNull(l), types.IsNull(r)
			if ln || rn {
				return types.DBool((ln != rn) == distinct), nil
			}
			c, err := types.Compare(l, r)
			if err != nil {
				return nil, err
			}
			return types.DBool((c != 0) == distinct), nil
		}}, true
}

// Compare3 compares two non-NULL values of type t with the type's btree
// order (CHAR ignores trailing spaces): for ORDER BY, DISTINCT, GROUP BY
// and merge joins in the executor.
func Compare3(t *types.T, a, b types.Datum) (int, error) {
	return types.CompareTyped(t, a, b)
}
