package parser

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// TestDialect runs the scripts in testdata/dialect: `parse` prints each
// statement's tree restored as text plus the PostgreSQL pieces held beside
// it, or the error's SQLSTATE, 1-based position and message.
func TestDialect(t *testing.T) {
	datadriven.Walk(t, "testdata/dialect", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "parse":
				sts, err := Parse(d.Input)
				if err != nil {
					return describeErr(d.Input, err)
				}
				var b strings.Builder
				for _, st := range sts {
					b.WriteString(describe(st))
				}
				return b.String()
			case "parse-one":
				st, err := ParseOne(d.Input)
				if err != nil {
					return describeErr(d.Input, err)
				}
				return describe(st)
			}
			t.Fatalf("unknown command %s", d.Cmd)
			return ""
		})
	})
}

func describeErr(sql string, err error) string {
	var pe *Error
	if !errors.As(err, &pe) {
		return fmt.Sprintf("non-*Error %T: %v\n", err, err)
	}
	near := ""
	if pe.Position > 0 {
		r := []rune(sql)
		if pe.Position-1 < len(r) {
			near = string(r[pe.Position-1 : min(len(r), pe.Position+9)])
		} else {
			near = "<end>"
		}
	}
	return fmt.Sprintf("error %s at %d (%q): %s\n", pe.Code, pe.Position, near, pe.Message)
}

func restoreNode(n ast.Node) string {
	var b strings.Builder
	if err := n.Restore(format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordUppercase|format.RestoreNameDoubleQuotes, &b)); err != nil {
		return "restore error: " + err.Error()
	}
	return b.String()
}

// restore is the statement's tree as text (Ext nodes printed with %+v).
func restore(st Statement) string {
	if st.AST == nil {
		return describeExt(st.Ext)
	}
	return restoreNode(st.AST)
}

// describeExt prints one of our nodes: its type and fields as JSON, with
// the TiDB trees it holds restored as text.
func describeExt(n ExtStmt) string {
	exprs := func(es []ast.ExprNode) string {
		var s []string
		for _, e := range es {
			s = append(s, restoreNode(e))
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	var extra string
	switch x := n.(type) {
	case *PrepareStmt:
		inner := strings.TrimSpace(describe(*x.Stmt))
		cp := *x
		cp.Stmt = nil
		n, extra = &cp, " stmt: "+inner
	case *ExecuteStmt:
		cp := *x
		cp.Args = nil
		n, extra = &cp, " args: "+exprs(x.Args)
	case *AlterColumnStmt:
		cp := *x
		cp.Actions = nil
		var acts []string
		for _, a := range x.Actions {
			switch {
			case a.Type != nil && a.Using != nil:
				acts = append(acts, a.Column+" type "+a.Type.String()+" using "+restoreNode(a.Using))
			case a.Type != nil:
				acts = append(acts, a.Column+" type "+a.Type.String())
			case a.SetNotNull:
				acts = append(acts, a.Column+" set not null")
			case a.DropNotNull:
				acts = append(acts, a.Column+" drop not null")
			case a.SetDefault != nil:
				acts = append(acts, a.Column+" set default "+restoreNode(a.SetDefault))
			case a.DropDefault:
				acts = append(acts, a.Column+" drop default")
			}
		}
		n, extra = &cp, " actions: "+strings.Join(acts, "; ")
	case *BeginStmt:
		if x.Modes.AsOf != nil {
			extra = " as of: " + restoreNode(x.Modes.AsOf)
		}
	case *SetTransactionStmt:
		if x.Modes.AsOf != nil {
			extra = " as of: " + restoreNode(x.Modes.AsOf)
		}
	case *SplitAtStmt:
		cp := *x
		cp.Rows = nil
		var rows []string
		for _, r := range x.Rows {
			rows = append(rows, exprs(r))
		}
		n, extra = &cp, " rows: "+strings.Join(rows, " ")
	}
	j, err := json.Marshal(n)
	if err != nil {
		return "marshal error: " + err.Error()
	}
	return fmt.Sprintf("%T %s%s", n, j, extra)
}

// collector lists, in tree order, the nodes whose PostgreSQL pieces live in
// the Statement's side maps.
type collector struct {
	casts []*ast.FuncCastExpr
	cols  []*ast.ColumnDef
	items []*ast.ByItem
	calls []ast.ExprNode
	other []string
}

func (c *collector) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.FuncCastExpr:
		c.casts = append(c.casts, x)
	case *ast.ColumnDef:
		c.cols = append(c.cols, x)
	case *ast.ByItem:
		c.items = append(c.items, x)
	case *ast.AggregateFuncExpr:
		c.calls = append(c.calls, x)
	case *ast.FuncCallExpr:
		c.calls = append(c.calls, x)
	case *ArrayExpr:
		c.other = append(c.other, "ArrayExpr")
	case *QuantifiedExpr:
		c.other = append(c.other, "QuantifiedExpr")
	}
	return n, false
}

