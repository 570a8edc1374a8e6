package raftstorage

import (
	"errors"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

func entry(i, term uint64, data string) *raftpb.Entry {
	return &raftpb.Entry{Index: proto.Uint64(i), Term: proto.Uint64(term), Type: raftpb.EntryNormal.Enum(), Data: []byte(data)}
}

func commit(t *testing.T, eng storage.Engine, f func(b storage.Batch) error) {
	t.Helper()
	b := eng.NewBatch()
	defer b.Close()
	require.NoError(t, f(b))
	require.NoError(t, b.Commit(true))
}

// errKind collapses errors to the raft sentinels they wrap.
func errKind(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrCompacted):
		return raft.ErrCompacted
	case errors.Is(err, raft.ErrUnavailable):
		return raft.ErrUnavailable
	}
	return err
}

// checkEqual compares every observable of s with the reference.
func checkEqual(t *testing.T, rng *rand.Rand, ref *raft.MemoryStorage, s *Storage, step int) {
	t.Helper()
	rf, _ := ref.FirstIndex()
	rl, _ := ref.LastIndex()
	sf, _ := s.FirstIndex()
	sl, _ := s.LastIndex()
	require.Equal(t, rf, sf, "step %d: first index", step)
	require.Equal(t, rl, sl, "step %d: last index", step)
	for i := rf - 1; i <= rl+1; i++ {
		if i == 0 {
			continue
		}
		rt, rerr := ref.Term(i)
		st, serr := s.Term(i)
		require.Equal(t, errKind(rerr), errKind(serr), "step %d: term(%d) error", step, i)
		if rerr == nil {
			require.Equal(t, rt, st, "step %d: term(%d)", step, i)
		}
	}
	for k := 0; k < 5; k++ {
		lo := rf - 1 + uint64(rng.Intn(int(rl-rf+3)))
		if lo == 0 {
			lo = 1
		}
		hi := lo + uint64(rng.Intn(int(rl+2-min(lo, rl+1))))
		if hi > rl+1 {
			hi = rl + 1
		}
		if lo > hi {
			continue
		}
		maxSize := uint64(rng.Intn(200))
		if rng.Intn(3) == 0 {
			maxSize = ^uint64(0)
		}
		if lo == hi {
			continue
		}
		re, rerr := ref.Entries(lo, hi, maxSize)
		se, serr := s.Entries(lo, hi, maxSize)
		require.Equal(t, errKind(rerr), errKind(serr), "step %d: entries(%d,%d) error", step, lo, hi)
		require.Equal(t, len(re), len(se), "step %d: entries(%d,%d,%d)", step, lo, hi, maxSize)
		for j := range re {
			require.True(t, proto.Equal(re[j], se[j]), "step %d: entry %d", step, re[j].GetIndex())
		}
	}
}

// TestConformance runs random appends (with conflicting suffixes),
// truncations, snapshots and restarts against both our Storage and raft's
// MemoryStorage and demands identical answers.
func TestConformance(t *testing.T) {
	t.Run("default-cache", func(t *testing.T) { testConformance(t, func(*Storage) {}) })
	// A tiny entry cache: reads mix cached entries, evicted ones (from the
	// engine) and suffixes replaced in the cache.
	t.Run("tiny-cache", func(t *testing.T) {
		testConformance(t, func(s *Storage) { s.cacheMaxEntries, s.cacheMaxBytes = 3, 60 })
	})
	t.Run("no-cache", func(t *testing.T) {
		testConformance(t, func(s *Storage) { s.cacheMaxEntries = 0 })
	})
}

func testConformance(t *testing.T, tune func(*Storage)) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	eng, err := storage.Open(t.TempDir())
	require.NoError(t, err)
	defer eng.Close()
	const rangeID = 7
	// Start both from a truncated prefix at (10, 5), as a bootstrapped
	// range does.
	commit(t, eng, func(b storage.Batch) error { return WriteInitialState(b, rangeID, 10, 5) })
	s, err := Load(eng, rangeID)
	require.NoError(t, err)
	tune(s)
	ref := raft.NewMemoryStorage()
	require.NoError(t, ref.ApplySnapshot(&raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{
		Index: proto.Uint64(10), Term: proto.Uint64(5), ConfState: &raftpb.ConfState{}}}))
	term := uint64(5)
	for step := 0; step < 400; step++ {
		first, _ := ref.FirstIndex()
		last, _ := ref.LastIndex()
		switch op := rng.Intn(10); {
		case op < 6: // append, possibly overwriting a suffix
			start := first + uint64(rng.Intn(int(last-first+2)))
			if rng.Intn(3) == 0 {
				term++
			}
			n := 1 + rng.Intn(5)
			var ents []*raftpb.Entry
			for i := 0; i < n; i++ {
				ents = append(ents, entry(start+uint64(i), term, string(rune('a'+rng.Intn(26)))))
			}
			require.NoError(t, ref.Append(ents))
			commit(t, eng, func(b storage.Batch) error { return s.Append(b, ents) })
		case op < 8: // truncate
			if last < first {
				continue
			}
			i := first + uint64(rng.Intn(int(last-first+1)))
			it, err := ref.Term(i)
			require.NoError(t, err)
			require.NoError(t, ref.Compact(i))
			commit(t, eng, func(b storage.Batch) error { return s.Truncate(b, i, it) })
		case op < 9: // snapshot beyond the log
			i := last + uint64(1+rng.Intn(5))
			term++
			require.NoError(t, ref.ApplySnapshot(&raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{
				Index: proto.Uint64(i), Term: proto.Uint64(term), ConfState: &raftpb.ConfState{}}}))
			// As a replica applies one: the raft state in an ingested
			// sstable (in a batch every other time).
			hs := &raftpb.HardState{Term: proto.Uint64(term), Vote: proto.Uint64(0), Commit: proto.Uint64(i)}
			extra := map[string][]byte{string(rangekeys.ReplicaIDKey(rangeID)): {0, 0, 0, 0, 0, 0, 0, 3}}
			if step%2 == 0 {
				w, err := eng.NewSSTWriter("raft")
				require.NoError(t, err)
				require.NoError(t, s.StageSnapshot(w, i, term, hs, extra))
				require.NoError(t, w.Finish())
				require.NoError(t, eng.IngestSSTs([]string{w.Path()}))
			} else {
				commit(t, eng, func(b storage.Batch) error { return s.StageSnapshot(b, i, term, hs, extra) })
			}
			s.SnapshotApplied(i, term, hs)
			v, ok, err := eng.GetRaw(rangekeys.ReplicaIDKey(rangeID))
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 3}, v)
			// Reloading sees exactly what memory holds.
			s2, err := Load(eng, rangeID)
			require.NoError(t, err)
			checkEqual(t, rng, ref, s2, step)
		default: // restart: reload from the engine
			hs := &raftpb.HardState{Term: proto.Uint64(term), Vote: proto.Uint64(2), Commit: proto.Uint64(first - 1)}
			commit(t, eng, func(b storage.Batch) error { return s.SetHardState(b, hs) })
			s, err = Load(eng, rangeID)
			require.NoError(t, err)
			tune(s)
			got, _, err := s.InitialState()
			require.NoError(t, err)
			require.True(t, proto.Equal(hs, got), "hard state after restart")
		}
		checkEqual(t, rng, ref, s, step)
		checkCache(t, s, step)
	}
}

