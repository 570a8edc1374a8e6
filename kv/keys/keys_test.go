package keys

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMetaKeys(t *testing.T) {
	ends := [][]byte{[]byte("\x04t"), []byte("a"), []byte("a\x00"), []byte("b"), KeyMax}
	for i, e := range ends {
		mk := MetaKey(e)
		got, ok := MetaEndKey(mk)
		require.True(t, ok)
		require.Equal(t, e, got)
		require.True(t, bytes.Compare(MetaPrefix, mk) <= 0 && bytes.Compare(mk, MetaEnd) < 0)
		if i > 0 {
			require.Equal(t, -1, bytes.Compare(MetaKey(ends[i-1]), mk), "meta keys sort like end keys")
		}
	}
	_, ok := MetaEndKey([]byte("\x03x"))
	require.False(t, ok)
	require.True(t, IsLocal([]byte("\x01abc")))
	require.False(t, IsLocal(MetaKey([]byte("a"))))
	require.Equal(t, []byte("ab\x00"), Next([]byte("ab")))
	for _, p := range [][]byte{LocalPrefix, MetaPrefix, SystemPrefix, TablePrefix} {
		require.True(t, bytes.Compare(KeyMin, p) < 0 && bytes.Compare(p, KeyMax) < 0)
	}
}

func TestSystemKeys(t *testing.T) {
	for _, n := range []uint64{1, 2, 255, 256, 1 << 40} {
		k := LivenessKey(n)
		got, err := DecodeLivenessKey(k)
		require.NoError(t, err)
		require.Equal(t, n, got)
		require.True(t, bytes.Compare(LivenessPrefix, k) <= 0 && bytes.Compare(k, LivenessEnd) < 0)
		require.True(t, bytes.HasPrefix(k, SystemPrefix))
	}
	require.Equal(t, -1, bytes.Compare(LivenessKey(255), LivenessKey(256)))
	_, err := DecodeLivenessKey([]byte("\x03liveness/x"))
	require.Error(t, err)
	k := SettingKey("range_max_bytes")
	name, err := DecodeSettingKey(k)
	require.NoError(t, err)
	require.Equal(t, "range_max_bytes", name)
	require.True(t, bytes.Compare(SettingsPrefix, k) <= 0 && bytes.Compare(k, SettingsEnd) < 0)
	_, err = DecodeSettingKey(SettingsPrefix)
	require.Error(t, err)
	require.True(t, bytes.HasPrefix(PlacementLeaseKey, SystemPrefix))
}
