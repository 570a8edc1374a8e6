package session

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/sql/catalog"
	"github.com/tesseradb/tessera/sql/internal/memkv"
	"github.com/tesseradb/tessera/sql/pgerr"
	"github.com/tesseradb/tessera/sql/types"
)

// fillTable inserts rows id 0..n-1 with v = id % mod and w = 'w<id>'.
func fillTable(s *tsess, table string, n, mod int) {
	for lo := 0; lo < n; lo += 500 {
		var vals []string
		for i := lo; i < lo+500 && i < n; i++ {
			vals = append(vals, fmt.Sprintf("(%d, %d, 'w%d')", i, i%mod, i))
		}
		s.exec("INSERT INTO " + table + " VALUES " + strings.Join(vals, ","))
	}
}

// tableDesc reads a table's current descriptor from KV.
func tableDesc(t *testing.T, db *memkv.DB, name string) *catalog.Descriptor {
	ctx := context.Background()
	txn := db.NewTxn(ctx)
	defer func() { _ = txn.Rollback(ctx) }()
	coll, err := catalog.NewCollection(ctx, db, txn, nil)
	require.NoError(t, err)
	dbID, err := coll.Database(ctx, "defaultdb")
	require.NoError(t, err)
	sch, err := coll.LookupID(ctx, dbID, 0, "public")
	require.NoError(t, err)
	id, err := coll.LookupID(ctx, dbID, sch, name)
	require.NoError(t, err)
	d, err := coll.Get(ctx, id)
	require.NoError(t, err)
	require.NotNil(t, d)
	return d
}

// checkIndexExact requires the index to hold exactly one entry per row of
// the table and nothing else; it returns the row count.
func checkIndexExact(t *testing.T, db *memkv.DB, table, index string) int {
	t.Helper()
	ctx := context.Background()
	d := tableDesc(t, db, table)
	i := d.IndexByName(index)
	require.GreaterOrEqual(t, i, 0, "index %s", index)
	ix := &d.Indexes[i]
	require.True(t, ix.Public(), "index %s is %q", index, ix.State)
	rc := catalog.NewRowCodec(d)
	txn := db.NewTxn(ctx)
	defer func() { _ = txn.Rollback(ctx) }()
	p := rc.Prefix(d.Primary.ID)
	rows, err := txn.Scan(ctx, p, catalog.PrefixEnd(p), 0)
	require.NoError(t, err)
	want := map[string]bool{}
	row := make([]types.Datum, len(d.Columns))
	for _, kv := range rows {
		require.NoError(t, rc.DecodePrimary(kv.Key, kv.Value, row))
		k, _, _, err := rc.IndexKey(ix, row)
		require.NoError(t, err)
		want[string(k)] = true
	}
	ip := rc.Prefix(ix.ID)
	entries, err := txn.Scan(ctx, ip, catalog.PrefixEnd(ip), 0)
	require.NoError(t, err)
	got := map[string]bool{}
	for _, kv := range entries {
		require.True(t, want[string(kv.Key)], "index %s has an entry for no row: %x", index, kv.Key)
		got[string(kv.Key)] = true
	}
	require.Equal(t, len(want), len(got), "index %s misses entries", index)
	require.Len(t, entries, len(rows))
	return len(rows)
}

// indexSpanEmpty requires that no entry of index id of table remains.
func indexSpanEmpty(t *testing.T, db *memkv.DB, d *catalog.Descriptor, id catalog.IndexID) {
	t.Helper()
	ctx := context.Background()
	txn := db.NewTxn(ctx)
	defer func() { _ = txn.Rollback(ctx) }()
	p := catalog.IndexPrefix(d.ID, id)
	kvs, err := txn.Scan(ctx, p, catalog.PrefixEnd(p), 1)
	require.NoError(t, err)
	require.Empty(t, kvs)
}

// TestOnlineCreateIndexConcurrentWriters runs CREATE INDEX on a populated
// table while writers insert, update and delete rows. The backfill waits
// after every chunk until some writer has committed since the previous
// chunk, so the test deadlocks (and fails at its deadline) if the backfill
// blocked writers for its whole length; afterwards the index must match
// the table exactly.
func TestOnlineCreateIndexConcurrentWriters(t *testing.T) {
	eng, db := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT, w TEXT)")
	const n = 4000
	fillTable(s, "t", n, 97)

	var commits atomic.Int64
	var chunks atomic.Int64
	deadline := time.Now().Add(60 * time.Second)
	var hookErr atomic.Value
	eng.backfillHook = func(rows int) {
		chunks.Add(1)
		seen := commits.Load()
		for commits.Load() < seen+3 {
			if time.Now().After(deadline) {
				hookErr.Store(fmt.Sprintf("writers committed nothing after chunk %d (%d rows)", chunks.Load(), rows))
				return
			}
			time.Sleep(time.Millisecond) // polling a condition with a deadline
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := 0; w < 3; w++ {
		ws := newTS(t, eng)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			next := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				var q string
				switch rng.Intn(4) {
				case 0:
					next++
					q = fmt.Sprintf("INSERT INTO t VALUES (%d, %d, 'new')", 100000*(w+1)+next, rng.Intn(97))
				case 1:
					q = fmt.Sprintf("UPDATE t SET v = v + 1 WHERE id = %d", rng.Intn(n))
				case 2:
					q = fmt.Sprintf("DELETE FROM t WHERE id = %d", rng.Intn(n))
				case 3:
					q = fmt.Sprintf("UPDATE t SET v = NULL, w = 'u' WHERE id = %d", rng.Intn(n))
				}
				if _, _, err := ws.run(q); err != nil {
					if pgerr.Code(err) == pgerr.SerializationFailure {
						continue
					}
					errs <- fmt.Errorf("%s: %w", q, err)
					return
				}
				commits.Add(1)
			}
		}(w)
	}
	s.tag("CREATE INDEX t_v_idx ON t (v)", "CREATE INDEX")
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	if e := hookErr.Load(); e != nil {
		t.Fatal(e)
	}
	require.GreaterOrEqual(t, chunks.Load(), int64(n/BackfillChunk), "backfill ran in chunks")
	rows := checkIndexExact(t, db, "t", "t_v_idx")
	require.Greater(t, rows, n/2)
	// The planner uses the new index, and its answers match a full scan.
	plan, _, err := s.run("EXPLAIN SELECT id FROM t WHERE v = 5")
	require.NoError(t, err)
	require.Contains(t, strings.Join(plan, "\n"), "t_v_idx")
	viaIndex, _, err := s.run("SELECT id FROM t WHERE v = 5 ORDER BY id")
	require.NoError(t, err)
	full, _, err := s.run("SELECT id FROM t WHERE v + 0 = 5 ORDER BY id")
	require.NoError(t, err)
	require.Equal(t, full, viaIndex)
}

