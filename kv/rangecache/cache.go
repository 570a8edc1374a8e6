package rangecache

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/tesseradb/tessera/kv/kvpb"
	"google.golang.org/protobuf/proto"
)

// Entry is one cached range: its descriptor and the replica last known to
// hold its lease (nil when unknown). Entries returned by the cache are
// copies the caller may keep; the descriptors inside must not be modified.
type Entry struct {
	Desc        *kvpb.RangeDescriptor
	Leaseholder *kvpb.ReplicaDescriptor
}

// LookupFunc finds the descriptor of the range containing key or, when
// reverse is set, of the range containing the keys just below key (start <
// key <= end). It may return further descriptors (neighbours read in the
// same meta scan); the first must be the one asked for.
type LookupFunc func(ctx context.Context, key []byte, reverse bool) ([]*kvpb.RangeDescriptor, error)

// Cache is a concurrency-safe range descriptor cache.
type Cache struct {
	lookup LookupFunc

	mu struct {
		sync.Mutex
		entries  []*Entry // sorted by Desc.EndKey, non-overlapping
		inflight map[inflightKey]*inflightLookup
		waiting  int // callers blocked on another's lookup (for tests)
	}
}

type inflightKey struct {
	key     string
	reverse bool
}

type inflightLookup struct {
	done  chan struct{}
	entry Entry
	err   error
}

// New returns an empty cache that fills itself through lookup.
func New(lookup LookupFunc) *Cache {
	c := &Cache{lookup: lookup}
	c.mu.inflight = make(map[inflightKey]*inflightLookup)
	return c
}

// Lookup returns the range containing key, from the cache or else through
// the LookupFunc.
func (c *Cache) Lookup(ctx context.Context, key []byte) (Entry, error) {
	return c.lookupDir(ctx, key, false)
}

// LookupReverse returns the range containing the keys just below key: the
// range a reverse scan ending (exclusively) at key starts in.
func (c *Cache) LookupReverse(ctx context.Context, key []byte) (Entry, error) {
	return c.lookupDir(ctx, key, true)
}

func (c *Cache) lookupDir(ctx context.Context, key []byte, reverse bool) (Entry, error) {
	retried := false
	for {
		c.mu.Lock()
		if e, ok := c.getLocked(key, reverse); ok {
			c.mu.Unlock()
			return e, nil
		}
		k := inflightKey{key: string(key), reverse: reverse}
		if fl, ok := c.mu.inflight[k]; ok {
			c.mu.waiting++
			c.mu.Unlock()
			var err error
			select {
			case <-fl.done:
			case <-ctx.Done():
				err = ctx.Err()
			}
			c.mu.Lock()
			c.mu.waiting--
			c.mu.Unlock()
			if err != nil {
				return Entry{}, err
			}
			if fl.err != nil {
				if !retried {
					// The shared lookup may have failed for its own
					// caller's reasons (its context was cancelled, e.g. a
					// DistSender read-ahead no longer needed): look up once
					// more, ourselves if nobody else is.
					retried = true
					continue
				}
				return Entry{}, fl.err
			}
			// The shared lookup inserted its result; read it back through
			// the cache so that a newer entry inserted meanwhile wins.
			continue
		}
		fl := &inflightLookup{done: make(chan struct{})}
		c.mu.inflight[k] = fl
		c.mu.Unlock()

		descs, err := c.lookup(ctx, key, reverse)
		if err == nil {
			err = checkLookupResult(descs, key, reverse)
		}
		c.mu.Lock()
		delete(c.mu.inflight, k)
		if err == nil {
			for _, d := range descs {
				c.insertLocked(d)
			}
			fl.entry = Entry{Desc: descs[0]}
		}
		fl.err = err
		c.mu.Unlock()
		close(fl.done)
		if err != nil {
			return Entry{}, err
		}
		return fl.entry, nil
	}
}

func checkLookupResult(descs []*kvpb.RangeDescriptor, key []byte, reverse bool) error {
	if len(descs) == 0 || descs[0] == nil {
		return fmt.Errorf("rangecache: no range descriptor found for key %q", key)
	}
	if !contains(descs[0], key, reverse) {
		d := descs[0]
		return fmt.Errorf("rangecache: lookup of key %q returned range r%d [%q, %q), which does not hold it",
			key, d.GetRangeId(), d.GetStartKey(), d.GetEndKey())
	}
	return nil
}

func contains(d *kvpb.RangeDescriptor, key []byte, reverse bool) bool {
	if reverse {
		return bytes.Compare(d.GetStartKey(), key) < 0 && bytes.Compare(key, d.GetEndKey()) <= 0
	}
	return bytes.Compare(d.GetStartKey(), key) <= 0 && bytes.Compare(key, d.GetEndKey()) < 0
}

// Get returns the cached range containing key without looking it up.
func (c *Cache) Get(key []byte) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getLocked(key, false)
}

// GetReverse returns the cached range containing the keys just below key
// (start < key <= end) without looking it up.
func (c *Cache) GetReverse(key []byte) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getLocked(key, true)
}

// getLocked finds the entry holding key: the first entry whose end key is
// past key (at or past it, for reverse lookups).
func (c *Cache) getLocked(key []byte, reverse bool) (Entry, bool) {
	i := c.searchLocked(key, reverse)
	if i == len(c.mu.entries) || !contains(c.mu.entries[i].Desc, key, reverse) {
		return Entry{}, false
	}
	return *c.mu.entries[i], true
}

