package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"
	"github.com/tesseradb/tessera/cmd/tessera/internal/workload"
	"github.com/tesseradb/tessera/internal/bank"
	"github.com/tesseradb/tessera/kv/kvclient"
)

// maxWorkloadValueSize bounds --value-size well below the storage limit.
const maxWorkloadValueSize = 16 << 20

func init() {
	wl := &cobra.Command{
		Use:   "workload",
		Short: "Drive load against a running cluster and measure it",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}

	var (
		hosts       string
		concurrency int
		duration    time.Duration
		valueSize   int
		readPercent int
		keys        int64
		seed        int64
		opTimeout   time.Duration
		prefix      string
	)
	kv := &cobra.Command{
		Use:   "kv",
		Short: "Random point reads and writes of raw keys",
		Long: `Random point reads and writes of raw keys.

Each of --concurrency workers picks a key uniformly from --keys keys under
--prefix and reads it (with probability --read-percent) or writes a value of
--value-size random bytes. A progress line goes to stderr every second; at the
end exactly one summary line goes to stdout:

  ops/s=… p50_ms=… p95_ms=… p99_ms=… errors=…

Latencies are of successful operations only.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			addrs, err := parseAddrList(hosts)
			if err != nil {
				return err
			}
			if err := checkWorkloadFlags(addrs, concurrency, duration); err != nil {
				return err
			}
			switch {
			case valueSize < 0 || valueSize > maxWorkloadValueSize:
				return usageErrorf("--value-size must be in [0, %d], got %d", maxWorkloadValueSize, valueSize)
			case readPercent < 0 || readPercent > 100:
				return usageErrorf("--read-percent must be in [0, 100], got %d", readPercent)
			case keys < 1:
				return usageErrorf("--keys must be >= 1, got %d", keys)
			case opTimeout <= 0:
				return usageErrorf("--op-timeout must be positive, got %s", opTimeout)
			case prefix == "":
				return usageErrorf("--prefix must not be empty")
			}
			c, err := kvclient.NewDB(kvclient.Config{Addrs: addrs})
			if err != nil {
				return err
			}
			defer c.Close()
			if seed == 0 {
				seed = time.Now().UnixNano()
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "workload kv: hosts=%v concurrency=%d duration=%s value-size=%d read-percent=%d keys=%d seed=%d\n",
				addrs, concurrency, duration, valueSize, readPercent, keys, seed)

			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			rngs := make([]*rand.Rand, concurrency)
			vals := make([][]byte, concurrency)
			for i := range rngs {
				rngs[i] = rand.New(rand.NewPCG(uint64(seed), uint64(i)))
				vals[i] = make([]byte, valueSize)
			}
			op := func(ctx context.Context, w int, _ uint64) error {
				rng := rngs[w]
				key := binary.BigEndian.AppendUint64([]byte(prefix), uint64(rng.Int64N(keys)))
				opCtx, cancel := context.WithTimeout(ctx, opTimeout)
				defer cancel()
				if rng.IntN(100) < readPercent {
					_, _, err := c.Get(opCtx, key)
					return err
				}
				v := vals[w]
				for i := 0; i < len(v); i += 8 {
					var b [8]byte
					binary.LittleEndian.PutUint64(b[:], rng.Uint64())
					copy(v[i:], b[:])
				}
				return c.Put(opCtx, key, v)
			}
			sum, err := workload.Run(ctx, workload.Config{
				Concurrency: concurrency, Duration: duration, Progress: cmd.ErrOrStderr(),
			}, op)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), sum.String())
			return nil
		},
	}
	kv.Flags().StringVar(&hosts, "host", "127.0.0.1:6433", "node addresses, comma-separated HOST:PORT")
	kv.Flags().IntVar(&concurrency, "concurrency", 8, "number of concurrent workers")
	kv.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to run")
	kv.Flags().IntVar(&valueSize, "value-size", 256, "bytes per written value")
	kv.Flags().IntVar(&readPercent, "read-percent", 0, "percentage of operations that are reads")
	kv.Flags().Int64Var(&keys, "keys", 100000, "number of distinct keys")
	kv.Flags().Int64Var(&seed, "seed", 0, "random seed (0: from the clock; printed)")
	kv.Flags().DurationVar(&opTimeout, "op-timeout", 10*time.Second, "deadline of one operation")
	kv.Flags().StringVar(&prefix, "prefix", "workload/kv/", "key prefix")
	wl.AddCommand(kv)
	wl.AddCommand(bankCmd())
	wl.AddCommand(sqlWorkloadCmd())
	rootCmd.AddCommand(wl)
}

func bankCmd() *cobra.Command {
	var (
		hosts       string
		accounts    int
		concurrency int
		duration    time.Duration
		readPercent int
		seed        uint64
		check       bool
		prefix      string
	)
	cmd := &cobra.Command{
		Use:   "bank",
		Short: "Transfers between accounts and full-total reads; --check fails on a wrong total",
		Long: `Transfers between accounts and full-total reads, in transactions.

Creates --accounts accounts under --prefix (100 each) unless they exist, then
--concurrency workers transfer random amounts between random accounts and read
the total of all accounts (--read-percent of the transactions). Serializable
transactions never see another total. Progress goes to stderr every second; at
the end one summary line goes to stdout:

  commits/s=… aborts/s=… retries=… anomalies=…

aborts counts attempts that failed with a retryable error; retries the attempts
run again. With --check the command exits non-zero, naming the transaction
that saw it, if any read saw a wrong total.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			addrs, err := parseAddrList(hosts)
			if err != nil {
				return err
			}
			if err := checkWorkloadFlags(addrs, concurrency, duration); err != nil {
				return err
			}
			switch {
			case accounts < 2 || accounts > 1000000:
				return usageErrorf("--accounts must be in [2, 1000000], got %d", accounts)
			case readPercent < 1 || readPercent > 100:
				return usageErrorf("--read-percent must be in [1, 100], got %d", readPercent)
			case prefix == "":
				return usageErrorf("--prefix must not be empty")
			}
			db, err := kvclient.NewDB(kvclient.Config{Addrs: addrs})
			if err != nil {
				return err
			}
			defer db.Close()
			if seed == 0 {
				seed = uint64(time.Now().UnixNano())
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cfg := bank.Config{Accounts: accounts, Concurrency: concurrency, Duration: duration,
				Prefix: []byte(prefix), ReadPercent: readPercent, Seed: seed, Progress: cmd.ErrOrStderr()}
			fmt.Fprintf(cmd.ErrOrStderr(), "workload bank: hosts=%v accounts=%d concurrency=%d duration=%s seed=%d\n",
				addrs, accounts, concurrency, duration, seed)
			sctx, cancel := context.WithTimeout(ctx, time.Minute)
			total, err := bank.Setup(sctx, db, cfg)
			cancel()
			if err != nil {
				return fmt.Errorf("setting up accounts: %w", err)
			}
			sum, err := bank.Run(ctx, db, cfg, total)
			if err != nil {
				return err
			}
			if sum.FirstError != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "workload bank: %d transactions failed; first: %v\n", sum.Errors, sum.FirstError)
			}
			fmt.Fprintln(cmd.OutOrStdout(), sum.String())
			if check {
				return sum.Check()
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&hosts, "host", "127.0.0.1:6433", "node addresses, comma-separated HOST:PORT")
	cmd.Flags().IntVar(&accounts, "accounts", 100, "number of accounts")
	cmd.Flags().IntVar(&concurrency, "concurrency", 8, "number of concurrent workers")
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to run")
	cmd.Flags().IntVar(&readPercent, "read-percent", 10, "percentage of transactions that read the total")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "random seed (0: from the clock; printed)")
	cmd.Flags().BoolVar(&check, "check", false, "exit non-zero if any read saw a wrong total")
	cmd.Flags().StringVar(&prefix, "prefix", "workload/bank/", "account key prefix")
	return cmd
}

