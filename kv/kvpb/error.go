package kvpb

import (
	"errors"
	"fmt"
)

// The detail messages implement error, so code uses errors.As on them:
//
//	var nle *kvpb.NotLeaseholderError
//	if errors.As(err, &nle) { … nle.GetLeaseholder() … }
//
// (*Error).GoError turns a wire Error back into the detail error; NewError
// does the reverse.

func (e *NotLeaseholderError) Error() string {
	if lh := e.GetLeaseholder(); lh != nil {
		return fmt.Sprintf("r%d: replica %d not leaseholder; leaseholder is replica %d on n%d/s%d",
			e.GetRangeId(), e.GetReplica().GetReplicaId(), lh.GetReplicaId(), lh.GetNodeId(), lh.GetStoreId())
	}
	return fmt.Sprintf("r%d: replica %d not leaseholder; leaseholder unknown", e.GetRangeId(), e.GetReplica().GetReplicaId())
}

func (e *RangeKeyMismatchError) Error() string {
	return fmt.Sprintf("key range %q-%q outside the range addressed (%d descriptors known)",
		e.GetRequestStartKey(), e.GetRequestEndKey(), len(e.GetRanges()))
}

func (e *RangeNotFoundError) Error() string {
	return fmt.Sprintf("r%d was not found on s%d", e.GetRangeId(), e.GetStoreId())
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("r%d unavailable: %s", e.GetRangeId(), e.GetReason())
}

func (e *AmbiguousResultError) Error() string {
	return fmt.Sprintf("r%d: result is ambiguous: %s", e.GetRangeId(), e.GetReason())
}

func (e *ConditionFailedError) Error() string {
	if !e.GetHasValue() {
		return fmt.Sprintf("condition failed on %q: key has no value", e.GetKey())
	}
	return fmt.Sprintf("condition failed on %q: actual value %q", e.GetKey(), e.GetActualValue())
}

func (e *WriteTooOldError) Error() string {
	return fmt.Sprintf("write at %s on %q too old; retry at %s",
		e.GetTimestamp().HLC(), e.GetKey(), e.GetActualTimestamp().HLC())
}

func (e *InvalidRequestError) Error() string { return "invalid request: " + e.GetReason() }

func (e *ClockOffsetError) Error() string {
	return fmt.Sprintf("remote clock %s is more than %dns ahead of local clock %s",
		e.GetRemote().HLC(), e.GetMaxOffsetNanos(), e.GetLocal().HLC())
}

func (e *StoreNotFoundError) Error() string { return fmt.Sprintf("s%d not found", e.GetStoreId()) }

// ErrGeneric is what GoError returns (wrapped) for an Error without detail.
var ErrGeneric = errors.New("kv error")

// GoError returns the error the wire Error stands for: the detail message
// (which implements error), or a generic error wrapping ErrGeneric.
func (e *Error) GoError() error {
	if e == nil {
		return nil
	}
	switch d := e.GetDetail().(type) {
	case *Error_NotLeaseholder:
		return d.NotLeaseholder
	case *Error_RangeKeyMismatch:
		return d.RangeKeyMismatch
	case *Error_RangeNotFound:
		return d.RangeNotFound
	case *Error_Unavailable:
		return d.Unavailable
	case *Error_AmbiguousResult:
		return d.AmbiguousResult
	case *Error_ConditionFailed:
		return d.ConditionFailed
	case *Error_WriteTooOld:
		return d.WriteTooOld
	case *Error_InvalidRequest:
		return d.InvalidRequest
	case *Error_ClockOffset:
		return d.ClockOffset
	case *Error_StoreNotFound:
		return d.StoreNotFound
	case *Error_TransactionRetry:
		return e.withTxn(d.TransactionRetry)
	case *Error_TransactionAborted:
		return e.withTxn(d.TransactionAborted)
	case *Error_ReadWithinUncertainty:
		return e.withTxn(d.ReadWithinUncertainty)
	case *Error_WriteIntent:
		return e.withTxn(d.WriteIntent)
	case *Error_TransactionPush:
		return e.withTxn(d.TransactionPush)
	case *Error_TransactionStatus:
		return e.withTxn(d.TransactionStatus)
	case *Error_RefreshFailed:
		return e.withTxn(d.RefreshFailed)
	case *Error_GcThreshold:
		return d.GcThreshold
	case *Error_LockNotAvailable:
		return d.LockNotAvailable
	}
	return fmt.Errorf("%w: %s", ErrGeneric, e.GetMessage())
}

