package rangetest

import (
	"context"
	"errors"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// sendTo sends a batch to one node (gRPC or direct call). A node that
// crashes while serving it (Crash) gives no reply: what it did after the
// crash image was taken did not happen. What it did before may have: a
// write it had proposed and sent to the followers can commit without it,
// so a write's outcome is then unknown (AmbiguousResultError; retrying it
// as if it had not happened would make a CPut that did apply report a
// failed condition). A read is simply unavailable there.
func (c *Cluster) sendTo(ctx context.Context, n *Node, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	crashes := n.crashes.Load()
	br, err := c.sendToOnce(ctx, n, ba)
	if n.crashes.Load() != crashes {
		for _, req := range ba.GetRequests() {
			if req.IsWrite() {
				return nil, &kvpb.AmbiguousResultError{RangeId: ba.GetHeader().GetRangeId(), Reason: "node crashed with the write in flight"}
			}
		}
		return nil, &kvpb.UnavailableError{RangeId: ba.GetHeader().GetRangeId(), Reason: "node crashed"}
	}
	return br, err
}

func (c *Cluster) sendToOnce(ctx context.Context, n *Node, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	n.mu.Lock()
	store, conn, running := n.mu.store, n.mu.conn, n.mu.running
	n.mu.Unlock()
	if !running {
		return nil, &kvpb.UnavailableError{RangeId: ba.GetHeader().GetRangeId(), Reason: "node down"}
	}
	if c.cfg.Transport == Mem {
		return store.Send(ctx, ba)
	}
	br, err := kvpb.NewInternalClient(conn).Batch(ctx, ba)
	if err != nil {
		return nil, &kvpb.UnavailableError{RangeId: ba.GetHeader().GetRangeId(), Reason: err.Error()}
	}
	if br.GetError() != nil {
		return nil, br.GetError().GoError()
	}
	return br, nil
}

// Send routes a batch to the range's leaseholder: it follows
// NotLeaseholder hints and tries other nodes on errors that mean "not
// here" (node down, range not found, no lease here), until ctx ends. Each
// attempt is bounded by Config.AttemptTimeout. Other errors (condition
// failed, ambiguous, invalid …) are returned.
func (c *Cluster) Send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error) {
	c.mu.Lock()
	target := c.mu.cachedLH
	next := c.mu.rr
	c.mu.rr++
	c.mu.Unlock()
	var lastErr error
	backoff := time.NewTimer(0)
	defer backoff.Stop()
	<-backoff.C
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			if lastErr == nil {
				lastErr = ctx.Err()
			}
			return nil, &kvpb.UnavailableError{RangeId: ba.GetHeader().GetRangeId(), Reason: "deadline: " + lastErr.Error()}
		}
		if target == nil {
			target = c.Nodes[next%len(c.Nodes)]
			next++
		}
		actx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
		br, err := c.sendTo(actx, target, ba)
		cancel()
		if err == nil {
			c.mu.Lock()
			c.mu.cachedLH = target
			c.mu.Unlock()
			return br, nil
		}
		c.mu.Lock()
		if c.mu.cachedLH == target {
			c.mu.cachedLH = nil
		}
		c.mu.Unlock()
		lastErr = err
		var nle *kvpb.NotLeaseholderError
		var rnf *kvpb.RangeNotFoundError
		var una *kvpb.UnavailableError
		switch {
		case errors.As(err, &nle):
			prev := target
			target = nil
			if lh := nle.GetLeaseholder(); lh != nil && lh.GetNodeId() != uint64(c.nodeIDOf(prev)) &&
				lh.GetNodeId() > 0 && int(lh.GetNodeId()) <= len(c.Nodes) {
				target = c.Nodes[lh.GetNodeId()-1]
			}
		case errors.As(err, &rnf), errors.As(err, &una):
			target = nil
		default:
			var amb *kvpb.AmbiguousResultError
			if errors.As(err, &amb) {
				c.mu.Lock()
				c.mu.rr++ // try another node first next time
				c.mu.Unlock()
			}
			return nil, err
		}
		if attempt > 0 && attempt%len(c.Nodes) == 0 {
			backoff.Reset(5 * time.Millisecond)
			select {
			case <-backoff.C:
			case <-ctx.Done():
			}
		}
	}
}

func (c *Cluster) nodeIDOf(n *Node) kvpb.NodeID {
	if n == nil {
		return 0
	}
	return n.ID
}

func (c *Cluster) batch(reqs ...*kvpb.RequestUnion) *kvpb.BatchRequest {
	return &kvpb.BatchRequest{Header: &kvpb.Header{RangeId: 1}, Requests: reqs, Now: kvpb.TS(c.clock.Now())}
}

// Put writes key=value on range 1. A blind write is safe to retry, so an
// ambiguous attempt is retried until ctx ends.
func (c *Cluster) Put(ctx context.Context, key, value string) error {
	for {
		_, err := c.Send(ctx, c.batch(kvpb.NewPut([]byte(key), []byte(value))))
		var amb *kvpb.AmbiguousResultError
		if !errors.As(err, &amb) || ctx.Err() != nil {
			return err
		}
	}
}

// Get reads key on range 1.
func (c *Cluster) Get(ctx context.Context, key string) (value string, found bool, err error) {
	br, err := c.Send(ctx, c.batch(kvpb.NewGet([]byte(key))))
	if err != nil {
		return "", false, err
	}
	g := br.GetResponses()[0].GetGet()
	return string(g.GetValue()), g.GetFound(), nil
}

// CPut conditionally writes key=value if it currently is exp (nil: absent).
func (c *Cluster) CPut(ctx context.Context, key, value string, exp *string) error {
	var e []byte
	if exp != nil {
		e = []byte(*exp)
	}
	_, err := c.Send(ctx, c.batch(kvpb.NewConditionalPut([]byte(key), []byte(value), e)))
	return err
}

// Scan reads [start, end) on range 1.
func (c *Cluster) Scan(ctx context.Context, start, end string) ([]*kvpb.KeyValue, error) {
	br, err := c.Send(ctx, c.batch(kvpb.NewScan([]byte(start), []byte(end), 0)))
	if err != nil {
		return nil, err
	}
	return br.GetResponses()[0].GetScan().GetRows(), nil
}
