package txntest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/server"
	"github.com/tesseradb/tessera/server/servertest"
)

// startCluster starts 3 nodes and splits the key space at every key of
// splits.
func startCluster(t *testing.T, splits ...string) *servertest.Cluster {
	return startClusterB(t, splits...)
}

func startClusterB(t testing.TB, splits ...string) *servertest.Cluster {
	t.Helper()
	// The tests split ranges themselves; the placement driver would merge
	// the small ranges back meanwhile, so it is off here
	// (TestBankPlacementDriver runs with it).
	return startClusterK(t, server.Knobs{DisablePlacementDriver: true}, splits...)
}

func startClusterK(t testing.TB, knobs server.Knobs, splits ...string) *servertest.Cluster {
	t.Helper()
	c := servertest.Start(t, servertest.Config{Nodes: 3, Knobs: knobs})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, k := range splits {
		require.NoError(t, c.Split(ctx, []byte(k)))
	}
	return c
}

func newDB(t *testing.T, c *servertest.Cluster) *kvclient.DB {
	return c.DB(kvclient.Config{Txn: kvclient.TxnConfig{HeartbeatInterval: 200 * time.Millisecond}})
}

func key(prefix string, i int) []byte { return []byte(fmt.Sprintf("%s/%04d", prefix, i)) }

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
