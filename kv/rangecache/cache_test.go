package rangecache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/kv/kvpb"
)

func desc(id, gen uint64, start, end string, replicaIDs ...uint64) *kvpb.RangeDescriptor {
	d := &kvpb.RangeDescriptor{RangeId: id, Generation: gen, StartKey: []byte(start), EndKey: []byte(end)}
	for _, r := range replicaIDs {
		d.Replicas = append(d.Replicas, &kvpb.ReplicaDescriptor{NodeId: r, StoreId: r, ReplicaId: r})
	}
	return d
}

func noLookup(context.Context, []byte, bool) ([]*kvpb.RangeDescriptor, error) {
	return nil, errors.New("unexpected lookup")
}

func spans(c *Cache) string {
	var b bytes.Buffer
	for _, e := range c.Entries() {
		fmt.Fprintf(&b, "r%d/g%d[%s,%s) ", e.Desc.GetRangeId(), e.Desc.GetGeneration(), e.Desc.GetStartKey(), e.Desc.GetEndKey())
	}
	return b.String()
}

func TestInsertAndGet(t *testing.T) {
	c := New(noLookup)
	c.Insert(desc(1, 1, "a", "f"), desc(2, 1, "f", "m"), desc(3, 1, "m", "z"))
	require.Equal(t, "r1/g1[a,f) r2/g1[f,m) r3/g1[m,z) ", spans(c))
	for key, want := range map[string]uint64{"a": 1, "e": 1, "f": 2, "ly": 2, "m": 3, "y": 3} {
		e, ok := c.Get([]byte(key))
		require.True(t, ok, key)
		require.Equal(t, want, e.Desc.GetRangeId(), key)
	}
	for _, key := range []string{"", "0", "z", "zz"} {
		_, ok := c.Get([]byte(key))
		require.False(t, ok, key)
	}
	// Reverse lookups: the range holding the keys just below the key.
	ctx := context.Background()
	for key, want := range map[string]uint64{"b": 1, "f": 1, "f\x00": 2, "m": 2, "z": 3} {
		e, err := c.LookupReverse(ctx, []byte(key))
		require.NoError(t, err, key)
		require.Equal(t, want, e.Desc.GetRangeId(), key)
	}
	_, err := c.LookupReverse(ctx, []byte("a"))
	require.Error(t, err)
}

func TestInsertOverlap(t *testing.T) {
	tests := []struct {
		name   string
		before []*kvpb.RangeDescriptor
		insert []*kvpb.RangeDescriptor
		want   string
	}{
		{"split replaces the old whole range",
			[]*kvpb.RangeDescriptor{desc(1, 1, "a", "z")},
			[]*kvpb.RangeDescriptor{desc(2, 2, "m", "z")},
			"r2/g2[m,z) "},
		{"both halves of a split",
			[]*kvpb.RangeDescriptor{desc(1, 1, "a", "z")},
			[]*kvpb.RangeDescriptor{desc(1, 2, "a", "m"), desc(2, 2, "m", "z")},
			"r1/g2[a,m) r2/g2[m,z) "},
		{"stale pre-split descriptor ignored",
			[]*kvpb.RangeDescriptor{desc(1, 2, "a", "m"), desc(2, 2, "m", "z")},
			[]*kvpb.RangeDescriptor{desc(1, 1, "a", "z")},
			"r1/g2[a,m) r2/g2[m,z) "},
		{"merge replaces both sides",
			[]*kvpb.RangeDescriptor{desc(1, 2, "a", "m"), desc(2, 4, "m", "z"), desc(3, 1, "z", "zz")},
			[]*kvpb.RangeDescriptor{desc(1, 5, "a", "z")},
			"r1/g5[a,z) r3/g1[z,zz) "},
		{"stale merged descriptor ignored",
			[]*kvpb.RangeDescriptor{desc(1, 2, "a", "m"), desc(2, 4, "m", "z")},
			[]*kvpb.RangeDescriptor{desc(1, 3, "a", "z")},
			"r1/g2[a,m) r2/g4[m,z) "},
		{"equal generation: last insert wins",
			[]*kvpb.RangeDescriptor{desc(1, 3, "a", "m")},
			[]*kvpb.RangeDescriptor{desc(1, 3, "a", "n")},
			"r1/g3[a,n) "},
		{"non-overlapping neighbours kept",
			[]*kvpb.RangeDescriptor{desc(1, 1, "a", "c"), desc(3, 1, "x", "z")},
			[]*kvpb.RangeDescriptor{desc(2, 1, "c", "x")},
			"r1/g1[a,c) r2/g1[c,x) r3/g1[x,z) "},
		{"empty or inverted descriptors ignored",
			[]*kvpb.RangeDescriptor{desc(1, 1, "a", "c")},
			[]*kvpb.RangeDescriptor{desc(2, 9, "c", "c"), desc(3, 9, "d", "b"), nil},
			"r1/g1[a,c) "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(noLookup)
			c.Insert(tc.before...)
			c.Insert(tc.insert...)
			require.Equal(t, tc.want, spans(c))
		})
	}
}

