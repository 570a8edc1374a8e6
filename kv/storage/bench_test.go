package storage

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/hlc"
)

// Raw Pebble (default comparer, same cache and bloom filters) side by side
// with the MVCC layer. Results and the command are in docs/benchmarks.md.

const (
	benchBatch   = 100
	benchKeys    = 10000
	benchValSize = 64
	benchScanLen = 100
)

// benchKey returns "user/%08d" without fmt, so that key formatting does not
// dominate the cheapest rows.
func benchKey(i int) []byte {
	k := []byte("user/00000000")
	for j := len(k) - 1; j >= 5 && i > 0; j-- {
		k[j] = byte('0' + i%10)
		i /= 10
	}
	return k
}

func openRawPebble(b *testing.B) *pebble.DB {
	o := &pebble.Options{CacheSize: 64 << 20, FormatMajorVersion: pebble.FormatNewest, Logger: quietLogger{}}
	for i := range o.Levels {
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	o.EnsureDefaults()
	db, err := pebble.Open(b.TempDir(), o)
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	return db
}

func openBenchEngine(b *testing.B) Engine {
	e, err := Open(b.TempDir())
	require.NoError(b, err)
	b.Cleanup(func() { e.Close() })
	return e
}

func BenchmarkPut(b *testing.B) {
	val := make([]byte, benchValSize)
	b.Run("raw=pebble-set", func(b *testing.B) {
		db := openRawPebble(b)
		b.SetBytes(benchValSize)
		b.ResetTimer()
		batch := db.NewBatch()
		for i := 0; i < b.N; i++ {
			if err := batch.Set(benchKey(i), val, nil); err != nil {
				b.Fatal(err)
			}
			if (i+1)%benchBatch == 0 || i == b.N-1 {
				if err := batch.Commit(pebble.NoSync); err != nil {
					b.Fatal(err)
				}
				batch.Close()
				batch = db.NewBatch()
			}
		}
		batch.Close()
	})
	// Not a goal row: what any read-before-write costs on raw Pebble (one
	// Get, then a Set), for context next to MVCCPut, which must read the
	// lock table and the newest version before it writes.
	b.Run("raw=pebble-get-then-set", func(b *testing.B) {
		db := openRawPebble(b)
		b.SetBytes(benchValSize)
		b.ResetTimer()
		batch := db.NewBatch()
		for i := 0; i < b.N; i++ {
			k := benchKey(i)
			if _, closer, err := db.Get(k); err == nil {
				closer.Close()
			}
			if err := batch.Set(k, val, nil); err != nil {
				b.Fatal(err)
			}
			if (i+1)%benchBatch == 0 || i == b.N-1 {
				if err := batch.Commit(pebble.NoSync); err != nil {
					b.Fatal(err)
				}
				batch.Close()
				batch = db.NewBatch()
			}
		}
		batch.Close()
	})
	b.Run("mvcc=put", func(b *testing.B) {
		e := openBenchEngine(b)
		var ms MVCCStats
		b.SetBytes(benchValSize)
		b.ResetTimer()
		batch := e.NewBatch()
		for i := 0; i < b.N; i++ {
			ts := hlc.Timestamp{WallTime: int64(i + 1)}
			if err := MVCCPut(batch, benchKey(i), ts, val, MVCCWriteOptions{Stats: &ms}); err != nil {
				b.Fatal(err)
			}
			if (i+1)%benchBatch == 0 || i == b.N-1 {
				if err := batch.Commit(false); err != nil {
					b.Fatal(err)
				}
				batch.Close()
				batch = e.NewBatch()
			}
		}
		batch.Close()
	})
}

// BenchmarkPutOverwrite: MVCCPut of a new version of existing keys, which
// (unlike an insert) must also look in the lock table. Context row.
func BenchmarkPutOverwrite(b *testing.B) {
	e := openBenchEngine(b)
	loadMVCC(b, e, 2)
	val := make([]byte, benchValSize)
	var ms MVCCStats
	b.SetBytes(benchValSize)
	b.ResetTimer()
	batch := e.NewBatch()
	for i := 0; i < b.N; i++ {
		ts := hlc.Timestamp{WallTime: int64(10 + i)}
		if err := MVCCPut(batch, benchKey(i%benchKeys), ts, val, MVCCWriteOptions{Stats: &ms}); err != nil {
			b.Fatal(err)
		}
		if (i+1)%benchBatch == 0 || i == b.N-1 {
			if err := batch.Commit(false); err != nil {
				b.Fatal(err)
			}
			batch.Close()
			batch = e.NewBatch()
		}
	}
	batch.Close()
}

// loadRaw / loadMVCC write benchKeys keys, flush and compact them so that
// reads go through sstables and bloom filters.
func loadRaw(b *testing.B, db *pebble.DB) {
	val := make([]byte, benchValSize)
	batch := db.NewBatch()
	for i := 0; i < benchKeys; i++ {
		require.NoError(b, batch.Set(benchKey(i), val, nil))
	}
	require.NoError(b, batch.Commit(pebble.NoSync))
	require.NoError(b, db.Flush())
	// One fully compacted LSM for both sides, so the shape does not vary.
	require.NoError(b, db.Compact(context.Background(), []byte{0}, []byte{0xff}, false))
}

func loadMVCC(b *testing.B, e Engine, versions int) {
	val := make([]byte, benchValSize)
	for v := 1; v <= versions; v++ {
		batch := e.NewBatch()
		for i := 0; i < benchKeys; i++ {
			require.NoError(b, MVCCPut(batch, benchKey(i), hlc.Timestamp{WallTime: int64(v)}, val, MVCCWriteOptions{}))
		}
		require.NoError(b, batch.Commit(false))
		require.NoError(b, batch.Close())
	}
	require.NoError(b, e.Flush())
	db := e.(*pebbleEngine).db
	require.NoError(b, db.Compact(context.Background(), EncodeRawKey(nil, []byte{0}), EncodeRawKey(nil, []byte{0xff}), false))
}

func BenchmarkGet(b *testing.B) {
	b.Run("raw=pebble-get", func(b *testing.B) {
		db := openRawPebble(b)
		loadRaw(b, db)
		rng := rand.New(rand.NewSource(1))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			v, closer, err := db.Get(benchKey(rng.Intn(benchKeys)))
			if err != nil || len(v) != benchValSize {
				b.Fatal(err)
			}
			closer.Close()
		}
	})
	for _, versions := range []int{1, 2} {
		b.Run(fmt.Sprintf("mvcc=get/versions=%d", versions), func(b *testing.B) {
			benchMVCCGet(b, versions, false)
		})
	}
	// All data in one L6 table, with and without the L6 filters that
	// point reads consult (pointIterOptions): every Get's lock-table seek
	// misses.
	for _, filters := range []bool{true, false} {
		b.Run(fmt.Sprintf("mvcc=get/l6/filters=%t", filters), func(b *testing.B) {
			defer func(old bool) { pointIterOptions.UseL6Filters = old }(pointIterOptions.UseL6Filters)
			pointIterOptions.UseL6Filters = filters
			benchMVCCGet(b, 1, true)
		})
	}
}

