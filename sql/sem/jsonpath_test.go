package sem

import (
	"errors"
	"strings"
	"testing"

	"github.com/tesseradb/tessera/sql/jsonpath"
	"github.com/tesseradb/tessera/sql/types"
)

// TestJSONPathEval evaluates paths on documents; want is the results'
// jsonb text joined by " | ", or "ERROR <sqlstate>". The cases were
// checked against PostgreSQL 15.
func TestJSONPathEval(t *testing.T) {
	cases := []struct{ doc, path, vars, want string }{
		{`{"a": [1, 2, 3]}`, `$.a[*] ? (@ >= 2)`, ``, `2 | 3`},
		{`{"a": [1, 2, 3]}`, `$.a[last]`, ``, `3`},
		{`{"a": [1, 2, 3]}`, `$.a[0 to 1, last]`, ``, `1 | 2 | 3`},
		{`{"a": [1, 2, 3]}`, `strict $.a[3]`, ``, `ERROR 22033`},
		{`{"a": [1, 2, 3]}`, `lax $.a[3]`, ``, ``},
		{`{"a": 1}`, `strict $.b`, ``, `ERROR 2203A`},
		{`{"a": 1}`, `$.b`, ``, ``},
		{`[{"b": 1}, {"b": 2}, 3]`, `$.b`, ``, `1 | 2`},
		{`[{"b": 1}, {"b": 2}]`, `strict $.b`, ``, `ERROR 2203A`},
		{`5`, `$[0]`, ``, `5`},
		{`5`, `strict $[*]`, ``, `ERROR 22039`},
		{`5`, `strict $.*`, ``, `ERROR 2203C`},
		{`{"a": {"b": 1}, "c": [{"b": 2}]}`, `$.**.b`, ``, `1 | 2 | 2`},
		{`{"a": {"b": {"c": 1}}}`, `$.**{2 to last}`, ``, `{"c": 1} | 1`},
		{`{"a": {"b": {"c": 1}}}`, `$.**{last}`, ``, `1`},
		{`{"x": 2}`, `$.x * 3 + 1`, ``, `7`},
		{`{"x": 1}`, `$.x / 3`, ``, `0.33333333333333333333`},
		{`{"x": 1}`, `$.x / 0`, ``, `ERROR 22012`},
		{`{"x": "a"}`, `$.x - 1`, ``, `ERROR 22038`},
		{`[1, 2]`, `-$[*]`, ``, `-1 | -2`},
		{`[1, -2.5]`, `$[*].abs().floor()`, ``, `1 | 2`},
		{`[1.5, "2.25"]`, `$.double()`, ``, `1.5 | 2.25`},
		{`["x"]`, `$[0].double()`, ``, `ERROR 22036`},
		{`[null, true, 1, "s", [], {}]`, `$[*].type()`, ``, `"null" | "boolean" | "number" | "string" | "array" | "object"`},
		{`[[1, 2], 3]`, `$[*].size()`, ``, `2 | 1`},
		{`3`, `strict $.size()`, ``, `ERROR 22039`},
		{`{"b": 2, "a": 1}`, `$.keyvalue()`, ``, `{"id": 0, "key": "a", "value": 1} | {"id": 0, "key": "b", "value": 2}`},
		{`[{"a": 1}, {"b": 2}]`, `$[*].keyvalue().id`, ``, `12 | 36`},
		{`{"x": {"a": 1}, "y": {"b": "str"}}`, `$.*.keyvalue().id`, ``, `24 | 48`},
		{`[12345678901234567890.123456789, {"a": 1}, "ü", {"b": [{"c": 1e-70}, {"d": 2}]}]`, `strict $.** ? (@.type() == "object").keyvalue().id`, ``, `44 | 72 | 100 | 128`},
		{`{"a": {"b": 1}}`, `$.keyvalue().value.keyvalue().id`, ``, `20000000048`},
		{`{}`, `$v.q.keyvalue().id`, `{"v": {"q": {"r": 1}}, "w": 2}`, `10000000040`},
		{`[1, [2, 3], {"a": 4}]`, `$.** ? (@ == 2)`, ``, `[2, 3] | 2 | 2`},
		{`["Abc", "xbc", 1]`, `$[*] ? (@ like_regex "^a" flag "i")`, ``, `"Abc"`},
		{`["a\nb"]`, `$[*] ? (@ like_regex "a.b")`, ``, ``},
		{`["a\nb"]`, `$[*] ? (@ like_regex "a.b" flag "s")`, ``, `"a\nb"`},
		{`["abc", "abd", 1]`, `$[*] ? (@ starts with "ab")`, ``, `"abc" | "abd"`},
		{`[1, "a", 3]`, `$[*] ? ((@ > 1) is unknown)`, ``, `"a"`},
		{`[1, "a", 3]`, `$[*] ? (!(@ > 1))`, ``, `1`},
		{`{"a": [1, "x"]}`, `strict $ ? (@.a[*] > 0)`, ``, ``},
		{`{"a": [1, "x"]}`, `lax $ ? (@.a[*] > 0)`, ``, `{"a": [1, "x"]}`},
		{`[null, 1]`, `$[*] ? (@ != null)`, ``, `1`},
		{`[{"x": 1}, {"y": 2}]`, `$[*] ? (exists(@.x))`, ``, `{"x": 1}`},
		{`[1, 2, 3]`, `$[*] ? (@ > $lo && @ < $hi)`, `{"lo": 1, "hi": 3}`, `2`},
		{`[1]`, `$ ? (@ > $nope)`, ``, `ERROR 42704`},
		{`[1]`, `$`, `[1]`, `ERROR 22023`},
		{`{}`, `1 < 2`, ``, `true`},
		{`{}`, `"a" < 2`, ``, `null`},
		{`{"a": [1, 2]}`, `$.a == 2`, ``, `true`},
	}
	for _, c := range cases {
		doc, err := types.ParseText(types.JSONB, c.doc, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := jsonpath.Parse(c.path)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		var vars any = &types.JSONObject{}
		if c.vars != "" {
			v, err := types.ParseText(types.JSONB, c.vars, nil)
			if err != nil {
				t.Fatal(err)
			}
			vars = jv(v)
		}
		items, err := evalJSONPath(jv(doc), p, vars, true)
		var got string
		if err != nil {
			var e *types.Error
			if !errors.As(err, &e) {
				t.Errorf("%s on %s: error without a SQLSTATE: %v", c.path, c.doc, err)
				continue
			}
			got = "ERROR " + e.Code
		} else {
			var parts []string
			for _, x := range items {
				parts = append(parts, types.FormatText(types.JSONB, jsonb(x), nil))
			}
			got = strings.Join(parts, " | ")
		}
		if got != c.want {
			t.Errorf("%s on %s: got %q, want %q", c.path, c.doc, got, c.want)
		}
	}
}

// TestJSONPathSilent checks that silent suppresses evaluation errors but
// not a missing variable, as PostgreSQL's silent argument does.
func TestJSONPathSilent(t *testing.T) {
	doc, _ := types.ParseText(types.JSONB, `{"a": 1}`, nil)
	empty := jsonb(&types.JSONObject{})
	for _, c := range []struct {
		path    string
		wantErr bool
	}{{`strict $.b`, false}, {`$.a / 0`, false}, {`$.a ? (@ > $x)`, true}} {
		p, _ := types.ParseText(types.JSONPath, c.path, nil)
		d, err := jsonPathExists(nil, []types.Datum{doc, p, empty, types.DBool(true)})
		if c.wantErr != (err != nil) {
			t.Errorf("%s: err = %v", c.path, err)
		}
		if err == nil && d != types.Null {
			t.Errorf("%s: silent jsonb_path_exists = %v, want NULL", c.path, d)
		}
	}
}
