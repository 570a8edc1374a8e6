package sem

import (
	"github.com/tesseradb/tessera/sql/types"
)

// ArraySubscript is a[i] (1-based; out of range or NULL → NULL).
func ArraySubscript(arr, idx types.Datum) types.Datum {
	a, ok := arr.(*types.DArray)
	if !ok || types.IsNull(idx) {
		return types.Null
	}
	i := int64(idx.(types.DInt))
	if i < 1 || i > int64(len(a.Elems)) {
		return types.Null
	}
	return a.Elems[i-1]
}

func arr(d types.Datum) *types.DArray { return d.(*types.DArray) }

// elemEqual compares array elements for @>, <@, && and array_position:
// NULL elements never match.
func elemEqual(et *types.T, a, b types.Datum) bool {
	if types.IsNull(a) || types.IsNull(b) {
		return false
	}
	c, err := types.CompareTyped(et, a, b)
	return err == nil && c == 0
}

func arrayContains(a, b *types.DArray) bool {
	for _, y := range b.Elems {
		found := false
		for _, x := range a.Elems {
			if elemEqual(a.Elem, x, y) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func arrayOverlap(a, b *types.DArray) bool {
	for _, y := range b.Elems {
		for _, x := range a.Elems {
			if elemEqual(a.Elem, x, y) {
				return true
			}
		}
	}
	return false
}

func newArray(et *types.T, elems []types.Datum) *types.DArray {
	return &types.DArray{Elem: et, Elems: elems}
}

func init() {
	A, E := anyArray, anyElement
	addBinary(&BinaryOverload{Op: OpContains, Left: A, Right: A, Return: types.Bool,
		Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			return types.DBool(arrayContains(arr(l), arr(r))), nil
		}})
	addBinary(&BinaryOverload{Op: OpContainedBy, Left: A, Right: A, Return: types.Bool,
		Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			return types.DBool(arrayContains(arr(r), arr(l))), nil
		}})
	addBinary(&BinaryOverload{Op: OpOverlap, Left: A, Right: A, Return: types.Bool,
		Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			return types.DBool(arrayOverlap(arr(l), arr(r))), nil
		}})
	addBinary(&BinaryOverload{Op: OpConcat, Left: A, Right: A, Return: A, CalledOnNull: true,
		bind: func(o *BinaryOverload) {
			et := o.Return.Elem
			o.Fn = func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
				switch {
				case types.IsNull(l) && types.IsNull(r):
					return types.Null, nil
				case types.IsNull(l):
					return r, nil
				case types.IsNull(r):
					return l, nil
				}
				out := append(append([]types.Datum(nil), arr(l).Elems...), arr(r).Elems...)
				return newArray(et, out), nil
			}
		}})
	addBinary(&BinaryOverload{Op: OpConcat, Left: A, Right: E, Return: A, CalledOnNull: true,
		bind: func(o *BinaryOverload) {
			et := o.Return.Elem
			o.Fn = func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
				var out []types.Datum
				if !types.IsNull(l) {
					out = append(out, arr(l).Elems...)
				}
				return newArray(et, append(out, r)), nil
			}
		}})
	addBinary(&BinaryOverload{Op: OpConcat, Left: E, Right: A, Return: A, CalledOnNull: true,
		bind: func(o *BinaryOverload) {
			et := o.Return.Elem
			o.Fn = func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
				out := []types.Datum{l}
				if !types.IsNull(r) {
					out = append(out, arr(r).Elems...)
				}
				return newArray(et, out), nil
			}
		}})
}
