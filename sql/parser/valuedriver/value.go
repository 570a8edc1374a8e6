package valuedriver

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// Kind says which Go value a Value holds.
type Kind uint8

// Kinds of literal values.
const (
	KindNull Kind = iota
	KindBool
	KindInt
	KindUint
	KindFloat
	KindDecimal
	KindString
	KindBytes
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "bool"
	case KindInt:
		return "int"
	case KindUint:
		return "uint"
	case KindFloat:
		return "float"
	case KindDecimal:
		return "decimal"
	case KindString:
		return "string"
	case KindBytes:
		return "bytes"
	}
	return "unknown"
}

// Value is a literal in the parsed tree.
type Value struct {
	ast.TexprNode
	Kind    Kind
	Bool    bool
	Int     int64
	Uint    uint64
	Float   float64
	Decimal *apd.Decimal
	Str     string // KindString and KindBytes
	projOff int
}

// HexBytes is what NewHexLiteral and NewBitLiteral return: raw bytes.
type HexBytes []byte

var (
	_ ast.ValueExpr       = (*Value)(nil)
	_ ast.ParamMarkerExpr = (*ParamMarker)(nil)
)

func init() {
	ast.NewValueExpr = newValue
	ast.NewParamMarkerExpr = func(offset int) ast.ParamMarkerExpr {
		p := &ParamMarker{Offset: offset}
		p.projOff = -1
		p.Kind = KindNull
		return p
	}
	ast.NewDecimal = func(s string) (any, error) {
		d, _, err := apd.NewFromString(s)
		if err != nil {
			return nil, fmt.Errorf("invalid decimal literal %q: %w", s, err)
		}
		return d, nil
	}
	ast.NewHexLiteral = func(s string) (any, error) { return parseRadix(s, 16) }
	ast.NewBitLiteral = func(s string) (any, error) { return parseRadix(s, 2) }
}

// parseRadix reads 0x.. / x'..' (base 16) or 0b.. / b'..' (base 2) into bytes.
func parseRadix(s string, base int) (HexBytes, error) {
	digits := s
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'b' || s[1] == 'B'):
		digits = s[2:]
	case len(s) >= 3 && (s[1] == '\''):
		digits = strings.TrimSuffix(s[2:], "'")
	}
	bitsPer := 4
	if base == 2 {
		bitsPer = 1
	}
	nbits := len(digits) * bitsPer
	out := make([]byte, (nbits+7)/8)
	bit := len(out)*8 - nbits
	for i := 0; i < len(digits); i++ {
		v, err := strconv.ParseUint(digits[i:i+1], base, 8)
		if err != nil {
			return nil, fmt.Errorf("invalid digit %q in literal %q", digits[i], s)
		}
		for b := bitsPer - 1; b >= 0; b-- {
			if v&(1<<b) != 0 {
				out[bit/8] |= 1 << (7 - bit%8)
			}
			bit++
		}
	}
	return out, nil
}

func newValue(v any, charset, collate string) ast.ValueExpr {
	if x, ok := v.(*Value); ok {
		return x
	}
	x := &Value{projOff: -1}
	x.SetValue(v)
	if charset != "" {
		x.Type.SetCharset(charset)
		x.Type.SetCollate(collate)
	}
	return x
}

// SetValue implements ast.ValueExpr.
func (n *Value) SetValue(v any) {
	*n = Value{TexprNode: n.TexprNode, projOff: n.projOff}
	switch x := v.(type) {
	case nil:
		n.Kind = KindNull
		n.Type.SetType(mysql.TypeNull)
	case bool:
		n.Kind, n.Bool = KindBool, x
		n.Type.SetType(mysql.TypeTiny)
		n.Type.AddFlag(mysql.IsBooleanFlag)
	case int:
		n.Kind, n.Int = KindInt, int64(x)
		n.Type.SetType(mysql.TypeLonglong)
	case int64:
		n.Kind, n.Int = KindInt, x
		n.Type.SetType(mysql.TypeLonglong)
	case uint64:
		n.Kind, n.Uint = KindUint, x
		n.Type.SetType(mysql.TypeLonglong)
		n.Type.AddFlag(mysql.UnsignedFlag)
	case float64:
		n.Kind, n.Float = KindFloat, x
		n.Type.SetType(mysql.TypeDouble)
	case float32:
		n.Kind, n.Float = KindFloat, float64(x)
		n.Type.SetType(mysql.TypeDouble)
	case *apd.Decimal:
		n.Kind, n.Decimal = KindDecimal, x
		n.Type.SetType(mysql.TypeNewDecimal)
	case string:
		n.Kind, n.Str = KindString, x
		n.Type.SetType(mysql.TypeVarString)
	case []byte:
		n.Kind, n.Str = KindBytes, string(x)
		n.Type.SetType(mysql.TypeVarString)
	case HexBytes:
		n.Kind, n.Str = KindBytes, string(x)
		n.Type.SetType(mysql.TypeVarString)
	default:
		// The grammar only builds the kinds above; anything else is kept
		// as its printed form so that nothing panics.
		n.Kind, n.Str = KindString, fmt.Sprint(x)
		n.Type.SetType(mysql.TypeVarString)
	}
}

