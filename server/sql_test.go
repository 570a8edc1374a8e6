package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/sql/conn"
)

// refusingEngine is a conn.Engine double that refuses every session with
// a SQLSTATE, which is enough to see the node's listener reach it.
type refusingEngine struct{ node *Server }

type refusal struct{}

func (refusal) Error() string    { return "no sessions in this test" }
func (refusal) SQLState() string { return "3D000" }

func (e *refusingEngine) NewSession(context.Context, conn.SessionArgs) (conn.Session, error) {
	return nil, refusal{}
}

func TestSQLListener(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	var built *refusingEngine
	calls := 0
	s, err := New(Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", SQLAddr: "127.0.0.1:0", Logger: logger, ReplicationFactor: 1,
		SQLEngine: func(_ context.Context, n *Server) (conn.Engine, error) {
			calls++
			if calls == 1 {
				return nil, errors.New("first attempt fails") // retried
			}
			require.NotNil(t, n.DB())
			built = &refusingEngine{node: n}
			return built, nil
		}})
	require.NoError(t, err)
	addr := s.SQLAddr()
	require.NotEmpty(t, addr)
	require.NoError(t, s.Start(context.Background()))
	defer s.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	connectCode := func() string {
		_, err := pgx.Connect(ctx, "postgres://root@"+addr+"/defaultdb?sslmode=disable")
		var pe *pgconn.PgError
		require.True(t, errors.As(err, &pe), "%v", err)
		return pe.Code
	}
	// Not initialised yet: the node serves SQL but refuses sessions.
	require.Equal(t, "57P03", connectCode())

	_, err = admin(t, s.Addr()).Bootstrap(ctx, &kvpb.BootstrapRequest{})
	require.NoError(t, err)
	select {
	case <-s.SQLReady():
	case <-ctx.Done():
		t.Fatal("SQL engine not built")
	}
	require.Equal(t, 2, calls)
	require.Equal(t, "3D000", connectCode()) // the engine's own answer

	s.Stop()
	_, err = net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, err)

	// An SQL address without an engine is a configuration error.
	_, err = New(Config{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", SQLAddr: "127.0.0.1:0", Logger: logger})
	require.ErrorIs(t, err, ErrBadConfig)
}
