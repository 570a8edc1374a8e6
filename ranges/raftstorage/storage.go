package raftstorage

import (
	"errors"
	"fmt"
	"sort"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// ErrCorrupt reports raft state that does not decode. Fatal for the store.
var ErrCorrupt = errors.New("raftstorage: corrupt raft state")

// Storage is the raft.Storage of one replica.
type Storage struct {
	eng     storage.Engine
	rangeID uint64

	hardState *raftpb.HardState
	truncated *rangepb.TruncatedState
	lastIndex uint64
	lastTerm  uint64

	// cache holds the most recently appended entries, contiguous and
	// ending at lastIndex (cache[i] has index lastIndex-len(cache)+1+i),
	// or is empty. Entries and Term serve from it without reading the
	// engine: raft reads back each entry once it commits (the leader in
	// the cycle that answers the client) and looks up terms when it
	// handles append responses. At most cacheMaxEntries entries and
	// cacheMaxBytes bytes (proto size); older ones are read from the
	// engine.
	cache           []*raftpb.Entry
	cacheBytes      uint64
	cacheMaxEntries int
	cacheMaxBytes   uint64
}

// Default entry cache bounds per replica.
const (
	defaultCacheEntries = 128
	defaultCacheBytes   = 1 << 20
)

var _ raft.Storage = (*Storage)(nil)

// Load reads the replica's raft state from eng. A range with no state yet
// (an uninitialized replica) has an empty log with first index 1.
func Load(eng storage.Engine, rangeID uint64) (*Storage, error) {
	s := &Storage{eng: eng, rangeID: rangeID, hardState: &raftpb.HardState{}, truncated: &rangepb.TruncatedState{},
		cacheMaxEntries: defaultCacheEntries, cacheMaxBytes: defaultCacheBytes}
	if ok, err := readProto(eng, rangekeys.HardStateKey(rangeID), s.hardState); err != nil {
		return nil, err
	} else if !ok {
		s.hardState = &raftpb.HardState{}
	}
	if _, err := readProto(eng, rangekeys.TruncatedStateKey(rangeID), s.truncated); err != nil {
		return nil, err
	}
	s.lastIndex, s.lastTerm = s.truncated.GetIndex(), s.truncated.GetTerm()
	it, err := eng.NewRawIterator(rangekeys.RaftLogPrefix(rangeID), rangekeys.RaftLogKey(rangeID, ^uint64(0)))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if it.Last() {
		idx, err := rangekeys.DecodeRaftLogIndex(it.Key())
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		var e raftpb.Entry
		if err := proto.Unmarshal(it.Value(), &e); err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, idx, err)
		}
		if idx > s.lastIndex {
			s.lastIndex, s.lastTerm = idx, e.GetTerm()
		}
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	return s, nil
}

func readProto(r storage.Reader, key []byte, m proto.Message) (bool, error) {
	v, ok, err := r.GetRaw(key)
	if err != nil || !ok {
		return false, err
	}
	if err := proto.Unmarshal(v, m); err != nil {
		return false, fmt.Errorf("%w: %q: %v", ErrCorrupt, key, err)
	}
	return true, nil
}

func writeProto(w storage.Writer, key []byte, m proto.Message) error {
	b, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	return w.PutRaw(key, b)
}

// ReadAppliedState reads the range's applied state (zero if none).
func ReadAppliedState(r storage.Reader, rangeID uint64) (*rangepb.AppliedState, error) {
	as := &rangepb.AppliedState{}
	if _, err := readProto(r, rangekeys.AppliedStateKey(rangeID), as); err != nil {
		return nil, err
	}
	return as, nil
}

// ConfStateOf decodes the conf state of an applied state.
func ConfStateOf(as *rangepb.AppliedState) (*raftpb.ConfState, error) {
	cs := &raftpb.ConfState{}
	if len(as.GetConfState()) > 0 {
		if err := proto.Unmarshal(as.GetConfState(), cs); err != nil {
			return nil, fmt.Errorf("%w: conf state: %v", ErrCorrupt, err)
		}
	}
	return cs, nil
}

