package storage

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tesseradb/tessera/hlc"
)

// Sentinel errors. Every error returned by this package for bad input or an
// MVCC conflict matches one of these with errors.Is; the structured ones
// below also match with errors.As.
var (
	// ErrEmptyKey: a write or read was given an empty key.
	ErrEmptyKey = errors.New("storage: empty key")
	// ErrKeyTooLarge: a key is longer than MaxKeySize.
	ErrKeyTooLarge = errors.New("storage: key too large")
	// ErrValueTooLarge: a value is longer than MaxValueSize.
	ErrValueTooLarge = errors.New("storage: value too large")
	// ErrInvalidKey: an MVCC key lies in the reserved lock-table space, or a
	// span is empty or inverted.
	ErrInvalidKey = errors.New("storage: invalid key")
	// ErrZeroTimestamp: an MVCC operation was given the zero timestamp.
	ErrZeroTimestamp = errors.New("storage: zero timestamp")
	// ErrInvalidTxn: a transaction is malformed (zero ID, or its write
	// timestamp differs from the operation's).
	ErrInvalidTxn = errors.New("storage: invalid transaction")
	// ErrCorruptKey / ErrCorruptValue: data read from the engine does not
	// decode. This is fatal for the store.
	ErrCorruptKey   = errors.New("storage: corrupt engine key")
	ErrCorruptValue = errors.New("storage: corrupt engine value")
	// ErrClosed: the engine, batch or snapshot was already closed.
	ErrClosed = errors.New("storage: closed")
	// ErrInvalidBatch: a batch representation does not decode.
	ErrInvalidBatch = errors.New("storage: invalid batch representation")

	// ErrWriteTooOld matches *WriteTooOldError.
	ErrWriteTooOld = errors.New("storage: write too old")
	// ErrUncertainty matches *ReadWithinUncertaintyIntervalError.
	ErrUncertainty = errors.New("storage: read within uncertainty interval")
	// ErrLockConflict matches *LockConflictError.
	ErrLockConflict = errors.New("storage: conflicting intents")
	// ErrConditionFailed matches *ConditionFailedError.
	ErrConditionFailed = errors.New("storage: condition failed")
	// ErrIntentNotFound matches *IntentNotFoundError.
	ErrIntentNotFound = errors.New("storage: intent not found")
	// ErrNotAnInteger: MVCCIncrement found a value that is not an 8-byte integer.
	ErrNotAnInteger = errors.New("storage: value is not an integer")
	// ErrIntegerOverflow: MVCCIncrement would overflow int64.
	ErrIntegerOverflow = errors.New("storage: integer overflow")
	// ErrTxnEpochRegression / ErrTxnSequenceRegression: a transaction wrote
	// with an epoch or sequence older than its existing intent.
	ErrTxnEpochRegression    = errors.New("storage: transaction epoch regression")
	ErrTxnSequenceRegression = errors.New("storage: transaction sequence regression")
)

// WriteTooOldError: a write at Timestamp found a committed version at
// ExistingTimestamp >= Timestamp. Nothing was written; retry at
// ActualTimestamp (ExistingTimestamp.Next()).
type WriteTooOldError struct {
	Key               []byte
	Timestamp         hlc.Timestamp
	ExistingTimestamp hlc.Timestamp
	ActualTimestamp   hlc.Timestamp
}

func (e *WriteTooOldError) Error() string {
	return fmt.Sprintf("write too old: write at %s on %s found version at %s; retry at %s",
		e.Timestamp, FormatKey(e.Key), e.ExistingTimestamp, e.ActualTimestamp)
}
func (e *WriteTooOldError) Is(target error) bool { return target == ErrWriteTooOld }

// ReadWithinUncertaintyIntervalError: a read at ReadTimestamp found a value
// at ValueTimestamp in (ReadTimestamp, UncertaintyLimit]. The reader must
// restart at a timestamp >= ValueTimestamp.
type ReadWithinUncertaintyIntervalError struct {
	Key              []byte
	ReadTimestamp    hlc.Timestamp
	UncertaintyLimit hlc.Timestamp
	ValueTimestamp   hlc.Timestamp
}

func (e *ReadWithinUncertaintyIntervalError) Error() string {
	return fmt.Sprintf("read at %s within uncertainty interval (limit %s): value on %s at %s",
		e.ReadTimestamp, e.UncertaintyLimit, FormatKey(e.Key), e.ValueTimestamp)
}
func (e *ReadWithinUncertaintyIntervalError) Is(target error) bool { return target == ErrUncertainty }

// Intent describes an intent found by an operation.
type Intent struct {
	Key []byte
	Txn TxnMeta
}

// LockConflictError lists intents of other transactions that block an
// operation.
type LockConflictError struct {
	Intents []Intent
}

func (e *LockConflictError) Error() string {
	var b strings.Builder
	b.WriteString("conflicting intents on ")
	for i, in := range e.Intents {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (txn %s)", FormatKey(in.Key), in.Txn.ID.Short())
	}
	return b.String()
}
func (e *LockConflictError) Is(target error) bool { return target == ErrLockConflict }

// ConditionFailedError: MVCCConditionalPut found a value other than the
// expected one. ActualValue is nil when the key has no live value.
type ConditionFailedError struct {
	Key         []byte
	ActualValue []byte
	HasValue    bool
}

func (e *ConditionFailedError) Error() string {
	if !e.HasValue {
		return fmt.Sprintf("condition failed on %s: no value", FormatKey(e.Key))
	}
	return fmt.Sprintf("condition failed on %s: actual value %q", FormatKey(e.Key), e.ActualValue)
}
func (e *ConditionFailedError) Is(target error) bool { return target == ErrConditionFailed }

// IntentNotFoundError: a resolve named a key with no intent of that
// transaction (never written, or already resolved).
type IntentNotFoundError struct {
	Key   []byte
	TxnID TxnID
}

func (e *IntentNotFoundError) Error() string {
	return fmt.Sprintf("no intent of txn %s on %s", e.TxnID.Short(), FormatKey(e.Key))
}
func (e *IntentNotFoundError) Is(target error) bool { return target == ErrIntentNotFound }