// GetValue implements ast.ValueExpr.
func (n *Value) GetValue() any {
	switch n.Kind {
	case KindBool:
		return n.Bool
	case KindInt:
		return n.Int
	case KindUint:
		return n.Uint
	case KindFloat:
		return n.Float
	case KindDecimal:
		return n.Decimal
	case KindString:
		return n.Str
	case KindBytes:
		return []byte(n.Str)
	}
	return nil
}

// GetString implements ast.ValueExpr: the value as text.
func (n *Value) GetString() string {
	switch n.Kind {
	case KindNull:
		return ""
	case KindBool:
		if n.Bool {
			return "true"
		}
		return "false"
	case KindInt:
		return strconv.FormatInt(n.Int, 10)
	case KindUint:
		return strconv.FormatUint(n.Uint, 10)
	case KindFloat:
		return strconv.FormatFloat(n.Float, 'g', -1, 64)
	case KindDecimal:
		return n.Decimal.String()
	}
	return n.Str
}

// GetDatumString implements ast.ValueExpr.
func (n *Value) GetDatumString() string { return n.GetString() }

// GetProjectionOffset implements ast.ValueExpr.
func (n *Value) GetProjectionOffset() int { return n.projOff }

// SetProjectionOffset implements ast.ValueExpr.
func (n *Value) SetProjectionOffset(o int) { n.projOff = o }

// Restore implements ast.Node, in PostgreSQL spelling.
func (n *Value) Restore(ctx *format.RestoreCtx) error {
	switch n.Kind {
	case KindNull:
		ctx.WriteKeyWord("NULL")
	case KindBool:
		if n.Bool {
			ctx.WriteKeyWord("TRUE")
		} else {
			ctx.WriteKeyWord("FALSE")
		}
	case KindString:
		ctx.WritePlain(QuoteString(n.Str))
	case KindBytes:
		ctx.WritePlainf("'\\x%x'", n.Str)
	default:
		ctx.WritePlain(n.GetString())
	}
	return nil
}

// QuoteString returns s as a PostgreSQL standard string literal.
func QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Format implements ast.ExprNode.
func (n *Value) Format(w io.Writer) {
	var b strings.Builder
	_ = n.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b))
	_, _ = io.WriteString(w, b.String())
}

// Accept implements ast.Node.
func (n *Value) Accept(v ast.Visitor) (ast.Node, bool) {
	nn, skip := v.Enter(n)
	if skip {
		return v.Leave(nn)
	}
	return v.Leave(nn)
}

// ParamMarker is a positional parameter ($n in PostgreSQL text).
type ParamMarker struct {
	Value
	// Offset is the byte offset of the marker in the text the grammar read.
	Offset int
	// Order is the grammar's 0-based count of markers in the statement.
	Order int
	// Number is PostgreSQL's parameter number n of $n (1-based), set by
	// sql/parser.
	Number int
}

// SetOrder implements ast.ParamMarkerExpr.
func (n *ParamMarker) SetOrder(o int) { n.Order = o }

// Restore implements ast.Node: $n.
func (n *ParamMarker) Restore(ctx *format.RestoreCtx) error {
	ctx.WritePlainf("$%d", n.Number)
	return nil
}

// Format implements ast.ExprNode.
func (n *ParamMarker) Format(w io.Writer) { _, _ = fmt.Fprintf(w, "$%d", n.Number) }

// Accept implements ast.Node.
func (n *ParamMarker) Accept(v ast.Visitor) (ast.Node, bool) {
	nn, skip := v.Enter(n)
	if skip {
		return v.Leave(nn)
	}
	return v.Leave(nn)
}
