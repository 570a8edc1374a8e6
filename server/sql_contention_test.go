package server_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/server/servertest"
)

// TestSQLHotRowExplicitTxns runs pgbench's TPC-B-like transaction (BEGIN;
// UPDATE accounts; SELECT; UPDATE tellers; UPDATE branches; INSERT
// history; COMMIT) from several pgx connections at once, all on the one
// branch row, the way `pgbench -c 4 --max-tries` does: a 40001 is rolled
// back and retried, any other error fails the test. Every client must
// finish its transactions before the deadline (a transaction whose COMMIT
// failed once stayed open, heartbeated, and its intent on the branch row
// made every later UPDATE of it time out after 10 s), and the balances
// must add up: branch = sum of tellers = sum of accounts = sum of the
// history deltas of the committed transactions.
func TestSQLHotRowExplicitTxns(t *testing.T) {
	c := servertest.Start(t, servertest.Config{Nodes: 3, SQL: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	setup, err := pgx.Connect(ctx, c.SQLURL(0))
	require.NoError(t, err)
	defer setup.Close(context.Background())
	for _, q := range []string{
		"CREATE TABLE branches (bid INT PRIMARY KEY, bbalance INT NOT NULL)",
		"CREATE TABLE tellers (tid INT PRIMARY KEY, bid INT NOT NULL, tbalance INT NOT NULL)",
		"CREATE TABLE accounts (aid INT PRIMARY KEY, bid INT NOT NULL, abalance INT NOT NULL)",
		"CREATE TABLE history (tid INT, bid INT, aid INT, delta INT, mtime TIMESTAMP)",
		"INSERT INTO branches VALUES (1, 0)",
		"INSERT INTO tellers SELECT g, 1, 0 FROM generate_series(1, 10) AS g",
		"INSERT INTO accounts SELECT g, 1, 0 FROM generate_series(1, 1000) AS g",
	} {
		_, err := setup.Exec(ctx, q)
		require.NoError(t, err, q)
	}

	const clients, txnsPerClient, maxTries = 4, 15, 500
	var (
		mu       sync.Mutex
		retries  int
		deltaSum int64
	)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cn, err := pgx.Connect(ctx, c.SQLURL(i%3))
			if err != nil {
				errs <- err
				return
			}
			defer cn.Close(context.Background())
			for n := 0; n < txnsPerClient; n++ {
				// Deterministic but different per client and transaction.
				aid, tid, delta := 1+(i*131+n*17)%1000, 1+(i*3+n)%10, int64(1+(i*7+n)%9)
				tries := 0
				for {
					tries++
					err := tpcbTxn(ctx, cn, aid, tid, delta)
					if err == nil {
						break
					}
					var pe *pgconn.PgError
					if !errors.As(err, &pe) || pe.Code != "40001" || tries >= maxTries {
						errs <- fmt.Errorf("client %d txn %d try %d: %w", i, n, tries, err)
						return
					}
					if _, err := cn.Exec(ctx, "ROLLBACK"); err != nil {
						errs <- fmt.Errorf("client %d: rollback: %w", i, err)
						return
					}
				}
				mu.Lock()
				retries += tries - 1
				deltaSum += delta
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	t.Logf("%d transactions committed, %d retries after 40001", clients*txnsPerClient, retries)

	var branch, tellers, accounts, history, n int64
	require.NoError(t, setup.QueryRow(ctx, "SELECT bbalance FROM branches WHERE bid = 1").Scan(&branch))
	require.NoError(t, setup.QueryRow(ctx, "SELECT sum(tbalance) FROM tellers").Scan(&tellers))
	require.NoError(t, setup.QueryRow(ctx, "SELECT sum(abalance) FROM accounts").Scan(&accounts))
	require.NoError(t, setup.QueryRow(ctx, "SELECT sum(delta), count(*) FROM history").Scan(&history, &n))
	require.Equal(t, int64(clients*txnsPerClient), n, "history rows")
	require.Equal(t, deltaSum, history)
	require.Equal(t, deltaSum, branch)
	require.Equal(t, deltaSum, tellers)
	require.Equal(t, deltaSum, accounts)
}

// tpcbTxn is one pgbench TPC-B-like transaction, statement by statement
// in an explicit block (simple protocol, as pgbench sends it).
func tpcbTxn(ctx context.Context, cn *pgx.Conn, aid, tid int, delta int64) error {
	stmts := []string{
		"BEGIN",
		fmt.Sprintf("UPDATE accounts SET abalance = abalance + %d WHERE aid = %d", delta, aid),
		fmt.Sprintf("SELECT abalance FROM accounts WHERE aid = %d", aid),
		fmt.Sprintf("UPDATE tellers SET tbalance = tbalance + %d WHERE tid = %d", delta, tid),
		fmt.Sprintf("UPDATE branches SET bbalance = bbalance + %d WHERE bid = 1", delta),
		fmt.Sprintf("INSERT INTO history (tid, bid, aid, delta, mtime) VALUES (%d, 1, %d, %d, CURRENT_TIMESTAMP)", tid, aid, delta),
		"END",
	}
	for _, q := range stmts {
		if _, err := cn.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol); err != nil {
			return err
		}
	}
	return nil
}
