package tscache

import (
	"sync"

	"github.com/tesseradb/tessera/hlc"
)

// DefaultMaxEntries bounds the number of entries before the cache folds
// them into its low-water mark.
const DefaultMaxEntries = 16 << 10

// pointEntry is the read of one key: the highest timestamp and the txn
// that read there (none if none or several at that timestamp).
type pointEntry struct {
	ts  hlc.Timestamp
	txn txnRef
}

// forward merges a read at ts by txn into e.
func (e *pointEntry) forward(ts hlc.Timestamp, txn []byte) {
	switch {
	case e.ts.Less(ts):
		e.ts = ts
		if !e.txn.is(txn) {
			e.txn = makeTxnRef(txn)
		}
	case e.ts == ts && !e.txn.is(txn):
		e.txn = txnRef{}
	}
}

// Cache is a timestamp cache. Safe for concurrent use.
//
// Point reads live in a map (a point write asks one lookup), span reads
// in an interval tree (spanTree) whose lookups visit only the spans that
// may overlap the key. Reads of the same key, or of the same span, share
// one entry holding the highest timestamp.
type Cache struct {
	mu     sync.Mutex
	low    hlc.Timestamp
	hi     hlc.Timestamp // highest timestamp added since New
	points map[string]*pointEntry
	spans  spanTree
	max    int
}

// New returns an empty cache with the given low-water mark.
func New(low hlc.Timestamp) *Cache {
	return &Cache{low: low, points: map[string]*pointEntry{}, max: DefaultMaxEntries, spans: spanTree{seed: 0x9e3779b9}}
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
	c.hi = c.hi.Forward(ts)
	if len(end) == 0 {
		if e, ok := c.points[string(key)]; ok {
			e.forward(ts, txn)
			return
		}
	} else if c.spans.forward(key, end, ts, txn) {
		return
	}
	if len(c.points)+c.spans.n >= c.max {
		c.foldLocked()
	}
	if len(end) == 0 {
		c.points[string(key)] = &pointEntry{ts: ts, txn: makeTxnRef(txn)}
		return
	}
	c.spans.insert(key, end, ts, makeTxnRef(txn))
}

// foldLocked forgets every entry, raising the low-water mark to the
// highest timestamp they held.
func (c *Cache) foldLocked() {
	c.low = c.low.Forward(c.hi)
	clear(c.points)
	c.spans.reset()
}

// Get returns the highest read timestamp recorded over [key, end) (a point
// when end is empty), at least the low-water mark.
func (c *Cache) Get(key, end []byte) hlc.Timestamp { return c.GetTxn(key, end, nil) }

// GetTxn is Get ignoring the reads of txn (nil: ignore none).
func (c *Cache) GetTxn(key, end []byte, txn []byte) hlc.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	other := func(t *txnRef) bool { return txn == nil || t.none() || !t.is(txn) }
	ts := c.low
	if len(end) == 0 {
		if e, ok := c.points[string(key)]; ok && other(&e.txn) {
			ts = ts.Forward(e.ts)
		}
	} else {
		for k, e := range c.points {
			if k >= string(key) && k < string(end) && other(&e.txn) {
				ts = ts.Forward(e.ts)
			}
		}
	}
	c.spans.root.overlapping(key, end, func(s *spanNode) {
		if other(&s.txn) {
			ts = ts.Forward(s.ts)
		}
	})
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
	return c.low.Forward(c.hi)
}

// LowWater returns the low-water mark.
func (c *Cache) LowWater() hlc.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.low
}
