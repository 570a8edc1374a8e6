package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/server"
)

// startFlags are the flags of `tessera start`.
type startFlags struct {
	store     string
	listen    string
	advertise string
	join      string
	maxOffset time.Duration
	httpAddr  string
}

// startConfig is the validated form of startFlags.
type startConfig struct {
	store     string
	listen    string
	advertise string
	join      []string
	maxOffset time.Duration
	httpAddr  string
}

func (f *startFlags) validate() (startConfig, error) {
	if f.store == "" {
		return startConfig{}, usageErrorf("--store is required")
	}
	listen, err := parseAddr(f.listen)
	if err != nil {
		return startConfig{}, fmt.Errorf("--listen: %w", err)
	}
	advertise := listen
	if f.advertise != "" {
		if advertise, err = parseAddr(f.advertise); err != nil {
			return startConfig{}, fmt.Errorf("--advertise: %w", err)
		}
	}
	join, err := parseAddrList(f.join)
	if err != nil {
		return startConfig{}, fmt.Errorf("--join: %w", err)
	}
	if f.maxOffset < 0 {
		return startConfig{}, usageErrorf("--max-offset must not be negative")
	}
	var httpAddr string
	if f.httpAddr != "" {
		if httpAddr, err = parseAddr(f.httpAddr); err != nil {
			return startConfig{}, fmt.Errorf("--http-addr: %w", err)
		}
	}
	return startConfig{store: f.store, listen: listen, advertise: advertise, join: join, maxOffset: f.maxOffset, httpAddr: httpAddr}, nil
}

func init() {
	var f startFlags
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a node",
		Long: `Start a node serving RPC on --listen with its data in --store.

A new store joins the cluster of the --join addresses, or waits for
"tessera init" to bootstrap a new cluster; a store that was in a cluster
restarts with everything it had.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.validate()
			if err != nil {
				return err
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelInfo}))
			srv, err := server.New(server.Config{
				StoreDir:  cfg.store,
				Listen:    cfg.listen,
				Advertise: cfg.advertise,
				Join:      cfg.join,
				MaxOffset: cfg.maxOffset,
				HTTPAddr:  cfg.httpAddr,
				Logger:    logger,
			})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := srv.Start(ctx); err != nil {
				srv.Stop()
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "tessera %s: node serving RPC on %s (store %s); Ctrl-C to stop\n", Version, srv.Addr(), cfg.store)
			<-ctx.Done()
			logger.Info("stopping")
			srv.Stop()
			return nil
		},
	}
	cmd.Flags().StringVar(&f.store, "store", "", "directory of this node's store (required)")
	cmd.Flags().StringVar(&f.listen, "listen", fmt.Sprintf("127.0.0.1:%d", DefaultRPCPort), "RPC listen address HOST:PORT")
	cmd.Flags().StringVar(&f.advertise, "advertise", "", "RPC address other nodes and clients use to reach this node (default: --listen)")
	cmd.Flags().StringVar(&f.join, "join", "", "addresses of cluster nodes to join, comma-separated HOST:PORT (may include this node)")
	cmd.Flags().DurationVar(&f.maxOffset, "max-offset", hlc.DefaultMaxOffset, "maximum tolerated clock offset between nodes")
	cmd.Flags().StringVar(&f.httpAddr, "http-addr", "", "HTTP address for /healthz and /debug/pprof, HOST:PORT (default: off)")
	rootCmd.AddCommand(cmd)
}
