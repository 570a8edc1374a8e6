package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tesseradb/tessera/kv/kvclient"
)

// kvFlags are the connection flags shared by the kv subcommands.
type kvFlags struct {
	hosts   string
	timeout time.Duration
}

func (f *kvFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.hosts, "host", "127.0.0.1:6433", "node address(es) to talk to, comma-separated HOST:PORT")
	cmd.PersistentFlags().DurationVar(&f.timeout, "timeout", 10*time.Second, "give up after this long")
}

// withClient runs fn with a client of the --host nodes and a context bounded
// by --timeout, and releases both afterwards.
func (f *kvFlags) withClient(cmd *cobra.Command, fn func(ctx context.Context, c *kvclient.DB) error) error {
	if err := checkTimeout(f.timeout); err != nil {
		return err
	}
	addrs, err := parseAddrList(f.hosts)
	if err != nil {
		return err
	}
	if len(addrs) == 0 {
		return usageErrorf("--host is required")
	}
	c, err := kvclient.NewDB(kvclient.Config{Addrs: addrs})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	return fn(ctx, c)
}

func init() {
	var f kvFlags
	kv := &cobra.Command{
		Use:   "kv",
		Short: "Read and write raw keys (operators and black-box tests)",
		Long: `Read and write raw keys, non-transactionally.

Keys and values are taken byte for byte, except that an argument starting
with "0x" is hex. Output prints printable keys and values as text and others
as 0x-hex, so what is printed can be given back.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	f.register(kv)

	kv.AddCommand(&cobra.Command{
		Use:   "put KEY VALUE",
		Short: "Write KEY=VALUE",
		Args:  usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := parseKey(args[0])
			if err != nil {
				return err
			}
			val, err := parseValue(args[1])
			if err != nil {
				return err
			}
			return f.withClient(cmd, func(ctx context.Context, c *kvclient.DB) error {
				return c.Put(ctx, key, val)
			})
		},
	})

	kv.AddCommand(&cobra.Command{
		Use:   "get KEY",
		Short: "Print the value of KEY (exit status 1 if it has none)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := parseKey(args[0])
			if err != nil {
				return err
			}
			return f.withClient(cmd, func(ctx context.Context, c *kvclient.DB) error {
				val, ok, err := c.Get(ctx, key)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("%w: %s", errKeyNotFound, formatBytes(key))
				}
				fmt.Fprintln(cmd.OutOrStdout(), formatBytes(val))
				return nil
			})
		},
	})

	var limit int64
	scan := &cobra.Command{
		Use:   "scan START END",
		Short: "Print the keys in [START, END) with their values, one per line",
		Args:  usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			start, err := parseKey(args[0])
			if err != nil {
				return err
			}
			end, err := parseKey(args[1])
			if err != nil {
				return err
			}
			if string(start) >= string(end) {
				return usageErrorf("START must sort before END")
			}
			if limit < 0 {
				return usageErrorf("--limit must be >= 0")
			}
			return f.withClient(cmd, func(ctx context.Context, c *kvclient.DB) error {
				kvs, err := c.Scan(ctx, start, end, limit)
				if err != nil {
					return err
				}
				for _, kv := range kvs {
					fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", formatBytes(kv.Key), formatBytes(kv.Value))
				}
				return nil
			})
		},
	}
	scan.Flags().Int64Var(&limit, "limit", 0, "return at most this many keys (0: no limit)")
	kv.AddCommand(scan)

	kv.AddCommand(&cobra.Command{
		Use:   "del KEY",
		Short: "Delete KEY",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := parseKey(args[0])
			if err != nil {
				return err
			}
			return f.withClient(cmd, func(ctx context.Context, c *kvclient.DB) error {
				return c.Del(ctx, key)
			})
		},
	})

	kv.AddCommand(&cobra.Command{
		Use:   "inc KEY [DELTA]",
		Short: "Add DELTA (default 1) to the integer at KEY and print the result",
		Args:  usageArgs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := parseKey(args[0])
			if err != nil {
				return err
			}
			delta := int64(1)
			if len(args) == 2 {
				if delta, err = strconv.ParseInt(args[1], 10, 64); err != nil {
					return usageErrorf("bad DELTA %q: %v", args[1], err)
				}
			}
			return f.withClient(cmd, func(ctx context.Context, c *kvclient.DB) error {
				n, err := c.Inc(ctx, key, delta)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), n)
				return nil
			})
		},
	})
	rootCmd.AddCommand(kv)
}

// parseValue reads a value argument: "0x…" is hex, else byte for byte (an
// empty value is allowed).
func parseValue(s string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(s, "0x"); ok {
		b, err := hex.DecodeString(rest)
		if err != nil {
			return nil, usageErrorf("bad hex value %q: %v", s, err)
		}
		return b, nil
	}
	return []byte(s), nil
}
