package plan

import (
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// Optimize rewrites a bound plan: filters are pushed into joins and down
// to scans, scans pick an index span from their filter, and joins find
// their equality keys for a hash join. Every rewrite keeps the plan's
// result; filters stay above the scans they narrow, so a span only has to
// be a superset of the matching rows. Last, joins whose inputs both come
// ordered on their equality keys become merge joins (planMergeJoins), and
// scans learn which columns the plan reads (pruneScans).
func Optimize(n Node) Node {
	n = planMergeJoins(optimize(n))
	pruneScans(n)
	return n
}

func optimize(n Node) Node {
	switch n := n.(type) {
	case *Filter:
		n.Cond = Simplify(n.Cond)
		var keep []Expr
		var conj []Expr
		for _, c := range Conjuncts(n.Cond, nil) {
			conj = splitNotIn(c, conj)
		}
		for _, c := range conj {
			if neverTrue(c) {
				// PostgreSQL's one-time filter: the input never runs
				return &Values{Cols: n.Columns()}
			}
			if b, ok := boolConst(c); !ok || !b {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			return optimize(n.In)
		}
		orderConjuncts(keep)
		n.Cond = AndAll(keep)
		if _, isJoin := n.In.(*Join); isJoin {
			optimizeJoinInputs(n.In)
			if r, ok := reorderJoins(n); ok {
				return r
			}
		}
		in := optimize(n.In)
		var plain, subs []Expr
		for _, c := range Conjuncts(n.Cond, nil) {
			if unnestable(c) {
				subs = append(subs, c)
			} else {
				plain = append(plain, c)
			}
		}
		if len(subs) == 0 {
			return pushFilter(in, plain)
		}
		// the other conjuncts filter (and choose the access path of) the
		// rows before they meet the subqueries' joins
		in = pushFilter(in, plain)
		in, rest := unnestSubqueries(in, subs)
		if len(rest) == 0 {
			return in
		}
		return &Filter{In: in, Cond: AndAll(rest)}
	case *Project:
		n.In = optimize(n.In)
		for i, e := range n.Exprs {
			n.Exprs[i] = Simplify(e)
		}
		pruneAggs(n)
	case *Join:
		n.L, n.R = optimize(n.L), optimize(n.R)
		if n.On != nil {
			n.On = Simplify(n.On)
		}
		if n.On != nil && (n.Kind == InnerJoin) {
			// Push single-side conjuncts of an inner join's ON down.
			var rest []Expr
			nl := len(n.L.Columns())
			nr := len(n.R.Columns())
			var lp, rp []Expr
			for _, c := range Conjuncts(n.On, nil) {
				switch {
				case RefsOnly(c, 0, nl):
					lp = append(lp, c)
				case RefsOnly(c, nl, nl+nr):
					rp = append(rp, ShiftCols(c, -nl))
				default:
					rest = append(rest, c)
				}
			}
			if len(lp) > 0 {
				n.L = pushFilter(n.L, lp)
			}
			if len(rp) > 0 {
				n.R = pushFilter(n.R, rp)
			}
			n.On = AndAll(rest)
		} else if n.On != nil && n.Kind == LeftJoin {
			// Conjuncts on the right side alone can filter the right input.
			var rest, rp []Expr
			nl := len(n.L.Columns())
			nr := len(n.R.Columns())
			for _, c := range Conjuncts(n.On, nil) {
				if RefsOnly(c, nl, nl+nr) && hasColRef(c) {
					rp = append(rp, ShiftCols(c, -nl))
				} else {
					rest = append(rest, c)
				}
			}
			if len(rp) > 0 {
				n.R = pushFilter(n.R, rp)
			}
			n.On = AndAll(rest)
		}
		extractKeys(n)
	case *Apply:
		n.L, n.R = optimize(n.L), optimize(n.R)
	case *Agg:
		n.In = optimize(n.In)
	case *Sort:
		n.In = optimize(n.In)
		if sortedByScan(n) {
			return n.In
		}
	case *Limit:
		n.In = optimize(n.In)
		pushLimit(n)
	case *Distinct:
		n.In = optimize(n.In)
	case *SetOp:
		n.L, n.R = optimize(n.L), optimize(n.R)
	case *Window:
		n.In = optimize(n.In)
	case *Insert:
		n.Input = optimize(n.Input)
	case *Update:
		n.Input = optimize(n.Input)
	case *Delete:
		n.Input = optimize(n.Input)
	}
	return n
}

// optimizeJoinInputs optimizes the non-join inputs of an inner-join tree
// in place (so reorderJoins sees optimized leaves).
func optimizeJoinInputs(n Node) {
	j, ok := n.(*Join)
	if !ok || j.Kind != InnerJoin {
		return
	}
	for _, side := range []*Node{&j.L, &j.R} {
		if sj, ok := (*side).(*Join); ok && sj.Kind == InnerJoin {
			optimizeJoinInputs(sj)
		} else {
			*side = optimize(*side)
		}
	}
}

func hasColRef(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		if _, ok := x.(*ColRef); ok {
			found = true
		}
		return !found
	})
	return found
}

