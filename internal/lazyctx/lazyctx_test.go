package lazyctx

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func requireClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("context not cancelled")
	}
}

func withLazyDeadline(parent context.Context, d time.Duration) (*Ctx, func()) {
	c := New(parent, Config{Deadline: time.Now().Add(d)})
	return c, c.Release
}

// TestLazyDeadline: a Ctx with a deadline (kv/kvcoord's DistSender
// request timeout).
func TestLazyDeadline(t *testing.T) {
	t.Run("expires unjoined", func(t *testing.T) {
		ctx, release := withLazyDeadline(context.Background(), time.Millisecond)
		defer release()
		dl, ok := ctx.Deadline()
		require.True(t, ok)
		for time.Now().Before(dl) {
			time.Sleep(time.Millisecond) // wait out the deadline itself, not a synchronisation
		}
		require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
		requireClosed(t, ctx.Done())
		require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	})
	t.Run("expires joined", func(t *testing.T) {
		ctx, release := withLazyDeadline(context.Background(), 20*time.Millisecond)
		defer release()
		d, cancel := context.WithCancel(ctx)
		defer cancel()
		requireClosed(t, d.Done())
		require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	})
	t.Run("parent cancels", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		ctx, release := withLazyDeadline(parent, time.Hour)
		defer release()
		cancel()
		require.ErrorIs(t, ctx.Err(), context.Canceled)
		requireClosed(t, ctx.Done())
	})
	t.Run("release cancels", func(t *testing.T) {
		ctx, release := withLazyDeadline(context.Background(), time.Hour)
		fired := make(chan struct{})
		context.AfterFunc(ctx, func() { close(fired) })
		require.NoError(t, ctx.Err())
		release()
		requireClosed(t, fired)
		require.ErrorIs(t, ctx.Err(), context.Canceled)
		ctx2, release2 := withLazyDeadline(context.Background(), time.Hour)
		release2()
		require.ErrorIs(t, ctx2.Err(), context.Canceled)
		requireClosed(t, ctx2.Done())
	})
}
