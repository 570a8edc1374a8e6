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

// TestWaitExceptJoin: an unjoined Ctx under unjoined deadline-only Ctxs
// waits on the first other context's Done with the earliest deadline, and
// joins none of them (Join is not called, no Ctx is joined); a joined Ctx
// waits on its own Done; a Ctx above with a Join of its own is not passed.
func TestWaitExceptJoin(t *testing.T) {
	joins := 0
	cfg := Config{Join: func(p context.Context) (context.Context, func()) {
		joins++
		return context.WithCancel(p)
	}}
	root, cancel := context.WithCancel(context.Background())
	defer cancel()
	near := time.Now().Add(time.Minute)
	outer := New(root, Config{Deadline: near.Add(time.Hour)})
	inner := New(outer, Config{Deadline: near})
	ctx := New(inner, cfg)
	done, dl := ctx.WaitExceptJoin()
	require.True(t, done == root.Done())
	require.True(t, dl.Equal(near))
	require.Zero(t, joins)
	for _, c := range []*Ctx{ctx, inner, outer} {
		require.False(t, c.isJoined())
	}
	cancel()
	requireClosed(t, done)
	require.ErrorIs(t, ctx.Err(), context.Canceled)

	plain := New(context.Background(), cfg)
	done, dl = plain.WaitExceptJoin()
	require.Nil(t, done, "context.Background can never end")
	require.True(t, dl.IsZero())

	joined := New(context.Background(), cfg)
	d := joined.Done()
	done, dl = joined.WaitExceptJoin()
	require.True(t, done == d)
	require.True(t, dl.IsZero())

	above := New(context.Background(), cfg)
	below := New(above, Config{})
	done, _ = below.WaitExceptJoin()
	require.True(t, done == above.Done(), "a Ctx with a Join of its own is waited on")
	require.Equal(t, 2, joins)
}
