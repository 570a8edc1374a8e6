package jsonpath

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Kind is the kind of a path item.
type Kind uint8

// Path item kinds. Binary kinds (And … Mod) use L and R; unary ones
// (Not, IsUnknown, Exists, Neg, Pos, Filter) use L.
const (
	Root       Kind = iota // $
	Current                // @
	Last                   // last
	Var                    // $name (Str)
	Null                   // null
	Bool                   // true / false (B)
	Num                    // numeric literal (Num)
	Str                    // string literal (Str)
	Key                    // .key (Str)
	AnyKey                 // .*
	AnyArray               // [*]
	Index                  // [a, b to c] (Subs)
	Any                    // .**{First to LastLevel}
	Filter                 // ? (L)
	Method                 // .name() (Str; Template for datetime, HasArg)
	Or                     // ||
	And                    // &&
	Eq                     // ==
	Ne                     // != and <>
	Lt                     // <
	Le                     // <=
	Gt                     // >
	Ge                     // >=
	StartsWith             // L starts with R
	LikeRegex              // L like_regex Str flag Flags
	Add                    // +
	Sub                    // -
	Mul                    // *
	Div                    // /
	Mod                    // %
	Not                    // !(L)
	IsUnknown              // (L) is unknown
	Exists                 // exists (L)
	Neg                    // -L
	Pos                    // +L
)

// Subscript is one element of an index list: From, or From to To.
type Subscript struct {
	From, To *Node
}

// Node is one path item; Next is the accessor applied to its result.
type Node struct {
	Kind  Kind
	Str   string
	Flags string
	B     bool
	Num   *apd.Decimal
	L, R  *Node
	Subs  []Subscript
	// First and LastLevel bound .**; -1 means last.
	First, LastLevel int
	// HasArg: a .datetime("template") call (the template in Str is
	// then the argument).
	HasArg bool
	Next   *Node
}

// Path is a parsed jsonpath: its mode and expression.
type Path struct {
	Strict bool
	Expr   *Node
}

// Error is a jsonpath error with a PostgreSQL SQLSTATE.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// SQLState returns the SQLSTATE code.
func (e *Error) SQLState() string { return e.Code }

// CodeSyntaxError is 42601, the code of every parse error.
const CodeSyntaxError = "42601"

func syntaxErr(format string, args ...any) *Error {
	return &Error{Code: CodeSyntaxError, Message: fmt.Sprintf(format, args...)}
}

// IsPredicate reports whether the item is a predicate (yields a boolean
// truth value rather than items): a predicate followed by an accessor is
// an expression.
func (n *Node) IsPredicate() bool {
	if n.Next != nil {
		return false
	}
	switch n.Kind {
	case Or, And, Eq, Ne, Lt, Le, Gt, Ge, StartsWith, LikeRegex, Not, IsUnknown, Exists:
		return true
	}
	return false
}

// methods lists the item methods taking no argument.
var methods = map[string]bool{"type": true, "size": true, "double": true, "ceiling": true, "floor": true,
	"abs": true, "keyvalue": true, "datetime": true}

// ---- lexer ----

type tokKind uint8

const (
	tEOF tokKind = iota
	tPunct
	tIdent
	tString
	tNum
	tVar
)

type token struct {
	kind tokKind
	val  string
}

func isOther(c byte) bool {
	return !strings.ContainsRune("?%$.[]{}()|&!=<>@#,*:-+/\\\" \t\n\r\f", rune(c))
}

