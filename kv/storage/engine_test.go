package storage

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/hlc"
)

func ts(w int64) hlc.Timestamp { return hlc.Timestamp{WallTime: w} }

func TestKeyOrdering(t *testing.T) {
	keys := [][]byte{
		EncodeRawKey(nil, []byte("a")),
		EncodeMVCCKey(nil, []byte("a"), hlc.Timestamp{WallTime: 9, Logical: 1}),
		EncodeMVCCKey(nil, []byte("a"), ts(9)),
		EncodeMVCCKey(nil, []byte("a"), ts(1)),
		EncodeRawKey(nil, []byte("a\x00")),
		EncodeMVCCKey(nil, []byte("a\x00"), ts(5)),
		EncodeMVCCKey(nil, []byte("a\x00\x00"), ts(5)),
		EncodeRawKey(nil, []byte("a\x01")),
		EncodeMVCCKey(nil, []byte("b"), ts(2)),
	}
	for i := range keys {
		for j := range keys {
			want := cmpInt(i, j)
			require.Equal(t, want, EngineComparer.Compare(keys[i], keys[j]), "%s vs %s", FormatEngineKey(keys[i]), FormatEngineKey(keys[j]))
		}
		uk, _, err := DecodeEngineKey(keys[i])
		require.NoError(t, err)
		require.Equal(t, len(uk)+1, splitKey(keys[i]))
	}
}

func TestEngineRawBatchSnapshot(t *testing.T) {
	e, err := Open("", InMemory())
	require.NoError(t, err)
	defer e.Close()

	require.NoError(t, e.PutRaw([]byte("\x01r1/log/1"), []byte("one")))
	v, ok, err := e.GetRaw([]byte("\x01r1/log/1"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "one", string(v))

	snap := e.NewSnapshot()
	defer snap.Close()

	b := e.NewBatch()
	require.NoError(t, b.PutRaw([]byte("\x01r1/log/2"), []byte("two")))
	require.NoError(t, b.DeleteRaw([]byte("\x01r1/log/1")))
	require.NoError(t, MVCCPut(b, []byte("k"), ts(5), []byte("v5"), MVCCWriteOptions{}))
	// The batch reads its own writes.
	_, ok, err = b.GetRaw([]byte("\x01r1/log/1"))
	require.NoError(t, err)
	require.False(t, ok)
	repr := append([]byte(nil), b.Repr()...)
	require.NoError(t, b.Close())

	// Ship the batch to another engine.
	e2, err := Open("", InMemory())
	require.NoError(t, err)
	defer e2.Close()
	require.NoError(t, e2.PutRaw([]byte("\x01r1/log/1"), []byte("one")))
	require.NoError(t, e2.ApplyBatchRepr(repr, true))
	require.NoError(t, e.ApplyBatchRepr(repr, false))
	for _, eng := range []Engine{e, e2} {
		it, err := eng.NewRawIterator([]byte("\x01r1/"), []byte("\x01r2"))
		require.NoError(t, err)
		var got []string
		for valid := it.First(); valid; valid = it.Next() {
			got = append(got, string(it.Key())+"="+string(it.Value()))
		}
		require.NoError(t, it.Close())
		require.Equal(t, []string{"\x01r1/log/2=two"}, got)
		mv, ok, err := MVCCGet(eng, []byte("k"), ts(6), MVCCReadOptions{})
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, MVCCValue{Value: []byte("v5"), Timestamp: ts(5)}, mv)
	}
	// The snapshot still sees the old state.
	v, ok, err = snap.GetRaw([]byte("\x01r1/log/1"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "one", string(v))
	_, ok, err = MVCCGet(snap, []byte("k"), ts(6), MVCCReadOptions{})
	require.NoError(t, err)
	require.False(t, ok)

	require.ErrorIs(t, e.ApplyBatchRepr([]byte("garbage"), false), ErrInvalidBatch)
	require.NoError(t, e.ClearRange([]byte("\x01r1/"), []byte("\x01r2")))
	_, ok, err = e.GetRaw([]byte("\x01r1/log/2"))
	require.NoError(t, err)
	require.False(t, ok)
}

// TestEngineIteratorCopy copies a span (data and lock table) from one
// engine to another byte for byte and checks that MVCC reads and stats
// agree.
func TestEngineIteratorCopy(t *testing.T) {
	src, err := Open("", InMemory())
	require.NoError(t, err)
	defer src.Close()
	dst, err := Open("", InMemory())
	require.NoError(t, err)
	defer dst.Close()

	var ms MVCCStats
	b := src.NewBatch()
	txn := &TxnMeta{ID: TxnID{7}, WriteTimestamp: ts(9)}
	require.NoError(t, MVCCPut(b, []byte("a"), ts(1), []byte("a1"), MVCCWriteOptions{Stats: &ms}))
	require.NoError(t, MVCCPut(b, []byte("a"), ts(3), []byte("a3"), MVCCWriteOptions{Stats: &ms}))
	require.NoError(t, MVCCPut(b, []byte("b"), ts(9), []byte("b9"), MVCCWriteOptions{Txn: txn, Stats: &ms}))
	require.NoError(t, MVCCPut(b, []byte("z"), ts(1), []byte("out of span"), MVCCWriteOptions{}))
	require.NoError(t, b.Commit(false))
	require.NoError(t, b.Close())

	out := dst.NewBatch()
	for _, span := range [][2][]byte{{[]byte("a"), []byte("c")}, {LockTableKey([]byte("a")), LockTableKey([]byte("c"))}} {
		it, err := NewEngineIterator(src, span[0], span[1])
		require.NoError(t, err)
		for valid := it.First(); valid; valid = it.Next() {
			v, err := it.Value()
			require.NoError(t, err)
			require.NoError(t, PutEngineKey(out, it.EngineKey(), v))
		}
		require.NoError(t, it.Close())
	}
	require.NoError(t, out.Commit(true))
	require.NoError(t, out.Close())

	got, err := ComputeStats(dst, []byte("a"), []byte("c"))
	require.NoError(t, err)
	require.Equal(t, ms, got)
	v, ok, err := MVCCGet(dst, []byte("a"), ts(5), MVCCReadOptions{})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "a3", string(v.Value))
	_, _, err = MVCCGet(dst, []byte("b"), ts(10), MVCCReadOptions{})
	require.ErrorIs(t, err, ErrLockConflict)
	_, ok, err = MVCCGet(dst, []byte("z"), ts(5), MVCCReadOptions{})
	require.NoError(t, err)
	require.False(t, ok)

	require.NoError(t, ClearMVCCRange(dst, []byte("a"), []byte("c")))
	got, err = ComputeStats(dst, []byte("a"), []byte("c"))
	require.NoError(t, err)
	require.Equal(t, MVCCStats{}, got)
	require.ErrorIs(t, PutEngineKey(dst, []byte("bad\x07"), nil), ErrCorruptKey)
}

