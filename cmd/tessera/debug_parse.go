package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tesseradb/tessera/sql/parser/corpus"
)

// parseDebugParent returns the `tessera debug` command, registering it on
// rootCmd if no other file did.
func parseDebugParent() *cobra.Command {
	for _, c := range rootCmd.Commands() {
		if c.Name() == "debug" {
			return c
		}
	}
	c := &cobra.Command{Use: "debug", Short: "Debugging and diagnostic tools"}
	rootCmd.AddCommand(c)
	return c
}

func init() {
	var asJSON, failures bool
	cmd := &cobra.Command{
		Use:   "parse FILE|DIR...",
		Short: "Parse SQL files with Tessera's PostgreSQL parser and report pass rates",
		Long: `Parses .sql files (split into statements as psql splits them, psql
meta-command lines skipped) and sqllogictest .test files (the statement ok and
query records a PostgreSQL engine would run: records under "skipif postgresql"
or "onlyif <other engine>" are left out). Directories are searched recursively.
Prints the pass rate per file and in total. When a file has a .verdicts file
next to it (PostgreSQL's own parser's verdicts, see sql/parser/testdata/pg),
the text report also shows how many statements PostgreSQL accepts and how many
of those parse.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDebugParse(cmd.OutOrStdout(), cmd.ErrOrStderr(), args, asJSON, failures)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&failures, "failures", false, "list each failing statement with its error")
	parseDebugParent().AddCommand(cmd)
}

type parseReportFile struct {
	File       string            `json:"file"`
	Statements int               `json:"statements"`
	Parsed     int               `json:"parsed"`
	Failures   *[]corpus.Failure `json:"failures,omitempty"`
}

type parseReportTotal struct {
	Statements int `json:"statements"`
	Parsed     int `json:"parsed"`
}

type parseReport struct {
	Files []parseReportFile `json:"files"`
	Total parseReportTotal  `json:"total"`
}

func runDebugParse(w, errw io.Writer, args []string, asJSON, failures bool) error {
	paths, err := corpus.Expand(args)
	if err != nil {
		return err
	}
	rep := parseReport{Files: []parseReportFile{}}
	var results []*corpus.Result
	for _, p := range paths {
		f, err := corpus.ReadFile(p)
		if err != nil {
			return err
		}
		vs, err := corpus.ReadVerdicts(f)
		if err != nil {
			// A stale verdicts file is reported, not fatal: the pass rate
			// of our parser does not depend on it.
			fmt.Fprintf(errw, "%s: verdicts ignored: %v\n", p, err)
			vs = nil
		}
		r := corpus.Run(f, vs)
		results = append(results, r)
		rf := parseReportFile{File: p, Statements: r.Statements, Parsed: r.Parsed}
		if failures {
			fl := append([]corpus.Failure{}, r.Failures...)
			rf.Failures = &fl
		}
		rep.Files = append(rep.Files, rf)
		rep.Total.Statements += r.Statements
		rep.Total.Parsed += r.Parsed
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	var pgAcc, ourAcc int
	for _, r := range results {
		line := fmt.Sprintf("%s: %d/%d statements parse (%s)", r.File.Path, r.Parsed, r.Statements, pct(r.Parsed, r.Statements))
		if r.Verdicts != nil {
			must := ""
			if r.File.Must {
				must = " [must]"
			}
			line += fmt.Sprintf("; PostgreSQL accepts %d, of which we parse %d (%s)%s", r.PGAccepted, r.ParsedAccepted, pct(r.ParsedAccepted, r.PGAccepted), must)
			if r.ParsedRejected > 0 {
				line += fmt.Sprintf("; we accept %d that PostgreSQL rejects", r.ParsedRejected)
			}
			pgAcc += r.PGAccepted
			ourAcc += r.ParsedAccepted
		}
		fmt.Fprintln(w, line)
		if failures {
			for _, fl := range r.Failures {
				fmt.Fprintf(w, "  line %d: %s\n    %s\n", fl.Line, fl.Error, strings.ReplaceAll(fl.SQL, "\n", "\n    "))
			}
		}
	}
	total := fmt.Sprintf("total: %d/%d statements parse (%s)", rep.Total.Parsed, rep.Total.Statements, pct(rep.Total.Parsed, rep.Total.Statements))
	if pgAcc > 0 {
		total += fmt.Sprintf("; of %d that PostgreSQL accepts (files with verdicts) we parse %d (%s)", pgAcc, ourAcc, pct(ourAcc, pgAcc))
	}
	fmt.Fprintln(w, total)
	return nil
}

func pct(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}
