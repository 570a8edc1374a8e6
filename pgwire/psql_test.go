package pgwire

import (
	"bytes"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files")

// TestPsqlDouble runs a psql script against the server with the test
// engine and compares psql's output with a golden file: psql's startup,
// ParameterStatus handling, result printing, notices, and its
// ON_ERROR_STOP exit status at the final error.
func TestPsqlDouble(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed") // reported as a skip, not a pass
	}
	_, _, addr := startTestServer(t, Config{})
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	script := filepath.Join("testdata", "psql_double.sql")
	cmd := exec.Command(psql, "-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "root", "-d", "defaultdb", "-f", script)
	cmd.Env = append(os.Environ(), "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=20", "LC_ALL=C.UTF-8", "PGTZ=UTC")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "psql must stop at the script's last statement, an error: %s", out.String())
	require.Equal(t, 3, ee.ExitCode(), out.String()) // ON_ERROR_STOP in a script
	golden := filepath.Join("testdata", "psql_double.out")
	if *rewrite {
		require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), out.String())
}
