package sem

import (
	"fmt"
	"strings"

	"github.com/tesseradb/tessera/sql/types"
)

// SQLSTATE codes used here beyond those of sql/types.
const (
	CodeDatatypeMismatch      = "42804"
	CodeAmbiguousFunction     = "42725"
	CodeUndefinedFunction     = "42883"
	CodeInvalidRegex          = "2201B"
	CodeInvalidEscapeSequence = "22025"
	CodeInvalidParameterValue = "22023"
	CodeDivisionByZero        = "22012"
	CodeNumericOutOfRange     = "22003"
	CodeSubstringError        = "22011"
	CodeArraySubscriptError   = "2202E"
	CodeWrongObjectType       = "42809"
	CodeFeatureNotSupported   = "0A000"
	CodeInvalidArgForLog      = "2201E"
	CodeInvalidArgForPower    = "2201F"
	CodeInvalidArgForNtile    = "22014"
	CodeInvalidArgForNth      = "22016"
	CodeInvalidDatetimeFormat = "22007"
	CodeDatetimeOverflow      = "22008"
	CodeCannotCoerce          = "42846"
	CodeCharacterNotInRepert  = "22021"
	CodeUntranslatable        = "22P05"
	CodeProgramLimitExceeded  = "54000"
	CodeIndeterminateDatatype = "42P18"
	CodeInvalidTextRep        = "22P02"
	CodeNullValueNotAllowed   = "22004"
	CodeUndefinedObject       = "42704"
	CodeInvalidFunctionDefn   = "42P13"
)

func errorf(code, format string, args ...any) *types.Error {
	return &types.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// category is PostgreSQL's typcategory.
type category byte

const (
	catBool     category = 'B'
	catNumeric  category = 'N'
	catString   category = 'S'
	catDatetime category = 'D'
	catTimespan category = 'T'
	catUser     category = 'U'
	catArray    category = 'A'
	catUnknown  category = 'X'
	catPseudo   category = 'P'
)

func typeCategory(t *types.T) category {
	if isPoly(t) {
		return catPseudo
	}
	switch t.Family {
	case types.BoolFamily:
		return catBool
	case types.IntFamily, types.FloatFamily, types.DecimalFamily:
		return catNumeric
	case types.StringFamily:
		return catString
	case types.DateFamily, types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily:
		return catDatetime
	case types.IntervalFamily:
		return catTimespan
	case types.ArrayFamily:
		return catArray
	case types.UnknownFamily:
		return catUnknown
	}
	return catUser
}

// isPreferred is typispreferred: float8, text, timestamptz, interval,
// bool.
func isPreferred(t *types.T) bool {
	switch t.Family {
	case types.FloatFamily:
		return t.Width == 64
	case types.StringFamily:
		return t.Variant == types.Text
	case types.TimestampTZFamily, types.IntervalFamily, types.BoolFamily:
		return true
	}
	return false
}

// sameType reports whether a and b are the same type ignoring modifiers
// (typmods): varchar(3) and varchar are the same, int4 and int8 are not.
func sameType(a, b *types.T) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || a.Family != b.Family {
		return false
	}
	switch a.Family {
	case types.IntFamily, types.FloatFamily:
		return a.Width == b.Width
	case types.StringFamily:
		return a.Variant == b.Variant
	case types.ArrayFamily:
		return sameType(a.Elem, b.Elem)
	case types.EnumFamily:
		return a.Width == b.Width
	case types.UnknownFamily:
		return a.Width == b.Width // the polymorphic markers differ by Width
	}
	return true
}

// StripModifiers returns t without typmods: varchar(3) → varchar,
// numeric(10,2) → numeric, timestamp(3) → timestamp, char(5) → bpchar.
func StripModifiers(t *types.T) *types.T {
	switch t.Family {
	case types.DecimalFamily:
		if t.Precision != 0 || t.Scale != 0 {
			return types.Numeric
		}
	case types.StringFamily:
		if t.Length != 0 {
			return [...]*types.T{types.String, types.VarCharAny, types.BPChar}[t.Variant]
		}
	case types.TimeFamily, types.TimestampFamily, types.TimestampTZFamily:
		if t.Precision != -1 {
			return &types.T{Family: t.Family, Precision: -1}
		}
	case types.IntervalFamily:
		return types.Interval
	case types.ArrayFamily:
		if e := StripModifiers(t.Elem); e != t.Elem {
			a, _ := types.MakeArray(e)
			return a
		}
	}
	return t
}

