package jsonpath

import (
	"errors"
	"testing"
)

// canonical pairs a jsonpath with PostgreSQL 15's output of
// 'input'::jsonpath (recorded from a PostgreSQL 15 server).
var canonical = [][2]string{
	{"$", "$"},
	{"$.a", "$.\"a\""},
	{"$.a.b[1, 2 to last].**{2 to 5}", "$.\"a\".\"b\"[1,2 to last].**{2 to 5}"},
	{"strict $.a ? ((@ > 1) is unknown)", "strict $.\"a\"?((@ > 1) is unknown)"},
	{"-$.a * (2 + 3) - $x", "(-$.\"a\" * (2 + 3) - $\"x\")"},
	{"$.\"a b\".*[*]", "$.\"a b\".*[*]"},
	{"1e3", "1000"},
	{"$ ? (@ == null || @ == true)", "$?(@ == null || @ == true)"},
	{"$.**", "$.**"},
	{"$.**{last}", "$.**{last}"},
	{"$.**{1}", "$.**{1}"},
	{"$.a + 1 + 2", "(($.\"a\" + 1) + 2)"},
	{"$.a + (1 + 2)", "($.\"a\" + (1 + 2))"},
	{"1 + 2 * 3", "(1 + 2 * 3)"},
	{"(1 + 2) * 3", "((1 + 2) * 3)"},
	{"-1", "-1"},
	{"- -1", "1"},
	{"-(1+2)", "(-(1 + 2))"},
	{"$.a ? (@.b like_regex \"^x\" flag \"mi\")", "$.\"a\"?(@.\"b\" like_regex \"^x\" flag \"im\")"},
	{"$ ? (@ starts with $s)", "$?(@ starts with $\"s\")"},
	{"$ ? (!(@ > 1) && exists(@.a))", "$?(!(@ > 1) && exists (@.\"a\"))"},
	{"$.a.size() + $.b.type()", "($.\"a\".size() + $.\"b\".type())"},
	{"lax $[0]", "$[0]"},
	{"$.a[last - 1]", "$.\"a\"[last - 1]"},
	{"\"x\\ty\\\"z\"", "\"x\\ty\\\"z\""},
	{"$.datetime()", "$.datetime()"},
	{"$ ? (@ > 1.50)", "$?(@ > 1.50)"},
	{"$.a ? (@ < 1 || @ > 2 && @ != 3)", "$.\"a\"?(@ < 1 || @ > 2 && @ != 3)"},
	{"$.a ? (@ <> 3)", "$.\"a\"?(@ != 3)"},
	{"$.g ? (@.a == 1).b", "$.\"g\"?(@.\"a\" == 1).\"b\""},
	{"1.5e-3", "0.0015"},
	{"$.floor().ceiling().abs().double().keyvalue()", "$.floor().ceiling().abs().double().keyvalue()"},
	{"$ == 1", "($ == 1)"},
	{"true", "true"},
	{"null", "null"},
	{"$.\"$x\"", "$.\"$x\""},
	{"$.abs", "$.\"abs\""},
	{"$[*] ? (@ % 2 == 1)", "$[*]?(@ % 2 == 1)"},
	{"0.10", "0.10"},
	{"+$.a", "(+$.\"a\")"},
	{"$ ? (! exists (@.x))", "$?(!(exists (@.\"x\")))"},
	{"(1 < 2).type()", "(1 < 2).type()"},
	{"$ ? (@ starts with \"a\" && @ like_regex \"b\")", "$?(@ starts with \"a\" && @ like_regex \"b\")"},
}

func TestCanonical(t *testing.T) {
	for _, c := range canonical {
		p, err := Parse(c[0])
		if err != nil {
			t.Errorf("Parse(%q): %v", c[0], err)
			continue
		}
		if got := p.String(); got != c[1] {
			t.Errorf("Parse(%q).String() = %q, want %q", c[0], got, c[1])
			continue
		}
		// the output reads back as itself
		p2, err := Parse(c[1])
		if err != nil || p2.String() != c[1] {
			t.Errorf("round trip of %q: %v %v", c[1], p2, err)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, s := range []string{"", "$.", "$.a ??", "last", "@.a", "$ ? (@.a", "$[1", "$ ? (1 + 2)",
		"1 < 2 < 3", "$.a like_regex \"x\" flag \"z\"", "\"abc", "$.**{x}", "strict", "$ = 1", "1a",
		"true && false", "(1 < 2) == true", "$ ? (@.a)", "!(1)", "$ ? (1 < 2 && 3)", "$.a like_regex \"x\" like_regex \"y\""} {
		_, err := Parse(s)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeSyntaxError {
			t.Errorf("Parse(%q) = %v, want a 42601 error", s, err)
		}
	}
}