// pushFilter places conjuncts (over n's columns) as low as possible.
func pushFilter(n Node, conj []Expr) Node {
	if len(conj) == 0 {
		return n
	}
	switch x := n.(type) {
	case *Join:
		if x.Kind == InnerJoin || x.Kind == LeftJoin {
			nl := len(x.L.Columns())
			nr := len(x.R.Columns())
			var lp, rp, rest []Expr
			for _, c := range conj {
				switch {
				case RefsOnly(c, 0, nl):
					lp = append(lp, c)
				case x.Kind == InnerJoin && RefsOnly(c, nl, nl+nr):
					rp = append(rp, ShiftCols(c, -nl))
				case x.Kind == InnerJoin && pureRefs(c):
					x.On = AndAll(append(Conjuncts(x.On, nil), c))
				default:
					rest = append(rest, c)
				}
			}
			if len(lp) > 0 {
				x.L = pushFilter(x.L, lp)
			}
			if len(rp) > 0 {
				x.R = pushFilter(x.R, rp)
			}
			extractKeys(x)
			if len(rest) == 0 {
				return x
			}
			return &Filter{In: x, Cond: AndAll(rest)}
		}
	case *Apply:
		// conjuncts on the outer (left) side alone filter it before the
		// lateral side runs for its rows, as PostgreSQL does
		if x.Kind == InnerJoin || x.Kind == LeftJoin {
			nl := len(x.L.Columns())
			var lp, rest []Expr
			for _, c := range conj {
				if RefsOnly(c, 0, nl) {
					lp = append(lp, c)
				} else {
					rest = append(rest, c)
				}
			}
			if len(lp) > 0 {
				x.L = pushFilter(x.L, lp)
			}
			if len(rest) == 0 {
				return x
			}
			return &Filter{In: x, Cond: AndAll(rest)}
		}
	case *Filter:
		return pushFilter(x.In, append(Conjuncts(x.Cond, nil), conj...))
	case *Scan:
		chooseIndex(x, conj)
	}
	return &Filter{In: n, Cond: AndAll(conj)}
}

// pureRefs: no subqueries or volatile functions (safe to evaluate as a
// join condition).
func pureRefs(e Expr) bool { return RefsOnly(e, 0, 1<<30) }

func extractKeys(j *Join) {
	j.LeftKeys, j.RightKeys = nil, nil
	if j.On == nil {
		return
	}
	nl := len(j.L.Columns())
	for _, c := range Conjuncts(j.On, nil) {
		b, ok := c.(*Binary)
		if !ok || b.Ov.Op != sem.OpEQ {
			continue
		}
		l, ok1 := b.L.(*ColRef)
		r, ok2 := b.R.(*ColRef)
		if !ok1 || !ok2 || !hashCompatible(l.T, r.T) {
			continue
		}
		switch {
		case l.Idx < nl && r.Idx >= nl:
			j.LeftKeys = append(j.LeftKeys, l.Idx)
			j.RightKeys = append(j.RightKeys, r.Idx-nl)
		case r.Idx < nl && l.Idx >= nl:
			j.LeftKeys = append(j.LeftKeys, r.Idx)
			j.RightKeys = append(j.RightKeys, l.Idx-nl)
		}
	}
}

