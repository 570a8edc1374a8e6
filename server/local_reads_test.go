package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestLocalFastPathReads: a batch of non-locking reads reaches the store
// through the local fast path without the copy marshalling would make
// (nonLockingReads). The store must leave the request exactly as it was
// (header, txn and requests), and its answer must share no memory with
// the request: scribbling over every byte of the request afterwards leaves
// the response unchanged. Locking reads and writes are still copied.
func TestLocalFastPathReads(t *testing.T) {
	c := newTestCluster(t, 1)
	srv := c.nodes[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := admin(t, c.addrs[0]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	db, err := kvclient.NewDB(kvclient.Config{Addrs: c.addrs})
	require.NoError(t, err)
	defer db.Close()
	waitFor(t, 20*time.Second, "first write", func() error { return db.Put(ctx, []byte("\x04a"), []byte("va")) })
	for _, k := range []string{"b", "c", "d"} {
		require.NoError(t, db.Put(ctx, []byte("\x04"+k), []byte("v"+k)))
	}
	ri, err := admin(t, c.addrs[0]).RangeInfo(ctx, &kvpb.RangeInfoRequest{RangeId: 1})
	require.NoError(t, err)
	require.NotEmpty(t, ri.GetRanges())
	rep := ri.GetRanges()[0].GetDesc().GetReplicas()[0]

	now := srv.clock.Now()
	txn := &kvpb.Transaction{
		Meta: &kvpb.TxnMeta{Id: []byte("0123456789abcdef"), Key: []byte("\x04a"), WriteTimestamp: kvpb.TS(now),
			MinTimestamp: kvpb.TS(now), Priority: 1},
		Name: "reader", Status: kvpb.TransactionStatus_PENDING, ReadTimestamp: kvpb.TS(now),
		GlobalUncertaintyLimit: kvpb.TS(now.AddDuration(int64(hlc.DefaultMaxOffset))),
	}
	ba := &kvpb.BatchRequest{
		Header: &kvpb.Header{RangeId: 1, Replica: rep, Txn: txn},
		Now:    kvpb.TS(now),
		Requests: []*kvpb.RequestUnion{
			kvpb.NewGet([]byte("\x04a")),
			kvpb.NewGet([]byte("\x04zz")), // absent
			kvpb.NewScan([]byte("\x04a"), []byte("\x04e"), 2),
			kvpb.NewReverseScan([]byte("\x04a"), []byte("\x04e"), 1),
		},
	}
	require.True(t, nonLockingReads(ba))
	before := proto.Clone(ba).(*kvpb.BatchRequest)
	br, handled, err := localBatches{s: srv}.SendLocal(ctx, rep, ba)
	require.NoError(t, err)
	require.True(t, handled)
	require.Nil(t, br.GetError(), "%v", br.GetError())
	require.True(t, proto.Equal(before, ba), "the store changed the request:\n%v\n%v", before, ba)
	// The node's clock is not carried to itself and back.
	require.Nil(t, br.GetNow())

	resps := br.GetResponses()
	require.Len(t, resps, 4)
	require.True(t, resps[0].GetGet().GetFound())
	require.Equal(t, "va", string(resps[0].GetGet().GetValue()))
	require.False(t, resps[1].GetGet().GetFound())
	rows := resps[2].GetScan().GetRows()
	require.Len(t, rows, 2)
	require.Equal(t, "\x04c", string(resps[2].GetScan().GetResumeSpan().GetKey()))
	require.Equal(t, "\x04d", string(resps[3].GetReverseScan().GetRows()[0].GetKey()))
	require.NotNil(t, br.GetTxn())

	// The response owns its memory: overwrite everything the request holds.
	answer := proto.Clone(br).(*kvpb.BatchResponse)
	scribble := func(b []byte) {
		for i := range b {
			b[i] = 0xee
		}
	}
	for _, r := range ba.GetRequests() {
		k, e := r.RequestSpan()
		scribble(k)
		scribble(e)
	}
	scribble(txn.GetMeta().GetId())
	scribble(txn.GetMeta().GetKey())
	for _, ts := range []*kvpb.Timestamp{txn.ReadTimestamp, txn.GlobalUncertaintyLimit, txn.Meta.WriteTimestamp, txn.Meta.MinTimestamp, ba.Now} {
		ts.WallTime, ts.Logical = 1, 1
	}
	txn.Meta.Sequence, txn.Meta.Epoch = 99, 99
	ba.Header.Replica = nil
	require.True(t, proto.Equal(answer, br), "the response shares memory with the request:\n%v\n%v", answer, br)

	// Locking reads and writes are not plain non-locking reads.
	for i, reqs := range [][]*kvpb.RequestUnion{
		{kvpb.NewGet([]byte("\x04a")).WithLocking(kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE)},
		{kvpb.NewGet([]byte("\x04a")), kvpb.NewScan([]byte("\x04a"), []byte("\x04e"), 0).WithLocking(kvpb.KeyLocking_KEY_LOCKING_SHARED)},
		{kvpb.NewGet([]byte("\x04a")), kvpb.NewPut([]byte("\x04a"), []byte("x"))},
		{},
	} {
		require.False(t, nonLockingReads(&kvpb.BatchRequest{Requests: reqs}), fmt.Sprint(i))
	}
}
