package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/spf13/cobra"
)

// defaultSQLURL is the local cluster's first node, as deploy/local-cluster.sh
// prints it.
const defaultSQLURL = "postgresql://root@127.0.0.1:5433/defaultdb?sslmode=disable"

// errSQLFailed is returned after a statement failed under -e or on
// non-interactive input (exit status 1); the error itself is printed.
var errSQLFailed = errors.New("a statement failed")

func init() {
	var url string
	var execs []string
	cmd := &cobra.Command{
		Use:   "sql",
		Short: "A SQL shell (for machines without psql)",
		Long: `Connect to a node's SQL port and run statements: those of -e (each may
hold several separated by semicolons), else those read from standard
input, each ending with a semicolon. Results print as psql's aligned
format. Interactive meta-commands: \q quits, \? helps. Ctrl-C cancels the
running statement. Exit status 1 if a statement of -e or piped input fails.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := pgx.ParseConfig(url)
			if err != nil {
				return usageErrorf("--url: %v", err)
			}
			out := cmd.OutOrStdout()
			cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s:  %s\n", n.Severity, n.Message)
			}
			c, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				return err
			}
			defer c.Close(context.Background())
			sh := &shell{conn: c.PgConn(), out: out, errOut: cmd.ErrOrStderr()}
			if len(execs) > 0 {
				for _, q := range execs {
					if !sh.run(ctx, q) {
						return errSQLFailed
					}
				}
				return nil
			}
			in := cmd.InOrStdin()
			interactive := in == io.Reader(os.Stdin) && isTerminal(os.Stdin)
			if interactive {
				fmt.Fprintf(out, "tessera sql %s: connected to %s:%d as %s (database %s). \\? for help, \\q to quit.\n",
					Version, cfg.Host, cfg.Port, cfg.User, cfg.Database)
			}
			return sh.repl(ctx, in, interactive)
		},
	}
	cmd.Flags().StringVar(&url, "url", defaultSQLURL, "connection URL (postgresql://user[:password]@host:port/database?sslmode=…)")
	cmd.Flags().StringArrayVarP(&execs, "execute", "e", nil, "run these statements and exit (repeatable)")
	rootCmd.AddCommand(cmd)
}

// shell runs statements on one connection and prints their results.
type shell struct {
	conn   *pgconn.PgConn
	out    io.Writer
	errOut io.Writer
}

// repl reads statements from in until EOF or \q.
func (sh *shell) repl(ctx context.Context, in io.Reader, interactive bool) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var buf strings.Builder
	failed := false
	prompt := func() {
		if !interactive {
			return
		}
		if buf.Len() == 0 {
			fmt.Fprintf(sh.out, "%s> ", sh.conn.ParameterStatus("session_authorization"))
		} else {
			fmt.Fprint(sh.out, "-> ")
		}
	}
	for prompt(); sc.Scan(); prompt() {
		line := sc.Text()
		if buf.Len() == 0 && strings.HasPrefix(strings.TrimSpace(line), `\`) {
			switch strings.Fields(strings.TrimSpace(line))[0] {
			case `\q`:
				return nil
			case `\?`:
				fmt.Fprintln(sh.out, `End each statement with ";". \q quits. Ctrl-C cancels the running statement.`)
			default:
				fmt.Fprintf(sh.errOut, "invalid command %s (\\? for help)\n", strings.TrimSpace(line))
			}
			continue
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		if !statementComplete(buf.String()) {
			continue
		}
		if !sh.run(ctx, buf.String()) {
			failed = true
		}
		buf.Reset()
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if strings.TrimSpace(buf.String()) != "" && !sh.run(ctx, buf.String()) {
		failed = true
	}
	if failed && !interactive {
		return errSQLFailed
	}
	return nil
}

// run executes a query string (simple protocol), printing each
// statement's result, and reports whether all succeeded. Ctrl-C while it
// runs sends a cancel request.
func (sh *shell) run(ctx context.Context, q string) bool {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-sig:
			_ = sh.conn.CancelRequest(context.Background())
		case <-done:
		}
	}()
	results, err := sh.conn.Exec(ctx, q).ReadAll()
	close(done)
	<-stopped
	signal.Stop(sig)
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		if len(r.FieldDescriptions) > 0 {
			names := make([]string, len(r.FieldDescriptions))
			for i, f := range r.FieldDescriptions {
				names[i] = f.Name
			}
			printTable(sh.out, names, r.Rows)
		} else {
			fmt.Fprintln(sh.out, r.CommandTag.String())
		}
	}
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			fmt.Fprintf(sh.errOut, "ERROR:  %s (SQLSTATE %s)\n", pe.Message, pe.Code)
			if pe.Detail != "" {
				fmt.Fprintf(sh.errOut, "DETAIL:  %s\n", pe.Detail)
			}
			if pe.Hint != "" {
				fmt.Fprintf(sh.errOut, "HINT:  %s\n", pe.Hint)
			}
		} else {
			fmt.Fprintf(sh.errOut, "error: %v\n", err)
		}
		return false
	}
	return true
}

// printTable prints rows in psql's aligned format: a header, a rule, the
// rows (NULL as empty), and "(n rows)". Numbers are not right-aligned
// (the text protocol does not say which columns are numeric without the
// type OIDs; psql's alignment is cosmetic).
func printTable(w io.Writer, names []string, rows [][][]byte) {
	widths := make([]int, len(names))
	for i, n := range names {
		widths[i] = utf8.RuneCountInString(n)
	}
	cells := make([][]string, len(rows))
	for r, row := range rows {
		cells[r] = make([]string, len(names))
		for i := range names {
			if i < len(row) && row[i] != nil {
				cells[r][i] = string(row[i])
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cells[r][i]))
		}
	}
	var b strings.Builder
	line := func(vals []string, center bool) {
		var lb strings.Builder
		for i, v := range vals {
			if i > 0 {
				lb.WriteString("|")
			}
			pad := widths[i] - utf8.RuneCountInString(v)
			left := 0
			if center {
				left = pad / 2
			}
			lb.WriteString(" " + strings.Repeat(" ", left) + v + strings.Repeat(" ", pad-left) + " ")
		}
		b.WriteString(strings.TrimRight(lb.String(), " ") + "\n") // no trailing blanks
	}
	line(names, true)
	for i, wd := range widths {
		if i > 0 {
			b.WriteString("+")
		}
		b.WriteString(strings.Repeat("-", wd+2))
	}
	b.WriteString("\n")
	for _, row := range cells {
		line(row, false)
	}
	if len(rows) == 1 {
		b.WriteString("(1 row)\n\n")
	} else {
		fmt.Fprintf(&b, "(%d rows)\n\n", len(rows))
	}
	_, _ = io.WriteString(w, b.String())
}

// statementComplete says whether s ends with a semicolon outside quotes,
// quoted identifiers, dollar quotes and comments.
func statementComplete(s string) bool {
	last := byte(0) // last significant byte outside quotes and comments
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return false
			}
			i += j + 1
			last = c
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return last == ';'
			}
			i += j
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return false
			}
			i += j + 3
		case c == '$':
			tag, ok := dollarTag(s[i:])
			if !ok {
				last = c
				continue
			}
			j := strings.Index(s[i+len(tag):], tag)
			if j < 0 {
				return false
			}
			i += len(tag) + j + len(tag) - 1
			last = '$'
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			last = c
		}
	}
	return last == ';'
}

// dollarTag returns the opening $tag$ at the start of s.
func dollarTag(s string) (string, bool) {
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == '$' {
			return s[:i+1], true
		}
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 1 && c >= '0' && c <= '9') {
			return "", false
		}
	}
	return "", false
}
