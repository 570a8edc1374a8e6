package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tesseradb/tessera/placement/placementpb"
)

// rangesCommand returns the `ranges` command, creating it if no other
// file of the package did (its list/split/merge/… subcommands live with
// the range admin commands).
func rangesCommand() *cobra.Command {
	for _, c := range rootCmd.Commands() {
		if c.Name() == "ranges" {
			return c
		}
	}
	c := &cobra.Command{
		Use:   "ranges",
		Short: "Inspect and administer ranges",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	rootCmd.AddCommand(c)
	return c
}

func init() {
	ranges := rangesCommand()
	var wf nodeFlags
	why := &cobra.Command{
		Use:   "why RANGE_ID",
		Short: "Explain where a range's replicas and lease are and what the placement driver would do next",
		Long: `Print, in plain words, where the range's replicas and lease are, how their
stores compare with the cluster (replica and lease counts against the mean,
disk fullness, liveness), what the checkers concluded (size, load, replica
health) and what the placement driver would do next with the range. The
decision functions run in dry-run mode on a fresh snapshot: nothing starts.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRangeID(args[0])
			if err != nil {
				return err
			}
			addr, ctx, cancel, err := wf.context(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			resp, err := placementCall(ctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.ExplainResponse, error) {
				return c.Explain(ctx, &placementpb.ExplainRequest{RangeId: id})
			})
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), resp.GetText())
			return nil
		},
	}
	wf.register(why)

	var sf nodeFlags
	var start, end string
	scatter := &cobra.Command{
		Use:   "scatter",
		Short: "Spread ranges over the stores at random (after a bulk import)",
		Long: `Move one replica of every range overlapping [--start, --end) (default: every
range) to a random store that may receive it and give its lease to a random
voter, through the placement driver's leader and with its safety rules
(learner first, never two replicas on a node, no full or non-live target).
Prints the operators started; the driver carries them out in the background.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var sk, ek []byte
			var err error
			if start != "" {
				if sk, err = parseKey(start); err != nil {
					return err
				}
			}
			if end != "" {
				if ek, err = parseKey(end); err != nil {
					return err
				}
			}
			if sk != nil && ek != nil && string(sk) >= string(ek) {
				return usageErrorf("--start must sort before --end")
			}
			addr, ctx, cancel, err := sf.context(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			resp, err := placementCall(ctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.ScatterResponse, error) {
				return c.Scatter(ctx, &placementpb.ScatterRequest{StartKey: sk, EndKey: ek})
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, d := range resp.GetDecisions() {
				fmt.Fprintln(out, d)
			}
			fmt.Fprintf(out, "%d operators started\n", resp.GetOperators())
			return nil
		},
	}
	sf.register(scatter)
	scatter.Flags().StringVar(&start, "start", "", "first key (0x… for hex; default: the start of the key space)")
	scatter.Flags().StringVar(&end, "end", "", "end key, exclusive (default: the end of the key space)")
	ranges.AddCommand(why, scatter)
}
