package driver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement"
	"github.com/tesseradb/tessera/placement/settings"
	"google.golang.org/grpc"
)

// adminRecorder is an Admin client of one node that records which node
// got each ChangeReplicas / TransferLease.
type adminRecorder struct {
	kvpb.AdminClient // other methods are not called
	node             kvpb.NodeID
	got              *[]kvpb.NodeID
}

func (a adminRecorder) ChangeReplicas(context.Context, *kvpb.ChangeReplicasRequest, ...grpc.CallOption) (*kvpb.ChangeReplicasResponse, error) {
	*a.got = append(*a.got, a.node)
	return &kvpb.ChangeReplicasResponse{}, nil
}

func (a adminRecorder) TransferLease(context.Context, *kvpb.TransferLeaseRequest, ...grpc.CallOption) (*kvpb.TransferLeaseResponse, error) {
	*a.got = append(*a.got, a.node)
	return &kvpb.TransferLeaseResponse{}, nil
}

// TestAdminRunnerFollowsItsLeaseTransfer: the planner's operator that
// moves a decommissioning leaseholder's replica (s3) transfers the lease
// and then removes s3; all its steps start from one snapshot, which still
// names s3 as leaseholder. Every step after the transfer must go to the
// new leaseholder's node, never to s3's (which used to get the remove of
// its own replica); a step from a later snapshot follows that snapshot.
func TestAdminRunnerFollowsItsLeaseTransfer(t *testing.T) {
	var got []kvpb.NodeID
	a := &AdminRunner{Dial: func(_ context.Context, n kvpb.NodeID) (kvpb.AdminClient, error) {
		return adminRecorder{node: n, got: &got}, nil
	}}
	snap := func() *placement.Snapshot {
		s := &placement.Snapshot{Now: time.Unix(1000, 0), Settings: settings.Defaults()}
		for i := 1; i <= 4; i++ {
			st := placement.Store{ID: kvpb.StoreID(i), Node: kvpb.NodeID(10 + i), Liveness: placement.Live}
			st.Capacity.Total, st.Capacity.Available = 100<<30, 90<<30
			if i == 3 {
				st.Liveness = placement.Decommissioning
			}
			s.Stores = append(s.Stores, st)
		}
		s.Ranges = []placement.Range{{ID: 7, StartKey: []byte("a"), Leaseholder: 3,
			Replicas: []placement.Replica{{Store: 1, ID: 1}, {Store: 2, ID: 2}, {Store: 3, ID: 3}}}}
		s.Index()
		return s
	}
	ctx := context.Background()
	s := snap()
	ops := (&placement.Planner{}).Plan(s, nil)
	require.Len(t, ops, 1, "%v", ops)
	var want []kvpb.NodeID
	lh, transferred := kvpb.NodeID(13), false
	for _, step := range ops[0].Steps {
		switch st := step.(type) {
		case placement.TransferLease:
			want = append(want, lh)
			lh, transferred = kvpb.NodeID(10+st.Target), true
			require.NoError(t, a.RunStep(ctx, s, step))
			continue
		case placement.RemoveReplica:
			require.True(t, transferred, "s3 is removed after its lease moved: %v", ops[0])
		}
		want = append(want, lh)
		require.NoError(t, a.RunStep(ctx, s, step))
	}
	require.True(t, transferred, "%v", ops[0])
	require.Equal(t, want, got, "%v", ops[0])
	require.NotEqual(t, kvpb.NodeID(13), got[len(got)-1])

	got = nil
	s2 := snap() // a later snapshot (still showing s3 as leaseholder: its view wins)
	require.NoError(t, a.RunStep(ctx, s2, ops[0].Steps[len(ops[0].Steps)-1]))
	require.Equal(t, []kvpb.NodeID{13}, got)
}
