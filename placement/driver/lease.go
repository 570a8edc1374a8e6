package driver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement/liveness"
	pb "github.com/tesseradb/tessera/placement/placementpb"
)

// DefaultLeaseDuration is how long one acquisition or renewal of the
// placement lease lasts.
const DefaultLeaseDuration = 6 * time.Second

// Lease is one node's handle on the placement lease
// (kv/keys.PlacementLeaseKey). Exclusivity: the record changes only by
// conditional put against the bytes read; another node takes it over only
// after its expiration plus the max clock offset, and the holder counts
// itself leader only until its expiration minus the max offset, so the
// two windows never overlap while clocks stay within the offset.
type Lease struct {
	kv        liveness.KV
	node      kvpb.NodeID
	addr      string
	clock     func() int64
	duration  time.Duration
	maxOffset time.Duration

	mu struct {
		sync.Mutex
		cur       *pb.PlacementLease // last record read or written
		heldUntil int64              // local leadership ends here (0: not held)
	}
}

// NewLease returns a handle for node (reachable at addr).
func NewLease(kv liveness.KV, node kvpb.NodeID, addr string, clock func() int64, duration, maxOffset time.Duration) *Lease {
	if duration <= 0 {
		duration = DefaultLeaseDuration
	}
	return &Lease{kv: kv, node: node, addr: addr, clock: clock, duration: duration, maxOffset: maxOffset}
}

// Held reports whether this node holds the lease now.
func (l *Lease) Held() bool {
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	return now < l.mu.heldUntil
}

// Current returns the last lease record seen (nil if none yet).
func (l *Lease) Current() *pb.PlacementLease {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.cur
}

// Ensure renews the lease if this node holds it, acquires it if it is
// free or expired, and otherwise records who holds it. It reports whether
// this node holds it afterwards.
func (l *Lease) Ensure(ctx context.Context) (bool, error) {
	raw, found, err := l.kv.Get(ctx, keys.PlacementLeaseKey)
	if err != nil {
		l.lose()
		return false, err
	}
	cur := &pb.PlacementLease{}
	if found {
		if err := proto.Unmarshal(raw, cur); err != nil {
			l.lose()
			return false, fmt.Errorf("driver: decoding the placement lease: %w", err)
		}
	} else {
		raw = nil
	}
	now := l.clock()
	next := &pb.PlacementLease{Holder: uint64(l.node), HolderAddress: l.addr, ExpirationNanos: now + int64(l.duration), Sequence: cur.GetSequence()}
	switch {
	case found && kvpb.NodeID(cur.GetHolder()) == l.node:
		// renewal keeps the sequence
	case !found || now > cur.GetExpirationNanos()+int64(l.maxOffset):
		next.Sequence++
	default:
		l.mu.Lock()
		l.mu.cur, l.mu.heldUntil = cur, 0
		l.mu.Unlock()
		return false, nil
	}
	val, err := proto.Marshal(next)
	if err != nil {
		return false, err
	}
	if err := l.kv.CPut(ctx, keys.PlacementLeaseKey, val, raw); err != nil {
		l.lose()
		var cf *kvpb.ConditionFailedError
		if errors.As(err, &cf) {
			return false, nil // someone else got there first
		}
		return false, err
	}
	l.mu.Lock()
	l.mu.cur, l.mu.heldUntil = next, now+int64(l.duration)-int64(l.maxOffset)
	l.mu.Unlock()
	return true, nil
}

func (l *Lease) lose() {
	l.mu.Lock()
	l.mu.heldUntil = 0
	l.mu.Unlock()
}

// Release gives the lease up (expires it now) if this node holds it, so
// that another node takes over without waiting for the expiration.
func (l *Lease) Release(ctx context.Context) error {
	l.lose()
	raw, found, err := l.kv.Get(ctx, keys.PlacementLeaseKey)
	if err != nil || !found {
		return err
	}
	cur := &pb.PlacementLease{}
	if err := proto.Unmarshal(raw, cur); err != nil || kvpb.NodeID(cur.GetHolder()) != l.node {
		return err
	}
	next := proto.Clone(cur).(*pb.PlacementLease)
	next.ExpirationNanos = 0
	val, err := proto.Marshal(next)
	if err != nil {
		return err
	}
	err = l.kv.CPut(ctx, keys.PlacementLeaseKey, val, raw)
	var cf *kvpb.ConditionFailedError
	if errors.As(err, &cf) {
		return nil
	}
	return err
}
