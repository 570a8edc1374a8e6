package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// parseNodeID reads a node ID argument ("3" or "n3").
func parseNodeID(s string) (uint64, error) {
	id, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "n"), 10, 64)
	if err != nil || id == 0 {
		return 0, usageErrorf("bad node ID %q: want a positive integer such as 3 or n3", s)
	}
	return id, nil
}

// pollEvery is the pause between progress checks of drain and decommission.
const pollEvery = time.Second

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func addNodePlacementCommands(node *cobra.Command) {
	var df nodeFlags
	var undo bool
	drain := &cobra.Command{
		Use:   "drain",
		Short: "Move every lease off the node at --host and mark it draining",
		Long: `Mark the node at --host draining (the placement driver gives it no new
leases or replicas) and move the leases it holds to other live nodes,
repeating until it holds none or --timeout passes. The node keeps its
replicas and keeps running; --undo clears the mark. (When the SQL server
exists, a draining node also stops accepting SQL connections.)`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, ctx, cancel, err := df.context(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			out := cmd.OutOrStdout()
			for {
				resp, err := placementCall(ctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.DrainResponse, error) {
					return c.Drain(ctx, &placementpb.DrainRequest{Undo: undo})
				})
				if err != nil {
					return err
				}
				if undo {
					fmt.Fprintf(out, "%s is no longer draining\n", addr)
					return nil
				}
				if resp.GetLeasesLeft() == 0 {
					fmt.Fprintf(out, "%s drained: it holds no leases\n", addr)
					return nil
				}
				fmt.Fprintf(out, "%s: %d leases left\n", addr, resp.GetLeasesLeft())
				if err := sleepCtx(ctx, pollEvery); err != nil {
					return fmt.Errorf("drain of %s did not finish before --timeout: %d leases left", addr, resp.GetLeasesLeft())
				}
			}
		},
	}
	df.register(drain)
	drain.Flags().BoolVar(&undo, "undo", false, "clear the draining mark")

	var mf nodeFlags
	var wait bool
	decom := &cobra.Command{
		Use:   "decommission NODE_ID",
		Short: "Move every replica off a node, then mark it decommissioned",
		Long: `Mark node NODE_ID decommissioning: the placement driver moves its leases and
replicas to other nodes. With --wait (the default) print progress (replicas
left, bytes moved, rate) every second until none is left, then mark the node
decommissioned (final). Without --wait, return at once; run the command again
to follow and finish it. ` + "`tessera node recommission`" + ` undoes a decommission
in progress.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseNodeID(args[0])
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("timeout") {
				mf.timeout = time.Hour
			}
			addr, ctx, cancel, err := mf.context(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			out := cmd.OutOrStdout()
			st, err := placementCall(ctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.DecommissionStatusResponse, error) {
				return c.DecommissionStatus(ctx, &placementpb.DecommissionStatusRequest{NodeId: id})
			})
			if err != nil {
				return err
			}
			if st.GetRecord().GetMembership() == placementpb.Membership_DECOMMISSIONED {
				fmt.Fprintf(out, "n%d is already decommissioned\n", id)
				return nil
			}
			if _, err := placementCall(ctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.SetMembershipResponse, error) {
				return c.SetMembership(ctx, &placementpb.SetMembershipRequest{NodeId: id, Membership: placementpb.Membership_DECOMMISSIONING})
			}); err != nil {
				return err
			}
			fmt.Fprintf(out, "n%d is decommissioning: %d replicas (%s) to move\n", id, st.GetReplicasLeft(), settings.HumanBytes(st.GetBytesLeft()))
			if !wait {
				return nil
			}
			start, startBytes := time.Now(), st.GetBytesLeft()
			for st.GetReplicasLeft() > 0 {
				if err := sleepCtx(ctx, pollEvery); err != nil {
					return fmt.Errorf("n%d still holds %d replicas at --timeout; it stays decommissioning (run again to continue, or recommission it)", id, st.GetReplicasLeft())
				}
				st, err = placementCall(ctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.DecommissionStatusResponse, error) {
					return c.DecommissionStatus(ctx, &placementpb.DecommissionStatusRequest{NodeId: id})
				})
				if err != nil {
					return err
				}
				if st.GetRecord().GetMembership() == placementpb.Membership_ACTIVE {
					return fmt.Errorf("n%d was recommissioned while it was being decommissioned", id)
				}
				moved := max(startBytes-st.GetBytesLeft(), 0)
				el := time.Since(start).Seconds()
				fmt.Fprintf(out, "n%d: %d replicas left, %s moved, %s/s\n", id, st.GetReplicasLeft(), settings.HumanBytes(moved), settings.HumanBytes(int64(float64(moved)/max(el, 0.001))))
			}
			if _, err := placementCall(ctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.SetMembershipResponse, error) {
				return c.SetMembership(ctx, &placementpb.SetMembershipRequest{NodeId: id, Membership: placementpb.Membership_DECOMMISSIONED})
			}); err != nil {
				return err
			}
			fmt.Fprintf(out, "n%d is decommissioned: it holds no replicas and can be stopped\n", id)
			return nil
		},
	}
	mf.register(decom)
	decom.Flags().BoolVar(&wait, "wait", true, "follow the progress and mark the node decommissioned at the end")

	var rf nodeFlags
	recom := &cobra.Command{
		Use:   "recommission NODE_ID",
		Short: "Undo a decommission in progress",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseNodeID(args[0])
			if err != nil {
				return err
			}
			addr, ctx, cancel, err := rf.context(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			if _, err := placementCall(ctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.SetMembershipResponse, error) {
				return c.SetMembership(ctx, &placementpb.SetMembershipRequest{NodeId: id, Membership: placementpb.Membership_ACTIVE})
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "n%d is active again\n", id)
			return nil
		},
	}
	rf.register(recom)
	node.AddCommand(drain, decom, recom)
}
