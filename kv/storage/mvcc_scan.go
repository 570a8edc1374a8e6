package storage

import (
	"bytes"
	"github.com/cockroachdb/pebble/v2"
	"github.com/tesseradb/tessera/hlc"
)

// Span is [Key, EndKey).
type Span struct {
	Key, EndKey []byte
}

// KeyValue is one row of a scan.
type KeyValue struct {
	Key   []byte
	Value MVCCValue
}

// MVCCScanOptions configure MVCCScan.
type MVCCScanOptions struct {
	MVCCReadOptions
	// MaxKeys, if > 0, stops the scan after that many rows.
	MaxKeys int64
	// TargetBytes, if > 0, stops the scan once the returned keys and values
	// reach that many bytes (the row that crosses it is included).
	TargetBytes int64
	// Reverse scans from the end of the span backwards.
	Reverse bool
}

// MVCCScanResult is what MVCCScan returns. ResumeSpan is set when a limit
// stopped the scan before the end of the span: scanning it continues where
// this scan stopped (in the same direction).
type MVCCScanResult struct {
	KVs        []KeyValue
	NumBytes   int64
	ResumeSpan *Span
}

// MVCCScan reads the live values of the keys in [start, end) at ts. Intents
// of other transactions at or below max(ts, uncertainty limit) are
// collected and returned together as one *LockConflictError; an
// uncertain value returns *ReadWithinUncertaintyIntervalError at once.
func MVCCScan(r Reader, start, end []byte, ts hlc.Timestamp, opts MVCCScanOptions) (MVCCScanResult, error) {
	var res MVCCScanResult
	if err := checkSpan(start, end); err != nil {
		return res, err
	}
	if err := checkTimestamp(ts); err != nil {
		return res, err
	}
	s := scanner{r: r, ts: ts, opts: &opts, res: &res, start: start, end: end}
	if n := opts.MaxKeys; n > 0 {
		// Small first: most scans (index lookups, LIMIT 1) return a
		// few rows, and append grows a long result geometrically.
		res.KVs = make([]KeyValue, 0, min(n, 8))
	}
	if err := s.init(r); err != nil {
		return res, err
	}
	defer s.close()
	var err error
	if opts.Reverse {
		err = s.reverse()
	} else {
		err = s.forward()
	}
	if err != nil {
		return MVCCScanResult{}, err
	}
	if len(s.conflicts) > 0 {
		return MVCCScanResult{}, &LockConflictError{Intents: s.conflicts}
	}
	return res, nil
}

type scanner struct {
	ts         hlc.Timestamp
	opts       *MVCCScanOptions
	res        *MVCCScanResult
	start, end []byte
	r          Reader
	it, lit    *pebble.Iterator
	itTok      uint64
	litTok     uint64
	litValid   bool
	conflicts  []Intent
	buf        []byte
	curKey     []byte
	slab       []byte
}

// init positions nothing but the lock iterator. Both iterators come from
// r.spanIter, without SkipPoint: the data iterator can meet raw keys and
// the lock iterator versioned ones, and the scan loops and intentFor step
// over them (a raw key sorts before every version of its user key).
func (s *scanner) init(r Reader) error {
	var err error
	s.it, s.itTok, err = r.spanIter(EncodeRawKey(nil, s.start), EncodeRawKey(nil, s.end))
	if err != nil {
		return err
	}
	s.lit, s.litTok, err = r.spanIter(EncodeRawKey(nil, LockTableKey(s.start)), EncodeRawKey(nil, LockTableKey(s.end)))
	if err != nil {
		s.r.releaseSpanIter(s.it, s.itTok)
		return err
	}
	if s.opts.Reverse {
		s.litValid = s.lit.Last()
	} else {
		s.litValid = s.lit.First()
	}
	return nil
}

func (s *scanner) close() {
	s.r.releaseSpanIter(s.it, s.itTok)
	s.r.releaseSpanIter(s.lit, s.litTok)
}

// lockUserKey is the user key of the lock iterator's current entry.
func (s *scanner) lockUserKey() []byte {
	k := s.lit.Key()
	return k[len(lockTablePrefix) : len(k)-1]
}

// intentFor advances the lock iterator to userKey and decodes its intent.
func (s *scanner) intentFor(userKey []byte) (*intentMeta, error) {
	for s.litValid {
		if isVersioned(s.lit.Key()) {
			s.litValid = s.stepLock()
			continue
		}
		c := compareBytes(s.lockUserKey(), userKey)
		if c == 0 {
			v, err := s.lit.ValueAndErr()
			if err != nil {
				return nil, err
			}
			m, err := decodeIntentMeta(v)
			if err != nil {
				return nil, err
			}
			return &m, nil
		}
		if (c > 0) != s.opts.Reverse {
			return nil, nil
		}
		s.litValid = s.stepLock()
	}
	return nil, s.lit.Error()
}

