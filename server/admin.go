package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges"
)

// adminServer serves kvpb.Admin. Errors are gRPC statuses:
// AlreadyExists (Bootstrap of an initialized node), Unavailable (node not
// running yet: try another), InvalidArgument, and the kv detail error's
// message with codes.Aborted for replica changes that failed.
type adminServer struct {
	kvpb.UnimplementedAdminServer
	s *Server
}

// Bootstrap creates a new cluster on this node (`tessera init`), once a
// majority of its --join nodes promised to take part in no other
// bootstrap (collectPromises); a --join peer that belongs to a cluster
// already fails it with AlreadyExists, as does this node's own ident.
func (a *adminServer) Bootstrap(ctx context.Context, _ *kvpb.BootstrapRequest) (*kvpb.BootstrapResponse, error) {
	s := a.s
	// No join attempt runs meanwhile, and no second Bootstrap.
	s.joinMu.Lock()
	defer s.joinMu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, status.FromContextError(err).Err()
	}
	s.mu.Lock()
	if s.mu.state != stateWaiting {
		id := s.mu.ident
		s.mu.Unlock()
		if id != nil {
			return nil, status.Errorf(codes.AlreadyExists, "cluster already initialized (this node is n%d of cluster %s)", id.GetNodeId(), id.GetClusterId())
		}
		return nil, status.Error(codes.AlreadyExists, "cluster already initialized (this node is joining it)")
	}
	s.mu.initializing = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.mu.initializing = false
		s.mu.Unlock()
	}()
	if err := s.collectPromises(ctx); err != nil {
		s.log.Info("init refused", "err", err)
		return nil, err
	}
	if h := s.cfg.Knobs.BeforeBootstrap; h != nil {
		h()
	}
	ident, err := s.bootstrap(ctx)
	if err != nil {
		s.log.Error("bootstrap failed", "err", err)
		return nil, status.Errorf(codes.Internal, "bootstrap failed: %v", err)
	}
	return &kvpb.BootstrapResponse{ClusterId: ident.GetClusterId(), NodeId: ident.GetNodeId(), StoreId: ident.GetStoreId()}, nil
}

func (s *Server) bootstrap(ctx context.Context) (*kvpb.StoreIdent, error) {
	cid, err := newClusterID()
	if err != nil {
		return nil, err
	}
	ident := &kvpb.StoreIdent{ClusterId: cid, NodeId: 1, StoreId: 1}
	s.mu.Lock()
	s.mu.state = stateStarting
	s.mu.Unlock()
	if err := ranges.WriteStoreIdent(s.eng, ident); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.mu.clusterID = cid
	s.mu.Unlock()
	s.clearPromise()
	if _, err := ranges.BootstrapFirstRange(s.eng, ident); err != nil {
		return nil, err
	}
	s.log.Info("bootstrapped a new cluster", "cluster", cid)
	if err := s.startStore(context.WithoutCancel(ctx), ident); err != nil {
		return nil, err
	}
	// The node registry entry of n1 and the ID generator are written by
	// the maintenance loop (registerSelf) and by Join (which skips ID 1),
	// so a crash right here loses nothing.
	return ident, nil
}

// Join admits a new node: it allocates its node ID and registers its
// address, both through the kv layer, and tells it about the cluster.
func (a *adminServer) Join(ctx context.Context, req *kvpb.JoinRequest) (*kvpb.JoinResponse, error) {
	s := a.s
	if _, _, err := net.SplitHostPort(req.GetAddress()); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "join: bad address %q: %v", req.GetAddress(), err)
	}
	if req.GetAddress() == s.addr {
		return nil, status.Error(codes.InvalidArgument, "join: a node cannot join itself")
	}
	st := s.store()
	if st == nil {
		return nil, status.Error(codes.Unavailable, "join: this node is not part of an initialized cluster yet")
	}
	s.mu.Lock()
	clusterID := s.mu.ident.GetClusterId()
	s.mu.Unlock()
	var id int64
	for id <= 1 { // ID 1 is the bootstrap node's, even if its Inc never ran
		var err error
		if id, err = s.kv.Inc(ctx, nodeIDGenKey, 1); err != nil {
			return nil, kvStatus("join: allocating a node ID", err)
		}
	}
	nodeID := kvpb.NodeID(id)
	desc := &kvpb.NodeDescriptor{NodeId: uint64(nodeID), Address: req.GetAddress(), StoreIds: []uint64{uint64(id)}}
	if err := s.putNodeDescriptor(ctx, desc); err != nil {
		return nil, kvStatus("join: registering the node", err)
	}
	s.book.set(nodeID, req.GetAddress())
	s.log.Info("node joined", "joined", nodeID, "address", req.GetAddress())
	resp := &kvpb.JoinResponse{ClusterId: clusterID, NodeId: uint64(nodeID), StoreId: uint64(id)}
	for _, n := range s.book.all() {
		resp.Nodes = append(resp.Nodes, &kvpb.NodeDescriptor{NodeId: uint64(n.ID), Address: n.Addr})
	}
	return resp, nil
}

func (s *Server) putNodeDescriptor(ctx context.Context, d *kvpb.NodeDescriptor) error {
	v, err := proto.Marshal(d)
	if err != nil {
		return err
	}
	return s.kv.Put(ctx, nodeRegistryKey(d.NodeID()), v)
}

