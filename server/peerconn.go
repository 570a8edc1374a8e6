package server

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

// peerReconnectDelay bounds the wait between two connection attempts to a
// peer. gRPC's default backoff grows to 2 minutes: a connection dialed
// while the peer was not yet listening (the --join list is dialed at
// init, long before the last nodes of a cluster start; a node restarts)
// then stayed broken for up to 2 minutes after the peer came up, every
// call on it failing with "connection refused" or, waiting for it, running
// into its deadline (a placement step's 60 s).
const peerReconnectDelay = time.Second

// peerDialOptions are the dial options of the node's connections to its
// peers (KV and raft transports): the reconnect bound, then extra.
func peerDialOptions(extra []grpc.DialOption) []grpc.DialOption {
	return append([]grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
		Backoff: backoff.Config{
			BaseDelay:  peerReconnectDelay,
			Multiplier: 1.6,
			Jitter:     0.2,
			MaxDelay:   peerReconnectDelay,
		},
		MinConnectTimeout: 20 * time.Second,
	})}, extra...)
}
