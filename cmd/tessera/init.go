package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tesseradb/tessera/kv/kvpb"
)

func init() {
	var (
		host    string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Bootstrap a new cluster on the node at --host",
		Long: `Bootstrap a new cluster on the node at --host: it becomes node 1 and holds
range 1, covering the whole key space; the range is replicated to three nodes
as soon as three have joined. The node bootstraps only once a majority of
the nodes in its --join list (itself included) are up and promise to take
part in no other init, so two inits never create two clusters; init waits
(up to --timeout) for the node and that majority to answer. On a cluster
that is already initialized, or when a --join peer of the node already is,
it fails with exit status 3.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := parseAddr(host)
			if err != nil {
				return fmt.Errorf("--host: %w", err)
			}
			if err := checkTimeout(timeout); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			resp, err := adminCall(ctx, addr, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.BootstrapResponse, error) {
				return c.Bootstrap(ctx, &kvpb.BootstrapRequest{})
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "cluster %s initialized; %s is node %d\n", resp.GetClusterId(), addr, resp.GetNodeId())
			return nil
		},
	}
	cmd.Flags().StringVar(&host, "host", fmt.Sprintf("127.0.0.1:%d", DefaultRPCPort), "address of the node to bootstrap")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	rootCmd.AddCommand(cmd)
}
