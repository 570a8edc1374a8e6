package server

import (
	"strings"
	"testing"
	"time"

	"github.com/tesseradb/tessera/ranges"
)

// TestWriteStoreMetricsTimes: the write-path times are exported in
// seconds next to their counts.
func TestWriteStoreMetricsTimes(t *testing.T) {
	var b strings.Builder
	writeStoreMetrics(&b, ranges.Metrics{RaftSyncs: 4, RaftSyncTime: 2 * time.Millisecond,
		WriteProposals: 3, WriteProposalTime: 1500 * time.Millisecond,
		ApplyBatches: 7, ApplyTime: 250 * time.Microsecond,
		TransportBatchesSent: 9, TransportQueueTime: 3 * time.Second})
	out := b.String()
	for _, want := range []string{
		"\ntessera_store_raft_syncs_total 4\n",
		"\ntessera_store_raft_sync_seconds_total 0.002\n",
		"\ntessera_store_write_proposals_total 3\n",
		"\ntessera_store_write_proposal_seconds_total 1.5\n",
		"\ntessera_store_raft_apply_batches_total 7\n",
		"\ntessera_store_raft_apply_seconds_total 0.00025\n",
		"\ntessera_raft_transport_batches_sent_total 9\n",
		"\ntessera_raft_transport_queue_seconds_total 3\n",
		"# TYPE tessera_store_raft_sync_seconds_total counter\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q:\n%s", want, out)
		}
	}
}
