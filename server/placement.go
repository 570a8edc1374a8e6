package server

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement"
	"github.com/tesseradb/tessera/placement/driver"
	"github.com/tesseradb/tessera/placement/liveness"
	pb "github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/placement/settings"
	"github.com/tesseradb/tessera/ranges"
)

// placementKV gives the driver its KV through the node's DistSender, so
// that system keys are found in whatever range holds them after splits.
type placementKV struct{ s *Server }

func (k placementKV) one(ctx context.Context, req *kvpb.RequestUnion) (*kvpb.ResponseUnion, error) {
	br, err := k.s.ds.Send(ctx, &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{req}})
	if err != nil {
		return nil, err
	}
	if len(br.GetResponses()) != 1 {
		return nil, fmt.Errorf("server: %d responses to one request", len(br.GetResponses()))
	}
	return br.GetResponses()[0], nil
}

func (k placementKV) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	r, err := k.one(ctx, kvpb.NewGet(key))
	if err != nil {
		return nil, false, err
	}
	return r.GetGet().GetValue(), r.GetGet().GetFound(), nil
}

func (k placementKV) Put(ctx context.Context, key, value []byte) error {
	_, err := k.one(ctx, kvpb.NewPut(key, value))
	return err
}

func (k placementKV) CPut(ctx context.Context, key, value, exp []byte) error {
	_, err := k.one(ctx, kvpb.NewConditionalPut(key, value, exp))
	return err
}

func (k placementKV) Scan(ctx context.Context, start, end []byte) ([]driver.KeyValue, error) {
	r, err := k.one(ctx, kvpb.NewScan(start, end, 0))
	if err != nil {
		return nil, err
	}
	rows := r.GetScan().GetRows()
	out := make([]driver.KeyValue, len(rows))
	for i, kv := range rows {
		out[i] = driver.KeyValue{Key: kv.GetKey(), Value: kv.GetValue()}
	}
	return out, nil
}

// wallNanos is the node's clock for liveness and the placement lease.
func (s *Server) wallNanos() int64 { return s.clock.Now().WallTime }

// startPlacement starts liveness heartbeats and the placement driver of a
// running node (see the package doc); both stop with the server.
func (s *Server) startPlacement(nodeID kvpb.NodeID) {
	kv := placementKV{s}
	s.heartbeater = liveness.NewHeartbeater(liveness.Config{NodeID: nodeID, KV: kv, Clock: s.wallNanos,
		Duration: s.cfg.Knobs.LivenessDuration, Logger: s.log})
	runner := &driver.AdminRunner{Dial: func(ctx context.Context, node kvpb.NodeID) (kvpb.AdminClient, error) {
		addr, err := s.book.lookup(node)
		if err != nil {
			return nil, err
		}
		conn, err := s.peers.Conn(addr)
		if err != nil {
			return nil, err
		}
		return kvpb.NewAdminClient(conn), nil
	}, SplitMerger: splitMerger{s}}
	drv := driver.New(driver.Config{
		NodeID: nodeID, Addr: s.addr, KV: kv, Clock: s.wallNanos, MaxOffset: s.clock.MaxOffset(),
		Settings: s.settings, Statuses: s.storeStatuses, Runner: runner,
		NoSplitMerge:  runner.SplitMerger == nil,
		Interval:      s.cfg.Knobs.PlacementInterval,
		LeaseDuration: s.cfg.Knobs.PlacementLeaseDuration,
		MaxStepTime:   s.cfg.Knobs.PlacementMaxStepTime,
		Seed:          int64(nodeID), Logger: s.log,
	})
	s.mu.Lock()
	s.mu.driver = drv
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		<-s.stopper
		cancel()
	}()
	go func() {
		defer s.wg.Done()
		s.heartbeater.Run(ctx)
	}()
	go func() {
		defer s.wg.Done()
		if s.cfg.Knobs.DisablePlacementDriver {
			// Settings are still read by every node.
			for s.sleep(s.cfg.Knobs.MaintenanceInterval) {
				lctx, cancel := s.stopCtx(context.Background(), 5*time.Second)
				_ = driver.LoadSettings(lctx, kv, s.settings, s.log)
				cancel()
			}
			return
		}
		drv.Run(ctx)
	}()
}

func (s *Server) placementDriver() *driver.Driver {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.driver
}

