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
