package driver

import (
	"sort"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/placement"
	"github.com/tesseradb/tessera/placement/liveness"
	pb "github.com/tesseradb/tessera/placement/placementpb"
	"github.com/tesseradb/tessera/placement/settings"
)

// history is what the driver remembers between cycles about each range
// (for QPS history and cool-downs) and each node (its stores).
type history struct {
	ranges map[kvpb.RangeID]*rangeHistory
	stores map[kvpb.NodeID][]kvpb.StoreID
}

type rangeHistory struct {
	generation  uint64
	leaseholder kvpb.StoreID
	changed     time.Time
	qps         []placement.QPSSample
	seen        bool // in the last snapshot
}

func newHistory() *history {
	return &history{ranges: map[kvpb.RangeID]*rangeHistory{}, stores: map[kvpb.NodeID][]kvpb.StoreID{}}
}

// maxQPSHistory bounds the QPS samples kept per range.
const maxQPSHistory = 64

// BuildSnapshot assembles the planner's input from liveness records and
// store reports at now. Each store's liveness is its node's: live (or
// suspect while draining or before its first heartbeat), suspect, dead,
// decommissioning, decommissioned. A range's descriptor is the newest
// generation any replica reports; its leaseholder is the replica that
// reports holding a valid lease; its size and load are the leaseholder's
// report. h (may be nil) carries QPS history and change times across
// cycles and is updated.
func BuildSnapshot(now time.Time, vals settings.Values, recs []*pb.LivenessRecord, stats []*pb.StoreStatusResponse, h *history) *placement.Snapshot {
	if h == nil {
		h = newHistory()
	}
	s := &placement.Snapshot{Now: now, Settings: vals}
	nowNanos := now.UnixNano()
	recByNode := map[kvpb.NodeID]*pb.LivenessRecord{}
	for _, r := range recs {
		recByNode[kvpb.NodeID(r.GetNodeId())] = r
	}
	statByStore := map[kvpb.StoreID]*pb.StoreStatusResponse{}
	for _, st := range stats {
		id := kvpb.StoreID(st.GetStoreId())
		if id == 0 {
			continue
		}
		statByStore[id] = st
		node := kvpb.NodeID(st.GetNodeId())
		if !containsStore(h.stores[node], id) {
			h.stores[node] = append(h.stores[node], id)
		}
	}
	nodes := map[kvpb.NodeID]bool{}
	for n := range recByNode {
		nodes[n] = true
	}
	for n := range h.stores {
		nodes[n] = true
	}
	nodeIDs := make([]kvpb.NodeID, 0, len(nodes))
	for n := range nodes {
		nodeIDs = append(nodeIDs, n)
	}
	sort.Slice(nodeIDs, func(i, j int) bool { return nodeIDs[i] < nodeIDs[j] })
	for _, n := range nodeIDs {
		lv := placement.Suspect // no liveness record yet: receives nothing
		if rec, ok := recByNode[n]; ok {
			lv = toLiveness(liveness.State(rec, nowNanos, vals.TimeUntilStoreDead))
			if lv == placement.Live && rec.GetDraining() {
				lv = placement.Suspect
			}
		}
		ids := h.stores[n]
		if len(ids) == 0 {
			ids = []kvpb.StoreID{kvpb.StoreID(n)} // one store per node, same ID (Join allocates both)
		}
		for _, id := range ids {
			st := placement.Store{ID: id, Node: n, Liveness: lv}
			if rep, ok := statByStore[id]; ok {
				st.Capacity = placement.Capacity{Total: rep.GetCapacityTotal(), Available: rep.GetCapacityAvailable(), Used: rep.GetCapacityUsed()}
				st.RangeCount, st.LeaseCount = int(rep.GetRangeCount()), int(rep.GetLeaseCount())
				st.LogicalBytes, st.QPS, st.WritesPerSec = rep.GetLogicalBytes(), rep.GetQps(), rep.GetWritesPerSec()
			}
			s.Stores = append(s.Stores, st)
		}
	}

	// Ranges: newest descriptor, valid leaseholder, leaseholder's load.
	type rangeAcc struct {
		desc *kvpb.RangeDescriptor
		lh   *kvpb.RangeInfo
		load *pb.RangeLoad
	}
	acc := map[kvpb.RangeID]*rangeAcc{}
	for _, st := range stats {
		loads := map[uint64]*pb.RangeLoad{}
		for _, l := range st.GetLoads() {
			loads[l.GetRangeId()] = l
		}
		for _, ri := range st.GetRanges() {
			d := ri.GetDesc()
			if d == nil || d.GetRangeId() == 0 {
				continue
			}
			a := acc[d.ID()]
			if a == nil {
				a = &rangeAcc{}
				acc[d.ID()] = a
			}
			if a.desc == nil || d.GetGeneration() > a.desc.GetGeneration() {
				a.desc = d
			}
			if ri.GetLeaseValid() && ri.GetLease().GetReplica().GetStoreId() == ri.GetStoreId() {
				a.lh, a.load = ri, loads[d.GetRangeId()]
			}
		}
	}
	for _, rh := range h.ranges {
		rh.seen = false
	}
	for id, a := range acc {
		r := placement.Range{ID: id, StartKey: a.desc.GetStartKey(), EndKey: a.desc.GetEndKey()}
		if sb := a.desc.GetStickyBit(); sb.GetWallTime() != 0 {
			r.StickyUntil = time.Unix(0, sb.GetWallTime())
		}
		for _, rep := range a.desc.GetReplicas() {
			t := placement.Voter
			if rep.GetType() == kvpb.ReplicaType_LEARNER {
				t = placement.Learner
			}
			r.Replicas = append(r.Replicas, placement.Replica{Store: rep.StoreID(), ID: rep.ID(), Type: t})
		}
		if a.lh != nil {
			r.Leaseholder = kvpb.StoreID(a.lh.GetStoreId())
			r.SizeBytes = a.lh.GetLiveBytes()
			if a.load != nil {
				r.QPS = a.load.GetQps()
				for _, ks := range a.load.GetSamples() {
					r.Samples = append(r.Samples, placement.KeySample{Key: ks.GetKey(), Count: ks.GetCount()})
				}
			}
		}
		rh := h.ranges[id]
		if rh == nil {
			rh = &rangeHistory{generation: a.desc.GetGeneration(), leaseholder: r.Leaseholder}
			h.ranges[id] = rh
		} else if rh.generation != a.desc.GetGeneration() || rh.leaseholder != r.Leaseholder {
			rh.generation, rh.leaseholder, rh.changed = a.desc.GetGeneration(), r.Leaseholder, now
		}
		rh.seen = true
		if a.lh != nil {
			rh.qps = append(rh.qps, placement.QPSSample{At: now, QPS: r.QPS})
			if len(rh.qps) > maxQPSHistory {
				rh.qps = rh.qps[len(rh.qps)-maxQPSHistory:]
			}
		}
		r.LastChanged = rh.changed
		r.QPSHistory = append([]placement.QPSSample(nil), rh.qps...)
		s.Ranges = append(s.Ranges, r)
	}
	for id, rh := range h.ranges {
		if !rh.seen {
			delete(h.ranges, id) // gone (merged away): forget it
		}
	}
	s.Index()
	return s
}

// SizeSplitKeys returns, by range, the size split keys the leaseholders
// reported (for ranges above range_max_bytes).
func SizeSplitKeys(stats []*pb.StoreStatusResponse) map[kvpb.RangeID][]byte {
	out := map[kvpb.RangeID][]byte{}
	for _, st := range stats {
		for _, l := range st.GetLoads() {
			if k := l.GetSizeSplitKey(); len(k) > 0 {
				out[kvpb.RangeID(l.GetRangeId())] = k
			}
		}
	}
	return out
}

func containsStore(ids []kvpb.StoreID, id kvpb.StoreID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func toLiveness(s pb.NodeLiveness) placement.Liveness {
	switch s {
	case pb.NodeLiveness_LIVE:
		return placement.Live
	case pb.NodeLiveness_SUSPECT:
		return placement.Suspect
	case pb.NodeLiveness_NODE_DECOMMISSIONING:
		return placement.Decommissioning
	case pb.NodeLiveness_NODE_DECOMMISSIONED:
		return placement.Decommissioned
	}
	return placement.Dead
}
