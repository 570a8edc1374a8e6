package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNodeGCPolicy(t *testing.T) {
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	const gib = 1 << 30
	// Nothing set: GOGC 400 and a soft limit at half the memory.
	require.Equal(t, gcPolicy{percent: 400, setPercent: true, limit: 8 * gib, setLimit: true},
		nodeGCPolicy(env(nil), 16*gib))
	// The environment wins, each setting on its own (even "off" or empty).
	require.Equal(t, gcPolicy{limit: 8 * gib, setLimit: true},
		nodeGCPolicy(env(map[string]string{"GOGC": "off"}), 16*gib))
	require.Equal(t, gcPolicy{percent: 400, setPercent: true},
		nodeGCPolicy(env(map[string]string{"GOMEMLIMIT": ""}), 16*gib))
	require.Equal(t, gcPolicy{}, nodeGCPolicy(env(map[string]string{"GOGC": "100", "GOMEMLIMIT": "1GiB"}), 16*gib))
	// Unknown memory: no limit.
	require.Equal(t, gcPolicy{percent: 400, setPercent: true}, nodeGCPolicy(env(nil), 0))
}

func TestAvailableMemoryParsing(t *testing.T) {
	require.Equal(t, uint64(24683772*1024), memTotal([]byte("MemFree: 5 kB\nMemTotal:       24683772 kB\nSwapTotal: 0 kB\n")))
	require.Equal(t, uint64(0), memTotal([]byte("MemFree: 5 kB\n")))
	require.Equal(t, uint64(0), memTotal(nil))
	n, ok := cgroupLimit([]byte("2147483648\n"))
	require.True(t, ok)
	require.Equal(t, uint64(2147483648), n)
	for _, s := range []string{"max\n", "", "junk", "0"} {
		_, ok := cgroupLimit([]byte(s))
		require.False(t, ok, s)
	}
}
