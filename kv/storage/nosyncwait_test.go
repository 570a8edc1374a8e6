package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// TestCommitNoSyncWaitOrder: a batch committed with CommitNoSyncWait is
// visible at once, and a crash image never keeps a batch committed after
// it (even without sync) while losing it: the WAL order the raft cycle
// relies on to apply entries before their fsync (ranges/doc.go,
// "Durability"). Batches whose SyncWait returned survive every crash.
func TestCommitNoSyncWaitOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lost, keptUnsynced := 0, 0 // the crash images must exercise both
	for round := 0; round < 4; round++ {
		fs := vfs.NewCrashableMem()
		eng, err := Open("/db", WithFS(fs))
		require.NoError(t, err)
		appendKey := func(i int) []byte { return []byte(fmt.Sprintf("\x01append/%05d", i)) }
		applyKey := func(i int) []byte { return []byte(fmt.Sprintf("\x01apply/%05d", i)) }
		const n = 300
		var pending []Batch
		synced := -1
		for i := 0; i < n; i++ {
			a := eng.NewBatch()
			require.NoError(t, a.PutRaw(appendKey(i), []byte("x")))
			require.NoError(t, a.CommitNoSyncWait())
			_, ok, err := eng.GetRaw(appendKey(i))
			require.NoError(t, err)
			require.True(t, ok, "batch %d not visible after CommitNoSyncWait", i)
			pending = append(pending, a)
			b := eng.NewBatch()
			require.NoError(t, b.PutRaw(applyKey(i), []byte("y")))
			require.NoError(t, b.Commit(false))
			require.NoError(t, b.Close())
			if i%7 == 6 {
				for _, p := range pending {
					require.NoError(t, p.SyncWait())
					require.NoError(t, p.Close())
				}
				pending = pending[:0]
				synced = i
			}
		}
		img := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: rng})
		for _, p := range pending {
			require.NoError(t, p.SyncWait())
			require.NoError(t, p.Close())
		}
		require.NoError(t, eng.Close())
		eng2, err := Open("/db", WithFS(img))
		require.NoError(t, err)
		for i := 0; i < n; i++ {
			_, hasAppend, err := eng2.GetRaw(appendKey(i))
			require.NoError(t, err)
			_, hasApply, err := eng2.GetRaw(applyKey(i))
			require.NoError(t, err)
			if i <= synced {
				require.True(t, hasAppend, "round %d: synced batch %d lost", round, i)
			} else if hasAppend {
				keptUnsynced++
			} else {
				lost++
			}
			if hasApply {
				require.True(t, hasAppend, "round %d: batch %d's later batch survived without it", round, i)
			}
		}
		require.NoError(t, eng2.Close())
	}
	require.Positive(t, lost, "no crash image lost an unsynced batch")
	require.Positive(t, keptUnsynced, "no crash image kept an unsynced batch")
}
