package servertest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/server"
	"github.com/tesseradb/tessera/server/servertest"
)

// TestMergeWithReplicaDown: a merge while a node holding replicas of both
// ranges is down does not freeze the right range (a frozen range refuses
// every request until all its replicas apply the freeze, and the down one
// never does): writes to the right range keep committing while the merge
// is refused, and once the node is back the merge succeeds. Before, the
// merge froze the right range and waited for the down replica until its
// deadline, stalling every transaction there (driver merges under the
// bank load: a minute each).
func TestMergeWithReplicaDown(t *testing.T) {
	c := servertest.Start(t, servertest.Config{Nodes: 3, Knobs: server.Knobs{DisablePlacementDriver: true}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, c.Split(ctx, []byte("md/b")))
	db := c.DB(kvclient.Config{})
	require.NoError(t, db.Put(ctx, []byte("md/a"), []byte("1")))
	require.NoError(t, db.Put(ctx, []byte("md/c"), []byte("1")))
	// Every node holds a replica of both ranges (3 voters on 3 nodes).
	c.WaitFor(30*time.Second, "3 replicas of the right range", func() error {
		rs, err := c.Ranges(ctx, 0)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if string(r.GetDesc().GetStartKey()) == "md/b" && len(r.GetDesc().GetReplicas()) == 3 {
				return nil
			}
		}
		return context.DeadlineExceeded
	})
	c.StopNode(2)

	mctx, mcancel := context.WithTimeout(ctx, 9*time.Second)
	defer mcancel()
	merged := make(chan error, 1)
	go func() { merged <- c.Merge(mctx, []byte("md/b")) }()
	// Writes to the right range commit while the merge is being refused.
	var last byte
	var mergeErr error
	for done := false; !done; {
		select {
		case mergeErr = <-merged:
			done = true
		default:
		}
		last++
		pctx, pcancel := context.WithTimeout(ctx, 6*time.Second)
		err := db.Put(pctx, []byte("md/c"), []byte{last})
		pcancel()
		require.NoError(t, err, "write %d to the right range during the merge", last)
	}
	require.Error(t, mergeErr, "a merge with a replica down")

	c.StartNode(2)
	require.NoError(t, c.Merge(ctx, []byte("md/b")))
	rs, err := c.Ranges(ctx, 0)
	require.NoError(t, err)
	for _, r := range rs {
		require.NotEqual(t, "md/b", string(r.GetDesc().GetStartKey()), "merged away")
	}
	v, found, err := db.Get(ctx, []byte("md/c"))
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, []byte{last}, v)
}
