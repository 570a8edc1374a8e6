package sem

import (
	"strconv"

	"github.com/tesseradb/tessera/sql/types"
)

// JSONBSubscriptSet is UPDATE's SET j[s1][s2]... = v on a jsonb value, as
// PostgreSQL 14+ assigns through jsonb subscripts: a missing object key
// is added; an array index past the end pads the array with JSON nulls
// (a negative one counts from the end and may not reach before the
// start); a missing step of the path is created, an array for an integer
// subscript and an object for a text one; a NULL source starts as {} or
// [] by the first subscript. isInt tells an integer subscript from a text
// one (an integer names a key of an object by its digits, a text one an
// array element when it reads as an integer). A NULL subscript is 22004;
// a path through a scalar is 22023. A NULL v sets a JSON null.
func JSONBSubscriptSet(src types.Datum, subs []types.Datum, isInt []bool, v types.Datum) (types.Datum, error) {
	for _, s := range subs {
		if types.IsNull(s) {
			return nil, errorf("22004", "jsonb subscript in assignment must not be null")
		}
	}
	var nv any
	if !types.IsNull(v) {
		nv = jv(v)
	}
	var cur any
	if types.IsNull(src) {
		if isInt[0] {
			cur = []any{}
		} else {
			cur = &types.JSONObject{}
		}
	} else {
		cur = jv(src)
	}
	switch cur.(type) {
	case []any, *types.JSONObject:
	default:
		return nil, errorf(CodeInvalidParameterValue, "cannot assign to subscript of scalar jsonb")
	}
	out, err := jsonSubSet(cur, subs, isInt, nv, 1)
	if err != nil {
		return nil, err
	}
	return jsonb(out), nil
}

func subKey(s types.Datum) string {
	if i, ok := s.(types.DInt); ok {
		return strconv.FormatInt(int64(i), 10)
	}
	return str(s)
}

func jsonSubSet(v any, subs []types.Datum, isInt []bool, nv any, pos int) (any, error) {
	last := len(subs) == 1
	next := func(old any, found bool) (any, error) {
		if last {
			return nv, nil
		}
		if !found {
			return jsonSubBuild(subs[1:], isInt[1:], nv, pos+1)
		}
		return jsonSubSet(old, subs[1:], isInt[1:], nv, pos+1)
	}
	switch x := v.(type) {
	case *types.JSONObject:
		k := subKey(subs[0])
		keys := append([]string(nil), x.Keys...)
		vals := append([]any(nil), x.Values...)
		for i, key := range keys {
			if key == k {
				r, err := next(vals[i], true)
				if err != nil {
					return nil, err
				}
				vals[i] = r
				return makeObject(keys, vals), nil
			}
		}
		r, err := next(nil, false)
		if err != nil {
			return nil, err
		}
		return makeObject(append(keys, k), append(vals, r)), nil
	case []any:
		var i int64
		if n, ok := subs[0].(types.DInt); ok {
			i = int64(n)
		} else {
			p, err := strconv.ParseInt(str(subs[0]), 10, 32)
			if err != nil {
				return nil, errorf(CodeInvalidTextRep, "path element at position %d is not an integer: \"%s\"", pos, str(subs[0]))
			}
			i = p
		}
		out := append([]any(nil), x...)
		if i < 0 {
			if i+int64(len(out)) < 0 {
				return nil, errorf(CodeInvalidParameterValue, "path element at position %d is out of range: %d", pos, i)
			}
			i += int64(len(out))
		}
		found := i < int64(len(out))
		for int64(len(out)) <= i {
			out = append(out, nil)
		}
		r, err := next(out[i], found)
		if err != nil {
			return nil, err
		}
		out[i] = r
		return out, nil
	}
	return nil, errorf(CodeInvalidParameterValue, "cannot replace existing key")
}

// jsonSubBuild is the value a missing path creates: an array padded with
// nulls for an integer subscript, an object for a text one.
func jsonSubBuild(subs []types.Datum, isInt []bool, nv any, pos int) (any, error) {
	if len(subs) == 0 {
		return nv, nil
	}
	inner, err := jsonSubBuild(subs[1:], isInt[1:], nv, pos+1)
	if err != nil {
		return nil, err
	}
	if isInt[0] {
		i := int64(subs[0].(types.DInt))
		if i < 0 {
			return nil, errorf(CodeInvalidParameterValue, "path element at position %d is out of range: %d", pos, i)
		}
		out := make([]any, i+1)
		out[i] = inner
		return out, nil
	}
	return makeObject([]string{subKey(subs[0])}, []any{inner}), nil
}