func lex(s string) ([]token, error) {
	if strings.IndexByte(s, 0) >= 0 {
		// text cannot hold NUL (PostgreSQL's input never sees one)
		return nil, syntaxErr("invalid byte sequence for encoding \"UTF8\": 0x00")
	}
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '"':
			str, n, err := lexString(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tString, str})
			i = n
		case c == '$':
			if i+1 < len(s) && s[i+1] == '"' {
				str, n, err := lexString(s, i+1)
				if err != nil {
					return nil, err
				}
				toks = append(toks, token{tVar, str})
				i = n
				continue
			}
			j := i + 1
			for j < len(s) && isOther(s[j]) {
				j++
			}
			if j == i+1 {
				toks = append(toks, token{tPunct, "$"})
			} else {
				toks = append(toks, token{tVar, s[i+1 : j]})
			}
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j+1 < len(s) && s[j] == '.' && s[j+1] >= '0' && s[j+1] <= '9' {
				j++
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
					j = k
				}
			}
			if j < len(s) && isOther(s[j]) {
				return nil, syntaxErr("trailing junk after numeric literal at or near %q of jsonpath input", s[i:j+1])
			}
			toks = append(toks, token{tNum, s[i:j]})
			i = j
		case isOther(c):
			j := i
			for j < len(s) && isOther(s[j]) {
				j++
			}
			toks = append(toks, token{tIdent, s[i:j]})
			i = j
		default:
			two := ""
			if i+1 < len(s) {
				two = s[i : i+2]
			}
			switch two {
			case "==", "!=", "<>", "<=", ">=", "&&", "||", "**":
				toks = append(toks, token{tPunct, two})
				i += 2
				continue
			}
			if strings.IndexByte("?%.[]{}()!<>@,*-+/", c) < 0 {
				return nil, syntaxErr("syntax error at or near %q of jsonpath input", string(c))
			}
			toks = append(toks, token{tPunct, string(c)})
			i++
		}
	}
	return append(toks, token{kind: tEOF}), nil
}