// localStoreStatus is this store's report.
func (s *Server) localStoreStatus() (*pb.StoreStatusResponse, error) {
	st := s.store()
	if st == nil {
		return nil, errors.New("store not running")
	}
	resp := &pb.StoreStatusResponse{NodeId: uint64(st.NodeID()), StoreId: uint64(st.StoreID()), Draining: s.draining.Load()}
	resp.CapacityTotal, resp.CapacityAvailable, resp.CapacityUsed = s.capacity.get(time.Now())
	resp.Ranges = st.RangeInfo(0)
	for _, ri := range resp.Ranges {
		if ri.GetDesc() == nil {
			continue
		}
		resp.RangeCount++
		resp.LogicalBytes += ri.GetLiveBytes()
		if ri.GetLeaseValid() && ri.GetLease().GetReplica().GetStoreId() == ri.GetStoreId() {
			resp.LeaseCount++
		}
	}
	maxBytes := s.settings.Values().RangeMaxBytes
	big := map[kvpb.RangeID]*kvpb.RangeInfo{}
	for _, ri := range resp.Ranges {
		if ri.GetLiveBytes() > maxBytes {
			big[ri.GetDesc().ID()] = ri
		}
	}
	for _, l := range st.LoadInfo() {
		rl := &pb.RangeLoad{RangeId: uint64(l.RangeID), Qps: l.QPS, WritesPerSec: l.WritesPerSec}
		if ri, ok := big[l.RangeID]; ok {
			rl.SizeSplitKey = s.sizeSplitKey(st, ri.GetDesc())
		}
		for _, k := range l.Samples {
			rl.Samples = append(rl.Samples, &pb.KeySample{Key: k, Count: 1})
		}
		resp.Loads = append(resp.Loads, rl)
		resp.Qps += l.QPS
		resp.WritesPerSec += l.WritesPerSec
	}
	return resp, nil
}

// sizeSplitKey returns the size split key of a range, computed once per
// descriptor generation (it reads the whole range).
func (s *Server) sizeSplitKey(st *ranges.Store, d *kvpb.RangeDescriptor) []byte {
	s.splitKeys.Lock()
	defer s.splitKeys.Unlock()
	if s.splitKeys.m == nil {
		s.splitKeys.m = map[kvpb.RangeID]cachedSplitKey{}
	}
	if c, ok := s.splitKeys.m[d.ID()]; ok && c.generation == d.GetGeneration() {
		return c.key
	}
	key, err := st.SizeSplitKey(d.ID())
	if err != nil {
		s.log.Warn("finding a size split key", "range", d.ID(), "err", err)
		return nil
	}
	s.splitKeys.m[d.ID()] = cachedSplitKey{generation: d.GetGeneration(), key: key}
	return key
}

type cachedSplitKey struct {
	generation uint64
	key        []byte
}

// splitMerger performs the driver's Split and Merge steps through this
// node's range admin commands (which forward to the leaseholder).
type splitMerger struct{ s *Server }

func (m splitMerger) Split(ctx context.Context, _ kvpb.RangeID, key []byte) error {
	_, err := (&adminServer{s: m.s}).AdminSplit(ctx, &kvpb.AdminSplitRequest{SplitKey: key})
	return err
}

func (m splitMerger) Merge(ctx context.Context, left kvpb.RangeID) error {
	_, err := (&adminServer{s: m.s}).AdminMerge(ctx, &kvpb.AdminMergeRequest{RangeId: uint64(left)})
	return err
}

// storeStatuses gathers the report of every node in the address book that
// answers within the peer timeout.
func (s *Server) storeStatuses(ctx context.Context) []*pb.StoreStatusResponse {
	nodes := s.book.all()
	self := s.NodeID()
	out := make([]*pb.StoreStatusResponse, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n.ID == self {
				out[i], _ = s.localStoreStatus()
				return
			}
			conn, err := s.peers.Conn(n.Addr)
			if err != nil {
				return
			}
			cctx, cancel := context.WithTimeout(ctx, s.cfg.Knobs.PeerTimeout)
			defer cancel()
			out[i], _ = pb.NewPlacementClient(conn).StoreStatus(cctx, &pb.StoreStatusRequest{})
		}()
	}
	wg.Wait()
	res := out[:0]
	for _, r := range out {
		if r != nil {
			res = append(res, r)
		}
	}
	return res
}

// placementServer serves placementpb.Placement.
type placementServer struct {
	pb.UnimplementedPlacementServer
	s *Server
}

func (p *placementServer) running() (*driver.Driver, error) {
	if p.s.store() == nil {
		return nil, status.Error(codes.Unavailable, "node not running yet")
	}
	d := p.s.placementDriver()
	if d == nil {
		return nil, status.Error(codes.Unavailable, "placement driver not started yet")
	}
	return d, nil
}

func (p *placementServer) kv() placementKV { return placementKV{p.s} }

func (p *placementServer) StoreStatus(context.Context, *pb.StoreStatusRequest) (*pb.StoreStatusResponse, error) {
	resp, err := p.s.localStoreStatus()
	if err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return resp, nil
}

