package server

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var rewrite = flag.Bool("rewrite", false, "rewrite golden files under testdata/")

// TestPsql runs each testdata/psql/*.sql script with
// `psql -X -v ON_ERROR_STOP=1 -f` against an in-process node and compares
// psql's output with the .out file next to it.
func TestPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed") // a skip, not a pass
	}
	url := startSQLNode(t)
	scripts, err := filepath.Glob(filepath.Join("testdata", "psql", "*.sql"))
	require.NoError(t, err)
	require.NotEmpty(t, scripts)
	for _, script := range scripts {
		t.Run(filepath.Base(script), func(t *testing.T) {
			cmd := exec.Command(psql, "-X", "-v", "ON_ERROR_STOP=1", "-f", script, url)
			cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=20", "LC_ALL=C.UTF-8", "PGTZ=UTC")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			require.NoError(t, err, "psql failed:\n%s", out.String())
			golden := strings.TrimSuffix(script, ".sql") + ".out"
			if *rewrite {
				require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), out.String())
		})
	}
}
