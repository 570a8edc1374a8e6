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
	sqlAddr   string
	insecure  insecureFlag
	sqlUsers  string
	certFile  string
	keyFile   string
}

// startConfig is the validated form of startFlags.
type startConfig struct {
	store     string
	listen    string
	advertise string
	join      []string
	maxOffset time.Duration
	httpAddr  string
	sqlAddr   string
	sql       sqlSecurity
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
	sqlAddr, sec, err := f.validateSQL()
	if err != nil {
		return startConfig{}, err
	}
	return startConfig{store: f.store, listen: listen, advertise: advertise, join: join, maxOffset: f.maxOffset, httpAddr: httpAddr,
		sqlAddr: sqlAddr, sql: sec}, nil
}

func init() {
	var f startFlags
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a node",
		Long: `Start a node serving RPC on --listen with its data in --store.

A new store joins the cluster of the --join addresses, or waits for
"tessera init" to bootstrap a new cluster; a store that was in a cluster
restarts with everything it had.

SQL clients connect to --sql-addr (default 127.0.0.1:5433). Choose how
they authenticate: --insecure trusts everyone and offers no TLS (for a
local development cluster; refused on a non-loopback address unless
--insecure=force), or --sql-users FILE requires SCRAM-SHA-256 passwords,
optionally with TLS from --cert and --key.

The Go garbage collector runs with GOGC=400 and a soft memory limit of
half the memory available to the process (cgroup memory.max, else the
machine's): fewer collections for a node's small live heap. GOGC or
GOMEMLIMIT in the environment replace either default.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.validate()
			if err != nil {
				return err
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelInfo}))
			if gc := applyGCDefaults(); gc.setPercent {
				logger.Info("garbage collector default (GOGC unset)", "gogc", gc.percent)
			}
			if gc := debugGCLimit(); gc > 0 {
				logger.Info("garbage collector soft memory limit", "bytes", gc)
			}
			if cfg.sqlAddr != "" && newSQLEngine == nil {
				logger.Warn("this build has no SQL engine: not serving SQL", "sql-addr", cfg.sqlAddr)
				cfg.sqlAddr = ""
			}
			srv, err := server.New(server.Config{
				StoreDir:      cfg.store,
				Listen:        cfg.listen,
				Advertise:     cfg.advertise,
				Join:          cfg.join,
				MaxOffset:     cfg.maxOffset,
				HTTPAddr:      cfg.httpAddr,
				SQLAddr:       cfg.sqlAddr,
				SQLEngine:     newSQLEngine,
				SQLUsers:      cfg.sql.users,
				SQLTLS:        cfg.sql.tls,
				ServerVersion: "16.0 (Tessera " + Version + ")",
				Logger:        logger,
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
			if a := srv.SQLAddr(); a != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "SQL: psql postgresql://root@%s/defaultdb%s\n", a, map[bool]string{true: "?sslmode=disable", false: ""}[cfg.sql.tls == nil])
			}
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
	cmd.Flags().StringVar(&f.sqlAddr, "sql-addr", fmt.Sprintf("127.0.0.1:%d", DefaultSQLPort), "SQL (PostgreSQL wire protocol) listen address HOST:PORT; empty: no SQL")
	f.insecure = "false"
	cmd.Flags().Var(&f.insecure, "insecure", "trust every SQL client, no TLS (local development); refused on a non-loopback --sql-addr unless --insecure=force")
	cmd.Flags().Lookup("insecure").NoOptDefVal = "true"
	cmd.Flags().StringVar(&f.sqlUsers, "sql-users", "", "file of SQL users, one name:password or name:SCRAM-SHA-256$… verifier a line (SCRAM-SHA-256 authentication)")
	cmd.Flags().StringVar(&f.certFile, "cert", "", "TLS certificate (PEM) offered to SQL clients, with --key")
	cmd.Flags().StringVar(&f.keyFile, "key", "", "TLS private key (PEM) for --cert")
	rootCmd.AddCommand(cmd)
}
