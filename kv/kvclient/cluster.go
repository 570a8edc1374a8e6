package kvclient

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
	"google.golang.org/grpc"
)

// connFunc returns the pooled connection to an address (the transport's).
type connFunc func(addr string) (*grpc.ClientConn, error)

// directory learns the cluster from the nodes given to NewDB: node
// addresses from Admin.NodeStatus (the NodeResolver of the transport) and
// the descriptor of range 1 from Admin.RangeInfo (the DistSender's
// FirstRange). It asks the seeds first, then every node it learned of.
type directory struct {
	seeds   []string
	conn    connFunc
	timeout time.Duration // one admin RPC
	backoff backoffConfig

	mu struct {
		sync.Mutex
		nodes map[kvpb.NodeID]string
		// refreshed is when nodes was last refreshed from NodeStatus.
		refreshed time.Time
		// next rotates the starting address, spreading lookups.
		next int
		// inflight is closed when the NodeStatus refresh in flight ends.
		inflight chan struct{}
	}
}

type backoffConfig struct{ initial, max time.Duration }

func newDirectory(seeds []string, conn connFunc, timeout time.Duration, b backoffConfig) *directory {
	d := &directory{seeds: slices.Clone(seeds), conn: conn, timeout: timeout, backoff: b}
	d.mu.nodes = map[kvpb.NodeID]string{}
	return d
}

// addrs returns the addresses to ask, seeds then learned nodes, starting
// at a rotating position.
func (d *directory) addrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	all := slices.Clone(d.seeds)
	var learned []string
	for _, a := range d.mu.nodes {
		if !slices.Contains(all, a) && !slices.Contains(learned, a) {
			learned = append(learned, a)
		}
	}
	slices.Sort(learned)
	all = append(all, learned...)
	start := d.mu.next % len(all)
	d.mu.next++
	return append(all[start:], all[:start]...)
}

// resolve is the transport's NodeResolver.
func (d *directory) resolve(ctx context.Context, id kvpb.NodeID) (string, error) {
	d.mu.Lock()
	a, ok := d.mu.nodes[id]
	d.mu.Unlock()
	if ok {
		return a, nil
	}
	if err := d.refresh(ctx); err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.mu.nodes[id]; ok {
		return a, nil
	}
	return "", fmt.Errorf("kvclient: no node knows the address of n%d", id)
}

// refresh asks one node after another for the cluster's node list, at
// most once per 100ms; concurrent callers wait for the refresh in flight.
func (d *directory) refresh(ctx context.Context) error {
	d.mu.Lock()
	if time.Since(d.mu.refreshed) < 100*time.Millisecond {
		d.mu.Unlock()
		return nil
	}
	if ch := d.mu.inflight; ch != nil {
		d.mu.Unlock()
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ch := make(chan struct{})
	d.mu.inflight = ch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.mu.inflight = nil
		d.mu.Unlock()
		close(ch)
	}()
	var last error
	for _, a := range d.addrs() {
		if ctx.Err() != nil {
			break
		}
		resp, err := d.nodeStatus(ctx, a)
		if err != nil {
			last = err
			continue
		}
		d.mu.Lock()
		for _, n := range resp.GetNodes() {
			if desc := n.GetDesc(); desc.GetNodeId() != 0 && desc.GetAddress() != "" {
				d.mu.nodes[desc.NodeID()] = desc.GetAddress()
			}
		}
		d.mu.refreshed = time.Now()
		d.mu.Unlock()
		return nil
	}
	if last == nil {
		last = ctx.Err()
	}
	return fmt.Errorf("kvclient: listing nodes: %w", last)
}

func (d *directory) nodeStatus(ctx context.Context, addr string) (*kvpb.NodeStatusResponse, error) {
	conn, err := d.conn(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	return kvpb.NewAdminClient(conn).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
}

// firstRange is the DistSender's FirstRangeFunc: it asks the nodes for
// their replica of range 1, backing off between rounds until ctx ends
// (then *kvpb.UnavailableError). The first answer wins: a stale one is
// repaired by the DistSender, which forgets range 1 when it stops
// answering.
func (d *directory) firstRange(ctx context.Context) (*kvpb.RangeDescriptor, error) {
	wait := d.backoff.initial
	var last error
	for {
		var best *kvpb.RangeDescriptor
		for _, a := range d.addrs() {
			if ctx.Err() != nil {
				break
			}
			desc, err := d.rangeOne(ctx, a)
			if err != nil {
				last = err
				continue
			}
			if desc != nil {
				best = desc
				break
			}
		}
		if best != nil {
			return best, nil
		}
		if last == nil {
			last = fmt.Errorf("no node has a replica of range 1 yet")
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &kvpb.UnavailableError{RangeId: 1, Reason: fmt.Sprintf("locating range 1: %v (last error: %v)", ctx.Err(), last)}
		case <-t.C:
		}
		wait = min(2*wait, d.backoff.max)
	}
}

func (d *directory) rangeOne(ctx context.Context, addr string) (*kvpb.RangeDescriptor, error) {
	conn, err := d.conn(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	resp, err := kvpb.NewAdminClient(conn).RangeInfo(ctx, &kvpb.RangeInfoRequest{RangeId: 1})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	for _, ri := range resp.GetRanges() {
		if ri.GetDesc().GetRangeId() == 1 {
			return ri.GetDesc(), nil
		}
	}
	return nil, nil
}
