package txntest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvclient"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/server/servertest"
)

// A kvnemesis-like test: seeded random multi-key transactions over keys on
// several ranges, run concurrently while ranges split and leases move
// (both chosen by the seed), then a validator
// checks the history: replaying the committed transactions one by one in
// commit-timestamp order on a model must reproduce every value each of
// them read (serializability with the commit timestamps as the serial
// order), no read may return a value of a transaction that did not commit
// (every written value is unique), and the final state must equal the
// model's.

type nemOp struct {
	write bool
	key   string
	value string // written, or read ("" = absent)
	// The txn's read and write timestamps and epoch after the op (for
	// the failure report).
	readTS, writeTS hlc.Timestamp
	epoch           uint32
}

func (o nemOp) String() string {
	kind := "get"
	if o.write {
		kind = "put"
	}
	return fmt.Sprintf("%s %s=%q (read %s write %s epoch %d)", kind, o.key, o.value, o.readTS, o.writeTS, o.epoch)
}

type nemTxn struct {
	name     string
	ops      []nemOp
	commitTS hlc.Timestamp
	readOnly bool
}

func nemSeed(t *testing.T) uint64 {
	if s := os.Getenv("TXNTEST_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		return n
	}
	return uint64(time.Now().UnixNano())
}

func TestRandomHistories(t *testing.T) {
	seed := nemSeed(t)
	t.Logf("seed %d (TXNTEST_SEED=%d replays the choices)", seed, seed)
	c := startCluster(t, "n/04", "n/08")
	db := newDB(t, c)
	ctx := ctxT(t, 3*time.Minute)
	const (
		workers = 4
		perW    = 12
		nkeys   = 12
	)
	keyOf := func(i int) string { return fmt.Sprintf("n/%02d", i) }

	var (
		mu        sync.Mutex
		committed []nemTxn
		written   = map[string]string{} // value -> txn that wrote it (any outcome)
		failed    int
	)
	// Faults while the transactions run, seeded too: splits at random keys
	// and lease transfers of random ranges of the keys to random voters.
	workDone := make(chan struct{})
	faultsDone := make(chan error, 1)
	var faultLog []string
	go func() {
		faultsDone <- func() error {
			rng := rand.New(rand.NewPCG(seed, 1000))
			splitAt := map[string]bool{"n/04": true, "n/08": true}
			for f := 0; f < 6; f++ {
				select {
				case <-workDone:
					return nil
				default:
				}
				if f%2 == 0 {
					k := keyOf(1 + rng.IntN(nkeys-1))
					if splitAt[k] {
						continue
					}
					splitAt[k] = true
					faultLog = append(faultLog, fmt.Sprintf("split at %s at %s", k, db.Clock().Now()))
					if err := c.Split(ctx, []byte(k)); err != nil {
						return err
					}
					continue
				}
				rs, err := c.Ranges(ctx, 0)
				if err != nil {
					return err
				}
				var mine []*kvpb.RangeListEntry
				for _, r := range rs {
					d := r.GetDesc()
					if (len(d.GetEndKey()) == 0 || string(d.GetEndKey()) > "n/") && string(d.GetStartKey()) < "n0" {
						mine = append(mine, r)
					}
				}
				r := mine[rng.IntN(len(mine))]
				reps := r.GetDesc().GetReplicas()
				to := reps[rng.IntN(len(reps))]
				faultLog = append(faultLog, fmt.Sprintf("lease of r%d [%s,%s) to n%d at %s", r.GetDesc().GetRangeId(),
					d0(r.GetDesc().GetStartKey()), d0(r.GetDesc().GetEndKey()), to.GetNodeId(), db.Clock().Now()))
				_, err = c.Admin(0).TransferLease(ctx, &kvpb.TransferLeaseRequest{RangeId: r.GetDesc().GetRangeId(),
					Target: &kvpb.ReplicaTarget{NodeId: to.GetNodeId(), StoreId: to.GetStoreId()}})
				if err != nil {
					return fmt.Errorf("%s: %w", faultLog[len(faultLog)-1], err)
				}
			}
			return nil
		}()
	}()

	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := 0; i < perW; i++ {
				name := fmt.Sprintf("w%d.t%d", w, i)
				nops := 1 + rng.IntN(4)
				plan := make([]nemOp, nops)
				for j := range plan {
					plan[j] = nemOp{write: rng.IntN(2) == 0, key: keyOf(rng.IntN(nkeys))}
				}
				var rec nemTxn
				var last *kvclient.Txn
				attempt := 0
				err := db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
					attempt++
					last = txn
					rec = nemTxn{name: name, readOnly: true}
					for j, op := range plan {
						if op.write {
							v := fmt.Sprintf("%s.a%d.o%d", name, attempt, j)
							mu.Lock()
							written[v] = name
							mu.Unlock()
							if err := txn.Put(ctx, []byte(op.key), []byte(v)); err != nil {
								return err
							}
							p := txn.Proto()
							rec.ops = append(rec.ops, nemOp{write: true, key: op.key, value: v,
								readTS: p.ReadTS(), writeTS: p.WriteTS(), epoch: p.GetMeta().GetEpoch()})
							rec.readOnly = false
							continue
						}
						v, _, err := txn.Get(ctx, []byte(op.key))
						if err != nil {
							return err
						}
						p := txn.Proto()
						rec.ops = append(rec.ops, nemOp{key: op.key, value: string(v),
							readTS: p.ReadTS(), writeTS: p.WriteTS(), epoch: p.GetMeta().GetEpoch()})
					}
					return nil
				})
				mu.Lock()
				if err != nil {
					failed++
					mu.Unlock()
					t.Logf("%s failed: %v", name, err)
					require.False(t, kvpb.IsRetryable(err) && ctx.Err() == nil, "%s gave up: %v", name, err)
					continue
				}
				p := last.Proto()
				rec.commitTS = p.WriteTS()
				if rec.readOnly {
					rec.commitTS = p.ReadTS()
				}
				committed = append(committed, rec)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(workDone)
	require.NoError(t, <-faultsDone)
	t.Logf("faults: %v", faultLog)
	require.Zero(t, failed, "transactions failed for good")

	// Serial order: commit timestamp; at a tie a txn whose reads saw the
	// other's writes goes after it (a read at ts sees versions at ts), and
	// otherwise writers go first.
	readsFrom := func(r, w nemTxn) bool {
		for _, op := range r.ops {
			if !op.write && strings.HasPrefix(op.value, w.name+".") {
				return true
			}
		}
		return false
	}
	sort.SliceStable(committed, func(i, j int) bool {
		a, b := committed[i], committed[j]
		if a.commitTS != b.commitTS {
			return a.commitTS.Less(b.commitTS)
		}
		if readsFrom(b, a) != readsFrom(a, b) {
			return readsFrom(b, a)
		}
		return !a.readOnly && b.readOnly
	})
	model := map[string]string{}
	byName := map[string]nemTxn{}
	for _, tx := range committed {
		byName[tx.name] = tx
	}
	lastWriter := map[string]string{}
	for _, tx := range committed {
		own := map[string]string{}
		for _, op := range tx.ops {
			if op.write {
				own[op.key] = op.value
				continue
			}
			want, mine := own[op.key]
			if !mine {
				want = model[op.key]
			}
			if op.value != want {
				who := written[op.value]
				t.Logf("faults: %v", faultLog)
				for _, n := range []string{tx.name, who, lastWriter[op.key]} {
					if x, ok := byName[n]; ok {
						t.Logf("%s commit %s:\n\t%s", n, x.commitTS, strings.Join(opStrings(x.ops), "\n\t"))
					}
				}
				t.Logf("versions of %s:\n%s", op.key, dumpVersions(c, op.key))
				t.Fatalf("%s (commit %s, ops %+v) read %s=%q, but in commit order it should see %q; value read written by %q (%+v); expected by %+v",
					tx.name, tx.commitTS, tx.ops, op.key, op.value, want, who, byName[who], byName[lastWriter[op.key]])
			}
		}
		for k, v := range own {
			model[k] = v
			lastWriter[k] = tx.name
		}
	}
	rows, err := db.Scan(ctx, []byte("n/"), []byte("n0"), 0)
	require.NoError(t, err)
	final := map[string]string{}
	for _, kv := range rows {
		final[string(kv.Key)] = string(kv.Value)
	}
	require.Equal(t, model, final, "final state = replay of the committed transactions")
	t.Logf("%d transactions committed, %d writes, history serializable", len(committed), len(written))
}

