package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/types"
)

// BackfillChunk is how many rows one backfill transaction indexes (its
// entries are buffered and sent with its commit).
const BackfillChunk = 1024

// schemaJob is the rest of an online index change that a statement's
// transaction started: CREATE INDEX committed the index in the
// delete-only state, DROP INDEX committed it in the write-only state. The
// session runs the job after that commit (runSchemaJob), one state per
// transaction, and the statement returns when the job is done.
type schemaJob struct {
	table catalog.ID
	index catalog.IndexID
	name  string
	drop  bool
}

// schemaChanger steps one index through its states. Each step is its own
// transaction that reads the schema generation (catalog.NewCollection), so
// it is ordered against every statement by the version check (see
// sql/catalog's package doc for why no lease wait is needed).
type schemaChanger struct {
	db    kvtxn.DB
	cache *catalog.Cache
	// afterChunk, when set (tests), runs after every committed backfill
	// chunk with the number of rows indexed so far.
	afterChunk func(rows int)
}

// runSchemaJob finishes job; on an error from CREATE INDEX's backfill the
// index is rolled back (write-only → delete-only → removed) before the
// error is returned, so no half index stays in the descriptor.
func (sc *schemaChanger) run(ctx context.Context, job schemaJob) error {
	if job.drop {
		if err := sc.step(ctx, job, catalog.IndexWriteOnly, catalog.IndexDeleteOnly); err != nil {
			return err
		}
		return sc.remove(ctx, job)
	}
	err := sc.step(ctx, job, catalog.IndexDeleteOnly, catalog.IndexWriteOnly)
	if err == nil {
		err = sc.backfill(ctx, job)
	}
	if err == nil {
		err = sc.step(ctx, job, catalog.IndexWriteOnly, catalog.IndexPublic)
	}
	if err == nil {
		return nil
	}
	// Roll back even when the client went away.
	rctx := context.WithoutCancel(ctx)
	if rerr := sc.rollback(rctx, job); rerr != nil {
		return fmt.Errorf("%w (and rolling the index back failed: %v; it stays invisible to reads)", err, rerr)
	}
	return err
}

func (sc *schemaChanger) rollback(ctx context.Context, job schemaJob) error {
	err := sc.step(ctx, job, catalog.IndexWriteOnly, catalog.IndexDeleteOnly)
	if err != nil && !errors.Is(err, errWrongState) {
		return err
	}
	return sc.remove(ctx, job)
}

var errWrongState = errors.New("index is not in the expected state")

var errGone = pgerr.New(pgerr.ObjectInUse, "the table or index was dropped during the schema change")

// txn runs f in a fresh transaction that has read the schema generation,
// retrying retryable errors, and drops the node's cache after a schema
// write commits.
func (sc *schemaChanger) txn(ctx context.Context, buffered bool, f func(coll *catalog.Collection, txn kvtxn.Txn) error) error {
	for attempt := 0; ; attempt++ {
		txn := sc.db.NewTxn(ctx)
		if buffered {
			txn = kvtxn.BufferWritesN(txn, BackfillChunk+1) // a chunk's entries go with the commit
		}
		coll, err := catalog.NewCollection(ctx, sc.db, txn, sc.cache)
		if err == nil {
			err = f(coll, txn)
		}
		if err == nil {
			if err = txn.Commit(ctx); err == nil {
				coll.Committed()
				return nil
			}
		}
		// Also after a failed commit (see Session.implicit).
		_ = txn.Rollback(ctx)
		if !kvtxn.IsRetryable(err) || attempt >= 10*MaxRetries || ctx.Err() != nil {
			return wrapRetry(err)
		}
	}
}

// index reads the job's table and finds the index.
func (sc *schemaChanger) index(ctx context.Context, coll *catalog.Collection, job schemaJob) (*catalog.Descriptor, int, error) {
	t, err := coll.Get(ctx, job.table)
	if err != nil {
		return nil, -1, err
	}
	if t == nil || t.Kind != catalog.KindTable {
		return nil, -1, errGone
	}
	i := t.IndexByID(job.index)
	if i < 0 {
		return nil, -1, errGone
	}
	return t, i, nil
}

// step moves the index from one state to the next in one transaction.
func (sc *schemaChanger) step(ctx context.Context, job schemaJob, from, to catalog.IndexState) error {
	return sc.txn(ctx, false, func(coll *catalog.Collection, _ kvtxn.Txn) error {
		t, i, err := sc.index(ctx, coll, job)
		if err != nil {
			return err
		}
		if t.Indexes[i].State != from {
			return errWrongState
		}
		desc := catalog.Mutable(t)
		desc.Indexes[i].State = to
		return coll.Write(ctx, desc)
	})
}

