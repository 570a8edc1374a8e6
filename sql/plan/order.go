package plan

// Orderings: which column order a plan's rows are known to come in, so
// that a join of two inputs ordered on their keys merges them.

// ProvidedOrder returns the order n's rows come in (a prefix of sort
// keys over n's columns; nil = unknown). NullsFirst is not reported:
// consumers must not rely on where NULLs are.
func ProvidedOrder(n Node) []SortKey {
	o := providedOrder(n)
	out := make([]SortKey, len(o))
	for i, k := range o {
		out[i] = SortKey{Idx: k.Idx, Desc: k.Desc}
	}
	return out
}

// ordKey is one column of a provided order. NotNull: the column has no
// NULLs (a primary key column); otherwise NullsKnown says NullsFirst is
// where they are (after a Sort).
type ordKey struct {
	Idx                                   int
	Desc, NotNull, NullsKnown, NullsFirst bool
}

func providedOrder(n Node) []ordKey {
	switch x := n.(type) {
	case *Scan:
		// A primary index scan reads its spans in key order; primary key
		// columns are NOT NULL. (An index join over a secondary index is
		// not assumed to keep the index order.)
		pk := x.Table.Primary
		if x.Index != nil || pk == nil {
			return nil
		}
		out := make([]ordKey, 0, len(pk.ColumnIDs))
		for i, id := range pk.ColumnIDs {
			ord := x.Table.ColumnOrdinal(id)
			if ord < 0 || ord >= len(x.Cols) {
				break
			}
			desc := i < len(pk.Desc) && pk.Desc[i]
			out = append(out, ordKey{Idx: ord, Desc: desc != x.Reverse, NotNull: true})
		}
		return out
	case *Filter:
		return providedOrder(x.In)
	case *Limit:
		return providedOrder(x.In)
	case *Distinct:
		// Streaming: the first row of each group passes in input order.
		return providedOrder(x.In)
	case *Sort:
		out := make([]ordKey, len(x.Keys))
		for i, k := range x.Keys {
			out[i] = ordKey{Idx: k.Idx, Desc: k.Desc, NullsKnown: true, NullsFirst: k.NullsFirst}
		}
		return out
	case *Project:
		in := providedOrder(x.In)
		var out []ordKey
		for _, k := range in {
			found := -1
			for i, e := range x.Exprs {
				if r, ok := e.(*ColRef); ok && r.Idx == k.Idx {
					found = i
					break
				}
			}
			if found < 0 {
				break
			}
			k.Idx = found
			out = append(out, k)
		}
		return out
	case *Join:
		// Left rows stream in order and each one's output rows follow it
		// (FULL JOIN appends unmatched right rows at the end).
		switch x.Kind {
		case InnerJoin, LeftJoin, SemiJoin, AntiJoin:
			// (A merge join's left input is ordered on at least its
			// merge columns; left columns keep their values.)
			lo := providedOrder(x.L)
			if x.Merge != nil && len(lo) > len(x.Merge.LeftCols) {
				lo = lo[:len(x.Merge.LeftCols)]
			}
			return lo
		}
	}
	return nil
}

// mergeSpec finds a merge ordering for j: the longest prefix of L's order
// whose columns are left keys, matched by R's order on the paired right
// keys in the same directions.
func mergeSpec(j *Join) *MergeSpec {
	if len(j.LeftKeys) == 0 || j.Kind == RightJoin || j.NullAware {
		return nil
	}
	lo, ro := ProvidedOrder(j.L), ProvidedOrder(j.R)
	spec := &MergeSpec{}
	used := make([]bool, len(j.LeftKeys))
	for i := 0; i < len(lo) && i < len(ro); i++ {
		p := -1
		for k, lc := range j.LeftKeys {
			if !used[k] && lc == lo[i].Idx && j.RightKeys[k] == ro[i].Idx {
				p = k
				break
			}
		}
		if p < 0 || lo[i].Desc != ro[i].Desc {
			break
		}
		used[p] = true
		spec.LeftCols = append(spec.LeftCols, j.LeftKeys[p])
		spec.RightCols = append(spec.RightCols, j.RightKeys[p])
		spec.Desc = append(spec.Desc, lo[i].Desc)
	}
	if len(spec.LeftCols) == 0 {
		return nil
	}
	return spec
}

// planMergeJoins walks an optimized plan bottom-up and makes every join
// with a merge ordering a merge join. Both inputs stream, so it needs no
// build side in memory (only a group of equal right keys); that is
// chosen over a hash join whenever it applies. A Sort whose input already
// comes in its order (such as a merge join's output) is dropped.
func planMergeJoins(n Node) Node {
	switch x := n.(type) {
	case *Filter:
		x.In = planMergeJoins(x.In)
	case *Project:
		x.In = planMergeJoins(x.In)
	case *Join:
		x.L = planMergeJoins(x.L)
		x.R = planMergeJoins(x.R)
		x.Merge = mergeSpec(x)
	case *Apply:
		x.L = planMergeJoins(x.L)
		x.R = planMergeJoins(x.R)
	case *Agg:
		x.In = planMergeJoins(x.In)
	case *Sort:
		x.In = planMergeJoins(x.In)
		if orderSatisfies(providedOrder(x.In), x.Keys) {
			return x.In
		}
	case *Limit:
		x.In = planMergeJoins(x.In)
	case *Distinct:
		x.In = planMergeJoins(x.In)
	case *SetOp:
		x.L = planMergeJoins(x.L)
		x.R = planMergeJoins(x.R)
	case *Window:
		x.In = planMergeJoins(x.In)
	case *Insert:
		x.Input = planMergeJoins(x.Input)
	case *Update:
		x.Input = planMergeJoins(x.Input)
	case *Delete:
		x.Input = planMergeJoins(x.Input)
	}
	return n
}

// orderSatisfies: rows in order o are already sorted on keys, NULLs
// included (the column has none, or they are where keys want them).
func orderSatisfies(o []ordKey, keys []SortKey) bool {
	if len(keys) == 0 || len(keys) > len(o) {
		return false
	}
	for i, k := range keys {
		if o[i].Idx != k.Idx || o[i].Desc != k.Desc {
			return false
		}
		if !o[i].NotNull && !(o[i].NullsKnown && o[i].NullsFirst == k.NullsFirst) {
			return false
		}
	}
	return true
}
