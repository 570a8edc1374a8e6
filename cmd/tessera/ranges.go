package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// rangesFlags are the flags every `ranges` subcommand takes.
type rangesFlags struct {
	host    string
	format  string
	timeout time.Duration
}

func (f *rangesFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.host, "host", fmt.Sprintf("127.0.0.1:%d", DefaultRPCPort), "address of a node")
	cmd.PersistentFlags().StringVar(&f.format, "format", "table", "output format: table or json")
	cmd.PersistentFlags().DurationVar(&f.timeout, "timeout", time.Minute, "give up after this long")
}

// run validates the flags and calls fn on the node's Admin service.
func (f *rangesFlags) run(cmd *cobra.Command, fn func(ctx context.Context, addr string) error) error {
	addr, err := parseAddr(f.host)
	if err != nil {
		return fmt.Errorf("--host: %w", err)
	}
	if f.format != "table" && f.format != "json" {
		return usageErrorf("--format must be table or json, got %q", f.format)
	}
	if err := checkTimeout(f.timeout); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	return fn(ctx, addr)
}

// replicaJSON / rangeJSON are the JSON forms of `ranges` output.
type replicaJSON struct {
	NodeID    uint64 `json:"node_id"`
	StoreID   uint64 `json:"store_id"`
	ReplicaID uint64 `json:"replica_id"`
	Type      string `json:"type"`
}

type rangeJSON struct {
	RangeID     uint64        `json:"range_id"`
	StartKey    string        `json:"start_key"`
	EndKey      string        `json:"end_key"`
	Generation  uint64        `json:"generation"`
	Replicas    []replicaJSON `json:"replicas"`
	Leaseholder *uint64       `json:"leaseholder_store,omitempty"`
	LiveBytes   *int64        `json:"live_bytes,omitempty"`
	KeyCount    *int64        `json:"key_count,omitempty"`
	TotalBytes  *int64        `json:"total_bytes,omitempty"`
}

func rangeToJSON(d *kvpb.RangeDescriptor) rangeJSON {
	r := rangeJSON{RangeID: d.GetRangeId(), StartKey: formatBytes(d.GetStartKey()), EndKey: formatBytes(d.GetEndKey()),
		Generation: d.GetGeneration(), Replicas: []replicaJSON{}}
	for _, rep := range d.GetReplicas() {
		r.Replicas = append(r.Replicas, replicaJSON{NodeID: rep.GetNodeId(), StoreID: rep.GetStoreId(), ReplicaID: rep.GetReplicaId(),
			Type: strings.ToLower(rep.GetType().String())})
	}
	return r
}

func replicasText(r rangeJSON) string {
	var parts []string
	for _, rep := range r.Replicas {
		p := fmt.Sprintf("s%d", rep.StoreID)
		if rep.Type != "voter" {
			p += "(" + rep.Type + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ",")
}

// parseRangeID reads "5" or "r5".
func parseRangeID(s string) (uint64, error) {
	id, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "r"), 10, 64)
	if err != nil || id == 0 {
		return 0, usageErrorf("bad range ID %q: want a positive number such as 5 or r5", s)
	}
	return id, nil
}

