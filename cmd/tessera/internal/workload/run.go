package workload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Recorder collects latencies from concurrent workers: a cumulative
// histogram for the summary and an interval histogram for progress lines.
type Recorder struct {
	mu struct {
		sync.Mutex
		total, interval    Histogram
		errs, intervalErrs uint64
	}
}

// Record adds one operation that took d; failed operations count as
// errors and are kept out of the latency histograms.
func (r *Recorder) Record(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.mu.errs++
		r.mu.intervalErrs++
		return
	}
	r.mu.total.RecordDuration(d)
	r.mu.interval.RecordDuration(d)
}

// TakeInterval returns the interval histogram and error count and starts
// a new interval.
func (r *Recorder) TakeInterval() (Histogram, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, e := r.mu.interval, r.mu.intervalErrs
	r.mu.interval.Reset()
	r.mu.intervalErrs = 0
	return h, e
}

// Total returns a copy of the cumulative histogram and error count.
func (r *Recorder) Total() (Histogram, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mu.total, r.mu.errs
}

// Summary is the outcome of a run.
type Summary struct {
	Elapsed time.Duration
	Ops     uint64 // successful operations
	Errors  uint64
	P50     time.Duration
	P95     time.Duration
	P99     time.Duration
	Max     time.Duration
}

// OpsPerSec is successful operations per second of elapsed time.
func (s Summary) OpsPerSec() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Ops) / s.Elapsed.Seconds()
}

// String renders the one summary line other tools parse.
func (s Summary) String() string {
	return fmt.Sprintf("ops/s=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f errors=%d",
		s.OpsPerSec(), ms(s.P50), ms(s.P95), ms(s.P99), s.Errors)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func summarize(h *Histogram, errs uint64, elapsed time.Duration) Summary {
	return Summary{
		Elapsed: elapsed,
		Ops:     h.Count(),
		Errors:  errs,
		P50:     time.Duration(h.Percentile(0.50)),
		P95:     time.Duration(h.Percentile(0.95)),
		P99:     time.Duration(h.Percentile(0.99)),
		Max:     time.Duration(h.Max()),
	}
}

// Op is one operation of a worker; worker is the worker's index and seq
// counts the worker's operations from 0. An Op must return promptly once
// ctx is done.
type Op func(ctx context.Context, worker int, seq uint64) error

// Config describes a run.
type Config struct {
	Concurrency int
	Duration    time.Duration
	// Interval between progress lines (default 1s).
	Interval time.Duration
	// Progress receives one line per interval (nil: none).
	Progress io.Writer
}

// ErrBadConfig is returned for an invalid Config.
var ErrBadConfig = errors.New("workload: bad config")

// Run starts cfg.Concurrency workers that call op in a loop until
// cfg.Duration has passed or ctx is done, prints a progress line per
// interval, and returns the summary. Operations still running at the
// deadline are cancelled and not counted.
func Run(ctx context.Context, cfg Config, op Op) (Summary, error) {
	if cfg.Concurrency < 1 {
		return Summary{}, fmt.Errorf("%w: concurrency %d < 1", ErrBadConfig, cfg.Concurrency)
	}
	if cfg.Duration <= 0 {
		return Summary{}, fmt.Errorf("%w: duration %s must be positive", ErrBadConfig, cfg.Duration)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	// start is taken before the deadline is set, so Elapsed >= Duration.
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	var rec Recorder
	var wg sync.WaitGroup
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(0); ctx.Err() == nil; seq++ {
				t0 := time.Now()
				err := op(ctx, w, seq)
				if ctx.Err() != nil {
					return // cut off by the deadline: not counted
				}
				rec.Record(time.Since(t0), err)
			}
		}()
	}

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	last := start
	for {
		select {
		case <-done:
			h, errs := rec.Total()
			return summarize(&h, errs, time.Since(start)), nil
		case now := <-tick.C:
			h, errs := rec.TakeInterval()
			if cfg.Progress != nil {
				s := summarize(&h, errs, now.Sub(last))
				fmt.Fprintf(cfg.Progress, "%6.1fs  interval ops/s=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d\n",
					now.Sub(start).Seconds(), s.OpsPerSec(), ms(s.P50), ms(s.P99), ms(s.Max), s.Errors)
			}
			last = now
		}
	}
}
