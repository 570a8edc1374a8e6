package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble/v2"
	"github.com/tesseradb/tessera/hlc"
)

// MVCCReadOptions configure MVCCGet and MVCCScan.
type MVCCReadOptions struct {
	// Txn is the reading transaction, if any: it sees its own intents
	// (those of its epoch with sequence <= Txn.Sequence).
	Txn *TxnMeta
	// UncertaintyLimit, when above the read timestamp, makes a committed
	// version in (read ts, UncertaintyLimit] an uncertainty error, and an
	// intent of another txn at or below it a conflict.
	UncertaintyLimit hlc.Timestamp
	// IgnoredSeqNums are the reader's own writes rolled back by savepoints:
	// the reader sees its newest write not in them.
	IgnoredSeqNums []SeqRange
	// Locking is a locking read (SELECT ... FOR UPDATE): another txn's
	// intent at any timestamp is a conflict, and a committed version above
	// the read timestamp is a WriteTooOldError (the reader must move its
	// read timestamp above it before it may lock the key).
	Locking bool
	// SkipLocked (with Locking; SELECT ... SKIP LOCKED): a key with
	// another txn's intent, or one SkipKey reports (held by another txn's
	// unreplicated lock), is left out of the result instead of being a
	// conflict.
	SkipLocked bool
	SkipKey    func(key []byte) bool
}

func (o *MVCCReadOptions) ignored(seq int32) bool {
	for _, r := range o.IgnoredSeqNums {
		if seq >= r.Start && seq <= r.End {
			return true
		}
	}
	return false
}

// MVCCWriteOptions configure the MVCC write functions.
type MVCCWriteOptions struct {
	// Txn makes the write transactional: it lays an intent. Txn.WriteTimestamp
	// must equal the operation's timestamp.
	Txn *TxnMeta
	// Stats, if set, is updated with the write's effect.
	Stats *MVCCStats
}

// MVCCValue is a value read at a version.
type MVCCValue struct {
	Value     []byte
	Timestamp hlc.Timestamp
}

func checkMVCCKey(key []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if isLockTableKey(key) {
		return fmt.Errorf("%w: %s is in the lock-table space", ErrInvalidKey, FormatKey(key))
	}
	return nil
}

func checkTimestamp(ts hlc.Timestamp) error {
	if ts.IsEmpty() {
		return ErrZeroTimestamp
	}
	return nil
}

func checkTxn(txn *TxnMeta, ts hlc.Timestamp) error {
	if txn == nil {
		return nil
	}
	if txn.ID.IsZero() {
		return fmt.Errorf("%w: zero txn ID", ErrInvalidTxn)
	}
	if txn.WriteTimestamp != ts {
		return fmt.Errorf("%w: txn write timestamp %s != operation timestamp %s", ErrInvalidTxn, txn.WriteTimestamp, ts)
	}
	return nil
}

// readIntent loads the intent on userKey, if any, positioning it.
func readIntent(it *pebble.Iterator, userKey []byte, buf []byte) (*intentMeta, int, error) {
	lk := append(append(append(buf[:0], lockTablePrefix...), userKey...), sentinel)
	if !it.SeekPrefixGE(lk) {
		return nil, 0, it.Error()
	}
	if !bytes.Equal(it.Key(), lk) {
		return nil, 0, nil
	}
	v, err := it.ValueAndErr()
	if err != nil {
		return nil, 0, fmt.Errorf("storage: read intent: %w", err)
	}
	m, err := decodeIntentMeta(v)
	if err != nil {
		return nil, 0, err
	}
	return &m, len(v), nil
}

func lockEngineKey(userKey []byte) []byte {
	b := make([]byte, 0, len(lockTablePrefix)+len(userKey)+1)
	b = append(b, lockTablePrefix...)
	b = append(b, userKey...)
	return append(b, sentinel)
}

