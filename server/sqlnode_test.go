package server

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// startSQLNode starts a bootstrapped one-node cluster (replication factor
// 1) serving SQL with the real engine on a loopback port and returns its
// connection URL.
func startSQLNode(t *testing.T) string {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	s, err := New(Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", SQLAddr: "127.0.0.1:0", Logger: logger,
		ReplicationFactor: 1, SQLEngine: NewSQLEngine, ServerVersion: "16.0 (Tessera test)"})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	t.Cleanup(s.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err = admin(t, s.Addr()).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	select {
	case <-s.SQLReady():
	case <-ctx.Done():
		t.Fatal("SQL engine not ready")
	}
	return "postgresql://root@" + s.SQLAddr() + "/defaultdb?sslmode=disable"
}
