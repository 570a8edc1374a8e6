package batcheval

import (
	"errors"
	"fmt"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/concurrency/spanlatch"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
)

// Args is what a command evaluates against.
type Args struct {
	// RW is the engine (reads) or a batch over it (writes).
	RW storage.ReadWriter
	// Timestamp is the batch's MVCC timestamp.
	Timestamp hlc.Timestamp
	// Stats accumulates the MVCC stats delta of writes (may be nil).
	Stats *storage.MVCCStats
}

// command is one request type: the latches it needs and its evaluation.
type command struct {
	declare func(req *kvpb.RequestUnion) spanlatch.Span
	eval    func(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error)
}

func commandFor(req *kvpb.RequestUnion) (command, error) {
	switch req.GetValue().(type) {
	case *kvpb.RequestUnion_Get:
		return getCmd, nil
	case *kvpb.RequestUnion_Scan:
		return scanCmd, nil
	case *kvpb.RequestUnion_ReverseScan:
		return reverseScanCmd, nil
	case *kvpb.RequestUnion_Put:
		return putCmd, nil
	case *kvpb.RequestUnion_ConditionalPut:
		return conditionalPutCmd, nil
	case *kvpb.RequestUnion_Increment:
		return incrementCmd, nil
	case *kvpb.RequestUnion_Delete:
		return deleteCmd, nil
	case *kvpb.RequestUnion_DeleteRange:
		return deleteRangeCmd, nil
	}
	return command{}, &kvpb.InvalidRequestError{Reason: fmt.Sprintf("unknown request type %T", req.GetValue())}
}

// DeclareSpan returns the latch a request needs.
func DeclareSpan(req *kvpb.RequestUnion) (spanlatch.Span, error) {
	c, err := commandFor(req)
	if err != nil {
		return spanlatch.Span{}, err
	}
	return c.declare(req), nil
}

// Evaluate runs one request.
func Evaluate(a Args, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	c, err := commandFor(req)
	if err != nil {
		return nil, err
	}
	resp, err := c.eval(a, req)
	if err != nil {
		return nil, translate(err)
	}
	return resp, nil
}

func pointSpan(key []byte, acc spanlatch.Access) spanlatch.Span {
	return spanlatch.Span{Key: key, Access: acc}
}

// translate maps storage errors to their wire form.
func translate(err error) error {
	var cfe *storage.ConditionFailedError
	var wto *storage.WriteTooOldError
	switch {
	case errors.As(err, &cfe):
		return &kvpb.ConditionFailedError{Key: cfe.Key, HasValue: cfe.HasValue, ActualValue: cfe.ActualValue}
	case errors.As(err, &wto):
		return &kvpb.WriteTooOldError{Key: wto.Key, Timestamp: kvpb.TS(wto.Timestamp), ActualTimestamp: kvpb.TS(wto.ActualTimestamp)}
	case errors.Is(err, storage.ErrEmptyKey), errors.Is(err, storage.ErrKeyTooLarge),
		errors.Is(err, storage.ErrValueTooLarge), errors.Is(err, storage.ErrInvalidKey),
		errors.Is(err, storage.ErrZeroTimestamp), errors.Is(err, storage.ErrNotAnInteger),
		errors.Is(err, storage.ErrIntegerOverflow):
		return fmt.Errorf("%w (%w)", &kvpb.InvalidRequestError{Reason: err.Error()}, err)
	}
	return err
}

func toKVs(in []storage.KeyValue) []*kvpb.KeyValue {
	out := make([]*kvpb.KeyValue, len(in))
	for i, kv := range in {
		out[i] = &kvpb.KeyValue{Key: kv.Key, Value: kv.Value.Value, Timestamp: kvpb.TS(kv.Value.Timestamp)}
	}
	return out
}

func toSpan(s *storage.Span) *kvpb.Span {
	if s == nil {
		return nil
	}
	return &kvpb.Span{Key: s.Key, EndKey: s.EndKey}
}
