package corpus

import (
	"strings"
)

// Stmt is one statement of a corpus file: its text and the 1-based line
// where it starts.
type Stmt struct {
	SQL  string
	Line int
}

// SplitPSQL splits a SQL script into statements the way psql does: at a
// ';' outside quotes, dollar quotes, comments and parentheses. Lines that
// begin (after blanks) with a backslash outside a statement's quoted text
// are psql meta-commands and are skipped; \g and its variants end the
// current statement as ';' would. Text left at the end counts as a
// statement, as psql sends it. Leading comments and blanks of a statement
// are dropped; statements with no SQL left are omitted.
func SplitPSQL(src string) []Stmt {
	var out []Stmt
	var b strings.Builder
	line, startLine := 1, 0
	depth := 0
	flush := func() {
		if s := trimLeadingComments(b.String()); s != "" {
			out = append(out, Stmt{SQL: s, Line: startLine})
		}
		b.Reset()
		depth = 0
		startLine = 0
	}
	atLineStart := true
	n := len(src)
	for i := 0; i < n; {
		c := src[i]
		if atLineStart {
			j := i
			for j < n && (src[j] == ' ' || src[j] == '\t') {
				j++
			}
			if j < n && src[j] == '\\' {
				k := strings.IndexByte(src[j:], '\n')
				end := n
				if k >= 0 {
					end = j + k
				}
				meta := src[j:end]
				if strings.HasPrefix(meta, `\g`) {
					flush()
				}
				i = end
				continue
			}
		}
		atLineStart = false
		comment := (c == '-' && i+1 < n && src[i+1] == '-') || (c == '/' && i+1 < n && src[i+1] == '*')
		if startLine == 0 && !comment && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			startLine = line
		}
		switch {
		case c == '\n':
			line++
			atLineStart = true
			b.WriteByte(c)
			i++
		case c == '-' && i+1 < n && src[i+1] == '-':
			k := strings.IndexByte(src[i:], '\n')
			if k < 0 {
				k = n - i
			}
			b.WriteString(src[i : i+k])
			i += k
		case c == '/' && i+1 < n && src[i+1] == '*':
			j, d := i+2, 1
			for j < n && d > 0 {
				if src[j] == '/' && j+1 < n && src[j+1] == '*' {
					d++
					j += 2
					continue
				}
				if src[j] == '*' && j+1 < n && src[j+1] == '/' {
					d--
					j += 2
					continue
				}
				j++
			}
			line += strings.Count(src[i:j], "\n")
			b.WriteString(src[i:j])
			i = j
		case c == '\'' || c == '"':
			esc := c == '\'' && i > 0 && (src[i-1] == 'e' || src[i-1] == 'E') && (i < 2 || !isIdent(src[i-2]))
			j := i + 1
			for j < n {
				if esc && src[j] == '\\' {
					j += 2
					continue
				}
				if src[j] == c {
					if j+1 < n && src[j+1] == c {
						j += 2
						continue
					}
					j++
					break
				}
				j++
			}
			j = min(j, n)
			line += strings.Count(src[i:j], "\n")
			b.WriteString(src[i:j])
			i = j
		case c == '$' && (i == 0 || !isIdent(src[i-1])):
			if tag, ok := dollarTag(src[i:]); ok {
				k := strings.Index(src[i+len(tag):], tag)
				j := n
				if k >= 0 {
					j = i + len(tag) + k + len(tag)
				}
				line += strings.Count(src[i:j], "\n")
				b.WriteString(src[i:j])
				i = j
				continue
			}
			b.WriteByte(c)
			i++
		case c == '(':
			depth++
			b.WriteByte(c)
			i++
		case c == ')':
			if depth > 0 {
				depth--
			}
			b.WriteByte(c)
			i++
		case c == ';' && depth == 0:
			flush()
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	flush()
	return out
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80
}

// dollarTag returns the $tag$ opening s, if s starts with one.
func dollarTag(s string) (string, bool) {
	if len(s) < 2 {
		return "", false
	}
	if s[1] >= '0' && s[1] <= '9' {
		return "", false
	}
	for j := 1; j < len(s); j++ {
		if s[j] == '$' {
			return s[:j+1], true
		}
		if !isIdent(s[j]) {
			return "", false
		}
	}
	return "", false
}

// trimLeadingComments drops leading blanks and comments and trailing blanks.
func trimLeadingComments(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n\f")
		switch {
		case strings.HasPrefix(s, "--"):
			k := strings.IndexByte(s, '\n')
			if k < 0 {
				return ""
			}
			s = s[k+1:]
		case strings.HasPrefix(s, "/*"):
			d, j := 1, 2
			for j < len(s) && d > 0 {
				if strings.HasPrefix(s[j:], "/*") {
					d++
					j += 2
				} else if strings.HasPrefix(s[j:], "*/") {
					d--
					j += 2
				} else {
					j++
				}
			}
			s = s[j:]
		default:
			return strings.TrimRight(s, " \t\r\n\f")
		}
	}
}
