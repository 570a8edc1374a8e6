package pgwire

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"
)

// BenchmarkSeries1000 is one simple query returning 1,000 int8 rows over
// loopback TCP (raw frontend): the wire layer's per-row cost.
func BenchmarkSeries1000(b *testing.B) {
	srv, _, addr := startBenchServer(b)
	defer srv.Close()
	c, _ := connect(b, addr)
	b.ResetTimer()
	for range b.N {
		c.fe.Send(&pgproto3.Query{String: "series 1000"})
		require.NoError(b, c.fe.Flush())
		for {
			m, err := c.fe.Receive()
			require.NoError(b, err)
			if _, ok := m.(*pgproto3.ReadyForQuery); ok {
				break
			}
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkPgxPointQuery is pgx's extended protocol (cached statement,
// binary parameters and results) for a one-row query.
func BenchmarkPgxPointQuery(b *testing.B) {
	srv, _, addr := startBenchServer(b)
	defer srv.Close()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, "postgres://root@"+addr+"/defaultdb?sslmode=disable")
	require.NoError(b, err)
	defer c.Close(ctx)
	b.ResetTimer()
	for i := range b.N {
		var v int32
		require.NoError(b, c.QueryRow(ctx, "echo integer", int32(i)).Scan(&v))
	}
}

func startBenchServer(b *testing.B) (*Server, *testEngine, string) {
	eng := newTestEngine()
	srv, err := New(Config{Engine: eng})
	require.NoError(b, err)
	lis, err := listenLoopback()
	require.NoError(b, err)
	go func() { _ = srv.Serve(lis) }()
	return srv, eng, lis.Addr().String()
}