// lexString reads the double-quoted string at s[i], returning its value
// and the offset after the closing quote.
func lexString(s string, i int) (string, int, error) {
	var b strings.Builder
	j := i + 1
	for j < len(s) {
		c := s[j]
		switch c {
		case '"':
			return b.String(), j + 1, nil
		case '\\':
			if j+1 >= len(s) {
				return "", 0, syntaxErr("unexpected end after backslash at end of jsonpath input")
			}
			e := s[j+1]
			j += 2
			switch e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'v':
				b.WriteByte('\v')
			case 'x':
				if j+2 > len(s) {
					return "", 0, syntaxErr("invalid hexadecimal character sequence of jsonpath input")
				}
				v, err := strconv.ParseUint(s[j:j+2], 16, 8)
				if err != nil || v == 0 {
					return "", 0, syntaxErr("invalid hexadecimal character sequence of jsonpath input")
				}
				b.WriteRune(rune(v))
				j += 2
			case 'u':
				var hex string
				if j < len(s) && s[j] == '{' {
					k := strings.IndexByte(s[j:], '}')
					if k < 0 {
						return "", 0, syntaxErr("invalid Unicode escape sequence of jsonpath input")
					}
					hex, j = s[j+1:j+k], j+k+1
				} else {
					if j+4 > len(s) {
						return "", 0, syntaxErr("invalid Unicode escape sequence of jsonpath input")
					}
					hex, j = s[j:j+4], j+4
				}
				v, err := strconv.ParseUint(hex, 16, 32)
				if err != nil || v == 0 || v > 0x10FFFF {
					return "", 0, syntaxErr("invalid Unicode escape sequence of jsonpath input")
				}
				if v >= 0xD800 && v <= 0xDBFF && j+6 <= len(s) && s[j] == '\\' && s[j+1] == 'u' {
					if lo, err := strconv.ParseUint(s[j+2:j+6], 16, 32); err == nil && lo >= 0xDC00 && lo <= 0xDFFF {
						v = 0x10000 + (v-0xD800)<<10 + (lo - 0xDC00)
						j += 6
					}
				}
				b.WriteRune(rune(v))
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", 0, syntaxErr("unexpected end of quoted string at end of jsonpath input")
}

// ---- parser ----

type parser struct {
	toks []token
	pos  int
	// inFilter and inSubscript count the enclosing filters and array
	// subscripts (for @ and last).
	inFilter, inSubscript int
}

// Parse parses PostgreSQL jsonpath text.
func Parse(s string) (*Path, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	path := &Path{}
	if p.isIdent("strict") {
		path.Strict = true
		p.pos++
	} else if p.isIdent("lax") {
		p.pos++
	}
	if p.peek().kind == tEOF {
		return nil, syntaxErr("syntax error at end of jsonpath input")
	}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, p.unexpected()
	}
	path.Expr = e
	return path, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) isP(v string) bool {
	t := p.toks[p.pos]
	return t.kind == tPunct && t.val == v
}

func (p *parser) isIdent(v string) bool {
	t := p.toks[p.pos]
	return t.kind == tIdent && t.val == v
}

func (p *parser) unexpected() *Error {
	t := p.peek()
	switch t.kind {
	case tEOF:
		return syntaxErr("syntax error at end of jsonpath input")
	case tString:
		return syntaxErr("syntax error at or near \"\"%s\"\" of jsonpath input", t.val)
	case tVar:
		return syntaxErr("syntax error at or near \"$%s\" of jsonpath input", t.val)
	}
	return syntaxErr("syntax error at or near \"%s\" of jsonpath input", t.val)
}

func (p *parser) expect(v string) error {
	if !p.isP(v) {
		return p.unexpected()
	}
	p.pos++
	return nil
}

// priority is PostgreSQL's operationPriority.
func priority(k Kind) int {
	switch k {
	case Or:
		return 0
	case And:
		return 1
	case Eq, Ne, Lt, Le, Gt, Ge, StartsWith, LikeRegex:
		return 2
	case Add, Sub:
		return 3
	case Mul, Div, Mod:
		return 4
	case Neg, Pos:
		return 5
	}
	return 6
}

var binOps = map[string]Kind{"||": Or, "&&": And, "==": Eq, "!=": Ne, "<>": Ne, "<": Lt, "<=": Le,
	">": Gt, ">=": Ge, "+": Add, "-": Sub, "*": Mul, "/": Div, "%": Mod}

// binOp returns the binary operator at the cursor and its priority.
func (p *parser) binOp() (Kind, int, bool) {
	t := p.peek()
	if t.kind == tPunct {
		if k, ok := binOps[t.val]; ok {
			return k, priority(k), true
		}
	}
	if t.kind == tIdent {
		switch t.val {
		case "starts":
			return StartsWith, 2, true
		case "like_regex":
			return LikeRegex, 2, true
		}
	}
	return 0, 0, false
}

// expr parses operators of at least priority min (precedence climbing;
// the comparisons do not chain).
func (p *parser) expr(min int) (*Node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		k, prio, ok := p.binOp()
		if !ok || prio < min {
			return l, nil
		}
		p.pos++
		switch k {
		case StartsWith:
			if !p.isIdent("with") {
				return nil, p.unexpected()
			}
			p.pos++
			var r *Node
			switch t := p.peek(); t.kind {
			case tString:
				r = &Node{Kind: Str, Str: t.val}
				p.pos++
			case tVar:
				r = &Node{Kind: Var, Str: t.val}
				p.pos++
			default:
				return nil, p.unexpected()
			}
			l = &Node{Kind: StartsWith, L: l, R: r}
		case LikeRegex:
			t := p.peek()
			if t.kind != tString {
				return nil, p.unexpected()
			}
			p.pos++
			n := &Node{Kind: LikeRegex, L: l, Str: t.val}
			if p.isIdent("flag") {
				p.pos++
				f := p.peek()
				if f.kind != tString {
					return nil, p.unexpected()
				}
				p.pos++
				flags, err := normFlags(f.val)
				if err != nil {
					return nil, err
				}
				n.Flags = flags
			}
			l = n
		default:
			next := prio + 1
			r, err := p.expr(next)
			if err != nil {
				return nil, err
			}
			// && and || join predicates; the other operators expressions
			if (k == And || k == Or) != (l.IsPredicate() && r.IsPredicate()) || (k != And && k != Or && (l.IsPredicate() || r.IsPredicate())) {
				return nil, p.unexpected()
			}
			l = &Node{Kind: k, L: l, R: r}
		}
		if prio == 2 {
			// comparisons are not associative
			if _, p2, ok := p.binOp(); ok && p2 == 2 {
				return nil, p.unexpected()
			}
		}
	}
}

