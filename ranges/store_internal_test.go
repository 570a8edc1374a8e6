package ranges

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
)

func TestSplitBatch(t *testing.T) {
	b := &kvpb.RaftMessageBatch{FromNodeId: 1, ToNodeId: 2}
	for i := 0; i < 10; i++ {
		b.Requests = append(b.Requests, &kvpb.RaftMessageRequest{RangeId: uint64(i), Message: make([]byte, 1000)})
	}
	parts := splitBatch(b, 3000)
	total := 0
	for _, p := range parts {
		require.Equal(t, uint64(2), p.GetToNodeId())
		require.LessOrEqual(t, len(p.GetRequests()), 2)
		total += len(p.GetRequests())
	}
	require.Equal(t, 10, total)
	// A single oversized message still goes, alone.
	big := &kvpb.RaftMessageBatch{Requests: []*kvpb.RaftMessageRequest{{Message: make([]byte, 5000)}}}
	require.Len(t, splitBatch(big, 3000), 1)
}
