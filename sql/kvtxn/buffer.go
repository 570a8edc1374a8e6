package kvtxn

import (
	"bytes"
	"context"
	"errors"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// WriteKind is the kind of a buffered write.
type WriteKind uint8

const (
	WritePut WriteKind = iota
	WriteCPut
	WriteDel
)

// Write is one buffered write.
type Write struct {
	Kind     WriteKind
	Key      []byte
	Value    []byte // Put, CPut
	Expected []byte // CPut
}

// BatchWriter is implemented by transactions that send many writes in one
// round trip, and send writes together with their commit (so that a
// transaction whose writes are all on one range commits in one phase).
type BatchWriter interface {
	RunWrites(ctx context.Context, ws []Write) error
	CommitWith(ctx context.Context, ws []Write) error
}

// ErrDeferredConditionFailed is returned when a buffered CPut failed where
// it was finally sent (at a read that flushed it, or at commit). It is not
// a ConditionFailedError: the caller did not see it at the CPut, so it
// cannot name the constraint. Re-run the statement without buffering
// (BufferWrites' caller does) to get the precise error.
var ErrDeferredConditionFailed = errors.New("kvtxn: a buffered conditional write failed")

// BufferWrites wraps txn so that Put, CPut and Del are held back until the
// next read that may see them (a Get of a buffered key, any Scan, GetMany,
// Inc, DelRange, savepoint) or Commit,
// which sends them with the commit in one batch when txn is a BatchWriter.
// Reads therefore see the transaction's own writes. A failed buffered CPut
// surfaces as ErrDeferredConditionFailed. Use it for single-statement
// (implicit) transactions, where most writes are followed only by the
// commit: a single-row INSERT or UPDATE then costs one replicated write
// (1PC) instead of a write and a commit.
//
// At most MaxBufferedWrites writes are held: a larger statement (a bulk
// INSERT or COPY) sends them in batches of that size as it goes.
func BufferWrites(txn Txn) Txn { return BufferWritesN(txn, MaxBufferedWrites) }

// MaxBufferedWrites bounds a BufferWrites buffer.
const MaxBufferedWrites = 256

// BufferWritesN is BufferWrites holding at most max writes (max <= 0:
// MaxBufferedWrites). Bulk writers (COPY) use a larger buffer: each batch
// the buffer sends is one round (split by range, the parts in parallel),
// so fewer, larger batches load faster.
func BufferWritesN(txn Txn, max int) Txn {
	if max <= 0 {
		max = MaxBufferedWrites
	}
	return &bufTxn{txn: txn, max: max}
}

// Flusher is implemented by buffering transactions (BufferWrites): Flush
// sends the buffered writes now.
type Flusher interface {
	Flush(ctx context.Context) error
}

func (b *bufTxn) add(ctx context.Context, w Write) error {
	b.ws = append(b.ws, w)
	if len(b.ws) >= b.max {
		return b.flush(ctx)
	}
	return nil
}

type bufTxn struct {
	txn Txn
	max int
	ws  []Write
}

// Flush implements Flusher.
func (b *bufTxn) Flush(ctx context.Context) error { return b.flush(ctx) }

func deferredErr(err error) error {
	if err != nil && IsConditionFailed(err) {
		return ErrDeferredConditionFailed
	}
	return err
}

func (b *bufTxn) flush(ctx context.Context) error {
	if len(b.ws) == 0 {
		return nil
	}
	ws := b.ws
	b.ws = nil
	if bw, ok := b.txn.(BatchWriter); ok {
		return deferredErr(bw.RunWrites(ctx, ws))
	}
	for _, w := range ws {
		var err error
		switch w.Kind {
		case WritePut:
			err = b.txn.Put(ctx, w.Key, w.Value)
		case WriteCPut:
			err = b.txn.CPut(ctx, w.Key, w.Value, w.Expected)
		case WriteDel:
			err = b.txn.Del(ctx, w.Key)
		}
		if err != nil {
			return deferredErr(err)
		}
	}
	return nil
}

// Get flushes the buffer only when it holds a write to key: a read of
// another key cannot see the buffered writes, so they stay buffered and
// can still go out with the commit (the catalog's generation check at
// commit reads a key no statement writes; flushing there cost a single-row
// INSERT its one-phase commit).
func (b *bufTxn) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	if b.holds(key) {
		if err := b.flush(ctx); err != nil {
			return nil, false, err
		}
	}
	return b.txn.Get(ctx, key)
}