// CastContextOf returns the least context in which a value of type from
// may be cast to type to (PostgreSQL's pg_cast plus I/O conversion casts
// to and from the string types), ok=false when no cast exists. Unknown
// converts to anything implicitly.
func CastContextOf(from, to *types.T) (CastContext, bool) {
	if from.Family == types.UnknownFamily && !isPoly(from) {
		return CastImplicit, true
	}
	if sameType(from, to) {
		return CastImplicit, true
	}
	if from.Family == types.RecordFamily && to.Family == types.RecordFamily {
		// ROW(...) to a composite type field by field; a composite value is
		// a record
		if to.Composite == nil {
			return CastImplicit, true
		}
		if from.Composite == nil {
			return CastAssignment, true
		}
		return 0, false
	}
	f, t := from.Family, to.Family
	switch f {
	case types.IntFamily:
		switch t {
		case types.IntFamily:
			if to.Width > from.Width {
				return CastImplicit, true
			}
			return CastAssignment, true
		case types.FloatFamily, types.DecimalFamily:
			return CastImplicit, true
		case types.BoolFamily:
			if from.Width == 32 {
				return CastExplicit, true
			}
			return 0, false
		}
	case types.FloatFamily:
		switch t {
		case types.FloatFamily:
			if to.Width > from.Width {
				return CastImplicit, true
			}
			return CastAssignment, true
		case types.IntFamily, types.DecimalFamily:
			return CastAssignment, true
		}
	case types.DecimalFamily:
		switch t {
		case types.FloatFamily:
			return CastImplicit, true
		case types.IntFamily:
			return CastAssignment, true
		}
	case types.BoolFamily:
		if t == types.IntFamily && to.Width == 32 {
			return CastExplicit, true
		}
	case types.StringFamily:
		if t == types.StringFamily {
			return CastImplicit, true
		}
		if t != types.ArrayFamily && t != types.UnknownFamily {
			return CastExplicit, true // I/O conversion
		}
		return CastExplicit, t == types.ArrayFamily
	case types.DateFamily:
		switch t {
		case types.TimestampFamily, types.TimestampTZFamily:
			return CastImplicit, true
		}
	case types.TimestampFamily:
		switch t {
		case types.TimestampTZFamily:
			return CastImplicit, true
		case types.DateFamily, types.TimeFamily:
			return CastAssignment, true
		}
	case types.TimestampTZFamily:
		switch t {
		case types.TimestampFamily, types.DateFamily, types.TimeFamily:
			return CastAssignment, true
		}
	case types.TimeFamily:
		if t == types.IntervalFamily {
			return CastImplicit, true
		}
	case types.IntervalFamily:
		if t == types.TimeFamily {
			return CastAssignment, true
		}
	case types.JSONFamily:
		if t == types.JSONBFamily {
			return CastAssignment, true
		}
	case types.JSONBFamily:
		switch t {
		case types.JSONFamily:
			return CastAssignment, true
		case types.BoolFamily, types.IntFamily, types.FloatFamily, types.DecimalFamily:
			return CastExplicit, true // jsonb_bool, jsonb_int4, jsonb_numeric, ...
		}
	case types.ArrayFamily:
		if t == types.ArrayFamily {
			return CastContextOf(from.Elem, to.Elem)
		}
	}
	if t == types.StringFamily && f != types.UnknownFamily {
		// Output conversion to text/varchar/char is an assignment cast.
		return CastAssignment, true
	}
	return 0, false
}

// CanCast reports whether from may be cast to to in context ctx.
func CanCast(from, to *types.T, ctx CastContext) bool {
	c, ok := CastContextOf(from, to)
	return ok && c <= ctx
}

func canImplicit(from, to *types.T) bool { return CanCast(from, to, CastImplicit) }

