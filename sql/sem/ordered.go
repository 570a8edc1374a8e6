package sem

import (
	"math"

	"github.com/tesseradb/tessera/sql/types"
)

// orderedSetAgg collects the sorted, non-NULL values of an ordered-set
// aggregate and its direct argument (the first row's).
type orderedSetAgg struct {
	t      *types.T
	frac   types.Datum
	vals   []types.Datum
	kind   string // cont, disc, mode
	haveFr bool
}

func (a *orderedSetAgg) Add(_ *EvalContext, args []types.Datum) error {
	x := args[len(args)-1]
	if a.kind != "mode" && !a.haveFr {
		a.frac, a.haveFr = args[0], true
	}
	if !types.IsNull(x) {
		a.vals = append(a.vals, x)
	}
	return nil
}

func (a *orderedSetAgg) Result(*EvalContext) (types.Datum, error) {
	n := len(a.vals)
	if n == 0 {
		return types.Null, nil
	}
	if a.kind == "mode" {
		best, bestN := a.vals[0], 0
		for i := 0; i < n; {
			j := i + 1
			for j < n {
				c, err := types.CompareTyped(a.t, a.vals[i], a.vals[j])
				if err != nil || c != 0 {
					break
				}
				j++
			}
			if j-i > bestN {
				best, bestN = a.vals[i], j-i
			}
			i = j
		}
		return best, nil
	}
	if types.IsNull(a.frac) {
		return types.Null, nil
	}
	if fa, ok := a.frac.(*types.DArray); ok {
		// percentile_cont/disc(array of fractions): one result per fraction
		out := &types.DArray{Elem: a.t, Elems: make([]types.Datum, len(fa.Elems)), Dims: fa.Dims}
		for i, e := range fa.Elems {
			if types.IsNull(e) {
				out.Elems[i] = types.Null
				continue
			}
			v, err := a.percentile(float64(e.(types.DFloat)))
			if err != nil {
				return nil, err
			}
			out.Elems[i] = v
		}
		return out, nil
	}
	return a.percentile(float64(a.frac.(types.DFloat)))
}

// percentile is the percentile f of the sorted values (at least one).
func (a *orderedSetAgg) percentile(f float64) (types.Datum, error) {
	n := len(a.vals)
	if f < 0 || f > 1 || math.IsNaN(f) {
		return nil, errorf("22003", "percentile value %g is not between 0 and 1", f)
	}
	if a.kind == "disc" {
		// The first value whose cumulative distribution reaches f.
		k := int(math.Ceil(f*float64(n))) - 1
		if k < 0 {
			k = 0
		}
		return a.vals[k], nil
	}
	pos := f * float64(n-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	if a.t.Family == types.IntervalFamily {
		x, y := a.vals[lo].(types.DInterval), a.vals[hi].(types.DInterval)
		if lo == hi {
			return x, nil
		}
		d, err := intervalAdd(y, x, true)
		if err != nil {
			return nil, err
		}
		part, err := intervalMul(d.(types.DInterval), pos-float64(lo))
		if err != nil {
			return nil, err
		}
		return intervalAdd(x, part.(types.DInterval), false)
	}
	x, y := float64(a.vals[lo].(types.DFloat)), float64(a.vals[hi].(types.DFloat))
	return types.DFloat(x + (pos-float64(lo))*(y-x)), nil
}

func init() {
	F8 := types.Float8
	for _, t := range []*types.T{F8, types.Interval} {
		t := t
		addFunc(&FuncOverload{Name: "percentile_cont", Class: Aggregate, OrderedSet: true, Args: []*types.T{F8, t}, Return: t,
			CalledOnNull: true, NewAgg: func() AggFunc { return &orderedSetAgg{t: t, kind: "cont"} }})
	}
	F8A, err := types.MakeArray(F8)
	if err != nil {
		panic(err)
	}
	for _, t := range []*types.T{F8, types.Interval} {
		t := t
		at, err := types.MakeArray(t)
		if err != nil {
			panic(err)
		}
		addFunc(&FuncOverload{Name: "percentile_cont", Class: Aggregate, OrderedSet: true, Args: []*types.T{F8A, t}, Return: at,
			CalledOnNull: true, NewAgg: func() AggFunc { return &orderedSetAgg{t: t, kind: "cont"} }})
	}
	addFunc(&FuncOverload{Name: "percentile_disc", Class: Aggregate, OrderedSet: true, Args: []*types.T{F8A, anyNonArray},
		Return: anyArray, CalledOnNull: true, bind: func(o *FuncOverload) {
			t := o.Args[1]
			o.NewAgg = func() AggFunc { return &orderedSetAgg{t: t, kind: "disc"} }
		}})
	addFunc(&FuncOverload{Name: "percentile_disc", Class: Aggregate, OrderedSet: true, Args: []*types.T{F8, anyElement},
		Return: anyElement, CalledOnNull: true, bind: func(o *FuncOverload) {
			t := o.Args[1]
			o.NewAgg = func() AggFunc { return &orderedSetAgg{t: t, kind: "disc"} }
		}})
	addFunc(&FuncOverload{Name: "mode", Class: Aggregate, OrderedSet: true, Args: []*types.T{anyElement},
		Return: anyElement, CalledOnNull: true, bind: func(o *FuncOverload) {
			t := o.Args[0]
			o.NewAgg = func() AggFunc { return &orderedSetAgg{t: t, kind: "mode"} }
		}})
	def("overlay", types.String, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return overlay(str(a[0]), str(a[1]), in(a[2]), int64(len([]rune(str(a[1])))))
	}, types.String, types.String, types.Int4)
	def("overlay", types.String, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
		return overlay(str(a[0]), str(a[1]), in(a[2]), in(a[3]))
	}, types.String, types.String, types.Int4, types.Int4)
}

// overlay is OVERLAY(s PLACING r FROM start FOR count).
func overlay(s, r string, start, count int64) (types.Datum, error) {
	if start < 1 {
		return nil, errorf(CodeSubstringError, "negative substring length not allowed")
	}
	head, err := substrRunes(s, 1, start-1, true)
	if err != nil {
		return nil, err
	}
	tail, err := substrRunes(s, start+count, 0, false)
	if err != nil {
		return nil, err
	}
	return types.DString(head + r + tail), nil
}
