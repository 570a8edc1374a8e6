package placement

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// ErrRangeNotFound is returned by Explain for a range not in the snapshot.
var ErrRangeNotFound = errors.New("range not found")

// Explain runs the decision functions in dry-run mode and says, in plain
// words, where the range's replicas and lease are, how their stores
// compare, what the checkers concluded about the range, and what the
// driver would do next with it. It starts nothing.
func (p *Planner) Explain(s *Snapshot, id kvpb.RangeID, rng *rand.Rand) (string, error) {
	s.indexed()
	r := s.Range(id)
	if r == nil {
		return "", fmt.Errorf("%w: %s", ErrRangeNotFound, id)
	}
	if rng == nil {
		rng = rand.New(rand.NewSource(0))
	}
	c := newCycle(p, s, rng, id)
	var b strings.Builder
	end := "/Max"
	if r.EndKey != nil {
		end = fmt.Sprintf("%q", r.EndKey)
	}
	fmt.Fprintf(&b, "range %s [%q, %s): %s, %.0f QPS\n", r.ID, r.StartKey, end, settings.HumanBytes(r.SizeBytes), r.QPS)
	ids := c.replicaStores()
	rmean, lmean := meanOf(ids, c.replicas), meanOf(c.leaseStores(), c.leases)
	for _, rep := range r.Replicas {
		st := s.Store(rep.Store)
		node := "unknown node"
		full := 0.0
		if st != nil {
			node, full = st.Node.String(), st.Capacity.Fullness()
		}
		lease := ""
		if rep.Store == r.Leaseholder {
			lease = ", leaseholder"
		}
		fmt.Fprintf(&b, "  replica %s on %s (%s, %s, %s%s): store holds %d replicas (mean %.1f), %d leases (mean %.1f), disk %.0f%% full\n",
			rep.ID, rep.Store, node, s.LivenessOf(rep.Store), rep.Type, lease, c.replicas[rep.Store], rmean, c.leases[rep.Store], lmean, 100*full)
	}
	thr := s.Settings.RebalanceThreshold
	if r.Leaseholder == 0 {
		b.WriteString("  no leaseholder\n")
	} else {
		fmt.Fprintf(&b, "  lease on %s: it holds %d leases and serves %.0f QPS; balanced band is %.1f-%.1f leases (mean ± rebalance_threshold %.0f%%)\n",
			r.Leaseholder, c.leases[r.Leaseholder], c.qps[r.Leaseholder], lmean*(1-thr), lmean*(1+thr), 100*thr)
	}
	fmt.Fprintf(&b, "  replica band is %.1f-%.1f replicas per store\n", rmean*(1-thr), rmean*(1+thr))
	c.run()
	next := false
	for _, n := range c.notes {
		if strings.HasPrefix(n, "next: ") {
			next = true
		}
		b.WriteString(n)
		b.WriteByte('\n')
	}
	if !next {
		b.WriteString("next: nothing to do now\n")
	}
	return b.String(), nil
}