// TestOnlineUniqueIndexViolation: duplicates present before CREATE UNIQUE
// INDEX, or inserted by a writer during the backfill, fail it with 23505
// and leave no index behind (descriptor and entries); a writer whose row
// collides with an already backfilled entry is refused at once.
func TestOnlineUniqueIndexViolation(t *testing.T) {
	eng, db := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE u (id INT PRIMARY KEY, v INT, w TEXT)")
	fillTable(s, "u", 2000, 1000) // v repeats: 0..999 twice
	before := tableDesc(t, db, "u")
	s.fails("CREATE UNIQUE INDEX u_v_key ON u (v)", pgerr.UniqueViolation)
	after := tableDesc(t, db, "u")
	require.Empty(t, after.Indexes)
	indexSpanEmpty(t, db, after, before.NextIndexID)

	// Unique values, then a writer inserts duplicates during the backfill.
	s.exec("CREATE TABLE u2 (id INT PRIMARY KEY, v INT, w TEXT)")
	fillTable(s, "u2", 2000, 1<<30)
	ws := newTS(t, eng)
	var earlyErr, lateErr error
	first := true
	eng.backfillHook = func(rows int) {
		if !first {
			return
		}
		first = false
		// v = 0 is indexed by the first chunk: refused by the write-only
		// index's UNIQUE check.
		_, _, earlyErr = ws.run("INSERT INTO u2 VALUES (90000, 0, 'dup')")
		// v = 1999 is not indexed yet: accepted, found by the backfill.
		_, _, lateErr = ws.run("INSERT INTO u2 VALUES (90001, 1999, 'dup')")
	}
	before = tableDesc(t, db, "u2")
	s.fails("CREATE UNIQUE INDEX u2_v_key ON u2 (v)", pgerr.UniqueViolation)
	eng.backfillHook = nil
	require.Equal(t, pgerr.UniqueViolation, pgerr.Code(earlyErr), "%v", earlyErr)
	require.NoError(t, lateErr)
	after = tableDesc(t, db, "u2")
	require.Empty(t, after.Indexes)
	indexSpanEmpty(t, db, after, before.NextIndexID)
	// Writes go on without the failed index; after removing the duplicate
	// the same name can be created.
	s.exec("DELETE FROM u2 WHERE id = 90001")
	s.exec("ALTER TABLE u2 ADD CONSTRAINT u2_v_key UNIQUE (v)")
	require.Equal(t, 2000, checkIndexExact(t, db, "u2", "u2_v_key"))
	s.fails("INSERT INTO u2 VALUES (90002, 7, 'dup')", pgerr.UniqueViolation)
}

// TestOnlineDropIndex drops an index while writers run and checks that its
// entries and descriptor are gone; inside a transaction block CREATE and
// DROP INDEX still work transactionally.
func TestOnlineDropIndex(t *testing.T) {
	eng, db := newTestEngine(t)
	s := newTS(t, eng)
	s.exec("CREATE TABLE d (id INT PRIMARY KEY, v INT, w TEXT)")
	fillTable(s, "d", 1000, 10)
	s.exec("CREATE INDEX d_v_idx ON d (v)")
	require.Equal(t, 1000, checkIndexExact(t, db, "d", "d_v_idx"))
	id := tableDesc(t, db, "d").Indexes[0].ID
	stop := make(chan struct{})
	done := make(chan error, 1)
	ws := newTS(t, eng)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, _, err := ws.run(fmt.Sprintf("UPDATE d SET v = v + 1 WHERE id = %d", i%1000)); err != nil && pgerr.Code(err) != pgerr.SerializationFailure {
				done <- err
				return
			}
		}
	}()
	s.tag("DROP INDEX d_v_idx", "DROP INDEX")
	close(stop)
	require.NoError(t, <-done)
	d := tableDesc(t, db, "d")
	require.Empty(t, d.Indexes)
	indexSpanEmpty(t, db, d, id)

	s.exec("BEGIN")
	s.exec("CREATE INDEX d_w_idx ON d (w)")
	s.query("SELECT count(*) FROM d WHERE w = 'w5'", "1")
	s.exec("COMMIT")
	require.Equal(t, 1000, checkIndexExact(t, db, "d", "d_w_idx"))
	s.exec("BEGIN")
	s.exec("DROP INDEX d_w_idx")
	s.exec("ROLLBACK")
	require.Equal(t, 1000, checkIndexExact(t, db, "d", "d_w_idx"))
}
