package ranges_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges"
	"github.com/tesseradb/tessera/ranges/rangetest"
)

// leaseOffLeader returns a 4-node cluster whose range 1 has voters on
// n1..n3 and its lease on a voter that is not the raft leader: the lease
// is transferred while every MsgTimeoutNow is dropped, so leadership stays
// where it was (and the 30 s lease is not taken back by the leader). The
// leaseholder's conf changes then reach raft as a MsgProp forwarded to the
// leader. The filter installed here is replaced by the caller's, which
// must keep dropping MsgTimeoutNow (see keepLeader).
func leaseOffLeader(t *testing.T, ctx context.Context) (c *rangetest.Cluster, holder, leader *rangetest.Node) {
	c = rangetest.New(t, rangetest.Config{Nodes: 4, Replicas: 3, LeaseDuration: 30 * time.Second})
	c.SetMessageFilter(keepLeader(nil))
	require.NoError(t, c.Put(ctx, "warm", "up"))
	lh := c.Leaseholder(ctx, ranges.FirstRangeID)
	require.NotNil(t, lh)
	info := lh.Store().RangeInfo(ranges.FirstRangeID)[0]
	leaderID := info.GetRaftLeaderReplicaId()
	require.NotZero(t, leaderID)
	for _, n := range c.Nodes[:3] {
		rep, ok := info.GetDesc().ReplicaByStore(n.StoreID)
		require.True(t, ok)
		if rep.GetReplicaId() == leaderID {
			leader = n
		} else if holder == nil {
			holder = n
		}
	}
	require.NotNil(t, leader)
	_, err := lh.Store().TransferLease(ctx, ranges.FirstRangeID, &kvpb.ReplicaTarget{NodeId: uint64(holder.ID), StoreId: uint64(holder.StoreID)})
	require.NoError(t, err)
	require.Equal(t, holder, c.Leaseholder(ctx, ranges.FirstRangeID))
	return c, holder, leader
}

// keepLeader wraps f (nil: deliver everything else) so that raft
// leadership never moves by a transfer.
func keepLeader(f rangetest.MessageFilter) rangetest.MessageFilter {
	return func(from, to kvpb.NodeID, req *kvpb.RaftMessageRequest, m *raftpb.Message) bool {
		if m.GetType() == raftpb.MsgTimeoutNow {
			return false
		}
		return f == nil || f(from, to, req, m)
	}
}

// carriesConfChange reports whether m is a proposal holding a conf change.
func carriesConfChange(m *raftpb.Message) bool {
	if m.GetType() != raftpb.MsgProp {
		return false
	}
	for _, e := range m.GetEntries() {
		if e.GetType() == raftpb.EntryConfChangeV2 {
			return true
		}
	}
	return false
}

// descOn returns node n's descriptor of range 1 (nil if it has none).
func descOn(n *rangetest.Node) *kvpb.RangeDescriptor {
	for _, ri := range n.Store().RangeInfo(ranges.FirstRangeID) {
		return ri.GetDesc()
	}
	return nil
}

func learnerChange(typ kvpb.ReplicaChangeType, n *rangetest.Node) []*kvpb.ReplicaChange {
	return []*kvpb.ReplicaChange{{Type: typ, Target: &kvpb.ReplicaTarget{NodeId: uint64(n.ID), StoreId: uint64(n.StoreID)}}}
}

