package sem

import (
	"testing"
	"time"

	"github.com/tesseradb/tessera/sql/types"
)

func TestResolveBinary(t *testing.T) {
	for _, c := range []struct {
		op          BinaryOp
		l, r        *types.T
		left, right *types.T
		ret         *types.T
		code        string
	}{
		{op: OpPlus, l: types.Int4, r: types.Int4, left: types.Int4, right: types.Int4, ret: types.Int4},
		{op: OpPlus, l: types.Int2, r: types.Int4, left: types.Int4, right: types.Int4, ret: types.Int4},
		{op: OpPlus, l: types.Int4, r: types.Int8, left: types.Int8, right: types.Int8, ret: types.Int8},
		{op: OpPlus, l: types.Int4, r: types.Numeric, left: types.Numeric, right: types.Numeric, ret: types.Numeric},
		{op: OpPlus, l: types.Numeric, r: types.Float8, left: types.Float8, right: types.Float8, ret: types.Float8},
		{op: OpPlus, l: types.Int4, r: Unknown, left: types.Int4, right: types.Int4, ret: types.Int4},
		{op: OpPlus, l: types.Float4, r: types.Int4, left: types.Float4, right: types.Float8, ret: types.Float8},
		{op: OpDiv, l: Unknown, r: Unknown, code: CodeAmbiguousFunction},
		{op: OpPow, l: types.Int4, r: types.Int4, left: types.Float8, right: types.Float8, ret: types.Float8},
		{op: OpEQ, l: types.VarCharAny, r: types.VarCharAny, left: types.String, right: types.String, ret: types.Bool},
		{op: OpEQ, l: types.BPChar, r: types.String, left: types.String, right: types.String, ret: types.Bool},
		{op: OpEQ, l: types.Int4, r: types.String, code: CodeUndefinedFunction},
		{op: OpEQ, l: Unknown, r: Unknown, left: types.String, right: types.String, ret: types.Bool},
		{op: OpEQ, l: types.Date, r: types.Timestamp, left: types.Timestamp, right: types.Timestamp, ret: types.Bool},
		{op: OpPlus, l: types.Date, r: types.Int4, left: types.Date, right: types.Int4, ret: types.Date},
		{op: OpMinus, l: types.Date, r: types.Date, left: types.Date, right: types.Date, ret: types.Int4},
		{op: OpMinus, l: types.Timestamp, r: types.Timestamp, left: types.Timestamp, right: types.Timestamp, ret: types.Interval},
		{op: OpPlus, l: types.TimestampTZ, r: Unknown, left: types.TimestampTZ, right: types.Interval, ret: types.TimestampTZ},
		{op: OpConcat, l: Unknown, r: Unknown, left: types.String, right: types.String, ret: types.String},
		{op: OpConcat, l: types.Int4, r: types.String, left: types.Int4, right: types.String, ret: types.String},
		{op: OpJSONGet, l: types.JSONB, r: Unknown, left: types.JSONB, right: types.String, ret: types.JSONB},
		{op: OpLike, l: types.String, r: Unknown, left: types.String, right: types.String, ret: types.Bool},
		{op: OpPlus, l: types.Bool, r: types.Bool, code: CodeUndefinedFunction},
	} {
		ov, err := ResolveBinary(c.op, c.l, c.r)
		name := c.l.SQLName() + " " + c.op.String() + " " + c.r.SQLName()
		if c.code != "" {
			if err == nil {
				t.Errorf("%s: resolved to %s %s, want error %s", name, ov.Left.SQLName(), ov.Right.SQLName(), c.code)
			} else if err.(*types.Error).Code != c.code {
				t.Errorf("%s: error %v, want %s", name, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !ov.Left.Equal(c.left) || !ov.Right.Equal(c.right) || !ov.Return.Equal(c.ret) {
			t.Errorf("%s: got (%s, %s) → %s, want (%s, %s) → %s", name, ov.Left, ov.Right, ov.Return, c.left, c.right, c.ret)
		}
	}
}

func TestResolveFunc(t *testing.T) {
	i4Arr, _ := types.MakeArray(types.Int4)
	for _, c := range []struct {
		name string
		args []*types.T
		ret  *types.T
		cls  FuncClass
		code string
	}{
		{name: "length", args: []*types.T{Unknown}, ret: types.Int4},
		{name: "LENGTH", args: []*types.T{types.VarCharAny}, ret: types.Int4},
		{name: "length", args: []*types.T{types.Int4}, code: CodeUndefinedFunction},
		{name: "round", args: []*types.T{types.Int4}, ret: types.Float8},
		{name: "round", args: []*types.T{types.Numeric, types.Int4}, ret: types.Numeric},
		{name: "sum", args: []*types.T{types.Int4}, ret: types.Int8, cls: Aggregate},
		{name: "sum", args: []*types.T{types.Int8}, ret: types.Numeric, cls: Aggregate},
		{name: "avg", args: []*types.T{types.Int4}, ret: types.Numeric, cls: Aggregate},
		{name: "count", args: nil, ret: types.Int8, cls: Aggregate},
		{name: "count", args: []*types.T{types.UUID}, ret: types.Int8, cls: Aggregate},
		{name: "array_agg", args: []*types.T{types.Int4}, ret: i4Arr, cls: Aggregate},
		{name: "rank", args: nil, ret: types.Int8, cls: Window},
		{name: "lag", args: []*types.T{types.Int4, types.Int4, types.Numeric}, ret: types.Numeric, cls: Window},
		{name: "unnest", args: []*types.T{i4Arr}, ret: types.Int4, cls: Generator},
		{name: "generate_series", args: []*types.T{types.Int4, types.Int4}, ret: types.Int4, cls: Generator},
		{name: "concat", args: []*types.T{types.Int4, Unknown, types.Bool}, ret: types.String},
		{name: "nope", args: nil, code: CodeUndefinedFunction},
	} {
		fo, err := ResolveFunc(c.name, c.args)
		if c.code != "" {
			if err == nil || err.(*types.Error).Code != c.code {
				t.Errorf("%s%v: err %v, want %s", c.name, c.args, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s(%s): %v", c.name, typeList(c.args), err)
			continue
		}
		if !fo.Return.Equal(c.ret) || fo.Class != c.cls || len(fo.Args) != len(c.args) {
			t.Errorf("%s(%s): got %s class %d args %d, want %s class %d", c.name, typeList(c.args), fo.Return, fo.Class, len(fo.Args), c.ret, c.cls)
		}
		switch fo.Class {
		case Normal:
			if fo.Fn == nil {
				t.Errorf("%s: no Fn", c.name)
			}
		case Aggregate:
			if fo.NewAgg == nil {
				t.Errorf("%s: no NewAgg", c.name)
			}
		case Window:
			if fo.NewWindow == nil {
				t.Errorf("%s: no NewWindow", c.name)
			}
		case Generator:
			if fo.Gen == nil {
				t.Errorf("%s: no Gen", c.name)
			}
		}
	}
}

func TestCommonType(t *testing.T) {
	v5, _ := types.MakeVarChar(5)
	v9, _ := types.MakeVarChar(9)
	for _, c := range []struct {
		in   []*types.T
		want *types.T
		code string
	}{
		{in: []*types.T{Unknown, Unknown}, want: types.String},
		{in: []*types.T{types.Int4, Unknown}, want: types.Int4},
		{in: []*types.T{types.Int4, types.Int8}, want: types.Int8},
		{in: []*types.T{types.Int4, types.Numeric, types.Int2}, want: types.Numeric},
		{in: []*types.T{types.Numeric, types.Float4}, want: types.Float4},
		{in: []*types.T{types.Int4, types.Float8}, want: types.Float8},
		{in: []*types.T{v5, v5}, want: v5},
		{in: []*types.T{v5, v9}, want: types.VarCharAny},
		{in: []*types.T{v5, types.String}, want: types.VarCharAny},
		{in: []*types.T{types.String, v5}, want: types.String},
		{in: []*types.T{types.Date, types.TimestampTZ}, want: types.TimestampTZ},
		{in: []*types.T{types.Int4, types.String}, code: CodeDatatypeMismatch},
		{in: []*types.T{types.Bool, types.Int4}, code: CodeDatatypeMismatch},
	} {
		got, err := CommonType("CASE", c.in)
		if c.code != "" {
			if err == nil || err.(*types.Error).Code != c.code {
				t.Errorf("%s: got %v, %v, want %s", typeList(c.in), got, err, c.code)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%s: got %v, %v, want %s", typeList(c.in), got, err, c.want)
		}
	}
}

func TestCastContext(t *testing.T) {
	for _, c := range []struct {
		from, to *types.T
		ctx      CastContext
		ok       bool
	}{
		{types.Int4, types.Int8, CastImplicit, true},
		{types.Int8, types.Int4, CastAssignment, true},
		{types.Numeric, types.Float8, CastImplicit, true},
		{types.Float8, types.Numeric, CastAssignment, true},
		{types.String, types.Int4, CastExplicit, true},
		{types.Int4, types.String, CastAssignment, true},
		{types.Int4, types.Bool, CastExplicit, true},
		{types.Int8, types.Bool, 0, false},
		{types.Date, types.TimestampTZ, CastImplicit, true},
		{types.TimestampTZ, types.Date, CastAssignment, true},
		{types.UUID, types.Int4, 0, false},
		{Unknown, types.UUID, CastImplicit, true},
	} {
		got, ok := CastContextOf(c.from, c.to)
		if ok != c.ok || (ok && got != c.ctx) {
			t.Errorf("%s → %s: got %d %v, want %d %v", c.from, c.to, got, ok, c.ctx, c.ok)
		}
	}
}

func TestThreeValuedLogic(t *testing.T) {
	T, F, N := types.DBool(true), types.DBool(false), types.Null
	for _, c := range []struct {
		l, r, and, or types.Datum
	}{
		{T, T, T, T}, {T, F, F, T}, {F, N, F, N}, {T, N, N, T}, {N, N, N, N},
	} {
		if got := And(c.l, c.r); got != c.and {
			t.Errorf("%v AND %v = %v, want %v", c.l, c.r, got, c.and)
		}
		if got := Or(c.r, c.l); got != c.or {
			t.Errorf("%v OR %v = %v, want %v", c.r, c.l, got, c.or)
		}
	}
	eq, err := ResolveBinary(OpEQ, types.Int4, types.Int4)
	if err != nil {
		t.Fatal(err)
	}
	ctx := &EvalContext{}
	one, two := types.DInt(1), types.DInt(2)
	for _, c := range []struct {
		left  types.Datum
		elems []types.Datum
		all   bool
		want  types.Datum
	}{
		{one, []types.Datum{one, two}, false, T},
		{one, []types.Datum{two, N}, false, N},
		{one, []types.Datum{two}, false, F},
		{one, nil, false, F},
		{one, nil, true, T},
		{one, []types.Datum{one, N}, true, N},
		{one, []types.Datum{two, N}, true, F},
		{N, []types.Datum{one}, false, N},
	} {
		got, err := AnyAll(ctx, eq, c.left, c.elems, c.all)
		if err != nil || got != c.want {
			t.Errorf("%v = ANY/ALL(%v) all=%v: %v %v, want %v", c.left, c.elems, c.all, got, err, c.want)
		}
	}
}

// slicePartition is a WindowPartition over int values with a sliding
// ROWS frame of the given offsets.
type slicePartition struct {
	vals          []types.Datum
	before, after int
}

func (p *slicePartition) NumRows() int                        { return len(p.vals) }
func (p *slicePartition) Arg(row, _ int) (types.Datum, error) { return p.vals[row], nil }
func (p *slicePartition) Peers(row int) (int, int)            { return row, row + 1 }
func (p *slicePartition) Frame(row int) (int, int) {
	return max(row-p.before, 0), min(row+p.after+1, len(p.vals))
}

func TestWindowAggregateFrames(t *testing.T) {
	sum, err := ResolveFunc("sum", []*types.T{types.Int4})
	if err != nil {
		t.Fatal(err)
	}
	vals := []types.Datum{types.DInt(1), types.DInt(2), types.Null, types.DInt(4), types.DInt(5)}
	for _, c := range []struct {
		before, after int
		want          []string
	}{
		{before: 100, after: 0, want: []string{"1", "3", "3", "7", "12"}}, // growing: incremental
		{before: 1, after: 1, want: []string{"3", "3", "6", "9", "9"}},    // sliding: recomputed
		{before: 100, after: 100, want: []string{"12", "12", "12", "12", "12"}},
		{before: 0, after: 0, want: []string{"1", "2", "NULL", "4", "5"}},
	} {
		p := &slicePartition{vals: vals, before: c.before, after: c.after}
		w := WindowAggregate(sum)
		for r := range vals {
			d, err := w.Eval(&EvalContext{}, p, r)
			if err != nil {
				t.Fatal(err)
			}
			if got := types.FormatText(types.Int8, d, nil); got != c.want[r] {
				t.Errorf("frame -%d..+%d row %d: %s, want %s", c.before, c.after, r, got, c.want[r])
			}
		}
	}
}

// TestEvalSample checks a few results without PostgreSQL (the
// differential test covers hundreds more against a real server).
func TestEvalSample(t *testing.T) {
	ctx := &EvalContext{TxnTimestamp: time.Date(2024, 2, 29, 23, 30, 0, 0, time.UTC), Database: "defaultdb", User: "root",
		Location: time.FixedZone("X", 3600)}
	for _, c := range []struct{ expr, want string }{
		{"1 / 3::numeric", "0.33333333333333333333"},
		{"7 / 2", "3"},
		{"-7 % 3", "-1"},
		{"2 ^ 10", "1024"},
		{"round(2.5)", "3"},
		{"round(2.5::float8)", "2"},
		{"'a' || 1 || true", "a1true"},
		{"now()", "2024-03-01 00:30:00+01"},
		{"current_date", "2024-03-01"},
		{"current_database()", "defaultdb"},
		{"current_user", "root"},
		{"date_trunc('day', now())", "2024-03-01 00:00:00+01"},
		{"'2020-01-31'::date + '1 month'::interval", "2020-02-29 00:00:00"},
		{"extract(epoch from '2000-01-01 00:00:00'::timestamp)", "946684800.000000"},
		{"'{\"a\":[1,2]}'::jsonb -> 'a' ->> 1", "2"},
		{"coalesce(NULL, 2, 3)", "2"},
		{"upper('héllo')", "HÉLLO"}, // PostgreSQL in a UTF-8 ctype (C.UTF-8)
		{"age('2024-01-01 00:00+01'::timestamptz)", "2 mons"},
		{"age('2023-12-31'::timestamp)", "2 mons 1 day"},
	} {
		got := ourOutcome(ctx, c.expr)
		if got.code != "" || len(got.rows) != 1 || got.rows[0] != c.want {
			t.Errorf("%s: %s, want %q", c.expr, got, c.want)
		}
	}
	for _, c := range []struct{ expr, code string }{
		{"1 / 0", CodeDivisionByZero},
		{"2147483647 + 1", CodeNumericOutOfRange},
		{"1 + 'a'", CodeInvalidTextRep},
		{"'a' - 1", CodeInvalidTextRep},
		{"length(1)", CodeUndefinedFunction},
		{"'x' ~ '('", CodeInvalidRegex},
		{"'x' LIKE 'a\\'", CodeInvalidEscapeSequence},
	} {
		if got := ourOutcome(ctx, c.expr); got.code != c.code {
			t.Errorf("%s: %s, want SQLSTATE %s", c.expr, got, c.code)
		}
	}
}

func TestVolatileFunctions(t *testing.T) {
	ctx := &EvalContext{}
	a := ourOutcome(ctx, "gen_random_uuid()")
	b := ourOutcome(ctx, "gen_random_uuid()")
	if a.code != "" || a.rows[0] == b.rows[0] || len(a.rows[0]) != 36 || a.rows[0][14] != '4' {
		t.Errorf("gen_random_uuid: %s %s", a, b)
	}
	r := ourOutcome(ctx, "random() >= 0 AND random() < 1")
	if r.code != "" || r.rows[0] != "t" {
		t.Errorf("random(): %s", r)
	}
	fo, err := ResolveFunc("random", nil)
	if err != nil || fo.Volatility != Volatile {
		t.Errorf("random volatility: %v %v", fo, err)
	}
	if v := ourOutcome(ctx, "version()"); v.rows[0] != DefaultServerVersion {
		t.Errorf("version(): %s", v)
	}
}
