package spanlatch

import (
	"bytes"
	"context"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func sp(k, e string, a Access) Span { return Span{Key: []byte(k), EndKey: []byte(e), Access: a} }

func TestConflicts(t *testing.T) {
	require.True(t, sp("a", "", Write).conflicts(sp("a", "", Read)))
	require.False(t, sp("a", "", Read).conflicts(sp("a", "", Read)))
	require.False(t, sp("a", "", Write).conflicts(sp("b", "", Write)))
	require.True(t, sp("a", "c", Write).conflicts(sp("b", "", Read)))
	require.False(t, sp("a", "b", Write).conflicts(sp("b", "", Write)))
	require.True(t, sp("a", "", Write).conflicts(sp("", "b", Write)))
}

func TestWaitsForEarlierConflict(t *testing.T) {
	m := New()
	ctx := context.Background()
	g1, err := m.Acquire(ctx, []Span{sp("a", "", Write)})
	require.NoError(t, err)
	// A non-conflicting request is granted at once.
	g2, err := m.Acquire(ctx, []Span{sp("b", "", Write)})
	require.NoError(t, err)
	m.Release(g2)

	got := make(chan *Guard)
	go func() {
		g, err := m.Acquire(ctx, []Span{sp("a", "z", Read)})
		if err == nil {
			got <- g
		}
	}()
	// The conflicting reader must not be granted while g1 is held; a
	// context deadline proves it is blocked rather than racing.
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = m.Acquire(cctx, []Span{sp("a", "", Read)})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	m.Release(g1)
	g3 := <-got
	m.Release(g3)
	m.Release(g3) // idempotent
	require.Equal(t, 0, m.Len())
}

// TestMutualExclusion: concurrent writers to overlapping keys never
// overlap in their critical sections.
func TestMutualExclusion(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	m := New()
	var inside [4]atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		rng := rand.New(rand.NewSource(seed + int64(w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				k := rng.Intn(4)
				g, err := m.Acquire(context.Background(), []Span{sp(string(rune('a'+k)), "", Write)})
				require.NoError(t, err)
				require.Equal(t, int32(1), inside[k].Add(1))
				inside[k].Add(-1)
				m.Release(g)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 0, m.Len())
}

// TestOverlapsMatchesHalfOpenSpans: overlaps (which builds no end key)
// agrees with the definition — [Key, EndKey) and a point span as
// [Key, Key+"\x00") overlap when each starts before the other ends — on
// every pair of spans over keys that include a key and its immediate
// successor.
func TestOverlapsMatchesHalfOpenSpans(t *testing.T) {
	ks := [][]byte{{}, []byte("a"), []byte("a\x00"), []byte("a\x00\x00"), []byte("a\x01"), []byte("ab"), []byte("b"), []byte("b\x00")}
	end := func(s Span) []byte {
		if len(s.EndKey) == 0 {
			return append(append([]byte(nil), s.Key...), 0)
		}
		return s.EndKey
	}
	var spans []Span
	for _, k := range ks {
		spans = append(spans, Span{Key: k})
		for _, e := range ks {
			if len(e) > 0 {
				spans = append(spans, Span{Key: k, EndKey: e})
			}
		}
	}
	for _, x := range spans {
		for _, y := range spans {
			want := bytes.Compare(x.Key, end(y)) < 0 && bytes.Compare(y.Key, end(x)) < 0
			require.Equalf(t, want, x.overlaps(y), "%q-%q vs %q-%q", x.Key, x.EndKey, y.Key, y.EndKey)
		}
	}
	require.Zero(t, testing.AllocsPerRun(100, func() { spans[3].overlaps(spans[40]) }))
}
