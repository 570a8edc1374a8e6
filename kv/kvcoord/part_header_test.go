package kvcoord

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestPartHeaderCopiesEveryField: partHeader equals proto.Clone of the
// header with the part's range and replica, for a header with every field
// set (a field added to kvpb.Header fails here until partHeader copies it),
// and shares no memory with the original but its txn (immutable once
// sent, see partHeader).
func TestPartHeaderCopiesEveryField(t *testing.T) {
	orig := &kvpb.Header{
		RangeId:     3,
		Replica:     &kvpb.ReplicaDescriptor{NodeId: 1, StoreId: 1, ReplicaId: 1},
		Timestamp:   &kvpb.Timestamp{WallTime: 7, Logical: 2},
		Txn:         &kvpb.Transaction{Name: "t", Meta: &kvpb.TxnMeta{Id: []byte("0123456789abcdef"), Key: []byte("k")}},
		NoTxnRecord: true,
	}
	m := orig.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		require.Truef(t, m.Has(fields.Get(i)), "kvpb.Header.%s is not set in the fixture", fields.Get(i).Name())
	}
	desc := &kvpb.RangeDescriptor{RangeId: 9}
	rep := &kvpb.ReplicaDescriptor{NodeId: 2, StoreId: 2, ReplicaId: 4}
	want := proto.Clone(orig).(*kvpb.Header)
	want.RangeId, want.Replica = 9, rep
	got := partHeader(orig, desc, rep)
	require.True(t, proto.Equal(want, got), "%v != %v", got, want)
	got.Timestamp.WallTime = 99
	got.Replica.NodeId = 5
	require.Equal(t, int64(7), orig.Timestamp.WallTime)
	require.Equal(t, uint64(1), orig.Replica.NodeId)
	require.Same(t, orig.Txn, got.Txn)

	got = partHeader(nil, desc, rep)
	require.True(t, proto.Equal(&kvpb.Header{RangeId: 9, Replica: rep}, got))
	got = partHeader(&kvpb.Header{}, desc, rep)
	require.True(t, proto.Equal(&kvpb.Header{RangeId: 9, Replica: rep}, got))
}