// Coerce converts d, a value of type from, to type to, as the implicit or
// assignment cast the binder inserted: an Unknown literal (a DString)
// goes through to's input function, other values through types.Cast
// (with the session time zone). Values already of to's type and
// modifiers are returned as they are.
func Coerce(ctx *EvalContext, d types.Datum, from, to *types.T) (types.Datum, error) {
	if types.IsNull(d) {
		return types.Null, nil
	}
	if from.Family == types.UnknownFamily {
		if s, ok := d.(types.DString); ok {
			if to.Family == types.UnknownFamily {
				return s, nil
			}
			return types.ParseTextAt(to, string(s), ctx.Loc(), ctx.Now())
		}
		return d, nil
	}
	if to.Family == types.UnknownFamily {
		return d, nil
	}
	if sameType(from, to) && noModifiers(to) {
		return d, nil
	}
	return types.Cast(d, from, to, ctx.Loc())
}

// ExplicitCast is CAST(d AS to) / d::to for a value of type from: 42846
// when no cast exists, else types.Cast (strings truncate silently to
// VARCHAR(n)/CHAR(n) as PostgreSQL's explicit casts do). An Unknown
// literal is read by the input function of to without modifiers, then
// cast to to.
func ExplicitCast(ctx *EvalContext, d types.Datum, from, to *types.T) (types.Datum, error) {
	if from.Family == types.UnknownFamily {
		if types.IsNull(d) {
			return types.Null, nil
		}
		base := StripModifiers(to)
		v, err := types.ParseTextAt(base, string(d.(types.DString)), ctx.Loc(), ctx.Now())
		if err != nil || base == to {
			return v, err
		}
		return types.Cast(v, base, to, ctx.Loc())
	}
	if _, ok := CastContextOf(from, to); !ok {
		return nil, errorf(CodeCannotCoerce, "cannot cast type %s to %s", from.SQLName(), to.SQLName())
	}
	return types.Cast(d, from, to, ctx.Loc())
}

func noModifiers(t *types.T) bool { return StripModifiers(t) == t }

// CommonType is PostgreSQL's select_common_type for the branches of CASE,
// COALESCE, GREATEST/LEAST, the values of IN (...) lists, VALUES columns
// and UNION/INTERSECT/EXCEPT columns. what names the construct in errors
// ("CASE", "COALESCE", "UNION", "VALUES", "IN", ...). Order matters: pass
// the types in PostgreSQL's order, which for CASE is the ELSE result first
// (a missing ELSE counts as an Unknown NULL) and then the THEN results in
// order; for the others, left to right. All-Unknown inputs
// resolve to text. Modifiers survive only when every input has the same
// ones.
func CommonType(what string, ts []*types.T) (*types.T, error) {
	if len(ts) == 0 {
		return types.String, nil
	}
	var p *types.T
	pIdx := -1
	allSame := true
	for i, t := range ts {
		if t.Family == types.UnknownFamily {
			continue
		}
		if p == nil {
			p, pIdx = t, i
			continue
		}
		if !t.Equal(p) {
			allSame = false
		}
	}
	if p == nil {
		return types.String, nil
	}
	if allSame {
		return p, nil
	}
	pcat := typeCategory(p)
	pPref := isPreferred(p)
	for _, t := range ts[pIdx+1:] {
		if t.Family == types.UnknownFamily || sameType(t, p) {
			continue
		}
		ncat := typeCategory(t)
		if ncat != pcat {
			return nil, errorf(CodeDatatypeMismatch, "%s types %s and %s cannot be matched", what, p.SQLName(), t.SQLName())
		}
		if !pPref && canImplicit(p, t) && !canImplicit(t, p) {
			p, pPref = t, isPreferred(t)
		}
	}
	for _, t := range ts {
		if t.Family != types.UnknownFamily && !canImplicit(t, p) {
			return nil, errorf(CodeCannotCoerce, "%s could not convert type %s to %s", what, t.SQLName(), p.SQLName())
		}
	}
	// Keep modifiers only if every typed input shares them.
	for _, t := range ts {
		if t.Family != types.UnknownFamily && !t.Equal(p) {
			return StripModifiers(p), nil
		}
	}
	return p, nil
}

