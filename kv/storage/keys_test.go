package storage

import (
	"bytes"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/hlc"
)

// TestComparerRandomized checks the comparer against the intended order
// (user key bytewise, then raw first, then newest first) on random keys
// made of the bytes that matter (0x00 sentinel, 0x0d length tag), and the
// Pebble Split contract.
func TestComparerRandomized(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed: %d", seed)
	rng := rand.New(rand.NewSource(seed))
	alphabet := []byte{0x00, 0x01, 0x0d, 'a', 0xff}
	randKey := func() ([]byte, hlc.Timestamp) {
		k := make([]byte, 1+rng.Intn(16))
		for i := range k {
			k[i] = alphabet[rng.Intn(len(alphabet))]
		}
		var ts hlc.Timestamp
		if rng.Intn(4) > 0 {
			ts = hlc.Timestamp{WallTime: rng.Int63n(5), Logical: rng.Int31n(3)}
		}
		return k, ts
	}
	want := func(ak []byte, ats hlc.Timestamp, bk []byte, bts hlc.Timestamp) int {
		if c := bytes.Compare(ak, bk); c != 0 {
			return c
		}
		switch {
		case ats == bts:
			return 0
		case ats.IsEmpty():
			return -1
		case bts.IsEmpty():
			return 1
		}
		return bts.Compare(ats) // newest first
	}
	for i := 0; i < 20000; i++ {
		ak, ats := randKey()
		bk, bts := randKey()
		a, b := EncodeMVCCKey(nil, ak, ats), EncodeMVCCKey(nil, bk, bts)
		require.Equal(t, want(ak, ats, bk, bts), EngineComparer.Compare(a, b), "%q@%s vs %q@%s", ak, ats, bk, bts)
		// Round trip.
		uk, ts, err := DecodeEngineKey(a)
		require.NoError(t, err)
		require.Equal(t, ak, uk)
		require.Equal(t, ats, ts)
		// Split: the prefix alone sorts first among its keys and orders
		// like the key.
		p := a[:EngineComparer.Split(a)]
		require.Equal(t, len(p), EngineComparer.Split(p))
		require.LessOrEqual(t, EngineComparer.Compare(p, a), 0)
		if c := EngineComparer.Compare(p, b[:EngineComparer.Split(b)]); c != 0 {
			require.Equal(t, c, EngineComparer.Compare(a, b))
		}
		// AbbreviatedKey is consistent with Compare.
		if aa, ab := EngineComparer.AbbreviatedKey(a), EngineComparer.AbbreviatedKey(b); aa < ab {
			require.Negative(t, EngineComparer.Compare(a, b))
		} else if aa > ab {
			require.Positive(t, EngineComparer.Compare(a, b))
		}
	}
	// Malformed keys never panic.
	for i := 0; i < 2000; i++ {
		k := make([]byte, rng.Intn(20))
		rng.Read(k)
		_ = EngineComparer.Split(k)
		_ = EngineComparer.Compare(k, EncodeRawKey(nil, []byte("a")))
		_, _, _ = DecodeEngineKey(k)
	}
}

// TestConcurrentEngineUse runs writers (each with its own batches and keys)
// and readers on one engine at once; run with -race. The summed stats must
// equal a recomputation.
func TestConcurrentEngineUse(t *testing.T) {
	e, err := Open("", InMemory())
	require.NoError(t, err)
	defer e.Close()
	const writers, perWriter = 4, 200
	stats := make([]MVCCStats, writers)
	var wg sync.WaitGroup
	errs := make(chan error, writers*2)
	for w := 0; w < writers; w++ {
		wg.Add(2)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				b := e.NewBatch()
				key := []byte{'k', byte(w), byte(i % 50)}
				err := MVCCPut(b, key, hlc.Timestamp{WallTime: int64(i + 1)}, []byte("v"), MVCCWriteOptions{Stats: &stats[w]})
				if err == nil {
					err = b.Commit(i%20 == 0)
				}
				b.Close()
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
		go func(w int) {
			defer wg.Done()
			snap := e.NewSnapshot()
			defer snap.Close()
			for i := 0; i < perWriter; i++ {
				if _, _, err := MVCCGet(e, []byte{'k', byte(w), byte(i % 50)}, hlc.Timestamp{WallTime: 1000}, MVCCReadOptions{}); err != nil {
					errs <- err
					return
				}
				if _, err := MVCCScan(snap, []byte{'k'}, []byte{'l'}, hlc.Timestamp{WallTime: 1000}, MVCCScanOptions{MaxKeys: 10}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var total MVCCStats
	for _, s := range stats {
		total.Add(s)
	}
	got, err := ComputeStats(e, []byte{'k'}, []byte{'l'})
	require.NoError(t, err)
	require.Equal(t, got, total)
	require.EqualValues(t, writers*50, got.KeyCount)
	require.EqualValues(t, writers*perWriter, got.ValCount)
}
