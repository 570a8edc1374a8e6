package bank

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tesseradb/tessera/kv/kvclient"
)

// Config configures a run.
type Config struct {
	Accounts    int
	Concurrency int
	Duration    time.Duration
	// Prefix of the account keys (default "bank/").
	Prefix []byte
	// InitialBalance of each account created by Setup (default 100).
	InitialBalance int64
	// ReadPercent: share of operations that read the total (default 10).
	ReadPercent int
	Seed        uint64
	// OpTimeout bounds one transaction (default 30s).
	OpTimeout time.Duration
	// Progress, if set, gets a line per second.
	Progress io.Writer
}

func (c *Config) defaults() {
	if len(c.Prefix) == 0 {
		c.Prefix = []byte("bank/")
	}
	if c.InitialBalance == 0 {
		c.InitialBalance = 100
	}
	if c.ReadPercent == 0 {
		c.ReadPercent = 10
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = 30 * time.Second
	}
}

// Key returns the key of account i.
func Key(prefix []byte, i int) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), uint64(i))
}

func prefixEnd(prefix []byte) []byte { return append(append([]byte(nil), prefix...), 0xff) }

// Setup creates the accounts that do not exist yet (InitialBalance each)
// and returns the total every consistent read must see.
func Setup(ctx context.Context, db *kvclient.DB, cfg Config) (int64, error) {
	cfg.defaults()
	if cfg.Accounts < 2 {
		return 0, fmt.Errorf("bank: need at least 2 accounts, got %d", cfg.Accounts)
	}
	var total int64
	err := db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
		total = 0
		rows, err := txn.Scan(ctx, cfg.Prefix, prefixEnd(cfg.Prefix), 0)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, kv := range rows {
			n, err := strconv.ParseInt(string(kv.Value), 10, 64)
			if err != nil {
				return fmt.Errorf("bank: account %x has a bad balance %q", kv.Key, kv.Value)
			}
			total += n
			have[string(kv.Key)] = true
		}
		b := txn.NewBatch()
		for i := 0; i < cfg.Accounts; i++ {
			if k := Key(cfg.Prefix, i); !have[string(k)] {
				b.Put(k, []byte(strconv.FormatInt(cfg.InitialBalance, 10)))
				total += cfg.InitialBalance
			}
		}
		if b.Len() == 0 {
			return nil
		}
		return txn.Run(ctx, b)
	})
	return total, err
}

// Summary is the outcome of a run.
type Summary struct {
	Elapsed   time.Duration
	Commits   int64 // committed transactions (transfers and reads)
	Transfers int64
	Reads     int64
	Errors    int64 // transactions that failed for good (not anomalies)
	// Aborts counts retryable errors (attempts that did not commit);
	// Retries the attempts run again.
	Aborts, Retries int64
	Anomalies       int64
	// FirstAnomaly describes the first one (the transaction and what it
	// read), empty without.
	FirstAnomaly string
	// FirstError is the first failure, for diagnostics.
	FirstError error
}

// String is the summary line.
func (s Summary) String() string {
	sec := s.Elapsed.Seconds()
	if sec <= 0 {
		sec = 1
	}
	return fmt.Sprintf("commits/s=%.1f aborts/s=%.1f retries=%d anomalies=%d",
		float64(s.Commits)/sec, float64(s.Aborts)/sec, s.Retries, s.Anomalies)
}

// ErrAnomaly is wrapped by Check's error.
var ErrAnomaly = errors.New("bank: anomaly")

// Check returns an error naming the first anomaly, if any.
func (s Summary) Check() error {
	if s.Anomalies > 0 {
		return fmt.Errorf("%w: %d reads saw a wrong total; first: %s", ErrAnomaly, s.Anomalies, s.FirstAnomaly)
	}
	return nil
}

