package kvtxn

import (
	"context"
	"errors"

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

func (d kvDB) NewTxn(ctx context.Context) Txn { return spTxn{d.db.NewTxn(ctx)} }

// spTxn adds Savepoints to *kvclient.Txn.
type spTxn struct{ *kvclient.Txn }

func (t spTxn) Savepoint(ctx context.Context) (any, error) { return t.CreateSavepoint(ctx) }

func (t spTxn) RollbackTo(ctx context.Context, sp any) error {
	s, ok := sp.(kvclient.Savepoint)
	if !ok {
		return errors.New("kvtxn: foreign savepoint")
	}
	return t.RollbackToSavepoint(ctx, s)
}

func (t spTxn) Release(ctx context.Context, sp any) error {
	s, ok := sp.(kvclient.Savepoint)
	if !ok {
		return errors.New("kvtxn: foreign savepoint")
	}
	return t.ReleaseSavepoint(ctx, s)
}

func (d kvDB) Inc(ctx context.Context, key []byte, delta int64) (int64, error) {
	return d.db.Inc(ctx, key, delta)
}
