package txntest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvclient"
)

// BenchmarkTxn measures transactions on a 3-node in-process cluster (real
// Pebble with fsync, real gRPC): commits/s, p50/p99 latency and the share
// of attempts that hit a retryable error, at 8 and 64 clients, for
//   - 1pc: one key, written and committed in one batch (one phase);
//   - 3range: three keys on three ranges (record, async resolution);
//   - contended: every client increments the same key.
//
// b.N is the number of transactions (split across the clients).
func BenchmarkTxn(b *testing.B) {
	cases := []struct {
		name string
		run  func(ctx context.Context, db *kvclient.DB, client, i int) error
	}{
		{"1pc", func(ctx context.Context, db *kvclient.DB, client, i int) error {
			return db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
				bt := txn.NewBatch()
				bt.Put(key("a", client*100000+i), []byte("v"))
				return txn.CommitInBatch(ctx, bt)
			})
		}},
		{"3range", func(ctx context.Context, db *kvclient.DB, client, i int) error {
			return db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
				bt := txn.NewBatch()
				for _, p := range []string{"a", "b", "c"} {
					bt.Put(key(p, client*100000+i), []byte("v"))
				}
				return txn.Run(ctx, bt)
			})
		}},
		{"contended", func(ctx context.Context, db *kvclient.DB, client, i int) error {
			return db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
				_, err := txn.Inc(ctx, []byte("hot"), 1)
				return err
			})
		}},
	}
	for _, clients := range []int{8, 64} {
		for _, tc := range cases {
			if tc.name == "contended" && clients != 8 {
				continue
			}
			b.Run(fmt.Sprintf("%s/clients=%d", tc.name, clients), func(b *testing.B) {
				c := startClusterB(b, "b/", "c/")
				db := c.DB(kvclient.Config{})
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				require.NoError(b, db.Put(ctx, []byte("warm"), []byte("up")))
				before := db.TxnStats()
				var next atomic.Int64
				lat := make([][]time.Duration, clients)
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for w := 0; w < clients; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							t0 := time.Now()
							if err := tc.run(ctx, db, w, int(i)); err != nil {
								b.Error(err)
								return
							}
							lat[w] = append(lat[w], time.Since(t0))
						}
					}()
				}
				wg.Wait()
				el := time.Since(start)
				b.StopTimer()
				var all []time.Duration
				for _, l := range lat {
					all = append(all, l...)
				}
				sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
				st := db.TxnStats()
				commits := st.Commits - before.Commits
				aborts := st.RetryableErrors - before.RetryableErrors
				if len(all) > 0 {
					b.ReportMetric(float64(len(all))/el.Seconds(), "commits/s")
					b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50_ms")
					b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99_ms")
				}
				if commits+aborts > 0 {
					b.ReportMetric(float64(aborts)/float64(commits+aborts), "abort_rate")
				}
			})
		}
	}
}
