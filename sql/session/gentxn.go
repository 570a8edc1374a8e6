package session

import (
	"context"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/kvtxn"
)

// genTxn is the transaction an implicit statement executes in when its
// catalog.Collection assumed the cached schema generation
// (NewCollectionDeferred): the statement's first read carries the read of
// the generation in the same KV batch, so a statement served from the
// descriptor cache pays no extra round trip for the schema check. implicit
// verifies before committing a statement that read nothing.
type genTxn struct {
	kvtxn.Txn
	coll *catalog.Collection
}

// withGen reads rs and the generation in one batch and checks it.
func (t *genTxn) withGen(ctx context.Context, rs []kvtxn.Read) ([]kvtxn.ReadResult, error) {
	all := append([]kvtxn.Read{{Key: catalog.GenKey()}}, rs...)
	res, err := kvtxn.ReadMany(ctx, t.Txn, all)
	if err != nil {
		return nil, err
	}
	var v []byte
	found := len(res[0].Rows) > 0
	if found {
		v = res[0].Rows[0].Value
	}
	if err := t.coll.CheckGen(v, found); err != nil {
		return nil, err
	}
	return res[1:], nil
}

func (t *genTxn) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	if t.coll.Verified() {
		return t.Txn.Get(ctx, key)
	}
	res, err := t.withGen(ctx, []kvtxn.Read{{Key: key}})
	if err != nil || len(res[0].Rows) == 0 {
		return nil, false, err
	}
	return res[0].Rows[0].Value, true, nil
}

func (t *genTxn) Scan(ctx context.Context, start, end []byte, maxKeys int64) ([]kvtxn.KeyValue, error) {
	if t.coll.Verified() {
		return t.Txn.Scan(ctx, start, end, maxKeys)
	}
	res, err := t.withGen(ctx, []kvtxn.Read{{Key: start, End: end, MaxKeys: maxKeys}})
	if err != nil {
		return nil, err
	}
	return res[0].Rows, nil
}

func (t *genTxn) ReverseScan(ctx context.Context, start, end []byte, maxKeys int64) ([]kvtxn.KeyValue, error) {
	if err := t.coll.Verify(ctx); err != nil {
		return nil, err
	}
	return t.Txn.ReverseScan(ctx, start, end, maxKeys)
}

func (t *genTxn) DelRange(ctx context.Context, start, end []byte) error {
	if err := t.coll.Verify(ctx); err != nil {
		return err
	}
	return t.Txn.DelRange(ctx, start, end)
}

func (t *genTxn) Inc(ctx context.Context, key []byte, delta int64) (int64, error) {
	if err := t.coll.Verify(ctx); err != nil {
		return 0, err
	}
	return t.Txn.Inc(ctx, key, delta)
}

// Commit checks the generation: with the commit's batch when the wrapped
// transaction can (a guard: a single-range INSERT stays one round and one
// phase), else by a read before it.
func (t *genTxn) Commit(ctx context.Context) error {
	if gc, ok := t.Txn.(kvtxn.GuardedCommitter); ok && !t.coll.Verified() {
		key, exp := t.coll.GenGuard()
		err := gc.CommitGuarded(ctx, key, exp)
		if v, found, on := kvtxn.ConditionFailedOn(err, key); on {
			return t.coll.GuardFailed(v, found)
		}
		return err
	}
	if err := t.coll.Verify(ctx); err != nil {
		_ = t.Txn.Rollback(ctx)
		return err
	}
	return t.Txn.Commit(ctx)
}

// GetMany keeps batch reads (an index join's lookups).
func (t *genTxn) GetMany(ctx context.Context, keys [][]byte) ([][]byte, []bool, error) {
	rs := make([]kvtxn.Read, len(keys))
	for i, k := range keys {
		rs[i] = kvtxn.Read{Key: k}
	}
	var res []kvtxn.ReadResult
	var err error
	if t.coll.Verified() {
		res, err = kvtxn.ReadMany(ctx, t.Txn, rs)
	} else {
		res, err = t.withGen(ctx, rs)
	}
	if err != nil {
		return nil, nil, err
	}
	vals := make([][]byte, len(keys))
	found := make([]bool, len(keys))
	for i, r := range res {
		if len(r.Rows) > 0 {
			vals[i], found[i] = r.Rows[0].Value, true
		}
	}
	return vals, found, nil
}

