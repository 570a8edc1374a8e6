package storage

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSSTWriterOnDisk: on a real filesystem a table is written with
// O_DIRECT on Linux (sst_direct_linux.go): a table whose size is not a
// multiple of the direct-write buffer or of its alignment, empty tables
// and one-key tables all ingest and read back, before and after a
// reopen.
func TestSSTWriterOnDisk(t *testing.T) {
	dir := t.TempDir()
	eng, err := Open(dir)
	require.NoError(t, err)
	probe, err := eng.(*pebbleEngine).newSSTWritable(dir + "/probe.sst")
	require.NoError(t, err)
	_, direct := probe.(*directWritable)
	probe.Abort()
	require.True(t, direct, "tables on %s are not written with O_DIRECT", dir)
	val := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, 1000+i%77) }
	const n = 3000 // ~3.1 MiB: several direct writes and an unaligned tail
	w, err := eng.NewSSTWriter("disk")
	require.NoError(t, err)
	for i := 0; i < n; i++ {
		require.NoError(t, w.PutRaw(sstKey(i), val(i)))
	}
	require.NoError(t, w.Finish())
	fi, err := os.Stat(w.Path())
	require.NoError(t, err)
	require.NotZero(t, fi.Size()%directAlign, "the test wants an unaligned table size")
	one, err := eng.NewSSTWriter("one")
	require.NoError(t, err)
	require.NoError(t, one.PutRaw([]byte("\x01zz"), []byte("last")))
	require.NoError(t, one.Finish())
	require.NoError(t, eng.IngestSSTs([]string{w.Path(), one.Path()}))
	check := func(r Reader) {
		for i := 0; i < n; i++ {
			v, ok, err := r.GetRaw(sstKey(i))
			require.NoError(t, err)
			require.True(t, ok && bytes.Equal(v, val(i)), "key %d", i)
		}
		require.Equal(t, "last", rawValue(t, r, []byte("\x01zz")))
	}
	check(eng)
	empty, err := eng.NewSSTWriter("empty")
	require.NoError(t, err)
	require.NoError(t, empty.ClearRange(sstKey(0), sstKey(10)))
	require.NoError(t, empty.Finish())
	require.NoError(t, eng.IngestSSTs([]string{empty.Path()}))
	require.Equal(t, "<absent>", rawValue(t, eng, sstKey(3)))
	require.NoError(t, eng.Close())

	eng, err = Open(dir)
	require.NoError(t, err)
	defer eng.Close()
	require.Equal(t, "<absent>", rawValue(t, eng, sstKey(3)))
	v, ok, err := eng.GetRaw(sstKey(10))
	require.NoError(t, err)
	require.True(t, ok && bytes.Equal(v, val(10)))
	require.Equal(t, "last", rawValue(t, eng, []byte("\x01zz")))
}
