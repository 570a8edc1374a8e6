package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Version is the release name, overridable at link time with
// -ldflags "-X main.Version=…".
var Version = "0.1.0-dev"

func init() {
	rootCmd.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  usageArgs(cobra.NoArgs),
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "tessera %s\n", Version)
		},
	})
}