// holds reports whether a buffered write is to key.
func (b *bufTxn) holds(key []byte) bool {
	for _, w := range b.ws {
		if bytes.Equal(w.Key, key) {
			return true
		}
	}
	return false
}

func (b *bufTxn) Scan(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error) {
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	return b.txn.Scan(ctx, start, end, maxKeys)
}

func (b *bufTxn) ReverseScan(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error) {
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	return b.txn.ReverseScan(ctx, start, end, maxKeys)
}

// Writes are copied: callers may reuse their buffers after the call
// returns, as they may with an unbuffered Txn.
func (b *bufTxn) Put(ctx context.Context, key, value []byte) error {
	return b.add(ctx, Write{Kind: WritePut, Key: clone(key), Value: clone(value)})
}

func (b *bufTxn) CPut(ctx context.Context, key, value, expected []byte) error {
	return b.add(ctx, Write{Kind: WriteCPut, Key: clone(key), Value: clone(value), Expected: clone(expected)})
}

func (b *bufTxn) Del(ctx context.Context, keys ...[]byte) error {
	for _, k := range keys {
		if err := b.add(ctx, Write{Kind: WriteDel, Key: clone(k)}); err != nil {
			return err
		}
	}
	return nil
}

func (b *bufTxn) DelRange(ctx context.Context, start, end []byte) error {
	if err := b.flush(ctx); err != nil {
		return err
	}
	return b.txn.DelRange(ctx, start, end)
}

func (b *bufTxn) Inc(ctx context.Context, key []byte, delta int64) (int64, error) {
	if err := b.flush(ctx); err != nil {
		return 0, err
	}
	return b.txn.Inc(ctx, key, delta)
}

func (b *bufTxn) Commit(ctx context.Context) error {
	if len(b.ws) > 0 {
		if bw, ok := b.txn.(BatchWriter); ok {
			ws := b.ws
			b.ws = nil
			return deferredErr(bw.CommitWith(ctx, ws))
		}
		if err := b.flush(ctx); err != nil {
			_ = b.txn.Rollback(ctx)
			return err
		}
	}
	return b.txn.Commit(ctx)
}

// CommitGuarded implements GuardedCommitter: with buffered writes and a
// wrapped transaction that can (guardedWriter), the guard, the writes and
// the commit go in one batch; otherwise the guard is a read before the
// commit.
func (b *bufTxn) CommitGuarded(ctx context.Context, key, expected []byte) error {
	if gw, ok := b.txn.(guardedWriter); ok && len(b.ws) > 0 {
		ws := b.ws
		b.ws = nil
		err := gw.CommitWithGuard(ctx, key, expected, ws)
		if _, _, on := ConditionFailedOn(err, key); on {
			return err
		}
		return deferredErr(err)
	}
	if err := checkGuard(ctx, b, key, expected); err != nil {
		return err
	}
	return b.Commit(ctx)
}

// checkGuard reads key in txn and fails like an asserting read would.
func checkGuard(ctx context.Context, txn Txn, key, expected []byte) error {
	v, found, err := txn.Get(ctx, key)
	if err != nil {
		return err
	}
	if found != (expected != nil) || (found && !bytes.Equal(v, expected)) {
		return &kvpb.ConditionFailedError{Key: key, HasValue: found, ActualValue: v}
	}
	return nil
}

func (b *bufTxn) Rollback(ctx context.Context) error {
	b.ws = nil
	return b.txn.Rollback(ctx)
}

