package storage

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// TxnStatus is the outcome a resolve applies.
type TxnStatus int

const (
	// Pending keeps the intent but moves it to Txn.WriteTimestamp if that
	// is higher (a pushed transaction).
	Pending TxnStatus = iota
	// Committed turns the intent into a committed version at
	// Txn.WriteTimestamp (moving the provisional value up if needed).
	Committed
	// Aborted removes the intent and its provisional value.
	Aborted
)

func (s TxnStatus) String() string {
	switch s {
	case Pending:
		return "PENDING"
	case Committed:
		return "COMMITTED"
	case Aborted:
		return "ABORTED"
	}
	return fmt.Sprintf("TxnStatus(%d)", int(s))
}

// SeqRange is an inclusive range of sequence numbers.
type SeqRange struct{ Start, End int32 }

// LockUpdate says how to resolve a transaction's intents.
type LockUpdate struct {
	Txn    TxnMeta
	Status TxnStatus
	// IgnoredSeqNums lists sequence ranges rolled back by savepoints: on
	// commit (or pending), the intent's value reverts to the newest
	// history entry not ignored, or the intent is removed if none is left.
	IgnoredSeqNums []SeqRange
}

func (u *LockUpdate) ignored(seq int32) bool {
	for _, r := range u.IgnoredSeqNums {
		if seq >= r.Start && seq <= r.End {
			return true
		}
	}
	return false
}

func checkLockUpdate(u *LockUpdate) error {
	if u.Txn.ID.IsZero() {
		return fmt.Errorf("%w: zero txn ID", ErrInvalidTxn)
	}
	if u.Status != Aborted && u.Txn.WriteTimestamp.IsEmpty() {
		return fmt.Errorf("%w: resolve with zero timestamp", ErrZeroTimestamp)
	}
	if u.Status < Pending || u.Status > Aborted {
		return fmt.Errorf("%w: status %d", ErrInvalidTxn, u.Status)
	}
	return nil
}

// MVCCResolveIntent resolves the intent of u.Txn on key. If the key has no
// intent of that transaction it returns *IntentNotFoundError (callers that
// resolve idempotently treat errors.Is(err, ErrIntentNotFound) as done).
// An intent from an older epoch than u.Txn is removed even on commit (the
// txn restarted and did not rewrite it).
func MVCCResolveIntent(rw ReadWriter, key []byte, u LockUpdate, ms *MVCCStats) error {
	if err := checkMVCCKey(key); err != nil {
		return err
	}
	if err := checkLockUpdate(&u); err != nil {
		return err
	}
	pw, err := rw.pebbleWriter()
	if err != nil {
		return err
	}
	st, err := loadKeyState(rw, key, false)
	if err != nil {
		return err
	}
	if st.meta == nil || st.meta.Txn.ID != u.Txn.ID {
		return &IntentNotFoundError{Key: append([]byte(nil), key...), TxnID: u.Txn.ID}
	}
	return resolveLoaded(pw, key, &st, &u, ms)
}

