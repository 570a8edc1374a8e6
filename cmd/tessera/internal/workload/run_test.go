package workload

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRunCountsOpsAndErrors(t *testing.T) {
	var calls atomic.Uint64
	var progress bytes.Buffer
	errBoom := errors.New("boom")
	s, err := Run(context.Background(), Config{
		Concurrency: 4, Duration: 300 * time.Millisecond, Interval: 100 * time.Millisecond, Progress: &progress,
	}, func(ctx context.Context, worker int, seq uint64) error {
		calls.Add(1)
		if seq%10 == 9 {
			return errBoom
		}
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, s.Ops)
	require.Positive(t, s.Errors)
	require.LessOrEqual(t, s.Ops+s.Errors, calls.Load())
	require.GreaterOrEqual(t, s.P50, time.Millisecond)
	require.LessOrEqual(t, s.P50, s.P95)
	require.LessOrEqual(t, s.P95, s.P99)
	require.GreaterOrEqual(t, s.Elapsed, 300*time.Millisecond)
	line := s.String()
	require.True(t, strings.HasPrefix(line, "ops/s="), line)
	require.NotContains(t, line, "\n")
	require.Regexp(t, `^ops/s=[0-9.]+ p50_ms=[0-9.]+ p95_ms=[0-9.]+ p99_ms=[0-9.]+ errors=[0-9]+$`, line)
	require.Contains(t, progress.String(), "interval ops/s=")
}

func TestRunRejectsBadConfig(t *testing.T) {
	op := func(context.Context, int, uint64) error { return nil }
	_, err := Run(context.Background(), Config{Concurrency: 0, Duration: time.Second}, op)
	require.ErrorIs(t, err, ErrBadConfig)
	_, err = Run(context.Background(), Config{Concurrency: 1, Duration: 0}, op)
	require.ErrorIs(t, err, ErrBadConfig)
}

func TestSummaryString(t *testing.T) {
	s := Summary{Elapsed: 2 * time.Second, Ops: 1000, Errors: 3,
		P50: 1500 * time.Microsecond, P95: 3 * time.Millisecond, P99: 12345 * time.Microsecond}
	require.Equal(t, "ops/s=500.0 p50_ms=1.50 p95_ms=3.00 p99_ms=12.35 errors=3", s.String())
}