func (s *scanner) stepLock() bool {
	if s.opts.Reverse {
		return s.lit.Prev()
	}
	return s.lit.Next()
}

// visit evaluates one user key and reports whether the scan must stop.
func (s *scanner) visit(userKey []byte) (stop bool, err error) {
	if s.limitReached() {
		s.setResume(userKey)
		return true, nil
	}
	meta, err := s.intentFor(userKey)
	if err != nil {
		return false, err
	}
	mode := atFirstVersion
	if s.opts.Reverse {
		mode = seekGE
	}
	v, ok, err := readKeyVersions(s.it, userKey, meta, s.ts, &s.opts.MVCCReadOptions, s.buf[:0], &s.conflicts, mode)
	if err != nil {
		return false, err
	}
	if ok {
		k := s.copyOut(userKey)
		v.Value = s.copyOut(v.Value)
		s.res.KVs = append(s.res.KVs, KeyValue{Key: k, Value: v})
		s.res.NumBytes += int64(len(k) + len(v.Value))
	}
	return false, nil
}

// copyOut copies b into the scan's slab. Slabs are never reallocated in
// place, so earlier copies stay valid.
func (s *scanner) copyOut(b []byte) []byte {
	if len(s.slab)+len(b) > cap(s.slab) {
		n := 2 * cap(s.slab)
		if n < 256 {
			n = 256
		}
		if n < len(b) {
			n = len(b)
		}
		s.slab = make([]byte, 0, n)
	}
	start := len(s.slab)
	s.slab = append(s.slab, b...)
	return s.slab[start:len(s.slab):len(s.slab)]
}

func (s *scanner) limitReached() bool {
	n := int64(len(s.res.KVs))
	return (s.opts.MaxKeys > 0 && n >= s.opts.MaxKeys) ||
		(s.opts.TargetBytes > 0 && n > 0 && s.res.NumBytes >= s.opts.TargetBytes)
}

func (s *scanner) setResume(next []byte) {
	if s.opts.Reverse {
		s.res.ResumeSpan = &Span{Key: append([]byte(nil), s.start...), EndKey: NextKey(next)}
	} else {
		s.res.ResumeSpan = &Span{Key: append([]byte(nil), next...), EndKey: append([]byte(nil), s.end...)}
	}
}

func (s *scanner) currentUserKey() ([]byte, error) {
	uk, _, err := DecodeEngineKey(s.it.Key())
	if err != nil {
		return nil, err
	}
	s.curKey = append(s.curKey[:0], uk...)
	return s.curKey, nil
}

func (s *scanner) forward() error {
	valid := s.it.First()
	for valid {
		if !isVersioned(s.it.Key()) {
			valid = s.it.Next() // a raw key; its versions follow it
			continue
		}
		uk, err := s.currentUserKey()
		if err != nil {
			return err
		}
		if stop, err := s.visit(uk); err != nil || stop {
			return err
		}
		// Move to the first version of the next user key. visit left the
		// iterator at or after the first version of uk.
		valid = s.it.Valid()
		if valid {
			cur, _, err := DecodeEngineKey(s.it.Key())
			if err != nil {
				return err
			}
			if bytes.Equal(cur, uk) {
				valid = s.it.NextPrefix()
			}
		}
	}
	return s.it.Error()
}

func (s *scanner) reverse() error {
	valid := s.it.Last()
	for valid {
		if !isVersioned(s.it.Key()) {
			valid = s.it.Prev() // a raw key: the previous user key's end
			continue
		}
		uk, err := s.currentUserKey()
		if err != nil {
			return err
		}
		if stop, err := s.visit(uk); err != nil || stop {
			return err
		}
		valid = s.it.SeekLT(EncodeRawKey(s.buf[:0], uk))
	}
	return s.it.Error()
}

// MVCCDeleteRange writes tombstones at ts on every key live (as the writer
// sees it) in [start, end), up to maxKeys (0 = no limit). It returns the
// deleted keys and, if the limit stopped it, the span still to delete.
func MVCCDeleteRange(rw ReadWriter, start, end []byte, ts hlc.Timestamp, maxKeys int64, opts MVCCWriteOptions) ([][]byte, *Span, error) {
	if err := checkTxn(opts.Txn, ts); err != nil {
		return nil, nil, err
	}
	so := MVCCScanOptions{MaxKeys: maxKeys}
	so.Txn = opts.Txn
	res, err := MVCCScan(rw, start, end, ts, so)
	if err != nil {
		return nil, nil, err
	}
	var deleted [][]byte
	for _, kv := range res.KVs {
		if _, err := MVCCDelete(rw, kv.Key, ts, opts); err != nil {
			return deleted, nil, err
		}
		deleted = append(deleted, kv.Key)
	}
	return deleted, res.ResumeSpan, nil
}