// InitialState implements raft.Storage.
func (s *Storage) InitialState() (*raftpb.HardState, *raftpb.ConfState, error) {
	as, err := ReadAppliedState(s.eng, s.rangeID)
	if err != nil {
		return nil, nil, err
	}
	cs, err := ConfStateOf(as)
	if err != nil {
		return nil, nil, err
	}
	return proto.Clone(s.hardState).(*raftpb.HardState), cs, nil
}

// HardState returns the last staged HardState.
func (s *Storage) HardState() *raftpb.HardState { return s.hardState }

// Entries implements raft.Storage.
func (s *Storage) Entries(lo, hi, maxSize uint64) ([]*raftpb.Entry, error) {
	if lo <= s.truncated.GetIndex() {
		return nil, raft.ErrCompacted
	}
	if hi > s.lastIndex+1 || lo > hi {
		return nil, fmt.Errorf("raftstorage: entries [%d, %d) out of bounds (last %d): %w", lo, hi, s.lastIndex, raft.ErrUnavailable)
	}
	if lo == hi {
		return nil, nil
	}
	if c := s.cached(lo); c != nil {
		out := make([]*raftpb.Entry, 0, min(hi-lo, uint64(len(c))))
		var size uint64
		for _, e := range c[:hi-lo] {
			size += uint64(proto.Size(e))
			if len(out) > 0 && size > maxSize {
				break
			}
			out = append(out, e)
		}
		return out, nil
	}
	it, err := s.eng.NewRawIterator(rangekeys.RaftLogKey(s.rangeID, lo), rangekeys.RaftLogKey(s.rangeID, hi))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := make([]*raftpb.Entry, 0, min(hi-lo, 64))
	var size uint64
	next := lo
	for ok := it.First(); ok; ok = it.Next() {
		idx, err := rangekeys.DecodeRaftLogIndex(it.Key())
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if idx != next {
			return nil, fmt.Errorf("raftstorage: entry %d missing: %w", next, raft.ErrUnavailable)
		}
		e := &raftpb.Entry{}
		if err := proto.Unmarshal(it.Value(), e); err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, idx, err)
		}
		size += uint64(proto.Size(e))
		if len(out) > 0 && size > maxSize {
			break
		}
		out = append(out, e)
		next++
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("raftstorage: entry %d missing: %w", lo, raft.ErrUnavailable)
	}
	return out, nil
}

// Term implements raft.Storage.
func (s *Storage) Term(i uint64) (uint64, error) {
	switch {
	case i == s.truncated.GetIndex():
		return s.truncated.GetTerm(), nil
	case i < s.truncated.GetIndex():
		return 0, raft.ErrCompacted
	case i > s.lastIndex:
		return 0, raft.ErrUnavailable
	case i == s.lastIndex:
		return s.lastTerm, nil
	}
	if c := s.cached(i); c != nil {
		return c[0].GetTerm(), nil
	}
	v, ok, err := s.eng.GetRaw(rangekeys.RaftLogKey(s.rangeID, i))
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, raft.ErrUnavailable
	}
	var e raftpb.Entry
	if err := proto.Unmarshal(v, &e); err != nil {
		return 0, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, i, err)
	}
	return e.GetTerm(), nil
}

// LastIndex implements raft.Storage.
func (s *Storage) LastIndex() (uint64, error) { return s.lastIndex, nil }

// FirstIndex implements raft.Storage.
func (s *Storage) FirstIndex() (uint64, error) { return s.truncated.GetIndex() + 1, nil }

// TruncatedState returns the last truncated index and term.
func (s *Storage) TruncatedState() (index, term uint64) {
	return s.truncated.GetIndex(), s.truncated.GetTerm()
}