// hashCompatible: equal values of the two types have equal key encodings.
func hashCompatible(a, b *types.T) bool {
	if a.Family != b.Family {
		return false
	}
	switch a.Family {
	case types.IntFamily, types.BoolFamily, types.DateFamily, types.UUIDFamily, types.TimestampFamily, types.TimestampTZFamily, types.DecimalFamily, types.FloatFamily:
		return true
	case types.StringFamily:
		return a.Variant != types.Char && b.Variant != types.Char
	}
	return false
}

func pushLimit(l *Limit) {
	c, ok := l.Count.(*Const)
	if !ok {
		return
	}
	n, ok := c.D.(types.DInt)
	if !ok || n <= 0 {
		return
	}
	off := int64(0)
	if l.Offset != nil {
		oc, ok := l.Offset.(*Const)
		if !ok {
			return
		}
		o, ok := oc.D.(types.DInt)
		if !ok {
			return
		}
		off = int64(o)
	}
	in := l.In
	filtered := false
	for {
		switch x := in.(type) {
		case *Project:
			in = x.In
			continue
		case *Filter:
			// Rows may be dropped above the scan: the limit is only a
			// hint for the scan's first batch size.
			filtered = true
			in = x.In
			continue
		case *Scan:
			if filtered {
				x.BatchHint = int64(n) + off
			} else {
				x.Limit = int64(n) + off
			}
		}
		return
	}
}

// sortedByScan reports whether s's input already comes in s's order: a
// forward scan of the primary index or a secondary index (under Projects of plain column
// references and Filters) whose leading key columns are the sort keys, in
// the index's directions. Primary key columns are NOT NULL, so NULLS
// FIRST/LAST does not matter. The spans of a scan are read in key order.
func sortedByScan(s *Sort) bool {
	if len(s.Keys) == 0 {
		return false
	}
	cols := make([]int, len(s.Keys))
	for i, k := range s.Keys {
		cols[i] = k.Idx
	}
	in := s.In
	for {
		switch x := in.(type) {
		case *Project:
			for i, c := range cols {
				if c < 0 || c >= len(x.Exprs) {
					return false
				}
				r, ok := x.Exprs[c].(*ColRef)
				if !ok {
					return false
				}
				cols[i] = r.Idx
			}
			in = x.In
			continue
		case *Filter:
			in = x.In
			continue
		case *Scan:
			ix := x.Table.Primary
			if x.Index != nil {
				ix = x.Index
			}
			if x.Reverse || ix == nil || len(cols) > len(ix.ColumnIDs) {
				return false
			}
			for i, c := range cols {
				if c < 0 || c >= len(x.Table.Columns) || x.Table.ColumnOrdinal(ix.ColumnIDs[i]) != c {
					return false
				}
				desc := dirDesc(ix, i)
				if s.Keys[i].Desc != desc {
					return false
				}
				// A secondary index keeps NULLs where PostgreSQL's default
				// order puts them (last ascending, first descending); the
				// index join returns the rows in index order.
				if x.Index != nil && s.Keys[i].NullsFirst != desc && x.Table.Columns[c].Nullable {
					return false
				}
			}
			return true
		}
		return false
	}
}

// colBound is what a conjunct says about one scan column.
type colBound struct {
	eq       []Expr // = value (one) or IN list (several)
	lo, hi   Expr
	loI, hiI bool
	// loRow and hiRow are row bounds led by this column, such as
	// (a, b) > (1, 2) for a (the lo/hi fields then hold its first value).
	loRow, hiRow *rowBound
}

// rowBound is a row comparison (c1, c2, ...) op (v1, v2, ...) over scan
// columns, as the binder expands it: c1 > v1 OR (c1 = v1 AND (c2 > v2
// OR ...)), innermost c_n op v_n.
type rowBound struct {
	cols  []int
	vals  []Expr
	lower bool // > or >=
	incl  bool // >= or <=
}

