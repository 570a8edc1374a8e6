package exec

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/plan"
	"github.com/tesseradb/tessera/sql/rowenc"
)

// DefaultWorkMem is the sort memory limit when Env.WorkMem is 0 (64 MiB,
// the work_mem session variable's default).
const DefaultWorkMem = 64 << 20

// sortFanIn bounds how many runs one merge pass reads at once (open
// files); more runs are merged in several passes.
var sortFanIn = 64

// SortStats counts what the sorts of a statement spilled to disk.
type SortStats struct {
	Spills int   // sorts that wrote runs
	Runs   int   // runs written (including intermediate merge passes)
	Bytes  int64 // bytes written to temp files
}

func (e *Env) workMem() int64 {
	if e.WorkMem <= 0 {
		return DefaultWorkMem
	}
	return e.WorkMem
}

// tempFile creates a temp file for this statement under TempDir; Close
// removes it.
func (e *Env) tempFile() (*os.File, error) {
	dir := e.TempDir
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "tessera-sql-temp")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, pgerr.New(pgerr.Internal, "could not create temporary directory: %v", err)
	}
	f, err := os.CreateTemp(dir, "sort-*.run")
	if err != nil {
		return nil, pgerr.New(pgerr.Internal, "could not create temporary file: %v", err)
	}
	e.temps = append(e.temps, f)
	return f, nil
}

// Close releases the statement's resources: it closes and removes every
// temp file. It is safe to call more than once.
func (e *Env) Close() {
	for _, f := range e.temps {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	e.temps = nil
}

func (e *Env) dropTemp(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name())
	for i, g := range e.temps {
		if g == f {
			e.temps = append(e.temps[:i], e.temps[i+1:]...)
			break
		}
	}
}

// spillCodec encodes rows of the sort's columns for temp files: each
// record is a uvarint length then the row's value encoding (column i is
// column ID i+1).
type spillCodec struct {
	cols []rowenc.ValueColumn
	buf  []byte
}

func newSpillCodec(cols []plan.Col) *spillCodec {
	c := &spillCodec{cols: make([]rowenc.ValueColumn, len(cols))}
	for i, col := range cols {
		c.cols[i] = rowenc.ValueColumn{ID: rowenc.ColumnID(i + 1), Type: col.T}
	}
	return c
}

// runWriter appends length-prefixed encoded rows to a run file.
type runWriter struct {
	w    *bufio.Writer
	lenb [binary.MaxVarintLen64]byte
	n    int64 // bytes written
}

func newRunWriter(f *os.File) *runWriter {
	return &runWriter{w: bufio.NewWriterSize(f, 64<<10)}
}

// write encodes r with c and appends it.
func (rw *runWriter) write(c *spillCodec, r Row) error {
	var err error
	c.buf, err = rowenc.EncodeValue(c.buf[:0], c.cols, r)
	if err != nil {
		return pgerr.New(pgerr.Internal, "sort spill: %v", err)
	}
	k := binary.PutUvarint(rw.lenb[:], uint64(len(c.buf)))
	if _, err := rw.w.Write(rw.lenb[:k]); err != nil {
		return spillIOError(err)
	}
	if _, err := rw.w.Write(c.buf); err != nil {
		return spillIOError(err)
	}
	rw.n += int64(k + len(c.buf))
	return nil
}

// finishRun flushes rw and counts the finished run in the sort statistics.
func (env *Env) finishRun(rw *runWriter, f *os.File) (*sortRun, error) {
	if err := rw.w.Flush(); err != nil {
		return nil, spillIOError(err)
	}
	env.SortStats.Runs++
	env.SortStats.Bytes += rw.n
	return &sortRun{f: f}, nil
}

// sortRun is a sorted run in a temp file.
type sortRun struct {
	f *os.File
}

// writeRun writes sorted rows to a new run file.
func (env *Env) writeRun(c *spillCodec, rows []Row) (*sortRun, error) {
	f, err := env.tempFile()
	if err != nil {
		return nil, err
	}
	rw := newRunWriter(f)
	for i, r := range rows {
		if i%1024 == 1023 {
			if err := env.checkCancel(); err != nil {
				return nil, err
			}
		}
		if err := rw.write(c, r); err != nil {
			return nil, err
		}
	}
	return env.finishRun(rw, f)
}

func spillIOError(err error) error {
	return pgerr.New("53100", "could not write to temporary file: %v", err)
}

// runReader reads a run back.
type runReader struct {
	r   *bufio.Reader
	c   *spillCodec
	buf []byte
}

func (env *Env) openRun(c *spillCodec, run *sortRun) (*runReader, error) {
	if _, err := run.f.Seek(0, io.SeekStart); err != nil {
		return nil, spillIOError(err)
	}
	return &runReader{r: bufio.NewReaderSize(run.f, 64<<10), c: c}, nil
}

func (rr *runReader) Next() (Row, error) {
	n, err := binary.ReadUvarint(rr.r)
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, spillIOError(err)
	}
	if cap(rr.buf) < int(n) {
		rr.buf = make([]byte, n)
	}
	rr.buf = rr.buf[:n]
	if _, err := io.ReadFull(rr.r, rr.buf); err != nil {
		return nil, spillIOError(err)
	}
	row := make(Row, len(rr.c.cols))
	if err := rowenc.DecodeValue(rr.buf, rr.c.cols, row); err != nil {
		return nil, pgerr.New(pgerr.Internal, "sort spill: %v", err)
	}
	return row, nil
}