// Snapshot implements raft.Storage: the metadata of the applied state. The
// data is not materialised here; the sender streams it from an engine
// snapshot (and fixes the metadata to what that snapshot holds).
func (s *Storage) Snapshot() (*raftpb.Snapshot, error) {
	as, err := ReadAppliedState(s.eng, s.rangeID)
	if err != nil {
		return nil, err
	}
	if as.GetRaftAppliedIndex() == 0 {
		return nil, raft.ErrSnapshotTemporarilyUnavailable
	}
	cs, err := ConfStateOf(as)
	if err != nil {
		return nil, err
	}
	return &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{
		Index: proto.Uint64(as.GetRaftAppliedIndex()), Term: proto.Uint64(as.GetRaftAppliedTerm()), ConfState: cs,
	}}, nil
}

// Append stages entries into b, replacing any existing entries at and
// after the first one (a conflicting suffix).
func (s *Storage) Append(b storage.Batch, ents []*raftpb.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	first := ents[0].GetIndex()
	if first <= s.truncated.GetIndex() {
		return fmt.Errorf("raftstorage: append at %d below truncated index %d", first, s.truncated.GetIndex())
	}
	if first > s.lastIndex+1 {
		return fmt.Errorf("raftstorage: append at %d leaves a gap after %d", first, s.lastIndex)
	}
	for _, e := range ents {
		if err := writeProto(b, rangekeys.RaftLogKey(s.rangeID, e.GetIndex()), e); err != nil {
			return err
		}
	}
	last := ents[len(ents)-1]
	for i := last.GetIndex() + 1; i <= s.lastIndex; i++ {
		if err := b.DeleteRaw(rangekeys.RaftLogKey(s.rangeID, i)); err != nil {
			return err
		}
	}
	s.cacheAppend(ents)
	s.lastIndex, s.lastTerm = last.GetIndex(), last.GetTerm()
	return nil
}

// cached returns the cached entries from index lo to the last index, or
// nil if lo is not cached.
func (s *Storage) cached(lo uint64) []*raftpb.Entry {
	n := uint64(len(s.cache))
	if n == 0 || lo > s.lastIndex || lo+n <= s.lastIndex {
		return nil
	}
	return s.cache[n-(s.lastIndex-lo+1):]
}

// cacheAppend records appended entries (ents[0] at most lastIndex+1,
// before lastIndex moves): a replaced suffix leaves the cache, then the
// oldest entries beyond the bounds.
func (s *Storage) cacheAppend(ents []*raftpb.Entry) {
	first := ents[0].GetIndex()
	if first <= s.lastIndex {
		// A replaced suffix: keep only the cached entries below first.
		if s.cacheFirst() >= first {
			s.cacheDropFront(len(s.cache))
		} else {
			cut := s.cache[len(s.cache)-int(s.lastIndex-first+1):]
			for _, e := range cut {
				s.cacheBytes -= uint64(proto.Size(e))
			}
			clear(cut)
			s.cache = s.cache[:len(s.cache)-len(cut)]
		}
	}
	for _, e := range ents {
		s.cache = append(s.cache, e)
		s.cacheBytes += uint64(proto.Size(e))
	}
	drop := 0
	for bytes := s.cacheBytes; drop < len(s.cache) && (len(s.cache)-drop > s.cacheMaxEntries || bytes > s.cacheMaxBytes); drop++ {
		bytes -= uint64(proto.Size(s.cache[drop]))
	}
	s.cacheDropFront(drop)
}

// cacheFirst is the index of the first cached entry (lastIndex+1 when
// the cache is empty).
func (s *Storage) cacheFirst() uint64 { return s.lastIndex + 1 - uint64(len(s.cache)) }

// cacheDropFront drops the n oldest cached entries.
func (s *Storage) cacheDropFront(n int) {
	if n == 0 {
		return
	}
	for _, e := range s.cache[:n] {
		s.cacheBytes -= uint64(proto.Size(e))
	}
	// Copy down so the dropped entries can be collected.
	m := copy(s.cache, s.cache[n:])
	clear(s.cache[m:])
	s.cache = s.cache[:m]
}

