package randgen

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// seedRange reads "N" or "LO-HI" (inclusive) from env, def if unset.
func seedRange(t *testing.T, env string, lo, hi uint64) (uint64, uint64) {
	v := os.Getenv(env)
	if v == "" {
		return lo, hi
	}
	a, b, ok := strings.Cut(v, "-")
	l, err := strconv.ParseUint(a, 10, 64)
	require.NoError(t, err, env)
	if !ok {
		return l, l
	}
	h, err := strconv.ParseUint(b, 10, 64)
	require.NoError(t, err, env)
	return l, h
}

func envInt(t *testing.T, env string, def int) int {
	v := os.Getenv(env)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, env)
	return n
}

type found struct {
	seed  uint64
	class string
	sql   string
	pg    outcome
	ours  outcome
}

// TestRandgenPostgres runs the same random statements on PostgreSQL 15
// (TESSERA_RANDGEN_PG_URL, a database it may create and drop tables t0…t2
// in) and on Tessera (an in-process engine, or TESSERA_RANDGEN_URL) and
// reports every mismatch, grouped by class. Seeds TESSERA_RANDGEN_SEEDS
// ("N" or "LO-HI", default 1-20), statements per seed TESSERA_RANDGEN_COUNT
// (default 100). After a DML statement both tables are compared; when they
// differ the seed stops (the states diverged).
func TestRandgenPostgres(t *testing.T) {
	pgURL := os.Getenv("TESSERA_RANDGEN_PG_URL")
	if pgURL == "" {
		t.Skip("TESSERA_RANDGEN_PG_URL not set (a PostgreSQL 15 server for the differential run)")
	}
	ourURL := os.Getenv("TESSERA_RANDGEN_URL")
	if ourURL == "" {
		ourURL = startTessera(t)
	}
	pg, ours := connect(t, pgURL), connect(t, ourURL)
	pg.run("SET statement_timeout = '10s'")
	lo, hi := seedRange(t, "TESSERA_RANDGEN_SEEDS", 1, 20)
	count := envInt(t, "TESSERA_RANDGEN_COUNT", 100)
	var all []found
	statements := 0
	// TESSERA_RANDGEN_LOG=file records every statement run, one a line
	// (input for TestRandgenRepro).
	var log *os.File
	if p := os.Getenv("TESSERA_RANDGEN_LOG"); p != "" {
		f, err := os.Create(p)
		require.NoError(t, err)
		defer f.Close()
		log = f
	}
	for seed := lo; seed <= hi; seed++ {
		resetTables(pg)
		resetTables(ours)
		g := New(seed)
		if log != nil {
			fmt.Fprintf(log, "-- seed %d\n", seed)
		}
		note := func(sql string, p, o outcome, ordered bool) bool {
			statements++
			if log != nil {
				fmt.Fprintln(log, strings.ReplaceAll(sql, "\n;; then ", "\n"))
			}
			if c := mismatch(p, o, ordered); c != "" && !(c == "rows" && mergesEqual(sql) && sameUpToScale(p, o)) {
				all = append(all, found{seed, c, sql, p, o})
				return true
			}
			return false
		}
		bad := false
		for _, s := range g.Setup() {
			if note(s, pg.run(s), ours.run(s), false) {
				bad = true
			}
		}
		if bad {
			continue
		}
		for i := 0; i < count; i++ {
			if g.pct(15) {
				d := g.DML()
				p, o := pg.run(d.SQL), ours.run(d.SQL)
				if p.code != "" && o.code != "" && o.code != "XX000" {
					// Which of several bad rows a statement meets first
					// (23505, 23502, 21000) depends on the row order.
					p.code, o.code = "", ""
				}
				note(d.SQL, p, o, false)
				if note(d.SQL+"\n;; then "+d.Check, pg.run(d.Check), ours.run(d.Check), false) {
					break
				}
				continue
			}
			q := g.Query()
			note(q.SQL, pg.run(q.SQL), ours.run(q.SQL), q.Ordered)
		}
	}
	classes := map[string]int{}
	for _, f := range all {
		classes[classKey(f)]++
	}
	var keys []string
	for k := range classes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return classes[keys[i]] > classes[keys[j]] })
	var b strings.Builder
	fmt.Fprintf(&b, "seeds %d-%d, %d statements, %d mismatches\n", lo, hi, statements, len(all))
	for _, k := range keys {
		fmt.Fprintf(&b, "%5d  %s\n", classes[k], k)
	}
	max := envInt(t, "TESSERA_RANDGEN_SHOW", 30)
	for i, f := range all {
		if i == max {
			break
		}
		fmt.Fprintf(&b, "\n--- seed %d: %s\n%s\n  pg:      %s\n  tessera: %s\n", f.seed, f.class, f.sql, f.pg, f.ours)
	}
	if out := os.Getenv("TESSERA_RANDGEN_OUT"); out != "" {
		var w strings.Builder
		for _, f := range all {
			fmt.Fprintf(&w, "--- seed %d: %s | %s\n%s\n  pg:      %s\n  tessera: %s\n", f.seed, classKey(f), f.class, f.sql, f.pg, f.ours)
		}
		require.NoError(t, os.WriteFile(out, []byte(w.String()), 0o644))
	}
	t.Log("\n" + b.String())
	if len(all) > 0 {
		t.Errorf("%d mismatches", len(all))
	}
}

