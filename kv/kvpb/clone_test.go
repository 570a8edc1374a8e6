package kvpb

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// everySet fails t unless every field of m, and of every message it holds,
// is set: a field added to data.proto must be added to the fixture (and to
// cloneTxn).
func everySet(t *testing.T, m protoreflect.Message) {
	t.Helper()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		require.Truef(t, m.Has(fd), "%s.%s is not set in the fixture", m.Descriptor().FullName(), fd.Name())
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := m.Get(fd).List()
			for j := 0; j < l.Len(); j++ {
				everySet(t, l.Get(j).Message())
			}
		case fd.Message() != nil && !fd.IsMap():
			everySet(t, m.Get(fd).Message())
		}
	}
}

func fullTxn() *Transaction {
	return &Transaction{
		Meta: &TxnMeta{Id: []byte("0123456789abcdef"), Key: []byte("anchor"), Epoch: 2,
			WriteTimestamp: &Timestamp{WallTime: 10, Logical: 1}, MinTimestamp: &Timestamp{WallTime: 5, Logical: 2},
			Priority: 7, Sequence: 9},
		Name:                   "sql txn",
		Status:                 TransactionStatus(1),
		ReadTimestamp:          &Timestamp{WallTime: 8, Logical: 3},
		LastHeartbeat:          &Timestamp{WallTime: 11, Logical: 4},
		GlobalUncertaintyLimit: &Timestamp{WallTime: 20, Logical: 5},
		ObservedTimestamps:     []*ObservedTimestamp{{NodeId: 1, Timestamp: &Timestamp{WallTime: 12, Logical: 6}}, {NodeId: 2, Timestamp: &Timestamp{WallTime: 13, Logical: 7}}},
		IgnoredSeqnums:         []*IgnoredSeqNumRange{{Start: 1, End: 3}},
		LockSpans:              []*Span{{Key: []byte("a"), EndKey: []byte("b")}, {Key: []byte("c"), EndKey: []byte("d")}},
		WriteTooOld:            true,
	}
}

// TestCloneTxnMatchesProtoClone: the hand-written clone equals proto.Clone
// for a transaction with every field set, for a partial one and for nil,
// and shares no memory with the original.
func TestCloneTxnMatchesProtoClone(t *testing.T) {
	full := fullTxn()
	everySet(t, full.ProtoReflect())
	for _, txn := range []*Transaction{full, {Name: "x"}, {Meta: &TxnMeta{Id: []byte{}}}, {}} {
		c := cloneTxn(txn)
		require.True(t, proto.Equal(proto.Clone(txn), c), "clone %v != %v", c, txn)
		// Empty bytes come out nil, as with proto.Clone.
		if txn.Meta != nil && len(txn.Meta.Id) == 0 {
			require.Nil(t, c.Meta.Id)
		}
	}
	require.Nil(t, cloneTxn(nil))

	c := cloneTxn(full)
	c.Meta.Id[0] = 'X'
	c.Meta.Key[0] = 'X'
	c.Meta.WriteTimestamp.WallTime = 99
	c.Meta.MinTimestamp.WallTime = 99
	c.ReadTimestamp.WallTime = 99
	c.LastHeartbeat.WallTime = 99
	c.GlobalUncertaintyLimit.WallTime = 99
	c.ObservedTimestamps[0].Timestamp.WallTime = 99
	c.ObservedTimestamps[1].NodeId = 99
	c.IgnoredSeqnums[0].End = 99
	c.LockSpans[0].Key[0] = 'X'
	c.LockSpans[1].EndKey[0] = 'X'
	require.True(t, proto.Equal(fullTxn(), full), "mutating the clone changed the original: %v", full)

	// The block's inline room: one observed timestamp and a short ID and
	// key; and a key too long for it.
	for _, key := range [][]byte{[]byte("k"), bytes.Repeat([]byte("k"), 100)} {
		one := &Transaction{Meta: &TxnMeta{Id: []byte("0123456789abcdef"), Key: key},
			ObservedTimestamps: []*ObservedTimestamp{{NodeId: 3, Timestamp: &Timestamp{WallTime: 5}}}}
		c := cloneTxn(one)
		require.True(t, proto.Equal(proto.Clone(one), c), "clone %v != %v", c, one)
		c.Meta.Id[0], c.Meta.Key[0] = 'X', 'X'
		c.ObservedTimestamps[0].Timestamp.WallTime = 99
		c.ObservedTimestamps = append(c.ObservedTimestamps, &ObservedTimestamp{NodeId: 4})
		require.Equal(t, "0123456789abcdef", string(one.Meta.Id))
		require.Equal(t, byte('k'), one.Meta.Key[0])
		require.Equal(t, int64(5), one.ObservedTimestamps[0].Timestamp.WallTime)
		require.Len(t, one.ObservedTimestamps, 1)
		require.True(t, proto.Equal(proto.Clone(one), cloneTxn(one)))
	}
}

