package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:6434": "127.0.0.1:6434",
		"127.0.0.1":      "127.0.0.1:6433",
		"localhost":      "localhost:6433",
		" node1:7000 ":   "node1:7000",
		"[::1]:6500":     "[::1]:6500",
		"[::1]":          "[::1]:6433",
	} {
		got, err := parseAddr(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", ":6433", "host:0", "host:99999", "host:abc", "a:b:c"} {
		_, err := parseAddr(bad)
		require.ErrorIs(t, err, errUsage, bad)
	}
	l, err := parseAddrList("a:1,b,a:1")
	require.NoError(t, err)
	require.Equal(t, []string{"a:1", "b:6433"}, l)
	_, err = parseAddrList("a:1,,b")
	require.ErrorIs(t, err, errUsage)
}

func TestParseKeyRoundTrip(t *testing.T) {
	for _, k := range [][]byte{[]byte("a"), []byte("user/001"), {0, 1, 2}, []byte("0xabc"), []byte("tab\there"), {0xff}} {
		s := formatBytes(k)
		got, err := parseKey(s)
		require.NoError(t, err, s)
		require.Equal(t, k, got, s)
	}
	v, err := parseValue(formatBytes(nil))
	require.NoError(t, err)
	require.Empty(t, v)
	v, err = parseValue("")
	require.NoError(t, err)
	require.Empty(t, v)
	_, err = parseValue("0xq")
	require.ErrorIs(t, err, errUsage)
	_, err = parseKey("")
	require.ErrorIs(t, err, errUsage)
	_, err = parseKey("0xzz")
	require.ErrorIs(t, err, errUsage)
	_, err = parseKey("0x")
	require.ErrorIs(t, err, errUsage)
}
