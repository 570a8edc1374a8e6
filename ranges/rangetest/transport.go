package rangetest

import (
	"context"
	"fmt"
	"math/rand"
	"sync"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges"
)

// faultTransport wraps a node's transport with the cluster's partitions
// and drop rate (on the sending side, which covers both directions since
// every node's sends are filtered).
type faultTransport struct {
	inner ranges.Transport
	c     *Cluster
	from  kvpb.NodeID
	mu    sync.Mutex
	rng   *rand.Rand
}

func (f *faultTransport) allowed(to kvpb.NodeID) bool {
	f.c.mu.Lock()
	blocked, drop := f.c.mu.blocked[[2]kvpb.NodeID{f.from, to}] || f.c.mu.crashing[f.from], f.c.mu.drop
	f.c.mu.Unlock()
	if blocked {
		return false
	}
	if drop > 0 {
		f.mu.Lock()
		if f.rng == nil {
			f.rng = rand.New(rand.NewSource(f.c.cfg.Seed*31 + int64(f.from)))
		}
		d := f.rng.Float64() < drop
		f.mu.Unlock()
		return !d
	}
	return true
}

func (f *faultTransport) Send(to kvpb.NodeID, b *kvpb.RaftMessageBatch) {
	if !f.allowed(to) {
		return
	}
	f.c.mu.Lock()
	filter := f.c.mu.filter
	f.c.mu.Unlock()
	if filter != nil {
		if b = filterBatch(b, f.from, to, filter); b == nil {
			return
		}
	}
	f.inner.Send(to, b)
}

// filterBatch returns b without the requests filter refuses (nil when none
// is left). A request whose message does not decode is kept.
func filterBatch(b *kvpb.RaftMessageBatch, from, to kvpb.NodeID, filter MessageFilter) *kvpb.RaftMessageBatch {
	var keep []*kvpb.RaftMessageRequest
	for _, req := range b.GetRequests() {
		m := &raftpb.Message{}
		if err := proto.Unmarshal(req.GetMessage(), m); err == nil && !filter(from, to, req, m) {
			continue
		}
		keep = append(keep, req)
	}
	if len(keep) == 0 {
		return nil
	}
	if len(keep) == len(b.GetRequests()) {
		return b
	}
	out := proto.Clone(b).(*kvpb.RaftMessageBatch)
	out.Requests = keep
	return out
}

func (f *faultTransport) OpenSnapshot(ctx context.Context, to kvpb.NodeID) (ranges.SnapshotStream, error) {
	f.c.mu.Lock()
	blocked := f.c.mu.blocked[[2]kvpb.NodeID{f.from, to}] || f.c.mu.crashing[f.from]
	f.c.mu.Unlock()
	if blocked {
		return nil, fmt.Errorf("%w: partitioned", ranges.ErrNodeUnreachable)
	}
	return f.inner.OpenSnapshot(ctx, to)
}

func (f *faultTransport) SetResponseHandler(h func(*kvpb.RaftMessageResponse)) {
	f.inner.SetResponseHandler(h)
}

func (f *faultTransport) Close() { f.inner.Close() }