// withTxn attaches the wire error's txn (if any) to a transaction error.
func (e *Error) withTxn(err error) error {
	if e.GetTxn() == nil {
		return err
	}
	return &TxnError{Err: err, Txn: e.GetTxn()}
}

// NewError wraps err for the wire. A detail error anywhere in err's chain
// becomes the structured detail; anything else is generic (message only).
func NewError(err error) *Error {
	if err == nil {
		return nil
	}
	out := &Error{Message: err.Error(), Index: -1}
	var (
		nle *NotLeaseholderError
		rkm *RangeKeyMismatchError
		rnf *RangeNotFoundError
		una *UnavailableError
		amb *AmbiguousResultError
		cfe *ConditionFailedError
		wto *WriteTooOldError
		inv *InvalidRequestError
		coe *ClockOffsetError
		snf *StoreNotFoundError
		tre *TransactionRetryError
		tae *TransactionAbortedError
		rwu *ReadWithinUncertaintyIntervalError
		wie *WriteIntentError
		tpe *TransactionPushError
		tse *TransactionStatusError
		rfe *RefreshFailedError
		gce *BatchTimestampBeforeGCError
		lna *LockNotAvailableError
	)
	out.Txn = ErrorTxn(err)
	switch {
	case errors.As(err, &nle):
		out.Detail = &Error_NotLeaseholder{NotLeaseholder: nle}
	case errors.As(err, &rkm):
		out.Detail = &Error_RangeKeyMismatch{RangeKeyMismatch: rkm}
	case errors.As(err, &rnf):
		out.Detail = &Error_RangeNotFound{RangeNotFound: rnf}
	case errors.As(err, &una):
		out.Detail = &Error_Unavailable{Unavailable: una}
	case errors.As(err, &amb):
		out.Detail = &Error_AmbiguousResult{AmbiguousResult: amb}
	case errors.As(err, &cfe):
		out.Detail = &Error_ConditionFailed{ConditionFailed: cfe}
	case errors.As(err, &wto):
		out.Detail = &Error_WriteTooOld{WriteTooOld: wto}
	case errors.As(err, &inv):
		out.Detail = &Error_InvalidRequest{InvalidRequest: inv}
	case errors.As(err, &coe):
		out.Detail = &Error_ClockOffset{ClockOffset: coe}
	case errors.As(err, &snf):
		out.Detail = &Error_StoreNotFound{StoreNotFound: snf}
	case errors.As(err, &tre):
		out.Detail = &Error_TransactionRetry{TransactionRetry: tre}
	case errors.As(err, &tae):
		out.Detail = &Error_TransactionAborted{TransactionAborted: tae}
	case errors.As(err, &rwu):
		out.Detail = &Error_ReadWithinUncertainty{ReadWithinUncertainty: rwu}
	case errors.As(err, &wie):
		out.Detail = &Error_WriteIntent{WriteIntent: wie}
	case errors.As(err, &tpe):
		out.Detail = &Error_TransactionPush{TransactionPush: tpe}
	case errors.As(err, &tse):
		out.Detail = &Error_TransactionStatus{TransactionStatus: tse}
	case errors.As(err, &rfe):
		out.Detail = &Error_RefreshFailed{RefreshFailed: rfe}
	case errors.As(err, &gce):
		out.Detail = &Error_GcThreshold{GcThreshold: gce}
	case errors.As(err, &lna):
		out.Detail = &Error_LockNotAvailable{LockNotAvailable: lna}
	}
	return out
}

// NewErrorf returns a generic error with a formatted message.
func NewErrorf(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...), Index: -1}
}
