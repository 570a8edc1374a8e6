package corpus

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tesseradb/tessera/sql/parser"
)

// File is one corpus file read into statements.
type File struct {
	Path string
	// Must marks a "must" group: every statement PostgreSQL accepts has to
	// parse. Set by a `-- tessera-corpus: must` line in a .sql file's header.
	Must  bool
	Stmts []Stmt
}

// Group is the corpus group of a file: its base name without extension.
func (f *File) Group() string {
	return strings.TrimSuffix(filepath.Base(f.Path), filepath.Ext(f.Path))
}

// mustMarker in the first lines of a .sql file marks a "must" group.
const mustMarker = "-- tessera-corpus: must"

// ReadFile reads a .sql file (psql splitting) or a sqllogictest .test file.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := &File{Path: path}
	if strings.HasSuffix(path, ".test") {
		f.Stmts, err = ReadSLT(strings.NewReader(string(data)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return f, nil
	}
	src := string(data)
	head := src[:min(len(src), 1024)]
	for _, l := range strings.Split(head, "\n") {
		if strings.TrimSpace(l) == mustMarker {
			f.Must = true
		}
	}
	f.Stmts = SplitPSQL(src)
	return f, nil
}

// Expand turns files and directories into the sorted list of corpus files
// they hold (.sql and .test, recursively for directories).
func Expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(q, ".sql") || strings.HasSuffix(q, ".test")) {
				found = append(found, q)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// Failure is one statement our parser refused.
type Failure struct {
	SQL   string `json:"sql"`
	Error string `json:"error"`
	Line  int    `json:"-"`
}

// Result is the outcome of parsing one file.
type Result struct {
	File       *File
	Statements int
	Parsed     int
	Failures   []Failure
	// Verdicts, when the file has a current .verdicts file: PostgreSQL's
	// parser's verdict per statement (nil otherwise).
	Verdicts []Verdict
	// PGAccepted counts statements PostgreSQL accepts; ParsedAccepted those
	// of them we parse; ParsedRejected those PostgreSQL rejects that we parse.
	PGAccepted, ParsedAccepted, ParsedRejected int
	// MustFailures are statements PostgreSQL accepts that we refuse.
	MustFailures []Failure
}

// Run parses every statement of f with parser.Parse. verdicts may be nil.
func Run(f *File, verdicts []Verdict) *Result {
	r := &Result{File: f, Statements: len(f.Stmts), Verdicts: verdicts}
	for i, s := range f.Stmts {
		_, err := parser.Parse(s.SQL)
		ok := err == nil
		if ok {
			r.Parsed++
		} else {
			r.Failures = append(r.Failures, Failure{SQL: s.SQL, Error: err.Error(), Line: s.Line})
		}
		if verdicts == nil {
			continue
		}
		if verdicts[i].Accepted {
			r.PGAccepted++
			if ok {
				r.ParsedAccepted++
			} else {
				r.MustFailures = append(r.MustFailures, r.Failures[len(r.Failures)-1])
			}
		} else if ok {
			r.ParsedRejected++
		}
	}
	return r
}

// Verdict is PostgreSQL's parser's verdict on one statement.
type Verdict struct {
	Hash     string // Hash of the statement text
	Accepted bool
	Error    string // PostgreSQL's message when rejected
}

// Hash identifies a statement's text in a verdicts file.
func Hash(sql string) string {
	h := sha256.Sum256([]byte(sql))
	return hex.EncodeToString(h[:6])
}

// VerdictsPath is where the verdicts of a corpus file live.
func VerdictsPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".verdicts"
}

// ErrStaleVerdicts means a verdicts file does not match its corpus file.
var ErrStaleVerdicts = fmt.Errorf("verdicts file is stale: refresh with `go test -tags pgoracle ./sql/parser/corpus/ -run TestOracle -update`")

// ReadVerdicts reads the verdicts of f; it returns nil, nil when there is
// no verdicts file and ErrStaleVerdicts when it does not match f.
func ReadVerdicts(f *File) ([]Verdict, error) {
	data, err := os.ReadFile(VerdictsPath(f.Path))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var vs []Verdict
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		parts := strings.SplitN(l, "\t", 3)
		if len(parts) < 2 {
			return nil, fmt.Errorf("%s: bad line %q: %w", VerdictsPath(f.Path), l, ErrStaleVerdicts)
		}
		v := Verdict{Hash: parts[0], Accepted: parts[1] == "ok"}
		if len(parts) == 3 {
			v.Error = parts[2]
		}
		vs = append(vs, v)
	}
	if len(vs) != len(f.Stmts) {
		return nil, fmt.Errorf("%s: %d verdicts for %d statements: %w", VerdictsPath(f.Path), len(vs), len(f.Stmts), ErrStaleVerdicts)
	}
	for i, s := range f.Stmts {
		if vs[i].Hash != Hash(s.SQL) {
			return nil, fmt.Errorf("%s: statement at line %d changed: %w", VerdictsPath(f.Path), s.Line, ErrStaleVerdicts)
		}
	}
	return vs, nil
}

// FormatVerdicts renders verdicts in the verdicts file format.
func FormatVerdicts(f *File, vs []Verdict) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# PostgreSQL 15 parser (pg_query_go) verdict per statement of %s, in order:\n", filepath.Base(f.Path))
	b.WriteString("# <sha256 prefix of the statement>\tok|rejected[\t<PostgreSQL's error>]. Generated: do not edit.\n")
	for _, v := range vs {
		if v.Accepted {
			fmt.Fprintf(&b, "%s\tok\n", v.Hash)
		} else {
			fmt.Fprintf(&b, "%s\trejected\t%s\n", v.Hash, strings.ReplaceAll(v.Error, "\n", " "))
		}
	}
	return b.String()
}
