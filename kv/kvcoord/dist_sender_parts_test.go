package kvcoord

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/kv/kvpb"
	"google.golang.org/protobuf/proto"
)

// TestBatchPartsStaleCache: batches whose parts share BatchParts RPCs meet
// a split behind the cache in the middle of a node's group (range key
// mismatch for that part only), a lease moved to another node
// (NotLeaseholder with a hint) and a range relocated away from the node
// (RangeNotFound); unlimited scans, limited scans forward and reverse and
// multi-request batches still return exactly the rows, in order, with the
// right resume spans, and only the refused parts are sent again.
func TestBatchPartsStaleCache(t *testing.T) {
	type check struct {
		name string
		reqs []*kvpb.RequestUnion
		// want[i]: the rows of request i; resume[i]: its resume key ("" none).
		want   [][2]int // [first, last] row numbers, last < first for reverse
		resume []string
	}
	checks := []check{
		{"unlimited", []*kvpb.RequestUnion{scan("row", "rox", 0, 0)}, [][2]int{{0, 99}}, []string{""}},
		{"forward", []*kvpb.RequestUnion{scan("row", "rox", 57, 0)}, [][2]int{{0, 56}}, []string{"row057"}},
		{"reverse", []*kvpb.RequestUnion{rscan("row", "rox", 57, 0)}, [][2]int{{99, 43}}, []string{"row042\x00"}},
		{"bytes", []*kvpb.RequestUnion{scan("row", "rox", 0, 7*40)}, [][2]int{{0, 39}}, []string{"row040"}},
		{"two requests", []*kvpb.RequestUnion{scan("row", "row050", 30, 0), scan("row050", "rox", 45, 0)},
			[][2]int{{0, 29}, {50, 94}}, []string{"row030", "row095"}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, 3, []uint64{1, 2, 3})
			for i := 1; i < 10; i++ {
				f.split([]byte(fmt.Sprintf("row%03d", i*10)))
			}
			ds, tr := newCountingSender(t, f, Config{LimitedScanFanOut: 8})
			var reqs []*kvpb.RequestUnion
			for i := 0; i < 100; i++ {
				reqs = append(reqs, put(fmt.Sprintf("row%03d", i), "v"))
			}
			send(t, ds, reqs...)
			send(t, ds, scan("row", "rox", 0, 0)) // warm the cache: every lease on n1
			require.Positive(t, tr.partsRPCs(), "the warm-up shared RPCs")
			// Behind the cache: [row030, row040) splits at row035, the lease
			// of [row050, row060) moves to n2 and [row070, row080) leaves n1.
			require.True(t, f.split([]byte("row035")))
			f.mu.Lock()
			idx := func(k string) int { return f.indexLocked([]byte(k)) }
			i50, i70 := idx("row050"), idx("row070")
			f.mu.Unlock()
			f.moveLease(i50, 1)
			f.relocate(i70, []uint64{2, 3})
			mismatches, before := f.mismatches.Load(), tr.partsRPCs()

			br := send(t, ds, c.reqs...)
			for i, w := range c.want {
				rows, _, resume := scanResult(br.GetResponses()[i])
				var want []string
				for k := w[0]; ; {
					want = append(want, fmt.Sprintf("row%03d", k))
					if k == w[1] {
						break
					}
					if w[1] < w[0] {
						k--
					} else {
						k++
					}
				}
				require.Equal(t, want, rowKeys(rows), "request %d", i)
				if c.resume[i] == "" {
					require.Nil(t, resume, "request %d", i)
				} else {
					require.NotNil(t, resume, "request %d", i)
					if w[1] < w[0] {
						require.Equal(t, c.resume[i], string(resume.GetEndKey()), "request %d", i)
					} else {
						require.Equal(t, c.resume[i], string(resume.GetKey()), "request %d", i)
					}
				}
			}
			require.Greater(t, tr.partsRPCs(), before, "the batch shared RPCs")
			if c.name != "reverse" && c.name != "two requests" {
				// The others reach [row030, row040) with a part that a
				// shared RPC carries; the reverse scan of 57 rows stops
				// before it, and the two requests' walk jumps from row029
				// to row050.
				require.Greater(t, f.mismatches.Load(), mismatches, "the split range answered a mismatch")
			}
			// The same batch again (with the cache repaired as far as the
			// first one went) gives the same answer.
			again := send(t, ds, c.reqs...)
			for i := range c.reqs {
				require.True(t, proto.Equal(br.GetResponses()[i], again.GetResponses()[i]), "repeat, request %d", i)
			}
		})
	}
}