// normFlags checks like_regex flags and writes them in PostgreSQL's
// order (i s m x q).
func normFlags(f string) (string, error) {
	var seen [5]bool
	for _, c := range f {
		i := strings.IndexRune("ismxq", c)
		if i < 0 {
			return "", syntaxErr("invalid input syntax for type jsonpath")
		}
		seen[i] = true
	}
	var b strings.Builder
	for i, ok := range seen {
		if ok {
			b.WriteByte("ismxq"[i])
		}
	}
	return b.String(), nil
}

func (p *parser) unary() (*Node, error) {
	switch {
	case p.isP("-") || p.isP("+"):
		neg := p.isP("-")
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if x.Kind == Num && x.Next == nil {
			if neg {
				d := new(apd.Decimal).Neg(x.Num)
				return &Node{Kind: Num, Num: d}, nil
			}
			return x, nil
		}
		if neg {
			return &Node{Kind: Neg, L: x}, nil
		}
		return &Node{Kind: Pos, L: x}, nil
	case p.isP("!"):
		p.pos++
		if p.isIdent("exists") {
			x, err := p.primary()
			if err != nil {
				return nil, err
			}
			return &Node{Kind: Not, L: x}, nil
		}
		if !p.isP("(") {
			return nil, p.unexpected()
		}
		p.pos++
		x, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if !x.IsPredicate() {
			return nil, p.unexpected()
		}
		return &Node{Kind: Not, L: x}, nil
	}
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	return p.accessors(x)
}

func (p *parser) primary() (*Node, error) {
	t := p.peek()
	switch t.kind {
	case tString:
		p.pos++
		return &Node{Kind: Str, Str: t.val}, nil
	case tNum:
		p.pos++
		d, _, err := apd.NewFromString(t.val)
		if err != nil {
			return nil, syntaxErr("invalid numeric literal %q of jsonpath input", t.val)
		}
		return &Node{Kind: Num, Num: d}, nil
	case tVar:
		p.pos++
		return &Node{Kind: Var, Str: t.val}, nil
	case tIdent:
		switch t.val {
		case "null":
			p.pos++
			return &Node{Kind: Null}, nil
		case "true", "false":
			p.pos++
			return &Node{Kind: Bool, B: t.val == "true"}, nil
		case "last":
			if p.inSubscript == 0 {
				return nil, syntaxErr("LAST is allowed only in array subscripts")
			}
			p.pos++
			return &Node{Kind: Last}, nil
		case "exists":
			p.pos++
			if err := p.expect("("); err != nil {
				return nil, err
			}
			x, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return &Node{Kind: Exists, L: x}, nil
		}
	case tPunct:
		switch t.val {
		case "$":
			p.pos++
			return &Node{Kind: Root}, nil
		case "@":
			if p.inFilter == 0 {
				return nil, syntaxErr("@ is not allowed in root expressions")
			}
			p.pos++
			return &Node{Kind: Current}, nil
		case "(":
			p.pos++
			x, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			if p.isIdent("is") {
				if !x.IsPredicate() {
					return nil, p.unexpected()
				}
				p.pos++
				if !p.isIdent("unknown") {
					return nil, p.unexpected()
				}
				p.pos++
				return &Node{Kind: IsUnknown, L: x}, nil
			}
			return x, nil
		}
	}
	return nil, p.unexpected()
}