func d0(k []byte) string {
	if len(k) == 0 {
		return "max"
	}
	return string(k)
}

func opStrings(ops []nemOp) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.String()
	}
	return out
}

// dumpVersions lists every engine version and the intent of key on each
// node (failure reports).
func dumpVersions(c *servertest.Cluster, key string) string {
	var b strings.Builder
	for i := range c.Addrs {
		if !c.Running(i) {
			continue
		}
		eng := c.Server(i).Engine()
		fmt.Fprintf(&b, "  node %d:", c.NodeID(i))
		it, err := storage.NewEngineIterator(eng, []byte(key), []byte(key+"\x00"))
		if err != nil {
			fmt.Fprintf(&b, " %v\n", err)
			continue
		}
		for ok := it.First(); ok; ok = it.Next() {
			uk, ts, err := storage.DecodeEngineKey(it.EngineKey())
			if err != nil || string(uk) != key {
				continue
			}
			v, _ := it.Value()
			fmt.Fprintf(&b, " @%s(%d bytes %q)", ts, len(v), v)
		}
		_ = it.Close()
		lk := storage.LockTableKey([]byte(key))
		it, err = storage.NewEngineIterator(eng, lk, append(append([]byte(nil), lk...), 0))
		if err == nil {
			for ok := it.First(); ok; ok = it.Next() {
				v, _ := it.Value()
				fmt.Fprintf(&b, " intent(%q)", v)
			}
			_ = it.Close()
		}
		b.WriteString("\n")
	}
	return b.String()
}