// TestPooledIteratorsSeeWrites: point reads on an Engine reuse iterators
// while nothing was written; every kind of write must make the next read
// see it.
func TestPooledIteratorsSeeWrites(t *testing.T) {
	e, err := Open("", InMemory())
	require.NoError(t, err)
	defer e.Close()
	k := []byte("k")
	read := func() string {
		v, ok, err := MVCCGet(e, k, ts(1<<40), MVCCReadOptions{})
		require.NoError(t, err)
		if !ok {
			return "<none>"
		}
		return string(v.Value)
	}
	for i := 1; i <= 300; i++ {
		want := strconv.Itoa(i)
		switch i % 3 {
		case 0: // batch commit
			b := e.NewBatch()
			require.NoError(t, MVCCPut(b, k, ts(int64(i)), []byte(want), MVCCWriteOptions{}))
			require.NoError(t, b.Commit(false))
			require.NoError(t, b.Close())
		case 1: // directly on the engine
			require.NoError(t, MVCCPut(e, k, ts(int64(i)), []byte(want), MVCCWriteOptions{}))
		case 2: // a shipped representation
			b := e.NewBatch()
			require.NoError(t, MVCCPut(b, k, ts(int64(i)), []byte(want), MVCCWriteOptions{}))
			repr := append([]byte(nil), b.Repr()...)
			require.NoError(t, b.Close())
			require.NoError(t, e.ApplyBatchRepr(repr, false))
		}
		require.Equal(t, want, read())
		require.Equal(t, want, read()) // from the pool
	}
	require.NoError(t, e.ClearRange([]byte("a"), []byte("z")))
	require.Equal(t, "<none>", read())
}

func TestBatchApplyBatchRepr(t *testing.T) {
	eng, err := Open("", InMemory())
	require.NoError(t, err)
	defer eng.Close()
	src := eng.NewBatch()
	defer src.Close()
	require.NoError(t, src.PutRaw([]byte("a"), []byte("1")))
	dst := eng.NewBatch()
	defer dst.Close()
	require.NoError(t, dst.PutRaw([]byte("b"), []byte("2")))
	require.NoError(t, dst.ApplyBatchRepr(src.Repr()))
	require.Error(t, dst.ApplyBatchRepr([]byte("garbage")))
	require.NoError(t, dst.Commit(false))
	for _, k := range []string{"a", "b"} {
		_, ok, err := eng.GetRaw([]byte(k))
		require.NoError(t, err)
		require.True(t, ok, k)
	}
}
