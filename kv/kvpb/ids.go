package kvpb

import "strconv"

// RangeID identifies a range for its whole life; IDs are never reused.
// Range 1 is the meta range and is never split.
type RangeID uint64

// NodeID identifies a node (one tessera process) in a cluster.
type NodeID uint64

// StoreID identifies a store (one Pebble engine) in a cluster.
type StoreID uint64

// ReplicaID identifies one replica of a range; unique within the range and
// never reused by it (also the Raft peer ID of the replica).
type ReplicaID uint64

func (id RangeID) String() string   { return "r" + strconv.FormatUint(uint64(id), 10) }
func (id NodeID) String() string    { return "n" + strconv.FormatUint(uint64(id), 10) }
func (id StoreID) String() string   { return "s" + strconv.FormatUint(uint64(id), 10) }
func (id ReplicaID) String() string { return strconv.FormatUint(uint64(id), 10) }
