package catalog

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/sql/kvtxn"
	"github.com/tesseradb/tessera/sql/pgerr"
)

var (
	descPrefix = append(append([]byte{}, keys.SystemPrefix...), "desc/"...)
	nsPrefix   = append(append([]byte{}, keys.SystemPrefix...), "ns/"...)
	descIDKey  = append(append([]byte{}, keys.SystemPrefix...), "descid"...)
	descGenKey = append(append([]byte{}, keys.SystemPrefix...), "descgen"...)
	seqPrefix  = append(append([]byte{}, keys.SystemPrefix...), "seq/"...)
)

func descKey(id ID) []byte {
	return binary.BigEndian.AppendUint32(append([]byte{}, descPrefix...), uint32(id))
}

func nsKey(parent, schema ID, name string) []byte {
	k := make([]byte, 0, len(nsPrefix)+8+len(name))
	k = append(k, nsPrefix...)
	k = binary.BigEndian.AppendUint32(k, uint32(parent))
	k = binary.BigEndian.AppendUint32(k, uint32(schema))
	return append(k, name...)
}

// SequenceKey is where a sequence's current value lives.
func SequenceKey(id ID) []byte {
	return binary.BigEndian.AppendUint32(append([]byte{}, seqPrefix...), uint32(id))
}

// Cache holds descriptors read at one schema generation; shared by the
// sessions of a node.
type Cache struct {
	mu struct {
		sync.Mutex
		gen   int64
		descs map[ID]*Descriptor
		names map[string]ID
	}
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	c := &Cache{}
	c.mu.gen = -1
	return c
}

// Collection resolves and writes descriptors inside one transaction.
type Collection struct {
	txn   kvtxn.Txn
	db    kvtxn.DB
	cache *Cache
	gen   int64
	// tx holds what the collection's transaction wrote (shared by the
	// collections of the statements of one transaction block).
	tx *TxnDescs
	// unverified: gen was taken from the cache, not read in txn yet
	// (NewCollectionDeferred); CheckGen or Verify must run before the
	// transaction commits or reads descriptors from KV.
	unverified bool
}

// TxnDescs is the overlay of one transaction's schema writes: the
// descriptors and names it wrote (uncommitted), visible to that
// transaction only. A transaction block keeps one across its statements
// (NewCollectionIn); it is dropped with the KV transaction on ROLLBACK, on
// an abort and on a restart, and restored to a Snapshot on ROLLBACK TO
// SAVEPOINT. Once the transaction wrote, its collections neither read nor
// fill the node's shared Cache (its generation read in the transaction is
// its own, uncommitted increment), so the Cache only ever holds
// descriptors of committed generations.
type TxnDescs struct {
	// wrote is set by the first schema write (which also increments the
	// schema generation in the transaction); ROLLBACK TO SAVEPOINT
	// restores it with the rest, as the KV transaction undoes that
	// increment too.
	wrote bool
	descs map[ID]*Descriptor // nil: deleted
	names map[string]ID      // by namespace key; 0: removed
}

// NewTxnDescs returns the empty overlay of a new transaction.
func NewTxnDescs() *TxnDescs {
	return &TxnDescs{} // the maps are made by the first write (most statements make none)
}

// writable makes the overlay's maps before a write.
func (t *TxnDescs) writable() {
	if t.descs == nil {
		t.descs = map[ID]*Descriptor{}
	}
	if t.names == nil {
		t.names = map[string]ID{}
	}
}

// Wrote reports whether the transaction changed the schema.
func (t *TxnDescs) Wrote() bool { return t.wrote }

// Snapshot copies the overlay (for a savepoint).
func (t *TxnDescs) Snapshot() *TxnDescs {
	out := &TxnDescs{wrote: t.wrote, descs: make(map[ID]*Descriptor, len(t.descs)), names: make(map[string]ID, len(t.names))}
	for k, v := range t.descs {
		out.descs[k] = v // descriptors in the overlay are never mutated
	}
	for k, v := range t.names {
		out.names[k] = v
	}
	return out
}

// Restore returns the overlay to a Snapshot (ROLLBACK TO SAVEPOINT, which
// rolls the KV transaction back to the same point).
func (t *TxnDescs) Restore(s *TxnDescs) {
	*t = *s.Snapshot()
}

// Committed tells the overlay its transaction committed: after a schema
// change the node's cache is dropped, so that the next statement reads
// the new generation instead of assuming the old one.
func (t *TxnDescs) Committed(cache *Cache) {
	if t.wrote && cache != nil {
		cache.mu.Lock()
		cache.mu.gen = -1
		cache.mu.Unlock()
	}
}

// errSchemaChanged is returned when the generation a deferred collection
// assumed is not the one its transaction reads: re-run the statement.
type errSchemaChanged struct{ assumed, read int64 }

