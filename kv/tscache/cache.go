package tscache

import (
	"bytes"
	"sync"

	"github.com/tesseradb/tessera/hlc"
)

// DefaultMaxEntries bounds the number of entries before the cache folds
// them into its low-water mark.
const DefaultMaxEntries = 16 << 10

type spanEntry struct {
	key, end []byte
	ts       hlc.Timestamp
}

// Cache is a timestamp cache. Safe for concurrent use.
type Cache struct {
	mu     sync.Mutex
	low    hlc.Timestamp
	points map[string]hlc.Timestamp
	spans  []spanEntry
	max    int
}

// New returns an empty cache with the given low-water mark.
func New(low hlc.Timestamp) *Cache {
	return &Cache{low: low, points: map[string]hlc.Timestamp{}, max: DefaultMaxEntries}
}

// Add records a read of [key, end) at ts; an empty end is the point key.
func (c *Cache) Add(key, end []byte, ts hlc.Timestamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ts.LessEq(c.low) {
		return
	}
	if len(c.points)+len(c.spans) >= c.max {
		c.foldLocked()
	}
	if len(end) == 0 {
		k := string(key)
		c.points[k] = c.points[k].Forward(ts)
		return
	}
	c.spans = append(c.spans, spanEntry{key: append([]byte(nil), key...), end: append([]byte(nil), end...), ts: ts})
}

func (c *Cache) foldLocked() {
	for _, ts := range c.points {
		c.low = c.low.Forward(ts)
	}
	for _, s := range c.spans {
		c.low = c.low.Forward(s.ts)
	}
	c.points = map[string]hlc.Timestamp{}
	c.spans = nil
}

// Get returns the highest read timestamp recorded over [key, end) (a point
// when end is empty), at least the low-water mark.
func (c *Cache) Get(key, end []byte) hlc.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.low
	if len(end) == 0 {
		ts = ts.Forward(c.points[string(key)])
		for _, s := range c.spans {
			if bytes.Compare(s.key, key) <= 0 && bytes.Compare(key, s.end) < 0 {
				ts = ts.Forward(s.ts)
			}
		}
		return ts
	}
	for k, pts := range c.points {
		if bytes.Compare([]byte(k), key) >= 0 && bytes.Compare([]byte(k), end) < 0 {
			ts = ts.Forward(pts)
		}
	}
	for _, s := range c.spans {
		if bytes.Compare(s.key, end) < 0 && bytes.Compare(key, s.end) < 0 {
			ts = ts.Forward(s.ts)
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

// LowWater returns the low-water mark.
func (c *Cache) LowWater() hlc.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.low
}
