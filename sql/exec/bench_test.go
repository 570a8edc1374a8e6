package exec

import (
	"context"
	"fmt"
	"testing"

	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

// BenchmarkJoinOrdered joins two inputs of n rows ordered on the key
// (keys repeat twice on each side), as a merge join and as a hash join.
func BenchmarkJoinOrdered(b *testing.B) {
	const n = 50000
	cols := []plan.Col{{Name: "k", T: types.Int8}, {Name: "v", T: types.String}}
	mk := func() []Row {
		rows := make([]Row, n)
		for i := range rows {
			rows[i] = Row{types.DInt(i / 2), types.DString(fmt.Sprintf("v%06d", i))}
		}
		return rows
	}
	l, r := &plan.VirtualScan{Rows: mk(), Cols: cols}, &plan.VirtualScan{Rows: mk(), Cols: cols}
	for _, merge := range []bool{true, false} {
		b.Run(map[bool]string{true: "merge", false: "hash"}[merge], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				j := &plan.Join{Kind: plan.InnerJoin, L: l, R: r, LeftKeys: []int{0}, RightKeys: []int{0}}
				if merge {
					j.Merge = &plan.MergeSpec{LeftCols: []int{0}, RightCols: []int{0}, Desc: []bool{false}}
				}
				env := &Env{Ctx: context.Background()}
				out, err := Collect(env, j)
				if err != nil || len(out) != 2*n {
					b.Fatal(err, len(out))
				}
			}
		})
	}
}

// BenchmarkSortSpill sorts 200k rows in memory and with a 1 MiB work_mem.
func BenchmarkSortSpill(b *testing.B) {
	const n = 200000
	cols := []plan.Col{{Name: "k", T: types.Int8}, {Name: "v", T: types.String}}
	rows := make([]Row, n)
	for i := range rows {
		rows[i] = Row{types.DInt(int64(i) * 7919 % n), types.DString(fmt.Sprintf("value-%08d", i))}
	}
	in := &plan.VirtualScan{Rows: rows, Cols: cols}
	for _, wm := range []int64{0, 1 << 20} {
		b.Run(map[bool]string{true: "memory", false: "spill-1MiB"}[wm == 0], func(b *testing.B) {
			dir := b.TempDir()
			for i := 0; i < b.N; i++ {
				env := &Env{Ctx: context.Background(), WorkMem: wm, TempDir: dir}
				out, err := Collect(env, &plan.Sort{In: in, Keys: []plan.SortKey{{Idx: 0}}})
				env.Close()
				if err != nil || len(out) != n {
					b.Fatal(err, len(out))
				}
			}
		})
	}
}