func (e *errSchemaChanged) Error() string {
	return fmt.Sprintf("catalog: schema changed (generation %d, now %d); statement retried", e.assumed, e.read)
}

// TxnRetryable makes the error retryable (kvtxn.IsRetryable).
func (e *errSchemaChanged) TxnRetryable() bool { return true }

// GenKey is the schema generation's key, for callers that read it with a
// deferred collection's other reads (CheckGen).
func GenKey() []byte { return descGenKey }

// NewCollectionDeferred is NewCollection without the read of the schema
// generation: it assumes the generation the node's cache holds, so that a
// statement served from the cache does not pay a round trip for it. The
// caller must read GenKey in txn and pass the result to CheckGen (or call
// Verify) before the transaction commits; until then the collection
// verifies first on its own whenever it has to read a descriptor from KV
// (so that the cache is filled only at a verified generation). With an
// empty cache it reads the generation at once, like NewCollection.
func NewCollectionDeferred(ctx context.Context, db kvtxn.DB, txn kvtxn.Txn, cache *Cache) (*Collection, error) {
	if cache == nil {
		return NewCollection(ctx, db, txn, cache)
	}
	cache.mu.Lock()
	gen := cache.mu.gen
	cache.mu.Unlock()
	if gen < 0 {
		return NewCollection(ctx, db, txn, cache)
	}
	b := &collectionBlock{} // the collection and its empty overlay in one allocation
	b.c = Collection{txn: txn, db: db, cache: cache, tx: &b.tx, gen: gen, unverified: true}
	return &b.c, nil
}

type collectionBlock struct {
	c  Collection
	tx TxnDescs
}

// PlanGeneration is the schema generation the collection resolves names
// and descriptors at, and whether a plan bound through it may be reused
// by a later statement that resolves at the same generation: not when
// this transaction wrote a descriptor (its overlay is not in any
// generation) or the collection has no node cache (historical reads). An
// unverified generation is checked by the statement's first read
// (CheckGen), which retries the statement if it was stale.
func (c *Collection) PlanGeneration() (int64, bool) {
	return c.gen, c.cache != nil && !c.tx.wrote
}

// Verified reports whether the collection's generation was read in its
// transaction.
func (c *Collection) Verified() bool { return !c.unverified }

// CheckGen verifies the assumed generation against the value of GenKey
// read in the collection's transaction. On a mismatch the node's cache is
// dropped and a retryable error returned.
func (c *Collection) CheckGen(v []byte, found bool) error {
	if !c.unverified {
		return nil
	}
	var gen int64
	if found && len(v) == 8 {
		gen = int64(binary.BigEndian.Uint64(v))
	}
	c.unverified = false
	if gen != c.gen {
		c.cache.mu.Lock()
		if c.cache.mu.gen == c.gen {
			c.cache.mu.gen = -1 // reload at the next statement
		}
		c.cache.mu.Unlock()
		return &errSchemaChanged{assumed: c.gen, read: gen}
	}
	return nil
}

// GenGuard is the check of an unverified collection's generation for a
// commit that carries it (kvtxn.GuardedCommitter): GenKey must hold the
// assumed generation (nil expected: the key is absent, generation 0).
func (c *Collection) GenGuard() (key, expected []byte) {
	if c.gen == 0 {
		return descGenKey, nil
	}
	return descGenKey, binary.BigEndian.AppendUint64(nil, uint64(c.gen))
}

// GuardFailed is CheckGen for a commit whose GenGuard failed (nothing
// was written) with the value found: the node's cache is dropped and the
// statement retried.
func (c *Collection) GuardFailed(v []byte, found bool) error {
	assumed := c.gen
	if err := c.CheckGen(v, found); err != nil {
		return err
	}
	return &errSchemaChanged{assumed: assumed, read: assumed}
}

// Committed tells the collection its transaction committed: after a
// schema change the node's cache is dropped, so that the next statement
// reads the new generation instead of assuming the old one.
func (c *Collection) Committed() { c.tx.Committed(c.cache) }

// Verify reads the generation and checks it (no-op when verified).
func (c *Collection) Verify(ctx context.Context) error {
	if !c.unverified {
		return nil
	}
	v, found, err := c.txn.Get(ctx, descGenKey)
	if err != nil {
		return err
	}
	return c.CheckGen(v, found)
}

// NewCollection starts resolving descriptors in txn: it reads the schema
// generation (see the package doc).
func NewCollection(ctx context.Context, db kvtxn.DB, txn kvtxn.Txn, cache *Cache) (*Collection, error) {
	return NewCollectionIn(ctx, db, txn, cache, NewTxnDescs())
}

