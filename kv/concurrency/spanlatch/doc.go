// Package spanlatch provides span latches: the short-lived locks a
// replica takes over the keys a request declares, so that requests with
// overlapping spans and at least one writer are evaluated (and, for
// writes, replicated and applied) one after the other.
//
// Invariants: latches are granted in arrival order per conflict: a request
// waits for every earlier request whose spans conflict with its own (two
// reads never conflict), so there is no starvation and no deadlock (a
// request never waits for a later one). Manager.mu is a leaf lock; nothing
// blocks while holding it. Waiting honours the context.
package spanlatch
