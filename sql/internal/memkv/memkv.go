// Package memkv is an in-memory transactional key-value store for the SQL
// layer's tests: it satisfies kvtxn.DB with optimistic serializable
// transactions (writes buffered until commit; at commit, a transaction
// whose read keys or scanned spans were written by a transaction that
// committed after it started fails with a retryable error). It stands in
// for the distributed KV layer in tests only; it is not a production store.
package memkv

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"sort"
	"sync"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/sql/kvtxn"
)

// DB is the store.
type DB struct {
	mu struct {
		sync.Mutex
		keys    []string // sorted
		vs      [][]byte // the values of keys, parallel to it
		vals    map[string][]byte
		seq     int64
		log     []commitRec // recent commits in seq order
		trimmed int64       // highest seq dropped from log
	}
}

type commitRec struct {
	seq  int64
	keys []string
}

// New returns an empty store.
func New() *DB {
	db := &DB{}
	db.mu.vals = map[string][]byte{}
	return db
}

// RetryError is the retryable conflict error.
type RetryError struct{ Key string }

func (e *RetryError) Error() string {
	return "restart transaction: read/write conflict on key " + e.Key
}

// TxnRetryable marks the error retryable.
func (e *RetryError) TxnRetryable() bool { return true }

// ErrDone is returned by a finished transaction.
var ErrDone = errors.New("memkv: transaction already finished")

// NewTxn starts a transaction.
func (db *DB) NewTxn(ctx context.Context) kvtxn.Txn {
	db.mu.Lock()
	defer db.mu.Unlock()
	return &Txn{db: db, start: db.mu.seq, writes: map[string][]byte{}, reads: map[string]bool{}}
}

// Inc increments a counter non-transactionally.
func (db *DB) Inc(ctx context.Context, key []byte, delta int64) (int64, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	v, err := decodeInt(db.mu.vals[string(key)], db.hasLocked(string(key)))
	if err != nil {
		return 0, err
	}
	v += delta
	db.mu.seq++
	db.putLocked(string(key), encodeInt(v))
	db.mu.log = append(db.mu.log, commitRec{seq: db.mu.seq, keys: []string{string(key)}})
	return v, nil
}