func resolveLoaded(pw pebbleWriter, key []byte, st *keyState, u *LockUpdate, ms *MVCCStats) error {
	meta := st.meta
	if meta.Txn.Epoch > u.Txn.Epoch {
		return fmt.Errorf("%w: intent on %s has epoch %d, resolve has %d",
			ErrTxnEpochRegression, FormatKey(key), meta.Txn.Epoch, u.Txn.Epoch)
	}
	abort := u.Status == Aborted || (u.Status == Committed && meta.Txn.Epoch < u.Txn.Epoch)

	// Savepoint rollbacks: find the value that survives.
	newVal := st.provisional
	if !abort && len(u.IgnoredSeqNums) > 0 && meta.Txn.Epoch == u.Txn.Epoch && u.ignored(meta.Txn.Sequence) {
		found := false
		for i := len(meta.History) - 1; i >= 0; i-- {
			h := meta.History[i]
			if u.ignored(h.Sequence) {
				continue
			}
			if h.Tombstone {
				newVal = nil
			} else {
				newVal = encodeMVCCValue(nil, h.Value)
			}
			found = true
			break
		}
		if !found {
			abort = true
		}
	}

	oldKey := EncodeMVCCKey(nil, key, meta.Txn.WriteTimestamp)
	if abort {
		if err := pw.Delete(oldKey, pebble.NoSync); err != nil {
			return err
		}
		if err := pw.Delete(lockEngineKey(key), pebble.NoSync); err != nil {
			return err
		}
		ms.addIntent(key, st.metaLen, -1)
		ms.addLiveLen(key, len(st.provisional), -1)
		ms.addVersion(len(st.provisional), -1)
		if st.hasCommitted {
			ms.addLiveLen(key, st.committedLen, 1)
		} else {
			ms.addKey(key, -1)
		}
		return nil
	}

	newTs := meta.Txn.WriteTimestamp.Forward(u.Txn.WriteTimestamp)
	if newTs != meta.Txn.WriteTimestamp {
		if err := pw.Delete(oldKey, pebble.NoSync); err != nil {
			return err
		}
	}
	if newTs != meta.Txn.WriteTimestamp || string(newVal) != string(st.provisional) {
		if err := pw.Set(EncodeMVCCKey(nil, key, newTs), newVal, pebble.NoSync); err != nil {
			return err
		}
	}
	ms.addLiveLen(key, len(st.provisional), -1)
	ms.addVersion(len(st.provisional), -1)
	ms.addLiveLen(key, len(newVal), 1)
	ms.addVersion(len(newVal), 1)
	ms.addIntent(key, st.metaLen, -1)
	if u.Status == Committed {
		return pw.Delete(lockEngineKey(key), pebble.NoSync)
	}
	// Pending: keep the intent, at its (possibly pushed) timestamp.
	nm := intentMeta{Txn: meta.Txn, History: meta.History}
	nm.Txn.WriteTimestamp = newTs
	if len(u.IgnoredSeqNums) > 0 && meta.Txn.Epoch == u.Txn.Epoch {
		kept := nm.History[:0:0]
		for _, h := range nm.History {
			if !u.ignored(h.Sequence) {
				kept = append(kept, h)
			}
		}
		nm.History = kept
		if u.ignored(meta.Txn.Sequence) && len(kept) > 0 {
			// The surviving value is the newest kept entry; it becomes current.
			nm.Txn.Sequence = kept[len(kept)-1].Sequence
			nm.History = kept[:len(kept)-1]
		}
	}
	enc := nm.encode(nil)
	ms.addIntent(key, len(enc), 1)
	return pw.Set(lockEngineKey(key), enc, pebble.NoSync)
}

// MVCCResolveIntentRange resolves every intent of u.Txn on keys in
// [start, end), up to max (0 = no limit). It returns how many it resolved
// and, if the limit stopped it, the span still to resolve. Intents of
// other transactions are left alone; finding none is not an error.
func MVCCResolveIntentRange(rw ReadWriter, start, end []byte, u LockUpdate, max int64, ms *MVCCStats) (int64, *Span, error) {
	if err := checkSpan(start, end); err != nil {
		return 0, nil, err
	}
	if err := checkLockUpdate(&u); err != nil {
		return 0, nil, err
	}
	pr, err := rw.pebbleReader()
	if err != nil {
		return 0, nil, err
	}
	pw, err := rw.pebbleWriter()
	if err != nil {
		return 0, nil, err
	}
	// Collect first: the writes below go into the same batch.
	lit, err := pr.NewIter(&pebble.IterOptions{
		LowerBound: EncodeRawKey(nil, LockTableKey(start)),
		UpperBound: EncodeRawKey(nil, LockTableKey(end)),
		SkipPoint:  skipVersioned,
	})
	if err != nil {
		return 0, nil, err
	}
	var keys [][]byte
	var resume *Span
	for valid := lit.First(); valid; valid = lit.Next() {
		v, err := lit.ValueAndErr()
		if err != nil {
			lit.Close()
			return 0, nil, err
		}
		m, err := decodeIntentMeta(v)
		if err != nil {
			lit.Close()
			return 0, nil, err
		}
		if m.Txn.ID != u.Txn.ID {
			continue
		}
		k := lit.Key()
		uk := append([]byte(nil), k[len(lockTablePrefix):len(k)-1]...)
		if max > 0 && int64(len(keys)) >= max {
			resume = &Span{Key: uk, EndKey: append([]byte(nil), end...)}
			break
		}
		keys = append(keys, uk)
	}
	if err := lit.Close(); err != nil {
		return 0, nil, err
	}
	var n int64
	for _, k := range keys {
		st, err := loadKeyState(rw, k, false)
		if err != nil {
			return n, nil, err
		}
		if err := resolveLoaded(pw, k, &st, &u, ms); err != nil {
			return n, nil, err
		}
		n++
	}
	return n, resume, nil
}