// mergesEqual reports whether a statement may merge rows that are equal
// but print differently (DISTINCT, UNION, INTERSECT, EXCEPT, GROUP BY):
// which of 0 and 0.00 survives is PostgreSQL's plan's choice.
func mergesEqual(sql string) bool {
	for _, w := range []string{"DISTINCT", "UNION", "INTERSECT", "EXCEPT", "GROUP BY"} {
		if strings.Contains(sql, w) {
			return true
		}
	}
	return false
}

// sameUpToScale reports whether two results are the same multiset once
// numeric values lose their trailing fractional zeros.
func sameUpToScale(p, o outcome) bool {
	if !slices.Equal(p.oids, o.oids) || len(p.rows) != len(o.rows) {
		return false
	}
	norm := func(rows []string) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			parts := strings.Split(r, "\x1f")
			for j, v := range parts {
				if j < len(p.oids) && p.oids[j] == 1700 && strings.Contains(v, ".") {
					v = strings.TrimRight(v, "0")
					parts[j] = strings.TrimSuffix(v, ".")
				}
			}
			out[i] = strings.Join(parts, "\x1f")
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(norm(p.rows), norm(o.rows))
}

// classKey groups mismatches: the class and, for errors, the message with
// digits removed.
func classKey(f found) string {
	msg := f.ours.msg
	if f.ours.code == "" {
		msg = f.pg.msg
	}
	msg = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, msg)
	if len(msg) > 70 {
		msg = msg[:70]
	}
	return f.class + " " + msg
}

// TestRandgenRepro runs the statements of TESSERA_RANDGEN_REPRO (a file,
// one statement per line) on PostgreSQL (TESSERA_RANDGEN_PG_URL) and on
// Tessera and prints both outcomes of each: the tool for shrinking a
// mismatch by hand.
func TestRandgenRepro(t *testing.T) {
	file, pgURL := os.Getenv("TESSERA_RANDGEN_REPRO"), os.Getenv("TESSERA_RANDGEN_PG_URL")
	if file == "" || pgURL == "" {
		t.Skip("TESSERA_RANDGEN_REPRO and TESSERA_RANDGEN_PG_URL not set")
	}
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	pg, ours := connect(t, pgURL), connect(t, startTessera(t))
	resetTables(pg)
	resetTables(ours)
	for _, s := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "--") {
			continue
		}
		p, o := pg.run(s), ours.run(s)
		m := mismatch(p, o, false)
		if m == "" {
			if os.Getenv("TESSERA_RANDGEN_REPRO_ALL") == "" {
				continue
			}
			m = "same"
		}
		t.Logf("%s\n  [%s]\n  pg:      %s\n  tessera: %s%s", s, m, p, o, rowDiff(p, o))
	}
}

// rowDiff lists the rows only one of two results has (as multisets).
func rowDiff(p, o outcome) string {
	if p.code != "" || o.code != "" {
		return ""
	}
	count := map[string]int{}
	for _, r := range p.rows {
		count[r]++
	}
	for _, r := range o.rows {
		count[r]--
	}
	var b strings.Builder
	for _, r := range p.sorted() {
		if count[r] > 0 {
			count[r]--
			fmt.Fprintf(&b, "\n  only pg:      %q", r)
		}
	}
	for _, r := range o.sorted() {
		if count[r] < 0 {
			count[r]++
			fmt.Fprintf(&b, "\n  only tessera: %q", r)
		}
	}
	return b.String()
}
