package kvcoord

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// retainingSender answers like countingSender and, as a server that keeps
// a request after answering it might (a local replica reads the header in
// place), reads each batch's header txn again from a goroutine of its own
// with no synchronisation with the coordinator: under -race, any later
// mutation of a txn the coordinator handed down is reported.
type retainingSender struct {
	countingSender
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen []*kvpb.Transaction // header txns, in order
}

func (r *retainingSender) Send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	txn := ba.GetHeader().GetTxn()
	r.mu.Lock()
	r.seen = append(r.seen, txn)
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		_, _ = proto.Marshal(txn) // reads every field
	}()
	return r.countingSender.Send(ctx, ba)
}

// TestSentTxnIsNotMutated: the txn a batch carries is a copy of the
// coordinator's at the batch's sequence number, anchored, and never
// written to once sent (reads, writes and a commit batch, as an INSERT
// and an UPDATE send them; run with -race).
func TestSentTxnIsNotMutated(t *testing.T) {
	ctx := context.Background()
	s := &retainingSender{}
	f := NewTxnFactory(TxnConfig{Sender: s, Clock: hlc.NewWallClock(0), HeartbeatInterval: time.Hour})
	defer f.Close()
	txn := f.NewTxn("t")
	for _, reqs := range [][]*kvpb.RequestUnion{
		{kvpb.NewGet([]byte("a"))},
		{kvpb.NewPut([]byte("b"), []byte("v"))},
		{kvpb.NewScan([]byte("c"), []byte("d"), 0), kvpb.NewPut([]byte("c"), []byte("v"))},
		{kvpb.NewPut([]byte("e"), []byte("v")), kvpb.NewEndTxn(nil, true, nil)},
	} {
		_, err := txn.Send(ctx, &kvpb.BatchRequest{Requests: reqs})
		require.NoError(t, err)
	}
	require.Equal(t, kvpb.TransactionStatus_COMMITTED, txn.Txn().GetStatus())
	s.wg.Wait()
	require.Len(t, s.seen, 4)
	for i, seq := range []int32{0, 1, 2, 3} {
		h := s.seen[i]
		require.Equal(t, txn.ID(), h.ID(), "batch %d", i)
		require.Equal(t, seq, h.GetMeta().GetSequence(), "batch %d", i)
		require.Equal(t, "a", string(h.GetMeta().GetKey()), "batch %d: anchored at the first key", i)
		require.Equal(t, kvpb.TransactionStatus_PENDING, h.GetStatus(), "batch %d", i)
		for j := 0; j < i; j++ {
			require.NotSame(t, s.seen[j], h, "batches %d and %d share a txn", j, i)
		}
	}
}
