package sem

import (
	"strings"
	"testing"

	"github.com/tesseradb/tessera/sql/jsonpath"
	"github.com/tesseradb/tessera/sql/types"
)

// FuzzJSONPathEval checks that evaluating any path on any document
// returns items or an error with a SQLSTATE, never a panic.
func FuzzJSONPathEval(f *testing.F) {
	for _, s := range [][2]string{
		{`{"a": [1, 2, {"b": "x"}], "c": null}`, `$.a[*] ? (@ > 1 || @.b like_regex "x")`},
		{`[1, [2, [3]]]`, `strict $.**{1 to last} ? (@.type() == "number") * 2`},
		{`{"k": {"v": 1.5}}`, `$.k.keyvalue().value.double().floor() + $.k.v`},
		{`[1, 2, 3]`, `$[last - 1 to last, 0] ? (exists (@ ? (@ % 2 == 0)))`},
		{`"s"`, `$ starts with "s" && !($.size() < 1) && ($ == 1) is unknown`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, doc, path string) {
		d, err := types.ParseText(types.JSONB, doc, nil)
		if err != nil {
			return
		}
		if strings.Count(path, "**") > 2 || len(doc) > 200 {
			// every .** multiplies the items by the document's size: the
			// run time is polynomial of that degree (as PostgreSQL's)
			return
		}
		p, err := jsonpath.Parse(path)
		if err != nil {
			return
		}
		for _, vars := range []any{&types.JSONObject{}, jv(d)} {
			if _, err := evalJSONPath(jv(d), p, vars, true); err != nil {
				if _, ok := err.(*types.Error); !ok {
					t.Fatalf("%s on %s: error without a SQLSTATE: %v", path, doc, err)
				}
			}
		}
	})
}
