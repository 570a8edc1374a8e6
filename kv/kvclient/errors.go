package kvclient

import "errors"

var (
	// ErrClosed is returned by a Client used after Close.
	ErrClosed = errors.New("kvclient: client closed")
	// ErrUnavailable is returned when no node served the request before
	// the context's deadline (every node down, no quorum, no leaseholder).
	// The request may or may not have been applied if it was a write.
	ErrUnavailable = errors.New("kvclient: unavailable")
	// ErrAmbiguousResult is returned for a non-idempotent write (CPut,
	// Inc) whose outcome is unknown: it was sent but no answer came back.
	ErrAmbiguousResult = errors.New("kvclient: ambiguous result")
)
