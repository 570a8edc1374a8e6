package kvcoord

import (
	"context"
	"errors"
	"testing"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// fakeLocal serves node's replicas; with fail, it serves them with err.
type fakeLocal struct {
	node uint64
	fail error
}

func (f fakeLocal) SendLocal(_ context.Context, rep *kvpb.ReplicaDescriptor, _ *kvpb.BatchRequest) (*kvpb.BatchResponse, bool, error) {
	if rep.GetNodeId() != f.node {
		return nil, false, nil
	}
	if f.fail != nil {
		return nil, true, f.fail
	}
	return &kvpb.BatchResponse{Now: &kvpb.Timestamp{WallTime: 1}}, true, nil
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

// TestLocalFirstFailureIsNotResent: a batch served in process that failed
// is not sent again over the network (it may have been applied); the
// failure is a SendError that counts as sent, so the DistSender reports a
// non-idempotent batch as ambiguous instead of retrying it.
func TestLocalFirstFailureIsNotResent(t *testing.T) {
	remote := &fakeRemote{}
	boom := errors.New("boom")
	tr := LocalFirst(fakeLocal{node: 1, fail: boom}, remote)
	_, err := tr.SendTo(context.Background(), &kvpb.ReplicaDescriptor{NodeId: 1}, &kvpb.BatchRequest{})
	var se *SendError
	if !errors.As(err, &se) || !se.Sent || !errors.Is(err, boom) || remote.calls != 0 {
		t.Fatalf("err=%v (SendError %v) remote calls=%d", err, se, remote.calls)
	}
	if !maybeSent(err) {
		t.Fatalf("a failed in-process batch must count as possibly applied")
	}
}
