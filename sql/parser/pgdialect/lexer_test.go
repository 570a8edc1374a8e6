package pgdialect

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func kinds(toks []Token) string {
	var b []string
	for _, t := range toks {
		if t.Kind == EOF {
			break
		}
		b = append(b, fmt.Sprintf("%d:%s", t.Kind, t.Val))
	}
	return strings.Join(b, " ")
}

func TestLex(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT "Ab""c", ab`, `1:select 2:Ab"c 9:, 1:ab`},
		{`'it''s' E'a\nb\x41\101\u00e9' $$x'y$$ $t$a$$b$t$`, "3:it's 3:a\nbAAé 3:x'y 3:a$$b"},
		{"'a'\n'b' 'c'", `3:ab 3:c`},
		{`1 1.5 .5 1e5 1.5e-3 1_000`, `5:1 6:1.5 6:.5 6:1e5 6:1.5e-3 5:1000`},
		{`$1 + $23`, `7:$1 8:+ 7:$23`},
		{`a::int8 <> b != c >= d ~* e !~ f || g`, `1:a 8::: 1:int8 8:<> 1:b 8:<> 1:c 8:>= 1:d 8:~* 1:e 8:!~ 1:f 8:|| 1:g`},
		{"a /* x /* nested */ y */ b -- c\n d", `1:a 1:b 1:d`},
		{`a-1 a+-1 a*-1`, `1:a 8:- 5:1 1:a 8:+ 8:- 5:1 1:a 8:* 8:- 5:1`},
		{`x[1] (a, b); c.d`, `1:x 9:[ 5:1 9:] 9:( 1:a 9:, 1:b 9:) 9:; 1:c 9:. 1:d`},
	} {
		toks, err := Lex(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, kinds(toks), c.in)
		for k := 0; k < EOFPad; k++ {
			require.Equal(t, EOF, toks[len(toks)-1-k].Kind)
		}
	}
}

func TestLexErrors(t *testing.T) {
	for _, c := range []struct {
		in   string
		pos  int
		code string
	}{
		{`select 'abc`, 7, "42601"},
		{`select "abc`, 7, "42601"},
		{`select $$abc`, 7, "42601"},
		{`select /* x`, 7, "42601"},
		{`select 0x1f`, 7, "42601"},
		{`select 12abc`, 7, "42601"},
		{`select ""`, 7, "42601"},
		{`select $0`, 7, "42P02"},
		{`select $1a`, 7, "42601"},
		{"select E'\\u12'", 9, "22025"},
		{"select `a`", 7, "42601"},
		{`select U&'x'`, 7, "0A000"},
	} {
		_, err := Lex(c.in)
		var le *LexError
		require.True(t, errors.As(err, &le), c.in)
		require.Equal(t, c.pos, le.Pos, c.in)
		require.Equal(t, c.code, le.Code, c.in)
	}
}

func TestParseType(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"int", "int4"}, {"integer", "int4"}, {"bigint", "int8"}, {"smallint", "int2"},
		{"double precision", "float8"}, {"float(10)", "float4"}, {"real", "float4"},
		{"numeric(10, 2)", "numeric(10,2)"}, {"character varying(5)", "varchar(5)"}, {"char(3)", "bpchar(3)"},
		{"timestamp with time zone", "timestamptz"}, {"time without time zone", "time"},
		{"int[]", "int4[]"}, {"text[3]", "text[]"}, {"pg_catalog.int8", "int8"}, {"serial", "serial4"},
		{"bigserial", "serial8"}, {"jsonb", "jsonb"}, {"uuid", "uuid"}, {"bytea", "bytea"}, {"mytype", "mytype"},
	} {
		toks, err := Lex(c.in)
		require.NoError(t, err)
		typ, next, ok := ParseType(toks, 0, true)
		require.True(t, ok, c.in)
		require.Equal(t, EOF, toks[next].Kind, c.in)
		require.Equal(t, c.want, typ.String(), c.in)
	}
}
