package kvclient

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff produces exponentially growing, jittered waits between retries.
type backoff struct {
	initial, max time.Duration
	next         time.Duration
}

func newBackoff(initial, max time.Duration) *backoff {
	return &backoff{initial: initial, max: max, next: initial}
}

// wait sleeps for the next interval (in [next/2, next]) or until ctx is
// done; it returns ctx.Err() in the latter case.
func (b *backoff) wait(ctx context.Context) error {
	d := b.next/2 + rand.N(b.next/2+1)
	b.next = min(2*b.next, b.max)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
