package liveness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	pb "github.com/tesseradb/tessera/placement/placementpb"
)

// KeyValue is one row of a scan.
type KeyValue struct {
	Key, Value []byte
}

// KV is the non-transactional key-value access liveness needs.
type KV interface {
	Get(ctx context.Context, key []byte) ([]byte, bool, error)
	// CPut writes value if the current value is expected (nil: absent);
	// a mismatch returns an error wrapping *kvpb.ConditionFailedError.
	CPut(ctx context.Context, key, value, expected []byte) error
	Scan(ctx context.Context, start, end []byte) ([]KeyValue, error)
}

// DefaultDuration is how long one heartbeat keeps a node live.
const DefaultDuration = 9 * time.Second

// ErrUnknownNode is returned for a node without a liveness record.
var ErrUnknownNode = errors.New("liveness: node has no liveness record")

// ErrBadTransition is returned for a membership change that is not allowed
// (recommissioning a decommissioned node, decommissioning one twice is fine).
var ErrBadTransition = errors.New("liveness: membership change not allowed")

// maxAttempts bounds the read-CPut retries of one update.
const maxAttempts = 8

// Config configures a node's heartbeater.
type Config struct {
	NodeID kvpb.NodeID
	KV     KV
	// Clock returns the wall time in Unix nanoseconds.
	Clock func() int64
	// Duration is how long a heartbeat keeps the node live (default
	// DefaultDuration); Run heartbeats every Duration/3.
	Duration time.Duration
	Logger   *slog.Logger
}

// Heartbeater keeps one node's record fresh.
type Heartbeater struct {
	cfg Config
	mu  struct {
		sync.Mutex
		last *pb.LivenessRecord // last record written or read
	}
}

// NewHeartbeater returns a heartbeater; call Heartbeat or Run.
func NewHeartbeater(cfg Config) *Heartbeater {
	if cfg.Duration <= 0 {
		cfg.Duration = DefaultDuration
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Heartbeater{cfg: cfg}
}

// Last returns the last record this heartbeater wrote or read (nil before
// the first heartbeat).
func (h *Heartbeater) Last() *pb.LivenessRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.mu.last
}

// Heartbeat extends the node's record to now + Duration, creating it
// (epoch 1) if absent and bumping the epoch if it had expired.
func (h *Heartbeater) Heartbeat(ctx context.Context) (*pb.LivenessRecord, error) {
	rec, err := Update(ctx, h.cfg.KV, h.cfg.NodeID, true, func(cur *pb.LivenessRecord) error {
		now := h.cfg.Clock()
		if cur.GetEpoch() == 0 || now >= cur.GetExpirationNanos() {
			cur.Epoch++
		}
		cur.ExpirationNanos = now + int64(h.cfg.Duration)
		return nil
	})
	if err == nil {
		h.mu.Lock()
		h.mu.last = rec
		h.mu.Unlock()
	}
	return rec, err
}

