package exec

import (
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

// mergeJoinIter joins two inputs ordered on the merge keys
// (plan.MergeSpec): it streams both and holds only the current group of
// right rows with equal keys (charged to the budget while held). Rows
// with a NULL key never match: they pass through as unmatched where the
// join kind keeps unmatched rows. On (which repeats the key equalities)
// filters every candidate pair.
type mergeJoinIter struct {
	env          *Env
	n            *plan.Join
	spec         *plan.MergeSpec
	left, right  Iter
	lcols, rcols []plan.Col
	ktypes       []*types.T

	rnext Row // right lookahead (nil: none read yet or done)
	rdone bool
	group []Row // right rows with equal keys
	gmat  []bool
	gheld int64
	ldone bool
	q     []Row // output queue
	qpos  int
	steps int
}

func (env *Env) newMergeJoin(n *plan.Join) (Iter, error) {
	l, err := Build(env, n.L)
	if err != nil {
		return nil, err
	}
	r, err := Build(env, n.R)
	if err != nil {
		return nil, err
	}
	it := &mergeJoinIter{env: env, n: n, spec: n.Merge, left: l, right: r, lcols: n.L.Columns(), rcols: n.R.Columns()}
	for _, c := range n.Merge.LeftCols {
		it.ktypes = append(it.ktypes, it.lcols[c].T)
	}
	return it, nil
}

func (it *mergeJoinIter) Next() (Row, error) {
	for {
		if it.qpos < len(it.q) {
			r := it.q[it.qpos]
			it.q[it.qpos] = nil
			it.qpos++
			return r, nil
		}
		it.q, it.qpos = it.q[:0], 0
		if it.ldone {
			return nil, nil
		}
		it.steps++
		if it.steps%1024 == 0 {
			if err := it.env.checkCancel(); err != nil {
				return nil, err
			}
		}
		if err := it.step(); err != nil {
			return nil, err
		}
	}
}

func (it *mergeJoinIter) keepsLeft() bool {
	k := it.n.Kind
	return k == plan.LeftJoin || k == plan.FullJoin
}

func (it *mergeJoinIter) keepsRight() bool { return it.n.Kind == plan.FullJoin }

// cmp compares a left row's merge key with a right row's (neither NULL),
// in the merge order.
func (it *mergeJoinIter) cmp(l, r Row) (int, error) {
	for i, lc := range it.spec.LeftCols {
		c, err := types.CompareTyped(it.ktypes[i], l[lc], r[it.spec.RightCols[i]])
		if err != nil {
			return 0, err
		}
		if c != 0 {
			if it.spec.Desc[i] {
				c = -c
			}
			return c, nil
		}
	}
	return 0, nil
}

func (it *mergeJoinIter) nullKey(r Row, cols []int) bool { return anyNull(r, cols) }

func (it *mergeJoinIter) emitLeftUnmatched(l Row) {
	switch it.n.Kind {
	case plan.LeftJoin, plan.FullJoin:
		row := make(Row, len(l)+len(it.rcols))
		copy(row, l)
		for i := len(l); i < len(row); i++ {
			row[i] = types.Null
		}
		it.q = append(it.q, row)
	case plan.AntiJoin:
		it.q = append(it.q, l)
	}
}

func (it *mergeJoinIter) emitRightUnmatched(r Row) {
	if !it.keepsRight() {
		return
	}
	row := make(Row, len(it.lcols)+len(r))
	for i := range it.lcols {
		row[i] = types.Null
	}
	copy(row[len(it.lcols):], r)
	it.q = append(it.q, row)
}

// advanceRight reads the next right row into rnext (nil at the end).
func (it *mergeJoinIter) advanceRight() error {
	if it.rdone {
		it.rnext = nil
		return nil
	}
	r, err := it.right.Next()
	if err != nil {
		return err
	}
	if r == nil {
		it.rdone = true
	}
	it.rnext = r
	return nil
}

// dropGroup emits the group's unmatched rows (FULL JOIN) and releases it.
func (it *mergeJoinIter) dropGroup() {
	for i, r := range it.group {
		if !it.gmat[i] {
			it.emitRightUnmatched(r)
		}
	}
	it.group, it.gmat = it.group[:0], it.gmat[:0]
	it.env.release(it.gheld)
	it.gheld = 0
}

// loadGroup reads the right rows whose key equals rnext's into group.
func (it *mergeJoinIter) loadGroup() error {
	first := it.rnext
	for it.rnext != nil {
		if len(it.group) > 0 {
			if it.nullKey(it.rnext, it.spec.RightCols) {
				break
			}
			c, err := it.cmpRight(first, it.rnext)
			if err != nil {
				return err
			}
			if c != 0 {
				break
			}
		}
		sz := rowBytes(it.rnext)
		if err := it.env.charge(sz); err != nil {
			return err
		}
		it.gheld += sz
		it.group = append(it.group, it.rnext)
		it.gmat = append(it.gmat, false)
		if err := it.advanceRight(); err != nil {
			return err
		}
	}
	return nil
}

// cmpRight compares two right rows' keys (equality only matters).
func (it *mergeJoinIter) cmpRight(a, b Row) (int, error) {
	for i, rc := range it.spec.RightCols {
		c, err := types.CompareTyped(it.ktypes[i], a[rc], b[rc])
		if err != nil || c != 0 {
			return c, err
		}
	}
	return 0, nil
}

// step consumes one left row (or finishes) and queues its output.
func (it *mergeJoinIter) step() error {
	if it.rnext == nil && !it.rdone && len(it.group) == 0 {
		if err := it.advanceRight(); err != nil {
			return err
		}
	}
	l, err := it.left.Next()
	if err != nil {
		return err
	}
	if l == nil {
		it.ldone = true
		it.dropGroup()
		if it.keepsRight() {
			for it.rnext != nil {
				it.emitRightUnmatched(it.rnext)
				if err := it.advanceRight(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if it.nullKey(l, it.spec.LeftCols) {
		it.emitLeftUnmatched(l)
		return nil
	}
	if len(it.group) > 0 {
		c, err := it.cmp(l, it.group[0])
		if err != nil {
			return err
		}
		if c < 0 {
			return pgerr.New(pgerr.Internal, "merge join: left input out of order")
		}
		if c > 0 {
			it.dropGroup()
		}
	}
	if len(it.group) == 0 {
		for it.rnext != nil {
			if it.nullKey(it.rnext, it.spec.RightCols) {
				it.emitRightUnmatched(it.rnext)
				if err := it.advanceRight(); err != nil {
					return err
				}
				continue
			}
			c, err := it.cmp(l, it.rnext)
			if err != nil {
				return err
			}
			if c < 0 {
				break
			}
			if c > 0 {
				it.emitRightUnmatched(it.rnext)
				if err := it.advanceRight(); err != nil {
					return err
				}
				continue
			}
			if err := it.loadGroup(); err != nil {
				return err
			}
			break
		}
	}
	if len(it.group) == 0 {
		it.emitLeftUnmatched(l)
		return nil
	}
	// l's key equals the group's: try every pair.
	matched := false
	for i, r := range it.group {
		row := make(Row, 0, len(l)+len(r))
		row = append(append(row, l...), r...)
		if it.n.On != nil {
			ok, err := it.env.EvalBool(it.n.On, row)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		matched = true
		it.gmat[i] = true
		switch it.n.Kind {
		case plan.SemiJoin:
			it.q = append(it.q, l)
			return nil
		case plan.AntiJoin:
			return nil
		}
		it.q = append(it.q, row)
	}
	if !matched {
		it.emitLeftUnmatched(l)
	}
	return nil
}
