package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvcoord"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestDistSenderOnCluster runs the kv client's DistSender against a real
// three-node cluster: it finds range 1 through the Admin service, writes
// and pages through rows forward and reverse, and keeps every row
// readable after the leaseholder's node stops.
func TestDistSenderOnCluster(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := admin(t, c.addrs[0]).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	addrs := map[kvpb.NodeID]string{}
	waitFor(t, 30*time.Second, "3 voters on 3 nodes", func() error {
		st, err := admin(t, c.addrs[0]).NodeStatus(ctx, &kvpb.NodeStatusRequest{})
		if err != nil {
			return err
		}
		for _, n := range st.GetNodes() {
			if !n.GetLive() || n.GetReplicaCount() != 1 {
				return fmt.Errorf("%v", st)
			}
			if err := threeVoters(ctx, t, n.GetDesc().GetAddress()); err != nil {
				return err
			}
			addrs[kvpb.NodeID(n.GetDesc().GetNodeId())] = n.GetDesc().GetAddress()
		}
		if len(addrs) != 3 {
			return fmt.Errorf("%d nodes", len(addrs))
		}
		return nil
	})
	resolve := func(_ context.Context, id kvpb.NodeID) (string, error) {
		a, ok := addrs[id]
		if !ok {
			return "", fmt.Errorf("unknown node n%d", id)
		}
		return a, nil
	}
	firstRange := func(ctx context.Context) (*kvpb.RangeDescriptor, error) {
		var last error
		for i, s := range c.nodes {
			if s == nil {
				continue
			}
			resp, err := admin(t, c.addrs[i]).RangeInfo(ctx, &kvpb.RangeInfoRequest{RangeId: 1})
			if err == nil && len(resp.GetRanges()) > 0 {
				return resp.GetRanges()[0].GetDesc(), nil
			}
			last = err
		}
		return nil, fmt.Errorf("no node knows range 1: %v", last)
	}
	waitFor(t, 30*time.Second, "range 1 with 3 voters", func() error {
		d, err := firstRange(ctx)
		if err != nil {
			return err
		}
		voters := 0
		for _, r := range d.GetReplicas() {
			if r.GetType() == kvpb.ReplicaType_VOTER {
				voters++
			}
		}
		if voters != 3 {
			return fmt.Errorf("range 1 is %v", d)
		}
		return nil
	})
	tr := kvcoord.NewGRPCTransport(resolve)
	defer tr.Close()
	ds := kvcoord.New(kvcoord.Config{Transport: tr, FirstRange: firstRange,
		Clock: hlc.NewWallClock(hlc.DefaultMaxOffset), RequestTimeout: 15 * time.Second})

	var reqs []*kvpb.RequestUnion
	for i := 0; i < 300; i++ {
		reqs = append(reqs, &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Put{Put: &kvpb.PutRequest{
			Key: []byte(fmt.Sprintf("row/%04d", i)), Value: []byte(fmt.Sprintf("v%d", i))}}})
	}
	_, err = ds.Send(ctx, &kvpb.BatchRequest{Requests: reqs})
	require.NoError(t, err)

	checkAll := func() {
		t.Helper()
		for _, reverse := range []bool{false, true} {
			var got []string
			key, end := []byte("row/"), []byte("row0")
			for page := 0; page < 100; page++ {
				var r *kvpb.RequestUnion
				if reverse {
					r = &kvpb.RequestUnion{Value: &kvpb.RequestUnion_ReverseScan{ReverseScan: &kvpb.ReverseScanRequest{Key: key, EndKey: end, MaxKeys: 70}}}
				} else {
					r = &kvpb.RequestUnion{Value: &kvpb.RequestUnion_Scan{Scan: &kvpb.ScanRequest{Key: key, EndKey: end, MaxKeys: 70}}}
				}
				pctx, pcancel := context.WithTimeout(ctx, 20*time.Second)
				br, err := ds.Send(pctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{r}})
				pcancel()
				require.NoError(t, err)
				var rows []*kvpb.KeyValue
				var resume *kvpb.Span
				if reverse {
					rows, resume = br.GetResponses()[0].GetReverseScan().GetRows(), br.GetResponses()[0].GetReverseScan().GetResumeSpan()
				} else {
					rows, resume = br.GetResponses()[0].GetScan().GetRows(), br.GetResponses()[0].GetScan().GetResumeSpan()
				}
				for _, kv := range rows {
					got = append(got, string(kv.GetKey()))
				}
				if resume == nil {
					break
				}
				key, end = resume.GetKey(), resume.GetEndKey()
			}
			require.Len(t, got, 300, "reverse=%v", reverse)
			for i := range got {
				want := fmt.Sprintf("row/%04d", i)
				if reverse {
					want = fmt.Sprintf("row/%04d", 299-i)
				}
				require.Equal(t, want, got[i])
			}
		}
	}
	checkAll()

	// Stop the leaseholder's node: the DistSender fails over.
	holder := -1
	for i, s := range c.nodes {
		if st := s.store(); st != nil && st.Metrics().LeaseCount > 0 {
			holder = i
		}
	}
	require.GreaterOrEqual(t, holder, 0)
	c.stop(holder)
	checkAll()
	_, err = ds.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{{Value: &kvpb.RequestUnion_Get{Get: &kvpb.GetRequest{Key: []byte("\x01local")}}}}})
	var inv *kvpb.InvalidRequestError
	require.True(t, errors.As(err, &inv), "%v", err)
}
