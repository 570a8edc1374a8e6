package kvcoord

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// endTxnHeaders answers every batch like countingSender and records, for
// each batch with an EndTxn, its Header.no_txn_record.
type endTxnHeaders struct {
	countingSender
	noRecord []bool
}

func (s *endTxnHeaders) Send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	for _, r := range ba.GetRequests() {
		if r.GetEndTxn() != nil {
			s.noRecord = append(s.noRecord, ba.GetHeader().GetNoTxnRecord())
		}
	}
	return s.countingSender.Send(ctx, ba)
}

// TestCommitNoTxnRecord: a commit batch carries no_txn_record only when no
// earlier batch of the txn wrote or took a lock (reads do not count: they
// cannot make anyone push the txn); a rollback never does.
func TestCommitNoTxnRecord(t *testing.T) {
	ctx := context.Background()
	ex := kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE
	for _, tc := range []struct {
		name   string
		before []*kvpb.RequestUnion // an earlier batch, if any
		commit bool
		want   bool
	}{
		{"first", nil, true, true},
		{"after read", []*kvpb.RequestUnion{kvpb.NewGet([]byte("a"))}, true, true},
		{"after write", []*kvpb.RequestUnion{kvpb.NewPut([]byte("a"), []byte("v"))}, true, false},
		{"after lock", []*kvpb.RequestUnion{kvpb.NewGet([]byte("a")).WithLocking(ex)}, true, false},
		{"rollback", nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &endTxnHeaders{}
			f := NewTxnFactory(TxnConfig{Sender: s, Clock: hlc.NewWallClock(0), HeartbeatInterval: time.Hour})
			defer f.Close()
			txn := f.NewTxn("t")
			if tc.before != nil {
				_, err := txn.Send(ctx, &kvpb.BatchRequest{Requests: tc.before})
				require.NoError(t, err)
			}
			_, err := txn.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{
				kvpb.NewPut([]byte("b"), []byte("v")), kvpb.NewEndTxn(nil, tc.commit, nil)}})
			require.NoError(t, err)
			require.Equal(t, []bool{tc.want}, s.noRecord)
		})
	}
}
