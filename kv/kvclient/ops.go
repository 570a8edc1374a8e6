package kvclient

import (
	"context"
	"fmt"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// KeyValue is one row of a Scan.
type KeyValue struct {
	Key   []byte
	Value []byte
}

// ErrBadResponse is returned when a node's response does not match the
// request (a bug or a version mismatch).
var ErrBadResponse = fmt.Errorf("kvclient: malformed response")

func (c *Client) one(ctx context.Context, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	br, err := c.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{req}})
	if err != nil {
		return nil, err
	}
	if len(br.GetResponses()) != 1 {
		return nil, fmt.Errorf("%w: %d responses to 1 request", ErrBadResponse, len(br.GetResponses()))
	}
	return br.GetResponses()[0], nil
}

// Get returns the newest value of key; found is false when it has none.
func (c *Client) Get(ctx context.Context, key []byte) (value []byte, found bool, err error) {
	r, err := c.one(ctx, kvpb.NewGet(key))
	if err != nil {
		return nil, false, err
	}
	g := r.GetGet()
	if g == nil {
		return nil, false, fmt.Errorf("%w: get answered with %T", ErrBadResponse, r.GetValue())
	}
	return g.GetValue(), g.GetFound(), nil
}

// Put writes key=value.
func (c *Client) Put(ctx context.Context, key, value []byte) error {
	_, err := c.one(ctx, kvpb.NewPut(key, value))
	return err
}

// CPut writes key=value if the current value is exp (exp nil: if the key
// has no value); otherwise it fails with *kvpb.ConditionFailedError. An
// unknown outcome is ErrAmbiguousResult (never retried blindly).
func (c *Client) CPut(ctx context.Context, key, value, exp []byte) error {
	_, err := c.one(ctx, kvpb.NewConditionalPut(key, value, exp))
	return err
}

// Inc adds delta to the integer at key (missing: 0) and returns the new
// value. An unknown outcome is ErrAmbiguousResult.
func (c *Client) Inc(ctx context.Context, key []byte, delta int64) (int64, error) {
	r, err := c.one(ctx, kvpb.NewIncrement(key, delta))
	if err != nil {
		return 0, err
	}
	inc := r.GetIncrement()
	if inc == nil {
		return 0, fmt.Errorf("%w: increment answered with %T", ErrBadResponse, r.GetValue())
	}
	return inc.GetNewValue(), nil
}

// Delete removes key's value (a tombstone version).
func (c *Client) Delete(ctx context.Context, key []byte) error {
	_, err := c.one(ctx, kvpb.NewDelete(key))
	return err
}

// DeleteRange removes every value in [start, end) and returns how many.
func (c *Client) DeleteRange(ctx context.Context, start, end []byte) (int64, error) {
	r, err := c.one(ctx, kvpb.NewDeleteRange(start, end))
	if err != nil {
		return 0, err
	}
	dr := r.GetDeleteRange()
	if dr == nil {
		return 0, fmt.Errorf("%w: delete range answered with %T", ErrBadResponse, r.GetValue())
	}
	return dr.GetNumDeleted(), nil
}

// Scan returns the live keys in [start, end) in order, at most maxKeys
// (0: all), following resume spans until done.
func (c *Client) Scan(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error) {
	var out []KeyValue
	for {
		limit := int64(0)
		if maxKeys > 0 {
			limit = maxKeys - int64(len(out))
		}
		r, err := c.one(ctx, kvpb.NewScan(start, end, limit))
		if err != nil {
			return nil, err
		}
		sr := r.GetScan()
		if sr == nil {
			return nil, fmt.Errorf("%w: scan answered with %T", ErrBadResponse, r.GetValue())
		}
		for _, kv := range sr.GetRows() {
			out = append(out, KeyValue{Key: kv.GetKey(), Value: kv.GetValue()})
		}
		rs := sr.GetResumeSpan()
		if rs == nil || (maxKeys > 0 && int64(len(out)) >= maxKeys) {
			return out, nil
		}
		if len(sr.GetRows()) == 0 && string(rs.GetKey()) == string(start) {
			return nil, fmt.Errorf("%w: scan made no progress at %q", ErrBadResponse, start)
		}
		start, end = rs.GetKey(), rs.GetEndKey()
	}
}
