package storage

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// MVCCStats summarises the MVCC data of a span. Every MVCC write function
// keeps a *MVCCStats (when given one) up to date incrementally; the result
// always equals ComputeStats over the same span. Stats add and subtract
// (ranges split and merge them).
//
// Accounting, per user key k that has at least one version:
//
//	KeyCount += 1; KeyBytes += len(k)+1             (the key, once)
//	per version:   KeyBytes += 13; ValBytes += len(engine value); ValCount += 1
//	if the newest version (committed or provisional) is not a tombstone:
//	               LiveCount += 1; LiveBytes += len(k)+1 + 13 + len(engine value)
//	per intent:    IntentCount += 1; IntentBytes += len(lock key)+1 + len(meta)
//
// A tombstone's engine value is empty; a value's is 1 tag byte + the value.
type MVCCStats struct {
	LiveBytes   int64
	LiveCount   int64
	KeyBytes    int64
	KeyCount    int64
	ValBytes    int64
	ValCount    int64
	IntentBytes int64
	IntentCount int64
}

// Add adds o to s.
func (s *MVCCStats) Add(o MVCCStats) {
	s.LiveBytes += o.LiveBytes
	s.LiveCount += o.LiveCount
	s.KeyBytes += o.KeyBytes
	s.KeyCount += o.KeyCount
	s.ValBytes += o.ValBytes
	s.ValCount += o.ValCount
	s.IntentBytes += o.IntentBytes
	s.IntentCount += o.IntentCount
}

// Subtract subtracts o from s.
func (s *MVCCStats) Subtract(o MVCCStats) {
	s.LiveBytes -= o.LiveBytes
	s.LiveCount -= o.LiveCount
	s.KeyBytes -= o.KeyBytes
	s.KeyCount -= o.KeyCount
	s.ValBytes -= o.ValBytes
	s.ValCount -= o.ValCount
	s.IntentBytes -= o.IntentBytes
	s.IntentCount -= o.IntentCount
}

func (s MVCCStats) String() string {
	return fmt.Sprintf("live_bytes=%d live_count=%d key_bytes=%d key_count=%d val_bytes=%d val_count=%d intent_bytes=%d intent_count=%d",
		s.LiveBytes, s.LiveCount, s.KeyBytes, s.KeyCount, s.ValBytes, s.ValCount, s.IntentBytes, s.IntentCount)
}

func keyOverhead(userKey []byte) int64 { return int64(len(userKey)) + 1 }

// The helpers below tolerate a nil receiver so callers need not check.

func (s *MVCCStats) addKey(userKey []byte, sign int64) {
	if s == nil {
		return
	}
	s.KeyCount += sign
	s.KeyBytes += sign * keyOverhead(userKey)
}

func (s *MVCCStats) addVersion(rawValLen int, sign int64) {
	if s == nil {
		return
	}
	s.KeyBytes += sign * versionedSuffix
	s.ValBytes += sign * int64(rawValLen)
	s.ValCount += sign
}

// addLive accounts the newest version of userKey; tombstones are not live.
func (s *MVCCStats) addLive(userKey []byte, rawVal []byte, sign int64) {
	s.addLiveLen(userKey, len(rawVal), sign)
}

// addLiveLen is addLive given the engine value's length (0: tombstone).
func (s *MVCCStats) addLiveLen(userKey []byte, rawLen int, sign int64) {
	if s == nil || rawLen == 0 {
		return
	}
	s.LiveCount += sign
	s.LiveBytes += sign * (keyOverhead(userKey) + versionedSuffix + int64(rawLen))
}

func (s *MVCCStats) addIntent(userKey []byte, metaLen int, sign int64) {
	if s == nil {
		return
	}
	s.IntentCount += sign
	s.IntentBytes += sign * (int64(len(lockTablePrefix)+len(userKey)+1) + int64(metaLen))
}

// ComputeStats recomputes the stats of the user keys in [start, end) from
// scratch: all versions in the span plus the lock-table entries of keys in
// the span.
func ComputeStats(r Reader, start, end []byte) (MVCCStats, error) {
	var ms MVCCStats
	if err := checkSpan(start, end); err != nil {
		return ms, err
	}
	pr, err := r.pebbleReader()
	if err != nil {
		return ms, err
	}
	it, err := pr.NewIter(&pebble.IterOptions{
		LowerBound: EncodeRawKey(nil, start),
		UpperBound: EncodeRawKey(nil, end),
		SkipPoint:  skipRaw,
	})
	if err != nil {
		return ms, err
	}
	var prev []byte
	first := false
	for valid := it.First(); valid; valid = it.Next() {
		uk, _, err := DecodeEngineKey(it.Key())
		if err != nil {
			it.Close()
			return ms, err
		}
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return ms, err
		}
		first = prev == nil || compareBytes(prev, uk) != 0
		if first {
			prev = append(prev[:0], uk...)
			ms.addKey(uk, 1)
			ms.addLive(uk, v, 1)
		}
		ms.addVersion(len(v), 1)
	}
	if err := it.Close(); err != nil {
		return ms, err
	}
	lit, err := pr.NewIter(&pebble.IterOptions{
		LowerBound: EncodeRawKey(nil, LockTableKey(start)),
		UpperBound: EncodeRawKey(nil, LockTableKey(end)),
		SkipPoint:  skipVersioned,
	})
	if err != nil {
		return ms, err
	}
	for valid := lit.First(); valid; valid = lit.Next() {
		k := lit.Key()
		v, err := lit.ValueAndErr()
		if err != nil {
			lit.Close()
			return ms, err
		}
		ms.addIntent(k[len(lockTablePrefix):len(k)-1], len(v), 1)
	}
	return ms, lit.Close()
}
