package kvcoord

import (
	"context"
	"testing"

	"github.com/tesseradb/tessera/kv/kvpb"
)

type fakeLocal struct{ node uint64 }

func (f fakeLocal) SendLocal(_ context.Context, rep *kvpb.ReplicaDescriptor, _ *kvpb.BatchRequest) (*kvpb.BatchResponse, bool) {
	if rep.GetNodeId() != f.node {
		return nil, false
	}
	return &kvpb.BatchResponse{Now: &kvpb.Timestamp{WallTime: 1}}, true
}

type fakeRemote struct{ calls int }

func (f *fakeRemote) SendTo(context.Context, *kvpb.ReplicaDescriptor, *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	f.calls++
	return &kvpb.BatchResponse{Now: &kvpb.Timestamp{WallTime: 2}}, nil
}

// TestLocalFirst: a replica on the local node is served in process, any
// other goes to the next transport.
func TestLocalFirst(t *testing.T) {
	remote := &fakeRemote{}
	tr := LocalFirst(fakeLocal{node: 1}, remote)
	ctx := context.Background()
	br, err := tr.SendTo(ctx, &kvpb.ReplicaDescriptor{NodeId: 1}, &kvpb.BatchRequest{})
	if err != nil || br.GetNow().GetWallTime() != 1 || remote.calls != 0 {
		t.Fatalf("local replica: br=%v err=%v remote calls=%d", br, err, remote.calls)
	}
	br, err = tr.SendTo(ctx, &kvpb.ReplicaDescriptor{NodeId: 2}, &kvpb.BatchRequest{})
	if err != nil || br.GetNow().GetWallTime() != 2 || remote.calls != 1 {
		t.Fatalf("remote replica: br=%v err=%v remote calls=%d", br, err, remote.calls)
	}
}
