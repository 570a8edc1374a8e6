package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/tesseradb/tessera/ranges"
)

// startHTTP serves /healthz, /metrics (the store's counters in the
// Prometheus text format) and /debug/pprof on cfg.HTTPAddr (DESIGN.md §7;
// the console comes later).
func (s *Server) startHTTP() error {
	if s.cfg.HTTPAddr == "" {
		return nil
	}
	lis, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("server: http listen %s: %w", s.cfg.HTTPAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if s.store() == nil {
			http.Error(w, "not running (waiting to join or for init)", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		st := s.store()
		if st == nil {
			http.Error(w, "not running (waiting to join or for init)", http.StatusServiceUnavailable)
			return
		}
		writeStoreMetrics(w, st.Metrics())
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		<-s.stopper
		_ = srv.Close()
	}()
	return nil
}

// writeStoreMetrics writes m in the Prometheus text exposition format.
func writeStoreMetrics(w io.Writer, m ranges.Metrics) {
	for _, g := range []struct {
		name, help, kind string
		v                int64
	}{
		{"tessera_store_replicas", "Replicas on the store.", "gauge", m.ReplicaCount},
		{"tessera_store_leases", "Valid leases held by the store.", "gauge", m.LeaseCount},
		{"tessera_store_raft_leaders", "Raft groups the store leads.", "gauge", m.RaftLeaderCount},
		{"tessera_store_raft_cycles_total", "Scheduler cycles that persisted or applied a Ready.", "counter", m.RaftCycles},
		{"tessera_store_raft_syncs_total", "Synced raft log batches (fsyncs).", "counter", m.RaftSyncs},
		{"tessera_store_raft_entries_appended_total", "Raft log entries appended.", "counter", m.EntriesAppended},
		{"tessera_store_raft_entries_applied_early_total", "Committed entries applied before their cycle's fsync.", "counter", m.EntriesAppliedEarly},
		{"tessera_store_raft_commit_only_appends_dropped_total", "Empty MsgApps announcing only a commit of plain writes, not sent.", "counter", m.CommitOnlyAppendsDropped},
		{"tessera_store_raft_cycles_inline_total", "Scheduler cycles run on the proposing goroutine.", "counter", m.RaftCyclesInline},
		{"tessera_store_snapshots_sent_total", "Raft snapshots sent.", "counter", m.SnapshotsSent},
		{"tessera_store_snapshots_applied_total", "Raft snapshots applied.", "counter", m.SnapshotsApplied},
		{"tessera_store_write_proposals_total", "Write proposals whose proposer received the outcome.", "counter", m.WriteProposals},
		{"tessera_store_raft_apply_batches_total", "Engine batches of applied committed entries.", "counter", m.ApplyBatches},
		{"tessera_raft_transport_batches_sent_total", "Raft message batches handed to a peer's stream.", "counter", m.TransportBatchesSent},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", g.name, g.help, g.name, g.kind, g.name, g.v)
	}
	// Times, to divide by the matching count above for a mean.
	for _, g := range []struct {
		name, help string
		v          time.Duration
	}{
		{"tessera_store_raft_sync_seconds_total", "Time committing synced raft log batches (per tessera_store_raft_syncs_total).", m.RaftSyncTime},
		{"tessera_store_write_proposal_seconds_total", "Time from a write's proposal to its proposer receiving the outcome.", m.WriteProposalTime},
		{"tessera_store_raft_apply_seconds_total", "Time building and committing batches of applied entries.", m.ApplyTime},
		{"tessera_raft_transport_queue_seconds_total", "Time raft message batches waited in the per-peer queue.", m.TransportQueueTime},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %g\n", g.name, g.help, g.name, g.name, g.v.Seconds())
	}
}