// matchRowBound recognises the expansion of a row comparison whose left
// side is scan columns and right side does not depend on the row.
func matchRowBound(s *Scan, e Expr) (*rowBound, bool) {
	colOp := func(e Expr) (int, sem.BinaryOp, Expr, bool) {
		x, ok := e.(*Binary)
		if !ok {
			return 0, 0, nil, false
		}
		op := x.Ov.Op
		col, ok := x.L.(*ColRef)
		val := x.R
		if !ok {
			if col, ok = x.R.(*ColRef); !ok {
				return 0, 0, nil, false
			}
			val = x.L
			op, _ = op.Commute()
		}
		if !isConstish(val) || !sameKeyType(s.Table.Columns[col.Idx].Type, val.Type()) {
			return 0, 0, nil, false
		}
		return col.Idx, op, val, true
	}
	if c, op, v, ok := colOp(e); ok {
		switch op {
		case sem.OpGT, sem.OpGE, sem.OpLT, sem.OpLE:
			return &rowBound{cols: []int{c}, vals: []Expr{v}, lower: op == sem.OpGT || op == sem.OpGE,
				incl: op == sem.OpGE || op == sem.OpLE}, true
		}
		return nil, false
	}
	or, ok := e.(*Logic)
	if !ok || or.Op != Or {
		return nil, false
	}
	and, ok := or.R.(*Logic)
	if !ok || and.Op != And {
		return nil, false
	}
	c, op, v, ok := colOp(or.L)
	if !ok || (op != sem.OpGT && op != sem.OpLT) {
		return nil, false
	}
	c2, op2, _, ok := colOp(and.L)
	if !ok || op2 != sem.OpEQ || c2 != c {
		return nil, false
	}
	rest, ok := matchRowBound(s, and.R)
	if !ok || rest.lower != (op == sem.OpGT) {
		return nil, false
	}
	return &rowBound{cols: append([]int{c}, rest.cols...), vals: append([]Expr{v}, rest.vals...), lower: rest.lower, incl: rest.incl}, true
}

// chooseIndex sets the scan's index and spans from conjuncts over its
// columns.
func chooseIndex(s *Scan, conj []Expr) {
	bounds := map[int]*colBound{}
	get := func(i int) *colBound {
		if bounds[i] == nil {
			bounds[i] = &colBound{}
		}
		return bounds[i]
	}
	for _, c := range conj {
		switch x := c.(type) {
		case *Binary:
			op := x.Ov.Op
			col, ok := x.L.(*ColRef)
			val := x.R
			if !ok {
				col, ok = x.R.(*ColRef)
				val = x.L
				if ok {
					op, _ = op.Commute()
				}
			}
			if !ok || !isConstish(val) || !sameKeyType(s.Table.Columns[col.Idx].Type, val.Type()) {
				continue
			}
			b := get(col.Idx)
			switch op {
			case sem.OpEQ:
				if b.eq == nil {
					b.eq = []Expr{val}
				}
			case sem.OpGT, sem.OpGE:
				if b.lo == nil {
					b.lo, b.loI = val, op == sem.OpGE
				}
			case sem.OpLT, sem.OpLE:
				if b.hi == nil {
					b.hi, b.hiI = val, op == sem.OpLE
				}
			}
		case *InList:
			col, ok := x.E.(*ColRef)
			if !ok || x.Not || len(x.List) > 1000 {
				continue
			}
			good := sameKeyType(s.Table.Columns[col.Idx].Type, x.Cmp.Right)
			for _, v := range x.List {
				if !isConstish(v) {
					good = false
				}
			}
			if good && get(col.Idx).eq == nil {
				get(col.Idx).eq = x.List
			}
		case *Logic:
			// BETWEEN: (c >= lo AND c <= hi) is already split. A row
			// comparison bounds its first column and, on an index over
			// its columns in order, the key itself.
			rb, ok := matchRowBound(s, x)
			if !ok || len(rb.cols) < 2 {
				continue
			}
			b := get(rb.cols[0])
			if rb.lower && b.lo == nil {
				b.lo, b.loI, b.loRow = rb.vals[0], true, rb
			} else if !rb.lower && b.hi == nil {
				b.hi, b.hiI, b.hiRow = rb.vals[0], true, rb
			}
		}
	}
	if len(bounds) == 0 {
		return
	}
	best := -1
	var bestIdx *catalog.Index
	var bestSpans []Span
	candidates := s.Table.PublicIndexes()
	for _, p := range s.Partial {
		if p.impliedBy(conj) {
			candidates = append(candidates, p.Index)
		}
	}
	for k, ix := range candidates {
		spans, score := spansFor(s, ix, bounds)
		if k == 0 {
			score++ // prefer the primary index on ties (no index join)
		}
		if score > best && len(spans) > 0 {
			best, bestSpans = score, spans
			bestIdx = ix
			if k == 0 {
				bestIdx = nil
			}
		}
	}
	if best > 0 {
		s.Index, s.Spans = bestIdx, bestSpans
	}
}