// locker verifies the generation (one extra read when not yet verified)
// and returns the wrapped transaction's locking reads, nil if it has
// none.
func (t *genTxn) locker(ctx context.Context) (kvtxn.LockingReader, error) {
	if !t.coll.Verified() {
		if _, err := t.withGen(ctx, nil); err != nil {
			return nil, err
		}
	}
	lr, _ := t.Txn.(kvtxn.LockingReader)
	return lr, nil
}

// lockWithGen reports whether a locking read can carry the generation
// read in its batch: not yet verified, the wrapped transaction locks and
// batches reads, and the read waits for locks (a NOWAIT batch would make
// the generation read fail on a DDL's intent instead of waiting for it;
// a SKIP LOCKED batch holds only SKIP LOCKED locking reads).
func (t *genTxn) lockWithGen(ctx context.Context) bool {
	if t.coll.Verified() || kvtxn.IsNoWait(ctx) || kvtxn.IsSkipLocked(ctx) {
		return false
	}
	_, locks := t.Txn.(kvtxn.LockingReader)
	_, batches := t.Txn.(kvtxn.ReadBatcher)
	return locks && batches
}

// GetForUpdate implements kvtxn.LockingReader (a plain Get when the
// wrapped transaction cannot lock). The first read of a statement (an
// UPDATE's or DELETE's read of its row) carries the generation read in
// the same batch.
func (t *genTxn) GetForUpdate(ctx context.Context, key []byte) ([]byte, bool, error) {
	if t.lockWithGen(ctx) {
		res, err := t.withGen(ctx, []kvtxn.Read{{Key: key, Lock: true}})
		if err != nil || len(res[0].Rows) == 0 {
			return nil, false, err
		}
		return res[0].Rows[0].Value, true, nil
	}
	lr, err := t.locker(ctx)
	if err != nil {
		return nil, false, err
	}
	if lr == nil {
		return t.Txn.Get(ctx, key)
	}
	return lr.GetForUpdate(ctx, key)
}

// ScanForUpdate implements kvtxn.LockingReader.
func (t *genTxn) ScanForUpdate(ctx context.Context, start, end []byte, maxKeys int64) ([]kvtxn.KeyValue, error) {
	if t.lockWithGen(ctx) {
		res, err := t.withGen(ctx, []kvtxn.Read{{Key: start, End: end, MaxKeys: maxKeys, Lock: true}})
		if err != nil {
			return nil, err
		}
		return res[0].Rows, nil
	}
	lr, err := t.locker(ctx)
	if err != nil {
		return nil, err
	}
	if lr == nil {
		return t.Txn.Scan(ctx, start, end, maxKeys)
	}
	return lr.ScanForUpdate(ctx, start, end, maxKeys)
}

// GetManyForUpdate implements kvtxn.LockingReader.
func (t *genTxn) GetManyForUpdate(ctx context.Context, keys [][]byte) ([][]byte, []bool, error) {
	if t.lockWithGen(ctx) {
		rs := make([]kvtxn.Read, len(keys))
		for i, k := range keys {
			rs[i] = kvtxn.Read{Key: k, Lock: true}
		}
		res, err := t.withGen(ctx, rs)
		if err != nil {
			return nil, nil, err
		}
		vals := make([][]byte, len(keys))
		found := make([]bool, len(keys))
		for i, r := range res {
			if len(r.Rows) > 0 {
				vals[i], found[i] = r.Rows[0].Value, true
			}
		}
		return vals, found, nil
	}
	lr, err := t.locker(ctx)
	if err != nil {
		return nil, nil, err
	}
	if lr == nil {
		vals := make([][]byte, len(keys))
		found := make([]bool, len(keys))
		for i, k := range keys {
			if vals[i], found[i], err = t.Txn.Get(ctx, k); err != nil {
				return nil, nil, err
			}
		}
		return vals, found, nil
	}
	return lr.GetManyForUpdate(ctx, keys)
}
