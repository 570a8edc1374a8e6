// Package lazyctx provides a context whose cancellable form is made only
// when somebody waits on it. The hot request paths (kv/kvcoord's
// DistSender deadline, ranges' per-request store context) wrap their
// caller's context in one: most requests never wait, so they only ask Err
// and Deadline, which answer from the parent, the clock and a caller's
// check, and never pay for a timer or a registration on a shared parent.
//
// Invariants: before the first Done, AfterFunc or derived cancellable
// context, Err reports exactly what the joined context would (the
// parent's error, Release, the extra check, the deadline); afterwards it
// is the joined context's. Release cancels the joined context if there is
// one and makes Err report context.Canceled. Value hands out the joined
// context's values once it exists, so contexts derived after Done
// register on it directly. WaitExceptJoin is for a waiter that watches
// the Join condition itself and runs its own timer: it joins nothing.
package lazyctx
