package storage

import (
	"bytes"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
)

func logError(msg string) { slog.Error("pebble", "msg", msg) }

func compareBytes(a, b []byte) int { return bytes.Compare(a, b) }

// isVersioned reports whether an engine key carries a timestamp.
func isVersioned(ek []byte) bool { return splitKey(ek) < len(ek) }

func skipVersioned(ek []byte) bool { return isVersioned(ek) }
func skipRaw(ek []byte) bool       { return !isVersioned(ek) }

// RawIterator walks unversioned keys in user-key order. Key and Value are
// valid only until the next positioning call; copy them to keep them.
type RawIterator struct {
	it    *pebble.Iterator
	lower []byte // engine form
	err   error
}

func newRawIterator(r Reader, lower, upper []byte) (*RawIterator, error) {
	pr, err := r.pebbleReader()
	if err != nil {
		return nil, err
	}
	opts := &pebble.IterOptions{SkipPoint: skipVersioned}
	if lower != nil {
		opts.LowerBound = EncodeRawKey(nil, lower)
	}
	if upper != nil {
		opts.UpperBound = EncodeRawKey(nil, upper)
	}
	if lower != nil && upper != nil && bytes.Compare(lower, upper) > 0 {
		return nil, fmt.Errorf("%w: iterator bounds inverted", ErrInvalidKey)
	}
	it, err := pr.NewIter(opts)
	if err != nil {
		return nil, fmt.Errorf("storage: new iterator: %w", err)
	}
	return &RawIterator{it: it, lower: opts.LowerBound}, nil
}

// SeekGE positions at the first key >= key.
func (i *RawIterator) SeekGE(key []byte) bool { return i.it.SeekGE(EncodeRawKey(nil, key)) }

// SeekLT positions at the last key < key.
func (i *RawIterator) SeekLT(key []byte) bool { return i.it.SeekLT(EncodeRawKey(nil, key)) }

// First positions at the first key.
func (i *RawIterator) First() bool { return i.it.First() }

// Last positions at the last key.
func (i *RawIterator) Last() bool { return i.it.Last() }

// Next moves forward.
func (i *RawIterator) Next() bool { return i.it.Next() }

// Prev moves backward.
func (i *RawIterator) Prev() bool { return i.it.Prev() }

// Valid reports whether the iterator is positioned at a key.
func (i *RawIterator) Valid() bool { return i.it.Valid() }

// Key is the current user key (aliases the iterator's buffer).
func (i *RawIterator) Key() []byte {
	k := i.it.Key()
	return k[:len(k)-1]
}

// Value is the current value (aliases the iterator's buffer).
func (i *RawIterator) Value() []byte {
	v, err := i.it.ValueAndErr()
	if err != nil {
		i.err = err
		return nil
	}
	return v
}

// Error returns the first error met while iterating.
func (i *RawIterator) Error() error {
	if i.err != nil {
		return i.err
	}
	return i.it.Error()
}

// Close releases the iterator and returns its error, if any.
func (i *RawIterator) Close() error {
	err := i.it.Close()
	if i.err != nil {
		return i.err
	}
	return err
}

// EngineIterator walks every engine key (raw keys and all MVCC versions)
// whose user key is in [lower, upper), in engine order. It is the way to
// copy a span byte for byte (e.g. a range snapshot: iterate the range's
// data span, its lock-table span LockTableKey(start)..LockTableKey(end),
// and its range-local span, and write each pair with PutEngineKey).
// Key and Value are valid until the next positioning call.
type EngineIterator struct {
	it *pebble.Iterator
}

// NewEngineIterator returns an EngineIterator over [lower, upper); both
// bounds are required.
func NewEngineIterator(r Reader, lower, upper []byte) (*EngineIterator, error) {
	if err := checkSpan(lower, upper); err != nil {
		return nil, err
	}
	pr, err := r.pebbleReader()
	if err != nil {
		return nil, err
	}
	it, err := pr.NewIter(&pebble.IterOptions{
		LowerBound: EncodeRawKey(nil, lower),
		UpperBound: EncodeRawKey(nil, upper),
	})
	if err != nil {
		return nil, fmt.Errorf("storage: new iterator: %w", err)
	}
	return &EngineIterator{it: it}, nil
}

// First positions at the first key.
func (i *EngineIterator) First() bool { return i.it.First() }

// Next moves forward.
func (i *EngineIterator) Next() bool { return i.it.Next() }

// Valid reports whether the iterator is positioned at a key.
func (i *EngineIterator) Valid() bool { return i.it.Valid() }

// EngineKey is the current engine key (decode with DecodeEngineKey).
func (i *EngineIterator) EngineKey() []byte { return i.it.Key() }

// Value is the current engine value.
func (i *EngineIterator) Value() ([]byte, error) { return i.it.ValueAndErr() }

// Error returns the iterator's error, if any.
func (i *EngineIterator) Error() error { return i.it.Error() }

// Close releases the iterator.
func (i *EngineIterator) Close() error { return i.it.Close() }

// PutEngineKey writes an engine key/value pair as read from an
// EngineIterator (no MVCC checks, no stats: the caller copies stats along).
func PutEngineKey(w Writer, engineKey, value []byte) error {
	uk, _, err := DecodeEngineKey(engineKey)
	if err != nil {
		return err
	}
	if err := checkKey(uk); err != nil {
		return err
	}
	if err := checkValue(value); err != nil {
		return err
	}
	pw, err := w.pebbleWriter()
	if err != nil {
		return err
	}
	return pw.Set(engineKey, value, pebble.NoSync)
}
