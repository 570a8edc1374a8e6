package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:           "tessera",
	Short:         "Tessera, a distributed SQL database",
	SilenceUsage:  true,
	SilenceErrors: true,
	// Args and RunE make an unknown subcommand a usage error (exit 2).
	Args: func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unknown command %q (see tessera --help)", args[0])
		}
		return nil
	},
	RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
}

func init() {
	rootCmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w: %w", errUsage, err)
	})
}

// exitCode maps an error returned by a command to the process exit status.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errAlreadyInitialized):
		return 3
	default:
		return 1
	}
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(exitCode(err))
	}
}
