package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStatementComplete(t *testing.T) {
	for s, want := range map[string]bool{
		"select 1;":                        true,
		"select 1":                         false,
		"select 1; -- done\n":              true,
		"select ';'":                       false,
		"select ';';":                      true,
		"select \"a;\" from t":             false,
		"select 1 /* ; */":                 false,
		"select 1 /* unterminated ;":       false,
		"select $$ ; $$":                   false,
		"select $$ ; $$;":                  true,
		"select $x$ ; $x$ ;\n":             true,
		"select $1;":                       true,
		"create function f() as $body$\n;": false,
		"select 'it''s';":                  true,
	} {
		require.Equal(t, want, statementComplete(s), s)
	}
}

func TestPrintTable(t *testing.T) {
	var b strings.Builder
	printTable(&b, []string{"id", "name"}, [][][]byte{{[]byte("1"), []byte("ada")}, {[]byte("22"), nil}})
	require.Equal(t, ""+
		" id | name\n"+
		"----+------\n"+
		" 1  | ada\n"+
		" 22 |\n"+
		"(2 rows)\n\n", b.String())
	b.Reset()
	printTable(&b, []string{"x"}, [][][]byte{{[]byte("é")}})
	require.Equal(t, " x\n---\n é\n(1 row)\n\n", b.String())
}
