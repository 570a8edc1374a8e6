package ranges

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/internal/lazyctx"
)

func bareStore() *Store {
	s := &Store{}
	s.mu.drained = sync.NewCond(&s.mu)
	s.stopCtx, s.stopCancel = context.WithCancel(context.Background())
	s.initOpCtx()
	return s
}

func waitClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("context not cancelled")
	}
}

// An operation's context is cancelled by the store's stop whether or not
// it was joined (Done asked) before the stop, and by the caller's.
func TestOpCtxCancellation(t *testing.T) {
	t.Run("stop before Done", func(t *testing.T) {
		s := bareStore()
		ctx, exit, ok := s.enter(context.Background())
		require.True(t, ok)
		require.NoError(t, ctx.Err())
		s.stopCancel()
		require.ErrorIs(t, ctx.Err(), context.Canceled)
		waitClosed(t, ctx.Done())
		exit()
	})
	t.Run("stop after Done, derived contexts", func(t *testing.T) {
		s := bareStore()
		ctx, exit, ok := s.enter(context.Background())
		require.True(t, ok)
		done := ctx.Done()
		d, cancel := context.WithTimeout(ctx, time.Hour)
		defer cancel()
		fired := make(chan struct{})
		context.AfterFunc(ctx, func() { close(fired) })
		select {
		case <-done:
			t.Fatal("cancelled before the stop")
		default:
		}
		s.stopCancel()
		waitClosed(t, done)
		waitClosed(t, d.Done())
		waitClosed(t, fired)
		require.ErrorIs(t, ctx.Err(), context.Canceled)
		exit()
	})
	t.Run("caller cancels", func(t *testing.T) {
		s := bareStore()
		parent, cancel := context.WithCancel(context.Background())
		ctx, exit, ok := s.enter(parent)
		require.True(t, ok)
		cancel()
		require.ErrorIs(t, ctx.Err(), context.Canceled)
		waitClosed(t, ctx.Done())
		exit()
		require.ErrorIs(t, s.stopCtx.Err(), nil)
	})
	t.Run("cancelled at exit", func(t *testing.T) {
		s := bareStore()
		ctx, exit, ok := s.enter(context.Background())
		require.True(t, ok)
		exit()
		require.ErrorIs(t, ctx.Err(), context.Canceled)
		waitClosed(t, ctx.Done())
		s.mu.Lock()
		require.Zero(t, s.mu.inflight)
		s.mu.Unlock()
	})
	t.Run("deadline and values pass through", func(t *testing.T) {
		s := bareStore()
		type key struct{}
		dl := time.Now().Add(time.Hour)
		parent, cancel := context.WithDeadline(context.WithValue(context.Background(), key{}, 7), dl)
		defer cancel()
		ctx, exit, _ := s.enter(parent)
		defer exit()
		got, ok := ctx.Deadline()
		require.True(t, ok)
		require.Equal(t, dl, got)
		require.Equal(t, 7, ctx.Value(key{}))
	})
}

// TestOpWait: the proposal wait on an operation's context under the
// DistSender's lazy request timeout joins neither context: it watches the
// caller's Done and times out on its own timer at the request deadline,
// when the operation's context reports DeadlineExceeded; a caller's
// cancellation ends it too.
func TestOpWait(t *testing.T) {
	s := bareStore()
	t.Run("deadline", func(t *testing.T) {
		rt := lazyctx.New(context.Background(), lazyctx.Config{Deadline: time.Now().Add(20 * time.Millisecond)})
		defer rt.Release()
		ctx, exit, ok := s.enter(rt)
		require.True(t, ok)
		defer exit()
		done, timeout, stop := opWait(ctx)
		defer stop()
		require.Nil(t, done, "nothing above can be cancelled")
		require.NotNil(t, timeout)
		select {
		case <-timeout:
		case <-time.After(10 * time.Second):
			t.Fatal("no timeout at the request deadline")
		}
		require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	})
	t.Run("caller cancels", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		rt := lazyctx.New(parent, lazyctx.Config{Deadline: time.Now().Add(time.Hour)})
		defer rt.Release()
		ctx, exit, ok := s.enter(rt)
		require.True(t, ok)
		defer exit()
		done, timeout, stop := opWait(ctx)
		defer stop()
		cancel()
		waitClosed(t, done)
		select {
		case <-timeout:
			t.Fatal("timed out an hour early")
		default:
		}
		require.ErrorIs(t, ctx.Err(), context.Canceled)
	})
	t.Run("plain context", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		done, timeout, stop := opWait(parent)
		defer stop()
		require.Nil(t, timeout)
		cancel()
		waitClosed(t, done)
	})
}
