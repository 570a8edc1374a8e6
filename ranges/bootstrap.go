package ranges

import (
	"fmt"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/keys"
	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/kv/storage"
	"github.com/tesseradb/tessera/ranges/raftstorage"
	"github.com/tesseradb/tessera/ranges/rangekeys"
	"github.com/tesseradb/tessera/ranges/rangepb"
)

// Key space bounds (kv/keys): range 1 starts at KeyMin and the last range
// ends at KeyMax. Keys at or above KeyMax are not addressable.
var (
	KeyMin = keys.KeyMin
	KeyMax = keys.KeyMax
)

// FirstRangeID is the range created by BootstrapFirstRange (the meta range).
const FirstRangeID kvpb.RangeID = 1

// Raft state of a range's first replica: the log starts after a truncated
// prefix so that every other replica is initialised by a snapshot.
const (
	initialRaftIndex = 10
	initialRaftTerm  = 5
)

// ReadStoreIdent returns the engine's store ident; found is false on an
// engine that never joined a cluster.
func ReadStoreIdent(eng storage.Reader) (ident *kvpb.StoreIdent, found bool, err error) {
	v, ok, err := eng.GetRaw(rangekeys.StoreIdentKey)
	if err != nil || !ok {
		return nil, false, err
	}
	ident = &kvpb.StoreIdent{}
	if err := proto.Unmarshal(v, ident); err != nil {
		return nil, false, fmt.Errorf("ranges: corrupt store ident: %w", err)
	}
	return ident, true, nil
}

// WriteStoreIdent records the store's ident (synced). It refuses an engine
// that already has one (ErrAlreadyBootstrapped).
func WriteStoreIdent(eng storage.Engine, ident *kvpb.StoreIdent) error {
	if _, found, err := ReadStoreIdent(eng); err != nil {
		return err
	} else if found {
		return ErrAlreadyBootstrapped
	}
	if ident.GetClusterId() == "" || ident.GetNodeId() == 0 || ident.GetStoreId() == 0 {
		return fmt.Errorf("ranges: incomplete store ident %v", ident)
	}
	b := eng.NewBatch()
	defer b.Close()
	v, err := proto.Marshal(ident)
	if err != nil {
		return err
	}
	if err := b.PutRaw(rangekeys.StoreIdentKey, v); err != nil {
		return err
	}
	return b.Commit(true)
}

// BootstrapFirstRange writes range 1 covering [KeyMin, KeyMax) with a
// single voter on the store named by ident, and its meta record
// (keys.MetaKey(KeyMax)). The store must have its ident
// (WriteStoreIdent) and no ranges yet. Call it before NewStore.
func BootstrapFirstRange(eng storage.Engine, ident *kvpb.StoreIdent) (*kvpb.RangeDescriptor, error) {
	descs, err := loadDescriptors(eng)
	if err != nil {
		return nil, err
	}
	if len(descs) > 0 {
		return nil, ErrAlreadyBootstrapped
	}
	desc := &kvpb.RangeDescriptor{
		RangeId:  uint64(FirstRangeID),
		StartKey: KeyMin,
		EndKey:   KeyMax,
		Replicas: []*kvpb.ReplicaDescriptor{{
			NodeId: ident.GetNodeId(), StoreId: ident.GetStoreId(), ReplicaId: 1, Type: kvpb.ReplicaType_VOTER,
		}},
		NextReplicaId: 2,
		Generation:    1,
	}
	b := eng.NewBatch()
	defer b.Close()
	if err := writeInitialRangeState(b, desc, initialRaftIndex, initialRaftTerm); err != nil {
		return nil, err
	}
	if err := b.PutRaw(rangekeys.ReplicaIDKey(desc.GetRangeId()), encodeUint64(1)); err != nil {
		return nil, err
	}
	// Range 1's own meta record, \x02meta/<KeyMax> → its descriptor (a
	// plain MVCC value at the lowest timestamp, accounted in its stats).
	dv, err := proto.Marshal(desc)
	if err != nil {
		return nil, err
	}
	var ms storage.MVCCStats
	if err := storage.MVCCPut(b, keys.MetaKey(KeyMax), hlc.Timestamp{WallTime: 1}, dv, storage.MVCCWriteOptions{Stats: &ms}); err != nil {
		return nil, err
	}
	if err := putProto(b, rangekeys.StatsKey(desc.GetRangeId()), statsToProto(ms)); err != nil {
		return nil, err
	}
	if err := b.Commit(true); err != nil {
		return nil, err
	}
	return desc, nil
}

// writeInitialRangeState writes descriptor, applied state and raft state
// of a range's first replica.
func writeInitialRangeState(b storage.Batch, desc *kvpb.RangeDescriptor, index, term uint64) error {
	cs := confStateFromDesc(desc)
	csb, err := proto.Marshal(cs)
	if err != nil {
		return err
	}
	if err := putProto(b, rangekeys.DescriptorKey(desc.GetRangeId()), desc); err != nil {
		return err
	}
	as := &rangepb.AppliedState{RaftAppliedIndex: index, RaftAppliedTerm: term, ConfState: csb}
	if err := putProto(b, rangekeys.AppliedStateKey(desc.GetRangeId()), as); err != nil {
		return err
	}
	if err := putProto(b, rangekeys.LeaseKey(desc.GetRangeId()), &kvpb.Lease{}); err != nil {
		return err
	}
	return raftstorage.WriteInitialState(b, desc.GetRangeId(), index, term)
}

// confStateFromDesc derives the Raft configuration of a non-joint
// descriptor.
func confStateFromDesc(d *kvpb.RangeDescriptor) *raftpb.ConfState {
	cs := &raftpb.ConfState{}
	for _, r := range d.GetReplicas() {
		switch r.GetType() {
		case kvpb.ReplicaType_LEARNER:
			cs.Learners = append(cs.Learners, r.GetReplicaId())
		default:
			cs.Voters = append(cs.Voters, r.GetReplicaId())
		}
	}
	return cs
}

func putProto(w storage.Writer, key []byte, m proto.Message) error {
	v, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	return w.PutRaw(key, v)
}

func getProto(r storage.Reader, key []byte, m proto.Message) (bool, error) {
	v, ok, err := r.GetRaw(key)
	if err != nil || !ok {
		return false, err
	}
	if err := proto.Unmarshal(v, m); err != nil {
		return false, fmt.Errorf("ranges: corrupt value at %q: %w", key, err)
	}
	return true, nil
}

func encodeUint64(v uint64) []byte {
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b[:]
}
