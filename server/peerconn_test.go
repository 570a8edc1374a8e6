package server

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/tesseradb/tessera/internal/testport"
)

// A peer connection that failed many times while the peer was down (the
// --join list dialed before its nodes start) connects within about
// peerReconnectDelay once the peer listens: gRPC's default backoff would
// wait 6.5 s (±20%) after the fifth refused attempt.
func TestPeerConnReconnectsSoon(t *testing.T) {
	l, err := testport.Listen()
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	dials := make(chan struct{}, 100)
	var d net.Dialer
	dialer := func(ctx context.Context, a string) (net.Conn, error) {
		dials <- struct{}{}
		return d.DialContext(ctx, "tcp", a)
	}
	conn, err := grpc.NewClient("passthrough:///"+addr, peerDialOptions([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithContextDialer(dialer)})...)
	require.NoError(t, err)
	defer conn.Close()
	conn.Connect()
	deadline := time.After(30 * time.Second)
	for i := 0; i < 5; i++ {
		select {
		case <-dials: // refused: nothing listens on addr
		case <-deadline:
			t.Fatalf("only %d dial attempts in 30 s", i)
		}
	}

	l, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := grpc.NewServer()
	go func() { _ = srv.Serve(l) }()
	defer srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err = conn.Invoke(ctx, "/tessera.Test/Ping", &emptypb.Empty{}, &emptypb.Empty{}, grpc.WaitForReady(true))
	require.Equal(t, codes.Unimplemented, status.Code(err), "want the peer reached (Unimplemented), got %v", err)
}
