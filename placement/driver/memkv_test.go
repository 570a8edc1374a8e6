package driver

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"sync"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// memKV is an in-memory KV with conditional puts; down makes every call
// fail (a node cut off from the cluster).
type memKV struct {
	mu   sync.Mutex
	m    map[string][]byte
	down bool
}

var errDown = errors.New("memkv: unreachable")

func newMemKV() *memKV { return &memKV{m: map[string][]byte{}} }

func (k *memKV) Get(_ context.Context, key []byte) ([]byte, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		return nil, false, errDown
	}
	v, ok := k.m[string(key)]
	return v, ok, nil
}

func (k *memKV) Put(_ context.Context, key, value []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		return errDown
	}
	k.m[string(key)] = append([]byte(nil), value...)
	return nil
}

func (k *memKV) CPut(_ context.Context, key, value, exp []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		return errDown
	}
	cur, ok := k.m[string(key)]
	if (exp == nil && ok) || (exp != nil && (!ok || !bytes.Equal(cur, exp))) {
		return &kvpb.ConditionFailedError{Key: key, HasValue: ok, ActualValue: cur}
	}
	k.m[string(key)] = append([]byte(nil), value...)
	return nil
}

func (k *memKV) Scan(_ context.Context, start, end []byte) ([]KeyValue, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		return nil, errDown
	}
	var out []KeyValue
	for key, v := range k.m {
		if key >= string(start) && key < string(end) {
			out = append(out, KeyValue{Key: []byte(key), Value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Key, out[j].Key) < 0 })
	return out, nil
}

// view is a KV that shares another's data but can be cut off alone.
type view struct {
	*memKV
	cut bool
}

func (v *view) check() error {
	if v.cut {
		return errDown
	}
	return nil
}
func (v *view) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	if err := v.check(); err != nil {
		return nil, false, err
	}
	return v.memKV.Get(ctx, key)
}
func (v *view) CPut(ctx context.Context, key, value, exp []byte) error {
	if err := v.check(); err != nil {
		return err
	}
	return v.memKV.CPut(ctx, key, value, exp)
}