// accessors parses the accessor chain after a primary item.
func (p *parser) accessors(x *Node) (*Node, error) {
	tail := x
	for tail.Next != nil {
		tail = tail.Next
	}
	for {
		var n *Node
		switch {
		case p.isP("."):
			p.pos++
			t := p.peek()
			switch {
			case t.kind == tString:
				p.pos++
				n = &Node{Kind: Key, Str: t.val}
			case t.kind == tPunct && t.val == "*":
				p.pos++
				n = &Node{Kind: AnyKey}
			case t.kind == tPunct && t.val == "**":
				p.pos++
				var err error
				if n, err = p.anyLevels(); err != nil {
					return nil, err
				}
			case t.kind == tIdent:
				p.pos++
				if methods[t.val] && p.isP("(") {
					p.pos++
					n = &Node{Kind: Method, Str: t.val}
					if t.val == "datetime" && p.peek().kind == tString {
						n.HasArg, n.Flags = true, p.peek().val
						p.pos++
					}
					if err := p.expect(")"); err != nil {
						return nil, err
					}
				} else {
					n = &Node{Kind: Key, Str: t.val}
				}
			default:
				return nil, p.unexpected()
			}
		case p.isP("["):
			p.pos++
			if p.isP("*") {
				p.pos++
				if err := p.expect("]"); err != nil {
					return nil, err
				}
				n = &Node{Kind: AnyArray}
				break
			}
			n = &Node{Kind: Index}
			p.inSubscript++
			for {
				from, err := p.expr(0)
				if err != nil {
					return nil, err
				}
				sub := Subscript{From: from}
				if p.isIdent("to") {
					p.pos++
					if sub.To, err = p.expr(0); err != nil {
						return nil, err
					}
				}
				n.Subs = append(n.Subs, sub)
				if p.isP(",") {
					p.pos++
					continue
				}
				break
			}
			p.inSubscript--
			if err := p.expect("]"); err != nil {
				return nil, err
			}
		case p.isP("?"):
			p.pos++
			if err := p.expect("("); err != nil {
				return nil, err
			}
			p.inFilter++
			pred, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			p.inFilter--
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			if !pred.IsPredicate() {
				return nil, syntaxErr("syntax error at or near \")\" of jsonpath input")
			}
			n = &Node{Kind: Filter, L: pred}
		default:
			return x, nil
		}
		tail.Next = n
		tail = n
	}
}