// TestCloneReadBatchMatchesProtoClone: CloneReadBatch equals proto.Clone
// for read batches with every field set (so a new field fails here until
// it is copied), shares no memory with the original, and refuses other
// requests and unknown fields.
func TestCloneReadBatchMatchesProtoClone(t *testing.T) {
	full := func() *BatchRequest {
		return &BatchRequest{
			Header: &Header{RangeId: 7, Replica: &ReplicaDescriptor{NodeId: 1, StoreId: 2, ReplicaId: 3, Type: ReplicaType(1)},
				Timestamp: &Timestamp{WallTime: 4, Logical: 5}, Txn: fullTxn(), NoTxnRecord: true},
			Requests: []*RequestUnion{
				{Value: &RequestUnion_Get{Get: &GetRequest{Key: []byte("g"), KeyLocking: KeyLocking(1), WaitPolicy: KeyWaitPolicy(1),
					Assert: true, ExpValue: []byte("e"), ExpExists: true}}},
				{Value: &RequestUnion_Scan{Scan: &ScanRequest{Key: []byte("s"), EndKey: []byte("t"), MaxKeys: 3, TargetBytes: 4,
					KeyLocking: KeyLocking(1), WaitPolicy: KeyWaitPolicy(1)}}},
				{Value: &RequestUnion_ReverseScan{ReverseScan: &ReverseScanRequest{Key: []byte("r"), EndKey: []byte("s"), MaxKeys: 5,
					TargetBytes: 6, KeyLocking: KeyLocking(1), WaitPolicy: KeyWaitPolicy(1)}}},
			},
			Now: &Timestamp{WallTime: 9, Logical: 1},
		}
	}
	b := full()
	m := b.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		require.Truef(t, m.Has(fields.Get(i)), "BatchRequest.%s is not set in the fixture", fields.Get(i).Name())
	}
	everySet(t, b.GetHeader().ProtoReflect())
	everySet(t, b.GetNow().ProtoReflect())
	for _, r := range b.GetRequests() {
		// Only the set member of the oneof: check the request message itself.
		everySet(t, r.ProtoReflect().Get(r.ProtoReflect().WhichOneof(r.ProtoReflect().Descriptor().Oneofs().Get(0))).Message())
	}
	for _, ba := range []*BatchRequest{b, {Requests: []*RequestUnion{NewGet([]byte("k"))}},
		{Header: &Header{}, Requests: []*RequestUnion{{Value: &RequestUnion_Scan{Scan: &ScanRequest{Key: []byte{}}}}}}} {
		c, ok := CloneReadBatch(ba)
		require.True(t, ok)
		require.True(t, proto.Equal(proto.Clone(ba), c), "clone %v != %v", c, ba)
		require.True(t, proto.Equal(c, CloneBatch(ba)))
	}

	c, _ := CloneReadBatch(b)
	c.Header.RangeId = 99
	c.Header.Replica.NodeId = 99
	c.Header.Timestamp.WallTime = 99
	c.Header.Txn.Meta.Key[0] = 'X'
	c.Now.WallTime = 99
	c.Requests[0].GetGet().Key[0] = 'X'
	c.Requests[1].GetScan().EndKey[0] = 'X'
	c.Requests[2].GetReverseScan().Key[0] = 'X'
	c.Requests[2] = nil
	require.True(t, proto.Equal(full(), b), "mutating the clone changed the original: %v", b)

	for _, ba := range []*BatchRequest{nil, {}, {Requests: []*RequestUnion{NewGet([]byte("k")), {Value: &RequestUnion_Put{Put: &PutRequest{Key: []byte("k")}}}}}} {
		_, ok := CloneReadBatch(ba)
		require.False(t, ok)
	}
	unk := full()
	unk.Requests[1].GetScan().ProtoReflect().SetUnknown(protoreflect.RawFields{0x98, 0x06, 0x01})
	_, ok := CloneReadBatch(unk)
	require.False(t, ok)
	require.True(t, proto.Equal(unk, CloneBatch(unk)))
}

