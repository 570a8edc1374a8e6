package driver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/hlc"
)

// TestPlacementLeaseExclusive: of two nodes, one holds the lease; the
// other cannot take it while it is renewed, takes it over only after its
// expiration plus the max offset once the holder stops, and the old
// holder stops counting itself leader before that.
func TestPlacementLeaseExclusive(t *testing.T) {
	ctx := context.Background()
	kv := newMemKV()
	clock := hlc.NewManualClock(int64(time.Hour))
	const dur, off = 6 * time.Second, 500 * time.Millisecond
	v1 := &view{memKV: kv}
	l1 := NewLease(v1, 1, "a:1", clock.Now, dur, off)
	l2 := NewLease(kv, 2, "a:2", clock.Now, dur, off)

	held, err := l1.Ensure(ctx)
	require.NoError(t, err)
	require.True(t, held)
	held, err = l2.Ensure(ctx)
	require.NoError(t, err)
	require.False(t, held)
	require.EqualValues(t, 1, l2.Current().GetHolder())
	require.Equal(t, "a:1", l2.Current().GetHolderAddress())

	// Renewals keep it with n1 (sequence unchanged) for a long time.
	for range 20 {
		clock.Increment(int64(dur / 3))
		held, err = l1.Ensure(ctx)
		require.NoError(t, err)
		require.True(t, held)
		held, err = l2.Ensure(ctx)
		require.NoError(t, err)
		require.False(t, held)
		require.True(t, l1.Held() && !l2.Held(), "exactly one leader")
	}
	require.EqualValues(t, 1, l1.Current().GetSequence())

	// n1 is cut off: it cannot renew; it stops counting itself leader at
	// expiration - offset; n2 takes over only after expiration + offset.
	v1.cut = true
	_, err = l1.Ensure(ctx)
	require.Error(t, err)
	require.False(t, l1.Held(), "a failed renewal drops leadership at once")
	exp := l2.Current().GetExpirationNanos()
	clock.Set(exp + int64(off))
	held, err = l2.Ensure(ctx)
	require.NoError(t, err)
	require.False(t, held, "not before expiration + max offset")
	clock.Increment(1)
	held, err = l2.Ensure(ctx)
	require.NoError(t, err)
	require.True(t, held)
	require.EqualValues(t, 2, l2.Current().GetSequence())

	// n1 comes back: it sees n2's lease and does not take it.
	v1.cut = false
	held, err = l1.Ensure(ctx)
	require.NoError(t, err)
	require.False(t, held)
	require.True(t, l2.Held() && !l1.Held())

	// Release hands over at once.
	require.NoError(t, l2.Release(ctx))
	require.False(t, l2.Held())
	held, err = l1.Ensure(ctx)
	require.NoError(t, err)
	require.True(t, held)
	require.EqualValues(t, 3, l1.Current().GetSequence())
	// Release by a non-holder changes nothing.
	require.NoError(t, l2.Release(ctx))
	require.True(t, l1.Held())
}

// TestLeaseHeldExpiresLocally: a holder that does not renew stops being
// leader max offset before the expiration.
func TestLeaseHeldExpiresLocally(t *testing.T) {
	ctx := context.Background()
	clock := hlc.NewManualClock(int64(time.Hour))
	l := NewLease(newMemKV(), 1, "a:1", clock.Now, 6*time.Second, time.Second)
	held, err := l.Ensure(ctx)
	require.NoError(t, err)
	require.True(t, held)
	clock.Increment(int64(5*time.Second) - 1)
	require.True(t, l.Held())
	clock.Increment(1)
	require.False(t, l.Held())
}
