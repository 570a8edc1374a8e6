package storage

import (
	"github.com/cockroachdb/pebble/v2"
	"github.com/tesseradb/tessera/hlc"
)

// MVCCGarbageCollect removes, for every key in [start, end), the versions
// no read at or above threshold can see: all versions older than the
// newest committed version at or below threshold, and that version too if
// it is a tombstone. Intents and their provisional values are kept. It
// returns the number of versions removed.
func MVCCGarbageCollect(rw ReadWriter, start, end []byte, threshold hlc.Timestamp, ms *MVCCStats) (int64, error) {
	if err := checkSpan(start, end); err != nil {
		return 0, err
	}
	if err := checkTimestamp(threshold); err != nil {
		return 0, err
	}
	pr, err := rw.pebbleReader()
	if err != nil {
		return 0, err
	}
	pw, err := rw.pebbleWriter()
	if err != nil {
		return 0, err
	}
	type victim struct {
		key    []byte // engine key
		valLen int
	}
	var victims []victim
	var dropKeys [][]byte // user keys losing all versions
	var cur []byte
	var keeping bool // per user key state
	var total, removed int
	var newestTomb bool
	var intentTs hlc.Timestamp
	flushKey := func() {
		if cur != nil && removed > 0 && removed == total {
			dropKeys = append(dropKeys, append([]byte(nil), cur...))
		}
	}
	pit, tok, err := rw.pointIter()
	if err != nil {
		return 0, err
	}
	defer rw.releasePointIter(pit, tok)
	it, err := pr.NewIter(&pebble.IterOptions{
		LowerBound: EncodeRawKey(nil, start),
		UpperBound: EncodeRawKey(nil, end),
		SkipPoint:  skipRaw,
	})
	if err != nil {
		return 0, err
	}
	for valid := it.First(); valid; valid = it.Next() {
		uk, vts, err := DecodeEngineKey(it.Key())
		if err != nil {
			it.Close()
			return 0, err
		}
		if cur == nil || compareBytes(uk, cur) != 0 {
			flushKey()
			cur = append(cur[:0], uk...)
			keeping, total, removed, newestTomb = false, 0, 0, false
			intentTs = hlc.Timestamp{}
			m, _, err := readIntent(pit, uk, nil)
			if err != nil {
				it.Close()
				return 0, err
			}
			if m != nil {
				intentTs = m.Txn.WriteTimestamp
			}
		}
		total++
		raw, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return 0, err
		}
		if (!intentTs.IsEmpty() && vts == intentTs) || threshold.Less(vts) {
			continue
		}
		if !keeping {
			// The newest committed version at or below the threshold.
			keeping = true
			newestTomb = len(raw) == 0
			if !newestTomb {
				continue
			}
		}
		victims = append(victims, victim{key: append([]byte(nil), it.Key()...), valLen: len(raw)})
		removed++
	}
	flushKey()
	if err := it.Close(); err != nil {
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
