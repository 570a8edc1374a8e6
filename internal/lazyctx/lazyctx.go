package lazyctx

import (
	"context"
	"sync"
	"time"
)

// Config says how a Ctx is cancelled besides its parent.
type Config struct {
	// Deadline, if not zero, ends the context then (DeadlineExceeded).
	Deadline time.Time
	// Join makes the joined context from the parent (with Deadline
	// already applied) and returns it with its stop function (which
	// cancels it and drops its registrations). Nil: a plain
	// context.WithCancel.
	Join func(parent context.Context) (context.Context, func())
	// Err, if not nil, is asked by Err before the context is joined: a
	// non-nil result is the context's error (the condition Join
	// registers on).
	Err func() error
}

// Ctx is the lazily joined context. Safe for concurrent use.
type Ctx struct {
	context.Context // the parent
	cfg             Config

	mu       sync.Mutex
	joined   context.Context
	stop     func()
	released bool
}

// New returns a Ctx over parent.
func New(parent context.Context, cfg Config) *Ctx { return &Ctx{Context: parent, cfg: cfg} }

func (c *Ctx) join() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.joined == nil {
		p, stopDeadline := c.Context, func() {}
		if !c.cfg.Deadline.IsZero() {
			var cancel context.CancelFunc
			p, cancel = context.WithDeadline(p, c.cfg.Deadline)
			stopDeadline = cancel
		}
		switch {
		case c.cfg.Join != nil:
			j, stop := c.cfg.Join(p)
			c.joined, c.stop = j, func() { stop(); stopDeadline() }
		case !c.cfg.Deadline.IsZero():
			c.joined, c.stop = p, stopDeadline
		default:
			var cancel context.CancelFunc
			c.joined, cancel = context.WithCancel(p)
			c.stop = cancel
		}
		if c.released {
			c.stop()
		}
	}
	return c.joined
}

// Deadline is the earlier of the parent's and Config.Deadline.
func (c *Ctx) Deadline() (time.Time, bool) {
	pd, ok := c.Context.Deadline()
	if c.cfg.Deadline.IsZero() || (ok && pd.Before(c.cfg.Deadline)) {
		return pd, ok
	}
	return c.cfg.Deadline, true
}

// Done joins the context.
func (c *Ctx) Done() <-chan struct{} { return c.join().Done() }

// Err answers without joining while the context is not joined.
func (c *Ctx) Err() error {
	c.mu.Lock()
	j, released := c.joined, c.released
	c.mu.Unlock()
	if j != nil {
		return j.Err()
	}
	if err := c.Context.Err(); err != nil {
		return err
	}
	if released {
		return context.Canceled
	}
	if c.cfg.Err != nil {
		if err := c.cfg.Err(); err != nil {
			return err
		}
	}
	if !c.cfg.Deadline.IsZero() && !time.Now().Before(c.cfg.Deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value hands out the joined context's values once there is one, so that
// contexts derived after Done register on it directly.
func (c *Ctx) Value(key any) any {
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
func (c *Ctx) AfterFunc(f func()) func() bool { return context.AfterFunc(c.join(), f) }

// Release ends the context (its owner is done with it): the joined
// context, if any, is cancelled and Err reports context.Canceled.
func (c *Ctx) Release() {
	c.mu.Lock()
	c.released = true
	stop := c.stop
	joined := c.joined != nil
	c.mu.Unlock()
	if joined {
		stop()
	}
}

// WaitExceptJoin is for a waiter that watches the Join condition of c
// itself (ranges' proposal wait selects on the store's stopper too) and
// can run its own timer: the Done channel to watch and the deadline to
// time out at (zero: none). While c is not joined, it passes c and every
// unjoined Ctx above it without a Join of its own (kv/kvcoord's request
// timeout), collecting their deadlines, and returns the Done of the
// context above them, so that the wait joins nothing: no derived
// contexts, no registrations on the parents, no timer of theirs. When the
// deadline passes, c.Err reports DeadlineExceeded as usual. Release is
// not watched (the owner releases after the wait).
func (c *Ctx) WaitExceptJoin() (<-chan struct{}, time.Time) {
	if c.isJoined() {
		return c.Done(), time.Time{}
	}
	dl := c.cfg.Deadline
	p := c.Context
	for {
		lc, ok := p.(*Ctx)
		if !ok || lc.cfg.Join != nil || lc.isJoined() {
			break
		}
		if d := lc.cfg.Deadline; !d.IsZero() && (dl.IsZero() || d.Before(dl)) {
			dl = d
		}
		p = lc.Context
	}
	return p.Done(), dl
}

func (c *Ctx) isJoined() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.joined != nil
}