// TestCloneWriteBatchMatchesProtoClone: CloneWriteBatch equals proto.Clone
// for a one-phase write batch with every field set (a new field fails here
// until it is copied), shares no memory with the original, and refuses
// other requests and unknown fields (CloneBatch then uses proto.Clone).
func TestCloneWriteBatchMatchesProtoClone(t *testing.T) {
	full := func() *BatchRequest {
		return &BatchRequest{
			Header: &Header{RangeId: 7, Replica: &ReplicaDescriptor{NodeId: 1, StoreId: 2, ReplicaId: 3, Type: ReplicaType(1)},
				Timestamp: &Timestamp{WallTime: 4, Logical: 5}, Txn: fullTxn(), NoTxnRecord: true},
			Requests: []*RequestUnion{
				{Value: &RequestUnion_Get{Get: &GetRequest{Key: []byte("g"), KeyLocking: KeyLocking(1), WaitPolicy: KeyWaitPolicy(1),
					Assert: true, ExpValue: []byte("e"), ExpExists: true}}},
				{Value: &RequestUnion_Put{Put: &PutRequest{Key: []byte("p"), Value: []byte("v")}}},
				{Value: &RequestUnion_ConditionalPut{ConditionalPut: &ConditionalPutRequest{Key: []byte("c"), Value: []byte("v"),
					ExpValue: []byte("x"), ExpExists: true}}},
				{Value: &RequestUnion_Delete{Delete: &DeleteRequest{Key: []byte("d")}}},
				{Value: &RequestUnion_Increment{Increment: &IncrementRequest{Key: []byte("i"), Increment: 3}}},
				{Value: &RequestUnion_EndTxn{EndTxn: &EndTxnRequest{Key: []byte("anchor"), Commit: true,
					LockSpans: []*Span{{Key: []byte("l"), EndKey: []byte("m")}}, Deadline: &Timestamp{WallTime: 8, Logical: 1}}}},
			},
			Now: &Timestamp{WallTime: 9, Logical: 1},
		}
	}
	b := full()
	everySet(t, b.GetHeader().ProtoReflect())
	for _, r := range b.GetRequests() {
		everySet(t, r.ProtoReflect().Get(r.ProtoReflect().WhichOneof(r.ProtoReflect().Descriptor().Oneofs().Get(0))).Message())
	}
	c, ok := CloneWriteBatch(b)
	require.True(t, ok)
	require.True(t, proto.Equal(proto.Clone(b), c), "clone %v != %v", c, b)
	require.True(t, proto.Equal(c, CloneBatch(b)))

	c.Requests[1].GetPut().Value[0] = 'X'
	c.Requests[2].GetConditionalPut().ExpValue[0] = 'X'
	c.Requests[3].GetDelete().Key[0] = 'X'
	c.Requests[4].GetIncrement().Key[0] = 'X'
	c.Requests[5].GetEndTxn().LockSpans[0].Key[0] = 'X'
	c.Requests[5].GetEndTxn().Deadline.WallTime = 99
	c.Header.Txn.Meta.Id[0] = 'X'
	require.True(t, proto.Equal(full(), b), "mutating the clone changed the original: %v", b)

	other := &BatchRequest{Requests: []*RequestUnion{NewPut([]byte("k"), nil), {Value: &RequestUnion_PushTxn{PushTxn: &PushTxnRequest{}}}}}
	_, ok = CloneWriteBatch(other)
	require.False(t, ok)
	require.True(t, proto.Equal(other, CloneBatch(other)))
	unk := full()
	unk.Requests[5].GetEndTxn().ProtoReflect().SetUnknown(protoreflect.RawFields{0x98, 0x06, 0x01})
	_, ok = CloneWriteBatch(unk)
	require.False(t, ok)
	require.True(t, proto.Equal(unk, CloneBatch(unk)))
}

