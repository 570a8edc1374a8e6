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

// TestDoneExceptJoin: without a deadline of its own and not yet joined,
// DoneExceptJoin is the parent's Done (the context stays unjoined: Join is
// not called) and closes when the parent is cancelled; once joined, or
// with a deadline, it is Done.
func TestDoneExceptJoin(t *testing.T) {
	joins := 0
	cfg := Config{Join: func(p context.Context) (context.Context, func()) {
		joins++
		j, cancel := context.WithCancel(p)
		return j, cancel
	}}
	parent, cancel := context.WithCancel(context.Background())
	ctx := New(parent, cfg)
	require.True(t, ctx.DoneExceptJoin() == parent.Done())
	require.Zero(t, joins)
	cancel()
	requireClosed(t, ctx.DoneExceptJoin())
	require.ErrorIs(t, ctx.Err(), context.Canceled)

	joined := New(context.Background(), cfg)
	done := joined.Done()
	require.Equal(t, 1, joins)
	require.True(t, joined.DoneExceptJoin() == done)
	joined.Release()
	requireClosed(t, joined.DoneExceptJoin())

	dl, release := withLazyDeadline(context.Background(), time.Hour)
	defer release()
	require.True(t, dl.DoneExceptJoin() == dl.Done())
}
