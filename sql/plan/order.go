package plan

// Orderings: which column order a plan's rows are known to come in, so
// that a join of two inputs ordered on their keys merges them.

// ProvidedOrder returns the order n's rows come in (a prefix of sort
// keys over n's columns; nil = unknown). NullsFirst is not reported:
// consumers must not rely on where NULLs are.
func ProvidedOrder(n Node) []SortKey {
	switch x := n.(type) {
	case *Scan:
		// A primary index scan reads its spans in key order; primary key
		// columns are NOT NULL. (An index join over a secondary index is
		// not assumed to keep the index order.)
		pk := x.Table.Primary
		if x.Index != nil || pk == nil {
			return nil
		}
		out := make([]SortKey, 0, len(pk.ColumnIDs))
		for i, id := range pk.ColumnIDs {
			ord := x.Table.ColumnOrdinal(id)
			if ord < 0 || ord >= len(x.Cols) {
				break
			}
			desc := i < len(pk.Desc) && pk.Desc[i]
			out = append(out, SortKey{Idx: ord, Desc: desc != x.Reverse})
		}
		return out
	case *Filter:
		return ProvidedOrder(x.In)
	case *Limit:
		return ProvidedOrder(x.In)
	case *Distinct:
		// Streaming: the first row of each group passes in input order.
		return ProvidedOrder(x.In)
	case *Sort:
		return x.Keys
	case *Project:
		in := ProvidedOrder(x.In)
		var out []SortKey
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
			out = append(out, SortKey{Idx: found, Desc: k.Desc})
		}
		return out
	case *Join:
		// Left rows stream in order and each one's output rows follow it
		// (FULL JOIN appends unmatched right rows at the end).
		switch x.Kind {
		case InnerJoin, LeftJoin, SemiJoin, AntiJoin:
			if x.Merge != nil {
				out := make([]SortKey, len(x.Merge.LeftCols))
				for i, c := range x.Merge.LeftCols {
					out[i] = SortKey{Idx: c, Desc: x.Merge.Desc[i]}
				}
				return out
			}
			return ProvidedOrder(x.L)
		}
	}
	return nil
}

// mergeSpec finds a merge ordering for j: the longest prefix of L's order
// whose columns are left keys, matched by R's order on the paired right
// keys in the same directions.
func mergeSpec(j *Join) *MergeSpec {
	if len(j.LeftKeys) == 0 || j.Kind == RightJoin {
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
// chosen over a hash join whenever it applies.
func planMergeJoins(n Node) {
	switch x := n.(type) {
	case *Filter:
		planMergeJoins(x.In)
	case *Project:
		planMergeJoins(x.In)
	case *Join:
		planMergeJoins(x.L)
		planMergeJoins(x.R)
		x.Merge = mergeSpec(x)
	case *Apply:
		planMergeJoins(x.L)
		planMergeJoins(x.R)
	case *Agg:
		planMergeJoins(x.In)
	case *Sort:
		planMergeJoins(x.In)
	case *Limit:
		planMergeJoins(x.In)
	case *Distinct:
		planMergeJoins(x.In)
	case *SetOp:
		planMergeJoins(x.L)
		planMergeJoins(x.R)
	case *Window:
		planMergeJoins(x.In)
	case *Insert:
		planMergeJoins(x.Input)
	case *Update:
		planMergeJoins(x.Input)
	case *Delete:
		planMergeJoins(x.Input)
	}
}
