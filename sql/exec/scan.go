package exec

import (
	"bytes"
	"context"
	"sort"

	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/rowenc"
	"github.com/tesseradb/tessera/sql/types"
)

// keySpan is a span of keys; point marks a span that holds exactly one
// possible key, start (a full primary key), read with a point Get.
type keySpan struct {
	start, end []byte
	point      bool
	// unique marks a span that fixes every column of a unique secondary
	// index: it holds at most one live entry, so it is read with a
	// two-key batch instead of ScanBatch.
	unique bool
}

// spans computes the key spans of a scan (merged, in key order).
func (env *Env) spans(s *plan.Scan) ([]keySpan, error) {
	ix := s.Index
	if ix == nil {
		ix = s.Table.Primary
	}
	prefix := s.Codec.Prefix(ix.ID)
	if len(s.Spans) == 0 {
		return []keySpan{{start: prefix, end: catalog.PrefixEnd(prefix)}}, nil
	}
	out := make([]keySpan, 0, len(s.Spans))
	for _, sp := range s.Spans {
		k := make([]byte, len(prefix), len(prefix)+32) // room for a key or two (EncodeKey appends)
		copy(k, prefix)
		empty := false
		for i, e := range sp.Eq {
			v, err := env.Eval(e, nil)
			if err != nil {
				return nil, err
			}
			if types.IsNull(v) {
				empty = true
				break
			}
			c := &s.Table.Columns[s.Table.ColumnOrdinal(ix.ColumnIDs[i])]
			if k, err = rowenc.EncodeKey(k, c.Type, v, dirOf(ix, i)); err != nil {
				return nil, err
			}
		}
		if empty {
			continue
		}
		start, end := k, catalog.PrefixEnd(k)
		point := s.Index == nil && len(sp.Eq) == len(ix.ColumnIDs)
		unique := s.Index != nil && s.Index.Unique && len(sp.Eq) == len(ix.ColumnIDs)
		if (sp.Lo != nil || sp.Hi != nil) && len(sp.Eq) < len(ix.ColumnIDs) {
			i := len(sp.Eq)
			c := &s.Table.Columns[s.Table.ColumnOrdinal(ix.ColumnIDs[i])]
			d := dirOf(ix, i)
			// enc encodes a bound: e on column i, then rest (a row bound)
			// on the columns after it; a NULL in rest ends the key there,
			// inclusive (the filter above decides those rows).
			enc := func(e plan.Expr, rest []plan.Expr, incl *bool) ([]byte, bool, error) {
				v, err := env.Eval(e, nil)
				if err != nil || types.IsNull(v) {
					return nil, false, err
				}
				b, err := rowenc.EncodeKey(append([]byte{}, k...), c.Type, v, d)
				if err != nil {
					return nil, false, err
				}
				for j, re := range rest {
					rv, err := env.Eval(re, nil)
					if err != nil {
						return nil, false, err
					}
					if types.IsNull(rv) {
						*incl = true
						break
					}
					rc := &s.Table.Columns[s.Table.ColumnOrdinal(ix.ColumnIDs[i+1+j])]
					if b, err = rowenc.EncodeKey(b, rc.Type, rv, dirOf(ix, i+1+j)); err != nil {
						return nil, false, err
					}
				}
				return b, true, nil
			}
			loI, hiI := sp.LoI, sp.HiI
			// Without a bound the span still excludes NULLs of this column
			// only through the filter above; keep it simple and inclusive.
			var loK, hiK []byte
			var ok bool
			var err error
			if sp.Lo != nil {
				if loK, ok, err = enc(sp.Lo, sp.LoRest, &loI); err != nil {
					return nil, err
				} else if !ok {
					continue
				}
			}
			if sp.Hi != nil {
				if hiK, ok, err = enc(sp.Hi, sp.HiRest, &hiI); err != nil {
					return nil, err
				} else if !ok {
					continue
				}
			}
			if !d.Descending {
				if loK != nil {
					start = loK
					if !loI {
						start = catalog.PrefixEnd(loK)
					}
				}
				if hiK != nil {
					end = hiK
					if hiI {
						end = catalog.PrefixEnd(hiK)
					}
				}
			} else {
				if hiK != nil {
					start = hiK
					if !hiI {
						start = catalog.PrefixEnd(hiK)
					}
				}
				if loK != nil {
					end = loK
					if loI {
						end = catalog.PrefixEnd(loK)
					}
				}
			}
		}
		if bytes.Compare(start, end) < 0 {
			out = append(out, keySpan{start: start, end: end, point: point, unique: unique})
		}
	}
	if len(out) > 1 {
		sort.Slice(out, func(a, b int) bool { return bytes.Compare(out[a].start, out[b].start) < 0 })
	}
	merged := out[:0]
	for _, sp := range out {
		if n := len(merged); n > 0 && bytes.Compare(sp.start, merged[n-1].end) <= 0 {
			if bytes.Compare(sp.end, merged[n-1].end) > 0 {
				merged[n-1].end = sp.end
			}
			same := bytes.Equal(sp.start, merged[n-1].start) && bytes.Equal(sp.end, merged[n-1].end)
			merged[n-1].point = merged[n-1].point && sp.point && same
			merged[n-1].unique = merged[n-1].unique && sp.unique && same
			continue
		}
		merged = append(merged, sp)
	}
	return merged, nil
}

