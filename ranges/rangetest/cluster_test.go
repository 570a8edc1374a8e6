package rangetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSingleNode(t *testing.T) {
	c := New(t, Config{Nodes: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Put(ctx, "a", "1"))
	v, ok, err := c.Get(ctx, "a")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "1", v)
}

func TestThreeNodesBasic(t *testing.T) {
	for _, kind := range []TransportKind{Mem, GRPC} {
		t.Run(fmt.Sprint(kind), func(t *testing.T) {
			c := New(t, Config{Nodes: 3, Transport: kind})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for i := 0; i < 20; i++ {
				require.NoError(t, c.Put(ctx, fmt.Sprintf("k%02d", i), fmt.Sprint(i)))
			}
			rows, err := c.Scan(ctx, "k", "l")
			require.NoError(t, err)
			require.Len(t, rows, 20)
			// Every replica applied the writes.
			for _, n := range c.Nodes {
				require.Eventually(t, func() bool {
					infos := n.Store().RangeInfo(1)
					return len(infos) == 1 && len(infos[0].GetDesc().GetReplicas()) == 3
				}, 10*time.Second, 10*time.Millisecond)
			}
		})
	}
}