// MVCCGet reads key at ts. ok is false if there is no live value at ts.
func MVCCGet(r Reader, key []byte, ts hlc.Timestamp, opts MVCCReadOptions) (MVCCValue, bool, error) {
	if err := checkMVCCKey(key); err != nil {
		return MVCCValue{}, false, err
	}
	if err := checkTimestamp(ts); err != nil {
		return MVCCValue{}, false, err
	}
	it, tok, err := r.pointIter()
	if err != nil {
		return MVCCValue{}, false, err
	}
	defer r.releasePointIter(it, tok)
	kbuf := r.keyScratch()
	meta, _, err := readIntent(it, key, kbuf[:0])
	if err != nil {
		return MVCCValue{}, false, err
	}
	var conflicts []Intent
	v, ok, err := readKeyVersions(it, key, meta, ts, &opts, kbuf[:0], &conflicts, seekPrefix)
	if err != nil {
		return MVCCValue{}, false, err
	}
	if len(conflicts) > 0 {
		return MVCCValue{}, false, &LockConflictError{Intents: conflicts}
	}
	if ok {
		v.Value = append(make([]byte, 0, len(v.Value)), v.Value...)
	}
	return v, ok, nil
}

// positionMode says how readKeyVersions finds the key's versions.
type positionMode int

const (
	// seekPrefix: point read, position with SeekPrefixGE (bloom filters).
	seekPrefix positionMode = iota
	// atFirstVersion: forward scan, the iterator is already at the newest
	// version of the key; step with Next before falling back to a seek.
	atFirstVersion
	// seekGE: reverse scan, position with SeekGE.
	seekGE
)

// nextsBeforeSeek bounds how many versions a forward scan steps over
// before it seeks instead.
const nextsBeforeSeek = 4

// readKeyVersions evaluates the visible value of userKey at ts given its
// intent (meta, may be nil). The returned value aliases the iterator or
// meta: copy it before moving the iterator. A conflicting intent is
// appended to conflicts and (zero, false, nil) returned.
func readKeyVersions(it *pebble.Iterator, userKey []byte, meta *intentMeta, ts hlc.Timestamp,
	opts *MVCCReadOptions, buf []byte, conflicts *[]Intent, mode positionMode) (MVCCValue, bool, error) {
	seekTs := ts
	if opts.UncertaintyLimit.WallTime != 0 && ts.Less(opts.UncertaintyLimit) {
		seekTs = opts.UncertaintyLimit
	}
	if opts.Locking {
		seekTs = hlc.MaxTimestamp
	}
	if opts.SkipLocked && opts.SkipKey != nil && opts.SkipKey(userKey) {
		return MVCCValue{}, false, nil
	}
	var skipTs hlc.Timestamp // timestamp of a provisional version to ignore
	if meta != nil {
		owned := opts.Txn != nil && opts.Txn.ID == meta.Txn.ID
		switch {
		case !owned:
			if meta.Txn.WriteTimestamp.LessEq(seekTs) {
				if opts.SkipLocked {
					return MVCCValue{}, false, nil
				}
				*conflicts = append(*conflicts, Intent{Key: append([]byte(nil), userKey...), Txn: meta.Txn})
				return MVCCValue{}, false, nil
			}
			skipTs = meta.Txn.WriteTimestamp
		case meta.Txn.Epoch > opts.Txn.Epoch:
			return MVCCValue{}, false, fmt.Errorf("%w: intent on %s has epoch %d, reader %d",
				ErrTxnEpochRegression, FormatKey(userKey), meta.Txn.Epoch, opts.Txn.Epoch)
		case meta.Txn.Epoch < opts.Txn.Epoch:
			skipTs = meta.Txn.WriteTimestamp
		default:
			// Our own intent of this epoch.
			if opts.Txn.Sequence >= meta.Txn.Sequence && !opts.ignored(meta.Txn.Sequence) {
				raw, found, err := exactVersion(it, userKey, meta.Txn.WriteTimestamp, buf, mode == seekPrefix)
				if err != nil {
					return MVCCValue{}, false, err
				}
				if !found {
					return MVCCValue{}, false, fmt.Errorf("%w: intent on %s has no provisional value", ErrCorruptValue, FormatKey(userKey))
				}
				return decodeVisible(raw, meta.Txn.WriteTimestamp)
			}
			for i := len(meta.History) - 1; i >= 0; i-- {
				h := meta.History[i]
				if h.Sequence <= opts.Txn.Sequence && !opts.ignored(h.Sequence) {
					if h.Tombstone {
						return MVCCValue{}, false, nil
					}
					return MVCCValue{Value: h.Value, Timestamp: meta.Txn.WriteTimestamp}, true, nil
				}
			}
			skipTs = meta.Txn.WriteTimestamp
		}
		// Reading below our own intent (older epoch, or a sequence before
		// our first write) still meets uncertainty from other writers'
		// committed versions in (ts, limit]; only the provisional version
		// itself is skipped.
	}
	valid := false
	switch mode {
	case seekPrefix:
		valid = it.SeekPrefixGE(EncodeMVCCKey(buf[:0], userKey, seekTs))
	case seekGE:
		valid = it.SeekGE(EncodeMVCCKey(buf[:0], userKey, seekTs))
	case atFirstVersion:
		valid = it.Valid()
		for i := 0; valid; i++ {
			uk, vts, err := DecodeEngineKey(it.Key())
			if err != nil {
				return MVCCValue{}, false, err
			}
			if vts.LessEq(seekTs) || !bytes.Equal(uk, userKey) {
				// A visible candidate, or past the key's versions (the
				// loop below sees the new key and stops).
				break
			}
			if i == nextsBeforeSeek {
				valid = it.SeekGE(EncodeMVCCKey(buf[:0], userKey, seekTs))
				break
			}
			valid = it.Next()
		}
	}
	for ; valid; valid = it.Next() {
		uk, vts, err := DecodeEngineKey(it.Key())
		if err != nil {
			return MVCCValue{}, false, err
		}
		if !bytes.Equal(uk, userKey) {
			break
		}
		if vts.IsEmpty() || (!skipTs.IsEmpty() && vts == skipTs) || seekTs.Less(vts) {
			continue
		}
		if opts.Locking && ts.Less(vts) {
			return MVCCValue{}, false, &WriteTooOldError{Key: append([]byte(nil), userKey...), Timestamp: ts,
				ExistingTimestamp: vts, ActualTimestamp: vts.Next()}
		}
		if ts.Less(vts) {
			return MVCCValue{}, false, &ReadWithinUncertaintyIntervalError{
				Key: append([]byte(nil), userKey...), ReadTimestamp: ts,
				UncertaintyLimit: opts.UncertaintyLimit, ValueTimestamp: vts,
			}
		}
		raw, err := it.ValueAndErr()
		if err != nil {
			return MVCCValue{}, false, err
		}
		return decodeVisible(raw, vts)
	}
	if err := it.Error(); err != nil {
		return MVCCValue{}, false, err
	}
	return MVCCValue{}, false, nil
}