func dirOf(ix *catalog.Index, i int) rowenc.KeyDir {
	if i < len(ix.Desc) && ix.Desc[i] {
		return rowenc.Desc
	}
	return rowenc.Asc
}

type scanIter struct {
	env   *Env
	s     *plan.Scan
	spans []keySpan
	buf   []kvtxn.KeyValue
	pos   int
	done  bool
	count int64
	dec   *catalog.RowDecoder // the columns the plan reads (Scan.Needed)
	slab  []types.Datum       // rows are cut from it, a batch at a time
}

func (env *Env) newScan(s *plan.Scan) (Iter, error) {
	sp, err := env.spans(s)
	if err != nil {
		return nil, err
	}
	return &scanIter{env: env, s: s, spans: sp, dec: s.Codec.Decoder(s.Needed)}, nil
}

func (it *scanIter) fetch() error {
	for len(it.spans) > 0 {
		if err := it.env.checkCancel(); err != nil {
			return err
		}
		batch := int64(ScanBatch)
		if it.s.Limit > 0 && it.s.Index == nil {
			if rem := it.s.Limit - it.count; rem < batch {
				batch = rem + 1
			}
		} else if it.s.BatchHint > 0 && it.s.Index == nil && it.count == 0 && it.buf == nil {
			batch = min(batch, it.s.BatchHint+1)
		}
		sp := &it.spans[0]
		lr := it.locker()
		if sp.point && (!it.s.Locking || lr != nil) {
			var v []byte
			var found bool
			var err error
			if lr != nil {
				v, found, err = lr.GetForUpdate(it.lockCtx(), sp.start)
				err = it.lockErr(err)
			} else {
				v, found, err = it.env.Txn.Get(it.env.Ctx, sp.start)
			}
			if err != nil {
				return err
			}
			it.spans = it.spans[1:]
			if found {
				it.buf, it.pos = []kvtxn.KeyValue{{Key: sp.start, Value: v}}, 0
				return nil
			}
			continue
		}
		if sp.unique {
			batch = 2
		}
		var kvs []kvtxn.KeyValue
		var err error
		if lr != nil && it.s.Index == nil {
			kvs, err = lr.ScanForUpdate(it.lockCtx(), sp.start, sp.end, batch)
			err = it.lockErr(err)
		} else {
			// An index scan locks the primary rows it finds (lookup).
			kvs, err = it.env.Txn.Scan(it.env.Ctx, sp.start, sp.end, batch)
		}
		if err != nil {
			return err
		}
		if int64(len(kvs)) < batch {
			it.spans = it.spans[1:]
		} else {
			sp.start = append(append([]byte{}, kvs[len(kvs)-1].Key...), 0)
		}
		if len(kvs) == 0 {
			continue
		}
		if it.s.Index != nil {
			if kvs, err = it.lookup(kvs); err != nil {
				return err
			}
			if len(kvs) == 0 {
				continue
			}
		}
		it.buf, it.pos = kvs, 0
		return nil
	}
	it.done = true
	return nil
}