func spansFor(s *Scan, ix *catalog.Index, bounds map[int]*colBound) ([]Span, int) {
	spans := []Span{{}}
	score := 0
	for _, cid := range ix.ColumnIDs {
		o := s.Table.ColumnOrdinal(cid)
		b := bounds[o]
		if b == nil {
			break
		}
		if len(b.eq) > 0 {
			if len(spans)*len(b.eq) > 1000 {
				break
			}
			var next []Span
			for _, sp := range spans {
				for _, v := range b.eq {
					n := Span{Eq: append(append([]Expr{}, sp.Eq...), v)}
					next = append(next, n)
				}
			}
			spans = next
			score += 4
			continue
		}
		if b.lo != nil || b.hi != nil {
			k := len(spans[0].Eq)
			loRest, loI := rowRest(s, ix, k, b.loRow, b.loI)
			hiRest, hiI := rowRest(s, ix, k, b.hiRow, b.hiI)
			for i := range spans {
				spans[i].Lo, spans[i].LoI, spans[i].Hi, spans[i].HiI = b.lo, loI, b.hi, hiI
				spans[i].LoRest, spans[i].HiRest = loRest, hiRest
			}
			score += 2 + len(loRest) + len(hiRest)
		}
		break
	}
	if score == 0 {
		return nil, 0
	}
	return spans, score
}

// rowRest is the part of row bound rb after its first column that
// continues the key of index ix at column k (the bounded one), with
// whether the bound is inclusive: the whole row's inclusiveness when all
// of it is used, else inclusive (the key bound then covers more rows than
// the comparison, which the filter above still checks). The columns used
// share the direction of column k, so that the row order is the key order.
func rowRest(s *Scan, ix *catalog.Index, k int, rb *rowBound, incl bool) ([]Expr, bool) {
	if rb == nil {
		return nil, incl
	}
	n := 1
	for n < len(rb.cols) && k+n < len(ix.ColumnIDs) &&
		s.Table.ColumnOrdinal(ix.ColumnIDs[k+n]) == rb.cols[n] && dirDesc(ix, k+n) == dirDesc(ix, k) {
		n++
	}
	if n == len(rb.cols) {
		return rb.vals[1:], rb.incl
	}
	return rb.vals[1:n], true
}

func dirDesc(ix *catalog.Index, i int) bool { return i < len(ix.Desc) && ix.Desc[i] }

// isConstish: the value does not depend on the scanned row.
func isConstish(e Expr) bool { return RefsOnly(e, 0, 0) }

// sameKeyType: a value of type v can be key-encoded as a column of type
// c without changing its comparison.
func sameKeyType(c, v *types.T) bool {
	if c.Family != v.Family {
		return false
	}
	switch c.Family {
	case types.IntFamily, types.DateFamily, types.BoolFamily, types.UUIDFamily, types.TimestampFamily, types.TimestampTZFamily:
		return true
	case types.FloatFamily:
		return c.Width == v.Width || c.Width == 64
	case types.StringFamily:
		return c.Variant != types.Char && v.Variant != types.Char
	case types.DecimalFamily:
		return true
	}
	return false
}
