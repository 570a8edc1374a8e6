package storage

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
)

func sstKey(i int) []byte { return []byte(fmt.Sprintf("\x01sst/%04d", i)) }

func rawValue(t *testing.T, r Reader, k []byte) string {
	t.Helper()
	v, ok, err := r.GetRaw(k)
	require.NoError(t, err)
	if !ok {
		return "<absent>"
	}
	return string(v)
}

// An ingested table replaces a span: its ClearRange deletes the older keys
// (memtable and flushed alike) but not the table's own points, and keys
// outside the span stay.
func TestIngestSSTReplacesSpan(t *testing.T) {
	fs := vfs.NewMem()
	eng, err := Open("db", WithFS(fs))
	require.NoError(t, err)
	for i := 0; i < 20; i++ {
		require.NoError(t, eng.PutRaw(sstKey(i), []byte("old")))
	}
	require.NoError(t, eng.Flush())
	require.NoError(t, eng.PutRaw(sstKey(7), []byte("old-mem"))) // in the memtable
	w, err := eng.NewSSTWriter("t")
	require.NoError(t, err)
	require.NoError(t, w.ClearRange(sstKey(5), sstKey(15)))
	for _, i := range []int{6, 8, 9} {
		require.NoError(t, w.PutRaw(sstKey(i), []byte("new")))
	}
	// Out of order is refused.
	require.Error(t, w.PutRaw(sstKey(2), []byte("x")))
	w.Abort()
	_, err = fs.Stat(w.Path())
	require.Error(t, err, "aborted table removed")

	w, err = eng.NewSSTWriter("t")
	require.NoError(t, err)
	for _, i := range []int{6, 8, 9} {
		require.NoError(t, w.PutRaw(sstKey(i), []byte("new")))
	}
	require.NoError(t, w.ClearRange(sstKey(5), sstKey(15))) // after the points is fine
	require.NoError(t, w.Finish())
	require.NoError(t, eng.IngestSSTs([]string{w.Path()}))
	_, err = fs.Stat(w.Path())
	require.Error(t, err, "ingestion removes its input")

	check := func(r Reader) {
		for i := 0; i < 20; i++ {
			want := "old"
			switch {
			case i == 6 || i == 8 || i == 9:
				want = "new"
			case i >= 5 && i < 15:
				want = "<absent>"
			}
			require.Equal(t, want, rawValue(t, r, sstKey(i)), "key %d", i)
		}
	}
	check(eng)
	// A later write wins over the ingested table.
	require.NoError(t, eng.PutRaw(sstKey(8), []byte("later")))
	require.Equal(t, "later", rawValue(t, eng, sstKey(8)))
	require.NoError(t, eng.PutRaw(sstKey(8), []byte("new")))
	require.NoError(t, eng.Close())

	// Durable across a reopen; a table staged but never ingested (a crash
	// before ingestion) changes nothing and its file is gone.
	eng, err = Open("db", WithFS(fs))
	require.NoError(t, err)
	check(eng)
	w, err = eng.NewSSTWriter("t")
	require.NoError(t, err)
	require.NoError(t, w.ClearRange(sstKey(0), sstKey(20)))
	require.NoError(t, w.Finish())
	require.NoError(t, eng.Close())
	eng, err = Open("db", WithFS(fs))
	require.NoError(t, err)
	defer eng.Close()
	check(eng)
	_, err = fs.Stat(w.Path())
	require.Error(t, err, "staged table cleared at open")
}

// Several tables ingest in one step; overlapping ones are refused and
// change nothing.
func TestIngestSSTsAtomicGroup(t *testing.T) {
	eng, err := Open("db", InMemory())
	require.NoError(t, err)
	defer eng.Close()
	mk := func(lo, hi int, v string) string {
		w, err := eng.NewSSTWriter("g")
		require.NoError(t, err)
		require.NoError(t, w.ClearRange(sstKey(lo), sstKey(hi)))
		for i := lo; i < hi; i += 2 {
			require.NoError(t, w.PutRaw(sstKey(i), []byte(v)))
		}
		require.NoError(t, w.Finish())
		return w.Path()
	}
	require.NoError(t, eng.PutRaw(sstKey(1), []byte("old")))
	a, b := mk(0, 10, "a"), mk(5, 15, "b")
	require.Error(t, eng.IngestSSTs([]string{a, b}))
	require.Equal(t, "old", rawValue(t, eng, sstKey(1)))
	require.Equal(t, "<absent>", rawValue(t, eng, sstKey(0)))
	RemoveSST(eng, a)
	RemoveSST(eng, b)
	require.NoError(t, eng.IngestSSTs([]string{mk(0, 10, "a"), mk(10, 20, "b")}))
	require.Equal(t, "<absent>", rawValue(t, eng, sstKey(1)))
	require.Equal(t, "a", rawValue(t, eng, sstKey(8)))
	require.Equal(t, "b", rawValue(t, eng, sstKey(12)))
}

