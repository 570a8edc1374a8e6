package liveness

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	pb "github.com/tesseradb/tessera/placement/placementpb"
)

// memKV is an in-memory KV with conditional puts; beforeCPut, if set,
// runs before each CPut (to inject a concurrent writer).
type memKV struct {
	mu         sync.Mutex
	m          map[string][]byte
	beforeCPut func()
}

func newMemKV() *memKV { return &memKV{m: map[string][]byte{}} }

func (k *memKV) Get(_ context.Context, key []byte) ([]byte, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[string(key)]
	return v, ok, nil
}

func (k *memKV) CPut(_ context.Context, key, value, exp []byte) error {
	if f := k.beforeCPut; f != nil {
		k.beforeCPut = nil
		f()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	cur, ok := k.m[string(key)]
	if (exp == nil && ok) || (exp != nil && (!ok || !bytes.Equal(cur, exp))) {
		return &kvpb.ConditionFailedError{Key: key, HasValue: ok, ActualValue: cur}
	}
	k.m[string(key)] = append([]byte(nil), value...)
	return nil
}

func (k *memKV) Scan(_ context.Context, start, end []byte) ([]KeyValue, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []KeyValue
	for key, v := range k.m {
		if key >= string(start) && key < string(end) {
			out = append(out, KeyValue{Key: []byte(key), Value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Key, out[j].Key) < 0 })
	return out, nil
}

func TestLivenessStateTransitions(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	clock := hlc.NewManualClock(int64(time.Hour))
	const dur = 9 * time.Second
	const dead = 5 * time.Minute
	h := NewHeartbeater(Config{NodeID: 2, KV: kv, Clock: clock.Now, Duration: dur})
	state := func() pb.NodeLiveness {
		rec, found, err := Get(ctx, kv, 2)
		require.NoError(t, err)
		require.True(t, found)
		return State(rec, clock.Now(), dead)
	}

	rec, err := h.Heartbeat(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, rec.GetEpoch())
	require.Equal(t, clock.Now()+int64(dur), rec.GetExpirationNanos())
	require.Equal(t, pb.NodeLiveness_LIVE, state())

	// Heartbeating in time keeps the epoch.
	clock.Increment(int64(dur / 3))
	rec, err = h.Heartbeat(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, rec.GetEpoch())

	// Missing heartbeats: suspect right after the expiration, dead after
	// time_until_store_dead more.
	clock.Increment(int64(dur))
	require.Equal(t, pb.NodeLiveness_SUSPECT, state())
	clock.Increment(int64(dead) - 1)
	require.Equal(t, pb.NodeLiveness_SUSPECT, state())
	clock.Increment(1)
	require.Equal(t, pb.NodeLiveness_DEAD, state())
	// A shorter time_until_store_dead makes it dead sooner.
	rec, _, _ = Get(ctx, kv, 2)
	require.Equal(t, pb.NodeLiveness_SUSPECT, State(rec, rec.GetExpirationNanos()+int64(time.Second), 5*time.Minute))
	require.Equal(t, pb.NodeLiveness_DEAD, State(rec, rec.GetExpirationNanos()+int64(time.Second), time.Second))

	// Coming back bumps the epoch.
	rec, err = h.Heartbeat(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 2, rec.GetEpoch())
	require.Equal(t, pb.NodeLiveness_LIVE, state())

	// Decommissioning wins over heartbeats; heartbeats keep the membership.
	_, err = SetMembership(ctx, kv, 2, pb.Membership_DECOMMISSIONING)
	require.NoError(t, err)
	require.Equal(t, pb.NodeLiveness_NODE_DECOMMISSIONING, state())
	rec, err = h.Heartbeat(ctx)
	require.NoError(t, err)
	require.Equal(t, pb.Membership_DECOMMISSIONING, rec.GetMembership())
	require.Equal(t, pb.NodeLiveness_NODE_DECOMMISSIONING, state())

	// Recommission undoes it.
	_, err = SetMembership(ctx, kv, 2, pb.Membership_ACTIVE)
	require.NoError(t, err)
	require.Equal(t, pb.NodeLiveness_LIVE, state())

	// Decommissioned needs decommissioning first, and is final.
	_, err = SetMembership(ctx, kv, 2, pb.Membership_DECOMMISSIONED)
	require.ErrorIs(t, err, ErrBadTransition)
	_, err = SetMembership(ctx, kv, 2, pb.Membership_DECOMMISSIONING)
	require.NoError(t, err)
	_, err = SetMembership(ctx, kv, 2, pb.Membership_DECOMMISSIONED)
	require.NoError(t, err)
	require.Equal(t, pb.NodeLiveness_NODE_DECOMMISSIONED, state())
	_, err = SetMembership(ctx, kv, 2, pb.Membership_ACTIVE)
	require.ErrorIs(t, err, ErrBadTransition)

	// Unknown nodes.
	_, err = SetMembership(ctx, kv, 7, pb.Membership_DECOMMISSIONING)
	require.ErrorIs(t, err, ErrUnknownNode)
	_, err = SetDraining(ctx, kv, 7, true)
	require.ErrorIs(t, err, ErrUnknownNode)
}

// TestHeartbeatKeepsConcurrentMembershipChange: a decommission that lands
// between a heartbeat's read and its CPut is not overwritten.
func TestHeartbeatKeepsConcurrentMembershipChange(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	clock := hlc.NewManualClock(int64(time.Hour))
	h := NewHeartbeater(Config{NodeID: 3, KV: kv, Clock: clock.Now})
	_, err := h.Heartbeat(ctx)
	require.NoError(t, err)
	kv.beforeCPut = func() {
		_, err := SetMembership(ctx, kv, 3, pb.Membership_DECOMMISSIONING)
		require.NoError(t, err)
	}
	clock.Increment(int64(time.Second))
	rec, err := h.Heartbeat(ctx)
	require.NoError(t, err)
	require.Equal(t, pb.Membership_DECOMMISSIONING, rec.GetMembership())
	require.Equal(t, clock.Now()+int64(DefaultDuration), rec.GetExpirationNanos())
	require.Equal(t, rec.GetExpirationNanos(), h.Last().GetExpirationNanos())
}

func TestScanAndDraining(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	clock := hlc.NewManualClock(int64(time.Hour))
	for _, n := range []kvpb.NodeID{3, 1, 2} {
		_, err := NewHeartbeater(Config{NodeID: n, KV: kv, Clock: clock.Now}).Heartbeat(ctx)
		require.NoError(t, err)
	}
	_, err := SetDraining(ctx, kv, 2, true)
	require.NoError(t, err)
	recs, err := Scan(ctx, kv)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	for i, r := range recs {
		require.EqualValues(t, i+1, r.GetNodeId())
		require.Equal(t, i == 1, r.GetDraining())
	}
	kv.m[string(keys.LivenessKey(9))] = []byte{0xff, 0xff}
	_, err = Scan(ctx, kv)
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrUnknownNode))
	require.Equal(t, "suspect", StateName(pb.NodeLiveness_SUSPECT))
}
