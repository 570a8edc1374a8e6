package workload

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the precision: every power-of-two interval of values is cut
// into 2^subBits equal buckets, so a bucket's width is at most 1/64 of its
// lower bound.
const subBits = 6

const (
	subCount   = 1 << subBits
	numBuckets = (64 - subBits) * subCount
)

// Histogram counts non-negative int64 values (latencies in nanoseconds)
// in log-linear buckets. The zero value is empty and ready to use. It is
// not safe for concurrent use.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    float64
	min    int64
	max    int64
}

// bucketOf maps v ≥ 0 to its bucket. Values below 2·subCount have a bucket
// each; above, a value with bit length b shares a bucket with the values
// that agree with it on their top subBits+1 bits.
func bucketOf(v int64) int {
	if v < 2*subCount {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - (subBits + 1)
	top := int(v >> uint(shift)) // in [subCount, 2*subCount)
	return (shift+1)*subCount + top - subCount
}

// bucketBounds returns the smallest and largest value of bucket i.
func bucketBounds(i int) (lo, hi int64) {
	if i < 2*subCount {
		return int64(i), int64(i)
	}
	shift := i/subCount - 1
	top := int64(i%subCount + subCount)
	lo = top << uint(shift)
	hi = lo + (int64(1) << uint(shift)) - 1
	return lo, hi
}

// Record adds one value; negative values count as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
}

// RecordDuration adds d in nanoseconds.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(int64(d)) }

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Min and Max return the extreme recorded values (0 when empty).
func (h *Histogram) Min() int64 { return h.min }
func (h *Histogram) Max() int64 { return h.max }

// Mean returns the arithmetic mean (0 when empty).
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
}

// Reset empties h.
func (h *Histogram) Reset() { *h = Histogram{} }

// Percentile returns the value at quantile q in [0, 1] (q is clamped): the
// upper bound of the bucket holding the ceil(q·n)-th smallest value (at
// least the first), clamped to [Min, Max]. It returns 0 when empty.
func (h *Histogram) Percentile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	if math.IsNaN(q) || q < 0 {
		q = 0
	}
	if q > 1 {
		q = 1
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketBounds(i)
			return min(max(hi, h.min), h.max)
		}
	}
	return h.max
}

// PercentileMillis is Percentile in milliseconds.
func (h *Histogram) PercentileMillis(q float64) float64 {
	return float64(h.Percentile(q)) / 1e6
}
