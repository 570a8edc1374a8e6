package ranges

import (
	"bytes"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

// SizeSplitKey returns the user key that divides the bytes of the range's
// data (every MVCC version, keys and values) most evenly, for a split by
// size; nil when the range has no key strictly inside it that may be a
// split point (CheckSplitKey). It reads the whole range twice: call it
// only for ranges above the split size, and cache the answer per
// descriptor generation.
func (s *Store) SizeSplitKey(rangeID kvpb.RangeID) ([]byte, error) {
	r, ok := s.GetReplica(rangeID)
	if !ok {
		return nil, &kvpb.RangeNotFoundError{RangeId: uint64(rangeID), StoreId: uint64(s.cfg.StoreID)}
	}
	desc := r.Desc()
	if desc == nil {
		return nil, &kvpb.RangeNotFoundError{RangeId: uint64(rangeID), StoreId: uint64(s.cfg.StoreID)}
	}
	lower, upper := desc.GetStartKey(), desc.GetEndKey()
	if bytes.Compare(lower, keys.MetaEnd) < 0 {
		lower = keys.MetaEnd
	}
	if len(upper) == 0 {
		upper = keys.KeyMax // the last range (and range 1 of a fresh cluster) ends the key space
	}
	if bytes.Compare(upper, lower) <= 0 {
		return nil, nil
	}
	snap := s.cfg.Engine.NewSnapshot()
	defer snap.Close()
	walk := func(f func(userKey []byte, n int64) bool) error {
		it, err := storage.NewEngineIterator(snap, lower, upper)
		if err != nil {
			return err
		}
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			v, err := it.Value()
			if err != nil {
				return err
			}
			uk, _, err := storage.DecodeEngineKey(it.EngineKey())
			if err != nil {
				return err
			}
			if !f(uk, int64(len(it.EngineKey())+len(v))) {
				break
			}
		}
		return it.Error()
	}
	var total int64
	if err := walk(func(_ []byte, n int64) bool { total += n; return true }); err != nil {
		return nil, err
	}
	var acc int64
	var split []byte
	err := walk(func(uk []byte, n int64) bool {
		if acc >= total/2 && bytes.Compare(uk, desc.GetStartKey()) > 0 && CheckSplitKey(uk) == nil {
			split = append([]byte(nil), uk...)
			return false
		}
		acc += n
		return true
	})
	return split, err
}