func (p *placementServer) Liveness(ctx context.Context, _ *pb.LivenessRequest) (*pb.LivenessResponse, error) {
	if _, err := p.running(); err != nil {
		return nil, err
	}
	recs, err := liveness.Scan(ctx, p.kv())
	if err != nil {
		return nil, kvStatus("reading liveness", err)
	}
	now := p.s.wallNanos()
	tusd := p.s.settings.Values().TimeUntilStoreDead
	resp := &pb.LivenessResponse{NowNanos: now}
	for _, r := range recs {
		resp.Nodes = append(resp.Nodes, &pb.NodeLivenessStatus{Record: r, State: liveness.State(r, now, tusd)})
	}
	if d := p.s.placementDriver(); d != nil {
		resp.PlacementLease = d.Lease().Current()
	}
	return resp, nil
}

func settingPB(e settings.Entry) *pb.Setting {
	return &pb.Setting{Name: e.Name, Value: e.Value, Default: e.Default, Kind: e.Kind.String(), Description: e.Description}
}

func (p *placementServer) ListSettings(ctx context.Context, _ *pb.ListSettingsRequest) (*pb.ListSettingsResponse, error) {
	if _, err := p.running(); err != nil {
		return nil, err
	}
	if err := driver.LoadSettings(ctx, p.kv(), p.s.settings, p.s.log); err != nil {
		return nil, kvStatus("reading cluster settings", err)
	}
	resp := &pb.ListSettingsResponse{}
	for _, e := range p.s.settings.List() {
		resp.Settings = append(resp.Settings, settingPB(e))
	}
	return resp, nil
}

