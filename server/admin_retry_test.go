package server

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestAdminRetryReportsWhatItWaitedOn: a command that keeps failing with
// a retryable error until the caller's deadline returns, before that
// deadline, an error naming what it waited on (the caller would
// otherwise see only its own DeadlineExceeded); without a deadline
// margin it would return exactly at the deadline.
func TestAdminRetryReportsWhatItWaitedOn(t *testing.T) {
	deadline := time.Now().Add(3 * adminDeadlineMargin)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	_, err := adminRetry(ctx, "change replicas of r7", func(ctx context.Context) (int, error) {
		<-ctx.Done() // a wait inside the command that only its context ends
		return 0, &kvpb.UnavailableError{Reason: "moving raft leadership off a replica being removed"}
	})
	require.Error(t, err)
	require.Nil(t, ctx.Err(), "adminRetry returned at or after the caller's deadline")
	require.Contains(t, err.Error(), "moving raft leadership off a replica being removed")
	require.Contains(t, err.Error(), "change replicas of r7")
}
