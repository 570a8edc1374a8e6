package ranges_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/ranges/rangetest"
)

// TestSizeSplitKey: the size split key of a range with equal-sized rows
// falls near its middle row, and the leaseholder reports load with
// sampled request keys for it.
func TestSizeSplitKey(t *testing.T) {
	c := rangetest.New(t, rangetest.Config{Nodes: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := c.Nodes[0].Store()
	key, err := s.SizeSplitKey(1)
	require.NoError(t, err)
	require.Nil(t, key, "an empty range has no split key")
	for i := 0; i < 100; i++ {
		require.NoError(t, c.Put(ctx, fmt.Sprintf("\x04row%03d", i), "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"))
	}
	key, err = s.SizeSplitKey(1)
	require.NoError(t, err)
	require.GreaterOrEqual(t, string(key), "\x04row040")
	require.LessOrEqual(t, string(key), "\x04row060")
	loads := s.LoadInfo()
	require.Len(t, loads, 1)
	require.Positive(t, loads[0].QPS)
	require.Positive(t, loads[0].WritesPerSec)
	require.NotEmpty(t, loads[0].Samples)
	_, err = s.SizeSplitKey(99)
	require.Error(t, err)
}