// checkCache demands that every cached entry is the one in the engine.
func checkCache(t *testing.T, s *Storage, step int) {
	t.Helper()
	require.LessOrEqual(t, len(s.cache), max(s.cacheMaxEntries, 0), "step %d: cache length", step)
	var bytes uint64
	for i, e := range s.cache {
		require.Equal(t, s.cacheFirst()+uint64(i), e.GetIndex(), "step %d: cache not contiguous", step)
		v, ok, err := s.eng.GetRaw(rangekeys.RaftLogKey(s.rangeID, e.GetIndex()))
		require.NoError(t, err)
		require.True(t, ok, "step %d: cached entry %d not in the engine", step, e.GetIndex())
		var got raftpb.Entry
		require.NoError(t, proto.Unmarshal(v, &got))
		require.True(t, proto.Equal(e, &got), "step %d: cached entry %d differs from the engine", step, e.GetIndex())
		bytes += uint64(proto.Size(e))
	}
	require.Equal(t, bytes, s.cacheBytes, "step %d: cache bytes", step)
	if len(s.cache) > 0 {
		require.Equal(t, s.lastIndex, s.cache[len(s.cache)-1].GetIndex(), "step %d: cache does not end at the last index", step)
	}
}

func TestSnapshotMetadataFromAppliedState(t *testing.T) {
	eng, err := storage.Open("", storage.InMemory())
	require.NoError(t, err)
	defer eng.Close()
	s, err := Load(eng, 3)
	require.NoError(t, err)
	_, err = s.Snapshot()
	require.ErrorIs(t, err, raft.ErrSnapshotTemporarilyUnavailable)
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	require.Equal(t, uint64(1), first, "an uninitialized replica's log starts at 1")
	require.Equal(t, uint64(0), last)

	cs := &raftpb.ConfState{Voters: []uint64{1, 2}, Learners: []uint64{3}}
	csb, err := proto.Marshal(cs)
	require.NoError(t, err)
	as := &rangepb.AppliedState{RaftAppliedIndex: 42, RaftAppliedTerm: 7, ConfState: csb}
	asb, err := proto.Marshal(as)
	require.NoError(t, err)
	require.NoError(t, eng.PutRaw(rangekeys.AppliedStateKey(3), asb))
	snap, err := s.Snapshot()
	require.NoError(t, err)
	require.Equal(t, uint64(42), snap.GetMetadata().GetIndex())
	require.Equal(t, uint64(7), snap.GetMetadata().GetTerm())
	require.True(t, proto.Equal(cs, snap.GetMetadata().GetConfState()))
	_, gotCS, err := s.InitialState()
	require.NoError(t, err)
	require.True(t, proto.Equal(cs, gotCS))
}

func TestBadInput(t *testing.T) {
	eng, err := storage.Open("", storage.InMemory())
	require.NoError(t, err)
	defer eng.Close()
	commit(t, eng, func(b storage.Batch) error { return WriteInitialState(b, 1, 10, 5) })
	s, err := Load(eng, 1)
	require.NoError(t, err)
	b := eng.NewBatch()
	defer b.Close()
	require.Error(t, s.Append(b, []*raftpb.Entry{entry(5, 5, "x")}), "append below the truncated index")
	require.Error(t, s.Append(b, []*raftpb.Entry{entry(13, 5, "x")}), "append leaving a gap")
	require.Error(t, s.Truncate(b, 20, 5), "truncate beyond the last index")
	_, err = s.Entries(11, 12, 100)
	require.ErrorIs(t, err, raft.ErrUnavailable)
	_, err = s.Entries(10, 11, 100)
	require.ErrorIs(t, err, raft.ErrCompacted)
	// Corrupt state is reported, not panicked on.
	require.NoError(t, eng.PutRaw(rangekeys.HardStateKey(2), []byte{0xff, 0xff}))
	_, err = Load(eng, 2)
	require.ErrorIs(t, err, ErrCorrupt)
}
