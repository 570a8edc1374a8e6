package storage

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func scanKeys(t *testing.T, r Reader, start, end string, at int64, opts MVCCScanOptions) []string {
	t.Helper()
	res, err := MVCCScan(r, []byte(start), []byte(end), ts(at), opts)
	require.NoError(t, err)
	var out []string
	for _, kv := range res.KVs {
		out = append(out, string(kv.Key)+"="+string(kv.Value.Value))
	}
	return out
}

// Scans use unfiltered iterators (pooled on an Engine) and must step over
// raw keys in the data span themselves, in both directions.
func TestScanSkipsRawKeys(t *testing.T) {
	e, err := Open("", InMemory())
	require.NoError(t, err)
	defer e.Close()
	require.NoError(t, MVCCPut(e, []byte("a"), ts(1), []byte("a1"), MVCCWriteOptions{}))
	require.NoError(t, MVCCPut(e, []byte("b"), ts(2), []byte("b2"), MVCCWriteOptions{}))
	require.NoError(t, MVCCPut(e, []byte("b"), ts(3), []byte("b3"), MVCCWriteOptions{}))
	require.NoError(t, MVCCPut(e, []byte("d"), ts(1), []byte("d1"), MVCCWriteOptions{}))
	for _, k := range []string{"a", "b", "c", "d", "e", "\x01zq"} {
		require.NoError(t, e.PutRaw([]byte(k), []byte("raw-"+k)))
	}
	snap := e.NewSnapshot()
	defer snap.Close()
	b := e.NewBatch()
	defer b.Close()
	for name, r := range map[string]Reader{"engine": e, "snapshot": snap, "batch": b} {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < 3; i++ { // again with pooled iterators
				require.Equal(t, []string{"a=a1", "b=b3", "d=d1"}, scanKeys(t, r, "a", "f", 10, MVCCScanOptions{}))
				require.Equal(t, []string{"d=d1", "b=b3", "a=a1"}, scanKeys(t, r, "a", "f", 10, MVCCScanOptions{Reverse: true}))
				require.Equal(t, []string{"b=b2"}, scanKeys(t, r, "b", "d", 2, MVCCScanOptions{}))
				require.Equal(t, []string{"d=d1"}, scanKeys(t, r, "c", "z", 10, MVCCScanOptions{MaxKeys: 1, Reverse: true}))
				// A pooled iterator that a scan bounded is unbounded again.
				v, ok, err := MVCCGet(r, []byte("a"), ts(10), MVCCReadOptions{})
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, "a1", string(v.Value))
			}
		})
	}
}

// An Engine scan observes every write that completed before it started,
// with pooled iterators handed out between writes and concurrent readers.
func TestScanSeesCompletedWrites(t *testing.T) {
	e, err := Open("", InMemory())
	require.NoError(t, err)
	defer e.Close()
	const n = 200
	var written atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for written.Load() < n {
				before := written.Load()
				res, err := MVCCScan(e, []byte("k"), []byte("l"), ts(n+1), MVCCScanOptions{})
				if err != nil {
					errs <- err
					return
				}
				if int64(len(res.KVs)) < before {
					errs <- fmt.Errorf("scan saw %d keys, %d were written before it", len(res.KVs), before)
					return
				}
				if before > 0 {
					k := fmt.Sprintf("k%04d", before-1)
					if _, ok, err := MVCCGet(e, []byte(k), ts(n+1), MVCCReadOptions{}); err != nil || !ok {
						errs <- fmt.Errorf("get %s: ok=%v err=%v", k, ok, err)
						return
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		require.NoError(t, MVCCPut(e, []byte(fmt.Sprintf("k%04d", i)), ts(int64(i+1)), []byte("v"), MVCCWriteOptions{}))
		written.Add(1)
		// A scan right after the write, on this goroutine.
		res, err := MVCCScan(e, []byte("k"), []byte("l"), ts(n+1), MVCCScanOptions{})
		require.NoError(t, err)
		require.Len(t, res.KVs, i+1)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