// decodeVisible decodes an engine value; the result aliases raw.
func decodeVisible(raw []byte, ts hlc.Timestamp) (MVCCValue, bool, error) {
	v, tomb, err := decodeMVCCValue(raw)
	if err != nil || tomb {
		return MVCCValue{}, false, err
	}
	return MVCCValue{Value: v, Timestamp: ts}, true, nil
}

// exactVersion returns the engine value at userKey@ts (aliasing the
// iterator; valid until it moves).
func exactVersion(it *pebble.Iterator, userKey []byte, ts hlc.Timestamp, buf []byte, prefix bool) ([]byte, bool, error) {
	k := EncodeMVCCKey(buf[:0], userKey, ts)
	var valid bool
	if prefix {
		valid = it.SeekPrefixGE(k)
	} else {
		valid = it.SeekGE(k)
	}
	if !valid {
		return nil, false, it.Error()
	}
	if EngineComparer.Equal(it.Key(), k) {
		v, err := it.ValueAndErr()
		return v, err == nil, err
	}
	return nil, false, nil
}

// keyState is what a write needs to know about one key.
type keyState struct {
	meta    *intentMeta
	metaLen int
	// provisional is the engine value at meta's timestamp (set with meta;
	// empty for a provisional tombstone).
	provisional []byte
	// newestCommitted is the newest version that is not the provisional one.
	hasCommitted   bool
	committedTs    hlc.Timestamp
	committedLen   int    // engine value length (0: tombstone)
	committedValue []byte // engine value; only loaded with loadValues
}

// anyVersion reports whether the key has at least one version.
func (s *keyState) anyVersion() bool { return s.meta != nil || s.hasCommitted }

