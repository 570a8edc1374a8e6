package settings

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDefaults(t *testing.T) {
	v := Defaults()
	require.Equal(t, int64(512<<20), v.RangeMaxBytes)
	require.Equal(t, int64(128<<20), v.RangeMinBytes)
	require.Equal(t, 2500.0, v.LoadSplitQPS)
	require.Equal(t, 10*time.Second, v.LoadSplitWindow)
	require.Equal(t, 5*time.Minute, v.TimeUntilStoreDead)
	require.Equal(t, 0.05, v.RebalanceThreshold)
	require.Equal(t, 3, v.ReplicationFactor)
	require.Equal(t, 0.92, v.MaxDiskFullness)
	require.NoError(t, v.Validate())
}

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"64KiB", 64 << 10, false},
		{"1MiB", 1 << 20, false},
		{"512MiB", 512 << 20, false},
		{"2GiB", 2 << 30, false},
		{"1.5KiB", 1536, false},
		{"1048576", 1 << 20, false},
		{" 10B ", 10, false},
		{"", 0, true},
		{"-1", 0, true},
		{"1MB", 0, true},
		{"KiB", 0, true},
		{"99999999999TiB", 0, true},
		{"NaNKiB", 0, true},
	} {
		got, err := ParseBytes(tc.in)
		if tc.err {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	require.Equal(t, "512MiB", FormatBytes(512<<20))
	require.Equal(t, "1536KiB", FormatBytes(1536<<10))
	require.Equal(t, "1001", FormatBytes(1001))
}

func TestRegistrySetGetList(t *testing.T) {
	r := NewRegistry()
	require.NoError(t, r.Set("range_max_bytes", "1MiB"))
	require.NoError(t, r.Set("range_min_bytes", "64KiB"))
	require.NoError(t, r.Set("time_until_store_dead", "15s"))
	v := r.Values()
	require.Equal(t, int64(1<<20), v.RangeMaxBytes)
	require.Equal(t, 15*time.Second, v.TimeUntilStoreDead)
	got, err := r.Get("range_max_bytes")
	require.NoError(t, err)
	require.Equal(t, "1MiB", got)

	err = r.Set("no_such", "1")
	require.ErrorIs(t, err, ErrUnknownSetting)
	err = r.Set("load_split_qps", "lots")
	require.ErrorIs(t, err, ErrInvalidValue)
	var se *Error
	require.True(t, errors.As(err, &se))
	require.Equal(t, "load_split_qps", se.Name)
	// A max below the min is allowed; the effective min follows the max.
	require.NoError(t, r.Set("range_min_bytes", "2MiB"))
	require.Equal(t, int64(256<<10), r.Values().EffectiveRangeMinBytes())
	// Nothing changes on error.
	require.ErrorIs(t, r.Set("range_min_bytes", "lots"), ErrInvalidValue)
	require.Equal(t, int64(2<<20), r.Values().RangeMinBytes)
	require.ErrorIs(t, r.Set("time_until_store_dead", "-5m"), ErrInvalidValue)
	require.ErrorIs(t, r.Set("rebalance_threshold", "2"), ErrInvalidValue)
	require.ErrorIs(t, r.Set("replication_factor", "0"), ErrInvalidValue)

	l := r.List()
	require.Len(t, l, len(defs))
	names := map[string]string{}
	for i, e := range l {
		if i > 0 {
			require.Less(t, l[i-1].Name, e.Name)
		}
		require.NotEmpty(t, e.Description)
		names[e.Name] = e.Value
	}
	for _, n := range []string{"range_max_bytes", "range_min_bytes", "load_split_qps", "time_until_store_dead", "rebalance_threshold"} {
		require.Contains(t, names, n)
	}
	require.Equal(t, "15s", names["time_until_store_dead"])
	require.NoError(t, r.Reset("time_until_store_dead"))
	require.Equal(t, 5*time.Minute, r.Values().TimeUntilStoreDead)
}

func TestRegistryConcurrent(t *testing.T) {
	r := NewRegistry()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(2)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				_ = r.Set("load_split_qps", fmt.Sprint(1000+i+w))
			}
		}(w)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				v := r.Values()
				if v.LoadSplitQPS < 1000 && v.LoadSplitQPS != 2500 {
					t.Errorf("torn value %v", v.LoadSplitQPS)
				}
				_ = r.List()
			}
		}()
	}
	wg.Wait()
}

func TestGCTTL(t *testing.T) {
	r := NewRegistry()
	require.Equal(t, 4*time.Hour, r.Values().GCTTL)
	require.NoError(t, r.Set("gc.ttl", "10s"))
	require.Equal(t, 10*time.Second, r.Values().GCTTL)
	v, err := r.Get("gc.ttl")
	require.NoError(t, err)
	require.Equal(t, "10s", v)
	for _, bad := range []string{"soon", "0s", "500ms", "-1h"} {
		err := r.Set("gc.ttl", bad)
		require.ErrorIs(t, err, ErrInvalidValue, bad)
	}
	require.Equal(t, 10*time.Second, r.Values().GCTTL, "a rejected value changes nothing")
}
