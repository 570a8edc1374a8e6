package storage

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// Point reads consult the bloom filters of L6 sstables (pointIterOptions):
// the lock-table seek of a key without an intent is answered by the
// filter, while values and intents that live in L6 are still found, and a
// pooled iterator still sees writes made after the compaction.
func TestPointReadsUseL6Filters(t *testing.T) {
	dir := t.TempDir()
	eng, err := Open(dir)
	require.NoError(t, err)
	defer eng.Close()
	e := eng.(*pebbleEngine)
	const n = 200
	key := func(i int) []byte { return []byte(fmt.Sprintf("k%04d", i)) }
	for i := 0; i < n; i++ {
		require.NoError(t, MVCCPut(e, key(i), ts(1), []byte(fmt.Sprintf("v%d", i)), MVCCWriteOptions{}))
	}
	txn := &TxnMeta{ID: TxnID{7}, WriteTimestamp: ts(2), Key: key(3)}
	require.NoError(t, MVCCPut(e, key(3), ts(2), []byte("provisional"), MVCCWriteOptions{Txn: txn}))
	require.NoError(t, e.db.Flush())
	require.NoError(t, e.db.Compact(t.Context(), []byte{0}, []byte{0xff, 0xff}, true))
	m := e.db.Metrics()
	for l := 0; l < 6; l++ {
		require.Zero(t, m.Levels[l].TablesCount, "level %d", l)
	}
	require.NotZero(t, m.Levels[6].TablesCount)

	hits := e.db.Metrics().Filter.Hits
	for i := 0; i < n; i++ {
		v, ok, err := MVCCGet(e, key(i), ts(5), MVCCReadOptions{})
		if i == 3 {
			var lc *LockConflictError
			require.True(t, errors.As(err, &lc), "intent in L6 not seen: %v", err)
			continue
		}
		require.NoError(t, err)
		require.True(t, ok, "key %d", i)
		require.Equal(t, fmt.Sprintf("v%d", i), string(v.Value))
	}
	_, ok, err := MVCCGet(e, []byte("absent"), ts(5), MVCCReadOptions{})
	require.NoError(t, err)
	require.False(t, ok)
	// n-1 lock-table seeks (and the absent key's two) rejected by a filter;
	// allow a few false positives.
	require.Greater(t, e.db.Metrics().Filter.Hits-hits, int64(n-10))

	// Writes after the compaction (memtable) over the pooled iterators.
	require.NoError(t, MVCCPut(e, key(5), ts(6), []byte("new"), MVCCWriteOptions{}))
	require.NoError(t, MVCCPut(e, []byte("absent"), ts(6), []byte("now"), MVCCWriteOptions{}))
	v, ok, err := MVCCGet(e, key(5), ts(7), MVCCReadOptions{})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "new", string(v.Value))
	v, ok, err = MVCCGet(e, []byte("absent"), ts(7), MVCCReadOptions{})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "now", string(v.Value))
	txn2 := &TxnMeta{ID: TxnID{8}, WriteTimestamp: ts(8), Key: key(9)}
	require.NoError(t, MVCCPut(e, key(9), ts(8), []byte("p2"), MVCCWriteOptions{Txn: txn2}))
	_, _, err = MVCCGet(e, key(9), ts(9), MVCCReadOptions{})
	var lc *LockConflictError
	require.True(t, errors.As(err, &lc), "new intent not seen: %v", err)
}