func benchMVCCGet(b *testing.B, versions int, compact bool) {
	{
		e := openBenchEngine(b)
		loadMVCC(b, e, versions)
		if compact {
			pe := e.(*pebbleEngine)
			require.NoError(b, pe.db.Flush())
			require.NoError(b, pe.db.Compact(context.Background(), []byte{0}, []byte{0xff, 0xff}, true))
		}
		rng := rand.New(rand.NewSource(1))
		ts := hlc.Timestamp{WallTime: 10}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			v, ok, err := MVCCGet(e, benchKey(rng.Intn(benchKeys)), ts, MVCCReadOptions{})
			if err != nil || !ok || len(v.Value) != benchValSize {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkScan100(b *testing.B) {
	b.Run("raw=pebble-iter", func(b *testing.B) {
		db := openRawPebble(b)
		loadRaw(b, db)
		rng := rand.New(rand.NewSource(1))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			it, err := db.NewIter(nil)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			var rows [][]byte
			for valid := it.SeekGE(benchKey(rng.Intn(benchKeys - benchScanLen))); valid && n < benchScanLen; valid = it.Next() {
				rows = append(rows, append([]byte(nil), it.Value()...))
				n++
			}
			it.Close()
			if n != benchScanLen || len(rows) != n {
				b.Fatal(n)
			}
		}
	})
	for _, versions := range []int{1, 2} {
		b.Run(fmt.Sprintf("mvcc=scan/versions=%d", versions), func(b *testing.B) {
			benchMVCCScan(b, versions)
		})
	}
}

func benchMVCCScan(b *testing.B, versions int) {
	{
		e := openBenchEngine(b)
		loadMVCC(b, e, versions)
		rng := rand.New(rand.NewSource(1))
		ts := hlc.Timestamp{WallTime: 10}
		end := []byte("user0")
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			res, err := MVCCScan(e, benchKey(rng.Intn(benchKeys-benchScanLen)), end, ts, MVCCScanOptions{MaxKeys: benchScanLen})
			if err != nil || len(res.KVs) != benchScanLen {
				b.Fatal(err)
			}
		}
	}
}