// parseStoreID reads "2" or "s2".
func parseStoreID(s string) (uint64, error) {
	id, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "s"), 10, 64)
	if err != nil || id == 0 {
		return 0, usageErrorf("bad store ID %q: want a positive number such as 2 or s2", s)
	}
	return id, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printRanges(w io.Writer, format string, rows []rangeJSON) error {
	if format == "json" {
		return writeJSON(w, struct {
			Ranges []rangeJSON `json:"ranges"`
		}{rows})
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANGE\tSTART\tEND\tREPLICAS\tLEASEHOLDER\tSIZE\tKEYS")
	for _, r := range rows {
		lh, size, keys := "-", "-", "-"
		if r.Leaseholder != nil {
			lh = fmt.Sprintf("s%d", *r.Leaseholder)
		}
		if r.LiveBytes != nil {
			size = strconv.FormatInt(*r.LiveBytes, 10)
		}
		if r.KeyCount != nil {
			keys = strconv.FormatInt(*r.KeyCount, 10)
		}
		fmt.Fprintf(tw, "r%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.RangeID, r.StartKey, r.EndKey, replicasText(r), lh, size, keys)
	}
	return tw.Flush()
}

func init() {
	var f rangesFlags
	rc := &cobra.Command{
		Use:   "ranges",
		Short: "List, split, merge and move ranges",
		Long: `Administer the ranges the key space is cut into.

Keys are taken byte for byte, except that an argument starting with "0x" is
hex; output prints printable keys as text and others as 0x-hex. Range IDs
may be written 5 or r5, store IDs 2 or s2. Commands are sent to the node at
--host, which forwards them to the range's leaseholder.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	f.register(rc)

	var start, end string
	list := &cobra.Command{
		Use:   "list",
		Short: "List ranges: ID, span, replicas, leaseholder, size and key count",
		Long: `List the ranges overlapping [--start, --end) from the meta records, with
the replicas, the store holding the lease, and the live bytes (SIZE) and live
keys (KEYS) the leaseholder counts.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &kvpb.RangesListRequest{}
			var err error
			if start != "" {
				if req.StartKey, err = parseKey(start); err != nil {
					return fmt.Errorf("--start: %w", err)
				}
			}
			if end != "" {
				if req.EndKey, err = parseKey(end); err != nil {
					return fmt.Errorf("--end: %w", err)
				}
			}
			return f.run(cmd, func(ctx context.Context, addr string) error {
				resp, err := adminCallAttempt(ctx, addr, f.timeout, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.RangesListResponse, error) {
					return c.RangesList(ctx, req)
				})
				if err != nil {
					return err
				}
				rows := make([]rangeJSON, 0, len(resp.GetRanges()))
				for _, e := range resp.GetRanges() {
					r := rangeToJSON(e.GetDesc())
					if lh := e.GetLeaseholder(); lh != nil {
						id := lh.GetStoreId()
						r.Leaseholder = &id
					}
					if st := e.GetStats(); st != nil {
						live, keys, total := st.GetLiveBytes(), st.GetLiveCount(), st.GetKeyBytes()+st.GetValBytes()
						r.LiveBytes, r.KeyCount, r.TotalBytes = &live, &keys, &total
					}
					rows = append(rows, r)
				}
				return printRanges(cmd.OutOrStdout(), f.format, rows)
			})
		},
	}
	list.Flags().StringVar(&start, "start", "", "list ranges ending after this key")
	list.Flags().StringVar(&end, "end", "", "list ranges starting before this key")

	var splitExpiration time.Duration
	split := &cobra.Command{
		Use:   "split KEY",
		Short: "Split the range containing KEY at KEY",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := parseKey(args[0])
			if err != nil {
				return err
			}
			if splitExpiration < 0 {
				return fmt.Errorf("--expiration must not be negative (got %v)", splitExpiration)
			}
			// A user's split is sticky: the placement driver does not
			// merge the new boundary away (until --expiration, if given).
			req := &kvpb.AdminSplitRequest{SplitKey: key, Manual: true}
			if splitExpiration > 0 {
				req.Expiration = &kvpb.Timestamp{WallTime: time.Now().Add(splitExpiration).UnixNano()}
			}
			return f.run(cmd, func(ctx context.Context, addr string) error {
				resp, err := adminCallAttempt(ctx, addr, f.timeout, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.AdminSplitResponse, error) {
					return c.AdminSplit(ctx, req)
				})
				if err != nil {
					return err
				}
				l, r := rangeToJSON(resp.GetLeft()), rangeToJSON(resp.GetRight())
				if f.format == "json" {
					return writeJSON(cmd.OutOrStdout(), struct {
						Left  rangeJSON `json:"left"`
						Right rangeJSON `json:"right"`
					}{l, r})
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "split r%d at %s: r%d [%s, %s) and r%d [%s, %s)\n",
					l.RangeID, formatBytes(key), l.RangeID, l.StartKey, l.EndKey, r.RangeID, r.StartKey, r.EndKey)
				return err
			})
		},
	}

	split.Flags().DurationVar(&splitExpiration, "expiration", 0,
		"keep the split from the placement driver's merges only this long (default: until an explicit merge)")

	merge := &cobra.Command{
		Use:   "merge RANGE_ID",
		Short: "Merge a range with its right neighbour (same replicas required)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRangeID(args[0])
			if err != nil {
				return err
			}
			return f.run(cmd, func(ctx context.Context, addr string) error {
				resp, err := adminCallAttempt(ctx, addr, f.timeout, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.AdminMergeResponse, error) {
					return c.AdminMerge(ctx, &kvpb.AdminMergeRequest{RangeId: id})
				})
				if err != nil {
					return err
				}
				m := rangeToJSON(resp.GetMerged())
				if f.format == "json" {
					return writeJSON(cmd.OutOrStdout(), struct {
						Merged rangeJSON `json:"merged"`
					}{m})
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "merged into r%d [%s, %s)\n", m.RangeID, m.StartKey, m.EndKey)
				return err
			})
		},
	}

	var to string
	transfer := &cobra.Command{
		Use:   "transfer-lease RANGE_ID --to STORE",
		Short: "Move a range's lease to the replica on STORE",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRangeID(args[0])
			if err != nil {
				return err
			}
			if to == "" {
				return usageErrorf("--to STORE is required")
			}
			store, err := parseStoreID(to)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			return f.run(cmd, func(ctx context.Context, addr string) error {
				resp, err := adminCallAttempt(ctx, addr, f.timeout, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.TransferLeaseResponse, error) {
					return c.TransferLease(ctx, &kvpb.TransferLeaseRequest{RangeId: id, Target: &kvpb.ReplicaTarget{StoreId: store}})
				})
				if err != nil {
					return err
				}
				holder := resp.GetLease().GetReplica().GetStoreId()
				if f.format == "json" {
					return writeJSON(cmd.OutOrStdout(), struct {
						RangeID     uint64 `json:"range_id"`
						Leaseholder uint64 `json:"leaseholder_store"`
					}{id, holder})
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "r%d lease now on s%d\n", id, holder)
				return err
			})
		},
	}
	transfer.Flags().StringVar(&to, "to", "", "target store ID")

	var toList string
	relocate := &cobra.Command{
		Use:   "relocate RANGE_ID --to S1,S2,S3",
		Short: "Move a range's replicas to exactly the given stores",
		Long: `Move the range's voters to exactly the given stores, adding and removing
one replica at a time (adds first) and moving the lease off a replica
before removing it.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRangeID(args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(toList) == "" {
				return usageErrorf("--to S1,S2,... is required")
			}
			var targets []*kvpb.ReplicaTarget
			seen := map[uint64]bool{}
			for _, part := range strings.Split(toList, ",") {
				sid, err := parseStoreID(part)
				if err != nil {
					return fmt.Errorf("--to: %w", err)
				}
				if seen[sid] {
					return usageErrorf("--to: store s%d listed twice", sid)
				}
				seen[sid] = true
				targets = append(targets, &kvpb.ReplicaTarget{StoreId: sid})
			}
			return f.run(cmd, func(ctx context.Context, addr string) error {
				resp, err := adminCallAttempt(ctx, addr, f.timeout, func(ctx context.Context, c kvpb.AdminClient) (*kvpb.AdminRelocateResponse, error) {
					return c.AdminRelocate(ctx, &kvpb.AdminRelocateRequest{RangeId: id, Targets: targets})
				})
				if err != nil {
					return err
				}
				r := rangeToJSON(resp.GetDesc())
				if f.format == "json" {
					return writeJSON(cmd.OutOrStdout(), r)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "r%d replicas: %s\n", r.RangeID, replicasText(r))
				return err
			})
		},
	}
	relocate.Flags().StringVar(&toList, "to", "", "comma-separated target store IDs")

	rc.AddCommand(list, split, merge, transfer, relocate)
	rootCmd.AddCommand(rc)
}
