package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/spf13/cobra"
)

func init() {
	var store, listen string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if store == "" {
				return fmt.Errorf("--store is required")
			}
			db, err := pebble.Open(store, &pebble.Options{})
			if err != nil {
				return fmt.Errorf("opening store %s: %w", store, err)
			}
			defer db.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "tessera %s: store %s open; replication and SQL are not served yet (listen %s reserved)\nCtrl-C to stop\n", Version, store, listen)
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
			<-sig
			return nil
		},
	}
	cmd.Flags().StringVar(&store, "store", "", "directory of this node's store")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:6433", "RPC listen address")
	rootCmd.AddCommand(cmd)
}
