package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Reader reads a consistent or live view of the store. Engine, Batch and
// Snapshot implement it. Values returned are copies owned by the caller.
type Reader interface {
	// GetRaw returns the value of the unversioned key; ok is false when the
	// key is absent.
	GetRaw(key []byte) (value []byte, ok bool, err error)
	// NewRawIterator iterates the unversioned keys with lower <= key < upper
	// (either bound may be nil for unbounded). The caller must Close it.
	NewRawIterator(lower, upper []byte) (*RawIterator, error)

	// internal access used by the MVCC functions.
	pebbleReader() (pebble.Reader, error)
	// pointIter returns an unbounded iterator for point lookups
	// (SeekPrefixGE); hand it back with releasePointIter(it, tok). A Batch
	// reuses one iterator, refreshed to see the batch's latest writes; an
	// Engine pools iterators while nothing has been written.
	pointIter() (it *pebble.Iterator, tok uint64, err error)
	releasePointIter(it *pebble.Iterator, tok uint64)
	// spanIter returns an iterator bounded to the engine keys [lower,
	// upper) without SkipPoint (so an Engine can hand out a pooled
	// iterator and only move its bounds); hand it back with
	// releaseSpanIter(it, tok).
	spanIter(lower, upper []byte) (it *pebble.Iterator, tok uint64, err error)
	releaseSpanIter(it *pebble.Iterator, tok uint64)
	// keyScratch returns an empty buffer for encoding seek keys; a Batch
	// reuses one (seek keys escape to the heap otherwise).
	keyScratch() []byte
}

// Writer writes to the store. On an Engine each call is applied at once
// (without fsync); on a Batch it is buffered until Commit.
type Writer interface {
	// PutRaw sets an unversioned key.
	PutRaw(key, value []byte) error
	// DeleteRaw removes an unversioned key (no error if absent).
	DeleteRaw(key []byte) error
	// ClearRange removes every engine key, unversioned and all MVCC
	// versions, whose user key is in [start, end). It does not touch the
	// lock table span of those keys and does not maintain MVCC stats.
	ClearRange(start, end []byte) error

	pebbleWriter() (pebbleWriter, error)
}

// ReadWriter is both.
type ReadWriter interface {
	Reader
	Writer
}

// Batch is an atomic group of writes that also reads its own writes layered
// over the engine. MVCC writes should always go through a Batch: a single
// MVCC operation can touch several engine keys.
type Batch interface {
	ReadWriter
	// Commit applies the batch atomically; with sync the WAL is fsynced
	// before Commit returns. The batch must still be Closed.
	Commit(sync bool) error
	// Repr is the batch's wire representation, for ApplyBatchRepr on
	// another engine. It aliases the batch's buffer: copy it before the
	// batch is closed or written again.
	Repr() []byte
	// Empty reports whether the batch holds no writes.
	Empty() bool
	// Count is the number of writes in the batch.
	Count() uint32
	// Close releases the batch. Idempotent.
	Close() error
	// ApplyBatchRepr adds the writes of a representation produced by
	// Batch.Repr to this batch (validated first, like
	// Engine.ApplyBatchRepr; on error nothing is added).
	ApplyBatchRepr(repr []byte) error
}

// Snapshot is a consistent point-in-time Reader.
type Snapshot interface {
	Reader
	// Close releases the snapshot. Idempotent.
	Close() error
}

// Engine is an open store.
type Engine interface {
	ReadWriter
	// NewBatch returns an empty Batch.
	NewBatch() Batch
	// NewSnapshot returns a Snapshot of the current state.
	NewSnapshot() Snapshot
	// ApplyBatchRepr atomically applies a representation produced by
	// Batch.Repr on this or another engine. Every key is validated first;
	// a malformed representation returns ErrInvalidBatch and applies
	// nothing.
	ApplyBatchRepr(repr []byte, sync bool) error
	// Flush writes the memtable to an sstable (tests and benchmarks).
	Flush() error
	// NewSSTWriter starts an sstable for IngestSSTs in the engine's
	// auxiliary directory (see SSTWriter).
	NewSSTWriter(prefix string) (*SSTWriter, error)
	// IngestSSTs atomically adds finished SSTWriter tables (see
	// pebbleEngine.IngestSSTs).
	IngestSSTs(paths []string) error
	// IngestSSTsExcising is IngestSSTs that also removes [start, end) in
	// the same step without a compaction (see
	// pebbleEngine.IngestSSTsExcising, and its caveat about Snapshots).
	IngestSSTsExcising(paths []string, start, end []byte) error
	// Close closes the store. No operation may run concurrently with or
	// after Close (they return ErrClosed after it).
	Close() error
}

