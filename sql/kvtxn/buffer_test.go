package kvtxn

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// recTxn records the calls a bufTxn makes, in order; reads return the
// keys written so far.
type recTxn struct {
	calls []string
	data  map[string]string
}

func (r *recTxn) log(f string, args ...any) { r.calls = append(r.calls, fmt.Sprintf(f, args...)) }

func (r *recTxn) Get(_ context.Context, key []byte) ([]byte, bool, error) {
	r.log("get %s", key)
	v, ok := r.data[string(key)]
	return []byte(v), ok, nil
}
func (r *recTxn) Scan(_ context.Context, start, end []byte, _ int64) ([]KeyValue, error) {
	r.log("scan %s-%s", start, end)
	return nil, nil
}
func (r *recTxn) ReverseScan(ctx context.Context, start, end []byte, n int64) ([]KeyValue, error) {
	return r.Scan(ctx, start, end, n)
}
func (r *recTxn) Put(_ context.Context, key, value []byte) error {
	r.data[string(key)] = string(value)
	r.log("put %s", key)
	return nil
}
func (r *recTxn) CPut(ctx context.Context, key, value, _ []byte) error { return r.Put(ctx, key, value) }
func (r *recTxn) Del(_ context.Context, keys ...[]byte) error          { return nil }
func (r *recTxn) DelRange(_ context.Context, _, _ []byte) error        { return nil }
func (r *recTxn) Inc(_ context.Context, _ []byte, _ int64) (int64, error) {
	return 0, nil
}
func (r *recTxn) Commit(context.Context) error   { r.log("commit"); return nil }
func (r *recTxn) Rollback(context.Context) error { r.log("rollback"); return nil }
func (r *recTxn) RunWrites(_ context.Context, ws []Write) error {
	r.log("writes %s", keysOf(r, ws))
	return nil
}
func (r *recTxn) CommitWith(_ context.Context, ws []Write) error {
	r.log("commit with %s", keysOf(r, ws))
	return nil
}

func keysOf(r *recTxn, ws []Write) string {
	var ks []string
	for _, w := range ws {
		r.data[string(w.Key)] = string(w.Value)
		ks = append(ks, string(w.Key))
	}
	return strings.Join(ks, ",")
}

// TestBufferedReadOfOtherKey: a Get of a key no buffered write touches
// (the catalog's generation check before commit) keeps the writes
// buffered, so they go out with the commit (one phase); a Get of a
// buffered key, and any scan, sends them first so the read sees them.
func TestBufferedReadOfOtherKey(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func(Txn) error
		want string
	}{
		{"other key", func(b Txn) error {
			if err := b.Put(ctx, []byte("a"), []byte("1")); err != nil {
				return err
			}
			if _, _, err := b.Get(ctx, []byte("gen")); err != nil {
				return err
			}
			return b.Commit(ctx)
		}, "get gen|commit with a"},
		{"own key", func(b Txn) error {
			if err := b.Put(ctx, []byte("a"), []byte("1")); err != nil {
				return err
			}
			v, ok, err := b.Get(ctx, []byte("a"))
			if err != nil {
				return err
			}
			if !ok || string(v) != "1" {
				return fmt.Errorf("read of a buffered key got %q, %v; want its write", v, ok)
			}
			return b.Commit(ctx)
		}, "writes a|get a|commit"},
		{"scan", func(b Txn) error {
			if err := b.Put(ctx, []byte("a"), []byte("1")); err != nil {
				return err
			}
			if _, err := b.Scan(ctx, []byte("x"), []byte("y"), 0); err != nil {
				return err
			}
			return b.Commit(ctx)
		}, "writes a|scan x-y|commit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recTxn{data: map[string]string{}}
			if err := tc.run(BufferWrites(r)); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.calls, "|"); got != tc.want {
				t.Fatalf("calls %q, want %q", got, tc.want)
			}
		})
	}
}
