package storage

import (
	"github.com/cockroachdb/pebble/v2"
	"github.com/tesseradb/tessera/hlc"
)

// GC rule, for one user key at threshold T (a read at or above T must see
// exactly what it saw before): keep every version above T, keep the newest
// committed version at or below T unless it is a tombstone, remove the
// rest. Intents (and their provisional values) are never touched: they
// are resolved, not collected.

// gcVictim is one version to remove.
type gcVictim struct {
	key    []byte // engine key
	valLen int
}

// walkGC calls fn, in key order, for every user key in [start, end) with
// at least one version to remove at threshold: its victims and whether
// they are all of its versions. fn returns false to stop the walk; the
// walk then returns the user key after the last one handed to fn (nil
// when the span was exhausted).
func walkGC(r Reader, start, end []byte, threshold hlc.Timestamp, fn func(uk []byte, victims []gcVictim, all bool) bool) (resume []byte, err error) {
	if err := checkSpan(start, end); err != nil {
		return nil, err
	}
	if err := checkTimestamp(threshold); err != nil {
		return nil, err
	}
	pr, err := r.pebbleReader()
	if err != nil {
		return nil, err
	}
	pit, tok, err := r.pointIter()
	if err != nil {
		return nil, err
	}
	defer r.releasePointIter(pit, tok)
	it, err := pr.NewIter(&pebble.IterOptions{
		LowerBound: EncodeRawKey(nil, start),
		UpperBound: EncodeRawKey(nil, end),
		SkipPoint:  skipRaw,
	})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var (
		cur      []byte
		victims  []gcVictim
		total    int
		keeping  bool
		intentTs hlc.Timestamp
	)
	// flush hands the current key to fn; false means stop.
	flush := func() bool {
		if cur == nil || len(victims) == 0 {
			return true
		}
		ok := fn(cur, victims, len(victims) == total)
		victims = nil
		return ok
	}
	for valid := it.First(); valid; valid = it.Next() {
		uk, vts, err := DecodeEngineKey(it.Key())
		if err != nil {
			return nil, err
		}
		if cur == nil || compareBytes(uk, cur) != 0 {
			if !flush() {
				return append([]byte(nil), uk...), nil
			}
			cur = append(cur[:0], uk...)
			keeping, total = false, 0
			intentTs = hlc.Timestamp{}
			m, _, err := readIntent(pit, uk, nil)
			if err != nil {
				return nil, err
			}
			if m != nil {
				intentTs = m.Txn.WriteTimestamp
			}
		}
		total++
		if (!intentTs.IsEmpty() && vts == intentTs) || threshold.Less(vts) {
			continue
		}
		raw, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		if !keeping {
			// The newest committed version at or below the threshold.
			keeping = true
			if len(raw) != 0 {
				continue
			}
		}
		victims = append(victims, gcVictim{key: append([]byte(nil), it.Key()...), valLen: len(raw)})
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	flush()
	return nil, nil
}

// MVCCGarbageCollect removes, for every key in [start, end), the versions
// no read at or above threshold can see: all versions older than the
// newest committed version at or below threshold, and that version too if
// it is a tombstone. Intents and their provisional values are kept. It
// updates ms exactly and returns the number of versions removed.
func MVCCGarbageCollect(rw ReadWriter, start, end []byte, threshold hlc.Timestamp, ms *MVCCStats) (int64, error) {
	var victims []gcVictim
	var dropKeys [][]byte // user keys losing all versions
	_, err := walkGC(rw, start, end, threshold, func(uk []byte, vs []gcVictim, all bool) bool {
		victims = append(victims, vs...)
		if all {
			dropKeys = append(dropKeys, append([]byte(nil), uk...))
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	pw, err := rw.pebbleWriter()
	if err != nil {
		return 0, err
	}
	for _, v := range victims {
		if err := pw.Delete(v.key, pebble.NoSync); err != nil {
			return 0, err
		}
		ms.addVersion(v.valLen, -1)
	}
	for _, k := range dropKeys {
		ms.addKey(k, -1)
	}
	return int64(len(victims)), nil
}

// MVCCFindGarbage lists, in key order, up to maxKeys user keys in
// [start, end) that have versions MVCCGarbageCollect would remove at
// threshold, and the number of those versions. When it stops at maxKeys
// (> 0) it returns the key to resume from; nil means the span was
// scanned to its end. It only reads (the GC queue picks its batches with
// it).
func MVCCFindGarbage(r Reader, start, end []byte, threshold hlc.Timestamp, maxKeys int) (keys [][]byte, versions int64, resume []byte, err error) {
	resume, err = walkGC(r, start, end, threshold, func(uk []byte, vs []gcVictim, _ bool) bool {
		keys = append(keys, append([]byte(nil), uk...))
		versions += int64(len(vs))
		return maxKeys <= 0 || len(keys) < maxKeys
	})
	if err != nil {
		return nil, 0, nil, err
	}
	return keys, versions, resume, nil
}

// ClearMVCCRange removes everything stored for the user keys in
// [start, end): raw keys, all versions, and their lock-table entries (what
// Writer.ClearRange alone leaves behind). Like ClearRange it does not
// maintain stats: the caller drops the span's stats with it.
func ClearMVCCRange(w Writer, start, end []byte) error {
	if err := w.ClearRange(start, end); err != nil {
		return err
	}
	return w.ClearRange(LockTableKey(start), LockTableKey(end))
}
