package server

import (
	"context"
	"errors"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// maintenanceLoop runs while the store runs: it keeps this node's entry
// in the node registry, refreshes the address book from the registry and
// up-replicates the ranges this node holds the lease of.
func (s *Server) maintenanceLoop() {
	registered := false
	for s.sleep(s.cfg.Knobs.MaintenanceInterval) {
		ctx, cancel := s.stopCtx(context.Background(), 10*time.Second)
		if !registered {
			if err := s.registerSelf(ctx); err != nil {
				s.log.Debug("registering node", "err", err)
			} else {
				registered = true
			}
		}
		if err := s.refreshRegistry(ctx); err != nil {
			s.log.Debug("reading the node registry", "err", err)
		}
		if err := s.book.save(); err != nil {
			s.log.Warn("saving address book", "err", err)
		}
		s.upreplicate(ctx)
		s.repairMeta(ctx)
		cancel()
	}
}

// registerSelf writes this node's descriptor into the registry unless it
// is there already with this address.
func (s *Server) registerSelf(ctx context.Context) error {
	id := s.NodeID()
	v, found, err := s.kv.Get(ctx, nodeRegistryKey(id))
	if err != nil {
		return err
	}
	if found {
		var d kvpb.NodeDescriptor
		if proto.Unmarshal(v, &d) == nil && d.GetAddress() == s.addr {
			return nil
		}
	}
	return s.putNodeDescriptor(ctx, &kvpb.NodeDescriptor{NodeId: uint64(id), Address: s.addr, StoreIds: []uint64{uint64(id)}})
}

// refreshRegistry copies the node registry into the address book.
func (s *Server) refreshRegistry(ctx context.Context) error {
	kvs, err := s.kv.Scan(ctx, nodeRegistryStart, nodeRegistryEnd, 0)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		id, err := decodeNodeRegistryKey(kv.Key)
		if err != nil {
			continue
		}
		var d kvpb.NodeDescriptor
		if err := proto.Unmarshal(kv.Value, &d); err != nil || d.GetAddress() == "" {
			continue
		}
		s.book.set(id, d.GetAddress())
	}
	return nil
}

// upreplicate adds one voter to each range this node holds the lease of
// that has fewer voters than the replication factor, once enough live
// nodes exist to reach it. A learner left behind by an interrupted change
// is promoted first.
func (s *Server) upreplicate(ctx context.Context) {
	st := s.store()
	if st == nil {
		return
	}
	want := s.cfg.ReplicationFactor
	for _, ri := range st.RangeInfo(0) {
		if !ri.GetLeaseValid() || ri.GetLease().GetReplica().GetStoreId() != ri.GetStoreId() {
			continue
		}
		desc := ri.GetDesc()
		voters := len(desc.Voters())
		if voters >= want {
			continue
		}
		var target *kvpb.ReplicaTarget
		for _, r := range desc.GetReplicas() {
			if r.GetType() == kvpb.ReplicaType_LEARNER {
				target = &kvpb.ReplicaTarget{NodeId: r.GetNodeId(), StoreId: r.GetStoreId()}
				break
			}
		}
		if target == nil {
			cands := s.liveCandidates(ctx, desc)
			if voters+len(cands) < want {
				continue // wait for enough nodes (no even-sized detours)
			}
			target = cands[0]
		}
		s.log.Info("up-replicating", "range", desc.ID(), "voters", voters, "target_node", target.GetNodeId())
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := st.ChangeReplicas(cctx, desc.ID(), []*kvpb.ReplicaChange{{Type: kvpb.ReplicaChangeType_ADD_VOTER, Target: target}}, desc.GetGeneration())
		cancel()
		if err == nil {
			if d := st.RangeInfo(desc.ID()); len(d) == 1 {
				if merr := s.writeMeta(ctx, d[0].GetDesc()); merr != nil {
					s.log.Debug("up-replication: writing meta (repair will retry)", "range", desc.ID(), "err", merr)
				}
			}
		}
		if err != nil {
			var rkm *kvpb.RangeKeyMismatchError
			if !errors.As(err, &rkm) { // a stale generation just means: look again
				s.log.Warn("up-replication failed", "range", desc.ID(), "target_node", target.GetNodeId(), "err", err)
			}
		}
	}
}

// liveCandidates returns targets for a new replica of desc: nodes of the
// address book without a replica of it that answer an RPC now, by node ID.
func (s *Server) liveCandidates(ctx context.Context, desc *kvpb.RangeDescriptor) []*kvpb.ReplicaTarget {
	var out []*kvpb.ReplicaTarget
	for _, n := range s.book.all() {
		if slices.ContainsFunc(desc.GetReplicas(), func(r *kvpb.ReplicaDescriptor) bool { return r.NodeID() == n.ID }) {
			continue
		}
		if _, err := s.peerRangeInfo(ctx, n.Addr); err != nil {
			continue
		}
		// One store per node, with the node's ID (Join hands out both).
		out = append(out, &kvpb.ReplicaTarget{NodeId: uint64(n.ID), StoreId: uint64(n.ID)})
	}
	return out
}
