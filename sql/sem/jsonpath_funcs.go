package sem

import (
	"github.com/tesseradb/tessera/sql/types"
)

// jsonPathRun is the common part of the jsonb_path_* functions: target,
// path[, vars[, silent]]. With silent, an evaluation error that is not
// hard (see jpHard) is reported as silenced=true instead.
func jsonPathRun(a []types.Datum) (items []any, silenced bool, err error) {
	// vars defaults to {}; the @? and @@ operators pass NULL: none
	var vars any = &types.JSONObject{}
	hasVars := true
	if len(a) > 2 {
		if hasVars = !types.IsNull(a[2]); hasVars {
			vars = jv(a[2])
		}
	}
	silent := len(a) > 3 && bool(a[3].(types.DBool))
	items, err = evalJSONPath(jv(a[0]), a[1].(*types.DJSONPath).P, vars, hasVars)
	if err != nil && silent && !jpHard(err) {
		return nil, true, nil
	}
	return items, false, err
}

// jsonPathMatch is jsonb_path_match's result: the single boolean the
// path yields (NULL for a JSON null).
func jsonPathMatch(a []types.Datum) (types.Datum, error) {
	items, silenced, err := jsonPathRun(a)
	if err != nil || silenced {
		return types.Null, err
	}
	if len(items) == 1 {
		switch x := items[0].(type) {
		case bool:
			return types.DBool(x), nil
		case nil:
			return types.Null, nil
		}
	}
	if len(a) > 3 && bool(a[3].(types.DBool)) {
		return types.Null, nil
	}
	return nil, errorf(codeSingletonRequired, "single boolean result is expected")
}

func jsonPathExists(a []types.Datum) (types.Datum, error) {
	items, silenced, err := jsonPathRun(a)
	if err != nil || silenced {
		return types.Null, err
	}
	return types.DBool(len(items) > 0), nil
}

func init() {
	J, P, B := types.JSONB, types.JSONPath, types.Bool
	for _, args := range [][]*types.T{{J, P}, {J, P, J}, {J, P, J, B}} {

		def("jsonb_path_exists", B, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return jsonPathExists(a)
		}, args...)
		def("jsonb_path_match", B, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			return jsonPathMatch(a)
		}, args...)
		def("jsonb_path_query_array", J, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			items, _, err := jsonPathRun(a)
			if err != nil {
				return nil, err
			}
			if items == nil {
				items = []any{}
			}
			return jsonb(items), nil
		}, args...)
		def("jsonb_path_query_first", J, func(_ *EvalContext, a []types.Datum) (types.Datum, error) {
			items, _, err := jsonPathRun(a)
			if err != nil || len(items) == 0 {
				return types.Null, err
			}
			return jsonb(items[0]), nil
		}, args...)
		addFunc(&FuncOverload{Name: "jsonb_path_query", Class: Generator, Args: args, Return: J,
			Gen: func(_ *EvalContext, a []types.Datum) (SetIter, error) {
				items, _, err := jsonPathRun(a)
				if err != nil {
					return nil, err
				}
				vals := make([]types.Datum, len(items))
				for i, x := range items {
					vals[i] = jsonb(x)
				}
				return &sliceIter{vals: vals}, nil
			}})
	}
	// The _tz forms differ only in comparing datetime values, which needs
	// .datetime() (not supported): they are the same functions.
	for _, name := range []string{"jsonb_path_exists", "jsonb_path_match", "jsonb_path_query_array", "jsonb_path_query_first", "jsonb_path_query"} {
		for _, o := range funcs[name] {
			tz := *o
			tz.Name = name + "_tz"
			tz.Volatility = Stable
			addFunc(&tz)
		}
	}
	// jsonb @? jsonpath and jsonb @@ jsonpath: jsonb_path_exists and
	// jsonb_path_match with silent errors.
	silentArgs := func(l, r types.Datum) []types.Datum {
		return []types.Datum{l, r, types.Null, types.DBool(true)}
	}
	addBinary(&BinaryOverload{Op: OpPathExists, Left: J, Right: P, Return: B,
		Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return jsonPathExists(silentArgs(l, r)) }})
	addBinary(&BinaryOverload{Op: OpPathMatch, Left: J, Right: P, Return: B,
		Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) { return jsonPathMatch(silentArgs(l, r)) }})
}
