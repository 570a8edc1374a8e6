package logictest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Kind is the kind of a record.
type Kind int

// Record kinds.
const (
	// KindStatement is "statement ok" or "statement error [pattern]".
	KindStatement Kind = iota + 1
	// KindQuery is "query <types> [sortmode] [label]" or "query error [pattern]".
	KindQuery
	// KindHashThreshold is "hash-threshold N".
	KindHashThreshold
	// KindHalt is "halt".
	KindHalt
)

// SortMode is how query results are ordered before comparison.
type SortMode int

// Sort modes of a query record.
const (
	NoSort SortMode = iota
	RowSort
	ValueSort
)

// Record is one directive of a .test file with its conditions.
type Record struct {
	Kind Kind
	Line int // 1-based line of the directive
	// SkipIf and OnlyIf are the engine names of the conditions before the
	// record.
	SkipIf, OnlyIf []string
	SQL            string

	// Statement and query errors.
	ExpectError  bool
	ErrorPattern *regexp.Regexp // nil: any error

	// Query.
	Types    string
	Sort     SortMode
	Label    string
	Expected []string // result lines after ----
	// HashedCount/Hash are set when Expected is "N values hashing to H".
	Hashed      bool
	HashedCount int
	Hash        string

	Threshold int // hash-threshold value
}

// AppliesTo reports whether the record's conditions let the engine run it.
func (r *Record) AppliesTo(engine string) bool {
	for _, e := range r.SkipIf {
		if e == engine {
			return false
		}
	}
	if len(r.OnlyIf) > 0 {
		for _, e := range r.OnlyIf {
			if e == engine {
				return true
			}
		}
		return false
	}
	return true
}

// ParseError is a malformed .test file.
type ParseError struct {
	Path string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg) }

var hashLine = regexp.MustCompile(`^(\d+) values hashing to ([0-9a-f]{32})$`)

// ParseFile reads a .test file.
func ParseFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse reads the records of a .test file from r; path is used in errors.
func Parse(path string, r io.Reader) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	var lines []string
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	p := &parser{path: path, lines: lines}
	return p.parse()
}

type parser struct {
	path  string
	lines []string
	i     int
}

func (p *parser) errf(line int, format string, args ...any) error {
	return &ParseError{Path: p.path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// block returns the lines up to the next blank line (or "----" when
// stopAtDashes), advancing past them.
func (p *parser) block(stopAtDashes bool) (out []string, sawDashes bool) {
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if strings.TrimSpace(l) == "" {
			return out, false
		}
		p.i++
		if stopAtDashes && l == "----" {
			return out, true
		}
		out = append(out, l)
	}
	return out, false
}

func (p *parser) parse() ([]Record, error) {
	var recs []Record
	var skipIf, onlyIf []string
	for p.i < len(p.lines) {
		line := p.i + 1
		l := strings.TrimSpace(p.lines[p.i])
		p.i++
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		rec := Record{Line: line}
		switch f[0] {
		case "skipif", "onlyif":
			if len(f) < 2 {
				return nil, p.errf(line, "%s needs an engine name", f[0])
			}
			if f[0] == "skipif" {
				skipIf = append(skipIf, f[1])
			} else {
				onlyIf = append(onlyIf, f[1])
			}
			continue
		case "halt":
			rec.Kind = KindHalt
		case "hash-threshold":
			if len(f) != 2 {
				return nil, p.errf(line, "hash-threshold needs one number")
			}
			n, err := strconv.Atoi(f[1])
			if err != nil || n < 0 {
				return nil, p.errf(line, "bad hash-threshold %q", f[1])
			}
			rec.Kind, rec.Threshold = KindHashThreshold, n
		case "statement":
			rec.Kind = KindStatement
			if len(f) < 2 {
				return nil, p.errf(line, "statement needs ok or error")
			}
			switch f[1] {
			case "ok":
			case "error":
				rec.ExpectError = true
				if err := p.errorPattern(&rec, l, "statement error", line); err != nil {
					return nil, err
				}
			default:
				return nil, p.errf(line, "statement %q: want ok or error", f[1])
			}
			sql, _ := p.block(false)
			rec.SQL = strings.Join(sql, "\n")
		case "query":
			rec.Kind = KindQuery
			if len(f) < 2 {
				return nil, p.errf(line, "query needs a type string")
			}
			if f[1] == "error" {
				rec.ExpectError = true
				if err := p.errorPattern(&rec, l, "query error", line); err != nil {
					return nil, err
				}
			} else {
				rec.Types = f[1]
				for _, c := range rec.Types {
					if c != 'I' && c != 'T' && c != 'R' {
						return nil, p.errf(line, "query type string %q: want I, T or R", rec.Types)
					}
				}
				if len(f) > 2 {
					switch f[2] {
					case "nosort":
					case "rowsort":
						rec.Sort = RowSort
					case "valuesort":
						rec.Sort = ValueSort
					default:
						return nil, p.errf(line, "unknown sort mode %q", f[2])
					}
				}
				if len(f) > 3 {
					rec.Label = f[3]
				}
			}
			sql, dashes := p.block(true)
			rec.SQL = strings.Join(sql, "\n")
			if dashes {
				rec.Expected, _ = p.block(false)
			}
			if len(rec.Expected) == 1 {
				if m := hashLine.FindStringSubmatch(rec.Expected[0]); m != nil {
					rec.Hashed, rec.Hash = true, m[2]
					rec.HashedCount, _ = strconv.Atoi(m[1])
				}
			}
		default:
			return nil, p.errf(line, "unknown directive %q", f[0])
		}
		if (rec.Kind == KindStatement || rec.Kind == KindQuery) && rec.SQL == "" {
			return nil, p.errf(line, "%s without SQL", f[0])
		}
		rec.SkipIf, rec.OnlyIf = skipIf, onlyIf
		skipIf, onlyIf = nil, nil
		recs = append(recs, rec)
	}
	return recs, nil
}

// errorPattern reads the optional regular expression after "statement
// error" / "query error".
func (p *parser) errorPattern(rec *Record, l, prefix string, line int) error {
	pat := strings.TrimSpace(strings.TrimPrefix(l, prefix))
	if pat == "" {
		return nil
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return p.errf(line, "bad error pattern %q: %v", pat, err)
	}
	rec.ErrorPattern = re
	return nil
}