type pebbleWriter interface {
	Set(key, value []byte, o *pebble.WriteOptions) error
	Delete(key []byte, o *pebble.WriteOptions) error
	DeleteRange(start, end []byte, o *pebble.WriteOptions) error
}

// Option configures Open.
type Option func(*openConfig)

type openConfig struct {
	fs        vfs.FS
	cacheSize int64
}

// InMemory keeps the store in memory (pebble's vfs.NewMem); dir only names
// it. Every call gives a fresh, empty filesystem; use WithFS to reopen the
// same one.
func InMemory() Option { return func(c *openConfig) { c.fs = vfs.NewMem() } }

// WithFS opens the store on the given filesystem (e.g. a vfs.NewMem shared
// across reopenings, or an error-injecting FS in tests).
func WithFS(fs vfs.FS) Option { return func(c *openConfig) { c.fs = fs } }

// CacheSize sets the block cache size in bytes (default 64 MiB).
func CacheSize(n int64) Option { return func(c *openConfig) { c.cacheSize = n } }

// engineBlockSize is the target data block size of the tables flushes
// and compactions write (Pebble's default is 4 KiB). Every block read
// that misses the block cache costs a pread, a cache allocation and
// insertion (evicting another block), a checksum and a decompression,
// whatever the block's size: with 4 KiB blocks and the 4 KiB values of a
// typical row that is one block per key for a scan (a snapshot sender,
// a full-table scan, a compaction). 32 KiB blocks divide those per-block
// costs by eight per byte scanned; a point read that misses the cache
// reads and decompresses 32 KiB instead of 4 (a cache hit searches the
// larger block by binary search; BenchmarkGet showed no difference at
// the load it could be measured under, docs/benchmarks.md "decom8").
const engineBlockSize = 32 << 10

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts ...Option) (Engine, error) {
	cfg := openConfig{fs: vfs.Default, cacheSize: 64 << 20}
	for _, o := range opts {
		o(&cfg)
	}
	po := &pebble.Options{
		FS:                 cfg.fs,
		Comparer:           EngineComparer,
		CacheSize:          cfg.cacheSize,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             quietLogger{},
	}
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		po.Levels[i].BlockSize = engineBlockSize
	}
	po.EnsureDefaults()
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	// Tables staged for an ingestion that a crash interrupted.
	if err := cfg.fs.RemoveAll(cfg.fs.PathJoin(dir, auxSSTDir)); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: open %s: clearing staged sstables: %w", dir, err)
	}
	return &pebbleEngine{db: db, fs: cfg.fs, dir: dir}, nil
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Errorf(format string, args ...interface{}) {
	// Pebble reports background errors here; surface them via slog.
	logError(fmt.Sprintf(format, args...))
}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	panic(fmt.Sprintf("pebble fatal: "+format, args...))
}

type pebbleEngine struct {
	db     *pebble.DB
	fs     vfs.FS
	dir    string
	closed atomic.Bool

	// gen is bumped after every write applied through this engine. A
	// pooled iterator created when gen was g sees every write that
	// completed before then, so it may serve reads while gen is still g.
	gen     atomic.Uint64
	poolLen atomic.Int32
	poolMu  sync.Mutex
	pool    []pooledIter // guarded by poolMu; never held across I/O
}

type pooledIter struct {
	it  *pebble.Iterator
	gen uint64
}

const maxPooledIters = 4