func loadKeyState(r Reader, userKey []byte, loadValues bool) (keyState, error) {
	var st keyState
	it, tok, err := r.pointIter()
	if err != nil {
		return st, err
	}
	defer r.releasePointIter(it, tok)
	kbuf := r.keyScratch()
	// Versions first: every intent has a provisional version, so a key
	// without versions has no intent and the lock-table lookup is skipped
	// (the common case for inserts).
	newestTs, raw, ok, err := firstVersionAtOrBelow(it, userKey, hlc.MaxTimestamp, kbuf[:0])
	if err != nil || !ok {
		return st, err
	}
	newestLen := len(raw)
	var newestVal []byte
	if loadValues {
		newestVal = append(make([]byte, 0, len(raw)), raw...)
	}
	st.meta, st.metaLen, err = readIntent(it, userKey, kbuf[:0])
	if err != nil {
		return st, err
	}
	if st.meta == nil {
		st.hasCommitted, st.committedTs, st.committedLen, st.committedValue = true, newestTs, newestLen, newestVal
		return st, nil
	}
	if newestTs != st.meta.Txn.WriteTimestamp {
		return st, fmt.Errorf("%w: intent on %s at %s but newest version at %s",
			ErrCorruptValue, FormatKey(userKey), st.meta.Txn.WriteTimestamp, newestTs)
	}
	// Reload the provisional value (the lock lookup moved the iterator),
	// then the newest committed version below it.
	if _, raw, ok, err = firstVersionAtOrBelow(it, userKey, newestTs, kbuf[:0]); err != nil || !ok {
		return st, fmt.Errorf("%w: reloading provisional value of %s: %v", ErrCorruptValue, FormatKey(userKey), err)
	}
	st.provisional = append(make([]byte, 0, len(raw)), raw...)
	cts, raw, ok, err := firstVersionAtOrBelow(it, userKey, newestTs.Prev(), kbuf[:0])
	if err != nil || !ok {
		return st, err
	}
	st.hasCommitted, st.committedTs, st.committedLen = true, cts, len(raw)
	if loadValues {
		st.committedValue = append(make([]byte, 0, len(raw)), raw...)
	}
	return st, nil
}

// firstVersionAtOrBelow finds the newest version of userKey at or below
// ts. raw aliases the iterator.
func firstVersionAtOrBelow(it *pebble.Iterator, userKey []byte, ts hlc.Timestamp, buf []byte) (hlc.Timestamp, []byte, bool, error) {
	for valid := it.SeekPrefixGE(EncodeMVCCKey(buf[:0], userKey, ts)); valid; valid = it.Next() {
		uk, vts, err := DecodeEngineKey(it.Key())
		if err != nil {
			return vts, nil, false, err
		}
		if !bytes.Equal(uk, userKey) {
			break
		}
		if vts.IsEmpty() {
			continue
		}
		raw, err := it.ValueAndErr()
		if err != nil {
			return vts, nil, false, err
		}
		if _, _, err := decodeMVCCValue(raw); err != nil {
			return vts, nil, false, err
		}
		return vts, raw, true, nil
	}
	return hlc.Timestamp{}, nil, false, it.Error()
}

// visibleToWriter returns the value the writer sees before writing (own
// intent of the current epoch at its sequence, else newest committed).
func (s *keyState) visibleToWriter(txn *TxnMeta) (v []byte, ok bool) {
	if s.meta != nil && txn != nil && s.meta.Txn.ID == txn.ID && s.meta.Txn.Epoch == txn.Epoch {
		if txn.Sequence >= s.meta.Txn.Sequence {
			v, tomb, _ := decodeMVCCValue(s.provisional)
			return v, !tomb
		}
		for i := len(s.meta.History) - 1; i >= 0; i-- {
			if h := s.meta.History[i]; h.Sequence <= txn.Sequence {
				return h.Value, !h.Tombstone
			}
		}
	}
	if !s.hasCommitted || s.committedLen == 0 {
		return nil, false
	}
	v, _, _ = decodeMVCCValue(s.committedValue)
	return v, true
}

// checkWrite returns the conflict or write-too-old error a write at ts by
// txn would meet.
func (s *keyState) checkWrite(userKey []byte, ts hlc.Timestamp, txn *TxnMeta) error {
	if s.meta != nil {
		if txn == nil || txn.ID != s.meta.Txn.ID {
			return &LockConflictError{Intents: []Intent{{Key: append([]byte(nil), userKey...), Txn: s.meta.Txn}}}
		}
		if txn.Epoch < s.meta.Txn.Epoch {
			return fmt.Errorf("%w: write at epoch %d over intent of epoch %d on %s",
				ErrTxnEpochRegression, txn.Epoch, s.meta.Txn.Epoch, FormatKey(userKey))
		}
		if txn.Epoch == s.meta.Txn.Epoch && txn.Sequence < s.meta.Txn.Sequence {
			return fmt.Errorf("%w: write at sequence %d over intent at sequence %d on %s",
				ErrTxnSequenceRegression, txn.Sequence, s.meta.Txn.Sequence, FormatKey(userKey))
		}
	}
	if s.meta != nil {
		ts = ts.Forward(s.meta.Txn.WriteTimestamp)
	}
	if s.hasCommitted && ts.LessEq(s.committedTs) {
		return &WriteTooOldError{Key: append([]byte(nil), userKey...), Timestamp: ts,
			ExistingTimestamp: s.committedTs, ActualTimestamp: s.committedTs.Next()}
	}
	return nil
}

