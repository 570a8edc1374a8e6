package exec

import (
	"sort"

	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

type partition struct {
	env   *Env
	call  *plan.WindowCall
	rows  []Row // in window order
	keys  []Row // ORDER BY values per row
	peerS []int
	peerE []int
	args  [][]types.Datum
}

func (p *partition) NumRows() int { return len(p.rows) }

func (p *partition) Arg(row, i int) (types.Datum, error) {
	if p.args[row] == nil {
		a := make([]types.Datum, len(p.call.Args))
		for j, e := range p.call.Args {
			v, err := p.env.Eval(e, p.rows[row])
			if err != nil {
				return nil, err
			}
			a[j] = v
		}
		p.args[row] = a
	}
	return p.args[row][i], nil
}

func (p *partition) Peers(row int) (int, int) { return p.peerS[row], p.peerE[row] }

func (p *partition) offset(e plan.Expr, row int) int {
	v, err := p.env.Eval(e, p.rows[row])
	if err != nil || types.IsNull(v) {
		return 0
	}
	if d, ok := v.(types.DInt); ok {
		return int(d)
	}
	return 0
}

func (p *partition) Frame(row int) (int, int) {
	n := len(p.rows)
	f := p.call.Frame
	if f == nil {
		if len(p.call.OrderBy) == 0 {
			return 0, n
		}
		return 0, p.peerE[row]
	}
	bound := func(kind int, off plan.Expr, start bool) int {
		switch kind {
		case 0:
			return 0
		case 4:
			return n
		case 2:
			if f.Rows {
				if start {
					return row
				}
				return row + 1
			}
			if start {
				return p.peerS[row]
			}
			return p.peerE[row]
		case 1, 3:
			if f.Groups {
				return p.groupBound(kind, off, row, start)
			}
			if !f.Rows {
				return p.rangeBound(kind, off, row, start)
			}
		}
		switch kind {
		case 1:
			k := row - p.offset(off, row)
			if !start {
				k++
			}
			return k
		case 3:
			k := row + p.offset(off, row)
			if !start {
				k++
			}
			return k
		}
		return row
	}
	s, e := bound(f.StartKind, f.StartOff, true), bound(f.EndKind, f.EndOff, false)
	if s < 0 {
		s = 0
	}
	if e > n {
		e = n
	}
	if s > n {
		s = n
	}
	if e < 0 {
		e = 0
	}
	return s, e
}

// groupBound is a GROUPS frame bound: off peer groups before (kind 1) or
// after (kind 3) the row's group; start is the first row of that group,
// an end the row after its last.
func (p *partition) groupBound(kind int, off plan.Expr, row int, start bool) int {
	n := p.offset(off, row)
	g := p.peerS[row]
	if kind == 1 {
		for ; n > 0 && g > 0; n-- {
			g = p.peerS[g-1]
		}
		if n > 0 {
			return 0 // before the first group: empty when it is the end
		}
	} else {
		for ; n > 0; n-- {
			if p.peerE[g] >= len(p.rows) {
				return len(p.rows) // past the last group
			}
			g = p.peerE[g]
		}
	}
	if start {
		return g
	}
	return p.peerE[g]
}

// rangeBound is a RANGE frame bound with an offset: the rows whose one
// ORDER BY key lies within off before (kind 1) or after (kind 3) the
// row's key, in the sort direction. A NULL key's frame is its peers; a
// non-NULL key's frame holds no NULL.
func (p *partition) rangeBound(kind int, off plan.Expr, row int, start bool) int {
	key := p.keys[row][0]
	if types.IsNull(key) {
		if start {
			return p.peerS[row]
		}
		return p.peerE[row]
	}
	o := p.call.OrderBy[0]
	t := o.E.Type()
	ov, err := p.env.Eval(off, p.rows[row])
	if err != nil || types.IsNull(ov) {
		return row
	}
	op := sem.OpPlus
	if (kind == 1) != o.Desc {
		op = sem.OpMinus
	}
	bo, err := sem.ResolveBinary(op, t, t)
	if err != nil {
		return row
	}
	target, err := bo.Fn(p.env.EvalCtx, key, ov)
	if err != nil || types.IsNull(target) {
		return row
	}
	dir := func(j int) int { // the order of key j against target
		c, err := types.CompareTyped(t, p.keys[j][0], target)
		if err != nil {
			return 0
		}
		if o.Desc {
			return -c
		}
		return c
	}
	n := len(p.rows)
	if start {
		// first row not before target (NULLs first are before it)
		return sort.Search(n, func(j int) bool {
			if types.IsNull(p.keys[j][0]) {
				return !o.NullsFirst
			}
			return dir(j) >= 0
		})
	}
	// first row after target (NULLs last are after it)
	return sort.Search(n, func(j int) bool {
		if types.IsNull(p.keys[j][0]) {
			return !o.NullsFirst
		}
		return dir(j) > 0
	})
}

func (env *Env) newWindow(n *plan.Window) (Iter, error) {
	rows, err := env.collectAccounted(n.In)
	if err != nil {
		return nil, err
	}
	width := len(n.In.Columns())
	out := make([]Row, len(rows))
	for i, r := range rows {
		o := make(Row, width+len(n.Calls))
		copy(o, r)
		out[i] = o
	}
	for ci := range n.Calls {
		call := &n.Calls[ci]
		// Partition (in order of first appearance), then sort each.
		parts := map[string][]int{}
		var porder []string
		for i, r := range rows {
			var kb []byte
			for _, e := range call.PartitionBy {
				v, err := env.Eval(e, r)
				if err != nil {
					return nil, err
				}
				kb = appendDatumKey(kb, e.Type(), v)
			}
			k := string(kb)
			if _, ok := parts[k]; !ok {
				porder = append(porder, k)
			}
			parts[k] = append(parts[k], i)
		}
		for _, pk := range porder {
			idx := parts[pk]
			keys := make([]Row, len(idx))
			for j, ri := range idx {
				kr := make(Row, len(call.OrderBy))
				for k, o := range call.OrderBy {
					if kr[k], err = env.Eval(o.E, rows[ri]); err != nil {
						return nil, err
					}
				}
				keys[j] = kr
			}
			perm := make([]int, len(idx))
			for j := range perm {
				perm[j] = j
			}
			cmp := func(a, b int) int {
				for k, o := range call.OrderBy {
					c, err := compareDatums(o.E.Type(), keys[a][k], keys[b][k], o.Desc, o.NullsFirst)
					if err == nil && c != 0 {
						return c
					}
				}
				return 0
			}
			sort.SliceStable(perm, func(a, b int) bool { return cmp(perm[a], perm[b]) < 0 })
			p := &partition{env: env, call: call, rows: make([]Row, len(idx)), keys: make([]Row, len(idx)),
				peerS: make([]int, len(idx)), peerE: make([]int, len(idx)), args: make([][]types.Datum, len(idx))}
			for j, pj := range perm {
				p.rows[j] = rows[idx[pj]]
				p.keys[j] = keys[pj]
			}
			for j := 0; j < len(perm); {
				k := j + 1
				for k < len(perm) && cmp(perm[j], perm[k]) == 0 {
					k++
				}
				for m := j; m < k; m++ {
					p.peerS[m], p.peerE[m] = j, k
				}
				j = k
			}
			var wf sem.WindowFunc
			if call.Ov.Class == sem.Window {
				wf = call.Ov.NewWindow()
			} else {
				wf = sem.WindowAggregate(call.Ov)
			}
			for j, pj := range perm {
				v, err := wf.Eval(env.EvalCtx, p, j)
				if err != nil {
					return nil, err
				}
				out[idx[pj]][width+ci] = v
			}
		}
	}
	return &sliceIter{rows: out}, nil
}