// takePool removes from the pool the iterator tagged g (returned, if
// any) and every stale one (moved to dst for the caller to close outside
// the lock); iterators tagged g beyond the first stay pooled.
func (e *pebbleEngine) takePool(g uint64, dst *[maxPooledIters]*pebble.Iterator) (found *pebble.Iterator, n int) {
	e.poolMu.Lock()
	kept := e.pool[:0]
	for _, p := range e.pool {
		switch {
		case p.gen == g && found == nil:
			found = p.it
		case p.gen == g:
			kept = append(kept, p)
		default:
			dst[n] = p.it
			n++
		}
	}
	for i := len(kept); i < len(e.pool); i++ {
		e.pool[i] = pooledIter{}
	}
	e.pool = kept
	e.poolLen.Store(int32(len(kept)))
	e.poolMu.Unlock()
	return found, n
}

// drainPool closes every pooled iterator.
func (e *pebbleEngine) drainPool() {
	e.poolMu.Lock()
	var stale [maxPooledIters]*pebble.Iterator
	n := 0
	for i, p := range e.pool {
		stale[n] = p.it
		n++
		e.pool[i] = pooledIter{}
	}
	e.pool = e.pool[:0]
	e.poolLen.Store(0)
	e.poolMu.Unlock()
	for i := 0; i < n; i++ {
		stale[i].Close()
	}
}

func (e *pebbleEngine) pointIter() (*pebble.Iterator, uint64, error) {
	if e.closed.Load() {
		return nil, 0, ErrClosed
	}
	g := e.gen.Load()
	if e.poolLen.Load() > 0 {
		var stale [maxPooledIters]*pebble.Iterator
		found, n := e.takePool(g, &stale)
		for i := 0; i < n; i++ {
			stale[i].Close()
		}
		if found != nil {
			return found, g, nil
		}
	}
	it, err := e.db.NewIter(&pointIterOptions)
	return it, g, err
}

func (e *pebbleEngine) releasePointIter(it *pebble.Iterator, g uint64) {
	if it.Error() != nil || e.closed.Load() || e.gen.Load() != g {
		it.Close()
		return
	}
	e.poolMu.Lock()
	if len(e.pool) < maxPooledIters {
		e.pool = append(e.pool, pooledIter{it: it, gen: g})
		e.poolLen.Store(int32(len(e.pool)))
		e.poolMu.Unlock()
		return
	}
	e.poolMu.Unlock()
	it.Close()
}

// spanIter takes a pooled iterator (see pointIter: it sees every write
// that completed before this call) and bounds it. Changing only the
// bounds keeps Pebble's iterator stack, which a new iterator or a
// SkipPoint change would rebuild.
func (e *pebbleEngine) spanIter(lower, upper []byte) (*pebble.Iterator, uint64, error) {
	it, g, err := e.pointIter()
	if err != nil {
		return nil, 0, err
	}
	it.SetOptions(&pebble.IterOptions{LowerBound: lower, UpperBound: upper, UseL6Filters: true})
	return it, g, nil
}

func (e *pebbleEngine) releaseSpanIter(it *pebble.Iterator, g uint64) {
	it.SetOptions(&pointIterOptions) // pooled iterators are unbounded
	e.releasePointIter(it, g)
}

func newSpanIter(pr pebble.Reader, lower, upper []byte) (*pebble.Iterator, uint64, error) {
	it, err := pr.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	return it, 0, err
}

// wrote records that a write was applied: pooled iterators are stale.
func (e *pebbleEngine) wrote() {
	e.gen.Add(1)
	if e.poolLen.Load() > 0 {
		e.drainPool()
	}
}

// engineWriter applies writes to the DB and bumps the generation.
type engineWriter struct{ e *pebbleEngine }

func (w engineWriter) Set(key, value []byte, o *pebble.WriteOptions) error {
	err := w.e.db.Set(key, value, o)
	w.e.wrote()
	return err
}

func (w engineWriter) Delete(key []byte, o *pebble.WriteOptions) error {
	err := w.e.db.Delete(key, o)
	w.e.wrote()
	return err
}

func (w engineWriter) DeleteRange(start, end []byte, o *pebble.WriteOptions) error {
	err := w.e.db.DeleteRange(start, end, o)
	w.e.wrote()
	return err
}

