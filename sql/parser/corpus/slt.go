package corpus

import (
	"bufio"
	"io"
	"strings"
)

// ReadSLT returns the records of a sqllogictest file that a PostgreSQL
// engine would run: `statement ok` and `query` records, minus those under
// `skipif postgresql` or `onlyif <another engine>`. `statement error`
// records, halts and hash-threshold lines are not statements to parse.
func ReadSLT(r io.Reader) ([]Stmt, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var out []Stmt
	skip := false
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			skip = false
			continue
		}
		switch fields[0] {
		case "skipif":
			if len(fields) > 1 && fields[1] == "postgresql" {
				skip = true
			}
		case "onlyif":
			if len(fields) > 1 && fields[1] != "postgresql" {
				skip = true
			}
		case "halt":
			if !skip {
				return out, nil
			}
			skip = false
		case "statement", "query":
			if fields[0] == "statement" && (len(fields) < 2 || fields[1] != "ok") {
				skip = true
			}
			start := line + 1
			var sqlLines []string
			inResult := false
			for sc.Scan() {
				line++
				s := sc.Text()
				if strings.TrimSpace(s) == "" {
					break
				}
				if s == "----" {
					inResult = true
				}
				if !inResult {
					sqlLines = append(sqlLines, s)
				}
			}
			if !skip && len(sqlLines) > 0 {
				out = append(out, Stmt{SQL: strings.Join(sqlLines, "\n"), Line: start})
			}
			skip = false
		}
	}
	return out, sc.Err()
}
