package kvpb

import (
	"bytes"

	"github.com/tesseradb/tessera/hlc"
)

// TS converts an hlc.Timestamp to its wire form. The zero timestamp maps to
// nil (absent).
func TS(t hlc.Timestamp) *Timestamp {
	if t.IsEmpty() {
		return nil
	}
	return &Timestamp{WallTime: t.WallTime, Logical: t.Logical}
}

// TSInto is TS into dst (no allocation): dst set to t, or nil for the
// zero timestamp.
func TSInto(dst *Timestamp, t hlc.Timestamp) *Timestamp {
	if t.IsEmpty() {
		return nil
	}
	dst.WallTime, dst.Logical = t.WallTime, t.Logical
	return dst
}

// HLC converts a wire timestamp back; nil is the zero timestamp.
func (t *Timestamp) HLC() hlc.Timestamp {
	if t == nil {
		return hlc.Timestamp{}
	}
	return hlc.Timestamp{WallTime: t.WallTime, Logical: t.Logical}
}

// Typed accessors for the uint64 ID fields (protobuf cannot carry Go types).

// ID returns the descriptor's range ID.
func (d *RangeDescriptor) ID() RangeID { return RangeID(d.GetRangeId()) }

// ContainsKey reports whether key is in [start_key, end_key).
func (d *RangeDescriptor) ContainsKey(key []byte) bool {
	return bytes.Compare(key, d.GetStartKey()) >= 0 && bytes.Compare(key, d.GetEndKey()) < 0
}

// ContainsSpan reports whether [key, end) lies inside the range (end may be
// empty: a single key). end is exclusive.
func (d *RangeDescriptor) ContainsSpan(key, end []byte) bool {
	if len(end) == 0 {
		return d.ContainsKey(key)
	}
	return bytes.Compare(key, d.GetStartKey()) >= 0 && bytes.Compare(end, d.GetEndKey()) <= 0 &&
		bytes.Compare(key, end) < 0
}

// ReplicaByStore returns the replica on the store, if any.
func (d *RangeDescriptor) ReplicaByStore(s StoreID) (*ReplicaDescriptor, bool) {
	for _, r := range d.GetReplicas() {
		if StoreID(r.GetStoreId()) == s {
			return r, true
		}
	}
	return nil, false
}

// ReplicaByID returns the replica with the ID, if any.
func (d *RangeDescriptor) ReplicaByID(id ReplicaID) (*ReplicaDescriptor, bool) {
	for _, r := range d.GetReplicas() {
		if ReplicaID(r.GetReplicaId()) == id {
			return r, true
		}
	}
	return nil, false
}

// Voters returns the replicas that vote (VOTER, VOTER_INCOMING,
// VOTER_OUTGOING, VOTER_DEMOTING).
func (d *RangeDescriptor) Voters() []*ReplicaDescriptor {
	var out []*ReplicaDescriptor
	for _, r := range d.GetReplicas() {
		if r.GetType() != ReplicaType_LEARNER {
			out = append(out, r)
		}
	}
	return out
}

// NodeID returns the replica's node as a typed ID.
func (r *ReplicaDescriptor) NodeID() NodeID { return NodeID(r.GetNodeId()) }

// StoreID returns the replica's store as a typed ID.
func (r *ReplicaDescriptor) StoreID() StoreID { return StoreID(r.GetStoreId()) }

// ID returns the replica ID.
func (r *ReplicaDescriptor) ID() ReplicaID { return ReplicaID(r.GetReplicaId()) }

// RangeID returns the header's range as a typed ID.
func (h *Header) RangeID() RangeID { return RangeID(h.GetRangeId()) }

// NodeID returns the descriptor's node as a typed ID.
func (n *NodeDescriptor) NodeID() NodeID { return NodeID(n.GetNodeId()) }

// Covers reports whether the lease is valid at ts: start <= ts < expiration.
func (l *Lease) Covers(ts hlc.Timestamp) bool {
	if l == nil || l.GetReplica() == nil {
		return false
	}
	return l.GetStart().HLC().LessEq(ts) && ts.Less(l.GetExpiration().HLC())
}

