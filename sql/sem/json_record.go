package sem

import (
	"github.com/tesseradb/tessera/sql/types"
)

// IsJSONToRecord reports whether name is json[b]_to_record[set], the
// functions returning records whose columns the caller's column
// definition list declares (FROM f(...) AS x(a int, b text)).
func IsJSONToRecord(name string) bool {
	switch name {
	case "json_to_record", "jsonb_to_record", "json_to_recordset", "jsonb_to_recordset":
		return true
	}
	return false
}

// JSONToRecord is the generator name(json) with the output columns cols:
// json[b]_to_record reads one object into one row, json[b]_to_recordset
// an array of objects into a row each. A column takes the value of the
// object's key of its name: NULL when absent or JSON null, the value
// itself for a json/jsonb column, else the value's text (a string
// unquoted, as ->> gives it) read as the column's type.
func JSONToRecord(name string, cols []OutCol) (*FuncOverload, error) {
	arg := types.JSONB
	if name == "json_to_record" || name == "json_to_recordset" {
		arg = types.JSON
	}
	set := name == "json_to_recordset" || name == "jsonb_to_recordset"
	fo := &FuncOverload{Name: name, Class: Generator, Args: []*types.T{arg}, Return: cols[len(cols)-1].T,
		OutCols: cols, Volatility: Stable}
	fo.Gen = func(ctx *EvalContext, a []types.Datum) (SetIter, error) {
		d := a[0]
		if arg == types.JSON {
			var err error
			if d, err = types.ParseText(types.JSONB, string(d.(types.DJSON)), nil); err != nil {
				return nil, err
			}
		}
		v := jv(d)
		var objs []any
		switch {
		case set:
			arr, ok := v.([]any)
			if !ok {
				return nil, errorf(CodeInvalidParameterValue, "cannot call %s on a non-array", name)
			}
			objs = arr
		default:
			objs = []any{v}
		}
		rows := make([][]types.Datum, 0, len(objs))
		for _, o := range objs {
			obj, ok := o.(*types.JSONObject)
			if !ok {
				if o == nil && !set {
					continue
				}
				return nil, errorf(CodeInvalidParameterValue, "cannot call %s on a non-object", name)
			}
			row := make([]types.Datum, len(cols))
			for i, c := range cols {
				val, ok := objGet(obj, c.Name)
				if !ok || val == nil {
					row[i] = types.Null
					continue
				}
				var err error
				if row[i], err = jsonToColumn(ctx, val, c.T); err != nil {
					return nil, err
				}
			}
			rows = append(rows, row)
		}
		return &rowIter{rows: rows}, nil
	}
	return fo, nil
}

func jsonToColumn(ctx *EvalContext, v any, t *types.T) (types.Datum, error) {
	switch t.Family {
	case types.JSONBFamily:
		return jsonb(v), nil
	case types.JSONFamily:
		return types.DJSON(types.FormatText(types.JSONB, jsonb(v), nil)), nil
	case types.ArrayFamily:
		if arr, ok := v.([]any); ok {
			return jsonToArray(ctx, arr, t)
		}
	}
	return Coerce(ctx, jsonText(v), Unknown, t)
}

// jsonToArray is an array column's value from a JSON array, as
// PostgreSQL's populate_array makes it: nested arrays are dimensions,
// which must be rectangular (22P02), as deep as the first element's
// nesting, and each leaf is read as the element type (a json[b] leaf
// may be an array).
func jsonToArray(ctx *EvalContext, arr []any, t *types.T) (types.Datum, error) {
	var dims []int
	for x := any(arr); ; {
		a, ok := x.([]any)
		if !ok {
			break
		}
		dims = append(dims, len(a))
		if len(a) == 0 {
			break
		}
		x = a[0]
	}
	out := &types.DArray{Elem: t.Elem}
	if dims[len(dims)-1] == 0 {
		if len(dims) > 1 {
			return nil, errorf(CodeInvalidTextRep, "malformed JSON array")
		}
		return out, nil
	}
	var walk func(x any, d int) error
	walk = func(x any, d int) error {
		a, isArr := x.([]any)
		if d == len(dims) {
			if isArr && t.Elem.Family != types.JSONFamily && t.Elem.Family != types.JSONBFamily {
				return errorf(CodeInvalidTextRep, "malformed JSON array")
			}
			e, err := jsonToColumn(ctx, x, t.Elem)
			if err != nil {
				return err
			}
			out.Elems = append(out.Elems, e)
			return nil
		}
		if !isArr || len(a) != dims[d] {
			return errorf(CodeInvalidTextRep, "malformed JSON array")
		}
		for _, e := range a {
			if err := walk(e, d+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(arr, 0); err != nil {
		return nil, err
	}
	if len(dims) > 1 {
		out.Dims = dims
	}
	return out, nil
}