// kvStatus turns a kv error into a gRPC status for admin RPCs.
func kvStatus(what string, err error) error {
	code := codes.Unavailable
	var inv *kvpb.InvalidRequestError
	if errors.As(err, &inv) {
		code = codes.InvalidArgument
	}
	return status.Errorf(code, "%s: %v", what, err)
}

// NodeStatus lists every known node with its liveness (reachable by RPC
// now) and replica, lease and raft leader counts as that node reports
// them.
func (a *adminServer) NodeStatus(ctx context.Context, _ *kvpb.NodeStatusRequest) (*kvpb.NodeStatusResponse, error) {
	s := a.s
	nodes := s.book.all()
	self := s.NodeID()
	if self == 0 {
		// Not in a cluster yet: only this node, with nothing on it.
		return &kvpb.NodeStatusResponse{Nodes: []*kvpb.NodeStatus{{
			Desc: &kvpb.NodeDescriptor{Address: s.addr}, Live: true, UpdatedAt: kvpb.TS(s.clock.Now()),
		}}}, nil
	}
	out := make([]*kvpb.NodeStatus, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns := &kvpb.NodeStatus{Desc: &kvpb.NodeDescriptor{NodeId: uint64(n.ID), Address: n.Addr}}
			var infos []*kvpb.RangeInfo
			var err error
			if n.ID == self {
				if st := s.store(); st != nil {
					infos = st.RangeInfo(0)
				} else {
					err = errors.New("store not running")
				}
			} else {
				infos, err = s.peerRangeInfo(ctx, n.Addr)
			}
			if err == nil {
				ns.Live = true
				countReplicas(ns, infos)
				ns.Desc.StoreIds = storeIDs(infos)
			}
			ns.UpdatedAt = kvpb.TS(s.clock.Now())
			out[i] = ns
		}()
	}
	wg.Wait()
	return &kvpb.NodeStatusResponse{Nodes: out}, nil
}

func countReplicas(ns *kvpb.NodeStatus, infos []*kvpb.RangeInfo) {
	for _, ri := range infos {
		ns.ReplicaCount++
		if ri.GetLeaseValid() && ri.GetLease().GetReplica().GetStoreId() == ri.GetStoreId() {
			ns.LeaseCount++
		}
		if l := ri.GetRaftLeaderReplicaId(); l != 0 && l == ri.GetReplicaId() {
			ns.RaftLeaderCount++
		}
	}
}

func storeIDs(infos []*kvpb.RangeInfo) []uint64 {
	var out []uint64
	for _, ri := range infos {
		if id := ri.GetStoreId(); id != 0 && (len(out) == 0 || out[len(out)-1] != id) {
			out = append(out, id)
		}
	}
	return out
}

// peerRangeInfo asks the node at addr for every replica it has.
func (s *Server) peerRangeInfo(ctx context.Context, addr string) ([]*kvpb.RangeInfo, error) {
	conn, err := s.peers.Conn(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Knobs.PeerTimeout)
	defer cancel()
	resp, err := kvpb.NewAdminClient(conn).RangeInfo(ctx, &kvpb.RangeInfoRequest{})
	if err != nil {
		return nil, err
	}
	return resp.GetRanges(), nil
}

// ChangeReplicas runs a replica change on the range's leaseholder
// (forwarded there) and updates the range's meta record.
func (a *adminServer) ChangeReplicas(ctx context.Context, req *kvpb.ChangeReplicasRequest) (*kvpb.ChangeReplicasResponse, error) {
	if a.s.store() == nil {
		return nil, status.Error(codes.Unavailable, "node not running yet")
	}
	desc, err := adminRetry(ctx, fmt.Sprintf("change replicas of r%d", req.GetRangeId()), func(ctx context.Context) (*kvpb.RangeDescriptor, error) {
		return a.s.changeReplicas(ctx, req)
	})
	if err != nil {
		return nil, err
	}
	return &kvpb.ChangeReplicasResponse{Desc: desc}, nil
}

// RangeInfo reports this node's replicas (all of them for range 0).
func (a *adminServer) RangeInfo(_ context.Context, req *kvpb.RangeInfoRequest) (*kvpb.RangeInfoResponse, error) {
	st := a.s.store()
	if st == nil {
		return &kvpb.RangeInfoResponse{}, nil
	}
	return &kvpb.RangeInfoResponse{Ranges: st.RangeInfo(kvpb.RangeID(req.GetRangeId()))}, nil
}

// TransferLease moves a range's lease from its holder (the call is
// forwarded there) to the target store.
func (a *adminServer) TransferLease(ctx context.Context, req *kvpb.TransferLeaseRequest) (*kvpb.TransferLeaseResponse, error) {
	if a.s.store() == nil {
		return nil, status.Error(codes.Unavailable, "node not running yet")
	}
	t := req.GetTarget()
	if t.GetStoreId() == 0 {
		return nil, status.Error(codes.InvalidArgument, "transfer lease: target store required")
	}
	if t.GetNodeId() == 0 {
		t = &kvpb.ReplicaTarget{NodeId: t.GetStoreId(), StoreId: t.GetStoreId()} // one store per node, same ID
	}
	lease, err := adminRetry(ctx, fmt.Sprintf("transfer lease of r%d", req.GetRangeId()), func(ctx context.Context) (*kvpb.Lease, error) {
		return a.s.transferLease(ctx, kvpb.RangeID(req.GetRangeId()), t)
	})
	if err != nil {
		return nil, err
	}
	return &kvpb.TransferLeaseResponse{Lease: lease}, nil
}
