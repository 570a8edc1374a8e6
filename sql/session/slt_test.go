package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/conn"
	"github.com/tesseradb/tessera/sql/internal/memkv"
	"github.com/tesseradb/tessera/sql/logictest"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/types"
)

// sltWriter collects one statement's results as text, the way the wire
// protocol would send them.
type sltWriter struct {
	cols []conn.Column
	rows [][]string
	null [][]bool
}

func (w *sltWriter) Columns(cols []conn.Column) error { w.cols = cols; return nil }
func (w *sltWriter) Notice(conn.Notice) error         { return nil }
func (w *sltWriter) Row(r []types.Datum) error {
	out := make([]string, len(r))
	nulls := make([]bool, len(r))
	for i, d := range r {
		if types.IsNull(d) {
			nulls[i] = true
			continue
		}
		out[i] = types.FormatText(w.cols[i].Type, d, time.UTC)
	}
	w.rows = append(w.rows, out)
	w.null = append(w.null, nulls)
	return nil
}

type sltResult struct {
	passed, failed, skipped int
	classes                 map[string]int
	examples                map[string]string
}

var numRe = regexp.MustCompile(`\d+`)

// runSLTFile runs one sqllogictest file against a fresh in-process
// engine over the in-memory KV double.
func runSLTFile(t testing.TB, path string, res *sltResult) {
	recs, err := logictest.ParseFile(path)
	require.NoError(t, err)
	ctx := context.Background()
	eng, err := NewEngine(ctx, memkv.New(), Config{NodeID: 1})
	require.NoError(t, err)
	cs, err := eng.NewSession(ctx, conn.SessionArgs{User: "root", Database: "defaultdb"})
	require.NoError(t, err)
	defer cs.Close()
	s := cs.(*Session)
	halted := false
	labels := map[string]string{}
	fail := func(rec *logictest.Record, class, detail string) {
		res.failed++
		class = numRe.ReplaceAllString(class, "N")
		res.classes[class]++
		if _, ok := res.examples[class]; !ok {
			res.examples[class] = fmt.Sprintf("%s:%d: %s\n      %s", filepath.Base(path), rec.Line, detail, strings.ReplaceAll(rec.SQL, "\n", " "))
		}
	}
	for i := range recs {
		rec := &recs[i]
		applies := rec.AppliesTo("postgresql")
		switch rec.Kind {
		case logictest.KindHalt:
			if applies {
				halted = true
			}
			continue
		case logictest.KindHashThreshold:
			continue
		}
		if halted || !applies {
			res.skipped++
			continue
		}
		var last *sltWriter
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := s.ExecSimple(rctx, rec.SQL, func() conn.ResultWriter {
			w := &sltWriter{}
			if last == nil || last.cols == nil {
				last = w
			}
			return w
		}, func(string) error { return nil })
		cancel()
		if rec.ExpectError {
			if err == nil {
				fail(rec, "expected an error", "")
			} else {
				res.passed++
			}
			continue
		}
		if err != nil {
			msg := err.Error()
			if len(msg) > 80 {
				msg = msg[:80]
			}
			fail(rec, "error "+pgerr.Code(err)+": "+msg, err.Error())
			continue
		}
		if rec.Kind == logictest.KindStatement {
			res.passed++
			continue
		}
		if last == nil || len(last.cols) != len(rec.Types) {
			fail(rec, "column count", "")
			continue
		}
		var vals []string
		for ri, row := range last.rows {
			for c, v := range row {
				var b []byte
				if !last.null[ri][c] {
					b = []byte(v)
				}
				vals = append(vals, logictest.FormatValue(rec.Types[c], uint32(last.cols[c].Type.OID()), b))
			}
		}
		ncol := len(rec.Types)
		logictest.SortValues(rec.Sort, ncol, vals)
		hash := logictest.HashValues(vals)
		if rec.Label != "" {
			if prev, ok := labels[rec.Label]; ok && prev != hash {
				fail(rec, "label mismatch", "")
				continue
			}
			labels[rec.Label] = hash
		}
		ok := false
		switch {
		case rec.Hashed:
			ok = len(vals) == rec.HashedCount && hash == rec.Hash
		case equalLines(rec.Expected, vals):
			ok = true
		case ncol > 0 && len(vals)%ncol == 0 && len(rec.Expected) == len(vals)/ncol:
			rows := make([]string, len(vals)/ncol)
			for i := range rows {
				rows[i] = strings.Join(vals[i*ncol:(i+1)*ncol], " ")
			}
			ok = equalLines(rec.Expected, rows)
		}
		if ok {
			res.passed++
		} else {
			shown := vals
			if len(shown) > 12 {
				shown = shown[:12]
			}
			fail(rec, "wrong result", fmt.Sprintf("got %d values %v", len(vals), shown))
		}
	}
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.TrimRight(a[i], " ") != b[i] {
			return false
		}
	}
	return true
}

func sltCorpus(t *testing.T) string {
	dir, err := logictest.FindCorpus(".")
	if err != nil {
		t.Fatalf("sqllogictest corpus: %v", err)
	}
	return dir
}

// sltSubset is the fixed subset make test runs.
var sltSubset = []string{
	"evidence/in1.test", "evidence/in2.test", "evidence/slt_lang_aggfunc.test",
	"evidence/slt_lang_createview.test", "evidence/slt_lang_dropindex.test", "evidence/slt_lang_droptable.test",
	"evidence/slt_lang_dropview.test", "evidence/slt_lang_update.test", "select1.test",
}

// minSubsetPassRate is the pass rate the subset must keep (measured, then
// rounded down); a regression fails the test.
const minSubsetPassRate = 98.0

func TestSQLLogicTest(t *testing.T) {
	root := sltCorpus(t)
	var files []string
	if os.Getenv("TESSERA_SLT_FULL") != "" {
		all, err := logictest.TestFiles(root)
		require.NoError(t, err)
		files = all
	} else {
		for _, f := range sltSubset {
			files = append(files, filepath.Join(root, f))
		}
	}
	if pat := os.Getenv("TESSERA_SLT_FILES"); pat != "" {
		re := regexp.MustCompile(pat)
		all, err := logictest.TestFiles(root)
		require.NoError(t, err)
		files = nil
		for _, f := range all {
			if re.MatchString(f) {
				files = append(files, f)
			}
		}
	}
	total := &sltResult{classes: map[string]int{}, examples: map[string]string{}}
	for _, f := range files {
		start := time.Now()
		r := &sltResult{classes: total.classes, examples: total.examples}
		runSLTFile(t, f, r)
		t.Logf("%s: passed %d, failed %d, skipped %d (%s)", strings.TrimPrefix(f, root+"/"), r.passed, r.failed, r.skipped, time.Since(start).Round(time.Millisecond))
		total.passed += r.passed
		total.failed += r.failed
		total.skipped += r.skipped
	}
	rate := 100 * float64(total.passed) / float64(max(1, total.passed+total.failed))
	t.Logf("total: passed %d, failed %d, skipped %d, pass rate %.2f%%", total.passed, total.failed, total.skipped, rate)
	type kv struct {
		k string
		v int
	}
	var cl []kv
	for k, v := range total.classes {
		cl = append(cl, kv{k, v})
	}
	sort.Slice(cl, func(a, b int) bool { return cl[a].v > cl[b].v })
	for i, c := range cl {
		if i >= 40 {
			break
		}
		t.Logf("  %6d  %s\n      e.g. %s", c.v, c.k, total.examples[c.k])
	}
	require.GreaterOrEqual(t, rate, minSubsetPassRate)
}
