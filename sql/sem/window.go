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

// frameParts returns row's frame as ascending row ranges [start, end),
// without the rows its EXCLUDE option removes, in buf.
func frameParts(p WindowPartition, row int, buf *[3][2]int) [][2]int {
	s, e := p.Frame(row)
	parts := buf[:0]
	x, ok := p.(FrameExcluder)
	if !ok {
		if s < e {
			parts = append(parts, [2]int{s, e})
		}
		return parts
	}
	xs, xe, keep := x.Excluded(row)
	add := func(a, b int) {
		a, b = max(a, s), min(b, e)
		if a < b {
			parts = append(parts, [2]int{a, b})
		}
	}
	if xs >= xe {
		add(s, e)
		return parts
	}
	add(s, xs)
	if keep {
		add(row, row+1)
	}
	add(xe, e)
	return parts
}

func excludes(p WindowPartition, row int) bool {
	if x, ok := p.(FrameExcluder); ok {
		xs, xe, _ := x.Excluded(row)
		return xs < xe
	}
	return false
}

func (w *windowAgg) Eval(ctx *EvalContext, p WindowPartition, row int) (types.Datum, error) {
	if excludes(p, row) {
		return w.evalParts(ctx, p, row)
	}
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

// evalParts computes the aggregate afresh over a frame with holes (an
// EXCLUDE option); the next row starts afresh too.
func (w *windowAgg) evalParts(ctx *EvalContext, p WindowPartition, row int) (types.Datum, error) {
	var buf [3][2]int
	agg := w.o.NewAgg()
	w.agg = nil
	n := len(w.o.Args)
	if cap(w.args) < n {
		w.args = make([]types.Datum, n)
	}
	args := w.args[:n]
	for _, pr := range frameParts(p, row, &buf) {
		for r := pr[0]; r < pr[1]; r++ {
			for i := range args {
				d, err := p.Arg(r, i)
				if err != nil {
					return nil, err
				}
				args[i] = d
			}
			if err := agg.Add(ctx, args); err != nil {
				return nil, err
			}
		}
	}
	return agg.Result(ctx)
}

type rowNumberFn struct{}

func (rowNumberFn) Eval(_ *EvalContext, _ WindowPartition, row int) (types.Datum, error) {
	return types.DInt(row + 1), nil
}

type rankFn struct{}

func (rankFn) Eval(_ *EvalContext, p WindowPartition, row int) (types.Datum, error) {
	s, _ := p.Peers(row)
	return types.DInt(s + 1), nil
}

type denseRankFn struct {
	rank      int64
	lastStart int
}

func (f *denseRankFn) Eval(_ *EvalContext, p WindowPartition, row int) (types.Datum, error) {
	s, _ := p.Peers(row)
	if f.rank == 0 || s != f.lastStart {
		f.rank++
		f.lastStart = s
	}
	return types.DInt(f.rank), nil
}

type percentRankFn struct{}

func (percentRankFn) Eval(_ *EvalContext, p WindowPartition, row int) (types.Datum, error) {
	n := p.NumRows()
	if n <= 1 {
		return types.DFloat(0), nil
	}
	s, _ := p.Peers(row)
	return types.DFloat(float64(s) / float64(n-1)), nil
}

type cumeDistFn struct{}

func (cumeDistFn) Eval(_ *EvalContext, p WindowPartition, row int) (types.Datum, error) {
	_, e := p.Peers(row)
	return types.DFloat(float64(e) / float64(p.NumRows())), nil
}

type ntileFn struct {
	buckets int64
	have    bool
	null    bool
}

func (f *ntileFn) Eval(_ *EvalContext, p WindowPartition, row int) (types.Datum, error) {
	if !f.have {
		d, err := p.Arg(row, 0)
		if err != nil {
			return nil, err
		}
		f.have = true
		if types.IsNull(d) {
			f.null = true
		} else {
			f.buckets = int64(d.(types.DInt))
			if f.buckets <= 0 {
				return nil, errorf(CodeInvalidArgForNtile, "argument of ntile must be greater than zero")
			}
		}
	}
	if f.null {
		return types.Null, nil
	}
	n := int64(p.NumRows())
	per := n / f.buckets
	extra := n % f.buckets
	r := int64(row)
	// The first `extra` buckets hold per+1 rows.
	if r < extra*(per+1) {
		return types.DInt(r/(per+1) + 1), nil
	}
	if per == 0 {
		return types.DInt(r + 1), nil
	}
	return types.DInt(extra + (r-extra*(per+1))/per + 1), nil
}

// lagLeadFn is lag/lead(value [, offset [, default]]) over the partition.
type lagLeadFn struct {
	lead  bool
	nargs int
}

func (f *lagLeadFn) Eval(_ *EvalContext, p WindowPartition, row int) (types.Datum, error) {
	off := int64(1)
	if f.nargs > 1 {
		d, err := p.Arg(row, 1)
		if err != nil {
			return nil, err
		}
		if types.IsNull(d) {
			return types.Null, nil
		}
		off = int64(d.(types.DInt))
	}
	if !f.lead {
		off = -off
	}
	target := int64(row) + off
	if target < 0 || target >= int64(p.NumRows()) {
		if f.nargs > 2 {
			return p.Arg(row, 2)
		}
		return types.Null, nil
	}
	return p.Arg(int(target), 0)
}

type frameValueFn struct {
	which string // first, last, nth
}

// Eval computes first/last/nth_value over row's frame, less the rows its
// EXCLUDE option removes (frameParts: one part when there is none).
func (f *frameValueFn) Eval(_ *EvalContext, p WindowPartition, row int) (types.Datum, error) {
	return f.evalParts(p, row)
}

func addWindow(name string, args []*types.T, ret *types.T, mk func() WindowFunc) {
	addFunc(&FuncOverload{Name: name, Class: Window, Args: args, Return: ret, CalledOnNull: true, NewWindow: mk})
}

func init() {
	I8, I4, F8, E := types.Int8, types.Int4, types.Float8, anyElement
	addWindow("row_number", nil, I8, func() WindowFunc { return rowNumberFn{} })
	addWindow("rank", nil, I8, func() WindowFunc { return rankFn{} })
	addWindow("dense_rank", nil, I8, func() WindowFunc { return &denseRankFn{} })
	addWindow("percent_rank", nil, F8, func() WindowFunc { return percentRankFn{} })
	addWindow("cume_dist", nil, F8, func() WindowFunc { return cumeDistFn{} })
	addWindow("ntile", []*types.T{I4}, I4, func() WindowFunc { return &ntileFn{} })
	for _, lead := range []bool{false, true} {
		name := "lag"
		if lead {
			name = "lead"
		}
		lead := lead
		addWindow(name, []*types.T{E}, E, func() WindowFunc { return &lagLeadFn{lead: lead, nargs: 1} })
		addWindow(name, []*types.T{E, I4}, E, func() WindowFunc { return &lagLeadFn{lead: lead, nargs: 2} })
		addWindow(name, []*types.T{anyCompat, I4, anyCompat}, anyCompat, func() WindowFunc { return &lagLeadFn{lead: lead, nargs: 3} })
	}
	addWindow("first_value", []*types.T{E}, E, func() WindowFunc { return &frameValueFn{which: "first"} })
	addWindow("last_value", []*types.T{E}, E, func() WindowFunc { return &frameValueFn{which: "last"} })
	addWindow("nth_value", []*types.T{E, I4}, E, func() WindowFunc { return &frameValueFn{which: "nth"} })
}

// evalParts is Eval over the frame's parts (holes left by an EXCLUDE option).
func (f *frameValueFn) evalParts(p WindowPartition, row int) (types.Datum, error) {
	var buf [3][2]int
	parts := frameParts(p, row, &buf)
	switch f.which {
	case "first":
		if len(parts) == 0 {
			return types.Null, nil
		}
		return p.Arg(parts[0][0], 0)
	case "last":
		if len(parts) == 0 {
			return types.Null, nil
		}
		return p.Arg(parts[len(parts)-1][1]-1, 0)
	}
	d, err := p.Arg(row, 1)
	if err != nil {
		return nil, err
	}
	if types.IsNull(d) {
		return types.Null, nil
	}
	n := int64(d.(types.DInt))
	if n <= 0 {
		return nil, errorf(CodeInvalidArgForNth, "argument of nth_value must be greater than zero")
	}
	for _, pr := range parts {
		if size := int64(pr[1] - pr[0]); n > size {
			n -= size
			continue
		}
		return p.Arg(pr[0]+int(n-1), 0)
	}
	return types.Null, nil
}
