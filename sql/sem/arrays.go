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
	A, CA, CE := anyArray, anyCompatArray, anyCompat
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
	addBinary(&BinaryOverload{Op: OpConcat, Left: CA, Right: CA, Return: CA, CalledOnNull: true,
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
	addBinary(&BinaryOverload{Op: OpConcat, Left: CA, Right: CE, Return: CA, CalledOnNull: true,
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
	addBinary(&BinaryOverload{Op: OpConcat, Left: CE, Right: CA, Return: CA, CalledOnNull: true,
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

func init() {
	I4 := types.Int4
	i4Array, _ := types.MakeArray(I4)
	// array_fill(value, dims): an array of those dimension lengths (lower
	// bounds are always 1 here) with every element value.
	polyFunc("array_fill", []*types.T{anyElement, i4Array}, anyArray, true, func(o *FuncOverload) fnImpl {
		et := o.Args[0]
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			if types.IsNull(a[1]) {
				return nil, errorf(CodeNullValueNotAllowed, "dimension array or low bound array cannot be null")
			}
			dims := arr(a[1])
			if len(dims.Elems) > 6 {
				return nil, errorf(CodeProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (6)", len(dims.Elems))
			}
			n := int64(1)
			var lens []int
			for _, d := range dims.Elems {
				if types.IsNull(d) {
					return nil, errorf(CodeNullValueNotAllowed, "dimension values cannot be null")
				}
				l := max(in(d), 0)
				n *= l
				if n > 1<<27 {
					return nil, errorf(CodeProgramLimitExceeded, "array size exceeds the maximum allowed (134217727)")
				}
				lens = append(lens, int(l))
			}
			if n == 0 {
				return newArray(et, nil), nil
			}
			out := make([]types.Datum, n)
			for i := range out {
				out[i] = a[0]
			}
			r := newArray(et, out)
			if len(lens) > 1 {
				r.Dims = lens
			}
			return r, nil
		}
	})
	// trim_array(array, n): the array without its last n elements (of the
	// first dimension).
	polyFunc("trim_array", []*types.T{anyArray, I4}, anyArray, false, func(o *FuncOverload) fnImpl {
		return func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			x, n := arr(a[0]), in(a[1])
			dims := x.DimLens()
			first := 0
			if len(dims) > 0 {
				first = dims[0]
			}
			if n < 0 || n > int64(first) {
				return nil, errorf(CodeArraySubscriptError, "number of elements to trim must be between 0 and %d", first)
			}
			keep := first - int(n)
			per := 1
			for _, d := range dims[min(1, len(dims)):] {
				per *= d
			}
			r := &types.DArray{Elem: x.Elem, Elems: append([]types.Datum(nil), x.Elems[:keep*per]...)}
			if len(dims) > 1 && keep > 0 {
				r.Dims = append([]int{keep}, dims[1:]...)
			}
			return r, nil
		}
	})
}
