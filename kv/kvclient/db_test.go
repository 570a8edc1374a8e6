package kvclient

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	"github.com/tesseradb/tessera/hlc"
)

// closedAddr returns a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	a := l.Addr().String()
	require.NoError(t, l.Close())
	return a
}

func TestNoAddresses(t *testing.T) {
	_, err := NewDB(Config{})
	require.ErrorIs(t, err, ErrNoAddresses)
}

func TestUnreachableIsUnavailableWithinDeadline(t *testing.T) {
	db, err := NewDB(Config{Addrs: []string{closedAddr(t), closedAddr(t)},
		BackoffInitial: time.Millisecond, BackoffMax: 20 * time.Millisecond})
	require.NoError(t, err)
	defer db.Close()
	for _, op := range []func(ctx context.Context) error{
		func(ctx context.Context) error { _, _, err := db.Get(ctx, []byte("k")); return err },
		func(ctx context.Context) error { return db.Put(ctx, []byte("k"), []byte("v")) },
		// Never sent (range 1 was never found), so even CPut is not ambiguous.
		func(ctx context.Context) error { return db.CPut(ctx, []byte("k"), []byte("v"), nil) },
		func(ctx context.Context) error { _, err := db.Scan(ctx, []byte("a"), []byte("z"), 0); return err },
	} {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := op(ctx)
		cancel()
		require.ErrorIs(t, err, ErrUnavailable)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, time.Since(start), 3*time.Second)
	}
}

func TestClosedDB(t *testing.T) {
	db, err := NewDB(Config{Addrs: []string{closedAddr(t)}})
	require.NoError(t, err)
	db.Close()
	_, err = db.Conn("127.0.0.1:1")
	require.ErrorIs(t, err, ErrClosed)
}

func TestBatchRunsOnce(t *testing.T) {
	db, err := NewDB(Config{Addrs: []string{closedAddr(t)}})
	require.NoError(t, err)
	defer db.Close()
	b := db.NewBatch()
	require.NoError(t, db.Run(context.Background(), b), "an empty batch sends nothing")
	require.ErrorIs(t, db.Run(context.Background(), b), ErrBatchReused)
}

func TestClockMetadataRoundTrip(t *testing.T) {
	clock := hlc.NewClock(hlc.NewManualClock(1e9).Now, 0)
	md := ClockMD(clock)
	ts, ok, err := ClockFromMD(md)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, clock.Last(), ts)

	_, ok, err = ClockFromMD(metadata.MD{})
	require.NoError(t, err)
	require.False(t, ok)
	_, _, err = ClockFromMD(metadata.Pairs(ClockMetadataKey, "short"))
	require.ErrorIs(t, err, hlc.ErrBadTimestamp)
}
