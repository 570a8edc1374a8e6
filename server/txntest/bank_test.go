package txntest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/internal/bank"
	"github.com/tesseradb/tessera/server"
)

// TestBank: 50 accounts over 9 ranges on 3 nodes; concurrent transfers
// and full-total reads while a node is stopped and restarted and a range
// is split. No read may see another total, and the final total is the
// initial one.
func TestBank(t *testing.T) { runBank(t, false) }

// TestBankPlacementDriver is TestBank with the placement driver on: it
// merges the small bank ranges (and balances their leases) while the
// transactions run. A lease transfer of a range frozen by such a merge
// once stranded the freeze and stalled every transaction; later, merges
// started while a node was down froze their right range waiting for that
// node's replica (a minute per driver merge) until the merge learned to
// check its replicas are caught up before freezing.
func TestBankPlacementDriver(t *testing.T) { runBank(t, true) }

func runBank(t *testing.T, driver bool) {
	prefix := []byte("bank/")
	var splits []string
	for i := 6; i < 50; i += 6 {
		splits = append(splits, string(bank.Key(prefix, i)))
	}
	c := startClusterK(t, server.Knobs{DisablePlacementDriver: !driver}, splits...)
	ctx := ctxT(t, 3*time.Minute)
	if !driver { // the driver may be merging them already
		ranges, err := c.Ranges(ctx, 0)
		require.NoError(t, err)
		inBank := 0
		for _, r := range ranges {
			if string(r.GetDesc().GetEndKey()) > string(prefix) && string(r.GetDesc().GetStartKey()) < "bank0" {
				inBank++
			}
		}
		require.GreaterOrEqual(t, inBank, 8, "accounts over at least 8 ranges")
	}

	db := newDB(t, c)
	cfg := bank.Config{Accounts: 50, Concurrency: 8, Duration: 2 * time.Minute, Prefix: prefix, Seed: 1, ReadPercent: 30}
	total, err := bank.Setup(ctx, db, cfg)
	require.NoError(t, err)
	require.EqualValues(t, 50*100, total)

	type result struct {
		s   bank.Summary
		err error
	}
	done := make(chan result, 1)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		s, err := bank.Run(runCtx, db, cfg, total)
		done <- result{s, err}
	}()
	// Faults while it runs: a split, a node down and back.
	waitCommits := func(n int64) {
		c.WaitFor(60*time.Second, "transfers commit", func() error {
			if db.TxnStats().Commits < n {
				return context.DeadlineExceeded
			}
			return nil
		})
	}
	// The workload runs until the faults are over and it made progress
	// after each.
	waitCommits(10)
	require.NoError(t, c.Split(ctx, bank.Key(prefix, 3)))
	waitCommits(db.TxnStats().Commits + 5)
	c.StopNode(2)
	waitCommits(db.TxnStats().Commits + 10)
	c.StartNode(2)
	waitCommits(db.TxnStats().Commits + 10)
	stop()
	r := <-done
	require.NoError(t, r.err)
	t.Logf("bank: %s (transfers=%d reads=%d errors=%d first error: %v)", r.s, r.s.Transfers, r.s.Reads, r.s.Errors, r.s.FirstError)
	require.NoError(t, r.s.Check())
	require.Positive(t, r.s.Transfers)
	require.Positive(t, r.s.Reads)

	final, err := bank.Setup(ctx, db, cfg)
	require.NoError(t, err)
	require.Equal(t, total, final, "total preserved")
}