func (c *collector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// describe prints a statement and its PostgreSQL pieces deterministically.
func describe(st Statement) string {
	var b strings.Builder
	b.WriteString(restore(st))
	b.WriteByte('\n')
	if st.AST != nil {
		c := &collector{}
		st.AST.Accept(c)
		var casts, cols, nulls []string
		for _, x := range c.casts {
			if t, ok := st.CastTypes[x]; ok {
				casts = append(casts, t.String())
			}
		}
		for _, x := range c.cols {
			if t, ok := st.ColumnTypes[x]; ok {
				cols = append(cols, x.Name.Name.O+" "+t.String())
			}
		}
		for i, x := range c.items {
			if o, ok := st.NullsOrder[x]; ok {
				nulls = append(nulls, fmt.Sprintf("%d:%s", i, map[NullsOrder]string{NullsFirst: "first", NullsLast: "last"}[o]))
			}
		}
		if len(casts) > 0 {
			fmt.Fprintf(&b, "  casts: %s\n", strings.Join(casts, ", "))
		}
		if len(cols) > 0 {
			fmt.Fprintf(&b, "  columns: %s\n", strings.Join(cols, ", "))
		}
		if len(nulls) > 0 {
			fmt.Fprintf(&b, "  nulls: %s\n", strings.Join(nulls, ", "))
		}
		for _, call := range c.calls {
			if items, ok := st.AggOrderBy[call]; ok {
				var is []string
				for _, it := range items {
					is = append(is, restoreNode(it))
				}
				fmt.Fprintf(&b, "  agg order by: %s: %s\n", restoreNode(call), strings.Join(is, ", "))
			}
		}
		if len(c.other) > 0 {
			fmt.Fprintf(&b, "  nodes: %s\n", strings.Join(c.other, ", "))
		}
	}
	if st.AsOf != nil {
		fmt.Fprintf(&b, "  as of: %s\n", restoreNode(st.AsOf))
	}
	if st.Index != nil {
		j, _ := json.Marshal(st.Index)
		fmt.Fprintf(&b, "  index: %s\n", j)
	}
	if len(st.Identity) > 0 {
		c := &collector{}
		st.AST.Accept(c)
		var ids []string
		for _, x := range c.cols {
			if k, ok := st.Identity[x]; ok {
				ids = append(ids, x.Name.Name.O+" "+k)
			}
		}
		fmt.Fprintf(&b, "  identity: %s\n", strings.Join(ids, ", "))
	}
	if len(st.Params) > 0 {
		var ps []string
		for _, p := range st.Params {
			ps = append(ps, fmt.Sprintf("$%d@%d", p.Number, p.Position))
		}
		fmt.Fprintf(&b, "  params: %d [%s]\n", st.NumParams, strings.Join(ps, " "))
	}
	if st.Returning != nil {
		var fs []string
		for _, f := range st.Returning {
			fs = append(fs, restoreNode(f))
		}
		fmt.Fprintf(&b, "  returning: %s\n", strings.Join(fs, ", "))
	}
	if oc := st.OnConflict; oc != nil {
		fmt.Fprintf(&b, "  on conflict: cols=%v constraint=%q nothing=%v", oc.Columns, oc.Constraint, oc.DoNothing)
		for _, a := range oc.Set {
			fmt.Fprintf(&b, " set %s=%s", a.Column.Name.O, restoreNode(a.Expr))
			if a.Column.Table.O != "" {
				b.WriteString("(table " + a.Column.Table.O + ")")
			}
		}
		if oc.Where != nil {
			fmt.Fprintf(&b, " where %s", restoreNode(oc.Where))
		}
		b.WriteByte('\n')
	}
	if st.DistinctOn != nil {
		var es []string
		for _, e := range st.DistinctOn {
			es = append(es, restoreNode(e))
		}
		fmt.Fprintf(&b, "  distinct on: %s\n", strings.Join(es, ", "))
	}
	if len(st.Notices) > 0 {
		ns := append([]string(nil), st.Notices...)
		sort.Strings(ns)
		fmt.Fprintf(&b, "  notices: %s\n", strings.Join(ns, "; "))
	}
	return b.String()
}
