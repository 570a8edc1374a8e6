package tscache

import (
	"bytes"
	"slices"
	"sort"
	"sync"

	"github.com/tesseradb/tessera/hlc"
)

// DefaultMaxEntries bounds the number of entries before the cache folds
// them into its low-water mark.
const DefaultMaxEntries = 16 << 10

type spanEntry struct {
	key, end []byte
	ts       hlc.Timestamp
	txn      string // reading txn ID, "" if none or several at ts
}

type pointEntry struct {
	ts  hlc.Timestamp
	txn string
}

// forward merges a read at ts by txn into e.
func (e pointEntry) forward(ts hlc.Timestamp, txn string) pointEntry {
	switch {
	case e.ts.Less(ts):
		return pointEntry{ts: ts, txn: txn}
	case e.ts == ts && e.txn != txn:
		return pointEntry{ts: ts}
	}
	return e
}

// Cache is a timestamp cache. Safe for concurrent use.
//
// Span reads are kept so that a point lookup (every point write asks one)
// does not visit all of them: spans is sorted by start key and indexed by
// blockEnd (the largest end key of each spanBlock entries), recent holds
// the spans added since the index was last built (at most maxRecent,
// then merged in). A point lookup visits recent, and of the sorted spans
// that start at or below the key only the blocks whose largest end is
// above it.
type Cache struct {
	mu       sync.Mutex
	low      hlc.Timestamp
	points   map[string]pointEntry
	spans    []spanEntry
	blockEnd [][]byte
	recent   []spanEntry
	max      int
}

const (
	spanBlock = 64
	maxRecent = 256
)

// indexLocked merges recent into the sorted spans and rebuilds blockEnd.
func (c *Cache) indexLocked() {
	if len(c.recent) == 0 {
		return
	}
	slices.SortFunc(c.recent, func(a, b spanEntry) int { return bytes.Compare(a.key, b.key) })
	merged := make([]spanEntry, 0, len(c.spans)+len(c.recent))
	i, j := 0, 0
	for i < len(c.spans) || j < len(c.recent) {
		if j == len(c.recent) || (i < len(c.spans) && bytes.Compare(c.spans[i].key, c.recent[j].key) <= 0) {
			merged = append(merged, c.spans[i])
			i++
		} else {
			merged = append(merged, c.recent[j])
			j++
		}
	}
	c.spans, c.recent = merged, nil
	c.blockEnd = c.blockEnd[:0]
	for lo := 0; lo < len(c.spans); lo += spanBlock {
		var m []byte
		for _, e := range c.spans[lo:min(lo+spanBlock, len(c.spans))] {
			if bytes.Compare(e.end, m) > 0 {
				m = e.end
			}
		}
		c.blockEnd = append(c.blockEnd, m)
	}
}

// New returns an empty cache with the given low-water mark.
func New(low hlc.Timestamp) *Cache {
	return &Cache{low: low, points: map[string]pointEntry{}, max: DefaultMaxEntries}
}

// Add records a read of [key, end) at ts; an empty end is the point key.
func (c *Cache) Add(key, end []byte, ts hlc.Timestamp) { c.AddTxn(key, end, ts, nil) }

// AddTxn records a read by txn (nil: non-transactional). A txn's own
// reads do not push its writes (GetTxn); this is sound because a txn
// reads at or below its write timestamp.
func (c *Cache) AddTxn(key, end []byte, ts hlc.Timestamp, txn []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ts.LessEq(c.low) {
		return
	}
	if len(c.points)+len(c.spans)+len(c.recent) >= c.max {
		c.foldLocked()
	}
	if len(end) == 0 {
		k := string(key)
		c.points[k] = c.points[k].forward(ts, string(txn))
		return
	}
	c.recent = append(c.recent, spanEntry{key: append([]byte(nil), key...), end: append([]byte(nil), end...), ts: ts, txn: string(txn)})
	if len(c.recent) >= maxRecent {
		c.indexLocked()
	}
}

func (c *Cache) foldLocked() {
	for _, e := range c.points {
		c.low = c.low.Forward(e.ts)
	}
	for _, s := range c.spans {
		c.low = c.low.Forward(s.ts)
	}
	for _, s := range c.recent {
		c.low = c.low.Forward(s.ts)
	}
	c.points = map[string]pointEntry{}
	c.spans, c.blockEnd, c.recent = nil, nil, nil
}

// Get returns the highest read timestamp recorded over [key, end) (a point
// when end is empty), at least the low-water mark.
func (c *Cache) Get(key, end []byte) hlc.Timestamp { return c.GetTxn(key, end, nil) }

// GetTxn is Get ignoring the reads of txn (nil: ignore none).
func (c *Cache) GetTxn(key, end []byte, txn []byte) hlc.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	other := func(t string) bool { return txn == nil || t == "" || t != string(txn) }
	ts := c.low
	if len(end) == 0 {
		if e, ok := c.points[string(key)]; ok && other(e.txn) {
			ts = ts.Forward(e.ts)
		}
		for _, s := range c.recent {
			if bytes.Compare(s.key, key) <= 0 && bytes.Compare(key, s.end) < 0 && other(s.txn) {
				ts = ts.Forward(s.ts)
			}
		}
		// The sorted spans that start at or below key: spans[:n].
		n := sort.Search(len(c.spans), func(i int) bool { return bytes.Compare(c.spans[i].key, key) > 0 })
		for b, lo := 0, 0; lo < n; b, lo = b+1, lo+spanBlock {
			if bytes.Compare(key, c.blockEnd[b]) >= 0 {
				continue // every span of the block ends at or below key
			}
			for _, s := range c.spans[lo:min(lo+spanBlock, n)] {
				if bytes.Compare(key, s.end) < 0 && other(s.txn) {
					ts = ts.Forward(s.ts)
				}
			}
		}
		return ts
	}
	for k, e := range c.points {
		if bytes.Compare([]byte(k), key) >= 0 && bytes.Compare([]byte(k), end) < 0 && other(e.txn) {
			ts = ts.Forward(e.ts)
		}
	}
	for _, list := range [][]spanEntry{c.spans, c.recent} {
		for _, s := range list {
			if bytes.Compare(s.key, end) < 0 && bytes.Compare(key, s.end) < 0 && other(s.txn) {
				ts = ts.Forward(s.ts)
			}
		}
	}
	return ts
}

// SetLowWater raises the low-water mark to ts (never lowers it).
func (c *Cache) SetLowWater(ts hlc.Timestamp) {
	c.mu.Lock()
	c.low = c.low.Forward(ts)
	c.mu.Unlock()
}

// Max returns the highest timestamp the cache holds for any span: its
// low-water mark or above, a bound on every read it recorded. What a
// lease transfer carries to the next holder (reads may be recorded above
// the holder's clock, so the clock is no such bound).
func (c *Cache) Max() hlc.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.low
	for _, e := range c.points {
		ts = ts.Forward(e.ts)
	}
	for _, s := range c.spans {
		ts = ts.Forward(s.ts)
	}
	return ts
}

// LowWater returns the low-water mark.
func (c *Cache) LowWater() hlc.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.low
}
