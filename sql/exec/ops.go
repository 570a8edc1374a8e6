package exec

import (
	"sort"

	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/rowenc"
	"github.com/tesseradb/tessera/sql/sem"
	"github.com/tesseradb/tessera/sql/types"
)

// Build makes the operator for a plan node.
func Build(env *Env, n plan.Node) (Iter, error) {
	switch n := n.(type) {
	case *plan.Scan:
		return env.newScan(n)
	case *plan.VirtualScan:
		return &sliceIter{rows: n.Rows}, nil
	case *plan.Values:
		return &valuesIter{env: env, n: n}, nil
	case *plan.Filter:
		in, err := Build(env, n.In)
		if err != nil {
			return nil, err
		}
		return &filterIter{env: env, in: in, cond: n.Cond}, nil
	case *plan.Project:
		in, err := Build(env, n.In)
		if err != nil {
			return nil, err
		}
		return &projectIter{env: env, in: in, exprs: n.Exprs}, nil
	case *plan.Join:
		return env.newJoin(n)
	case *plan.Apply:
		in, err := Build(env, n.L)
		if err != nil {
			return nil, err
		}
		return &applyIter{env: env, n: n, in: in, rw: len(n.R.Columns())}, nil
	case *plan.Agg:
		return env.newAgg(n)
	case *plan.Sort:
		return env.newSort(n)
	case *plan.Limit:
		in, err := Build(env, n.In)
		if err != nil {
			return nil, err
		}
		it := &limitIter{in: in, count: -1}
		if n.Count != nil {
			v, err := env.Eval(n.Count, nil)
			if err != nil {
				return nil, err
			}
			if !types.IsNull(v) {
				it.count = int64(v.(types.DInt))
				if it.count < 0 {
					return nil, pgerr.New(pgerr.InvalidRowCount, "LIMIT must not be negative")
				}
			}
		}
		if n.Offset != nil {
			v, err := env.Eval(n.Offset, nil)
			if err != nil {
				return nil, err
			}
			if !types.IsNull(v) {
				it.offset = int64(v.(types.DInt))
				if it.offset < 0 {
					return nil, pgerr.New(pgerr.InvalidOffset, "OFFSET must not be negative")
				}
			}
		}
		return it, nil
	case *plan.Distinct:
		in, err := Build(env, n.In)
		if err != nil {
			return nil, err
		}
		return &distinctIter{env: env, in: in, on: n.On, cols: n.In.Columns(), seen: map[string]bool{}}, nil
	case *plan.SetOp:
		return env.newSetOp(n)
	case *plan.Window:
		return env.newWindow(n)
	case *plan.Generate:
		return env.newGenerate(n)
	case *plan.Zip:
		z := &zipIter{}
		for _, g := range n.Gens {
			it, err := env.newGenerate(g)
			if err != nil {
				return nil, err
			}
			z.its = append(z.its, it)
		}
		return z, nil
	case *plan.CTERef:
		rows, err := env.cteRows(n.CTE)
		if err != nil {
			return nil, err
		}
		return &sliceIter{rows: rows}, nil
	case *plan.WorkingRef:
		return &sliceIter{rows: env.working[n.CTE]}, nil
	case *plan.Insert:
		return env.runInsert(n)
	case *plan.Update:
		return env.runUpdate(n)
	case *plan.Delete:
		return env.runDelete(n)
	}
	return nil, pgerr.New(pgerr.Internal, "cannot execute %T", n)
}

type sliceIter struct {
	rows []Row
	pos  int
}

func (it *sliceIter) Next() (Row, error) {
	if it.pos >= len(it.rows) {
		return nil, nil
	}
	r := it.rows[it.pos]
	it.pos++
	return r, nil
}

type valuesIter struct {
	env *Env
	n   *plan.Values
	pos int
}

func (it *valuesIter) Next() (Row, error) {
	if it.pos >= len(it.n.Rows) {
		return nil, nil
	}
	exprs := it.n.Rows[it.pos]
	it.pos++
	row := make(Row, len(exprs))
	for i, e := range exprs {
		v, err := it.env.Eval(e, nil)
		if err != nil {
			return nil, err
		}
		row[i] = v
	}
	return row, nil
}

type filterIter struct {
	env  *Env
	in   Iter
	cond plan.Expr
	n    int
}