func TestEvict(t *testing.T) {
	c := New(noLookup)
	c.Insert(desc(1, 3, "a", "m"), desc(2, 3, "m", "z"))
	c.Evict(desc(1, 2, "a", "z")) // older than the cached r1: kept
	require.Equal(t, 2, c.Len())
	c.Evict(desc(1, 3, "a", "m"))
	require.Equal(t, "r2/g3[m,z) ", spans(c))
	c.EvictAndReplace(desc(2, 3, "m", "z"), desc(2, 4, "m", "q"), desc(5, 4, "q", "z"))
	require.Equal(t, "r2/g4[m,q) r5/g4[q,z) ", spans(c))
	c.Evict(nil)
	c.Clear()
	require.Equal(t, 0, c.Len())
}

func TestLeaseholder(t *testing.T) {
	c := New(noLookup)
	d := desc(1, 1, "a", "z", 1, 2, 3)
	c.Insert(d)
	c.UpdateLeaseholder(d, &kvpb.ReplicaDescriptor{NodeId: 2, StoreId: 2, ReplicaId: 2})
	e, _ := c.Get([]byte("b"))
	require.Equal(t, uint64(2), e.Leaseholder.GetReplicaId())
	// A replica outside the descriptor is not recorded.
	c.UpdateLeaseholder(d, &kvpb.ReplicaDescriptor{NodeId: 9, StoreId: 9, ReplicaId: 9})
	e, _ = c.Get([]byte("b"))
	require.Equal(t, uint64(2), e.Leaseholder.GetReplicaId())
	// A newer descriptor of the same range keeps the leaseholder if it is
	// still a replica, and drops it otherwise.
	c.Insert(desc(1, 2, "a", "z", 1, 2, 4))
	e, _ = c.Get([]byte("b"))
	require.Equal(t, uint64(2), e.Leaseholder.GetReplicaId())
	c.Insert(desc(1, 3, "a", "z", 1, 4, 5))
	e, _ = c.Get([]byte("b"))
	require.Nil(t, e.Leaseholder)
	c.UpdateLeaseholder(desc(1, 3, "a", "z"), &kvpb.ReplicaDescriptor{ReplicaId: 4})
	c.ClearLeaseholder(d)
	e, _ = c.Get([]byte("b"))
	require.Nil(t, e.Leaseholder)
}

func TestLookupMiss(t *testing.T) {
	var calls atomic.Int32
	c := New(func(_ context.Context, key []byte, reverse bool) ([]*kvpb.RangeDescriptor, error) {
		calls.Add(1)
		switch {
		case string(key) == "~bad":
			return []*kvpb.RangeDescriptor{desc(7, 1, "x", "y")}, nil
		case string(key) == "~err":
			return nil, errors.New("meta unavailable")
		case string(key) == "~none":
			return nil, nil
		}
		return []*kvpb.RangeDescriptor{desc(1, 1, "a", "m"), desc(2, 1, "m", "z")}, nil
	})
	ctx := context.Background()
	e, err := c.Lookup(ctx, []byte("c"))
	require.NoError(t, err)
	require.Equal(t, uint64(1), e.Desc.GetRangeId())
	// The prefetched neighbour is cached too.
	e, err = c.Lookup(ctx, []byte("n"))
	require.NoError(t, err)
	require.Equal(t, uint64(2), e.Desc.GetRangeId())
	require.Equal(t, int32(1), calls.Load())

	_, err = c.Lookup(ctx, []byte("~bad"))
	require.ErrorContains(t, err, "does not hold it")
	_, err = c.Lookup(ctx, []byte("~err"))
	require.ErrorContains(t, err, "meta unavailable")
	_, err = c.Lookup(ctx, []byte("~none"))
	require.ErrorContains(t, err, "no range descriptor")
	require.Equal(t, 2, c.Len(), "failed lookups insert nothing")
}

