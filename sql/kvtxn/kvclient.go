package kvtxn

import (
	"context"
	"errors"

	"github.com/tesseradb/tessera/hlc"
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

// GetMany reads keys in one batch.
func (t spTxn) GetMany(ctx context.Context, keys [][]byte) ([][]byte, []bool, error) {
	return t.getMany(ctx, keys, kvpb.KeyLocking_KEY_LOCKING_NONE)
}

// GetForUpdate reads key and locks it (LockingReader).
func (t spTxn) GetForUpdate(ctx context.Context, key []byte) ([]byte, bool, error) {
	return t.Txn.GetForUpdate(ctx, key, lockStrength(ctx), waitPolicy(ctx))
}

// ScanForUpdate scans and locks the keys returned (LockingReader).
func (t spTxn) ScanForUpdate(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error) {
	return t.Txn.ScanForUpdate(ctx, start, end, maxKeys, lockStrength(ctx), waitPolicy(ctx))
}

// GetManyForUpdate reads and locks keys in one batch (LockingReader).
func (t spTxn) GetManyForUpdate(ctx context.Context, keys [][]byte) ([][]byte, []bool, error) {
	return t.getMany(ctx, keys, lockStrength(ctx))
}

func (t spTxn) getMany(ctx context.Context, keys [][]byte, str kvpb.KeyLocking) ([][]byte, []bool, error) {
	b := t.NewBatch()
	for _, k := range keys {
		b.GetForUpdate(k, str, waitPolicy(ctx))
	}
	if err := t.Run(ctx, b); err != nil {
		return nil, nil, err
	}
	vals := make([][]byte, len(keys))
	found := make([]bool, len(keys))
	for i, r := range b.Results {
		if r.Err != nil {
			return nil, nil, r.Err
		}
		if len(r.Rows) > 0 {
			vals[i], found[i] = r.Rows[0].Value, true
		}
	}
	return vals, found, nil
}

// Now is the node's HLC time (Clock).
func (d kvDB) Now() hlc.Timestamp { return d.db.Clock().Now() }

func addWrites(b *kvclient.Batch, ws []Write) {
	for _, w := range ws {
		switch w.Kind {
		case WritePut:
			b.Put(w.Key, w.Value)
		case WriteCPut:
			b.CPut(w.Key, w.Value, w.Expected)
		case WriteDel:
			b.Del(w.Key)
		}
	}
}

// RunWrites sends ws in one batch.
func (t spTxn) RunWrites(ctx context.Context, ws []Write) error {
	b := t.NewBatch()
	addWrites(b, ws)
	return t.Run(ctx, b)
}

// CommitWith sends ws and the commit in one batch (one phase when ws are
// all on one range).
func (t spTxn) CommitWith(ctx context.Context, ws []Write) error {
	b := t.NewBatch()
	addWrites(b, ws)
	return t.CommitInBatch(ctx, b)
}

// CommitWithGuard sends the guard (an asserting read of key), ws and the
// commit in one batch (kvtxn.GuardedCommitter).
func (t spTxn) CommitWithGuard(ctx context.Context, key, expected []byte, ws []Write) error {
	b := t.NewBatch()
	b.AssertValue(key, expected)
	addWrites(b, ws)
	return t.CommitInBatch(ctx, b)
}

// ReadBatch sends rs in one batch.
func (t spTxn) ReadBatch(ctx context.Context, rs []Read) ([]ReadResult, error) {
	b := t.NewBatch()
	for _, r := range rs {
		switch {
		case r.Lock && r.End == nil:
			b.GetForUpdate(r.Key, kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE, waitPolicy(ctx))
		case r.Lock:
			b.ScanForUpdate(r.Key, r.End, r.MaxKeys, kvpb.KeyLocking_KEY_LOCKING_EXCLUSIVE, waitPolicy(ctx))
		case r.End == nil:
			b.Get(r.Key)
		default:
			b.Scan(r.Key, r.End, r.MaxKeys)
		}
	}
	if err := t.Run(ctx, b); err != nil {
		return nil, err
	}
	out := make([]ReadResult, len(rs))
	for i, r := range b.Results {
		if r.Err != nil {
			return nil, r.Err
		}
		out[i].Rows = r.Rows
	}
	return out, nil
}
