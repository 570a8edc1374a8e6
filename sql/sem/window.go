package sem

import (
	"github.com/tesseradb/tessera/sql/types"
)

// WindowAggregate evaluates an aggregate overload (Class Aggregate) as a
// window function over each row's frame: frames that keep their start
// and grow (the default RANGE UNBOUNDED PRECEDING .. CURRENT ROW, or
// ROWS) are computed incrementally; any other frame movement recomputes
// from the frame's rows. Use one per partition.
func WindowAggregate(o *FuncOverload) WindowFunc {
	return &windowAgg{o: o}
}

type windowAgg struct {
	o          *FuncOverload
	agg        AggFunc
	start, end int
	args       []types.Datum
}

func (w *windowAgg) Eval(ctx *EvalContext, p WindowPartition, row int) (types.Datum, error) {
	s, e := p.Frame(row)
	if e < s {
		e = s
	}
	if w.agg == nil || s != w.start || e < w.end {
		w.agg = w.o.NewAgg()
		w.start, w.end = s, s
	}
	n := len(w.o.Args)
	if cap(w.args) < n {
		w.args = make([]types.Datum, n)
	}
	args := w.args[:n]
	for r := w.end; r < e; r++ {
		for i := range args {
			d, err := p.Arg(r, i)
			if err != nil {
				return nil, err
			}
			args[i] = d
		}
		if err := w.agg.Add(ctx, args); err != nil {
			return nil, err
		}
	}
	w.end = e
	return w.agg.Result(ctx)
}
