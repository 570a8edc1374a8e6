package exec

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/types"
)

func valuesOf(rows []Row, cols []plan.Col) *plan.Values {
	v := &plan.Values{Cols: cols}
	for _, r := range rows {
		var es []plan.Expr
		for i, d := range r {
			es = append(es, &plan.Const{D: d, T: cols[i].T})
		}
		v.Rows = append(v.Rows, es)
	}
	return v
}

// TestSortSpillMultiPass sorts with a tiny work_mem and a small merge
// fan-in, so runs are merged in several passes, and compares with the
// in-memory sort; the temp files are gone after Close.
func TestSortSpillMultiPass(t *testing.T) {
	defer func(f int) { sortFanIn = f }(sortFanIn)
	sortFanIn = 3
	rng := rand.New(rand.NewSource(1))
	cols := []plan.Col{{Name: "a", T: types.Int8}, {Name: "b", T: types.String}, {Name: "seq", T: types.Int8}}
	var rows []Row
	for i := 0; i < 3000; i++ {
		var a types.Datum = types.DInt(rng.Intn(50))
		if rng.Intn(10) == 0 {
			a = types.Null
		}
		rows = append(rows, Row{a, types.DString(fmt.Sprintf("s%03d", rng.Intn(20))), types.DInt(i)})
	}
	keys := []plan.SortKey{{Idx: 0, Desc: true, NullsFirst: true}, {Idx: 1}}
	run := func(workMem int64, dir string) ([]Row, SortStats) {
		env := &Env{Ctx: context.Background(), WorkMem: workMem, TempDir: dir}
		defer env.Close()
		out, err := Collect(env, &plan.Sort{In: valuesOf(rows, cols), Keys: keys})
		require.NoError(t, err)
		require.Zero(t, env.MemUsed(), "a drained sort gives its memory back")
		return out, env.SortStats
	}
	dir := t.TempDir()
	want, st := run(0, dir)
	require.Zero(t, st.Spills)
	got, st := run(2048, dir)
	require.Equal(t, 1, st.Spills)
	require.Greater(t, st.Runs, 3*sortFanIn, "several merge passes")
	require.Equal(t, want, got) // stable: equal keys keep the input order (seq)
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, ents)
}

// TestSortSpillCancel: a cancelled statement stops and Close removes runs.
func TestSortSpillCancel(t *testing.T) {
	cols := []plan.Col{{Name: "a", T: types.Int8}}
	var rows []Row
	for i := 0; i < 5000; i++ {
		rows = append(rows, Row{types.DInt(5000 - i)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	env := &Env{Ctx: ctx, WorkMem: 1024, TempDir: dir}
	it, err := Build(env, &plan.Sort{In: valuesOf(rows, cols), Keys: []plan.SortKey{{Idx: 0}}})
	require.NoError(t, err)
	r, err := it.Next()
	require.NoError(t, err)
	require.Equal(t, types.DInt(1), r[0])
	ents, _ := os.ReadDir(dir)
	require.NotEmpty(t, ents)
	cancel()
	for err == nil {
		r, err = it.Next()
		require.False(t, err == nil && r == nil, "a cancelled merge must fail, not finish")
	}
	require.Equal(t, "57014", err.(*types.Error).Code)
	env.Close()
	ents, _ = os.ReadDir(dir)
	require.Empty(t, ents)
}