// CheckBool checks that an expression of type t may be used where a
// boolean is required (WHERE, HAVING, ON, CASE WHEN, AND/OR/NOT): what is
// the construct's name for the error ("WHERE", "argument of AND", ...).
// An Unknown literal is read as a boolean (Coerce to types.Bool).
func CheckBool(what string, t *types.T) error {
	if t.Family == types.BoolFamily || t.Family == types.UnknownFamily {
		return nil
	}
	return errorf(CodeDatatypeMismatch, "argument of %s must be type boolean, not type %s", what, t.SQLName())
}

// And is SQL's three-valued AND on BOOL datums or Null.
func And(l, r types.Datum) types.Datum {
	if l == types.DBool(false) || r == types.DBool(false) {
		return types.DBool(false)
	}
	if types.IsNull(l) || types.IsNull(r) {
		return types.Null
	}
	return types.DBool(true)
}

// Or is SQL's three-valued OR.
func Or(l, r types.Datum) types.Datum {
	if l == types.DBool(true) || r == types.DBool(true) {
		return types.DBool(true)
	}
	if types.IsNull(l) || types.IsNull(r) {
		return types.Null
	}
	return types.DBool(false)
}

// Not is SQL's NOT (NULL stays NULL).
func Not(d types.Datum) types.Datum {
	if b, ok := d.(types.DBool); ok {
		return !b
	}
	return types.Null
}

// AnyAll evaluates `left op ANY(arr)` (all=false) or `left op ALL(arr)`
// with cmp resolved as ResolveBinary(op, leftType, arrayElemType) and
// left/elements already coerced to cmp.Left/cmp.Right: true/false/NULL by
// SQL's rules (a NULL element makes a non-decisive result NULL). IN (list)
// is = ANY over the list's values.
func AnyAll(ctx *EvalContext, cmp *BinaryOverload, left types.Datum, elems []types.Datum, all bool) (types.Datum, error) {
	if types.IsNull(left) && !cmp.CalledOnNull {
		if len(elems) == 0 {
			return types.DBool(all), nil
		}
		return types.Null, nil
	}
	sawNull := false
	for _, e := range elems {
		var v types.Datum
		if types.IsNull(e) && !cmp.CalledOnNull {
			v = types.Null
		} else {
			var err error
			if v, err = cmp.Fn(ctx, left, e); err != nil {
				return nil, err
			}
		}
		if done, r := QuantStep(v, all, &sawNull); done {
			return r, nil
		}
	}
	return QuantResult(all, sawNull), nil
}

// QuantStep folds one comparison result v into an ANY (all=false) or ALL
// quantified comparison: done when v decides it (true for ANY, false for
// ALL), with the answer; a NULL v is remembered in *sawNull.
func QuantStep(v types.Datum, all bool, sawNull *bool) (done bool, result types.Datum) {
	switch v {
	case types.DBool(true):
		return !all, v
	case types.DBool(false):
		return all, v
	}
	*sawNull = true
	return false, nil
}

// QuantResult is a quantified comparison's answer when no element decided
// it: NULL if a comparison was NULL, else false for ANY and true for ALL.
func QuantResult(all, sawNull bool) types.Datum {
	if sawNull {
		return types.Null
	}
	return types.DBool(all)
}

// Greatest returns the greatest (least=false) or least non-NULL value of
// ds, all of type t (CommonType of the arguments, already coerced), NULL
// if all are NULL: PostgreSQL's GREATEST/LEAST.
func Greatest(t *types.T, ds []types.Datum, least bool) (types.Datum, error) {
	var best types.Datum = types.Null
	for _, d := range ds {
		if types.IsNull(d) {
			continue
		}
		if types.IsNull(best) {
			best = d
			continue
		}
		c, err := types.CompareTyped(t, d, best)
		if err != nil {
			return nil, err
		}
		if (least && c < 0) || (!least && c > 0) {
			best = d
		}
	}
	return best, nil
}

// typeList formats argument types for "does not exist" errors.
func typeList(ts []*types.T) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.SQLName())
	}
	return b.String()
}