// NewCollectionIn is NewCollection for one statement of a transaction
// that already has the overlay tx (from NewTxnDescs at the transaction's
// start): what earlier statements of the transaction wrote is read from
// it, and what this one writes is added to it.
func NewCollectionIn(ctx context.Context, db kvtxn.DB, txn kvtxn.Txn, cache *Cache, tx *TxnDescs) (*Collection, error) {
	c := &Collection{txn: txn, db: db, cache: cache, tx: tx}
	v, found, err := txn.Get(ctx, descGenKey)
	if err != nil {
		return nil, err
	}
	if found && len(v) == 8 {
		c.gen = int64(binary.BigEndian.Uint64(v))
	}
	return c, nil
}

// Txn is the collection's transaction.
func (c *Collection) Txn() kvtxn.Txn { return c.txn }

// DB is the KV database.
func (c *Collection) DB() kvtxn.DB { return c.db }

func (c *Collection) cached(f func(descs map[ID]*Descriptor, names map[string]ID)) bool {
	if c.tx.wrote || c.cache == nil {
		return false
	}
	c.cache.mu.Lock()
	defer c.cache.mu.Unlock()
	if c.cache.mu.gen != c.gen {
		c.cache.mu.gen = c.gen
		c.cache.mu.descs = map[ID]*Descriptor{}
		c.cache.mu.names = map[string]ID{}
	}
	f(c.cache.mu.descs, c.cache.mu.names)
	return true
}

// cachedName is cached's lookup of one namespace key, without a closure
// or a string copy of the key (a statement resolves its database's name
// every time).
func (c *Collection) cachedName(k []byte) (ID, bool) {
	if c.tx.wrote || c.cache == nil {
		return 0, false
	}
	c.cache.mu.Lock()
	defer c.cache.mu.Unlock()
	if c.cache.mu.gen != c.gen {
		return 0, false // cached resets the stale maps at the next use
	}
	id, ok := c.cache.mu.names[string(k)]
	return id, ok
}

// LookupID resolves a name in (parent, schema); 0 if absent.
func (c *Collection) LookupID(ctx context.Context, parent, schema ID, name string) (ID, error) {
	k := nsKey(parent, schema, name)
	if id, ok := c.tx.names[string(k)]; ok {
		return id, nil
	}
	if id, hit := c.cachedName(k); hit {
		return id, nil
	}
	nk := string(k)
	var id ID
	if err := c.Verify(ctx); err != nil {
		return 0, err
	}
	v, found, err := c.txn.Get(ctx, []byte(nk))
	if err != nil {
		return 0, err
	}
	if found && len(v) == 4 {
		id = ID(binary.BigEndian.Uint32(v))
	}
	c.cached(func(_ map[ID]*Descriptor, names map[string]ID) { names[nk] = id })
	return id, nil
}

// Get reads a descriptor; nil if absent. The result must not be mutated
// (Mutable returns a copy to change).
func (c *Collection) Get(ctx context.Context, id ID) (*Descriptor, error) {
	if d, ok := c.tx.descs[id]; ok {
		return d, nil
	}
	var d *Descriptor
	var hit bool
	c.cached(func(descs map[ID]*Descriptor, _ map[string]ID) { d, hit = descs[id] })
	if hit {
		return d, nil
	}
	if err := c.Verify(ctx); err != nil {
		return nil, err
	}
	v, found, err := c.txn.Get(ctx, descKey(id))
	if err != nil {
		return nil, err
	}
	if found {
		d = &Descriptor{}
		if err := json.Unmarshal(v, d); err != nil {
			return nil, fmt.Errorf("catalog: descriptor %d: %w", id, err)
		}
	}
	c.cached(func(descs map[ID]*Descriptor, _ map[string]ID) { descs[id] = d })
	return d, nil
}

// Mutable returns a deep copy of a descriptor to modify and Write.
func Mutable(d *Descriptor) *Descriptor {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // descriptors always marshal
	}
	out := &Descriptor{}
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

func (c *Collection) bumpGen(ctx context.Context) error {
	if c.tx.wrote {
		return nil
	}
	if err := c.Verify(ctx); err != nil {
		return err
	}
	c.tx.wrote = true
	_, err := c.txn.Inc(ctx, descGenKey, 1)
	return err
}

// NewID allocates a descriptor ID.
func (c *Collection) NewID(ctx context.Context) (ID, error) {
	v, err := c.db.Inc(ctx, descIDKey, 1)
	if err != nil {
		return 0, err
	}
	return ID(v + 100), nil
}

// Write stores a descriptor (new or changed) in the transaction.
func (c *Collection) Write(ctx context.Context, d *Descriptor) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if err := c.bumpGen(ctx); err != nil {
		return err
	}
	d.Version++
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := c.txn.Put(ctx, descKey(d.ID), b); err != nil {
		return err
	}
	// The overlay keeps its own copy: the caller may go on changing d.
	own := &Descriptor{}
	if err := json.Unmarshal(b, own); err != nil {
		return err
	}
	c.tx.writable()
	c.tx.descs[d.ID] = own
	return nil
}

