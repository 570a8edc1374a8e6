package plan

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/tesseradb/tessera/sql/parser"
	"github.com/tesseradb/tessera/sql/parser/valuedriver"
	"github.com/tesseradb/tessera/sql/pgerr"
)

// namedParam is a parameter of a built-in function that calls may name:
// Default is the SQL text of its default value ("" when it has none).
type namedParam struct {
	Name, Default string
}

// builtinParams are the parameter names (and defaults) PostgreSQL gives
// the built-in functions whose calls may use named notation.
var builtinParams = func() map[string][]namedParam {
	path := []namedParam{{"target", ""}, {"path", ""}, {"vars", "'{}'"}, {"silent", "false"}}
	m := map[string][]namedParam{
		"make_interval":  {{"years", "0"}, {"months", "0"}, {"weeks", "0"}, {"days", "0"}, {"hours", "0"}, {"mins", "0"}, {"secs", "0.0"}},
		"make_date":      {{"year", ""}, {"month", ""}, {"day", ""}},
		"make_time":      {{"hour", ""}, {"min", ""}, {"sec", ""}},
		"make_timestamp": {{"year", ""}, {"month", ""}, {"mday", ""}, {"hour", ""}, {"min", ""}, {"sec", ""}},
		"make_timestamptz": {{"year", ""}, {"month", ""}, {"mday", ""}, {"hour", ""}, {"min", ""}, {"sec", ""},
			{"timezone", ""}},
		"jsonb_set":    {{"jsonb_in", ""}, {"path", ""}, {"replacement", ""}, {"create_if_missing", "true"}},
		"jsonb_insert": {{"jsonb_in", ""}, {"path", ""}, {"replacement", ""}, {"insert_after", "false"}},
	}
	for _, f := range []string{"jsonb_path_query", "jsonb_path_query_array", "jsonb_path_query_first", "jsonb_path_exists", "jsonb_path_match"} {
		m[f] = path
		m[f+"_tz"] = path
	}
	return m
}()

// hasNamed reports whether a call has a named argument.
func hasNamed(args []ast.ExprNode) bool {
	for _, a := range args {
		if _, ok := namedArg(a); ok {
			return true
		}
	}
	return false
}

// namedArg unwraps parser.FuncNamed('name', value).
func namedArg(a ast.ExprNode) (string, bool) {
	fc, ok := a.(*ast.FuncCallExpr)
	if !ok || fc.FnName.L != parser.FuncNamed || len(fc.Args) != 2 {
		return "", false
	}
	v, ok := fc.Args[0].(*valuedriver.Value)
	if !ok || v.Kind != valuedriver.KindString {
		return "", false
	}
	return v.Str, true
}

// placeNamed puts a call's arguments in parameter order: the positional
// ones first, then each named one at its parameter; the parameters left
// are nil, to take their defaults. ok=false: the arguments do not fit
// the parameters (an unknown or repeated name, a missing argument of a
// parameter without a default).
func placeNamed(args []ast.ExprNode, names []string, hasDefault func(i int) bool) ([]ast.ExprNode, bool) {
	if len(args) > len(names) {
		return nil, false
	}
	out := make([]ast.ExprNode, len(names))
	for i, a := range args {
		name, ok := namedArg(a)
		if !ok {
			out[i] = a
			continue
		}
		k := -1
		for j, n := range names {
			if n == name {
				k = j
			}
		}
		if k < 0 || out[k] != nil {
			return nil, false
		}
		out[k] = a.(*ast.FuncCallExpr).Args[1]
	}
	for i := range out {
		if out[i] == nil && !hasDefault(i) {
			return nil, false
		}
	}
	return out, true
}

// namedBuiltin gives the call of a built-in function with named
// arguments in positional form (42883 when they do not fit its
// parameters, or it has no named parameters).
func namedBuiltin(name string, n *ast.FuncCallExpr) (*ast.FuncCallExpr, error) {
	params, ok := builtinParams[name]
	var args []ast.ExprNode
	if ok {
		names := make([]string, len(params))
		for i, p := range params {
			names[i] = p.Name
		}
		args, ok = placeNamed(n.Args, names, func(i int) bool { return params[i].Default != "" })
	}
	if ok {
		// the trailing defaults are left out (the function's shorter
		// form), the others given
		for len(args) > 0 && args[len(args)-1] == nil && !strings.HasPrefix(name, "make_") {
			args = args[:len(args)-1]
		}
		var dflt []ast.ExprNode
		for i := range args {
			if args[i] == nil {
				if dflt == nil {
					dflt = builtinDefaults(params)
				}
				if args[i] = dflt[i]; args[i] == nil {
					ok = false
				}
			}
		}
	}
	if !ok {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s(%s) does not exist", name, namedSig(n.Args))
	}
	c := *n
	c.Args = args
	return &c, nil
}

// builtinDefaults parses the default values of params (nil where there
// is none); they are plain literals, so they need none of the parsed
// statement's side tables.
func builtinDefaults(params []namedParam) []ast.ExprNode {
	out := make([]ast.ExprNode, len(params))
	var texts []string
	for _, p := range params {
		if p.Default != "" {
			texts = append(texts, p.Default)
		}
	}
	st, err := parser.ParseOne("SELECT " + strings.Join(texts, ", "))
	if err != nil {
		return out
	}
	sel, ok := st.AST.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != len(texts) {
		return out
	}
	k := 0
	for i, p := range params {
		if p.Default != "" {
			out[i] = sel.Fields.Fields[k].Expr
			k++
		}
	}
	return out
}

// namedSig spells a call's arguments for an error message: name => ?
// for the named ones.
func namedSig(args []ast.ExprNode) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if name, ok := namedArg(a); ok {
			parts[i] = name + " => ?"
		} else {
			parts[i] = "?"
		}
	}
	return strings.Join(parts, ", ")
}
