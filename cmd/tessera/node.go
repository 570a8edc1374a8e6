package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/liveness"
	"github.com/tesseradb/tessera/placement/placementpb"
)

// nodeStatusJSON is the JSON form of one row of `node status`.
type nodeStatusJSON struct {
	NodeID   uint64 `json:"node_id"`
	Address  string `json:"address"`
	Liveness string `json:"liveness"`
	// State is the node's liveness record judged now: live, suspect,
	// dead, decommissioning, decommissioned (unknown: no record yet).
	State       string `json:"state"`
	Epoch       int64  `json:"epoch"`
	Draining    bool   `json:"draining"`
	Replicas    int64  `json:"replicas"`
	Leases      int64  `json:"leases"`
	RaftLeaders int64  `json:"raft_leaders"`
}

func init() {
	node := &cobra.Command{
		Use:   "node",
		Short: "Inspect the cluster's nodes",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var (
		host    string
		format  string
		timeout time.Duration
	)
	st := &cobra.Command{
		Use:   "status",
		Short: "List the nodes with address, liveness, replica and lease counts",
		Long: `List the cluster's nodes as the node at --host knows them: ID, address,
RPC reachability (up: it answered an RPC just now; down: it did not), its
liveness state from its heartbeated record (live; suspect: missed its last
heartbeat; dead: silent for time_until_store_dead; decommissioning;
decommissioned; with ",draining" while drained) and epoch, and the number of
replicas, valid leases and Raft leaderships it holds. A node that has not
joined a cluster yet lists only itself, with node ID 0.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := parseAddr(host)
			if err != nil {
				return fmt.Errorf("--host: %w", err)
			}
			if format != "table" && format != "json" {
				return usageErrorf("--format must be table or json, got %q", format)
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			resp, err := adminCall(ctx, addr, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.NodeStatusResponse, error) {
				return c.NodeStatus(ctx, &kvpb.NodeStatusRequest{})
			})
			if err != nil {
				return err
			}
			// Liveness records; a node that cannot read them (not in a
			// cluster yet, no quorum) leaves the state unknown.
			lctx, lcancel := context.WithTimeout(ctx, 2*time.Second)
			lv, _ := placementCall(lctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.LivenessResponse, error) {
				return c.Liveness(ctx, &placementpb.LivenessRequest{})
			})
			lcancel()
			recs := map[uint64]*placementpb.NodeLivenessStatus{}
			for _, n := range lv.GetNodes() {
				recs[n.GetRecord().GetNodeId()] = n
			}
			rows := make([]nodeStatusJSON, 0, len(resp.GetNodes()))
			for _, n := range resp.GetNodes() {
				live := "down"
				if n.GetLive() {
					live = "up"
				}
				row := nodeStatusJSON{
					NodeID: n.GetDesc().GetNodeId(), Address: n.GetDesc().GetAddress(), Liveness: live, State: "unknown",
					Replicas: n.GetReplicaCount(), Leases: n.GetLeaseCount(), RaftLeaders: n.GetRaftLeaderCount(),
				}
				if r, ok := recs[row.NodeID]; ok {
					row.State, row.Epoch, row.Draining = liveness.StateName(r.GetState()), r.GetRecord().GetEpoch(), r.GetRecord().GetDraining()
				}
				rows = append(rows, row)
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Nodes []nodeStatusJSON `json:"nodes"`
				}{rows})
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NODE\tADDRESS\tRPC\tSTATE\tEPOCH\tREPLICAS\tLEASES\tRAFT LEADERS")
			for _, r := range rows {
				state := r.State
				if r.Draining {
					state += ",draining"
				}
				fmt.Fprintf(tw, "n%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", r.NodeID, r.Address, r.Liveness, state, r.Epoch, r.Replicas, r.Leases, r.RaftLeaders)
			}
			if h := lv.GetPlacementLease(); h.GetHolder() != 0 {
				fmt.Fprintf(tw, "placement driver leader: n%d\n", h.GetHolder())
			}
			return tw.Flush()
		},
	}
	st.Flags().StringVar(&host, "host", fmt.Sprintf("127.0.0.1:%d", DefaultRPCPort), "address of a node")
	st.Flags().StringVar(&format, "format", "table", "output format: table or json")
	st.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "give up after this long")
	node.AddCommand(st)
	addNodePlacementCommands(node)
	rootCmd.AddCommand(node)
}
