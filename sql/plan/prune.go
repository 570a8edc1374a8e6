package plan

// Scan column pruning: pruneScans marks, for every Scan of a plan, the
// table columns some node above it reads (Scan.Needed), so that the scan
// decodes only those. A Scan's rows keep their width (the other columns
// are NULL), so no column index above it changes. The analysis is
// conservative: a node or expression it does not know, a subquery (it may
// refer to the row through OuterRef) and every node that uses whole rows
// (DISTINCT, set operations, writes, window functions, LATERAL) need all
// of their input's columns.

// pruneScans computes Scan.Needed over the whole plan n, whose own rows are
// all needed (its caller reads them). It recomputes every Scan it reaches,
// so running it again after a rewrite is correct.
func pruneScans(n Node) {
	p := pruner{need: map[*Scan][]bool{}, all: map[*Scan]bool{}}
	p.node(n, nil)
	for s, all := range p.all {
		if all {
			s.Needed = nil
		} else {
			s.Needed = p.need[s]
		}
	}
}

type pruner struct {
	need map[*Scan][]bool
	all  map[*Scan]bool
}

// colSet is the set of a node's output columns needed; nil means all.
type colSet []bool

// refs adds the input columns e reads to set (of width w); it reports
// false when e may read the row in a way not seen here.
func refs(e Expr, set []bool) bool {
	ok := true
	Walk(e, func(x Expr) bool {
		switch x := x.(type) {
		case *ColRef:
			if x.Idx < 0 || x.Idx >= len(set) {
				ok = false
			} else {
				set[x.Idx] = true
			}
		case *Const, *OuterRef, *Param, *Binary, *Unary, *Logic, *Not, *IsNull, *IsBool, *Cast,
			*Case, *Coalesce, *NullIf, *Greatest, *Func, *InList, *ArrayCtor, *AnyArray, *Subscript:
		default: // a subquery (OuterRef to this row) or an expression Walk does not open
			ok = false
		}
		return ok
	})
	return ok
}

// exprNeed is base (of width w) plus the input columns the expressions
// read; nil when they may read any.
func exprNeed(w int, base colSet, exprs ...Expr) colSet {
	set := make([]bool, w)
	copy(set, base)
	for _, e := range exprs {
		if e != nil && !refs(e, set) {
			return nil
		}
	}
	return set
}

func (p *pruner) node(n Node, need colSet) {
	switch n := n.(type) {
	case *Scan:
		if need == nil || n.Table == nil || len(need) != len(n.Table.Columns) {
			p.all[n] = true
			return
		}
		if _, seen := p.all[n]; !seen {
			p.all[n] = false
			p.need[n] = make([]bool, len(need))
		}
		for i, b := range need {
			if b {
				p.need[n][i] = true
			}
		}
	case *Filter:
		w := len(n.In.Columns())
		if need == nil {
			need = allCols(w)
		}
		p.node(n.In, exprNeed(w, need, n.Cond))
	case *Project:
		p.node(n.In, exprNeed(len(n.In.Columns()), make(colSet, 0), n.Exprs...))
	case *Sort:
		w := len(n.In.Columns())
		if need == nil {
			p.node(n.In, nil)
			return
		}
		set := make(colSet, w)
		copy(set, need)
		for _, k := range n.Keys {
			if k.Idx < 0 || k.Idx >= w {
				p.node(n.In, nil)
				return
			}
			set[k.Idx] = true
		}
		p.node(n.In, set)
	case *Limit:
		p.node(n.In, need)
	case *Agg:
		var exprs []Expr
		exprs = append(exprs, n.Groups...)
		for _, a := range n.Aggs {
			exprs = append(exprs, a.Args...)
			exprs = append(exprs, a.Filter)
			for _, o := range a.OrderBy {
				exprs = append(exprs, o.E)
			}
		}
		p.node(n.In, exprNeed(len(n.In.Columns()), make(colSet, 0), exprs...))
	case *Join:
		nl, nr := len(n.L.Columns()), len(n.R.Columns())
		var set colSet
		if need == nil {
			set = allCols(nl + nr)
			if n.Kind == SemiJoin || n.Kind == AntiJoin {
				// only L's columns come out; R's are read by On alone
				for i := nl; i < nl+nr; i++ {
					set[i] = false
				}
			}
		} else {
			set = make(colSet, nl+nr)
			copy(set, need)
		}
		set = exprNeed(nl+nr, set, n.On)
		if set == nil {
			p.node(n.L, nil)
			p.node(n.R, nil)
			return
		}
		ok := true
		mark := func(i int) {
			if i < 0 || i >= nl+nr {
				ok = false
			} else {
				set[i] = true
			}
		}
		for _, k := range n.LeftKeys {
			mark(k)
		}
		for _, k := range n.RightKeys {
			mark(nl + k)
		}
		if n.Merge != nil {
			for _, k := range n.Merge.LeftCols {
				mark(k)
			}
			for _, k := range n.Merge.RightCols {
				mark(nl + k)
			}
		}
		if !ok {
			p.node(n.L, nil)
			p.node(n.R, nil)
			return
		}
		p.node(n.L, set[:nl:nl])
		p.node(n.R, append(colSet{}, set[nl:]...))
	default:
		// whole rows (or unknown): every input column is needed
		for _, c := range children(n) {
			p.node(c, nil)
		}
	}
}

func allCols(w int) colSet {
	s := make(colSet, w)
	for i := range s {
		s[i] = true
	}
	return s
}

// children lists the plan inputs of the node types pruneScans does not
// open itself.
func children(n Node) []Node {
	switch n := n.(type) {
	case *Apply:
		return []Node{n.L, n.R}
	case *Distinct:
		return []Node{n.In}
	case *SetOp:
		return []Node{n.L, n.R}
	case *Window:
		return []Node{n.In}
	case *Insert:
		return []Node{n.Input}
	case *Update:
		return []Node{n.Input}
	case *Delete:
		return []Node{n.Input}
	}
	return nil
}