// Run runs transfers and total reads until Duration has passed or ctx
// ends. expected is Setup's total.
func Run(ctx context.Context, db *kvclient.DB, cfg Config, expected int64) (Summary, error) {
	cfg.defaults()
	if cfg.Concurrency < 1 {
		return Summary{}, fmt.Errorf("bank: concurrency must be >= 1")
	}
	before := db.TxnStats()
	var (
		sum                                        Summary
		mu                                         sync.Mutex
		transfers, reads, commits, errs, anomalies atomic.Int64
	)
	noteErr := func(err error) {
		errs.Add(1)
		mu.Lock()
		if sum.FirstError == nil {
			sum.FirstError = err
		}
		mu.Unlock()
	}
	start := time.Now()
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(w)))
			for runCtx.Err() == nil {
				// A transaction in flight is allowed to finish after
				// the run's end (bounded by OpTimeout), so that the
				// last reads still check.
				opCtx, opCancel := context.WithTimeout(context.WithoutCancel(runCtx), cfg.OpTimeout)
				if rng.IntN(100) < cfg.ReadPercent {
					desc, bad, err := readTotal(opCtx, db, cfg, expected)
					switch {
					case err != nil:
						noteErr(err)
					case bad:
						anomalies.Add(1)
						mu.Lock()
						if sum.FirstAnomaly == "" {
							sum.FirstAnomaly = desc
						}
						mu.Unlock()
						commits.Add(1)
						reads.Add(1)
					default:
						commits.Add(1)
						reads.Add(1)
					}
				} else {
					from := rng.IntN(cfg.Accounts)
					to := (from + 1 + rng.IntN(cfg.Accounts-1)) % cfg.Accounts
					if err := transfer(opCtx, db, cfg, from, to, 1+rng.Int64N(10)); err != nil {
						noteErr(err)
					} else {
						commits.Add(1)
						transfers.Add(1)
					}
				}
				opCancel()
			}
		}()
	}
	if cfg.Progress != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := time.NewTicker(time.Second)
			defer tk.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-tk.C:
					st := db.TxnStats()
					fmt.Fprintf(cfg.Progress, "%6.0fs commits=%d aborts=%d errors=%d anomalies=%d\n",
						time.Since(start).Seconds(), commits.Load(), st.RetryableErrors-before.RetryableErrors, errs.Load(), anomalies.Load())
				}
			}
		}()
	}
	wg.Wait()
	after := db.TxnStats()
	sum.Elapsed = time.Since(start)
	sum.Commits, sum.Transfers, sum.Reads = commits.Load(), transfers.Load(), reads.Load()
	sum.Errors, sum.Anomalies = errs.Load(), anomalies.Load()
	sum.Aborts = after.RetryableErrors - before.RetryableErrors
	sum.Retries = after.Retries - before.Retries
	return sum, nil
}

func parseBalance(v []byte) (int64, error) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bank: bad balance %q", v)
	}
	return n, nil
}

func transfer(ctx context.Context, db *kvclient.DB, cfg Config, from, to int, amount int64) error {
	kf, kt := Key(cfg.Prefix, from), Key(cfg.Prefix, to)
	return db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
		b := txn.NewBatch()
		b.Get(kf)
		b.Get(kt)
		if err := txn.Run(ctx, b); err != nil {
			return err
		}
		var bal [2]int64
		for i, r := range b.Results {
			if len(r.Rows) == 0 {
				return fmt.Errorf("bank: account missing (run setup)")
			}
			n, err := parseBalance(r.Rows[0].Value)
			if err != nil {
				return err
			}
			bal[i] = n
		}
		w := txn.NewBatch()
		w.Put(kf, []byte(strconv.FormatInt(bal[0]-amount, 10)))
		w.Put(kt, []byte(strconv.FormatInt(bal[1]+amount, 10)))
		return txn.CommitInBatch(ctx, w)
	})
}

// readTotal reads every account in one transaction; bad reports a total
// (or account count) other than expected, with desc naming the
// transaction.
func readTotal(ctx context.Context, db *kvclient.DB, cfg Config, expected int64) (desc string, bad bool, err error) {
	var total int64
	var n int
	var who string
	err = db.Txn(ctx, func(ctx context.Context, txn *kvclient.Txn) error {
		rows, err := txn.Scan(ctx, cfg.Prefix, prefixEnd(cfg.Prefix), 0)
		if err != nil {
			return err
		}
		total, n = 0, len(rows)
		for _, kv := range rows {
			b, err := parseBalance(kv.Value)
			if err != nil {
				return err
			}
			total += b
		}
		who = fmt.Sprintf("%s read at %s", txn, txn.ReadTimestamp())
		return nil
	})
	if err != nil {
		return "", false, err
	}
	if total != expected || n != cfg.Accounts {
		return fmt.Sprintf("%s saw total %d over %d accounts, want %d over %d", who, total, n, expected, cfg.Accounts), true, nil
	}
	return "", false, nil
}
