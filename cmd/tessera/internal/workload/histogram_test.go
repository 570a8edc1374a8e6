package workload

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBucketsCoverEveryValue(t *testing.T) {
	// Buckets are contiguous and ordered: bucket i ends just before i+1.
	prevHi := int64(-1)
	for i := 0; i < numBuckets; i++ {
		lo, hi := bucketBounds(i)
		require.Equal(t, prevHi+1, lo, "bucket %d", i)
		require.LessOrEqual(t, lo, hi)
		require.Equal(t, i, bucketOf(lo))
		require.Equal(t, i, bucketOf(hi))
		// Relative width stays within 1/64.
		require.LessOrEqual(t, float64(hi-lo), float64(lo)/subCount+1e-9, "bucket %d", i)
		prevHi = hi
		if hi == int64(^uint64(0)>>1) {
			require.Equal(t, numBuckets-1, i)
		}
	}
	require.Equal(t, int64(^uint64(0)>>1), prevHi, "last bucket ends at MaxInt64")
}

func TestPercentileSmallExact(t *testing.T) {
	var h Histogram
	require.Zero(t, h.Percentile(0.5), "empty")
	for v := int64(1); v <= 100; v++ {
		h.Record(v)
	}
	// Values below 128 have their own bucket: exact order statistics.
	require.EqualValues(t, 1, h.Percentile(0))
	require.EqualValues(t, 50, h.Percentile(0.5))
	require.EqualValues(t, 95, h.Percentile(0.95))
	require.EqualValues(t, 99, h.Percentile(0.99))
	require.EqualValues(t, 100, h.Percentile(1))
	require.EqualValues(t, 100, h.Percentile(7)) // clamped
	require.EqualValues(t, 1, h.Percentile(-1))  // clamped
	require.EqualValues(t, 100, h.Count())
	require.InDelta(t, 50.5, h.Mean(), 1e-9)
	require.EqualValues(t, 1, h.Min())
	require.EqualValues(t, 100, h.Max())
}

func TestPercentileSingleValue(t *testing.T) {
	var h Histogram
	h.RecordDuration(1500 * time.Microsecond)
	for _, q := range []float64{0, 0.5, 0.99, 1} {
		require.EqualValues(t, 1500*time.Microsecond, h.Percentile(q), "clamped to the one value")
	}
	h.Record(-5)
	require.EqualValues(t, 0, h.Min(), "negative counts as 0")
}

func TestPercentileRandomWithinError(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	var h, a, b Histogram
	vals := make([]int64, 20000)
	for i := range vals {
		// Log-uniform latencies from 10µs to 10s.
		v := int64(1e4 * math.Pow(10, rng.Float64()*6))
		vals[i] = v
		h.Record(v)
		if i%2 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	a.Merge(&b)
	slices.Sort(vals)
	for _, q := range []float64{0.001, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
		rank := int(float64(len(vals))*q + 0.999999999)
		want := vals[rank-1]
		got := h.Percentile(q)
		require.GreaterOrEqual(t, got, want, "q=%v", q)
		require.LessOrEqual(t, float64(got-want), float64(want)/subCount, "q=%v", q)
		require.Equal(t, got, a.Percentile(q), "merged histogram agrees, q=%v", q)
	}
	require.Equal(t, vals[0], h.Min())
	require.Equal(t, vals[len(vals)-1], h.Max())
}
