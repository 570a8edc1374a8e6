package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	// cobra keeps flag values between Execute calls: reset them
	if c, _, err := rootCmd.Find([]string{"debug", "parse"}); err == nil {
		c.Flags().VisitAll(func(f *pflag.Flag) { _ = f.Value.Set(f.DefValue); f.Changed = false })
	}
	var out, errOut bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	rootCmd.SetArgs(args)
	require.NoError(t, rootCmd.Execute(), errOut.String())
	return out.String()
}

func TestDebugParse(t *testing.T) {
	dir := t.TempDir()
	sql := "-- a script\nSELECT 1;\n\\d t\nSELECT 'a;b' FROM t; selec 2;\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT (1;\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.sql"), []byte(sql), 0o644))
	slt := "statement ok\nCREATE TABLE t1(a INTEGER)\n\nskipif postgresql\nstatement ok\nINSERT INTO t1 VALUES(1) ON DUPLICATE KEY UPDATE a=2\n\nonlyif mysql\nquery I\nSELECT a DIV 2 FROM t1\n----\n0\n\nquery I rowsort\nSELECT a FROM t1\n----\n1\n\nstatement error\nSELEC x\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.test"), []byte(slt), 0o644))

	var rep parseReport
	require.NoError(t, json.Unmarshal([]byte(runCLI(t, "debug", "parse", "--json", dir)), &rep))
	require.Len(t, rep.Files, 2)
	// a.sql: SELECT 1 | SELECT 'a;b' FROM t | selec 2 | CREATE FUNCTION ... | SELECT (1;\n (psql keeps reading inside parentheses: one statement to the end)
	require.Equal(t, filepath.Join(dir, "a.sql"), rep.Files[0].File)
	require.Equal(t, 5, rep.Files[0].Statements)
	require.Equal(t, 3, rep.Files[0].Parsed) // CREATE FUNCTION ... LANGUAGE sql parses
	require.Nil(t, rep.Files[0].Failures, "failures only with --failures")
	// b.test: the CREATE and the last query; skipif/onlyif/statement error left out
	require.Equal(t, 2, rep.Files[1].Statements)
	require.Equal(t, 2, rep.Files[1].Parsed)
	require.Equal(t, parseReportTotal{Statements: 7, Parsed: 5}, rep.Total)

	var withF parseReport
	require.NoError(t, json.Unmarshal([]byte(runCLI(t, "debug", "parse", "--json", "--failures", filepath.Join(dir, "a.sql"))), &withF))
	require.NotNil(t, withF.Files[0].Failures)
	fl := *withF.Files[0].Failures
	require.Len(t, fl, 2)
	require.Equal(t, "selec 2", fl[0].SQL)
	require.Contains(t, fl[0].Error, "42601")

	// the JSON keys are exactly the issue's
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(runCLI(t, "debug", "parse", "--json", "--failures", filepath.Join(dir, "a.sql"))), &raw))
	f0 := raw["files"].([]any)[0].(map[string]any)
	require.ElementsMatch(t, []string{"file", "statements", "parsed", "failures"}, keys(f0))
	require.ElementsMatch(t, []string{"sql", "error"}, keys(f0["failures"].([]any)[0].(map[string]any)))
	require.ElementsMatch(t, []string{"statements", "parsed"}, keys(raw["total"].(map[string]any)))

	text := runCLI(t, "debug", "parse", "--failures", dir)
	require.Contains(t, text, "a.sql: 3/5 statements parse (60.0%)")
	require.Contains(t, text, "selec 2")
	require.Contains(t, text, "total: 5/7 statements parse (71.4%)")
}

func TestDebugParseVerdicts(t *testing.T) {
	// the committed corpus has verdicts: the text report shows them
	text := runCLI(t, "debug", "parse", "../../sql/parser/testdata/pg/psql.sql")
	require.Contains(t, text, "PostgreSQL accepts")
	require.Contains(t, text, "[must]")
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