// Run heartbeats every Duration/3 until ctx is done.
func (h *Heartbeater) Run(ctx context.Context) {
	t := time.NewTicker(h.cfg.Duration / 3)
	defer t.Stop()
	for {
		hctx, cancel := context.WithTimeout(ctx, h.cfg.Duration)
		if _, err := h.Heartbeat(hctx); err != nil && ctx.Err() == nil {
			h.cfg.Logger.Warn("liveness heartbeat failed", "node", h.cfg.NodeID, "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Update applies fn to node's record (a fresh one if absent and create is
// set) and writes it back by conditional put, re-reading and re-applying
// on a concurrent change. fn may return an error to abort.
func Update(ctx context.Context, kv KV, node kvpb.NodeID, create bool, fn func(*pb.LivenessRecord) error) (*pb.LivenessRecord, error) {
	key := keys.LivenessKey(uint64(node))
	var lastErr error
	for range maxAttempts {
		raw, found, err := kv.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		cur := &pb.LivenessRecord{NodeId: uint64(node)}
		if found {
			if err := proto.Unmarshal(raw, cur); err != nil {
				return nil, fmt.Errorf("liveness: decoding record of %s: %w", node, err)
			}
		} else {
			if !create {
				return nil, fmt.Errorf("%w: %s", ErrUnknownNode, node)
			}
			raw = nil
		}
		if err := fn(cur); err != nil {
			return nil, err
		}
		val, err := proto.Marshal(cur)
		if err != nil {
			return nil, err
		}
		err = kv.CPut(ctx, key, val, raw)
		var cf *kvpb.ConditionFailedError
		switch {
		case err == nil:
			return cur, nil
		case errors.As(err, &cf):
			lastErr = err
			continue // changed under us: read again
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("liveness: record of %s kept changing: %w", node, lastErr)
}

// SetMembership changes node's membership. Decommissioning a
// decommissioned node and recommissioning one fully decommissioned are
// refused; the other transitions (including no-ops) are allowed.
func SetMembership(ctx context.Context, kv KV, node kvpb.NodeID, m pb.Membership) (*pb.LivenessRecord, error) {
	return Update(ctx, kv, node, false, func(cur *pb.LivenessRecord) error {
		switch {
		case m == pb.Membership_ACTIVE && cur.GetMembership() == pb.Membership_DECOMMISSIONED:
			return fmt.Errorf("%w: %s is decommissioned; it cannot be recommissioned", ErrBadTransition, node)
		case m == pb.Membership_DECOMMISSIONING && cur.GetMembership() == pb.Membership_DECOMMISSIONED:
			return fmt.Errorf("%w: %s is already decommissioned", ErrBadTransition, node)
		case m == pb.Membership_DECOMMISSIONED && cur.GetMembership() == pb.Membership_ACTIVE:
			return fmt.Errorf("%w: %s must be decommissioning before it is decommissioned", ErrBadTransition, node)
		}
		cur.Membership = m
		return nil
	})
}

// SetDraining sets or clears node's draining mark.
func SetDraining(ctx context.Context, kv KV, node kvpb.NodeID, draining bool) (*pb.LivenessRecord, error) {
	return Update(ctx, kv, node, false, func(cur *pb.LivenessRecord) error {
		cur.Draining = draining
		return nil
	})
}

// Get reads node's record (found false when it has none).
func Get(ctx context.Context, kv KV, node kvpb.NodeID) (*pb.LivenessRecord, bool, error) {
	raw, found, err := kv.Get(ctx, keys.LivenessKey(uint64(node)))
	if err != nil || !found {
		return nil, false, err
	}
	rec := &pb.LivenessRecord{}
	if err := proto.Unmarshal(raw, rec); err != nil {
		return nil, false, fmt.Errorf("liveness: decoding record of %s: %w", node, err)
	}
	return rec, true, nil
}

// Scan reads every node's record, by node ID. Undecodable records are
// reported as an error.
func Scan(ctx context.Context, kv KV) ([]*pb.LivenessRecord, error) {
	kvs, err := kv.Scan(ctx, keys.LivenessPrefix, keys.LivenessEnd)
	if err != nil {
		return nil, err
	}
	out := make([]*pb.LivenessRecord, 0, len(kvs))
	for _, r := range kvs {
		id, err := keys.DecodeLivenessKey(r.Key)
		if err != nil {
			return nil, err
		}
		rec := &pb.LivenessRecord{}
		if err := proto.Unmarshal(r.Value, rec); err != nil {
			return nil, fmt.Errorf("liveness: decoding record of n%d: %w", id, err)
		}
		rec.NodeId = id
		out = append(out, rec)
	}
	return out, nil
}

// State judges a record at now (Unix nanoseconds) with the given
// time_until_store_dead.
func State(rec *pb.LivenessRecord, now int64, timeUntilStoreDead time.Duration) pb.NodeLiveness {
	switch rec.GetMembership() {
	case pb.Membership_DECOMMISSIONED:
		return pb.NodeLiveness_NODE_DECOMMISSIONED
	case pb.Membership_DECOMMISSIONING:
		return pb.NodeLiveness_NODE_DECOMMISSIONING
	}
	switch exp := rec.GetExpirationNanos(); {
	case now < exp:
		return pb.NodeLiveness_LIVE
	case now < exp+int64(timeUntilStoreDead):
		return pb.NodeLiveness_SUSPECT
	default:
		return pb.NodeLiveness_DEAD
	}
}

// StateName is the lower-case name of a state, as `tessera node status`
// prints it.
func StateName(s pb.NodeLiveness) string {
	switch s {
	case pb.NodeLiveness_LIVE:
		return "live"
	case pb.NodeLiveness_SUSPECT:
		return "suspect"
	case pb.NodeLiveness_DEAD:
		return "dead"
	case pb.NodeLiveness_NODE_DECOMMISSIONING:
		return "decommissioning"
	case pb.NodeLiveness_NODE_DECOMMISSIONED:
		return "decommissioned"
	}
	return s.String()
}