// IngestSSTsExcising removes a span (memtable, flushed tables, versioned
// keys of its user keys, not those of its end key) and adds tables inside
// and outside it in one step; durable across a reopen; an iterator opened
// before the excise keeps its view.
func TestIngestSSTsExcising(t *testing.T) {
	fs := vfs.NewMem()
	eng, err := Open("db", WithFS(fs))
	require.NoError(t, err)
	ts := hlc.Timestamp{WallTime: 5}
	for i := 0; i < 20; i++ {
		require.NoError(t, eng.PutRaw(sstKey(i), []byte("old")))
	}
	require.NoError(t, PutEngineKey(eng, EncodeMVCCKey(nil, sstKey(10), ts), []byte("v-end")))
	require.NoError(t, PutEngineKey(eng, EncodeMVCCKey(nil, sstKey(9), ts), []byte("v-in")))
	require.NoError(t, eng.Flush())
	require.NoError(t, eng.PutRaw(sstKey(7), []byte("old-mem"))) // in the memtable
	before, err := NewEngineIterator(eng, sstKey(0), sstKey(20))
	require.NoError(t, err)

	in, err := eng.NewSSTWriter("x")
	require.NoError(t, err)
	require.NoError(t, in.PutRaw(sstKey(6), []byte("new")))
	require.NoError(t, in.Finish())
	out, err := eng.NewSSTWriter("x")
	require.NoError(t, err)
	require.NoError(t, out.ClearRange(sstKey(15), sstKey(17)))
	require.NoError(t, out.PutRaw(sstKey(18), []byte("new")))
	require.NoError(t, out.Finish())
	require.Error(t, eng.IngestSSTsExcising(nil, sstKey(5), sstKey(5)), "empty span")
	require.NoError(t, eng.IngestSSTsExcising([]string{in.Path(), out.Path()}, sstKey(5), sstKey(10)))

	check := func(r Reader) {
		for i := 0; i < 20; i++ {
			want := "old"
			switch {
			case i == 6 || i == 18:
				want = "new"
			case i >= 5 && i < 10, i == 15 || i == 16:
				want = "<absent>"
			}
			require.Equal(t, want, rawValue(t, r, sstKey(i)), "key %d", i)
		}
		it, err := NewEngineIterator(r, sstKey(9), sstKey(11))
		require.NoError(t, err)
		defer it.Close()
		var got []string
		for ok := it.First(); ok; ok = it.Next() {
			v, err := it.Value()
			require.NoError(t, err)
			got = append(got, string(v))
		}
		require.Equal(t, []string{"old", "v-end"}, got, "sstKey(9)@5 excised, sstKey(10) and its version kept")
	}
	check(eng)
	n := 0
	for ok := before.First(); ok; ok = before.Next() {
		n++
	}
	require.NoError(t, before.Close())
	require.Equal(t, 22, n, "an iterator opened before the excise keeps its view")
	require.NoError(t, eng.IngestSSTsExcising(nil, sstKey(19), sstKey(20)))
	require.Equal(t, "<absent>", rawValue(t, eng, sstKey(19)))
	require.NoError(t, eng.PutRaw(sstKey(19), []byte("old")))
	require.NoError(t, eng.Close())
	eng, err = Open("db", WithFS(fs))
	require.NoError(t, err)
	defer eng.Close()
	check(eng)
}

// BenchmarkSSTWriter writes b.N 4 KiB values (snapshot-like engine keys)
// into one table on disk and finishes (syncs) it: the receiver's cost of
// staging a snapshot.
func BenchmarkSSTWriter(b *testing.B) {
	eng, err := Open(b.TempDir())
	require.NoError(b, err)
	defer eng.Close()
	val := make([]byte, 4096)
	for i := range val {
		val[i] = byte('a' + i%26)
	}
	b.SetBytes(int64(len(val)))
	w, err := eng.NewSSTWriter("bench")
	require.NoError(b, err)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.PutRaw([]byte(fmt.Sprintf("\x04bench/%08d", i)), val); err != nil {
			b.Fatal(err)
		}
	}
	require.NoError(b, w.Finish())
	b.StopTimer()
	w.Abort()
}