// cacheTruncate drops cached entries at or below index.
func (s *Storage) cacheTruncate(index uint64) {
	if f := s.cacheFirst(); index >= f {
		s.cacheDropFront(min(len(s.cache), int(index-f+1)))
	}
}

// SetHardState stages hs into b.
func (s *Storage) SetHardState(b storage.Batch, hs *raftpb.HardState) error {
	if err := writeProto(b, rangekeys.HardStateKey(s.rangeID), hs); err != nil {
		return err
	}
	s.hardState = proto.Clone(hs).(*raftpb.HardState)
	return nil
}

// Truncate stages the removal of every entry up to and including index
// (whose term is term). Truncating at or below the current truncated index
// does nothing; index must not exceed the last index.
func (s *Storage) Truncate(b storage.Batch, index, term uint64) error {
	if index <= s.truncated.GetIndex() {
		return nil
	}
	if index > s.lastIndex {
		return fmt.Errorf("raftstorage: truncate at %d beyond last index %d", index, s.lastIndex)
	}
	for i := s.truncated.GetIndex() + 1; i <= index; i++ {
		if err := b.DeleteRaw(rangekeys.RaftLogKey(s.rangeID, i)); err != nil {
			return err
		}
	}
	ts := &rangepb.TruncatedState{Index: index, Term: term}
	if err := writeProto(b, rangekeys.TruncatedStateKey(s.rangeID), ts); err != nil {
		return err
	}
	s.cacheTruncate(index)
	s.truncated = ts
	return nil
}

// StageSnapshot writes into w, in key order (w may be an SSTWriter), the
// raft state of this replica after applying a snapshot at (index, term)
// with HardState hs: the whole log removed, the truncated state at the
// snapshot, hs, and the extra unreplicated keys given (e.g. the replica
// ID). Nothing changes in memory until SnapshotApplied.
func (s *Storage) StageSnapshot(w storage.Writer, index, term uint64, hs *raftpb.HardState, extra map[string][]byte) error {
	puts := map[string][]byte{}
	for k, v := range extra {
		puts[k] = v
	}
	var err error
	if puts[string(rangekeys.HardStateKey(s.rangeID))], err = proto.Marshal(hs); err != nil {
		return err
	}
	if puts[string(rangekeys.TruncatedStateKey(s.rangeID))], err = proto.Marshal(&rangepb.TruncatedState{Index: index, Term: term}); err != nil {
		return err
	}
	keys := make([]string, 0, len(puts))
	for k := range puts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := w.PutRaw([]byte(k), puts[k]); err != nil {
			return err
		}
	}
	return w.ClearRange(rangekeys.RaftLogPrefix(s.rangeID), rangekeys.RaftLogKey(s.rangeID, ^uint64(0)))
}

// SnapshotApplied records in memory what StageSnapshot wrote, once it is
// durable.
func (s *Storage) SnapshotApplied(index, term uint64, hs *raftpb.HardState) {
	s.truncated = &rangepb.TruncatedState{Index: index, Term: term}
	s.lastIndex, s.lastTerm = index, term
	s.hardState = proto.Clone(hs).(*raftpb.HardState)
	s.cache, s.cacheBytes = nil, 0
}

// WriteInitialState writes the raft state of a new range's first replica
// at (index, term) into b: truncated state, HardState (term, commit =
// index). Used when bootstrapping a range.
func WriteInitialState(b storage.Batch, rangeID, index, term uint64) error {
	if err := writeProto(b, rangekeys.TruncatedStateKey(rangeID), &rangepb.TruncatedState{Index: index, Term: term}); err != nil {
		return err
	}
	return writeProto(b, rangekeys.HardStateKey(rangeID), &raftpb.HardState{
		Term: proto.Uint64(term), Commit: proto.Uint64(index), Vote: proto.Uint64(0)})
}