func encodeInt(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

func decodeInt(b []byte, found bool) (int64, error) {
	if !found {
		return 0, nil
	}
	if len(b) != 8 {
		return 0, errors.New("memkv: Inc on a non-counter value")
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func (db *DB) hasLocked(k string) bool { _, ok := db.mu.vals[k]; return ok }

func (db *DB) putLocked(k string, v []byte) {
	i := sort.SearchStrings(db.mu.keys, k)
	if _, ok := db.mu.vals[k]; !ok {
		db.mu.keys = append(db.mu.keys, "")
		copy(db.mu.keys[i+1:], db.mu.keys[i:])
		db.mu.keys[i] = k
		db.mu.vs = append(db.mu.vs, nil)
		copy(db.mu.vs[i+1:], db.mu.vs[i:])
	}
	db.mu.vs[i] = v
	db.mu.vals[k] = v
}

func (db *DB) delLocked(k string) {
	if _, ok := db.mu.vals[k]; !ok {
		return
	}
	delete(db.mu.vals, k)
	i := sort.SearchStrings(db.mu.keys, k)
	db.mu.keys = append(db.mu.keys[:i], db.mu.keys[i+1:]...)
	db.mu.vs = append(db.mu.vs[:i], db.mu.vs[i+1:]...)
}

// Txn is one transaction.
type Txn struct {
	db     *DB
	start  int64
	writes map[string][]byte // nil value = delete
	reads  map[string]bool
	spans  [][2]string
	done   bool
}

var _ kvtxn.Txn = (*Txn)(nil)

func (t *Txn) check() error {
	if t.done {
		return ErrDone
	}
	return nil
}

// Get reads a key.
func (t *Txn) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	if err := t.check(); err != nil {
		return nil, false, err
	}
	k := string(key)
	if v, ok := t.writes[k]; ok {
		return v, v != nil, nil
	}
	t.reads[k] = true
	t.db.mu.Lock()
	defer t.db.mu.Unlock()
	v, ok := t.db.mu.vals[k]
	return v, ok, nil
}

// merged reads [start, end) through the transaction's writes: at least
// the first limit keys of it (all of it for limit <= 0).
func (t *Txn) merged(start, end []byte, limit int64) []kvtxn.KeyValue {
	s, e := string(start), string(end)
	t.spans = append(t.spans, [2]string{s, e})
	t.db.mu.Lock()
	i := sort.SearchStrings(t.db.mu.keys, s)
	var out []kvtxn.KeyValue
	keys, vs := t.db.mu.keys, t.db.mu.vs
	for ; i < len(keys) && keys[i] < e; i++ {
		k := keys[i]
		if len(t.writes) > 0 {
			if _, ok := t.writes[k]; ok {
				continue
			}
		} else if limit > 0 && int64(len(out)) >= limit {
			break // (the read span still covers the rest: conflicts as before)
		}
		out = append(out, kvtxn.KeyValue{Key: []byte(k), Value: vs[i]})
	}
	t.db.mu.Unlock()
	added := false
	for k, v := range t.writes {
		if k >= s && k < e && v != nil {
			out = append(out, kvtxn.KeyValue{Key: []byte(k), Value: v})
			added = true
		}
	}
	if added {
		sort.Slice(out, func(a, b int) bool { return bytes.Compare(out[a].Key, out[b].Key) < 0 })
	}
	return out
}

// Scan reads [start, end).
func (t *Txn) Scan(ctx context.Context, start, end []byte, maxKeys int64) ([]kvtxn.KeyValue, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	out := t.merged(start, end, maxKeys)
	if maxKeys > 0 && int64(len(out)) > maxKeys {
		out = out[:maxKeys]
	}
	return out, nil
}

// ReverseScan reads [start, end) backwards.
func (t *Txn) ReverseScan(ctx context.Context, start, end []byte, maxKeys int64) ([]kvtxn.KeyValue, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	out := t.merged(start, end, 0)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if maxKeys > 0 && int64(len(out)) > maxKeys {
		out = out[:maxKeys]
	}
	return out, nil
}

// Put writes a key.
func (t *Txn) Put(ctx context.Context, key, value []byte) error {
	if err := t.check(); err != nil {
		return err
	}
	t.writes[string(key)] = append([]byte{}, value...)
	return nil
}

// CPut writes a key if its value is expected.
func (t *Txn) CPut(ctx context.Context, key, value, expected []byte) error {
	cur, found, err := t.Get(ctx, key)
	if err != nil {
		return err
	}
	if (expected == nil && found) || (expected != nil && (!found || !bytes.Equal(cur, expected))) {
		return &kvpb.ConditionFailedError{Key: key, HasValue: found, ActualValue: cur}
	}
	return t.Put(ctx, key, value)
}

// Del deletes keys.
func (t *Txn) Del(ctx context.Context, keys ...[]byte) error {
	if err := t.check(); err != nil {
		return err
	}
	for _, k := range keys {
		t.writes[string(k)] = nil
	}
	return nil
}

// DelRange deletes [start, end).
func (t *Txn) DelRange(ctx context.Context, start, end []byte) error {
	if err := t.check(); err != nil {
		return err
	}
	for _, kv := range t.merged(start, end, 0) {
		t.writes[string(kv.Key)] = nil
	}
	return nil
}

// Inc increments a counter inside the transaction.
func (t *Txn) Inc(ctx context.Context, key []byte, delta int64) (int64, error) {
	v, found, err := t.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	n, err := decodeInt(v, found)
	if err != nil {
		return 0, err
	}
	n += delta
	return n, t.Put(ctx, key, encodeInt(n))
}

// Commit validates and applies the writes.
func (t *Txn) Commit(ctx context.Context) error {
	if err := t.check(); err != nil {
		return err
	}
	t.done = true
	db := t.db
	db.mu.Lock()
	defer db.mu.Unlock()
	if t.start < db.mu.trimmed {
		return &RetryError{Key: "(history trimmed)"}
	}
	for i := len(db.mu.log) - 1; i >= 0 && db.mu.log[i].seq > t.start; i-- {
		for _, k := range db.mu.log[i].keys {
			if t.reads[k] {
				return &RetryError{Key: k}
			}
			if _, ok := t.writes[k]; ok {
				return &RetryError{Key: k}
			}
			for _, sp := range t.spans {
				if k >= sp[0] && k < sp[1] {
					return &RetryError{Key: k}
				}
			}
		}
	}
	if len(t.writes) == 0 {
		return nil
	}
	db.mu.seq++
	rec := commitRec{seq: db.mu.seq}
	for k, v := range t.writes {
		rec.keys = append(rec.keys, k)
		if v == nil {
			db.delLocked(k)
		} else {
			db.putLocked(k, v)
		}
	}
	db.mu.log = append(db.mu.log, rec)
	if len(db.mu.log) > 4096 {
		db.mu.trimmed = db.mu.log[len(db.mu.log)-2049].seq
		db.mu.log = append([]commitRec(nil), db.mu.log[len(db.mu.log)-2048:]...)
	}
	return nil
}

// Rollback discards the writes.
func (t *Txn) Rollback(ctx context.Context) error {
	t.done = true
	return nil
}

type savepoint struct {
	writes map[string][]byte
}

// Savepoint snapshots the transaction's writes.
func (t *Txn) Savepoint(ctx context.Context) (any, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	w := make(map[string][]byte, len(t.writes))
	for k, v := range t.writes {
		w[k] = v
	}
	return &savepoint{writes: w}, nil
}

// RollbackTo restores the writes of a savepoint (reads stay recorded, so
// validation stays conservative).
func (t *Txn) RollbackTo(ctx context.Context, sp any) error {
	if err := t.check(); err != nil {
		return err
	}
	s, ok := sp.(*savepoint)
	if !ok {
		return errors.New("memkv: foreign savepoint")
	}
	t.writes = make(map[string][]byte, len(s.writes))
	for k, v := range s.writes {
		t.writes[k] = v
	}
	return nil
}

// Release forgets a savepoint.
func (t *Txn) Release(ctx context.Context, sp any) error { return t.check() }