func (c *Cache) searchLocked(key []byte, reverse bool) int {
	es := c.mu.entries
	return sort.Search(len(es), func(i int) bool {
		cmp := bytes.Compare(es[i].Desc.GetEndKey(), key)
		if reverse {
			return cmp >= 0
		}
		return cmp > 0
	})
}

// Insert adds descriptors learnt from a lookup or from an error, evicting
// the older entries they overlap. A descriptor older than an overlapping
// entry is ignored.
func (c *Cache) Insert(descs ...*kvpb.RangeDescriptor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range descs {
		c.insertLocked(d)
	}
}

func (c *Cache) insertLocked(d *kvpb.RangeDescriptor) {
	if d == nil || bytes.Compare(d.GetStartKey(), d.GetEndKey()) >= 0 {
		return
	}
	lo, hi := c.overlapLocked(d.GetStartKey(), d.GetEndKey())
	var keepLease *kvpb.ReplicaDescriptor
	for _, e := range c.mu.entries[lo:hi] {
		if e.Desc.GetGeneration() > d.GetGeneration() {
			return // something newer already covers part of d
		}
		if e.Desc.GetRangeId() == d.GetRangeId() && e.Leaseholder != nil {
			if _, ok := replicaByID(d, e.Leaseholder.GetReplicaId()); ok {
				keepLease = e.Leaseholder
			}
		}
	}
	ne := &Entry{Desc: d, Leaseholder: keepLease}
	es := c.mu.entries
	out := make([]*Entry, 0, len(es)-(hi-lo)+1)
	out = append(out, es[:lo]...)
	out = append(out, ne)
	out = append(out, es[hi:]...)
	c.mu.entries = out
}

// overlapLocked returns the index range [lo, hi) of entries overlapping
// [start, end).
func (c *Cache) overlapLocked(start, end []byte) (lo, hi int) {
	es := c.mu.entries
	// First entry whose end is past start.
	lo = sort.Search(len(es), func(i int) bool { return bytes.Compare(es[i].Desc.GetEndKey(), start) > 0 })
	hi = lo
	for hi < len(es) && bytes.Compare(es[hi].Desc.GetStartKey(), end) < 0 {
		hi++
	}
	return lo, hi
}

// Evict removes the cached entry for d's range if it is the descriptor d or
// an older one. Use it when a request addressed with d failed in a way that
// proves d stale (range key mismatch, range not found).
func (c *Cache) Evict(d *kvpb.RangeDescriptor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evictLocked(d)
}

func (c *Cache) evictLocked(d *kvpb.RangeDescriptor) {
	if d == nil {
		return
	}
	for i, e := range c.mu.entries {
		if e.Desc.GetRangeId() == d.GetRangeId() && e.Desc.GetGeneration() <= d.GetGeneration() {
			c.mu.entries = append(c.mu.entries[:i:i], c.mu.entries[i+1:]...)
			return
		}
	}
}

// EvictAndReplace evicts stale (as Evict does) and inserts the descriptors
// the range returned with its error, if any.
func (c *Cache) EvictAndReplace(stale *kvpb.RangeDescriptor, fresh ...*kvpb.RangeDescriptor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evictLocked(stale)
	for _, d := range fresh {
		c.insertLocked(d)
	}
}

// UpdateLeaseholder records that replica holds the lease of the range
// described by d. It is ignored if the cache no longer holds d's range or
// if the replica is not one of the cached descriptor's replicas (the
// descriptor is stale; the next request will find out).
func (c *Cache) UpdateLeaseholder(d *kvpb.RangeDescriptor, replica *kvpb.ReplicaDescriptor) {
	if d == nil || replica == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.mu.entries {
		if e.Desc.GetRangeId() != d.GetRangeId() {
			continue
		}
		if lh := e.Leaseholder; lh != nil && lh.GetReplicaId() == replica.GetReplicaId() &&
			lh.GetNodeId() == replica.GetNodeId() && lh.GetStoreId() == replica.GetStoreId() && lh.GetType() == replica.GetType() {
			return // already known: no copy per answered batch
		}
		if _, ok := replicaByID(e.Desc, replica.GetReplicaId()); ok {
			e.Leaseholder = proto.Clone(replica).(*kvpb.ReplicaDescriptor)
		}
		return
	}
}

// ClearLeaseholder forgets the leaseholder of d's range (it did not answer).
func (c *Cache) ClearLeaseholder(d *kvpb.RangeDescriptor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.mu.entries {
		if e.Desc.GetRangeId() == d.GetRangeId() {
			e.Leaseholder = nil
			return
		}
	}
}

// Entries returns a copy of every cached entry in key order.
func (c *Cache) Entries() []Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Entry, len(c.mu.entries))
	for i, e := range c.mu.entries {
		out[i] = *e
	}
	return out
}

// Len returns the number of cached ranges.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mu.entries)
}

// Clear empties the cache.
func (c *Cache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.entries = nil
}

func replicaByID(d *kvpb.RangeDescriptor, id uint64) (*kvpb.ReplicaDescriptor, bool) {
	for _, r := range d.GetReplicas() {
		if r.GetReplicaId() == id {
			return r, true
		}
	}
	return nil, false
}