// RequestSpan returns the key span touched by a request: end is nil for
// single-key requests.
func (u *RequestUnion) RequestSpan() (key, end []byte) {
	switch r := u.GetValue().(type) {
	case *RequestUnion_Get:
		return r.Get.GetKey(), nil
	case *RequestUnion_Scan:
		return r.Scan.GetKey(), r.Scan.GetEndKey()
	case *RequestUnion_ReverseScan:
		return r.ReverseScan.GetKey(), r.ReverseScan.GetEndKey()
	case *RequestUnion_Put:
		return r.Put.GetKey(), nil
	case *RequestUnion_ConditionalPut:
		return r.ConditionalPut.GetKey(), nil
	case *RequestUnion_Increment:
		return r.Increment.GetKey(), nil
	case *RequestUnion_Delete:
		return r.Delete.GetKey(), nil
	case *RequestUnion_DeleteRange:
		return r.DeleteRange.GetKey(), r.DeleteRange.GetEndKey()
	case *RequestUnion_EndTxn:
		return r.EndTxn.GetKey(), nil
	case *RequestUnion_HeartbeatTxn:
		return r.HeartbeatTxn.GetKey(), nil
	case *RequestUnion_PushTxn:
		return r.PushTxn.GetKey(), nil
	case *RequestUnion_QueryTxn:
		return r.QueryTxn.GetKey(), nil
	case *RequestUnion_ResolveIntent:
		return r.ResolveIntent.GetKey(), nil
	case *RequestUnion_ResolveIntentRange:
		return r.ResolveIntentRange.GetKey(), r.ResolveIntentRange.GetEndKey()
	case *RequestUnion_Refresh:
		return r.Refresh.GetKey(), nil
	case *RequestUnion_RefreshRange:
		return r.RefreshRange.GetKey(), r.RefreshRange.GetEndKey()
	case *RequestUnion_Gc:
		return r.Gc.GetKey(), r.Gc.GetEndKey()
	}
	return nil, nil
}

// IsWrite reports whether the request writes.
func (u *RequestUnion) IsWrite() bool {
	switch u.GetValue().(type) {
	case *RequestUnion_Put, *RequestUnion_ConditionalPut, *RequestUnion_Increment,
		*RequestUnion_Delete, *RequestUnion_DeleteRange,
		*RequestUnion_EndTxn, *RequestUnion_HeartbeatTxn, *RequestUnion_PushTxn,
		*RequestUnion_ResolveIntent, *RequestUnion_ResolveIntentRange, *RequestUnion_Gc:
		return true
	}
	return false
}

// IsIntentWrite reports whether the request writes user data (lays an
// intent when transactional): Put, ConditionalPut, Increment, Delete,
// DeleteRange.
func (u *RequestUnion) IsIntentWrite() bool {
	switch u.GetValue().(type) {
	case *RequestUnion_Put, *RequestUnion_ConditionalPut, *RequestUnion_Increment,
		*RequestUnion_Delete, *RequestUnion_DeleteRange:
		return true
	}
	return false
}

// IsUserRead reports whether the request reads user data at the batch
// timestamp (and so updates the timestamp cache): Get, Scan, ReverseScan.
func (u *RequestUnion) IsUserRead() bool {
	switch u.GetValue().(type) {
	case *RequestUnion_Get, *RequestUnion_Scan, *RequestUnion_ReverseScan:
		return true
	}
	return false
}

// Locking returns the lock a read request takes on the keys it returns
// (KEY_LOCKING_NONE for a plain read or any other request).
func (u *RequestUnion) Locking() KeyLocking {
	switch v := u.GetValue().(type) {
	case *RequestUnion_Get:
		return v.Get.GetKeyLocking()
	case *RequestUnion_Scan:
		return v.Scan.GetKeyLocking()
	case *RequestUnion_ReverseScan:
		return v.ReverseScan.GetKeyLocking()
	}
	return KeyLocking_KEY_LOCKING_NONE
}

// IsLockingRead reports whether the request is a locking read (SELECT ...
// FOR SHARE / FOR UPDATE).
func (u *RequestUnion) IsLockingRead() bool { return u.Locking() != KeyLocking_KEY_LOCKING_NONE }

