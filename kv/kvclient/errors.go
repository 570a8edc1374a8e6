package kvclient

import "errors"

var (
	// ErrClosed is returned by a DB used after Close.
	ErrClosed = errors.New("kvclient: client closed")
	// ErrUnavailable is returned when no node served the request before
	// the context's deadline (every node down, no quorum, no leaseholder).
	// The request may or may not have been applied if it was a write. It
	// wraps the *kvpb.UnavailableError.
	ErrUnavailable = errors.New("kvclient: unavailable")
	// ErrAmbiguousResult is returned for a non-idempotent write (CPut,
	// Inc, a transaction's commit) whose outcome is unknown: it may have
	// been sent but no answer came back. It wraps the
	// *kvpb.AmbiguousResultError.
	ErrAmbiguousResult = errors.New("kvclient: ambiguous result")
)