func (p *placementServer) SetSetting(ctx context.Context, req *pb.SetSettingRequest) (*pb.SetSettingResponse, error) {
	if _, err := p.running(); err != nil {
		return nil, err
	}
	e, err := driver.StoreSetting(ctx, p.kv(), p.s.settings, req.GetName(), req.GetValue())
	var se *settings.Error
	if errors.As(err, &se) {
		if errors.Is(err, settings.ErrUnknownSetting) {
			return nil, status.Error(codes.NotFound, err.Error())
		}
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err != nil {
		return nil, kvStatus("storing the setting", err)
	}
	p.s.log.Info("cluster setting changed", "name", e.Name, "value", e.Value)
	return &pb.SetSettingResponse{Setting: settingPB(e)}, nil
}

// Drain marks this node draining (its liveness record: the driver gives
// it no leases or replicas) and moves the leases it holds to other live
// voters, one round per call; the caller repeats until none is left.
func (p *placementServer) Drain(ctx context.Context, req *pb.DrainRequest) (*pb.DrainResponse, error) {
	if _, err := p.running(); err != nil {
		return nil, err
	}
	s := p.s
	if _, err := liveness.SetDraining(ctx, p.kv(), s.NodeID(), !req.GetUndo()); err != nil {
		return nil, kvStatus("marking the node draining", err)
	}
	if req.GetUndo() {
		s.draining.Store(false)
		s.log.Info("node no longer draining")
		return &pb.DrainResponse{}, nil
	}
	if !s.draining.Swap(true) {
		s.log.Info("node draining: moving leases away")
		if s.cfg.OnDrain != nil {
			s.cfg.OnDrain()
		}
	}
	left, err := s.moveLeasesAway(ctx)
	if err != nil {
		return nil, err
	}
	return &pb.DrainResponse{LeasesLeft: left}, nil
}

// moveLeasesAway transfers every lease this store holds to another voter
// on a live, non-draining node, and returns how many it still holds.
func (s *Server) moveLeasesAway(ctx context.Context) (int64, error) {
	st := s.store()
	if st == nil {
		return 0, status.Error(codes.Unavailable, "store not running")
	}
	recs, err := liveness.Scan(ctx, placementKV{s})
	if err != nil {
		return 0, kvStatus("reading liveness", err)
	}
	now, tusd := s.wallNanos(), s.settings.Values().TimeUntilStoreDead
	ok := map[uint64]bool{}
	for _, r := range recs {
		ok[r.GetNodeId()] = liveness.State(r, now, tusd) == pb.NodeLiveness_LIVE && !r.GetDraining()
	}
	var left int64
	for _, ri := range st.RangeInfo(0) {
		if !ri.GetLeaseValid() || ri.GetLease().GetReplica().GetStoreId() != ri.GetStoreId() {
			continue
		}
		var target *kvpb.ReplicaTarget
		for _, r := range ri.GetDesc().Voters() {
			if r.GetStoreId() != ri.GetStoreId() && ok[r.GetNodeId()] {
				target = &kvpb.ReplicaTarget{NodeId: r.GetNodeId(), StoreId: r.GetStoreId()}
				break
			}
		}
		if target == nil {
			left++
			continue
		}
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := st.TransferLease(tctx, ri.GetDesc().ID(), target)
		cancel()
		if err != nil {
			s.log.Warn("drain: lease transfer failed", "range", ri.GetDesc().ID(), "target", target.GetNodeId(), "err", err)
			left++
		}
	}
	return left, nil
}

func (p *placementServer) SetMembership(ctx context.Context, req *pb.SetMembershipRequest) (*pb.SetMembershipResponse, error) {
	d, err := p.running()
	if err != nil {
		return nil, err
	}
	node := kvpb.NodeID(req.GetNodeId())
	if req.GetMembership() == pb.Membership_DECOMMISSIONED {
		left, _, err := p.decommissionLeft(ctx, node)
		if err != nil {
			return nil, err
		}
		if left > 0 {
			return nil, status.Errorf(codes.FailedPrecondition, "%s still holds %d replicas", node, left)
		}
	}
	rec, err := liveness.SetMembership(ctx, p.kv(), node, req.GetMembership())
	switch {
	case errors.Is(err, liveness.ErrUnknownNode):
		return nil, status.Error(codes.NotFound, err.Error())
	case errors.Is(err, liveness.ErrBadTransition):
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	case err != nil:
		return nil, kvStatus("changing membership", err)
	}
	p.s.log.Info("node membership changed", "target", node, "membership", rec.GetMembership())
	// If this node runs the placement driver's cycles, the next one
	// starts now (a decommission begins without waiting for the tick);
	// a driver elsewhere sees the change at its next cycle.
	d.Kick()
	return &pb.SetMembershipResponse{Record: rec}, nil
}

// decommissionLeft counts the replicas (and their bytes) that ranges'
// newest descriptors still place on node.
func (p *placementServer) decommissionLeft(ctx context.Context, node kvpb.NodeID) (int64, int64, error) {
	d, err := p.running()
	if err != nil {
		return 0, 0, err
	}
	snap, err := d.Snapshot(ctx)
	if err != nil {
		return 0, 0, kvStatus("building a snapshot", err)
	}
	var n, b int64
	for i := range snap.Ranges {
		r := &snap.Ranges[i]
		for _, rep := range r.Replicas {
			if st := snap.Store(rep.Store); st != nil && st.Node == node {
				n++
				b += r.SizeBytes
			}
		}
	}
	return n, b, nil
}

func (p *placementServer) DecommissionStatus(ctx context.Context, req *pb.DecommissionStatusRequest) (*pb.DecommissionStatusResponse, error) {
	if _, err := p.running(); err != nil {
		return nil, err
	}
	node := kvpb.NodeID(req.GetNodeId())
	rec, found, err := liveness.Get(ctx, p.kv(), node)
	if err != nil {
		return nil, kvStatus("reading liveness", err)
	}
	if !found {
		return nil, status.Errorf(codes.NotFound, "%s has no liveness record", node)
	}
	n, b, err := p.decommissionLeft(ctx, node)
	if err != nil {
		return nil, err
	}
	return &pb.DecommissionStatusResponse{Record: rec, ReplicasLeft: n, BytesLeft: b}, nil
}

func (p *placementServer) Explain(ctx context.Context, req *pb.ExplainRequest) (*pb.ExplainResponse, error) {
	d, err := p.running()
	if err != nil {
		return nil, err
	}
	text, err := d.Explain(ctx, kvpb.RangeID(req.GetRangeId()))
	if errors.Is(err, placement.ErrRangeNotFound) {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	if err != nil {
		return nil, kvStatus("explaining", err)
	}
	return &pb.ExplainResponse{Text: text}, nil
}

// Scatter runs on the placement lease holder; another node forwards the
// request there once.
func (p *placementServer) Scatter(ctx context.Context, req *pb.ScatterRequest) (*pb.ScatterResponse, error) {
	d, err := p.running()
	if err != nil {
		return nil, err
	}
	ops, err := d.Scatter(ctx, req.GetStartKey(), req.GetEndKey())
	if errors.Is(err, driver.ErrNotLeader) {
		addr := d.Lease().Current().GetHolderAddress()
		if isForwarded(ctx) || addr == "" || addr == p.s.addr {
			return nil, status.Error(codes.Unavailable, err.Error())
		}
		conn, cerr := p.s.peers.Conn(addr)
		if cerr != nil {
			return nil, status.Error(codes.Unavailable, cerr.Error())
		}
		return pb.NewPlacementClient(conn).Scatter(metadata.AppendToOutgoingContext(ctx, forwardedKey, "1"), req)
	}
	if err != nil {
		return nil, kvStatus("scatter", err)
	}
	resp := &pb.ScatterResponse{Operators: int64(len(ops))}
	sort.Slice(ops, func(i, j int) bool { return ops[i].RangeID < ops[j].RangeID })
	for _, op := range ops {
		resp.Decisions = append(resp.Decisions, op.String())
	}
	return resp, nil
}
