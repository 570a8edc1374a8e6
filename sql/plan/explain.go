package plan

import (
	"fmt"
	"strings"
)

// Explain walks the plan and calls emit per node, depth-first.
func Explain(n Node, emit func(depth int, line string)) { explain(n, 0, emit) }

func explain(n Node, d int, emit func(int, string)) {
	switch x := n.(type) {
	case *Scan:
		idx := "primary"
		if x.Index != nil {
			idx = x.Index.Name
		}
		how := "full scan"
		if len(x.Spans) > 0 {
			how = fmt.Sprintf("%d span(s)", len(x.Spans))
			if len(x.Spans) == 1 && len(x.Spans[0].Eq) == len(indexCols(x)) && x.Spans[0].Lo == nil && x.Spans[0].Hi == nil {
				how = "point lookup"
			}
			how += rowBoundNote(x)
		}
		extra := ""
		if x.Index != nil {
			extra = " + index join"
		}
		if x.Limit > 0 {
			extra += fmt.Sprintf(" limit %d", x.Limit)
		} else if x.BatchHint > 0 {
			extra += fmt.Sprintf(" limit hint %d", x.BatchHint)
		}
		emit(d, fmt.Sprintf("scan %s@%s (%s%s)", x.Table.Name, idx, how, extra))
	case *Values:
		emit(d, fmt.Sprintf("values (%d rows)", len(x.Rows)))
	case *VirtualScan:
		emit(d, fmt.Sprintf("virtual table %s (%d rows)", x.Name, len(x.Rows)))
	case *Filter:
		emit(d, "filter")
		explain(x.In, d+1, emit)
	case *Project:
		var names []string
		for _, c := range x.Cols {
			names = append(names, c.Name)
		}
		emit(d, "project "+strings.Join(names, ", "))
		explain(x.In, d+1, emit)
	case *Join:
		kind := [...]string{"inner", "left", "right", "full", "semi", "anti"}[x.Kind]
		method := "nested loop join"
		if x.Merge != nil {
			method = "merge join"
		} else if len(x.LeftKeys) > 0 {
			method = "hash join"
		}
		emit(d, fmt.Sprintf("%s (%s)", method, kind))
		explain(x.L, d+1, emit)
		explain(x.R, d+1, emit)
	case *Apply:
		emit(d, "apply (lateral)")
		explain(x.L, d+1, emit)
		explain(x.R, d+1, emit)
	case *Agg:
		emit(d, fmt.Sprintf("hash aggregate (%d groups keys, %d aggregates)", len(x.Groups), len(x.Aggs)))
		explain(x.In, d+1, emit)
	case *Sort:
		emit(d, "sort")
		explain(x.In, d+1, emit)
	case *Limit:
		emit(d, "limit")
		explain(x.In, d+1, emit)
	case *Distinct:
		emit(d, "distinct")
		explain(x.In, d+1, emit)
	case *SetOp:
		op := [...]string{"union", "intersect", "except"}[x.Op]
		if x.All {
			op += " all"
		}
		emit(d, op)
		explain(x.L, d+1, emit)
		explain(x.R, d+1, emit)
	case *Window:
		emit(d, "window")
		explain(x.In, d+1, emit)
	case *Generate:
		emit(d, "generate "+x.Ov.Name)
	case *Zip:
		emit(d, "zip")
		for _, g := range x.Gens {
			explain(g, d+1, emit)
		}
	case *CTERef:
		emit(d, "cte scan "+x.CTE.Name)
	case *WorkingRef:
		emit(d, "working table "+x.CTE.Name)
	case *Insert:
		emit(d, "insert into "+x.Table.Name)
		explain(x.Input, d+1, emit)
	case *Update:
		emit(d, "update "+x.Table.Name)
		explain(x.Input, d+1, emit)
	case *Delete:
		emit(d, "delete from "+x.Table.Name)
		explain(x.Input, d+1, emit)
	default:
		emit(d, fmt.Sprintf("%T", n))
	}
}

// rowBoundNote names the key columns a row bound such as (a, b) > (1, 2)
// constrains in the scan's spans ("" when none has one).
func rowBoundNote(s *Scan) string {
	ix := s.Index
	if ix == nil {
		ix = s.Table.Primary
	}
	n := 0
	for _, sp := range s.Spans {
		if k := len(sp.Eq) + 1 + max(len(sp.LoRest), len(sp.HiRest)); k > n && (len(sp.LoRest) > 0 || len(sp.HiRest) > 0) {
			n = k
		}
	}
	if n == 0 || n > len(ix.ColumnIDs) {
		return ""
	}
	names := make([]string, n)
	for i := range names {
		names[i] = s.Table.Columns[s.Table.ColumnOrdinal(ix.ColumnIDs[i])].Name
	}
	return ", row bound on (" + strings.Join(names, ", ") + ")"
}

func indexCols(s *Scan) []uint32 {
	ix := s.Index
	if ix == nil {
		ix = s.Table.Primary
	}
	out := make([]uint32, len(ix.ColumnIDs))
	for i, c := range ix.ColumnIDs {
		out[i] = uint32(c)
	}
	return out
}
