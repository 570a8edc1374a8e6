package kvcoord

import (
	"context"
	"sync"
	"time"
)

// deadlineCtx is context.WithDeadline(parent, at) without the timer until
// someone waits: Deadline and Err answer from the parent and the clock,
// and the first Done (or AfterFunc, or a derived cancellable context)
// makes the real context with its timer. A batch served by a local
// replica that meets no conflict never waits, so it never pays for the
// timer and the registration on its parent.
type deadlineCtx struct {
	context.Context // the parent
	at              time.Time
	mu              sync.Mutex
	joined          context.Context
	cancel          context.CancelFunc
	done            bool // released by its caller: cancelled
}

func withLazyDeadline(parent context.Context, d time.Duration) (*deadlineCtx, func()) {
	c := &deadlineCtx{Context: parent, at: time.Now().Add(d)}
	return c, c.release
}

func (c *deadlineCtx) join() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.joined == nil {
		c.joined, c.cancel = context.WithDeadline(c.Context, c.at)
		if c.done {
			c.cancel()
		}
	}
	return c.joined
}

func (c *deadlineCtx) Deadline() (time.Time, bool) {
	if pd, ok := c.Context.Deadline(); ok && pd.Before(c.at) {
		return pd, true
	}
	return c.at, true
}

func (c *deadlineCtx) Done() <-chan struct{} { return c.join().Done() }

func (c *deadlineCtx) Err() error {
	c.mu.Lock()
	j, done := c.joined, c.done
	c.mu.Unlock()
	if j != nil {
		return j.Err()
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if done {
		return context.Canceled
	}
	if !time.Now().Before(c.at) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value hands out the joined context's cancellation state once there is
// one, so that contexts derived after Done register on it directly.
func (c *deadlineCtx) Value(key any) any {
	c.mu.Lock()
	j := c.joined
	c.mu.Unlock()
	if j != nil {
		return j.Value(key)
	}
	return c.Context.Value(key)
}

// AfterFunc lets context.AfterFunc and derived contexts register on the
// joined context instead of starting a goroutine.
func (c *deadlineCtx) AfterFunc(f func()) func() bool { return context.AfterFunc(c.join(), f) }

func (c *deadlineCtx) release() {
	c.mu.Lock()
	c.done = true
	j := c.joined
	c.mu.Unlock()
	if j != nil {
		c.cancel()
	}
}
