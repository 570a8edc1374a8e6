package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIdentRoundTrip(t *testing.T) {
	dir := t.TempDir()
	_, ok, err := readIdent(dir)
	require.NoError(t, err)
	require.False(t, ok, "a new store has no ident")

	require.Error(t, writeIdent(dir, Ident{ClusterID: "c"}), "incomplete ident refused")
	id := Ident{ClusterID: "abc", NodeID: 2, StoreID: 2}
	require.NoError(t, writeIdent(dir, id))
	got, ok, err := readIdent(dir)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, id, got)

	require.NoError(t, os.WriteFile(filepath.Join(dir, identFile), []byte("{garbage"), 0o644))
	_, _, err = readIdent(dir)
	require.ErrorIs(t, err, ErrCorruptIdent)
}

func TestAddressBookPersists(t *testing.T) {
	dir := t.TempDir()
	b := newAddressBook(dir)
	require.NoError(t, b.load())
	require.True(t, b.set(2, "127.0.0.1:2"))
	require.False(t, b.set(2, "127.0.0.1:2"), "no change")
	require.True(t, b.set(1, "127.0.0.1:1"))
	require.False(t, b.set(0, "x"), "node 0 is not a node")
	require.NoError(t, b.save())

	b2 := newAddressBook(dir)
	require.NoError(t, b2.load())
	require.Equal(t, []nodeAddr{{1, "127.0.0.1:1"}, {2, "127.0.0.1:2"}}, b2.all())
	_, err := b2.lookup(3)
	require.ErrorIs(t, err, ErrUnknownNode)
	a, err := b2.lookup(1)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:1", a)
}
