package slttest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tesseradb/tessera/server/servertest"
	"github.com/tesseradb/tessera/sql/logictest"
)

// minPassRate is the pass rate (percent) the slice keeps on the cluster:
// the fixed subset by default (measured 2026-12-02, rounded down), the
// whole slice under TESSERA_SLT_FULL=1; a regression fails the test.
const minPassRate = 98.0

// dialectDir holds our PostgreSQL-dialect files (the specification:
// PostgreSQL 15 passes every record, sql/logictest checks that).
const dialectDir = "../../sql/testdata/logic"

// startCluster starts three nodes serving SQL and returns one connection
// URL per node.
func startCluster(t *testing.T) []string {
	t.Helper()
	c := servertest.Start(t, servertest.Config{Nodes: 3, SQL: true})
	urls := make([]string, 3)
	for i := range urls {
		urls[i] = c.SQLURL(i)
	}
	return urls
}

// TestSQLLogicTestCluster runs the shared sqllogictest slice (the fixed
// subset; everything with TESSERA_SLT_FULL=1; the files matching
// TESSERA_SLT_FILES) on the 3-node cluster, files round-robin over the
// nodes, and logs the per-file figures and failure classes.
func TestSQLLogicTestCluster(t *testing.T) {
	urls := startCluster(t)
	root, err := logictest.FindCorpus(".")
	require.NoError(t, err)
	files, err := logictest.SelectFiles(root)
	require.NoError(t, err)
	require.NotEmpty(t, files)
	res, err := logictest.RunRoundRobin(context.Background(), logictest.Config{Engine: "postgresql", FreshDatabase: true}, urls, files)
	require.NoError(t, err)
	var b strings.Builder
	max := 30
	if os.Getenv("TESSERA_SLT_FULL") == "1" {
		max = -1
	}
	res.Report(&b, max)
	t.Log("\n" + b.String())
	require.Positive(t, res.Passed)
	require.GreaterOrEqual(t, res.PassRate(), minPassRate)
}

// TestDialectCluster runs our dialect files on the cluster in the simple
// and the extended protocol; every record must pass.
func TestDialectCluster(t *testing.T) {
	urls := startCluster(t)
	files, err := logictest.DialectFiles(dialectDir)
	require.NoError(t, err)
	for _, proto := range []string{"simple", "extended"} {
		t.Run(proto, func(t *testing.T) {
			for k, f := range files {
				t.Run(filepath.Base(f), func(t *testing.T) {
					// Shift by protocol so each file meets two nodes.
					n := k
					if proto == "extended" {
						n++
					}
					// Engine "tessera" as in sql/logictest's TestDialectTessera:
					// the files' onlyif/skipif records for where Tessera
					// differs from PostgreSQL on purpose apply here too.
					cfg := logictest.Config{Engine: "tessera", FreshDatabase: true, Extended: proto == "extended",
						URL: urls[n%len(urls)], AdminURL: urls[(n+1)%len(urls)]}
					fr, err := logictest.RunFile(context.Background(), cfg, f)
					require.NoError(t, err)
					for _, fl := range fr.Failures {
						t.Errorf("%s:%d: %s\n%s", filepath.Base(fl.Path), fl.Line, fl.Reason, fl.SQL)
					}
					require.Positive(t, fr.Passed)
				})
			}
		})
	}
}