// setVersion writes userKey@ts with the engine form of val (a tombstone
// if tomb). On a Batch it encodes straight into the batch.
func setVersion(pw pebbleWriter, userKey []byte, ts hlc.Timestamp, val []byte, tomb bool) error {
	vlen := 0
	if !tomb {
		vlen = len(val) + 1
	}
	if b, ok := pw.(*pebble.Batch); ok {
		op := b.SetDeferred(len(userKey)+1+versionedSuffix, vlen)
		EncodeMVCCKey(op.Key[:0], userKey, ts)
		if !tomb {
			op.Value[0] = valueTag
			copy(op.Value[1:], val)
		}
		return op.Finish()
	}
	var raw []byte
	if !tomb {
		raw = encodeMVCCValue(make([]byte, 0, vlen), val)
	}
	return pw.Set(EncodeMVCCKey(nil, userKey, ts), raw, pebble.NoSync)
}

// writeVersion lays the new newest version of userKey at ts (val, or a
// tombstone) given the checked state st, and the intent if txn is set.
func writeVersion(pw pebbleWriter, userKey []byte, ts hlc.Timestamp, val []byte, tomb bool, txn *TxnMeta, st *keyState, ms *MVCCStats) error {
	rawLen := 0
	if !tomb {
		rawLen = len(val) + 1
	}
	if st.meta != nil {
		// Replacing our own intent.
		old := st.meta
		newMeta := intentMeta{Txn: *txn}
		if !old.Txn.WriteTimestamp.Less(ts) {
			newMeta.Txn.WriteTimestamp = old.Txn.WriteTimestamp
		}
		if old.Txn.Epoch == txn.Epoch {
			newMeta.History = old.History
			if old.Txn.Sequence < txn.Sequence {
				v, otomb, _ := decodeMVCCValue(st.provisional)
				newMeta.History = append(newMeta.History[:len(newMeta.History):len(newMeta.History)],
					intentHistoryEntry{Sequence: old.Txn.Sequence, Tombstone: otomb, Value: v})
			}
		}
		if newMeta.Txn.WriteTimestamp != old.Txn.WriteTimestamp {
			if err := pw.Delete(EncodeMVCCKey(nil, userKey, old.Txn.WriteTimestamp), pebble.NoSync); err != nil {
				return err
			}
		}
		if err := setVersion(pw, userKey, newMeta.Txn.WriteTimestamp, val, tomb); err != nil {
			return err
		}
		enc := newMeta.encode(nil)
		if err := pw.Set(lockEngineKey(userKey), enc, pebble.NoSync); err != nil {
			return err
		}
		ms.addVersion(len(st.provisional), -1)
		ms.addLiveLen(userKey, len(st.provisional), -1)
		ms.addVersion(rawLen, 1)
		ms.addLiveLen(userKey, rawLen, 1)
		ms.addIntent(userKey, st.metaLen, -1)
		ms.addIntent(userKey, len(enc), 1)
		return nil
	}
	if err := setVersion(pw, userKey, ts, val, tomb); err != nil {
		return err
	}
	if !st.anyVersion() {
		ms.addKey(userKey, 1)
	}
	if st.hasCommitted {
		ms.addLiveLen(userKey, st.committedLen, -1)
	}
	ms.addVersion(rawLen, 1)
	ms.addLiveLen(userKey, rawLen, 1)
	if txn != nil {
		enc := (&intentMeta{Txn: *txn}).encode(nil)
		if err := pw.Set(lockEngineKey(userKey), enc, pebble.NoSync); err != nil {
			return err
		}
		ms.addIntent(userKey, len(enc), 1)
	}
	return nil
}

