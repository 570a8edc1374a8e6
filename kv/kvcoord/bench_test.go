package kvcoord

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// delayTransport adds a fixed round-trip time to every RPC, as a network
// between machines does (loopback on one machine has almost none).
type delayTransport struct {
	Transport
	rtt time.Duration
}

func (t delayTransport) SendTo(ctx context.Context, rep *kvpb.ReplicaDescriptor, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	tm := time.NewTimer(t.rtt)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-tm.C:
	}
	return t.Transport.SendTo(ctx, rep, ba)
}

// BenchmarkScanAcrossRanges scans 5,000 rows of 64-byte values through the
// DistSender over real gRPC on loopback, with the rows in one range and
// spread over 50, paged 1,000 rows at a time: the cost of crossing range
// boundaries on the client side (lookups, parts, stitching). page=0 is one
// unlimited scan (the parts run in parallel); page=1000 pages with a key
// limit: fanout=1 visits the ranges one at a time, in order (the
// sequential walk), fanout=8 (the default) reads up to 8 ranges ahead in
// parallel. rtt=1ms adds a 1 ms round trip to every RPC (a network
// between machines); rtt=0 is bare loopback, where the cost is CPU.
func BenchmarkScanAcrossRanges(b *testing.B) {
	const rows = 5000
	for _, rtt := range []time.Duration{0, time.Millisecond} {
		for _, c := range []struct{ nranges, page, fanout int }{
			{1, 1000, 8}, {50, 1000, 1}, {50, 1000, 8}, {1, 0, 8}, {50, 0, 8},
		} {
			nranges, page := c.nranges, int64(c.page)
			b.Run(fmt.Sprintf("rtt=%s/ranges=%d/page=%d/fanout=%d", rtt, nranges, page, c.fanout), func(b *testing.B) {
				f := newFixture(b, 1, []uint64{1})
				for i := 1; i < nranges; i++ {
					f.split([]byte(fmt.Sprintf("row%06d", i*rows/nranges)))
				}
				ds, _ := f.newSender(b, Config{LimitedScanFanOut: c.fanout})
				val := make([]byte, 64)
				var reqs []*kvpb.RequestUnion
				for i := 0; i < rows; i++ {
					reqs = append(reqs, &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Put{Put: &kvpb.PutRequest{
						Key: []byte(fmt.Sprintf("row%06d", i)), Value: val}}})
					if len(reqs) == 500 {
						send(b, ds, reqs...)
						reqs = nil
					}
				}
				scanAll(b, ds, "row", "rox", false, page, 0) // warm the cache
				if rtt > 0 {
					ds.cfg.Transport = delayTransport{Transport: ds.cfg.Transport, rtt: rtt}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					n := len(scanAll(b, ds, "row", "rox", false, page, 0))
					if n != rows {
						b.Fatalf("scanned %d rows, want %d", n, rows)
					}
				}
				b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