// TestCloneBatchResponseMatchesProtoClone: CloneBatchResponse equals
// proto.Clone for a one-phase write's response with every field set but
// the error, shares no memory with the original, and takes proto.Clone for
// an error, other responses and unknown fields.
func TestCloneBatchResponseMatchesProtoClone(t *testing.T) {
	full := func() *BatchResponse {
		return &BatchResponse{
			Responses: []*ResponseUnion{
				{Value: &ResponseUnion_Get{Get: &GetResponse{Found: true, Value: []byte("v"), Timestamp: &Timestamp{WallTime: 1, Logical: 2}}}},
				{Value: &ResponseUnion_Put{Put: &PutResponse{}}},
				{Value: &ResponseUnion_ConditionalPut{ConditionalPut: &ConditionalPutResponse{}}},
				{Value: &ResponseUnion_Delete{Delete: &DeleteResponse{Found: true}}},
				{Value: &ResponseUnion_Increment{Increment: &IncrementResponse{NewValue: 4}}},
				{Value: &ResponseUnion_EndTxn{EndTxn: &EndTxnResponse{OnePhaseCommit: true,
					RemoteLockSpans: []*Span{{Key: []byte("r"), EndKey: []byte("s")}}}}},
			},
			Timestamp: &Timestamp{WallTime: 5, Logical: 6},
			Now:       &Timestamp{WallTime: 7, Logical: 8},
			Txn:       fullTxn(),
		}
	}
	b := full()
	m := b.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		if fd := fields.Get(i); fd.Name() != "error" {
			require.Truef(t, m.Has(fd), "BatchResponse.%s is not set in the fixture", fd.Name())
		}
	}
	for _, r := range b.GetResponses() {
		everySet(t, r.ProtoReflect().Get(r.ProtoReflect().WhichOneof(r.ProtoReflect().Descriptor().Oneofs().Get(0))).Message())
	}
	everySet(t, b.GetTxn().ProtoReflect())
	c, ok := cloneBatchResponse(b)
	require.True(t, ok)
	require.True(t, proto.Equal(proto.Clone(b), c), "clone %v != %v", c, b)
	require.True(t, proto.Equal(c, CloneBatchResponse(b)))
	c.Responses[0].GetGet().Value[0] = 'X'
	c.Responses[0].GetGet().Timestamp.WallTime = 99
	c.Responses[5].GetEndTxn().RemoteLockSpans[0].Key[0] = 'X'
	c.Timestamp.WallTime = 99
	c.Txn.Meta.Key[0] = 'X'
	require.True(t, proto.Equal(full(), b), "mutating the clone changed the original: %v", b)

	for _, br := range []*BatchResponse{
		{Error: &Error{Message: "e"}},
		{Responses: []*ResponseUnion{{Value: &ResponseUnion_Scan{Scan: &ScanResponse{}}}}},
	} {
		_, ok := cloneBatchResponse(br)
		require.False(t, ok)
		require.True(t, proto.Equal(br, CloneBatchResponse(br)))
	}
	unk := full()
	unk.Responses[3].GetDelete().ProtoReflect().SetUnknown(protoreflect.RawFields{0x98, 0x06, 0x01})
	_, ok = cloneBatchResponse(unk)
	require.False(t, ok)
	require.True(t, proto.Equal(unk, CloneBatchResponse(unk)))
	require.Nil(t, CloneBatchResponse(nil).GetTxn())
}
