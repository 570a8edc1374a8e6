package ranges

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/quorum"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// TestConfChangeRejection: which committed conf changes apply.
func TestConfChangeRejection(t *testing.T) {
	desc := func(gen uint64) *kvpb.RangeDescriptor { return &kvpb.RangeDescriptor{RangeId: 1, Generation: gen} }
	add := &raftpb.ConfChangeV2{Changes: []*raftpb.ConfChangeSingle{{Type: raftpb.ConfChangeAddLearnerNode.Enum(), NodeId: proto.Uint64(4)}}}
	enter := &raftpb.ConfChangeV2{Transition: raftpb.ConfChangeTransition_ConfChangeTransitionJointImplicit.Enum(),
		Changes: []*raftpb.ConfChangeSingle{{Type: raftpb.ConfChangeAddNode.Enum(), NodeId: proto.Uint64(4)}}}
	leave := &raftpb.ConfChangeV2{}
	joint := quorum.MajorityConfig{1: {}, 2: {}, 3: {}}
	for _, tc := range []struct {
		name      string
		cur, next *kvpb.RangeDescriptor
		cc        *raftpb.ConfChangeV2
		outgoing  quorum.MajorityConfig
		rejected  bool
	}{
		{"built from the current descriptor", desc(7), desc(8), add, nil, false},
		{"entering a joint configuration", desc(7), desc(8), enter, nil, false},
		{"a copy after the change applied", desc(8), desc(8), add, nil, true},
		{"built from an older descriptor", desc(9), desc(8), add, nil, true},
		{"skipping a generation", desc(7), desc(9), add, nil, true},
		{"no descriptor yet", nil, desc(8), add, nil, false},
		{"leaving the joint configuration", desc(8), desc(9), leave, joint, false},
		{"leaving outside a joint configuration", desc(8), desc(9), leave, nil, true},
		{"a change inside a joint configuration", desc(8), desc(9), add, joint, true},
		{"entering again inside a joint configuration", desc(8), desc(9), enter, joint, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reason := confChangeRejection(tc.cur, tc.next, tc.cc, tc.outgoing)
			require.Equal(t, tc.rejected, reason != "", "reason %q", reason)
		})
	}
}
