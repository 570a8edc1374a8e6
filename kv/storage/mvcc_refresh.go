package storage

import (
	"bytes"
	"fmt"

	"github.com/tesseradb/tessera/hlc"
)

// RefreshConflict is what MVCCRefresh found: a version (or another txn's
// intent, Intent true) that keeps a reader from moving its read timestamp.
type RefreshConflict struct {
	Key       []byte
	Timestamp hlc.Timestamp
	Intent    bool
}

// MVCCRefresh checks whether a transaction that read [start, end) (end nil:
// the key start) at from can move its read to `to` (from < to): it returns
// the first version in (from, to] written by anyone but txn, or intent of
// another transaction at or below to, or nil if there is none. The
// transaction's own intent (and its provisional version) is ignored.
func MVCCRefresh(r Reader, start, end []byte, from, to hlc.Timestamp, txn TxnID) (*RefreshConflict, error) {
	if err := checkMVCCKey(start); err != nil {
		return nil, err
	}
	if end == nil {
		end = NextKey(start)
	}
	if bytes.Compare(start, end) >= 0 {
		return nil, fmt.Errorf("%w: refresh span inverted", ErrInvalidKey)
	}
	// Intents first: they name the provisional versions to skip.
	own := map[string]hlc.Timestamp{}
	li, err := newRawIterator(r, LockTableKey(start), LockTableKey(end))
	if err != nil {
		return nil, err
	}
	for ok := li.First(); ok; ok = li.Next() {
		m, err := decodeIntentMeta(li.Value())
		if err != nil {
			li.Close()
			return nil, err
		}
		key := append([]byte(nil), li.Key()[len(lockTablePrefix):]...)
		if m.Txn.ID == txn {
			own[string(key)] = m.Txn.WriteTimestamp
			continue
		}
		if m.Txn.WriteTimestamp.LessEq(to) {
			li.Close()
			return &RefreshConflict{Key: key, Timestamp: m.Txn.WriteTimestamp, Intent: true}, nil
		}
		// An intent above `to` has its provisional version above too.
		own[string(key)] = m.Txn.WriteTimestamp
	}
	if err := li.Close(); err != nil {
		return nil, err
	}
	it, err := NewEngineIterator(r, start, end)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		uk, ts, err := DecodeEngineKey(it.EngineKey())
		if err != nil {
			return nil, err
		}
		if ts.IsEmpty() || ts.LessEq(from) || to.Less(ts) {
			continue
		}
		if its, ok := own[string(uk)]; ok && its == ts {
			continue
		}
		return &RefreshConflict{Key: append([]byte(nil), uk...), Timestamp: ts}, nil
	}
	return nil, it.Error()
}
