package logictest

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tesseradb/tessera/pgwire"
	"github.com/tesseradb/tessera/sql/internal/memkv"
	sqlsession "github.com/tesseradb/tessera/sql/session"
)

// minTesseraPassRate is the pass rate (percent) the fixed subset keeps on
// Tessera through the wire protocol (measured 22:45 UTC 2026-12-01, then
// rounded down); a regression fails the test.
const minTesseraPassRate = 98.0

// startTessera serves an in-process SQL engine (over the in-memory KV test
// double) through pgwire on a loopback port and returns its URL.
func startTessera(t *testing.T) string {
	ctx := context.Background()
	eng, err := sqlsession.NewEngine(ctx, memkv.New(), sqlsession.Config{NodeID: 1})
	require.NoError(t, err)
	srv, err := pgwire.New(pgwire.Config{Engine: eng})
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return "postgres://root@" + lis.Addr().String() + "/defaultdb?sslmode=disable"
}

func TestSQLLogicTestTessera(t *testing.T) {
	url := startTessera(t)
	root, err := FindCorpus(".")
	require.NoError(t, err)
	files, err := SelectFiles(root)
	require.NoError(t, err)
	res, err := Run(context.Background(), Config{URL: url, Engine: "postgresql", FreshDatabase: true}, files)
	require.NoError(t, err)
	var b strings.Builder
	// TESSERA_SLT_ALL_FAILURES=1 lists every failing record (to compare
	// with the failures TestSQLLogicTestPostgres lists).
	max := 30
	if os.Getenv("TESSERA_SLT_ALL_FAILURES") != "" {
		max = -1
	}
	res.Report(&b, max)
	t.Log("\n" + b.String())
	require.GreaterOrEqual(t, res.PassRate(), minTesseraPassRate)
}