func (e *pebbleEngine) pebbleReader() (pebble.Reader, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	return e.db, nil
}

func (e *pebbleEngine) pebbleWriter() (pebbleWriter, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	return engineWriter{e}, nil
}

func (e *pebbleEngine) GetRaw(key []byte) ([]byte, bool, error) { return getRaw(e, key) }
func (e *pebbleEngine) NewRawIterator(lower, upper []byte) (*RawIterator, error) {
	return newRawIterator(e, lower, upper)
}
func (e *pebbleEngine) PutRaw(key, value []byte) error     { return putRaw(e, key, value) }
func (e *pebbleEngine) DeleteRaw(key []byte) error         { return deleteRaw(e, key) }
func (e *pebbleEngine) ClearRange(start, end []byte) error { return clearRange(e, start, end) }

func (e *pebbleEngine) NewBatch() Batch {
	if e.closed.Load() {
		return &pebbleBatch{closed: true}
	}
	return &pebbleBatch{b: e.db.NewIndexedBatch(), eng: e}
}

func (e *pebbleEngine) NewSnapshot() Snapshot {
	if e.closed.Load() {
		return &pebbleSnapshot{closed: true}
	}
	return &pebbleSnapshot{s: e.db.NewSnapshot()}
}

func (e *pebbleEngine) ApplyBatchRepr(repr []byte, sync bool) error {
	if e.closed.Load() {
		return ErrClosed
	}
	// Pebble's own decoder trusts its input; validate every record first.
	if err := validateBatchRepr(repr); err != nil {
		return err
	}
	b := e.db.NewBatch()
	defer b.Close()
	if err := b.SetRepr(append([]byte(nil), repr...)); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidBatch, err)
	}
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	err := e.db.Apply(b, wo)
	e.wrote()
	if err != nil {
		return fmt.Errorf("storage: apply batch: %w", err)
	}
	return nil
}

func (e *pebbleEngine) Flush() error {
	if e.closed.Load() {
		return ErrClosed
	}
	return e.db.Flush()
}

func (e *pebbleEngine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.drainPool()
	return e.db.Close()
}

type pebbleBatch struct {
	b      *pebble.Batch
	eng    *pebbleEngine
	it     *pebble.Iterator // cached point iterator, see pointIter
	kbuf   [128]byte
	closed bool
}

func (b *pebbleBatch) keyScratch() []byte    { return b.kbuf[:0] }
func (e *pebbleEngine) keyScratch() []byte   { return make([]byte, 0, 64) }
func (s *pebbleSnapshot) keyScratch() []byte { return make([]byte, 0, 64) }

// pointIterOptions are the options of every iterator a point read may
// use (the engine's pooled ones, a batch's): unbounded, and consulting
// the bloom filters of L6 sstables too, which Pebble skips by default. A
// point read seeks twice per key: the lock table, where a key is almost
// never found (intents are short-lived), and its versions. Without the
// filter the lock-table seek loads an index and a data block of every
// L6 table whose span covers the key; with it one probe of a cached
// filter block rejects the table. Seeks by prefix only consult filters,
// so scans (SeekGE) are unaffected. Bounds are the only option
// spanIter changes: any other difference (this flag included) would
// make Pebble rebuild the iterator stack at SetOptions.
var pointIterOptions = pebble.IterOptions{UseL6Filters: true}

func (b *pebbleBatch) pointIter() (*pebble.Iterator, uint64, error) {
	if b.closed {
		return nil, 0, ErrClosed
	}
	if b.it == nil {
		it, err := b.b.NewIter(&pointIterOptions)
		if err != nil {
			return nil, 0, err
		}
		b.it = it
	} else {
		// Cheap when nothing changed; otherwise refreshes the batch view.
		b.it.SetOptions(&pointIterOptions)
	}
	return b.it, 0, nil
}

func (b *pebbleBatch) releasePointIter(*pebble.Iterator, uint64) {}

// spanIter opens a new iterator: a scan needs two at once, and the
// batch caches only its point iterator.
func (b *pebbleBatch) spanIter(lower, upper []byte) (*pebble.Iterator, uint64, error) {
	if b.closed {
		return nil, 0, ErrClosed
	}
	return newSpanIter(b.b, lower, upper)
}