// SetName binds (parent, schema, name) to id.
func (c *Collection) SetName(ctx context.Context, parent, schema ID, name string, id ID) error {
	if err := c.bumpGen(ctx); err != nil {
		return err
	}
	nk := nsKey(parent, schema, name)
	if err := c.txn.CPut(ctx, nk, binary.BigEndian.AppendUint32(nil, uint32(id)), nil); err != nil {
		return err
	}
	c.tx.writable()
	c.tx.names[string(nk)] = id
	return nil
}

// RemoveName unbinds a name.
func (c *Collection) RemoveName(ctx context.Context, parent, schema ID, name string) error {
	if err := c.bumpGen(ctx); err != nil {
		return err
	}
	nk := nsKey(parent, schema, name)
	if err := c.txn.Del(ctx, nk); err != nil {
		return err
	}
	c.tx.writable()
	c.tx.names[string(nk)] = 0
	return nil
}

// Delete removes a descriptor.
func (c *Collection) Delete(ctx context.Context, id ID) error {
	if err := c.bumpGen(ctx); err != nil {
		return err
	}
	if err := c.txn.Del(ctx, descKey(id)); err != nil {
		return err
	}
	c.tx.writable()
	c.tx.descs[id] = nil
	return nil
}

// ListNames lists the (name, id) pairs under (parent, schema).
func (c *Collection) ListNames(ctx context.Context, parent, schema ID) (map[string]ID, error) {
	p := nsKey(parent, schema, "")
	if err := c.Verify(ctx); err != nil {
		return nil, err
	}
	kvs, err := c.txn.Scan(ctx, p, PrefixEnd(p), 0)
	if err != nil {
		return nil, err
	}
	out := map[string]ID{}
	for _, kv := range kvs {
		if len(kv.Value) == 4 && bytes.HasPrefix(kv.Key, p) {
			out[string(kv.Key[len(p):])] = ID(binary.BigEndian.Uint32(kv.Value))
		}
	}
	return out, nil
}

// Database names a database; ID 0 with an error 3D000 if absent.
func (c *Collection) Database(ctx context.Context, name string) (ID, error) {
	id, err := c.LookupID(ctx, 0, 0, name)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		return 0, pgerr.New(pgerr.InvalidCatalogName, "database %q does not exist", name)
	}
	return id, nil
}

// Bootstrap creates defaultdb and postgres with their public schemas if
// they do not exist yet.
func Bootstrap(ctx context.Context, db kvtxn.DB) error {
	for attempt := 0; ; attempt++ {
		err := bootstrapOnce(ctx, db)
		if err == nil || !kvtxn.IsRetryable(err) || attempt > 20 {
			return err
		}
	}
}

func bootstrapOnce(ctx context.Context, db kvtxn.DB) error {
	txn := db.NewTxn(ctx)
	c, err := NewCollection(ctx, db, txn, nil)
	if err != nil {
		_ = txn.Rollback(ctx)
		return err
	}
	for _, name := range []string{"defaultdb", "postgres"} {
		id, err := c.LookupID(ctx, 0, 0, name)
		if err != nil {
			_ = txn.Rollback(ctx)
			return err
		}
		if id != 0 {
			continue
		}
		if _, err := c.CreateDatabase(ctx, name); err != nil {
			_ = txn.Rollback(ctx)
			return err
		}
	}
	return txn.Commit(ctx)
}

// CreateDatabase creates a database and its public schema.
func (c *Collection) CreateDatabase(ctx context.Context, name string) (ID, error) {
	id, err := c.NewID(ctx)
	if err != nil {
		return 0, err
	}
	if err := c.Write(ctx, &Descriptor{ID: id, Kind: KindDatabase, Name: name}); err != nil {
		return 0, err
	}
	if err := c.SetName(ctx, 0, 0, name, id); err != nil {
		if kvtxn.IsConditionFailed(err) {
			return 0, pgerr.New(pgerr.DuplicateDatabase, "database %q already exists", name)
		}
		return 0, err
	}
	if _, err := c.CreateSchema(ctx, id, "public"); err != nil {
		return 0, err
	}
	return id, nil
}

// CreateSchema creates a schema in a database.
func (c *Collection) CreateSchema(ctx context.Context, dbID ID, name string) (ID, error) {
	id, err := c.NewID(ctx)
	if err != nil {
		return 0, err
	}
	if err := c.Write(ctx, &Descriptor{ID: id, Kind: KindSchema, Name: name, ParentID: dbID}); err != nil {
		return 0, err
	}
	if err := c.SetName(ctx, dbID, 0, name, id); err != nil {
		if kvtxn.IsConditionFailed(err) {
			return 0, pgerr.New(pgerr.DuplicateSchema, "schema %q already exists", name)
		}
		return 0, err
	}
	return id, nil
}
