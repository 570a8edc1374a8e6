package kvclient

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
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
	_, err := New(nil)
	require.ErrorIs(t, err, ErrNoAddresses)
}

func TestUnreachableIsUnavailableWithinDeadline(t *testing.T) {
	c, err := New([]string{closedAddr(t), closedAddr(t)}, WithBackoff(time.Millisecond, 20*time.Millisecond))
	require.NoError(t, err)
	defer c.Close()
	for _, op := range []func(ctx context.Context) error{
		func(ctx context.Context) error { _, _, err := c.Get(ctx, []byte("k")); return err },
		func(ctx context.Context) error { return c.Put(ctx, []byte("k"), []byte("v")) },
		// Never sent (no connection came up), so even CPut is not ambiguous.
		func(ctx context.Context) error { return c.CPut(ctx, []byte("k"), []byte("v"), nil) },
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

func TestClosedClient(t *testing.T) {
	c, err := New([]string{closedAddr(t)})
	require.NoError(t, err)
	c.Close()
	_, err = c.Conn("127.0.0.1:1")
	require.ErrorIs(t, err, ErrClosed)
}

func TestIdempotent(t *testing.T) {
	b := func(reqs ...*kvpb.RequestUnion) *kvpb.BatchRequest { return &kvpb.BatchRequest{Requests: reqs} }
	require.True(t, idempotent(b(kvpb.NewGet([]byte("a")), kvpb.NewPut([]byte("a"), nil), kvpb.NewDelete([]byte("a")),
		kvpb.NewDeleteRange([]byte("a"), []byte("b")), kvpb.NewScan([]byte("a"), []byte("b"), 0))))
	require.False(t, idempotent(b(kvpb.NewPut([]byte("a"), nil), kvpb.NewIncrement([]byte("a"), 1))))
	require.False(t, idempotent(b(kvpb.NewConditionalPut([]byte("a"), nil, nil))))
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

func TestCandidatesPreferLeaseholder(t *testing.T) {
	c, err := New([]string{"a:1", "b:1", "c:1"})
	require.NoError(t, err)
	defer c.Close()
	c.setLeaseholder(1, "b:1")
	for i := 0; i < 5; i++ {
		cands := c.candidates(1)
		require.Equal(t, "b:1", cands[0])
		require.ElementsMatch(t, []string{"a:1", "b:1", "c:1"}, cands)
	}
	c.forgetLeaseholder(1, "b:1")
	firsts := map[string]bool{}
	for i := 0; i < 3; i++ {
		firsts[c.candidates(1)[0]] = true
	}
	require.Len(t, firsts, 3, "rotates among seeds without a leaseholder")
}