// prepareWrite validates inputs and loads the key's state.
func prepareWrite(rw ReadWriter, key []byte, ts hlc.Timestamp, value []byte, opts *MVCCWriteOptions, loadValues bool) (pebbleWriter, keyState, error) {
	var st keyState
	if err := checkMVCCKey(key); err != nil {
		return nil, st, err
	}
	if err := checkValue(value); err != nil {
		return nil, st, err
	}
	if err := checkTimestamp(ts); err != nil {
		return nil, st, err
	}
	if err := checkTxn(opts.Txn, ts); err != nil {
		return nil, st, err
	}
	pw, err := rw.pebbleWriter()
	if err != nil {
		return nil, st, err
	}
	st, err = loadKeyState(rw, key, loadValues)
	if err != nil {
		return nil, st, err
	}
	if err := st.checkWrite(key, ts, opts.Txn); err != nil {
		return nil, st, err
	}
	return pw, st, nil
}

// MVCCPut writes value to key at ts. With opts.Txn it lays (or rewrites)
// the txn's intent. Errors: *LockConflictError if another txn's intent is
// on the key, *WriteTooOldError if a committed version at >= ts exists.
func MVCCPut(rw ReadWriter, key []byte, ts hlc.Timestamp, value []byte, opts MVCCWriteOptions) error {
	pw, st, err := prepareWrite(rw, key, ts, value, &opts, false)
	if err != nil {
		return err
	}
	return writeVersion(pw, key, ts, value, false, opts.Txn, &st, opts.Stats)
}

// MVCCDelete writes a tombstone on key at ts; found reports whether a live
// value (visible to the writer) was deleted. Errors as MVCCPut.
func MVCCDelete(rw ReadWriter, key []byte, ts hlc.Timestamp, opts MVCCWriteOptions) (found bool, err error) {
	pw, st, err := prepareWrite(rw, key, ts, nil, &opts, false)
	if err != nil {
		return false, err
	}
	_, found = st.visibleToWriter(opts.Txn)
	return found, writeVersion(pw, key, ts, nil, true, opts.Txn, &st, opts.Stats)
}

// MVCCConditionalPut writes value if the current value (as the writer sees
// it) equals expected; expected == nil means "the key must have no live
// value". Otherwise it returns *ConditionFailedError and writes nothing.
// Conflicts and write-too-old are checked first.
func MVCCConditionalPut(rw ReadWriter, key []byte, ts hlc.Timestamp, value, expected []byte, opts MVCCWriteOptions) error {
	pw, st, err := prepareWrite(rw, key, ts, value, &opts, true)
	if err != nil {
		return err
	}
	cur, ok := st.visibleToWriter(opts.Txn)
	if ok != (expected != nil) || (ok && string(cur) != string(expected)) {
		e := &ConditionFailedError{Key: append([]byte(nil), key...), HasValue: ok}
		if ok {
			e.ActualValue = append([]byte{}, cur...)
		}
		return e
	}
	return writeVersion(pw, key, ts, value, false, opts.Txn, &st, opts.Stats)
}

// EncodeInt is the value form MVCCIncrement reads and writes: 8 bytes,
// big-endian two's complement.
func EncodeInt(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// DecodeInt reads a value written by EncodeInt.
func DecodeInt(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: %d bytes", ErrNotAnInteger, len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// MVCCIncrement adds inc to the integer at key (absent counts as 0) and
// returns the new value.
func MVCCIncrement(rw ReadWriter, key []byte, ts hlc.Timestamp, inc int64, opts MVCCWriteOptions) (int64, error) {
	pw, st, err := prepareWrite(rw, key, ts, nil, &opts, true)
	if err != nil {
		return 0, err
	}
	var cur int64
	if v, ok := st.visibleToWriter(opts.Txn); ok {
		if cur, err = DecodeInt(v); err != nil {
			return 0, fmt.Errorf("increment %s: %w", FormatKey(key), err)
		}
	}
	if (inc > 0 && cur > math.MaxInt64-inc) || (inc < 0 && cur < math.MinInt64-inc) {
		return 0, fmt.Errorf("%w: %d + %d on %s", ErrIntegerOverflow, cur, inc, FormatKey(key))
	}
	n := cur + inc
	return n, writeVersion(pw, key, ts, EncodeInt(n), false, opts.Txn, &st, opts.Stats)
}