// TestLookupCoalesced checks that concurrent misses on one key share one
// lookup and all see its result.
func TestLookupCoalesced(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	var calls atomic.Int32
	c := New(func(ctx context.Context, key []byte, reverse bool) ([]*kvpb.RangeDescriptor, error) {
		calls.Add(1)
		started <- struct{}{}
		<-release
		return []*kvpb.RangeDescriptor{desc(1, 1, "a", "z")}, nil
	})
	ctx := context.Background()
	const n = 10
	var wg sync.WaitGroup
	results := make([]uint64, n)
	lookup := func(i int) {
		defer wg.Done()
		e, err := c.Lookup(ctx, []byte("k"))
		if err == nil {
			results[i] = e.Desc.GetRangeId()
		}
	}
	wg.Add(n)
	go lookup(0)
	<-started
	for i := 1; i < n; i++ {
		go lookup(i)
	}
	waitFor(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.mu.waiting == n-1
	})
	close(release)
	wg.Wait()
	require.Equal(t, int32(1), calls.Load())
	for i := range results {
		require.Equal(t, uint64(1), results[i])
	}

	// A waiter whose context ends gives up without waiting for the lookup.
	c.Clear()
	release = make(chan struct{})
	wg.Add(1)
	go lookup(0)
	<-started
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := c.Lookup(cctx, []byte("k"))
	require.ErrorIs(t, err, context.Canceled)
	close(release)
	wg.Wait()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// truth is a model key space over single-letter keys ["a", "z"), cut into
// ranges by random splits and merges that follow the generation rules.
type truth struct {
	descs  []*kvpb.RangeDescriptor // sorted, covering [a, z)
	nextID uint64
}

func (tr *truth) find(key []byte, reverse bool) int {
	for i, d := range tr.descs {
		if contains(d, key, reverse) {
			return i
		}
	}
	return -1
}

func (tr *truth) step(rng *rand.Rand) {
	i := rng.Intn(len(tr.descs))
	d := tr.descs[i]
	if rng.Intn(2) == 0 && len(d.EndKey) > 0 {
		// Split at a key strictly inside d.
		start, end := d.StartKey[0], d.EndKey[0]
		if end-start < 2 {
			return
		}
		mid := start + 1 + byte(rng.Intn(int(end-start-1)))
		tr.nextID++
		left := desc(d.RangeId, d.Generation+1, string(start), string(mid))
		right := desc(tr.nextID, d.Generation+1, string(mid), string(end))
		tr.descs = append(tr.descs[:i], append([]*kvpb.RangeDescriptor{left, right}, tr.descs[i+1:]...)...)
		return
	}
	if i+1 < len(tr.descs) {
		r := tr.descs[i+1]
		merged := desc(d.RangeId, max(d.Generation, r.Generation)+1, string(d.StartKey), string(r.EndKey))
		tr.descs = append(tr.descs[:i], append([]*kvpb.RangeDescriptor{merged}, tr.descs[i+2:]...)...)
	}
}

// TestRandomizedConvergence splits and merges a model key space behind the
// cache's back, feeds the cache a random mix of current and historical
// descriptors, and checks that the cache never holds overlapping entries
// and that a DistSender-style repair loop (evict what proved wrong, look up
// again) always reaches the true descriptor within a few attempts.
func TestRandomizedConvergence(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	tr := &truth{descs: []*kvpb.RangeDescriptor{desc(1, 1, "a", "z")}, nextID: 1}
	var history []*kvpb.RangeDescriptor
	c := New(func(_ context.Context, key []byte, reverse bool) ([]*kvpb.RangeDescriptor, error) {
		i := tr.find(key, reverse)
		if i < 0 {
			return nil, fmt.Errorf("no range for %q", key)
		}
		out := []*kvpb.RangeDescriptor{tr.descs[i]}
		if i+1 < len(tr.descs) && rng.Intn(2) == 0 {
			out = append(out, tr.descs[i+1])
		}
		return out, nil
	})
	ctx := context.Background()
	for step := 0; step < 3000; step++ {
		switch rng.Intn(4) {
		case 0:
			tr.step(rng)
			history = append(history, tr.descs...)
		case 1:
			if len(history) > 0 {
				c.Insert(history[rng.Intn(len(history))])
			}
		default:
			reverse := rng.Intn(3) == 0
			key := []byte{byte('a' + rng.Intn(25))}
			if reverse {
				key = []byte{byte('b' + rng.Intn(25))}
			}
			want := tr.descs[tr.find(key, reverse)]
			var got *kvpb.RangeDescriptor
			for attempt := 0; ; attempt++ {
				require.Less(t, attempt, 3, "step %d: no convergence for key %q (seed %d)", step, key, seed)
				e, err := c.lookupDir(ctx, key, reverse)
				require.NoError(t, err)
				if e.Desc.GetRangeId() == want.GetRangeId() && e.Desc.GetGeneration() == want.GetGeneration() {
					got = e.Desc
					break
				}
				// The range would answer with a mismatch: evict and retry.
				c.Evict(e.Desc)
			}
			require.Equal(t, want.GetStartKey(), got.GetStartKey())
			require.Equal(t, want.GetEndKey(), got.GetEndKey())
		}
		es := c.Entries()
		for i := 1; i < len(es); i++ {
			require.LessOrEqual(t, string(es[i-1].Desc.GetEndKey()), string(es[i].Desc.GetStartKey()),
				"step %d: overlapping or unsorted entries: %s (seed %d)", step, spans(c), seed)
		}
	}
}
