package kvpb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// partsNode answers each range's part from rows per range ID, applying
// the key and byte limits the way storage.MVCCScan does, and records the
// limits each part was evaluated with.
type partsNode struct {
	mu     sync.Mutex
	rows   map[uint64]int // rows of 10 bytes in each range
	fail   map[uint64]bool
	called []string
}

func (n *partsNode) send(_ context.Context, ba *BatchRequest) (*BatchResponse, error) {
	id := ba.GetHeader().GetRangeId()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail[id] {
		n.called = append(n.called, fmt.Sprintf("r%d:fail", id))
		return &BatchResponse{Error: NewError(&RangeKeyMismatchError{})}, nil
	}
	br := &BatchResponse{}
	for _, r := range ba.GetRequests() {
		s := r.GetScan()
		n.called = append(n.called, fmt.Sprintf("r%d:%d/%d", id, s.GetMaxKeys(), s.GetTargetBytes()))
		resp := &ScanResponse{}
		for i := 0; i < n.rows[id]; i++ {
			if (s.GetMaxKeys() > 0 && int64(len(resp.Rows)) >= s.GetMaxKeys()) ||
				(s.GetTargetBytes() > 0 && len(resp.Rows) > 0 && resp.NumBytes >= s.GetTargetBytes()) {
				resp.ResumeSpan = &Span{Key: []byte(fmt.Sprintf("r%d/%d", id, i)), EndKey: s.GetEndKey()}
				break
			}
			resp.Rows = append(resp.Rows, &KeyValue{Key: []byte("k"), Value: make([]byte, 9)})
			resp.NumBytes += 10
		}
		br.Responses = append(br.Responses, &ResponseUnion{Value: &ResponseUnion_Scan{Scan: resp}})
	}
	return br, nil
}

func scanPart(rangeID uint64, maxKeys, targetBytes int64, idx ...int32) *BatchPart {
	ba := &BatchRequest{Header: &Header{RangeId: rangeID}}
	for range idx {
		ba.Requests = append(ba.Requests, &RequestUnion{Value: &RequestUnion_Scan{Scan: &ScanRequest{
			Key: []byte("a"), EndKey: []byte("z"), MaxKeys: maxKeys, TargetBytes: targetBytes}}})
	}
	return &BatchPart{Batch: ba, Indexes: idx}
}

// TestEvalPartsCarryLimits: with carry_limits each part is evaluated with
// the limits the earlier parts left (per client request index), and the
// parts past a used-up limit, a resume span or a failure are skipped, not
// evaluated; without it every part is evaluated with its own limits.
func TestEvalPartsCarryLimits(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		parts   []*BatchPart
		fail    uint64
		called  []string
		skipped []bool
	}{
		{"keys used up", []*BatchPart{scanPart(1, 25, 0, 0), scanPart(2, 25, 0, 0), scanPart(3, 25, 0, 0), scanPart(4, 25, 0, 0)}, 0,
			[]string{"r1:25/0", "r2:15/0", "r3:5/0"}, []bool{false, false, false, true}},
		{"bytes used up", []*BatchPart{scanPart(1, 0, 150, 0), scanPart(2, 0, 150, 0), scanPart(3, 0, 150, 0)}, 0,
			[]string{"r1:0/150", "r2:0/50"}, []bool{false, false, true}},
		{"exact fit", []*BatchPart{scanPart(1, 20, 0, 0), scanPart(2, 20, 0, 0), scanPart(3, 20, 0, 0)}, 0,
			[]string{"r1:20/0", "r2:10/0"}, []bool{false, false, true}},
		{"failure", []*BatchPart{scanPart(1, 100, 0, 0), scanPart(2, 100, 0, 0), scanPart(3, 100, 0, 0)}, 2,
			[]string{"r1:100/0", "r2:fail"}, []bool{false, false, true}},
		{"two requests", []*BatchPart{scanPart(1, 15, 0, 0, 1), scanPart(2, 15, 0, 0, 1)}, 0,
			[]string{"r1:15/0", "r1:15/0", "r2:5/0", "r2:5/0"}, []bool{false, false}},
		{"other index", []*BatchPart{scanPart(1, 10, 0, 0), scanPart(2, 10, 0, 1)}, 0,
			[]string{"r1:10/0", "r2:10/0"}, []bool{false, false}},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := &partsNode{rows: map[uint64]int{1: 10, 2: 10, 3: 10, 4: 10}, fail: map[uint64]bool{c.fail: true}}
			resp, err := EvalParts(ctx, &BatchPartsRequest{Parts: c.parts, CarryLimits: true}, n.send)
			require.NoError(t, err)
			require.Equal(t, c.called, n.called)
			require.Len(t, resp.GetParts(), len(c.parts))
			for j, p := range resp.GetParts() {
				require.Equal(t, c.skipped[j], p.GetSkipped(), "part %d", j)
				require.Equal(t, c.skipped[j], p.GetBatch() == nil, "part %d", j)
			}
		})
	}
	// Without carry_limits: every part, its own limits.
	n := &partsNode{rows: map[uint64]int{1: 10, 2: 10, 3: 10}, fail: map[uint64]bool{2: true}}
	resp, err := EvalParts(ctx, &BatchPartsRequest{Parts: []*BatchPart{scanPart(1, 5, 0, 0), scanPart(2, 5, 0, 0), scanPart(3, 5, 0, 0)}}, n.send)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"r1:5/0", "r2:fail", "r3:5/0"}, n.called)
	require.Len(t, resp.GetParts()[0].GetBatch().GetResponses()[0].GetScan().GetRows(), 5)
	require.NotNil(t, resp.GetParts()[1].GetBatch().GetError())
	// A transport-level error of a part fails the RPC.
	boom := errors.New("boom")
	_, err = EvalParts(ctx, &BatchPartsRequest{Parts: []*BatchPart{scanPart(1, 5, 0, 0)}, CarryLimits: true},
		func(context.Context, *BatchRequest) (*BatchResponse, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
}