// lookup turns index entries into primary rows (the index join), in one
// batch when the transaction supports it.
func (it *scanIter) lookup(entries []kvtxn.KeyValue) ([]kvtxn.KeyValue, error) {
	pks := make([][]byte, len(entries))
	for i, e := range entries {
		pk, err := it.s.Codec.PrimaryKeyFromIndex(it.s.Index, e.Key)
		if err != nil {
			return nil, err
		}
		pks[i] = pk
	}
	out := make([]kvtxn.KeyValue, 0, len(entries))
	if lr := it.locker(); lr != nil {
		vals, found, err := lr.GetManyForUpdate(it.lockCtx(), pks)
		if err != nil {
			return nil, it.lockErr(err)
		}
		return appendFound(out, pks, vals, found), nil
	}
	if bg, ok := it.env.Txn.(kvtxn.BatchGetter); ok {
		vals, found, err := bg.GetMany(it.env.Ctx, pks)
		if err != nil {
			return nil, err
		}
		return appendFound(out, pks, vals, found), nil
	}
	for _, pk := range pks {
		v, found, err := it.env.Txn.Get(it.env.Ctx, pk)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, kvtxn.KeyValue{Key: pk, Value: v})
		}
	}
	return out, nil
}

// locker is the transaction's locking reads when the scan locks (SELECT
// ... FOR UPDATE / SHARE, the reads of UPDATE and DELETE) and the
// transaction can lock; nil otherwise.
func (it *scanIter) locker() kvtxn.LockingReader {
	if !it.s.Locking {
		return nil
	}
	lr, _ := it.env.Txn.(kvtxn.LockingReader)
	return lr
}

// lockCtx is the context of the scan's locking reads (NOWAIT or SKIP
// LOCKED marked).
func (it *scanIter) lockCtx() context.Context {
	ctx := it.env.Ctx
	if it.s.Shared {
		ctx = kvtxn.WithSharedLock(ctx)
	}
	switch it.s.Wait {
	case plan.LockWaitError:
		return kvtxn.WithNoWait(ctx)
	case plan.LockWaitSkip:
		return kvtxn.WithSkipLocked(ctx)
	}
	return ctx
}

// lockErr reports a NOWAIT read's lock conflict as PostgreSQL does.
func (it *scanIter) lockErr(err error) error {
	if err != nil && kvtxn.IsLockNotAvailable(err) {
		name := ""
		if it.s.Table != nil {
			name = it.s.Table.Name
		}
		return pgerr.New(pgerr.LockNotAvailable, "could not obtain lock on row in relation %q", name)
	}
	return err
}

func (it *scanIter) Next() (Row, error) {
	if it.s.Limit > 0 && it.count >= it.s.Limit {
		return nil, nil
	}
	for it.pos >= len(it.buf) {
		if it.done {
			return nil, nil
		}
		if err := it.fetch(); err != nil {
			return nil, err
		}
	}
	kv := it.buf[it.pos]
	it.pos++
	n := len(it.s.Table.Columns)
	if len(it.slab) < n || n == 0 { // (a row of no columns is still non-nil)
		// one allocation for several rows (each row its own capacity-capped
		// part of it; few, so that a row kept alone pins little)
		it.slab = make([]types.Datum, n*max(1, min(len(it.buf)-it.pos+1, rowSlab)))
	}
	row := Row(it.slab[:n:n])
	it.slab = it.slab[n:]
	if err := it.dec.Decode(kv.Key, kv.Value, row); err != nil {
		return nil, err
	}
	it.count++
	return row, nil
}

// appendFound appends the keys of pks that were found, with their values.
func appendFound(out []kvtxn.KeyValue, pks [][]byte, vals [][]byte, found []bool) []kvtxn.KeyValue {
	for i, pk := range pks {
		if found[i] {
			out = append(out, kvtxn.KeyValue{Key: pk, Value: vals[i]})
		}
	}
	return out
}
