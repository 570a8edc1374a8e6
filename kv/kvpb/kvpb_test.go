package kvpb

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/hlc"
)

// TestErrorRoundTrip: every detail survives NewError → marshal → GoError
// and is found with errors.As, also when wrapped.
func TestErrorRoundTrip(t *testing.T) {
	details := []error{
		&NotLeaseholderError{RangeId: 1, Leaseholder: &ReplicaDescriptor{NodeId: 2, StoreId: 2, ReplicaId: 3}},
		&RangeKeyMismatchError{RequestStartKey: []byte("a")},
		&RangeNotFoundError{RangeId: 4, StoreId: 5},
		&UnavailableError{RangeId: 1, Reason: "no quorum"},
		&AmbiguousResultError{RangeId: 1, Reason: "deadline"},
		&ConditionFailedError{Key: []byte("k"), HasValue: true, ActualValue: []byte("v")},
		&WriteTooOldError{Key: []byte("k")},
		&InvalidRequestError{Reason: "empty key"},
		&ClockOffsetError{MaxOffsetNanos: 5},
		&StoreNotFoundError{StoreId: 9},
	}
	for _, d := range details {
		wrapped := fmt.Errorf("context: %w", d)
		wire := NewError(wrapped)
		b, err := proto.Marshal(wire)
		require.NoError(t, err)
		back := &Error{}
		require.NoError(t, proto.Unmarshal(b, back))
		got := back.GoError()
		require.IsType(t, d, got)
		require.True(t, proto.Equal(d.(proto.Message), got.(proto.Message)), "%T", d)
		require.NotEmpty(t, got.Error())
	}
	generic := NewError(errors.New("boom")).GoError()
	require.ErrorIs(t, generic, ErrGeneric)
	require.Nil(t, NewError(nil))
	require.NoError(t, (*Error)(nil).GoError())
}

func TestConversions(t *testing.T) {
	ts := hlc.Timestamp{WallTime: 5, Logical: 2}
	require.Equal(t, ts, TS(ts).HLC())
	require.Nil(t, TS(hlc.Timestamp{}))
	require.True(t, (*Timestamp)(nil).HLC().IsEmpty())
	d := &RangeDescriptor{StartKey: []byte("b"), EndKey: []byte("d")}
	require.True(t, d.ContainsKey([]byte("b")))
	require.False(t, d.ContainsKey([]byte("d")))
	require.True(t, d.ContainsSpan([]byte("b"), []byte("d")))
	require.False(t, d.ContainsSpan([]byte("a"), []byte("c")))
	require.False(t, d.ContainsSpan([]byte("c"), []byte("c")))
	l := &Lease{Replica: &ReplicaDescriptor{ReplicaId: 1}, Start: TS(hlc.Timestamp{WallTime: 10}), Expiration: TS(hlc.Timestamp{WallTime: 20})}
	require.True(t, l.Covers(hlc.Timestamp{WallTime: 10}))
	require.False(t, l.Covers(hlc.Timestamp{WallTime: 20}))
	require.False(t, (*Lease)(nil).Covers(hlc.Timestamp{WallTime: 15}))
	b := &BatchRequest{Requests: []*RequestUnion{NewGet([]byte("a")), NewScan([]byte("a"), []byte("b"), 0)}}
	require.True(t, b.IsReadOnly())
	b.Requests = append(b.Requests, NewPut([]byte("a"), nil))
	require.False(t, b.IsReadOnly())
}
