package sem

import (
	"github.com/tesseradb/tessera/sql/types"
)

// IsJSONPopulateRecord reports whether name is json[b]_populate_record[set],
// the functions filling rows of a table's row type (FROM
// jsonb_populate_record(NULL::t, j)).
func IsJSONPopulateRecord(name string) bool {
	switch name {
	case "json_populate_record", "jsonb_populate_record", "json_populate_recordset", "jsonb_populate_recordset":
		return true
	}
	return false
}

// JSONPopulateRecord is the generator name(json) with the row type's
// columns cols, for a NULL base record: json[b]_to_record[set]'s rows
// with PostgreSQL's populate_record errors for input of the wrong shape.
func JSONPopulateRecord(name string, cols []OutCol) (*FuncOverload, error) {
	base := map[string]string{"json_populate_record": "json_to_record", "jsonb_populate_record": "jsonb_to_record",
		"json_populate_recordset": "json_to_recordset", "jsonb_populate_recordset": "jsonb_to_recordset"}[name]
	fo, err := JSONToRecord(base, cols)
	if err != nil {
		return nil, err
	}
	set := name == "json_populate_recordset" || name == "jsonb_populate_recordset"
	gen := fo.Gen
	fo.Name = name
	fo.Gen = func(ctx *EvalContext, a []types.Datum) (SetIter, error) {
		var v any
		if fo.Args[0].Family == types.JSONFamily {
			d, err := types.ParseText(types.JSONB, string(a[0].(types.DJSON)), nil)
			if err != nil {
				return nil, err
			}
			v = jv(d)
		} else {
			v = jv(a[0])
		}
		if set {
			arr, ok := v.([]any)
			if !ok {
				return nil, errorf(CodeInvalidParameterValue, "cannot call %s on a non-array", name)
			}
			for _, e := range arr {
				if _, ok := e.(*types.JSONObject); !ok {
					return nil, errorf(CodeInvalidParameterValue, "argument of %s must be an array of objects", name)
				}
			}
		} else {
			switch v.(type) {
			case *types.JSONObject:
			case []any:
				return nil, errorf(CodeInvalidParameterValue, "cannot call populate_composite on an array")
			default:
				return nil, errorf(CodeInvalidParameterValue, "cannot call populate_composite on a scalar")
			}
		}
		return gen(ctx, a)
	}
	return fo, nil
}