// TestConfChangeLostProposalReproposed: a conf change whose proposal is
// lost on its way to the leader (the forwarded MsgProp dropped; raft never
// retries it) is proposed again and applies, instead of leaving
// ChangeReplicas waiting until its deadline.
func TestConfChangeLostProposalReproposed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, holder, _ := leaseOffLeader(t, ctx)
	var mu sync.Mutex
	dropped := 0
	c.SetMessageFilter(keepLeader(func(from, to kvpb.NodeID, _ *kvpb.RaftMessageRequest, m *raftpb.Message) bool {
		if from != holder.ID || !carriesConfChange(m) {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		dropped++
		return dropped > 1 // lose the first one only
	}))
	n4 := c.Nodes[3]
	// Many election timeouts (200 ms each), far less than the deadline.
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	desc, err := holder.Store().ChangeReplicas(cctx, ranges.FirstRangeID, learnerChange(kvpb.ReplicaChangeType_ADD_LEARNER, n4), 0)
	ccancel()
	require.NoError(t, err)
	mu.Lock()
	require.GreaterOrEqual(t, dropped, 1, "the conf change never went to the leader as a MsgProp")
	mu.Unlock()
	rep, ok := desc.ReplicaByStore(n4.StoreID)
	require.True(t, ok)
	require.Equal(t, kvpb.ReplicaType_LEARNER, rep.GetType())
}

// TestConfChangeStaleDuplicateRejected: a copy of a conf change that
// reaches raft after the descriptor it was built from has been replaced
// (here: the learner it adds was added by a reproposal and removed again)
// changes nothing on any replica, neither the descriptor nor raft's
// configuration, and the range keeps working and changing.
func TestConfChangeStaleDuplicateRejected(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, holder, leader := leaseOffLeader(t, ctx)
	var mu sync.Mutex
	var held *kvpb.RaftMessageRequest
	c.SetMessageFilter(keepLeader(func(from, to kvpb.NodeID, req *kvpb.RaftMessageRequest, m *raftpb.Message) bool {
		if from != holder.ID || to != leader.ID || !carriesConfChange(m) {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		if held == nil {
			held = req // delivered later, by hand
			return false
		}
		return true
	}))
	n4 := c.Nodes[3]
	_, err := holder.Store().ChangeReplicas(ctx, ranges.FirstRangeID, learnerChange(kvpb.ReplicaChangeType_ADD_LEARNER, n4), 0)
	require.NoError(t, err)
	desc, err := holder.Store().ChangeReplicas(ctx, ranges.FirstRangeID, learnerChange(kvpb.ReplicaChangeType_REMOVE_LEARNER, n4), 0)
	require.NoError(t, err)
	_, ok := desc.ReplicaByStore(n4.StoreID)
	require.False(t, ok)
	mu.Lock()
	dup := held
	mu.Unlock()
	require.NotNil(t, dup)
	// Once the leader has applied the removal (no conf change pending
	// there), it accepts the old copy into its log.
	require.Eventually(t, func() bool { return descOn(leader).GetGeneration() == desc.GetGeneration() }, 10*time.Second, 5*time.Millisecond)
	before := map[kvpb.NodeID]int64{}
	for _, n := range c.Nodes[:3] {
		before[n.ID] = n.Store().Metrics().ConfChangesRejected
	}
	leader.Store().HandleRaftBatch(ctx, &kvpb.RaftMessageBatch{FromNodeId: uint64(holder.ID), ToNodeId: uint64(leader.ID),
		Requests: []*kvpb.RaftMessageRequest{dup}})
	for _, n := range c.Nodes[:3] {
		// Until the copy is rejected, or (wrongly) applied.
		require.Eventually(t, func() bool {
			return n.Store().Metrics().ConfChangesRejected > before[n.ID] || descOn(n).String() != desc.String()
		}, 10*time.Second, 5*time.Millisecond, "n%d never applied the stale copy's entry", n.ID)
		require.Equal(t, desc.String(), descOn(n).String(), "n%d", n.ID)
	}
	// Raft's configuration agrees with the descriptor: the learner can be
	// added again (a raft that still had it would ignore the change, or
	// panic on a later one) and the range serves writes.
	desc, err = holder.Store().ChangeReplicas(ctx, ranges.FirstRangeID, learnerChange(kvpb.ReplicaChangeType_ADD_VOTER, n4), 0)
	require.NoError(t, err)
	rep, ok := desc.ReplicaByStore(n4.StoreID)
	require.True(t, ok)
	require.Equal(t, kvpb.ReplicaType_VOTER, rep.GetType())
	require.NoError(t, c.Put(ctx, "after", "dup"))
}
