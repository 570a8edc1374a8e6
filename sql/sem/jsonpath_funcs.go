package sem

import (
	"github.com/tesseradb/tessera/sql/types"
)

// jsonPathRun is the common part of the jsonb_path_* functions: target,
// path[, vars[, silent]]. With silent, an evaluation error that is not
// hard (see jpHard) is reported as silenced=true instead.
func jsonPathRun(tz *EvalContext, a []types.Datum) (items []any, silenced bool, err error) {
	// vars defaults to {}; the @? and @@ operators pass NULL: none
	var vars any = &types.JSONObject{}
	hasVars := true
	if len(a) > 2 {
		if hasVars = !types.IsNull(a[2]); hasVars {
			vars = jv(a[2])
		}
	}
	silent := len(a) > 3 && bool(a[3].(types.DBool))
	items, err = evalJSONPathTZ(tz, jv(a[0]), a[1].(*types.DJSONPath).P, vars, hasVars)
	if err != nil && silent && !jpHard(err) {
		// the items found before the error stay (jsonb_path_query)
		return items, true, nil
	}
	return items, false, err
}

// jsonPathMatch is jsonb_path_match's result: the single boolean the
// path yields (NULL for a JSON null).
func jsonPathMatch(tz *EvalContext, a []types.Datum) (types.Datum, error) {
	items, silenced, err := jsonPathRun(tz, a)
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

func jsonPathExists(tz *EvalContext, a []types.Datum) (types.Datum, error) {
	items, silenced, err := jsonPathRun(tz, a)
	if err != nil || silenced {
		return types.Null, err
	}
	return types.DBool(len(items) > 0), nil
}

func init() {
	J, P, B := types.JSONB, types.JSONPath, types.Bool
	// The _tz forms may read the session time zone in datetime
	// comparisons (tzOf gives them the session, the others nil).
	for _, sfx := range []string{"", "_tz"} {
		tzOf := func(ctx *EvalContext) *EvalContext {
			if sfx == "" {
				return nil
			}
			return ctx
		}
		vol := Immutable
		if sfx != "" {
			vol = Stable
		}
		for _, args := range [][]*types.T{{J, P}, {J, P, J}, {J, P, J, B}} {
			def("jsonb_path_exists"+sfx, B, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
				return jsonPathExists(tzOf(ctx), a)
			}, args...).Volatility = vol
			def("jsonb_path_match"+sfx, B, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
				return jsonPathMatch(tzOf(ctx), a)
			}, args...).Volatility = vol
			def("jsonb_path_query_array"+sfx, J, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
				items, _, err := jsonPathRun(tzOf(ctx), a)
				if err != nil {
					return nil, err
				}
				if items == nil {
					items = []any{}
				}
				return jsonb(items), nil
			}, args...).Volatility = vol
			def("jsonb_path_query_first"+sfx, J, func(ctx *EvalContext, a []types.Datum) (types.Datum, error) {
				items, _, err := jsonPathRun(tzOf(ctx), a)
				if err != nil || len(items) == 0 {
					return types.Null, err
				}
				return jsonb(items[0]), nil
			}, args...).Volatility = vol
			addFunc(&FuncOverload{Name: "jsonb_path_query" + sfx, Class: Generator, Args: args, Return: J, Volatility: vol,
				Gen: func(ctx *EvalContext, a []types.Datum) (SetIter, error) {
					items, _, err := jsonPathRun(tzOf(ctx), a)
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
	}
	// jsonb @? jsonpath and jsonb @@ jsonpath: jsonb_path_exists and
	// jsonb_path_match with silent errors.
	silentArgs := func(l, r types.Datum) []types.Datum {
		return []types.Datum{l, r, types.Null, types.DBool(true)}
	}
	addBinary(&BinaryOverload{Op: OpPathExists, Left: J, Right: P, Return: B,
		Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			return jsonPathExists(nil, silentArgs(l, r))
		}})
	addBinary(&BinaryOverload{Op: OpPathMatch, Left: J, Right: P, Return: B,
		Fn: func(_ *EvalContext, l, r types.Datum) (types.Datum, error) {
			return jsonPathMatch(nil, silentArgs(l, r))
		}})
}
