package rangetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// A transaction may read above every node's clock: a reader pushes an
// intent's txn to the top of its uncertainty interval (up to the max
// offset ahead of its read timestamp), and the pushed txn refreshes its
// reads to that timestamp and commits there. The leaseholder records the
// read in its timestamp cache but its clock does not move (the batch's Now
// is the coordinator's honest clock). Whoever serves the key next — the
// new leaseholder after a transfer, the right-hand range after a split —
// must still push writes above that read; a low-water mark taken from the
// clock alone (the lease start) is too low. These tests failed before the
// old holder's timestamp cache high-water travelled with the transfer and
// the split (server/txntest TestRandomHistories found it as "a committed
// txn missed a write committed earlier at a lower timestamp").

// futureRead reads key on range rangeID in a transaction whose read
// timestamp is ahead of the clock, as a pushed txn's refresh would, and
// returns that timestamp.
func futureRead(t *testing.T, ctx context.Context, c *Cluster, rangeID kvpb.RangeID, key string, ahead time.Duration) hlc.Timestamp {
	t.Helper()
	now := c.Clock().Now()
	fut := now.AddDuration(int64(ahead))
	id := make([]byte, kvpb.TxnIDLen)
	id[0] = 0x7f
	txn := &kvpb.Transaction{
		Meta:                   &kvpb.TxnMeta{Id: id, Key: []byte(key), WriteTimestamp: kvpb.TS(fut), MinTimestamp: kvpb.TS(now), Priority: 1},
		Status:                 kvpb.TransactionStatus_PENDING,
		ReadTimestamp:          kvpb.TS(fut),
		GlobalUncertaintyLimit: kvpb.TS(fut),
	}
	_, err := c.Send(ctx, &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: uint64(rangeID), Txn: txn},
		Requests: []*kvpb.RequestUnion{kvpb.NewGet([]byte(key))}, Now: kvpb.TS(now)})
	require.NoError(t, err)
	require.True(t, c.Clock().Now().Less(fut), "the read moved the clock to its timestamp: the test needs a clock below it")
	return fut
}

// putTS writes key non-transactionally on rangeID and returns the
// timestamp the write got.
func putTS(t *testing.T, ctx context.Context, c *Cluster, rangeID kvpb.RangeID, key string) hlc.Timestamp {
	t.Helper()
	br, err := c.Send(ctx, &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: uint64(rangeID)},
		Requests: []*kvpb.RequestUnion{kvpb.NewPut([]byte(key), []byte("w"))}, Now: kvpb.TS(c.Clock().Now())})
	require.NoError(t, err)
	return br.GetTimestamp().HLC()
}

// TestTimestampCacheSurvivesLeaseTransfer: a write on the new leaseholder
// lands above a read the old one served above its clock.
func TestTimestampCacheSurvivesLeaseTransfer(t *testing.T) {
	c := New(t, Config{Nodes: 3, LeaseDuration: 5 * time.Second, MaxOffset: 500 * time.Millisecond})
	ctx := ctxFor(t, 30*time.Second)
	require.NoError(t, c.Put(ctx, "k", "v0"))
	lh := mustLH(t, ctx, c)
	read := futureRead(t, ctx, c, 1, "k", 300*time.Millisecond)
	target := c.Nodes[nodeIndex(c, lh)%3]
	_, err := lh.Store().TransferLease(ctx, 1, &kvpb.ReplicaTarget{NodeId: uint64(target.ID), StoreId: uint64(target.StoreID)})
	require.NoError(t, err)
	w := putTS(t, ctx, c, 1, "k")
	require.True(t, read.Less(w), "write at %s under the read at %s served by the previous leaseholder", w, read)
}

// TestTimestampCacheSurvivesSplit: a write on the right-hand range lands
// above a read the range served on that key before the split.
func TestTimestampCacheSurvivesSplit(t *testing.T) {
	c := New(t, Config{Nodes: 3, LeaseDuration: 5 * time.Second, MaxOffset: 500 * time.Millisecond})
	ctx := ctxFor(t, 30*time.Second)
	require.NoError(t, c.Put(ctx, "k", "v0"))
	lh := mustLH(t, ctx, c)
	read := futureRead(t, ctx, c, 1, "k", 300*time.Millisecond)
	_, _, err := lh.Store().AdminSplit(ctx, []byte("k"), 2)
	require.NoError(t, err)
	w := putTS(t, ctx, c, 2, "k")
	require.True(t, read.Less(w), "write at %s under the read at %s served before the split", w, read)
}
