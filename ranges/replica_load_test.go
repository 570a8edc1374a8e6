package ranges

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
)

func TestLoadStatsRatesAndSamples(t *testing.T) {
	var l loadStats
	now := int64(time.Hour)
	get := &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{kvpb.NewGet([]byte("a"))}}
	put := &kvpb.BatchRequest{Requests: []*kvpb.RequestUnion{kvpb.NewPut([]byte("b"), []byte("v"))}}
	// 100 reads and 50 writes per second for 8 s (crossing a window).
	for sec := 0; sec < 8; sec++ {
		for i := 0; i < 100; i++ {
			l.record(get, now+int64(sec)*int64(time.Second)+int64(i)*int64(time.Millisecond))
		}
		for i := 0; i < 50; i++ {
			l.record(put, now+int64(sec)*int64(time.Second)+int64(i)*int64(time.Millisecond))
		}
	}
	qps, wps, samples := l.snapshot(now + 8*int64(time.Second))
	require.InDelta(t, 150, qps, 15)
	require.InDelta(t, 50, wps, 5)
	require.NotEmpty(t, samples)
	require.LessOrEqual(t, len(samples), 2*loadSampleSize)
	a := 0
	for _, s := range samples {
		if string(s) == "a" {
			a++
		}
	}
	require.Greater(t, a, len(samples)/3, "two thirds of the requests are on a")
	// Idle for two windows: the rate decays to zero.
	qps, wps, _ = l.snapshot(now + 8*int64(time.Second) + 2*int64(loadWindow))
	require.Zero(t, qps)
	require.Zero(t, wps)
}