// remove deletes a delete-only index: its entries and its descriptor
// entry, in one transaction.
func (sc *schemaChanger) remove(ctx context.Context, job schemaJob) error {
	return sc.txn(ctx, false, func(coll *catalog.Collection, txn kvtxn.Txn) error {
		t, i, err := sc.index(ctx, coll, job)
		if errors.Is(err, errGone) {
			return nil // dropped with its table (or already removed)
		}
		if err != nil {
			return err
		}
		if t.Indexes[i].State != catalog.IndexDeleteOnly {
			return errWrongState
		}
		p := catalog.IndexPrefix(t.ID, job.index)
		if err := txn.DelRange(ctx, p, catalog.PrefixEnd(p)); err != nil {
			return err
		}
		desc := catalog.Mutable(t)
		desc.Indexes = append(desc.Indexes[:i], desc.Indexes[i+1:]...)
		dropUnusedIndexColumns(desc)
		return coll.Write(ctx, desc)
	})
}

// backfill writes the entries of the rows that existed before the index
// became write-only, BackfillChunk primary rows per transaction. Each
// chunk re-reads its rows at its own timestamp and writes their entries in
// the same serializable transaction, so a concurrent writer (which
// maintains the write-only index itself) and the chunk are ordered: an
// entry is never written for a row version that a committed writer
// replaced or deleted. For a UNIQUE index each row's entry prefix is read
// too; another row's entry there is a duplicate (23505).
func (sc *schemaChanger) backfill(ctx context.Context, job schemaJob) error {
	var start []byte
	total := 0
	for {
		var next []byte
		var n int
		err := sc.txn(ctx, true, func(coll *catalog.Collection, txn kvtxn.Txn) error {
			t, i, err := sc.index(ctx, coll, job)
			if err != nil {
				return err
			}
			ix := &t.Indexes[i]
			if ix.State != catalog.IndexWriteOnly {
				return errWrongState
			}
			next, n, err = backfillChunk(ctx, txn, t, ix, start)
			return err
		})
		if err != nil {
			return err
		}
		total += n
		if sc.afterChunk != nil {
			sc.afterChunk(total)
		}
		if next == nil {
			return nil
		}
		start = next
	}
}

// backfillChunk indexes up to BackfillChunk rows from start (nil: the
// table's first row); next is where the following chunk starts, nil at
// the end of the table.
func backfillChunk(ctx context.Context, txn kvtxn.Txn, t *catalog.Descriptor, ix *catalog.Index, start []byte) (next []byte, n int, err error) {
	rc := catalog.NewRowCodec(t)
	p := rc.Prefix(t.Primary.ID)
	if start == nil {
		start = p
	}
	kvs, err := txn.Scan(ctx, start, catalog.PrefixEnd(p), BackfillChunk)
	if err != nil {
		return nil, 0, err
	}
	type entry struct{ key, pk []byte }
	entries := make([]entry, 0, len(kvs))
	var checks []kvtxn.Read
	var checkOf []int
	seen := map[string][]byte{}
	row := make([]types.Datum, len(t.Columns))
	for _, kv := range kvs {
		if err := rc.DecodePrimary(kv.Key, kv.Value, row); err != nil {
			return nil, 0, err
		}
		key, plen, hasNull, err := rc.IndexKey(ix, row)
		if err != nil {
			return nil, 0, err
		}
		if key == nil {
			continue // out of a partial index
		}
		entries = append(entries, entry{key: key, pk: kv.Key})
		if ix.Unique && !hasNull {
			if other, dup := seen[string(key[:plen])]; dup && !bytes.Equal(other, kv.Key) {
				return nil, 0, uniqueBackfillErr(t, ix)
			}
			seen[string(key[:plen])] = kv.Key
			checks = append(checks, kvtxn.Read{Key: key[:plen], End: catalog.PrefixEnd(key[:plen]), MaxKeys: 2})
			checkOf = append(checkOf, len(entries)-1)
		}
	}
	if len(checks) > 0 {
		res, err := kvtxn.ReadMany(ctx, txn, checks)
		if err != nil {
			return nil, 0, err
		}
		for j, r := range res {
			own := entries[checkOf[j]].pk
			for _, kv := range r.Rows {
				other, err := rc.PrimaryKeyFromIndex(ix, kv.Key)
				if err != nil {
					return nil, 0, err
				}
				if !bytes.Equal(other, own) {
					return nil, 0, uniqueBackfillErr(t, ix)
				}
			}
		}
	}
	for _, e := range entries {
		if err := txn.Put(ctx, e.key, catalog.IndexValue()); err != nil {
			return nil, 0, err
		}
	}
	if len(kvs) < BackfillChunk {
		return nil, len(kvs), nil
	}
	last := kvs[len(kvs)-1].Key
	return append(append([]byte{}, last...), 0), len(kvs), nil
}

func uniqueBackfillErr(t *catalog.Descriptor, ix *catalog.Index) error {
	return pgerr.New(pgerr.UniqueViolation, "could not create unique index %q: table %q has duplicate keys", ix.Name, t.Name)
}
