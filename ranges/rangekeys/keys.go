package rangekeys

import (
	"encoding/binary"
	"errors"
)

var (
	// LocalPrefix starts every range-local key.
	LocalPrefix = []byte{0x01}
	// LocalEnd is the first key after the local space.
	LocalEnd = []byte{0x02}
	// StoreIdentKey holds the store's ident.
	StoreIdentKey = []byte("\x01sident")

	replicatedPrefix   = []byte("\x01i")
	unreplicatedPrefix = []byte("\x01u")
)

// Suffixes of the per-range keys.
var (
	suffixApplied    = []byte("appl")
	suffixDesc       = []byte("desc")
	suffixLease      = []byte("leas")
	suffixHardState  = []byte("hard")
	suffixTruncated  = []byte("trnc")
	suffixReplicaID  = []byte("rpid")
	suffixTombstone  = []byte("tomb")
	suffixStats      = []byte("stat")
	suffixFrozen     = []byte("frzn")
	suffixGCThresh   = []byte("gcth")
	suffixLogPrefix  = []byte("log-")
	errBadLogKey     = errors.New("rangekeys: malformed raft log key")
	rangeIDKeyLength = 2 + 8
)

func rangeKey(prefix []byte, rangeID uint64, suffix []byte) []byte {
	k := make([]byte, 0, rangeIDKeyLength+len(suffix)+8)
	k = append(k, prefix...)
	k = binary.BigEndian.AppendUint64(k, rangeID)
	return append(k, suffix...)
}

// ReplicatedPrefix returns the first key of the replicated state of a range;
// ReplicatedEnd the key after its last.
func ReplicatedPrefix(rangeID uint64) []byte { return rangeKey(replicatedPrefix, rangeID, nil) }

// ReplicatedEnd is the exclusive end of ReplicatedPrefix's span.
func ReplicatedEnd(rangeID uint64) []byte { return rangeKey(replicatedPrefix, rangeID+1, nil) }

// UnreplicatedPrefix returns the first key of the unreplicated state.
func UnreplicatedPrefix(rangeID uint64) []byte { return rangeKey(unreplicatedPrefix, rangeID, nil) }

// UnreplicatedEnd is the exclusive end of UnreplicatedPrefix's span.
func UnreplicatedEnd(rangeID uint64) []byte { return rangeKey(unreplicatedPrefix, rangeID+1, nil) }

// DescriptorPrefix / DescriptorEnd bound the replicated keys of every
// range; a store finds its replicas by scanning descriptors between them.
func DescriptorPrefix() []byte { return append([]byte(nil), replicatedPrefix...) }

// DescriptorEnd is the end of the replicated state space.
func DescriptorEnd() []byte { return []byte("\x01j") }

// AppliedStateKey holds rangepb.AppliedState.
func AppliedStateKey(rangeID uint64) []byte {
	return rangeKey(replicatedPrefix, rangeID, suffixApplied)
}

// DescriptorKey holds the range's kvpb.RangeDescriptor.
func DescriptorKey(rangeID uint64) []byte { return rangeKey(replicatedPrefix, rangeID, suffixDesc) }

// LeaseKey holds the range's kvpb.Lease.
func LeaseKey(rangeID uint64) []byte { return rangeKey(replicatedPrefix, rangeID, suffixLease) }

// HardStateKey holds the replica's raftpb.HardState.
func HardStateKey(rangeID uint64) []byte {
	return rangeKey(unreplicatedPrefix, rangeID, suffixHardState)
}

// TruncatedStateKey holds rangepb.TruncatedState.
func TruncatedStateKey(rangeID uint64) []byte {
	return rangeKey(unreplicatedPrefix, rangeID, suffixTruncated)
}

// ReplicaIDKey holds the replica's own ID (8 bytes).
func ReplicaIDKey(rangeID uint64) []byte {
	return rangeKey(unreplicatedPrefix, rangeID, suffixReplicaID)
}

// StatsKey holds the range's kvpb.MVCCStats (replicated).
func StatsKey(rangeID uint64) []byte { return rangeKey(replicatedPrefix, rangeID, suffixStats) }

// FrozenKey marks (replicated) a range subsumed by a merge; its value is
// the raft index of the subsume command.
func FrozenKey(rangeID uint64) []byte { return rangeKey(replicatedPrefix, rangeID, suffixFrozen) }

// GCThresholdKey holds the range's GC threshold, a kvpb.Timestamp
// (replicated): reads and writes at or below it are refused.
func GCThresholdKey(rangeID uint64) []byte {
	return rangeKey(replicatedPrefix, rangeID, suffixGCThresh)
}

// TombstoneKey holds rangepb.ReplicaTombstone (unreplicated).
func TombstoneKey(rangeID uint64) []byte {
	return rangeKey(unreplicatedPrefix, rangeID, suffixTombstone)
}

// RaftLogPrefix is the first key of the range's raft log.
func RaftLogPrefix(rangeID uint64) []byte {
	return rangeKey(unreplicatedPrefix, rangeID, suffixLogPrefix)
}

// RaftLogKey is the key of the entry at index.
func RaftLogKey(rangeID, index uint64) []byte {
	return binary.BigEndian.AppendUint64(RaftLogPrefix(rangeID), index)
}

// DecodeRaftLogIndex returns the index of a RaftLogKey.
func DecodeRaftLogIndex(key []byte) (uint64, error) {
	if len(key) != rangeIDKeyLength+len(suffixLogPrefix)+8 {
		return 0, errBadLogKey
	}
	return binary.BigEndian.Uint64(key[len(key)-8:]), nil
}

// DecodeRangeID returns the range ID of any per-range key.
func DecodeRangeID(key []byte) (uint64, bool) {
	if len(key) < rangeIDKeyLength || key[0] != 0x01 || (key[1] != 'i' && key[1] != 'u') {
		return 0, false
	}
	return binary.BigEndian.Uint64(key[2:10]), true
}

// IsDescriptorKey reports whether key is some range's DescriptorKey.
func IsDescriptorKey(key []byte) bool {
	return len(key) == rangeIDKeyLength+len(suffixDesc) && key[0] == 0x01 && key[1] == 'i' &&
		string(key[rangeIDKeyLength:]) == string(suffixDesc)
}

// UserSpan clips a range's [start, end) to the user (non-local) key space:
// range 1 starts at the empty key, but its data starts at LocalEnd.
func UserSpan(start, end []byte) (s, e []byte) {
	if string(start) < string(LocalEnd) {
		start = LocalEnd
	}
	return start, end
}
