package storage

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// SSTWriter builds one sstable in the engine's auxiliary directory for
// Engine.IngestSSTs. It implements Writer with the sstable's ordering
// rules: point keys (PutRaw, DeleteRaw, PutEngineKey) in strictly
// increasing engine-key order, ClearRange spans sorted and disjoint (in
// any interleaving with the points). A ClearRange in the table does not
// delete the table's own points: ingesting a table holding ClearRange(span)
// plus the new contents of span replaces span atomically. A writer is not
// safe for concurrent use.
type SSTWriter struct {
	w      *sstable.Writer
	path   string
	eng    *pebbleEngine
	bytes  int64
	done   bool
	failed error
}

var sstSeq atomic.Uint64

// sstBlockSize is the target data block size of an SSTWriter's table.
const sstBlockSize = engineBlockSize

// auxSSTDir is where SSTWriter files live until ingestion; Open empties it
// (files left by a crash belong to no ingestion).
const auxSSTDir = "auxiliary/sst"

// NewSSTWriter creates a new sstable file named after prefix.
func (e *pebbleEngine) NewSSTWriter(prefix string) (*SSTWriter, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	dir := e.fs.PathJoin(e.dir, auxSSTDir)
	if err := e.fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: sst dir: %w", err)
	}
	path := e.fs.PathJoin(dir, fmt.Sprintf("%s-%d.sst", prefix, sstSeq.Add(1)))
	// Snapshot tables are written once and compacted later by the LSM
	// under its own options: no compression (it cost more CPU than the
	// disk write it saves) and 32 KiB blocks (fewer index entries and
	// block finishes for 4 KiB values).
	opts := sstable.WriterOptions{
		Comparer:    EngineComparer,
		TableFormat: e.db.FormatMajorVersion().MaxTableFormat(),
		Compression: sstable.NoCompression,
		BlockSize:   sstBlockSize,
	}
	out, err := e.newSSTWritable(path)
	if err != nil {
		return nil, err
	}
	return &SSTWriter{w: sstable.NewWriter(out, opts), path: path, eng: e}, nil
}

// newSSTWritable creates the file of a new table: written with O_DIRECT
// on a real filesystem that has it (sst_direct_linux.go), else through
// the engine's vfs.FS, written back every MiB as it is written so that
// Finish's sync waits for the last MiB, not for the whole table.
func (e *pebbleEngine) newSSTWritable(path string) (objstorage.Writable, error) {
	if e.fs == vfs.Default {
		if w, err := openDirectWritable(path); err == nil {
			return w, nil
		}
	}
	f, err := e.fs.Create(path, "")
	if err != nil {
		return nil, fmt.Errorf("storage: create sst: %w", err)
	}
	f = vfs.NewSyncingFile(f, vfs.SyncingFileOptions{BytesPerSync: 1 << 20})
	return objstorageprovider.NewFileWritable(f), nil
}

func (w *SSTWriter) pebbleWriter() (pebbleWriter, error) {
	if w.done {
		return nil, ErrClosed
	}
	if w.failed != nil {
		return nil, w.failed
	}
	return sstPebbleWriter{w}, nil
}

type sstPebbleWriter struct{ w *SSTWriter }

func (s sstPebbleWriter) Set(key, value []byte, _ *pebble.WriteOptions) error {
	s.w.bytes += int64(len(key) + len(value))
	return s.w.fail(s.w.w.Set(key, value))
}

func (s sstPebbleWriter) Delete(key []byte, _ *pebble.WriteOptions) error {
	return s.w.fail(s.w.w.Delete(key))
}

func (s sstPebbleWriter) DeleteRange(start, end []byte, _ *pebble.WriteOptions) error {
	return s.w.fail(s.w.w.DeleteRange(start, end))
}

func (w *SSTWriter) fail(err error) error {
	if err != nil && w.failed == nil {
		w.failed = fmt.Errorf("storage: sst %s: %w", w.path, err)
	}
	if err != nil {
		return w.failed
	}
	return nil
}

// PutRaw adds an unversioned key (in key order).
func (w *SSTWriter) PutRaw(key, value []byte) error { return putRaw(w, key, value) }

// DeleteRaw adds a point deletion (in key order).
func (w *SSTWriter) DeleteRaw(key []byte) error { return deleteRaw(w, key) }

// ClearRange adds the deletion of every engine key whose user key is in
// [start, end) and that was written before the ingestion.
func (w *SSTWriter) ClearRange(start, end []byte) error { return clearRange(w, start, end) }

// DataBytes is the size of the keys and values put so far.
func (w *SSTWriter) DataBytes() int64 { return w.bytes }

// Path is the file's path on the engine's filesystem.
func (w *SSTWriter) Path() string { return w.path }

// Finish writes the table's index and footer and syncs and closes the
// file; the path can then be ingested. Idempotent.
func (w *SSTWriter) Finish() error {
	if w.done {
		return w.failed
	}
	w.done = true
	if err := w.w.Close(); err != nil && w.failed == nil {
		w.failed = fmt.Errorf("storage: finish sst %s: %w", w.path, err)
	}
	return w.failed
}

// Abort closes the file (if not finished) and removes it. Idempotent.
func (w *SSTWriter) Abort() {
	if !w.done {
		w.done = true
		_ = w.w.Close()
	}
	RemoveSST(w.eng, w.path)
}

// RemoveSST removes a finished table that will not be ingested (absent
// files are fine: ingestion removes its inputs).
func RemoveSST(e Engine, path string) {
	if pe, ok := e.(*pebbleEngine); ok {
		_ = pe.fs.Remove(path)
	}
}

// IngestSSTs atomically adds the finished tables at paths to the engine
// (one version edit: after a crash either all or none are present) and
// removes the files. The tables must not overlap each other; each gets a
// sequence number above every write before the call, so its ClearRange
// spans delete older data. The ingestion is durable when this returns.
func (e *pebbleEngine) IngestSSTs(paths []string) error {
	if e.closed.Load() {
		return ErrClosed
	}
	err := e.db.Ingest(context.Background(), paths)
	e.wrote()
	if err != nil {
		return fmt.Errorf("storage: ingest: %w", err)
	}
	return nil
}

// IngestSSTsExcising is IngestSSTs that, in the same atomic step, also
// removes every key whose user key is in [start, end) and that was
// written before the call (the tables may hold keys inside or outside the
// span). Unlike a ClearRange, the removal costs no compaction: the tables
// overlapping the span become virtual tables that exclude it (Pebble's
// excise). paths may be empty (the span is just removed).
//
// A Snapshot does not protect the span against the removal: a read or an
// iterator opened on a Snapshot taken before the call but opened after it
// does not see the removed keys (iterators opened before keep seeing
// them). Callers that must read the span consistently from a Snapshot
// open their iterators before any IngestSSTsExcising can run.
func (e *pebbleEngine) IngestSSTsExcising(paths []string, start, end []byte) error {
	if e.closed.Load() {
		return ErrClosed
	}
	if err := checkSpan(start, end); err != nil {
		return err
	}
	span := pebble.KeyRange{Start: EncodeRawKey(nil, start), End: EncodeRawKey(nil, end)}
	_, err := e.db.IngestAndExcise(context.Background(), paths, nil, nil, span)
	e.wrote()
	if err != nil {
		return fmt.Errorf("storage: ingest and excise: %w", err)
	}
	return nil
}