// WithLocking sets the lock strength of a Get, Scan or ReverseScan (other
// requests are returned unchanged) and returns u.
func (u *RequestUnion) WithLocking(str KeyLocking) *RequestUnion {
	switch v := u.GetValue().(type) {
	case *RequestUnion_Get:
		v.Get.KeyLocking = str
	case *RequestUnion_Scan:
		v.Scan.KeyLocking = str
	case *RequestUnion_ReverseScan:
		v.ReverseScan.KeyLocking = str
	}
	return u
}

// WaitPolicy returns what a Get, Scan or ReverseScan does on meeting
// another txn's lock (WAIT_POLICY_BLOCK for any other request).
func (u *RequestUnion) WaitPolicy() KeyWaitPolicy {
	switch v := u.GetValue().(type) {
	case *RequestUnion_Get:
		return v.Get.GetWaitPolicy()
	case *RequestUnion_Scan:
		return v.Scan.GetWaitPolicy()
	case *RequestUnion_ReverseScan:
		return v.ReverseScan.GetWaitPolicy()
	}
	return KeyWaitPolicy_WAIT_POLICY_BLOCK
}

// WithWaitPolicy sets the wait policy of a Get, Scan or ReverseScan (other
// requests are returned unchanged) and returns u.
func (u *RequestUnion) WithWaitPolicy(p KeyWaitPolicy) *RequestUnion {
	switch v := u.GetValue().(type) {
	case *RequestUnion_Get:
		v.Get.WaitPolicy = p
	case *RequestUnion_Scan:
		v.Scan.WaitPolicy = p
	case *RequestUnion_ReverseScan:
		v.ReverseScan.WaitPolicy = p
	}
	return u
}

// IsReadOnly reports whether no request in the batch writes.
func (b *BatchRequest) IsReadOnly() bool {
	for _, r := range b.GetRequests() {
		if r.IsWrite() {
			return false
		}
	}
	return true
}

// Convenience constructors for requests (clients and tests).

// NewGet returns a Get of key.
func NewGet(key []byte) *RequestUnion {
	b := &getRequestBlock{} // the three messages in one allocation
	b.req.Key = key
	b.get.Get = &b.req
	b.union.Value = &b.get
	return &b.union
}

type getRequestBlock struct {
	union RequestUnion
	get   RequestUnion_Get
	req   GetRequest
}

// NewAssertGet is a Get that fails its batch with ConditionFailedError
// unless key's value equals expected (nil: the key has no live value).
func NewAssertGet(key, expected []byte) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_Get{Get: &GetRequest{Key: key, Assert: true,
		ExpValue: expected, ExpExists: expected != nil}}}
}

// NewPut returns a Put of key=value.
func NewPut(key, value []byte) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_Put{Put: &PutRequest{Key: key, Value: value}}}
}

// NewConditionalPut returns a ConditionalPut; exp nil means "must not exist".
func NewConditionalPut(key, value, exp []byte) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_ConditionalPut{ConditionalPut: &ConditionalPutRequest{
		Key: key, Value: value, ExpValue: exp, ExpExists: exp != nil}}}
}

// NewIncrement returns an Increment of key by inc.
func NewIncrement(key []byte, inc int64) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_Increment{Increment: &IncrementRequest{Key: key, Increment: inc}}}
}

// NewDelete returns a Delete of key.
func NewDelete(key []byte) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_Delete{Delete: &DeleteRequest{Key: key}}}
}

// NewDeleteRange returns a DeleteRange of [key, end).
func NewDeleteRange(key, end []byte) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_DeleteRange{DeleteRange: &DeleteRangeRequest{Key: key, EndKey: end}}}
}

// NewScan returns a Scan of [key, end) with a key limit (0 = none).
func NewScan(key, end []byte, maxKeys int64) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_Scan{Scan: &ScanRequest{Key: key, EndKey: end, MaxKeys: maxKeys}}}
}

// NewReverseScan returns a ReverseScan of [key, end) with a key limit.
func NewReverseScan(key, end []byte, maxKeys int64) *RequestUnion {
	return &RequestUnion{Value: &RequestUnion_ReverseScan{ReverseScan: &ReverseScanRequest{Key: key, EndKey: end, MaxKeys: maxKeys}}}
}