func (b *pebbleBatch) releaseSpanIter(it *pebble.Iterator, _ uint64) { it.Close() }

func (b *pebbleBatch) pebbleReader() (pebble.Reader, error) {
	if b.closed {
		return nil, ErrClosed
	}
	return b.b, nil
}

func (b *pebbleBatch) pebbleWriter() (pebbleWriter, error) {
	if b.closed {
		return nil, ErrClosed
	}
	return b.b, nil
}

func (b *pebbleBatch) GetRaw(key []byte) ([]byte, bool, error) { return getRaw(b, key) }
func (b *pebbleBatch) NewRawIterator(lower, upper []byte) (*RawIterator, error) {
	return newRawIterator(b, lower, upper)
}
func (b *pebbleBatch) PutRaw(key, value []byte) error     { return putRaw(b, key, value) }
func (b *pebbleBatch) DeleteRaw(key []byte) error         { return deleteRaw(b, key) }
func (b *pebbleBatch) ClearRange(start, end []byte) error { return clearRange(b, start, end) }

func (b *pebbleBatch) Commit(sync bool) error {
	if b.closed {
		return ErrClosed
	}
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	err := b.b.Commit(wo)
	b.eng.wrote()
	if err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return nil
}

func (b *pebbleBatch) Repr() []byte {
	if b.closed {
		return nil
	}
	return b.b.Repr()
}

func (b *pebbleBatch) ApplyBatchRepr(repr []byte) error {
	if b.closed {
		return ErrClosed
	}
	if err := validateBatchRepr(repr); err != nil {
		return err
	}
	o := b.eng.db.NewBatch()
	defer o.Close()
	if err := o.SetRepr(append([]byte(nil), repr...)); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidBatch, err)
	}
	if err := b.b.Apply(o, nil); err != nil {
		return fmt.Errorf("storage: apply batch: %w", err)
	}
	return nil
}

func (b *pebbleBatch) Empty() bool { return b.closed || b.b.Empty() }
func (b *pebbleBatch) Count() uint32 {
	if b.closed {
		return 0
	}
	return b.b.Count()
}

func (b *pebbleBatch) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.it != nil {
		if err := b.it.Close(); err != nil {
			b.b.Close()
			return err
		}
		b.it = nil
	}
	return b.b.Close()
}

type pebbleSnapshot struct {
	s      *pebble.Snapshot
	closed bool
}

func (s *pebbleSnapshot) pebbleReader() (pebble.Reader, error) {
	if s.closed {
		return nil, ErrClosed
	}
	return s.s, nil
}
func (s *pebbleSnapshot) pointIter() (*pebble.Iterator, uint64, error) {
	if s.closed {
		return nil, 0, ErrClosed
	}
	it, err := s.s.NewIter(&pointIterOptions)
	return it, 0, err
}

func (s *pebbleSnapshot) releasePointIter(it *pebble.Iterator, _ uint64) { it.Close() }
func (s *pebbleSnapshot) spanIter(lower, upper []byte) (*pebble.Iterator, uint64, error) {
	if s.closed {
		return nil, 0, ErrClosed
	}
	return newSpanIter(s.s, lower, upper)
}
func (s *pebbleSnapshot) releaseSpanIter(it *pebble.Iterator, _ uint64) { it.Close() }
func (s *pebbleSnapshot) GetRaw(key []byte) ([]byte, bool, error)       { return getRaw(s, key) }
func (s *pebbleSnapshot) NewRawIterator(lower, upper []byte) (*RawIterator, error) {
	return newRawIterator(s, lower, upper)
}
func (s *pebbleSnapshot) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.s.Close()
}

func checkKey(key []byte) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	if len(key) > MaxKeySize {
		return fmt.Errorf("%w: %d bytes > %d", ErrKeyTooLarge, len(key), MaxKeySize)
	}
	return nil
}

func checkValue(v []byte) error {
	if len(v) > MaxValueSize {
		return fmt.Errorf("%w: %d bytes > %d", ErrValueTooLarge, len(v), MaxValueSize)
	}
	return nil
}

