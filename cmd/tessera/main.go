// Command tessera is the single Tessera binary: it starts nodes, bootstraps
// clusters, and carries the operator and debugging commands.
//
// Each subcommand lives in its own file and registers itself on rootCmd in
// an init function, so that work on one command never touches another's
// file.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:           "tessera",
	Short:         "Tessera, a distributed SQL database",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