// checkWorkloadFlags checks the flags every workload shares.
func checkWorkloadFlags(addrs []string, concurrency int, duration time.Duration) error {
	switch {
	case len(addrs) == 0:
		return usageErrorf("--host is required")
	case concurrency < 1 || concurrency > 10000:
		return usageErrorf("--concurrency must be in [1, 10000], got %d", concurrency)
	case duration <= 0:
		return usageErrorf("--duration must be positive, got %s", duration)
	}
	return nil
}

func sqlWorkloadCmd() *cobra.Command {
	var (
		url       string
		op        string
		conns     int
		duration  time.Duration
		rows      int64
		branches  int64
		initData  bool
		seed      uint64
		opTimeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "sql",
		Short: "OLTP statements over the PostgreSQL wire protocol (Tessera or PostgreSQL)",
		Long: `OLTP statements over the PostgreSQL wire protocol, against Tessera or PostgreSQL.

--op picks one statement (prepared once per connection, then executed with
random parameters):

  insert           ` + workload.SQLStatements["insert"] + `
  point            ` + workload.SQLStatements["point"] + `
  point-secondary  ` + workload.SQLStatements["point-secondary"] + `
  update           ` + workload.SQLStatements["update"] + `
  scan100          ` + workload.SQLStatements["scan100"] + `
  join             ` + workload.SQLStatements["join"] + `

--init drops and recreates the tables (bench_accounts with --rows rows and a
unique index on email, bench_branches with --branches rows, an empty
bench_log) before the run; --duration 0 with --init only loads. Each of
--conns workers has its own connection. Progress goes to stderr every second;
at the end exactly one summary line goes to stdout:

  ops/s=… p50_ms=… p95_ms=… p99_ms=… errors=…`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case url == "":
				return usageErrorf("--url is required")
			case conns < 1 || conns > 1000:
				return usageErrorf("--conns must be in [1, 1000], got %d", conns)
			case duration < 0 || (duration == 0 && !initData):
				return usageErrorf("--duration must be positive (or 0 with --init), got %s", duration)
			case rows < 100 || rows > 100_000_000:
				return usageErrorf("--rows must be in [100, 100000000], got %d", rows)
			case branches < 1 || branches > rows:
				return usageErrorf("--branches must be in [1, --rows], got %d", branches)
			case opTimeout <= 0:
				return usageErrorf("--op-timeout must be positive, got %s", opTimeout)
			}
			if _, ok := workload.SQLStatements[op]; !ok && duration > 0 {
				return usageErrorf("--op must be one of %s, got %q", strings.Join(workload.SQLOps, ", "), op)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cfg := workload.SQLConfig{Rows: rows, Branches: branches}
			if initData {
				c, err := pgx.Connect(ctx, url)
				if err != nil {
					return err
				}
				t0 := time.Now()
				err = workload.SQLSetup(ctx, c, cfg)
				c.Close(context.Background())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "workload sql: loaded %d accounts and %d branches in %s\n",
					rows, branches, time.Since(t0).Round(time.Millisecond))
			}
			if duration == 0 {
				return nil
			}
			if seed == 0 {
				seed = uint64(time.Now().UnixNano())
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "workload sql: op=%s conns=%d duration=%s rows=%d seed=%d\n",
				op, conns, duration, rows, seed)
			workers := make([]*workload.SQLWorker, conns)
			defer func() {
				for _, w := range workers {
					if w != nil {
						w.Close()
					}
				}
			}()
			for i := range workers {
				var err error
				if workers[i], err = workload.NewSQLWorker(ctx, url, op, cfg, seed, i); err != nil {
					return err
				}
			}
			var (
				errMu    sync.Mutex
				firstErr error
			)
			sum, err := workload.Run(ctx, workload.Config{
				Concurrency: conns, Duration: duration, Progress: cmd.ErrOrStderr(),
			}, func(ctx context.Context, w int, seq uint64) error {
				opCtx, cancel := context.WithTimeout(ctx, opTimeout)
				defer cancel()
				err := workers[w].Do(opCtx, seq)
				if err != nil && ctx.Err() == nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
				}
				return err
			})
			if err != nil {
				return err
			}
			if firstErr != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "workload sql: %d operations failed; first: %v\n", sum.Errors, firstErr)
			}
			fmt.Fprintln(cmd.OutOrStdout(), sum.String())
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "postgresql://root@127.0.0.1:5433/defaultdb?sslmode=disable", "connection URL")
	cmd.Flags().StringVar(&op, "op", "point", "operation: "+strings.Join(workload.SQLOps, ", "))
	cmd.Flags().IntVar(&conns, "conns", 1, "number of connections (one worker each)")
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to run (0 with --init: load only)")
	cmd.Flags().Int64Var(&rows, "rows", 10000, "accounts in the data set")
	cmd.Flags().Int64Var(&branches, "branches", 100, "branches in the data set")
	cmd.Flags().BoolVar(&initData, "init", false, "drop, recreate and load the tables first")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "random seed (0: from the clock; printed)")
	cmd.Flags().DurationVar(&opTimeout, "op-timeout", 10*time.Second, "deadline of one operation")
	return cmd
}