// getEngine copies the value at an exact engine key.
func getEngine(r pebble.Reader, ek []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(ek)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("storage: get: %w", err)
	}
	out := append(make([]byte, 0, len(v)), v...)
	closer.Close()
	return out, true, nil
}

func getRaw(r Reader, key []byte) ([]byte, bool, error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	pr, err := r.pebbleReader()
	if err != nil {
		return nil, false, err
	}
	return getEngine(pr, EncodeRawKey(nil, key))
}

func putRaw(w Writer, key, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkValue(value); err != nil {
		return err
	}
	pw, err := w.pebbleWriter()
	if err != nil {
		return err
	}
	return pw.Set(EncodeRawKey(nil, key), value, pebble.NoSync)
}

func deleteRaw(w Writer, key []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	pw, err := w.pebbleWriter()
	if err != nil {
		return err
	}
	return pw.Delete(EncodeRawKey(nil, key), pebble.NoSync)
}

func checkSpan(start, end []byte) error {
	if err := checkKey(start); err != nil {
		return err
	}
	if err := checkKey(end); err != nil {
		return err
	}
	if compareBytes(start, end) >= 0 {
		return fmt.Errorf("%w: span [%s, %s) is empty", ErrInvalidKey, FormatKey(start), FormatKey(end))
	}
	return nil
}

func clearRange(w Writer, start, end []byte) error {
	if err := checkSpan(start, end); err != nil {
		return err
	}
	pw, err := w.pebbleWriter()
	if err != nil {
		return err
	}
	// The raw key of end sorts before every version of end, so this covers
	// exactly the user keys in [start, end).
	return pw.DeleteRange(EncodeRawKey(nil, start), EncodeRawKey(nil, end), pebble.NoSync)
}

// batchHeaderLen is Pebble's batch header: 8-byte sequence number and
// 4-byte little-endian record count.
const batchHeaderLen = 12

// validateBatchRepr checks that repr is a well-formed Pebble batch holding
// only Set, Delete and RangeDelete records over well-formed engine keys.
func validateBatchRepr(repr []byte) error {
	if len(repr) < batchHeaderLen {
		return fmt.Errorf("%w: %d bytes, shorter than the header", ErrInvalidBatch, len(repr))
	}
	count := binary.LittleEndian.Uint32(repr[8:batchHeaderLen])
	r := repr[batchHeaderLen:]
	readStr := func() ([]byte, bool) {
		n, k := binary.Uvarint(r)
		if k <= 0 || n > uint64(len(r)-k) {
			return nil, false
		}
		s := r[k : k+int(n)]
		r = r[k+int(n):]
		return s, true
	}
	var n uint32
	for ; len(r) > 0; n++ {
		kind := pebble.InternalKeyKind(r[0])
		r = r[1:]
		key, ok := readStr()
		if !ok {
			return fmt.Errorf("%w: record %d: bad key", ErrInvalidBatch, n)
		}
		if _, _, err := DecodeEngineKey(key); err != nil {
			return fmt.Errorf("%w: record %d: %v", ErrInvalidBatch, n, err)
		}
		switch kind {
		case pebble.InternalKeyKindDelete:
		case pebble.InternalKeyKindSet, pebble.InternalKeyKindRangeDelete:
			v, ok := readStr()
			if !ok {
				return fmt.Errorf("%w: record %d: bad value", ErrInvalidBatch, n)
			}
			if kind == pebble.InternalKeyKindRangeDelete {
				if _, _, err := DecodeEngineKey(v); err != nil {
					return fmt.Errorf("%w: record %d: range end: %v", ErrInvalidBatch, n, err)
				}
				if EngineComparer.Compare(key, v) >= 0 {
					return fmt.Errorf("%w: record %d: empty range deletion", ErrInvalidBatch, n)
				}
			}
		default:
			return fmt.Errorf("%w: record %d: unsupported kind %d", ErrInvalidBatch, n, kind)
		}
	}
	if n != count {
		return fmt.Errorf("%w: header count %d, found %d records", ErrInvalidBatch, count, n)
	}
	return nil
}
