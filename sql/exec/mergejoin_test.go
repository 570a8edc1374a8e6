package exec

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

func rowStrings(rows []Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprint(r)
	}
	sort.Strings(out)
	return out
}

// refJoin is the reference: nested loops over the key columns 0 of both
// sides, NULL keys never matching.
func refJoin(kind plan.JoinKind, l, r []Row, rw int) []Row {
	var out []Row
	rmat := make([]bool, len(r))
	for _, a := range l {
		m := false
		for j, b := range r {
			if types.IsNull(a[0]) || types.IsNull(b[0]) || a[0] != b[0] {
				continue
			}
			m = true
			rmat[j] = true
			if kind == plan.InnerJoin || kind == plan.LeftJoin || kind == plan.FullJoin {
				out = append(out, append(append(Row{}, a...), b...))
			}
		}
		switch {
		case kind == plan.SemiJoin && m, kind == plan.AntiJoin && !m:
			out = append(out, a)
		case (kind == plan.LeftJoin || kind == plan.FullJoin) && !m:
			row := append(Row{}, a...)
			for i := 0; i < rw; i++ {
				row = append(row, types.Null)
			}
			out = append(out, row)
		}
	}
	if kind == plan.FullJoin {
		for j, b := range r {
			if !rmat[j] {
				row := Row{}
				for range l[0] {
					row = append(row, types.Null)
				}
				out = append(out, append(row, b...))
			}
		}
	}
	return out
}

// TestMergeJoinKinds checks merge joins and hash joins of every kind
// against the reference, with duplicate keys on both sides, NULL keys
// (first or last in the order) and both directions.
func TestMergeJoinKinds(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	cols := []plan.Col{{Name: "k", T: types.Int8}, {Name: "v", T: types.Int8}}
	gen := func(n, keys int) []Row {
		var rows []Row
		for i := 0; i < n; i++ {
			var k types.Datum = types.DInt(rng.Intn(keys))
			if rng.Intn(8) == 0 {
				k = types.Null
			}
			rows = append(rows, Row{k, types.DInt(i)})
		}
		return rows
	}
	kinds := []plan.JoinKind{plan.InnerJoin, plan.LeftJoin, plan.FullJoin, plan.SemiJoin, plan.AntiJoin}
	for trial := 0; trial < 40; trial++ {
		l, r := gen(rng.Intn(40)+1, rng.Intn(12)+1), gen(rng.Intn(40)+1, rng.Intn(12)+1)
		desc, nullsFirst := trial%2 == 1, trial%4 >= 2
		keys := []plan.SortKey{{Idx: 0, Desc: desc, NullsFirst: nullsFirst}}
		for _, kind := range kinds {
			want := rowStrings(refJoin(kind, l, r, 2))
			for _, merge := range []bool{true, false} {
				j := &plan.Join{Kind: kind, L: &plan.Sort{In: valuesOf(l, cols), Keys: keys},
					R: &plan.Sort{In: valuesOf(r, cols), Keys: keys}, LeftKeys: []int{0}, RightKeys: []int{0}}
				if merge {
					j.Merge = &plan.MergeSpec{LeftCols: []int{0}, RightCols: []int{0}, Desc: []bool{desc}}
				}
				env := &Env{Ctx: context.Background()}
				got, err := Collect(env, j)
				require.NoError(t, err)
				require.Equal(t, want, rowStrings(got), "trial %d kind %d merge %v", trial, kind, merge)
				if merge && (kind == plan.InnerJoin || kind == plan.LeftJoin || kind == plan.SemiJoin || kind == plan.AntiJoin) {
					// The output keeps the left order.
					for i := 1; i < len(got); i++ {
						c, err := compareRows(got[i-1], got[i], keys, cols)
						require.NoError(t, err)
						require.LessOrEqual(t, c, 0)
					}
				}
			}
		}
	}
}

// TestMergeJoinOutOfOrder: unordered input is an internal error, never a
// wrong answer.
func TestMergeJoinOutOfOrder(t *testing.T) {
	cols := []plan.Col{{Name: "k", T: types.Int8}}
	l := []Row{{types.DInt(1)}, {types.DInt(3)}, {types.DInt(2)}}
	r := []Row{{types.DInt(1)}, {types.DInt(3)}}
	j := &plan.Join{Kind: plan.InnerJoin, L: valuesOf(l, cols), R: valuesOf(r, cols), LeftKeys: []int{0}, RightKeys: []int{0},
		Merge: &plan.MergeSpec{LeftCols: []int{0}, RightCols: []int{0}, Desc: []bool{false}}}
	_, err := Collect(&Env{Ctx: context.Background()}, j)
	require.Error(t, err)
	require.Equal(t, "XX000", err.(*types.Error).Code)
}
