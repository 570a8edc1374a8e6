package server

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestRPCsCarryClocks: an RPC ratchets the receiver's HLC to the sender's
// reading; a sender beyond the max offset is refused; the reply ratchets
// the sender.
func TestRPCsCarryClocks(t *testing.T) {
	c := newTestCluster(t, 1)
	srv := c.nodes[0]
	ctx := context.Background()

	ahead := hlc.NewClock(func() int64 { return time.Now().Add(200 * time.Millisecond).UnixNano() }, hlc.DefaultMaxOffset)
	kv, err := kvclient.NewDB(kvclient.Config{Addrs: c.addrs, Clock: ahead})
	require.NoError(t, err)
	defer kv.Close()
	conn, err := kv.Conn(c.addrs[0])
	require.NoError(t, err)
	_, err = kvpb.NewAdminClient(conn).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
	require.NoError(t, err)
	sent := ahead.Last()
	require.False(t, srv.clock.Now().Less(sent), "receiver ratcheted past the sender's reading")

	// The reply carries the server's clock back.
	behind := hlc.NewClock(func() int64 { return time.Now().Add(-200 * time.Millisecond).UnixNano() }, hlc.DefaultMaxOffset)
	kvb, err := kvclient.NewDB(kvclient.Config{Addrs: c.addrs, Clock: behind})
	require.NoError(t, err)
	defer kvb.Close()
	connb, err := kvb.Conn(c.addrs[0])
	require.NoError(t, err)
	_, err = kvpb.NewAdminClient(connb).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
	require.NoError(t, err)
	require.False(t, behind.Now().Less(sent), "sender ratcheted by the reply")

	far := hlc.NewClock(func() int64 { return time.Now().Add(5 * time.Second).UnixNano() }, hlc.DefaultMaxOffset)
	kvf, err := kvclient.NewDB(kvclient.Config{Addrs: c.addrs, Clock: far})
	require.NoError(t, err)
	defer kvf.Close()
	connf, err := kvf.Conn(c.addrs[0])
	require.NoError(t, err)
	_, err = kvpb.NewAdminClient(connf).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
	require.Equal(t, codes.FailedPrecondition, status.Code(err), "%v", err)
	require.True(t, srv.clock.Now().WallTime < far.Now().WallTime-int64(time.Second), "clock not moved by the refused sender")
}