// newSort builds a sort: rows are buffered up to work_mem; above it each
// buffer is sorted and written to a run file, and the runs (plus the last
// buffer) are merged k ways. Equal rows keep their input order (runs are
// stable-sorted and merged in run order).
func (env *Env) newSort(n *plan.Sort) (Iter, error) {
	in, err := Build(env, n.In)
	if err != nil {
		return nil, err
	}
	cols := n.In.Columns()
	var (
		buf      []Row
		bufBytes int64
		runs     []*sortRun
		codec    *spillCodec
		serr     error
	)
	sortBuf := func() error {
		slices.SortStableFunc(buf, func(a, b Row) int {
			c, err := compareRows(a, b, n.Keys, cols)
			if err != nil && serr == nil {
				serr = err
			}
			return c
		})
		return serr
	}
	limit := env.workMem()
	for cnt := 0; ; cnt++ {
		if cnt%1024 == 1023 {
			if err := env.checkCancel(); err != nil {
				return nil, err
			}
		}
		r, err := in.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		sz := rowBytes(r)
		if err := env.charge(sz); err != nil {
			return nil, err
		}
		buf = append(buf, r)
		bufBytes += sz
		if bufBytes > limit {
			if err := sortBuf(); err != nil {
				return nil, err
			}
			if codec == nil {
				codec = newSpillCodec(cols)
				env.SortStats.Spills++
			}
			run, err := env.writeRun(codec, buf)
			if err != nil {
				return nil, err
			}
			runs = append(runs, run)
			env.release(bufBytes)
			buf, bufBytes = nil, 0
		}
	}
	if err := sortBuf(); err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return &releasingIter{env: env, it: &sliceIter{rows: buf}, bytes: bufBytes}, nil
	}
	// Merge passes until one pass can read every run.
	for len(runs)+1 > sortFanIn {
		var next []*sortRun
		for i := 0; i < len(runs); i += sortFanIn {
			j := min(i+sortFanIn, len(runs))
			if j-i == 1 {
				next = append(next, runs[i])
				continue
			}
			m, err := env.newMerge(codec, runs[i:j], nil, n.Keys, cols)
			if err != nil {
				return nil, err
			}
			f, err := env.tempFile()
			if err != nil {
				return nil, err
			}
			run, err := env.copyMerge(codec, m, f)
			if err != nil {
				return nil, err
			}
			for _, r := range runs[i:j] {
				env.dropTemp(r.f)
			}
			next = append(next, run)
		}
		runs = next
	}
	m, err := env.newMerge(codec, runs, buf, n.Keys, cols)
	if err != nil {
		return nil, err
	}
	return &releasingIter{env: env, it: m, bytes: bufBytes}, nil
}

// copyMerge writes a merge's output to f as a new run.
func (env *Env) copyMerge(c *spillCodec, m *mergeIter, f *os.File) (*sortRun, error) {
	rw := newRunWriter(f)
	for {
		r, err := m.Next()
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		if err := rw.write(c, r); err != nil {
			return nil, err
		}
	}
	return env.finishRun(rw, f)
}

// mergeIter merges sorted sources; ties go to the lower source index.
type mergeIter struct {
	env  *Env
	srcs []Iter
	h    mergeHeap
	init bool
	cnt  int
}

type mergeItem struct {
	row Row
	src int
}

type mergeHeap struct {
	items []mergeItem
	keys  []plan.SortKey
	cols  []plan.Col
	err   error
}

func (h *mergeHeap) Len() int { return len(h.items) }
func (h *mergeHeap) Less(a, b int) bool {
	c, err := compareRows(h.items[a].row, h.items[b].row, h.keys, h.cols)
	if err != nil && h.err == nil {
		h.err = err
	}
	if c != 0 {
		return c < 0
	}
	return h.items[a].src < h.items[b].src
}
func (h *mergeHeap) Swap(a, b int) { h.items[a], h.items[b] = h.items[b], h.items[a] }
func (h *mergeHeap) Push(x any)    { h.items = append(h.items, x.(mergeItem)) }
func (h *mergeHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// newMerge merges runs (in order) and then mem (the last, in-memory run).
func (env *Env) newMerge(c *spillCodec, runs []*sortRun, mem []Row, keys []plan.SortKey, cols []plan.Col) (*mergeIter, error) {
	m := &mergeIter{env: env, h: mergeHeap{keys: keys, cols: cols}}
	for _, r := range runs {
		rr, err := env.openRun(c, r)
		if err != nil {
			return nil, err
		}
		m.srcs = append(m.srcs, rr)
	}
	if len(mem) > 0 {
		m.srcs = append(m.srcs, &sliceIter{rows: mem})
	}
	return m, nil
}

func (m *mergeIter) Next() (Row, error) {
	if !m.init {
		m.init = true
		for i, s := range m.srcs {
			r, err := s.Next()
			if err != nil {
				return nil, err
			}
			if r != nil {
				m.h.items = append(m.h.items, mergeItem{r, i})
			}
		}
		heap.Init(&m.h)
	}
	if m.h.err != nil {
		return nil, m.h.err
	}
	if len(m.h.items) == 0 {
		return nil, nil
	}
	m.cnt++
	if m.cnt%1024 == 0 {
		if err := m.env.checkCancel(); err != nil {
			return nil, err
		}
	}
	top := m.h.items[0]
	r, err := m.srcs[top.src].Next()
	if err != nil {
		return nil, err
	}
	if r == nil {
		heap.Pop(&m.h)
	} else {
		m.h.items[0].row = r
		heap.Fix(&m.h, 0)
	}
	if m.h.err != nil {
		return nil, m.h.err
	}
	return top.row, nil
}

// releasingIter gives its bytes back to the budget when it is exhausted.
type releasingIter struct {
	env   *Env
	it    Iter
	bytes int64
}

func (it *releasingIter) Next() (Row, error) {
	r, err := it.it.Next()
	if r == nil && err == nil && it.bytes > 0 {
		it.env.release(it.bytes)
		it.bytes = 0
	}
	return r, err
}
