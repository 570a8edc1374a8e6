package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// nodeFlags are --host and --timeout of commands that talk to one node.
type nodeFlags struct {
	host    string
	timeout time.Duration
}

func (f *nodeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.host, "host", fmt.Sprintf("127.0.0.1:%d", DefaultRPCPort), "address of a node")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 10*time.Second, "give up after this long")
}

// context validates the flags and returns the node address and a context
// bounded by --timeout.
func (f *nodeFlags) context(cmd *cobra.Command) (string, context.Context, context.CancelFunc, error) {
	addr, err := parseAddr(f.host)
	if err != nil {
		return "", nil, nil, fmt.Errorf("--host: %w", err)
	}
	if err := checkTimeout(f.timeout); err != nil {
		return "", nil, nil, err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	return addr, ctx, cancel, nil
}

func init() {
	root := &cobra.Command{
		Use:   "settings",
		Short: "List and change cluster settings",
		Long: `Cluster settings are stored in the cluster's system keys and read by every
node within a second or so. Sizes take binary suffixes (64KiB, 1MiB, 512MiB),
durations Go syntax (10s, 5m).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var lf nodeFlags
	var format string
	list := &cobra.Command{
		Use:   "list",
		Short: "List every setting with its value and default",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usageErrorf("--format must be table or json, got %q", format)
			}
			addr, ctx, cancel, err := lf.context(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			resp, err := placementCall(ctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.ListSettingsResponse, error) {
				return c.ListSettings(ctx, &placementpb.ListSettingsRequest{})
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				type row struct {
					Name        string `json:"name"`
					Value       string `json:"value"`
					Default     string `json:"default"`
					Kind        string `json:"kind"`
					Description string `json:"description"`
				}
				rows := []row{}
				for _, s := range resp.GetSettings() {
					rows = append(rows, row{s.GetName(), s.GetValue(), s.GetDefault(), s.GetKind(), s.GetDescription()})
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Settings []row `json:"settings"`
				}{rows})
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tVALUE\tDEFAULT\tKIND\tDESCRIPTION")
			for _, s := range resp.GetSettings() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.GetName(), s.GetValue(), s.GetDefault(), s.GetKind(), s.GetDescription())
			}
			return tw.Flush()
		},
	}
	lf.register(list)
	list.Flags().StringVar(&format, "format", "table", "output format: table or json")

	var sf nodeFlags
	set := &cobra.Command{
		Use:   "set NAME VALUE",
		Short: "Change a cluster setting",
		Args:  usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Check locally first, for a clear error without a cluster.
			if err := settings.NewRegistry().Set(args[0], args[1]); err != nil {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			addr, ctx, cancel, err := sf.context(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			resp, err := placementCall(ctx, addr, func(ctx context.Context, c placementpb.PlacementClient) (*placementpb.SetSettingResponse, error) {
				return c.SetSetting(ctx, &placementpb.SetSettingRequest{Name: args[0], Value: args[1]})
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s = %s\n", resp.GetSetting().GetName(), resp.GetSetting().GetValue())
			return nil
		},
	}
	sf.register(set)
	root.AddCommand(list, set)
	rootCmd.AddCommand(root)
}