func (it *filterIter) Next() (Row, error) {
	for {
		it.n++
		if it.n%1024 == 0 {
			if err := it.env.checkCancel(); err != nil {
				return nil, err
			}
		}
		r, err := it.in.Next()
		if err != nil || r == nil {
			return nil, err
		}
		ok, err := it.env.EvalBool(it.cond, r)
		if err != nil {
			return nil, err
		}
		if ok {
			return r, nil
		}
	}
}

type projectIter struct {
	env   *Env
	in    Iter
	exprs []plan.Expr
	slab  []types.Datum // output rows are cut from it
}

// rowSlab is how many rows an operator allocates at once (scan and
// project rows are capacity-capped parts of one slice).
const rowSlab = 16

func (it *projectIter) Next() (Row, error) {
	r, err := it.in.Next()
	if err != nil || r == nil {
		return nil, err
	}
	n := len(it.exprs)
	if len(it.slab) < n || n == 0 {
		it.slab = make([]types.Datum, n*rowSlab)
	}
	out := Row(it.slab[:n:n])
	it.slab = it.slab[n:]
	for i, e := range it.exprs {
		if out[i], err = it.env.Eval(e, r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type limitIter struct {
	in            Iter
	count, offset int64
	seen          int64
}

func (it *limitIter) Next() (Row, error) {
	for it.offset > 0 {
		r, err := it.in.Next()
		if err != nil || r == nil {
			return nil, err
		}
		it.offset--
	}
	if it.count >= 0 && it.seen >= it.count {
		return nil, nil
	}
	r, err := it.in.Next()
	if err != nil || r == nil {
		return nil, err
	}
	it.seen++
	return r, nil
}

// hashKey encodes the columns idx of row so that equal values (as
// PostgreSQL groups them) give equal keys; NULLs are equal to each other.
func hashKey(b []byte, row Row, idx []int, cols []plan.Col) []byte {
	for _, i := range idx {
		b = appendDatumKey(b, cols[i].T, row[i])
	}
	return b
}

func appendDatumKey(b []byte, t *types.T, d types.Datum) []byte {
	if t.Family == types.StringFamily && t.Variant == types.Char {
		if s, ok := d.(types.DString); ok {
			for len(s) > 0 && s[len(s)-1] == ' ' {
				s = s[:len(s)-1]
			}
			d = s
		}
	}
	k, err := rowenc.EncodeKey(b, t, d, rowenc.Asc)
	if err == nil {
		return k
	}
	txt := types.FormatText(t, d, nil)
	b = append(b, 0xfe)
	b = append(b, txt...)
	return append(b, 0, 0xff)
}

func allIdx(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

type distinctIter struct {
	env  *Env
	in   Iter
	on   []int
	cols []plan.Col
	seen map[string]bool
	buf  []byte
}

func (it *distinctIter) Next() (Row, error) {
	for {
		r, err := it.in.Next()
		if err != nil || r == nil {
			return nil, err
		}
		it.buf = hashKey(it.buf[:0], r, it.on, it.cols)
		if it.seen[string(it.buf)] {
			continue
		}
		if err := it.env.account(r); err != nil {
			return nil, err
		}
		it.seen[string(it.buf)] = true
		return r, nil
	}
}

func compareDatums(t *types.T, a, b types.Datum, desc, nullsFirst bool) (int, error) {
	an, bn := types.IsNull(a), types.IsNull(b)
	switch {
	case an && bn:
		return 0, nil
	case an:
		if nullsFirst {
			return -1, nil
		}
		return 1, nil
	case bn:
		if nullsFirst {
			return 1, nil
		}
		return -1, nil
	}
	c, err := types.CompareTyped(t, a, b)
	if err != nil {
		return 0, err
	}
	if desc {
		c = -c
	}
	return c, nil
}

func compareRows(a, b Row, keys []plan.SortKey, cols []plan.Col) (int, error) {
	for _, k := range keys {
		c, err := compareDatums(cols[k.Idx].T, a[k.Idx], b[k.Idx], k.Desc, k.NullsFirst)
		if err != nil || c != 0 {
			return c, err
		}
	}
	return 0, nil
}

// Join.

type joinIter struct {
	env     *Env
	n       *plan.Join
	left    Iter
	right   []Row
	table   map[string][]int // hash key -> indexes into right
	lcols   []plan.Col
	rcols   []plan.Col
	cur     Row
	cands   []int // indexes into right; all of them when all is set
	all     bool
	pos     int
	matched bool
	// rmatched marks the right rows some left row matched (FULL JOIN);
	// once the left input is done, rpos walks the unmatched ones.
	rmatched []bool
	ldone    bool
	rpos     int
	buf      []byte
	ticks    int // candidate pairs tried, for checkCancel
}

func (env *Env) newJoin(n *plan.Join) (Iter, error) {
	if n.Merge != nil {
		return env.newMergeJoin(n)
	}
	right, err := env.collectAccounted(n.R)
	if err != nil {
		return nil, err
	}
	left, err := Build(env, n.L)
	if err != nil {
		return nil, err
	}
	it := &joinIter{env: env, n: n, left: left, right: right, lcols: n.L.Columns(), rcols: n.R.Columns()}
	if n.Kind == plan.FullJoin {
		it.rmatched = make([]bool, len(right))
	}
	if len(n.LeftKeys) > 0 {
		it.table = map[string][]int{}
		for i, r := range right {
			if anyNull(r, n.RightKeys) {
				if n.NullAware {
					// x NOT IN (... NULL ...) is never true
					return &sliceIter{}, nil
				}
				continue
			}
			k := string(hashKey(nil, r, n.RightKeys, it.rcols))
			it.table[k] = append(it.table[k], i)
		}
	}
	return it, nil
}

func anyNull(r Row, idx []int) bool {
	for _, i := range idx {
		if types.IsNull(r[i]) {
			return true
		}
	}
	return false
}

func (it *joinIter) Next() (Row, error) {
	for {
		if it.ldone {
			return it.nextUnmatchedRight()
		}
		if it.cur == nil {
			l, err := it.left.Next()
			if err != nil {
				return nil, err
			}
			if l == nil {
				if it.rmatched == nil {
					return nil, nil
				}
				it.ldone = true
				continue
			}
			it.cur, it.pos, it.matched = l, 0, false
			if it.n.NullAware && len(it.right) > 0 && anyNull(l, it.n.LeftKeys) {
				// NULL NOT IN (non-empty set) is NULL: the row is out
				it.cur = nil
				continue
			}
			if it.table != nil {
				it.all = false
				if anyNull(l, it.n.LeftKeys) {
					it.cands = nil
				} else {
					it.buf = hashKey(it.buf[:0], l, it.n.LeftKeys, it.lcols)
					it.cands = it.table[string(it.buf)]
				}
			} else {
				it.all = true
			}
		}
		n := len(it.cands)
		if it.all {
			n = len(it.right)
		}
		for it.pos < n {
			ri := it.pos
			if !it.all {
				ri = it.cands[it.pos]
			}
			r := it.right[ri]
			it.pos++
			// Counted over the whole join, not per left row: a small right
			// side must not hide a long join from cancellation.
			it.ticks++
			if it.ticks%1024 == 0 {
				if err := it.env.checkCancel(); err != nil {
					return nil, err
				}
			}
			row := make(Row, 0, len(it.cur)+len(r))
			row = append(append(row, it.cur...), r...)
			if it.n.On != nil {
				ok, err := it.env.EvalBool(it.n.On, row)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
			it.matched = true
			if it.rmatched != nil {
				it.rmatched[ri] = true
			}
			switch it.n.Kind {
			case plan.SemiJoin:
				// The left row once, on its first match.
				l := it.cur
				it.cur = nil
				return l, nil
			case plan.AntiJoin:
				it.pos = n // matched: the row is out
				continue
			}
			return row, nil
		}
		l := it.cur
		it.cur = nil
		if it.n.Kind == plan.AntiJoin && !it.matched {
			return l, nil
		}
		if (it.n.Kind == plan.LeftJoin || it.n.Kind == plan.FullJoin) && !it.matched {
			row := make(Row, len(l)+len(it.rcols))
			copy(row, l)
			for i := len(l); i < len(row); i++ {
				row[i] = types.Null
			}
			return row, nil
		}
	}
}

// nextUnmatchedRight returns the next right row no left row matched,
// NULL-extended on the left (FULL JOIN), or nil when there are no more.
func (it *joinIter) nextUnmatchedRight() (Row, error) {
	for it.rpos < len(it.right) {
		ri := it.rpos
		it.rpos++
		if it.rmatched[ri] {
			continue
		}
		r := it.right[ri]
		row := make(Row, len(it.lcols)+len(r))
		for i := 0; i < len(it.lcols); i++ {
			row[i] = types.Null
		}
		copy(row[len(it.lcols):], r)
		return row, nil
	}
	return nil, nil
}

type applyIter struct {
	env     *Env
	n       *plan.Apply
	in      Iter
	rw      int
	cur     Row
	rows    []Row
	pos     int
	empty   bool
	matched bool
	held    int64 // budget charged for rows
}

func (it *applyIter) Next() (Row, error) {
	for {
		for it.cur != nil && it.pos < len(it.rows) {
			r := it.rows[it.pos]
			it.pos++
			row := append(append(make(Row, 0, len(it.cur)+len(r)), it.cur...), r...)
			if it.n.On != nil {
				ok, err := it.env.EvalBool(it.n.On, row)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
			it.matched = true
			return row, nil
		}
		if it.cur != nil && !it.matched && it.n.Kind == plan.LeftJoin && !it.empty {
			it.empty = true
			row := make(Row, len(it.cur)+it.rw)
			copy(row, it.cur)
			for i := len(it.cur); i < len(row); i++ {
				row[i] = types.Null
			}
			return row, nil
		}
		// The previous left row's right rows are dropped: give back what
		// materialising them charged.
		it.env.release(it.held)
		it.held, it.rows = 0, nil
		l, err := it.in.Next()
		if err != nil || l == nil {
			return nil, err
		}
		it.cur, it.pos, it.empty, it.matched = l, 0, false, false
		m := it.env.mark()
		if it.rows, err = it.env.runSub(it.n.R, l); err != nil {
			return nil, err
		}
		it.held = it.env.sinceMark(m)
	}
}

// Aggregation.

// accumulates names the aggregates whose state grows with their input;
// their inputs are charged to the budget.
var accumulates = map[string]bool{"array_agg": true, "string_agg": true, "jsonb_agg": true, "json_agg": true}

type groupState struct {
	key    Row
	aggs   []sem.AggFunc
	seen   []map[string]bool
	sorted [][]sortedArgs
}

type sortedArgs struct {
	args, keys Row
}

func (env *Env) newAgg(n *plan.Agg) (Iter, error) {
	in, err := Build(env, n.In)
	if err != nil {
		return nil, err
	}
	inCols := n.In.Columns()
	groups := map[string]*groupState{}
	var order []*groupState
	newGroup := func(key Row) *groupState {
		g := &groupState{key: key, aggs: make([]sem.AggFunc, len(n.Aggs)), seen: make([]map[string]bool, len(n.Aggs)), sorted: make([][]sortedArgs, len(n.Aggs))}
		for i, a := range n.Aggs {
			g.aggs[i] = a.Ov.NewAgg()
			if a.Distinct {
				g.seen[i] = map[string]bool{}
			}
		}
		return g
	}
	var kb []byte
	for {
		r, err := in.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		key := make(Row, len(n.Groups))
		kb = kb[:0]
		for i, g := range n.Groups {
			if key[i], err = env.Eval(g, r); err != nil {
				return nil, err
			}
			kb = appendDatumKey(kb, g.Type(), key[i])
		}
		g := groups[string(kb)]
		if g == nil {
			if err := env.account(key); err != nil {
				return nil, err
			}
			g = newGroup(key)
			groups[string(kb)] = g
			order = append(order, g)
		}
		for i, a := range n.Aggs {
			if a.Filter != nil {
				ok, err := env.EvalBool(a.Filter, r)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
			args := make(Row, len(a.Args))
			for j, e := range a.Args {
				if args[j], err = env.Eval(e, r); err != nil {
					return nil, err
				}
			}
			if a.Distinct {
				var db []byte
				for j, e := range a.Args {
					db = appendDatumKey(db, e.Type(), args[j])
				}
				if g.seen[i][string(db)] {
					continue
				}
				if err := env.charge(int64(len(db)) + 48); err != nil {
					return nil, err
				}
				g.seen[i][string(db)] = true
			}
			if len(a.OrderBy) > 0 {
				keys := make(Row, len(a.OrderBy))
				for j, o := range a.OrderBy {
					if keys[j], err = env.Eval(o.E, r); err != nil {
						return nil, err
					}
				}
				if err := env.account(args); err != nil {
					return nil, err
				}
				g.sorted[i] = append(g.sorted[i], sortedArgs{args, keys})
				continue
			}
			if accumulates[a.Ov.Name] {
				// The state keeps every input (array_agg, string_agg, ...).
				if err := env.account(args); err != nil {
					return nil, err
				}
			}
			if err := g.aggs[i].Add(env.EvalCtx, args); err != nil {
				return nil, err
			}
		}
	}
	_ = inCols
	if (len(n.Groups) == 0 || n.Total) && len(order) == 0 {
		key := make(Row, len(n.Groups))
		for i := range key {
			key[i] = types.Null
		}
		order = append(order, newGroup(key))
	}
	out := make([]Row, 0, len(order))
	for _, g := range order {
		row := make(Row, 0, len(g.key)+len(n.Aggs))
		row = append(row, g.key...)
		for i, a := range n.Aggs {
			if len(a.OrderBy) > 0 {
				ss := g.sorted[i]
				var serr error
				sort.SliceStable(ss, func(x, y int) bool {
					for j, o := range a.OrderBy {
						c, err := compareDatums(o.E.Type(), ss[x].keys[j], ss[y].keys[j], o.Desc, o.NullsFirst)
						if err != nil && serr == nil {
							serr = err
						}
						if c != 0 {
							return c < 0
						}
					}
					return false
				})
				if serr != nil {
					return nil, serr
				}
				for _, s := range ss {
					if err := g.aggs[i].Add(env.EvalCtx, s.args); err != nil {
						return nil, err
					}
				}
			}
			v, err := g.aggs[i].Result(env.EvalCtx)
			if err != nil {
				return nil, err
			}
			row = append(row, v)
		}
		out = append(out, row)
	}
	return &sliceIter{rows: out}, nil
}

// Set operations.

// newSetOp streams a set operation: UNION reads its left then its right
// input, keeping (for UNION, not UNION ALL) the keys of the rows it has
// returned; INTERSECT and EXCEPT count the right input's rows by key first
// and then stream the left one. Only the keys are held (and charged to the
// budget), so a large left input with few distinct rows, or any UNION
// ALL, runs in little memory.
func (env *Env) newSetOp(n *plan.SetOp) (Iter, error) {
	cols := n.Cols
	idx := allIdx(len(cols))
	it := &setOpIter{env: env, n: n, emitted: map[string]bool{},
		key: func(row Row) string { return string(hashKey(nil, row, idx, cols)) }}
	if n.Op == plan.Intersect || n.Op == plan.Except {
		r, err := Build(env, n.R)
		if err != nil {
			return nil, err
		}
		it.counts = map[string]int{}
		for {
			row, err := r.Next()
			if err != nil {
				return nil, err
			}
			if row == nil {
				break
			}
			k := it.key(row)
			if it.counts[k] == 0 {
				if err := env.charge(int64(len(k)) + 48); err != nil {
					return nil, err
				}
			}
			it.counts[k]++
		}
	}
	l, err := Build(env, n.L)
	if err != nil {
		return nil, err
	}
	it.cur = l
	return it, nil
}

type setOpIter struct {
	env     *Env
	n       *plan.SetOp
	key     func(Row) string
	cur     Iter
	right   bool           // UNION: cur is the right input
	counts  map[string]int // INTERSECT, EXCEPT: the right input's rows by key
	emitted map[string]bool
}

func (it *setOpIter) Next() (Row, error) {
	for {
		row, err := it.cur.Next()
		if err != nil {
			return nil, err
		}
		if row == nil {
			if it.n.Op != plan.Union || it.right {
				return nil, nil
			}
			r, err := Build(it.env, it.n.R)
			if err != nil {
				return nil, err
			}
			it.cur, it.right = r, true
			continue
		}
		if it.n.Op == plan.Union && it.n.All {
			return row, nil
		}
		k := it.key(row)
		if it.n.Op != plan.Union {
			in := it.counts[k] > 0
			if it.n.Op == plan.Intersect {
				if !in {
					continue
				}
				if it.n.All {
					it.counts[k]--
					return row, nil
				}
			} else if it.n.All {
				if in {
					it.counts[k]--
					continue
				}
				return row, nil
			} else if in {
				continue
			}
		}
		if it.emitted[k] {
			continue
		}
		if err := it.env.charge(int64(len(k)) + 48); err != nil {
			return nil, err
		}
		it.emitted[k] = true
		return row, nil
	}
}

// CTEs.

func (env *Env) cteRows(c *plan.CTE) ([]Row, error) {
	if env.cte == nil {
		env.cte = map[*plan.CTE][]Row{}
	}
	if rows, ok := env.cte[c]; ok && !c.Correlated {
		return rows, nil
	}
	m := env.mark()
	rows, err := env.collectAccounted(c.Plan)
	if err != nil {
		return nil, err
	}
	if !c.Correlated {
		// kept for the statement; a correlated CTE's rows go with the
		// evaluation of the subquery around it
		defer func() { env.pinned += env.sinceMark(m) }()
	}
	if c.Rec != nil {
		cols := c.Plan.Columns()
		idx := allIdx(len(cols))
		seen := map[string]bool{}
		if !c.UnionAll {
			var dedup []Row
			for _, r := range rows {
				k := string(hashKey(nil, r, idx, cols))
				if !seen[k] {
					seen[k] = true
					dedup = append(dedup, r)
				}
			}
			rows = dedup
		}
		if env.working == nil {
			env.working = map[*plan.CTE][]Row{}
		}
		work := rows
		for iter := 0; len(work) > 0; iter++ {
			if err := env.checkCancel(); err != nil {
				return nil, err
			}
			env.working[c] = work
			next, err := env.collectAccounted(c.Rec)
			if err != nil {
				return nil, err
			}
			if !c.UnionAll {
				var fresh []Row
				for _, r := range next {
					k := string(hashKey(nil, r, idx, cols))
					if !seen[k] {
						seen[k] = true
						fresh = append(fresh, r)
					}
				}
				next = fresh
			}
			rows = append(rows, next...)
			work = next
		}
		delete(env.working, c)
	}
	env.cte[c] = rows
	return rows, nil
}

// Set-returning functions in FROM.

type genIter struct {
	env *Env
	g   sem.SetIter
}

func (env *Env) newGenerate(n *plan.Generate) (Iter, error) {
	args := make(Row, len(n.Args))
	for i, a := range n.Args {
		v, err := env.Eval(a, nil)
		if err != nil {
			return nil, err
		}
		if types.IsNull(v) && !n.Ov.CalledOnNull {
			return &sliceIter{}, nil
		}
		args[i] = v
	}
	if len(env.traces) > 0 && volatileCall(n.Ov) {
		env.noteVolatile()
	}
	g, err := n.Ov.Gen(env.EvalCtx, args)
	if err != nil {
		return nil, err
	}
	return &genIter{env: env, g: g}, nil
}

func (it *genIter) Next() (Row, error) {
	if err := it.env.checkCancel(); err != nil {
		return nil, err
	}
	if rg, multi := it.g.(sem.RowSetIter); multi {
		r, ok, err := rg.NextRow(it.env.EvalCtx)
		if err != nil || !ok {
			return nil, err
		}
		return append(Row(nil), r...), nil
	}
	d, ok, err := it.g.Next(it.env.EvalCtx)
	if err != nil || !ok {
		return nil, err
	}
	return Row{d}, nil
}

// zipIter runs generators in lockstep, NULL-padding the exhausted ones.
type zipIter struct {
	its  []Iter
	done []bool
}

func (z *zipIter) Next() (Row, error) {
	if z.done == nil {
		z.done = make([]bool, len(z.its))
	}
	row := make(Row, len(z.its))
	live := false
	for i, it := range z.its {
		row[i] = types.Null
		if z.done[i] {
			continue
		}
		r, err := it.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			z.done[i] = true
			continue
		}
		row[i] = r[0]
		live = true
	}
	if !live {
		return nil, nil
	}
	return row, nil
}

// RunCTE runs the WITH query c now (a data-modifying one, which runs
// exactly once whether the statement reads it or not) and keeps its rows
// for the statement's reads of it.
func (env *Env) RunCTE(c *plan.CTE) error {
	_, err := env.cteRows(c)
	return err
}
