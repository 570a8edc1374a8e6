package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvcoord"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// BenchmarkClusterScanAcrossRanges scans rows of 64-byte values through a
// client DistSender on a real 3-node in-process cluster (Raft-replicated
// Pebble stores, gRPC on loopback), the rows in one range or spread over
// 50, paged 1,000 keys at a time or in one unlimited scan. For paged scans
// fanout=1 is the sequential walk (one range at a time) and fanout=8 the
// default read-ahead. One cluster holds every data set; the cases run
// interleaved, run=0..2, so that load drift hits them alike. Run with
// -benchtime 5x (or more).
func BenchmarkClusterScanAcrossRanges(b *testing.B) {
	c := startReplicatedCluster(b, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	type dataset struct {
		prefix        string
		rows, nranges int
	}
	sets := []dataset{{"s1/", 5000, 1}, {"s50/", 5000, 50}, {"l1/", 50000, 1}, {"l50/", 50000, 50}}
	key := func(d dataset, i int) []byte { return []byte(fmt.Sprintf("%s%06d", d.prefix, i)) }
	for _, d := range sets {
		require.NoError(b, splitAt(ctx, b, c, []byte(d.prefix)))
		for i := 1; i < d.nranges; i++ {
			require.NoError(b, splitAt(ctx, b, c, key(d, i*d.rows/d.nranges)))
		}
	}
	require.NoError(b, splitAt(ctx, b, c, []byte("s50/\xff")))
	load := clientDistSender(b, c)
	val := make([]byte, 64)
	for _, d := range sets {
		var reqs []*kvpb.RequestUnion
		for i := 0; i < d.rows; i++ {
			reqs = append(reqs, kvpb.NewPut(key(d, i), val))
			if len(reqs) == 500 || i == d.rows-1 {
				_, err := load.Send(ctx, &kvpb.BatchRequest{Requests: reqs})
				require.NoError(b, err)
				reqs = nil
			}
		}
	}
	senders := map[int]*kvcoord.DistSender{}
	for _, fo := range []int{1, 8} {
		senders[fo] = clientDistSender(b, c, func(cfg *kvcoord.Config) { cfg.LimitedScanFanOut = fo })
	}
	type tc struct {
		d            dataset
		page, fanout int
	}
	var cases []tc
	for _, n := range []int{5000, 50000} {
		for _, d := range sets {
			if d.rows != n {
				continue
			}
			cases = append(cases, tc{d, 1000, 8})
			if d.nranges > 1 {
				cases = append(cases, tc{d, 1000, 1})
			}
			if n <= 5000 {
				// 50,000 rows of 64 bytes in one response pass gRPC's
				// 4 MiB message limit: unlimited only for 5,000.
				cases = append(cases, tc{d, 0, 8})
			}
		}
	}
	for run := 0; run < 3; run++ {
		for _, k := range cases {
			name := fmt.Sprintf("rows=%d/ranges=%d/page=%d/fanout=%d/run=%d", k.d.rows, k.d.nranges, k.page, k.fanout, run)
			b.Run(name, func(b *testing.B) {
				ds := senders[k.fanout]
				end := append([]byte(k.d.prefix[:len(k.d.prefix)-1]), '0') // just past the prefix
				if n := clusterScanAll(ctx, b, ds, []byte(k.d.prefix), end, int64(k.page)); n != k.d.rows {
					b.Fatalf("warm-up scanned %d rows, want %d", n, k.d.rows)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if n := clusterScanAll(ctx, b, ds, []byte(k.d.prefix), end, int64(k.page)); n != k.d.rows {
						b.Fatalf("scanned %d rows, want %d", n, k.d.rows)
					}
				}
				b.ReportMetric(float64(k.d.rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

func splitAt(ctx context.Context, b *testing.B, c *testCluster, k []byte) error {
	_, err := admin(b, c.addrs[0]).AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: k})
	return err
}

// clusterScanAll pages through [start, end) with a key limit (0: one
// unlimited scan) and returns the number of rows.
func clusterScanAll(ctx context.Context, b *testing.B, ds *kvcoord.DistSender, start, end []byte, page int64) int {
	n := 0
	for pages := 0; pages < 100000; pages++ {
		pctx, cancel := context.WithTimeout(ctx, time.Minute)
		br, err := ds.Send(pctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{{Value: &kvpb.RequestUnion_Scan{
			Scan: &kvpb.ScanRequest{Key: start, EndKey: end, MaxKeys: page}}}}})
		cancel()
		require.NoError(b, err)
		s := br.GetResponses()[0].GetScan()
		n += len(s.GetRows())
		if s.GetResumeSpan() == nil {
			return n
		}
		start = s.GetResumeSpan().GetKey()
	}
	b.Fatal("paging does not end")
	return n
}