// anyLevels parses the optional {n}, {n to m} after .**.
func (p *parser) anyLevels() (*Node, error) {
	n := &Node{Kind: Any, First: 0, LastLevel: -1}
	if !p.isP("{") {
		return n, nil
	}
	p.pos++
	level := func() (int, error) {
		t := p.peek()
		if t.kind == tIdent && t.val == "last" {
			p.pos++
			return -1, nil
		}
		if t.kind != tNum {
			return 0, p.unexpected()
		}
		v, err := strconv.Atoi(t.val)
		if err != nil || v < 0 {
			return 0, p.unexpected()
		}
		p.pos++
		return v, nil
	}
	var err error
	if n.First, err = level(); err != nil {
		return nil, err
	}
	n.LastLevel = n.First
	if p.isIdent("to") {
		p.pos++
		if n.LastLevel, err = level(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("}"); err != nil {
		return nil, err
	}
	return n, nil
}

// ---- output ----

// String is PostgreSQL's text form of the path.
func (pa *Path) String() string {
	var b strings.Builder
	if pa.Strict {
		b.WriteString("strict ")
	}
	write(&b, pa.Expr, false, true)
	return b.String()
}

var opNames = map[Kind]string{Or: "||", And: "&&", Eq: "==", Ne: "!=", Lt: "<", Le: "<=", Gt: ">", Ge: ">=",
	Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%", StartsWith: "starts with"}

// OpName is the operator's spelling in error messages.
func OpName(k Kind) string { return opNames[k] }

func write(b *strings.Builder, n *Node, inKey, brackets bool) {
	switch n.Kind {
	case Null:
		b.WriteString("null")
	case Bool:
		b.WriteString(strconv.FormatBool(n.B))
	case Num:
		b.WriteString(FormatNumber(n.Num))
	case Str:
		WriteJSONString(b, n.Str)
	case Var:
		b.WriteByte('$')
		WriteJSONString(b, n.Str)
	case Root:
		b.WriteByte('$')
	case Current:
		b.WriteByte('@')
	case Last:
		b.WriteString("last")
	case Or, And, Eq, Ne, Lt, Le, Gt, Ge, StartsWith, Add, Sub, Mul, Div, Mod:
		if brackets {
			b.WriteByte('(')
		}
		write(b, n.L, false, priority(n.L.Kind) <= priority(n.Kind))
		b.WriteString(" " + opNames[n.Kind] + " ")
		write(b, n.R, false, priority(n.R.Kind) <= priority(n.Kind))
		if brackets {
			b.WriteByte(')')
		}
	case LikeRegex:
		if brackets {
			b.WriteByte('(')
		}
		write(b, n.L, false, priority(n.L.Kind) <= priority(n.Kind))
		b.WriteString(" like_regex ")
		WriteJSONString(b, n.Str)
		if n.Flags != "" {
			b.WriteString(" flag \"" + n.Flags + "\"")
		}
		if brackets {
			b.WriteByte(')')
		}
	case Neg, Pos:
		if brackets {
			b.WriteByte('(')
		}
		if n.Kind == Neg {
			b.WriteByte('-')
		} else {
			b.WriteByte('+')
		}
		write(b, n.L, false, priority(n.L.Kind) <= priority(n.Kind))
		if brackets {
			b.WriteByte(')')
		}
	case Filter:
		b.WriteString("?(")
		write(b, n.L, false, false)
		b.WriteByte(')')
	case Not:
		b.WriteString("!(")
		write(b, n.L, false, false)
		b.WriteByte(')')
	case IsUnknown:
		b.WriteByte('(')
		write(b, n.L, false, false)
		b.WriteString(") is unknown")
	case Exists:
		b.WriteString("exists (")
		write(b, n.L, false, false)
		b.WriteByte(')')
	case Key:
		if inKey {
			b.WriteByte('.')
		}
		WriteJSONString(b, n.Str)
	case AnyKey:
		if inKey {
			b.WriteByte('.')
		}
		b.WriteByte('*')
	case AnyArray:
		b.WriteString("[*]")
	case Index:
		b.WriteByte('[')
		for i, s := range n.Subs {
			if i > 0 {
				b.WriteByte(',')
			}
			write(b, s.From, false, false)
			if s.To != nil {
				b.WriteString(" to ")
				write(b, s.To, false, false)
			}
		}
		b.WriteByte(']')
	case Any:
		if inKey {
			b.WriteByte('.')
		}
		b.WriteString("**")
		lv := func(v int) string {
			if v < 0 {
				return "last"
			}
			return strconv.Itoa(v)
		}
		switch {
		case n.First == 0 && n.LastLevel == -1:
		case n.First == n.LastLevel:
			b.WriteString("{" + lv(n.First) + "}")
		default:
			b.WriteString("{" + lv(n.First) + " to " + lv(n.LastLevel) + "}")
		}
	case Method:
		b.WriteString("." + n.Str + "(")
		if n.HasArg {
			WriteJSONString(b, n.Flags)
		}
		b.WriteByte(')')
	}
	if n.Next != nil {
		write(b, n.Next, true, true)
	}
}

// FormatNumber writes a numeric literal as PostgreSQL's numeric output
// does: no exponent, the literal's scale kept.
func FormatNumber(d *apd.Decimal) string {
	if d.Exponent > 0 {
		var c apd.Decimal
		if _, err := apd.BaseContext.WithPrecision(1000).Quantize(&c, d, 0); err == nil {
			return c.Text('f')
		}
	}
	s := d.Text('f')
	if s == "-0" {
		return "0"
	}
	return s
}

// WriteJSONString writes s as a JSON string literal, escaped as
// PostgreSQL's escape_json does (jsonpath output and the json functions
// share it): the two-character escapes, \u00XX for other control
// characters, every other byte as it is.
func WriteJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch c {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '\b':
			esc = `\b`
		case '\f':
			esc = `\f`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			if c >= 0x20 {
				continue
			}
		}
		b.WriteString(s[start:i])
		if esc != "" {
			b.WriteString(esc)
		} else {
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&15])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