// GetMany keeps the wrapped transaction's batch reads.
func (b *bufTxn) GetMany(ctx context.Context, keys [][]byte) ([][]byte, []bool, error) {
	if err := b.flush(ctx); err != nil {
		return nil, nil, err
	}
	if bg, ok := b.txn.(BatchGetter); ok {
		return bg.GetMany(ctx, keys)
	}
	vals := make([][]byte, len(keys))
	found := make([]bool, len(keys))
	for i, k := range keys {
		v, ok, err := b.txn.Get(ctx, k)
		if err != nil {
			return nil, nil, err
		}
		vals[i], found[i] = v, ok
	}
	return vals, found, nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// Read is one read of a ReadBatch: a point Get of Key when End is nil,
// else a Scan of [Key, End) of at most MaxKeys keys (0 = all). Lock
// makes it a locking read (LockingReader: the rows returned are locked)
// when the transaction can lock; a plain read otherwise.
type Read struct {
	Key, End []byte
	MaxKeys  int64
	Lock     bool
}

// ReadResult is the outcome of one Read: Rows holds the Get's row (if the
// key has a value) or the Scan's rows.
type ReadResult struct {
	Rows []KeyValue
}

// ReadBatcher is implemented by transactions that send several reads in
// one round (one batch, split by range).
type ReadBatcher interface {
	ReadBatch(ctx context.Context, rs []Read) ([]ReadResult, error)
}

// ReadMany runs rs in one batch when txn is a ReadBatcher, else one by one.
func ReadMany(ctx context.Context, txn Txn, rs []Read) ([]ReadResult, error) {
	if rb, ok := txn.(ReadBatcher); ok {
		return rb.ReadBatch(ctx, rs)
	}
	out := make([]ReadResult, len(rs))
	lr, _ := txn.(LockingReader)
	for i, r := range rs {
		if r.Lock && lr != nil {
			if r.End == nil {
				v, found, err := lr.GetForUpdate(ctx, r.Key)
				if err != nil {
					return nil, err
				}
				if found {
					out[i].Rows = []KeyValue{{Key: r.Key, Value: v}}
				}
				continue
			}
			kvs, err := lr.ScanForUpdate(ctx, r.Key, r.End, r.MaxKeys)
			if err != nil {
				return nil, err
			}
			out[i].Rows = kvs
			continue
		}
		if r.End == nil {
			v, found, err := txn.Get(ctx, r.Key)
			if err != nil {
				return nil, err
			}
			if found {
				out[i].Rows = []KeyValue{{Key: r.Key, Value: v}}
			}
			continue
		}
		kvs, err := txn.Scan(ctx, r.Key, r.End, r.MaxKeys)
		if err != nil {
			return nil, err
		}
		out[i].Rows = kvs
	}
	return out, nil
}

func (b *bufTxn) ReadBatch(ctx context.Context, rs []Read) ([]ReadResult, error) {
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	return ReadMany(ctx, b.txn, rs)
}

// GetForUpdate flushes, then reads key locking it when the wrapped
// transaction can (a plain read otherwise).
func (b *bufTxn) GetForUpdate(ctx context.Context, key []byte) ([]byte, bool, error) {
	if err := b.flush(ctx); err != nil {
		return nil, false, err
	}
	if lr, ok := b.txn.(LockingReader); ok {
		return lr.GetForUpdate(ctx, key)
	}
	return b.txn.Get(ctx, key)
}

// ScanForUpdate is Scan locking the keys returned (see GetForUpdate).
func (b *bufTxn) ScanForUpdate(ctx context.Context, start, end []byte, maxKeys int64) ([]KeyValue, error) {
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	if lr, ok := b.txn.(LockingReader); ok {
		return lr.ScanForUpdate(ctx, start, end, maxKeys)
	}
	return b.txn.Scan(ctx, start, end, maxKeys)
}

// GetManyForUpdate is GetMany locking the keys found (see GetForUpdate).
func (b *bufTxn) GetManyForUpdate(ctx context.Context, keys [][]byte) ([][]byte, []bool, error) {
	if lr, ok := b.txn.(LockingReader); ok {
		if err := b.flush(ctx); err != nil {
			return nil, nil, err
		}
		return lr.GetManyForUpdate(ctx, keys)
	}
	return b.GetMany(ctx, keys)
}
