package plan

import "github.com/tesseradb/tessera/sql/sem"

// reorderJoins rewrites Filter(inner-join tree of >= 3 inputs) so that
// inputs connected by equality conditions are joined next to each other
// (greedy, starting from the first FROM item), which keeps comma joins of
// many tables from building cross products. Conditions that contain
// subqueries are evaluated on top, over the original column layout, so
// correlated references keep their meaning. ok is false when the input is
// not such a tree.
func reorderJoins(f *Filter) (Node, bool) {
	var leaves []Node
	var offsets []int
	var conj []Expr
	var flatten func(n Node, off int) bool
	flatten = func(n Node, off int) bool {
		j, isJoin := n.(*Join)
		if !isJoin || j.Kind != InnerJoin {
			leaves = append(leaves, n)
			offsets = append(offsets, off)
			return true
		}
		if !flatten(j.L, off) {
			return false
		}
		if !flatten(j.R, off+len(j.L.Columns())) {
			return false
		}
		for _, c := range Conjuncts(j.On, nil) {
			conj = append(conj, ShiftCols(c, off))
		}
		return true
	}
	if !flatten(f.In, 0) || len(leaves) < 3 {
		return nil, false
	}
	var top []Expr
	for _, c := range Conjuncts(f.Cond, nil) {
		if pureRefs(c) {
			conj = append(conj, c)
		} else {
			top = append(top, c)
		}
	}
	width := len(f.In.Columns())
	leafOf := make([]int, width)
	for i, n := range leaves {
		for k := range n.Columns() {
			leafOf[offsets[i]+k] = i
		}
	}
	refs := func(e Expr) map[int]bool {
		m := map[int]bool{}
		Walk(e, func(x Expr) bool {
			if c, ok := x.(*ColRef); ok && c.Idx < width {
				m[leafOf[c.Idx]] = true
			}
			return true
		})
		return m
	}
	// Equality edges between leaves.
	edge := map[[2]int]bool{}
	for _, c := range conj {
		b, ok := c.(*Binary)
		if !ok || b.Ov.Op != sem.OpEQ {
			continue
		}
		l, r := refs(b.L), refs(b.R)
		if len(l) != 1 || len(r) != 1 {
			continue
		}
		for a := range l {
			for z := range r {
				if a != z {
					edge[[2]int{a, z}], edge[[2]int{z, a}] = true, true
				}
			}
		}
	}
	used := make([]bool, len(leaves))
	order := []int{0}
	used[0] = true
	for len(order) < len(leaves) {
		next := -1
		for cand := range leaves {
			if used[cand] {
				continue
			}
			for _, o := range order {
				if edge[[2]int{o, cand}] {
					next = cand
					break
				}
			}
			if next >= 0 {
				break
			}
		}
		if next < 0 {
			for cand := range leaves {
				if !used[cand] {
					next = cand
					break
				}
			}
		}
		used[next] = true
		order = append(order, next)
	}
	// New layout: leaves in the new order.
	newPos := make([]int, width)
	pos := 0
	for _, li := range order {
		for k := range leaves[li].Columns() {
			newPos[offsets[li]+k] = pos
			pos++
		}
	}
	var tree Node = leaves[order[0]]
	for _, li := range order[1:] {
		tree = &Join{Kind: InnerJoin, L: tree, R: leaves[li]}
	}
	m := func(i int) int {
		if i < width {
			return newPos[i]
		}
		return i
	}
	var mapped []Expr
	for _, c := range conj {
		mapped = append(mapped, MapCols(c, m))
	}
	tree = pushFilter(tree, mapped)
	cols := f.In.Columns()
	p := &Project{In: tree, Cols: cols}
	for i := range cols {
		p.Exprs = append(p.Exprs, &ColRef{Idx: newPos[i], T: cols[i].T})
	}
	if len(top) > 0 {
		return &Filter{In: p, Cond: AndAll(top)}, true
	}
	return p, true
}
