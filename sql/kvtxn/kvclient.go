package kvtxn

import (
	"context"

	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// *kvclient.Txn is a Txn.
var _ Txn = (*kvclient.Txn)(nil)

type kvDB struct{ db *kvclient.DB }

// FromKVClient adapts the distributed KV client to DB and installs its
// retryable-error classifier (kvpb.IsRetryable).
func FromKVClient(db *kvclient.DB) DB {
	SetRetryableClassifier(kvpb.IsRetryable)
	return kvDB{db: db}
}

func (d kvDB) NewTxn(ctx context.Context) Txn { return d.db.NewTxn(ctx) }

func (d kvDB) Inc(ctx context.Context, key []byte, delta int64) (int64, error) {
	return d.db.Inc(ctx, key, delta)
}
