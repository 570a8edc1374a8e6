package randgen

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// Fixed, bounded: the property test runs in make test without PostgreSQL.
const (
	propSeeds   = 6
	propQueries = 30
	propDML     = 12
)

// TestRandgenProperties checks, on an in-process Tessera only, for fixed
// seeds: no generated statement fails with an internal error (XX000);
// every query returns the same result with and without the schema's
// secondary indexes; and ternary-logic partitioning holds: the rows of Q
// are the multiset union of Q WHERE p, Q WHERE NOT p and Q WHERE p IS NULL.
func TestRandgenProperties(t *testing.T) {
	d := connect(t, startTessera(t))
	internal := func(seed uint64, sql string, o outcome) {
		t.Helper()
		if o.code == "XX000" || o.code == "CONN" {
			t.Errorf("seed %d: %s\n%s", seed, o, sql)
		}
	}
	partitioned, queries := 0, 0
	for seed := uint64(1); seed <= propSeeds; seed++ {
		resetTables(d)
		g := New(seed)
		for _, s := range g.Setup() {
			o := d.run(s)
			require.Empty(t, o.code, "seed %d: %s: %s", seed, s, o)
		}
		type ran struct {
			q Query
			o outcome
		}
		var done []ran
		for i := 0; i < propQueries; i++ {
			q := g.Query()
			o := d.run(q.SQL)
			internal(seed, q.SQL, o)
			done = append(done, ran{q, o})
			queries++
			if o.code != "" {
				continue
			}
			var union []string
			ok := true
			for _, p := range g.Partition(q) {
				po := d.run(p)
				internal(seed, p, po)
				if po.code != "" {
					ok = false // p itself may fail (e.g. a cast); nothing to compare
					break
				}
				union = append(union, po.rows...)
			}
			if !ok {
				continue
			}
			partitioned++
			slices.Sort(union)
			if !slices.Equal(union, o.sorted()) {
				t.Errorf("seed %d: partitioning by p does not give Q's rows\nQ: %s\nP: %s\nQ rows: %d, union: %d", seed, q.SQL, g.Partition(q)[0], len(o.rows), len(union))
			}
		}
		for _, tb := range g.Tables {
			for _, ix := range tb.Indexes {
				o := d.run("DROP INDEX " + ix)
				require.Empty(t, o.code, "seed %d: DROP INDEX %s: %s", seed, ix, o)
			}
		}
		for _, r := range done {
			o := d.run(r.q.SQL)
			if m := mismatch(r.o, o, r.q.Ordered); m != "" {
				t.Errorf("seed %d: with and without indexes differ (%s)\n%s\n  with:    %s\n  without: %s", seed, m, r.q.SQL, r.o, o)
			}
		}
		for i := 0; i < propDML; i++ {
			dm := g.DML()
			internal(seed, dm.SQL, d.run(dm.SQL))
			internal(seed, dm.Check, d.run(dm.Check))
		}
	}
	t.Logf("%d queries, %d partitioned", queries, partitioned)
	// The partition check must have had something to check.
	require.Greater(t, partitioned, queries/2, "partitioned %d of %d queries", partitioned, queries)
}
