package spanlatch

import (
	"bytes"
	"context"
	"sync"
)

// Access is how a span is used.
type Access int

const (
	// Read latches conflict only with writes.
	Read Access = iota
	// Write latches conflict with everything.
	Write
)

// Span is a latched key span [Key, EndKey); an empty EndKey is the single
// key Key.
type Span struct {
	Key, EndKey []byte
	Access      Access
}

// before reports whether key sorts before the end of s, without
// building the end of a point span (Key followed by a zero byte: the keys
// below it are those <= Key). Latching is on every request's path.
func (s Span) before(key []byte) bool {
	if len(s.EndKey) == 0 {
		return bytes.Compare(key, s.Key) <= 0
	}
	return bytes.Compare(key, s.EndKey) < 0
}

func (s Span) overlaps(o Span) bool {
	return o.before(s.Key) && s.before(o.Key)
}

func (s Span) conflicts(o Span) bool {
	return (s.Access == Write || o.Access == Write) && s.overlaps(o)
}

// Guard is a set of granted latches; Release it exactly once.
type Guard struct {
	spans []Span
	done  chan struct{}
	prev  []*Guard
}

// Manager hands out latches for one range.
type Manager struct {
	mu     sync.Mutex
	active map[*Guard]struct{}
	order  []*Guard // arrival order of active guards
}

// New returns an empty Manager.
func New() *Manager { return &Manager{active: map[*Guard]struct{}{}} }

// Acquire waits until no earlier conflicting guard is held and returns a
// guard over spans. On context cancellation it returns ctx.Err() and holds
// nothing.
func (m *Manager) Acquire(ctx context.Context, spans []Span) (*Guard, error) {
	g := &Guard{spans: spans, done: make(chan struct{})}
	m.mu.Lock()
	for _, o := range m.order {
		if conflictsAny(g.spans, o.spans) {
			g.prev = append(g.prev, o)
		}
	}
	m.active[g] = struct{}{}
	m.order = append(m.order, g)
	m.mu.Unlock()
	for _, p := range g.prev {
		select {
		case <-p.done:
		case <-ctx.Done():
			m.Release(g)
			return nil, ctx.Err()
		}
	}
	g.prev = nil
	return g, nil
}

func conflictsAny(a, b []Span) bool {
	for _, x := range a {
		for _, y := range b {
			if x.conflicts(y) {
				return true
			}
		}
	}
	return false
}

// Release frees the guard's latches. Releasing twice is a no-op.
func (m *Manager) Release(g *Guard) {
	if g == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.active[g]; !ok {
		return
	}
	delete(m.active, g)
	for i, o := range m.order {
		if o == g {
			m.order = append(m.order[:i], m.order[i+1:]...)
			break
		}
	}
	close(g.done)
}

// Len returns the number of held or waiting guards.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.order)
}
